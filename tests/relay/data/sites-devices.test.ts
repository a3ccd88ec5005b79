import { expect, it } from 'vitest';
import type { Store } from '@keyway/relay';
import { insertBackend, insertCourier, insertOwner } from '../../../relay/src/data/accounts';
import { insertActivity } from '../../../relay/src/data/activity';
import { supersedePendingRotations } from '../../../relay/src/data/commands';
import {
  approveReregistrationUntil, findDevice, findOwnedDevice, insertDevice, listDeviceRows, reregisterDevice, siteDevicesOfProfile, type NewDevice
} from '../../../relay/src/data/devices';
import { courierAndCompany, deliveryPeople, deviceName, grantLabel, ownerName, siteName } from '../../../relay/src/data/names';
import { queueSends } from '../../../relay/src/data/notification-sends';
import { insertNotification, siteOwnerId } from '../../../relay/src/data/notifications';
import {
  addSitePartner, findSite, insertSite, isSitePartner, partnersOfSite, removeSitePartner, sitesOf, updateSiteRow
} from '../../../relay/src/data/sites';
import { insertToken, revokeTokensOfSubject } from '../../../relay/src/data/tokens';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const A = '00112233aabbccdd';
const B = '00112233aabbccee';

async function owner(store: Store, email: string) {
  return insertOwner(store.q, { email, name: 'name of ' + email, passwordHash: 'h', at: T0 });
}

function device(id: string, siteId: number, over: Partial<NewDevice> = {}): NewDevice {
  return { id, siteId, name: 'front', profile: 'door', board: 'pico', firmware: 'fw1', publicKey: 'aa', passwordHash: 'pw1', at: T0, signingKeyId: 1, ...over };
}

describeEachStore('data layer: sites, partners and locks', (stores) => {
  it('creates, updates and lists sites per owner; an unknown owner is refused and nothing is stored', async () => {
    const store = await stores.fresh();
    const [o1, o2] = [await owner(store, 'a@x.org'), await owner(store, 'b@x.org')];
    const s1 = await insertSite(store.q, { owner_id: o1.id, name: 'home', address: null, timezone: 'Europe/Paris', allow_in_home: 1, created_at: T0 });
    const s2 = await insertSite(store.q, { owner_id: o2.id, name: 'flat', address: 'x', timezone: 'UTC', created_at: T0 + 1 });
    expect(s2.allow_in_home).toBe(0);
    expect(await updateSiteRow(store.q, s1.id, { name: 'house', address: 'street 1', timezone: 'UTC', allow_in_home: 0 }))
      .toEqual({ ...s1, name: 'house', address: 'street 1', timezone: 'UTC', allow_in_home: 0 });
    expect((await sitesOf(store.q, o1.id)).map((s) => s.name)).toEqual(['house']);
    expect((await sitesOf(store.q, undefined)).map((s) => s.id)).toEqual([s1.id, s2.id]);
    expect(await findSite(store.q, s2.id + 100)).toBeUndefined();
    await expect(insertSite(store.q, { owner_id: o2.id + 100, name: 'ghost', timezone: 'UTC', created_at: T0 })).rejects.toThrow();
    expect(await sitesOf(store.q, undefined)).toHaveLength(2);
  });

  it('finds a lock for its owner in one read; another owner, an unknown lock or an unknown owner find nothing', async () => {
    const store = await stores.fresh();
    const [o1, o2] = [await owner(store, 'a@x.org'), await owner(store, 'b@x.org')];
    const s1 = await insertSite(store.q, { owner_id: o1.id, name: 'home', timezone: 'UTC', created_at: T0 });
    const s2 = await insertSite(store.q, { owner_id: o2.id, name: 'flat', timezone: 'UTC', created_at: T0 });
    await insertDevice(store.q, device(A, s1.id));
    await insertDevice(store.q, device(B, s2.id));
    expect(await findOwnedDevice(store.q, A, o1.id)).toEqual(await findDevice(store.q, A));
    expect(await findOwnedDevice(store.q, B, o2.id)).toEqual(await findDevice(store.q, B));
    expect(await findOwnedDevice(store.q, B, o1.id), "another owner's lock").toBeUndefined();
    expect(await findOwnedDevice(store.q, '00112233aabbccff', o1.id), 'an unknown lock').toBeUndefined();
    expect(await findOwnedDevice(store.q, A, o2.id + 100), 'an unknown owner').toBeUndefined();
  });

  it('adds a partner once (a second add changes nothing), removes it, and refuses an unknown backend', async () => {
    const store = await stores.fresh();
    const o = await owner(store, 'a@x.org');
    const s = await insertSite(store.q, { owner_id: o.id, name: 'home', timezone: 'UTC', created_at: T0 });
    const [b1, b2] = [await insertBackend(store.q, { name: 'b1', scopes: [], at: T0 }), await insertBackend(store.q, { name: 'b2', scopes: [], at: T0 })];
    await addSitePartner(store.q, s.id, b2.id, T0);
    await addSitePartner(store.q, s.id, b1.id, T0);
    await addSitePartner(store.q, s.id, b1.id, T0 + 5);
    expect(await partnersOfSite(store.q, s.id)).toEqual([b1.id, b2.id]);
    expect(await store.q.selectFrom('site_partners').select('created_at').where('backend_id', '=', b1.id).execute()).toEqual([{ created_at: T0 }]);
    await expect(addSitePartner(store.q, s.id, b2.id + 100, T0)).rejects.toThrow();
    await removeSitePartner(store.q, s.id, b2.id);
    expect([await isSitePartner(store.q, s.id, b1.id), await isSitePartner(store.q, s.id, b2.id)]).toEqual([true, false]);
  });

  it('registers a lock, lists locks per site and per owner only, and picks a site\'s locks of one profile oldest first', async () => {
    const store = await stores.fresh();
    const [o1, o2] = [await owner(store, 'a@x.org'), await owner(store, 'b@x.org')];
    const s1 = await insertSite(store.q, { owner_id: o1.id, name: 'home', timezone: 'UTC', created_at: T0 });
    const s2 = await insertSite(store.q, { owner_id: o2.id, name: 'flat', timezone: 'UTC', created_at: T0 });
    await insertDevice(store.q, device(B, s1.id, { at: T0 + 1 }));
    await insertDevice(store.q, device(A, s1.id, { at: T0 + 2 }));
    await insertDevice(store.q, device('00112233aabbcc00', s1.id, { profile: 'box' }));
    await insertDevice(store.q, device('00112233aabbcc11', s2.id));
    await expect(insertDevice(store.q, device(A, s2.id))).rejects.toThrow();
    expect((await findDevice(store.q, A))?.site_id).toBe(s1.id);
    expect((await listDeviceRows(store.q, { ownerId: o1.id })).map((d) => d.id)).toEqual(['00112233aabbcc00', A, B]);
    expect((await listDeviceRows(store.q, { ownerId: o2.id, siteId: s1.id })).map((d) => d.id)).toEqual([]);
    expect((await listDeviceRows(store.q, { siteId: s2.id })).map((d) => d.id)).toEqual(['00112233aabbcc11']);
    expect(await listDeviceRows(store.q, {})).toHaveLength(4);
    expect((await siteDevicesOfProfile(store.q, s1.id, 'door')).map((d) => d.id)).toEqual([B, A]);
  });

  it('re-registers a lock: new password with the previous kept, nulls keep stored values, approval used up, log reset on request', async () => {
    const store = await stores.fresh();
    const o = await owner(store, 'a@x.org');
    const s = await insertSite(store.q, { owner_id: o.id, name: 'home', timezone: 'UTC', created_at: T0 });
    const s2 = await insertSite(store.q, { owner_id: o.id, name: 'shed', timezone: 'UTC', created_at: T0 });
    await insertDevice(store.q, device(A, s.id));
    await store.q.updateTable('devices').set({ log_seq: 40, log_head: 'ff', log_state: 'gap' }).where('id', '=', A).execute();
    const epoch = (await findDevice(store.q, A))!.log_epoch;
    await approveReregistrationUntil(store.q, A, T0 + 1000);
    expect((await findDevice(store.q, A))?.reregister_approved_until).toBe(T0 + 1000);
    await reregisterDevice(store.q, { ...device(A, s2.id, { name: null, publicKey: null, passwordHash: 'pw2', firmware: 'fw2', at: T0 + 10, signingKeyId: 2 }), profile: null, resetLog: false });
    let d = (await findDevice(store.q, A))!;
    expect([d.site_id, d.name, d.profile, d.public_key, d.firmware, d.mqtt_password_hash, d.mqtt_prev_password_hash, d.signing_key_id, d.registered_at])
      .toEqual([s2.id, 'front', 'door', 'aa', 'fw2', 'pw2', 'pw1', 2, T0 + 10]);
    expect([d.reregister_approved_until, d.log_epoch, d.log_seq, d.log_head, d.log_state]).toEqual([null, epoch, 40, 'ff', 'gap']);
    // A second re-registration before the lock connected keeps the oldest password that still works.
    await reregisterDevice(store.q, { ...device(A, s2.id, { name: 'back', publicKey: 'bb', passwordHash: 'pw3' }), profile: 'box', resetLog: true });
    d = (await findDevice(store.q, A))!;
    expect([d.name, d.profile, d.public_key, d.mqtt_password_hash, d.mqtt_prev_password_hash]).toEqual(['back', 'box', 'bb', 'pw3', 'pw1']);
    expect([d.log_epoch, d.log_seq, d.log_head, d.log_state]).toEqual([epoch + 1, 0, null, 'ok']);
  });

  it('supersedes only the lock\'s pending key rotations', async () => {
    const store = await stores.fresh();
    const o = await owner(store, 'a@x.org');
    const s = await insertSite(store.q, { owner_id: o.id, name: 'home', timezone: 'UTC', created_at: T0 });
    await insertDevice(store.q, device(A, s.id));
    await insertDevice(store.q, device(B, s.id));
    const cmd = (dev: string, counter: number, purpose: string, status: 'pending' | 'acked') => store.q.insertInto('commands').values({
      device_id: dev, counter, action: 1, purpose, key_id: 1, bytes: Buffer.from([counter]), not_before_s: 0, not_after_s: 1, status, result_code: null,
      resendable: 1, reissuable: 1, grant_id: null, delivery_id: null, new_key_id: 2, reissue_of: null, created_at: T0, sent_at: null, acked_at: null, ack_seq: null
    }).execute();
    await cmd(A, 1, 'key_rotate', 'pending');
    await cmd(A, 2, 'key_rotate', 'acked');
    await cmd(A, 3, 'grant_put', 'pending');
    await cmd(B, 1, 'key_rotate', 'pending');
    await supersedePendingRotations(store.q, A);
    const rows = await store.q.selectFrom('commands').select(['device_id', 'counter', 'status']).orderBy('device_id').orderBy('counter').execute();
    expect(rows.map((r) => [r.device_id, r.counter, r.status])).toEqual([[A, 1, 'superseded'], [A, 2, 'acked'], [A, 3, 'pending'], [B, 1, 'pending']]);
  });
});

describeEachStore('data layer: names, activity, notifications and token revocation', (stores) => {
  it('finds the names rows are shown with, and nothing for unknown ids', async () => {
    const store = await stores.fresh();
    const o = await owner(store, 'a@x.org');
    const s = await insertSite(store.q, { owner_id: o.id, name: 'home', timezone: 'UTC', created_at: T0 });
    await insertDevice(store.q, device(A, s.id));
    const b = await insertBackend(store.q, { name: 'Parcels Inc', scopes: [], at: T0 });
    const c = await insertCourier(store.q, { backendId: b.id, name: 'Cora', at: T0 });
    const d = await store.q.insertInto('deliveries').values({
      site_id: s.id, device_id: A, backend_id: b.id, courier_id: c.id, tracking: 'TRK1', window_start: T0, window_end: T0 + 1, in_home: 1, status: 'booked', created_at: T0, updated_at: T0
    }).returning('id').executeTakeFirstOrThrow();
    expect(await deviceName(store.q, A)).toEqual({ name: 'front' });
    expect(await deviceName(store.q, B)).toBeUndefined();
    expect([await siteName(store.q, s.id), await siteName(store.q, s.id + 9)]).toEqual(['home', undefined]);
    expect(await deliveryPeople(store.q, d.id)).toEqual({ tracking: 'TRK1', deviceId: A, courier: 'Cora', company: 'Parcels Inc' });
    expect(await deliveryPeople(store.q, d.id + 9)).toBeUndefined();
    expect(await courierAndCompany(store.q, c.id)).toEqual({ name: 'Cora', company: 'Parcels Inc' });
    expect([await ownerName(store.q, o.id), await ownerName(store.q, o.id + 9)]).toEqual(['name of a@x.org', undefined]);
    expect(await grantLabel(store.q, 12345)).toBeUndefined();
    expect(await siteOwnerId(store.q, s.id)).toBe(o.id);
  });

  it('stores activity and notifications as given and queues one send per channel; a send for an unknown notification is refused', async () => {
    const store = await stores.fresh();
    const o = await owner(store, 'a@x.org');
    const s = await insertSite(store.q, { owner_id: o.id, name: 'home', timezone: 'UTC', created_at: T0 });
    const a = await insertActivity(store.q, {
      site_id: s.id, device_id: null, at: T0, kind: 'lock.online', reason: null, code: null, actor_kind: 'owner', actor_id: o.id, grant_id: null, delivery_id: null,
      event_seq: 3, clip: null, details: '{"k":1}'
    });
    expect([a.kind, a.actor_id, a.event_seq, a.details]).toEqual(['lock.online', o.id, 3, '{"k":1}']);
    const n = await insertNotification(store.q, { recipient_kind: 'owner', recipient_id: o.id, site_id: s.id, delivery_id: null, kind: 'alarm', body: '{}', created_at: T0 });
    await queueSends(store.q, n.id, o.id, ['email', 'ntfy'], T0 + 1);
    await queueSends(store.q, n.id, o.id, [], T0 + 2);
    const sends = await store.q.selectFrom('notification_sends').select(['notification_id', 'channel', 'status', 'next_at']).orderBy('id').execute();
    expect(sends).toEqual([
      { notification_id: n.id, channel: 'email', status: 'pending', next_at: T0 + 1 }, { notification_id: n.id, channel: 'ntfy', status: 'pending', next_at: T0 + 1 }
    ]);
    await expect(store.tx((q) => queueSends(q, n.id + 100, o.id, ['email'], T0))).rejects.toThrow();
    expect(await store.q.selectFrom('notification_sends').select('id').execute()).toHaveLength(2);
  });

  it('revokes every live token of one subject and kind, leaving the others and the revocation time of those already revoked', async () => {
    const store = await stores.fresh();
    const tok = (hash: string, kind: 'guest' | 'owner', subjectId: number) => insertToken(store.q, { hash, kind, subjectId, scopes: [], label: null, at: T0, expiresAt: null });
    const [g1, g2, other, owner7] = [await tok('h1', 'guest', 7), await tok('h2', 'guest', 7), await tok('h3', 'guest', 8), await tok('h4', 'owner', 7)];
    await store.q.updateTable('tokens').set({ revoked_at: T0 + 1 }).where('id', '=', g2).execute();
    expect(await revokeTokensOfSubject(store.q, 'guest', 7, T0 + 5)).toBe(1);
    expect(await revokeTokensOfSubject(store.q, 'guest', 7, T0 + 6)).toBe(0);
    const rows = await store.q.selectFrom('tokens').select(['id', 'revoked_at']).orderBy('id').execute();
    expect(rows).toEqual([{ id: g1, revoked_at: T0 + 5 }, { id: g2, revoked_at: T0 + 1 }, { id: other, revoked_at: null }, { id: owner7, revoked_at: null }]);
  });
});

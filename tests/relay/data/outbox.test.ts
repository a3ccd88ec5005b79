import { expect, it } from 'vitest';
import { insertBackend, insertCourier, insertOwner } from '../../../relay/src/data/accounts';
import {
  allocateCounter, closePending, markSent, overdueCommands, pendingCommand, pendingCommandsOf, pendingGrantPuts, pendingKeyIds, pendingRotationCount, pendingSignedWith,
  rotationKeysMaybeApplied
} from '../../../relay/src/data/commands';
import { insertDelivery, partnerDeliveriesIn, setEntryCounter } from '../../../relay/src/data/deliveries';
import { deviceKeys, devicesPerKey, findDevice, isOnline, markOnline, moveSigningKey, clearCameraCapture, setBoltDoor, setCameraCapture, setDeviceName } from '../../../relay/src/data/devices';
import { grantsToReconcile, setGrantOffset } from '../../../relay/src/data/grants';
import { claimKey, completeKey, deleteDoneKeysBefore, findKey } from '../../../relay/src/data/idempotency';
import type { Store } from '@keyway/relay';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const T0_S = T0 / 1000;
const A = '00112233aabbccdd';
const B = '00112233aabbccee';

async function twoLocks(store: Store): Promise<number> {
  const o = await insertOwner(store.q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
  const site = await store.q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
  for (const [id, key] of [[A, 1], [B, 2]] as const) {
    await store.q.insertInto('devices').values({ id, site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: key }).execute();
  }
  return site.id;
}

async function command(store: Store, device: string, counter: number, purpose: string, o: {
  keyId?: number; newKeyId?: number | null; notAfterS?: number; sentAt?: number | null; status?: 'pending' | 'acked'; grantId?: number | null;
}) {
  await store.q.insertInto('commands').values({
    device_id: device, counter, action: 1, purpose, key_id: o.keyId ?? 1, bytes: Buffer.from([counter]), not_before_s: 0, not_after_s: o.notAfterS ?? T0_S + 60,
    status: o.status ?? 'pending', result_code: null, resendable: 1, reissuable: 1, grant_id: o.grantId ?? null, delivery_id: null, new_key_id: o.newKeyId ?? null, reissue_of: null,
    created_at: T0, sent_at: o.sentAt ?? null, acked_at: null, ack_seq: null
  }).execute();
}

describeEachStore('data layer: the outbox and the keys it signs with', (stores) => {
  it('pending and overdue commands in counter order; a command closes once; sends are counted', async () => {
    const store = await stores.fresh();
    await twoLocks(store);
    await command(store, A, 3, 'grant_put', { notAfterS: T0_S - 1 });
    await command(store, A, 1, 'key_rotate', {});
    await command(store, A, 2, 'entry', { status: 'acked' });
    await command(store, B, 1, 'grant_put', { notAfterS: T0_S });
    expect((await pendingCommandsOf(store.q, A)).map((c) => c.counter)).toEqual([1, 3]);
    expect((await pendingCommandsOf(store.q, A, 'key_rotate')).map((c) => c.counter)).toEqual([1]);
    expect((await overdueCommands(store.q, T0_S)).map((c) => [c.device_id, c.counter])).toEqual([[A, 3], [B, 1]]);
    expect(await pendingCommand(store.q, A, 2)).toBeUndefined();
    await markSent(store.q, A, 3, T0 + 5);
    await markSent(store.q, A, 3, T0 + 6);
    const sent = (await pendingCommand(store.q, A, 3))!;
    expect([sent.send_count, sent.sent_at]).toEqual([2, T0 + 6]);
    const racing = await Promise.all([store.tx((q) => closePending(q, A, 3, 'expired')), store.tx((q) => closePending(q, A, 3, 'superseded'))]);
    expect(racing.sort()).toEqual([false, true]);
    expect(await closePending(store.q, A, 2, 'expired')).toBe(false);
    expect(await pendingRotationCount(store.q)).toBe(1);
  });

  it('keys in use: signing keys, keys of pending commands, and rotations a lock may have applied', async () => {
    const store = await stores.fresh();
    await twoLocks(store);
    expect(await deviceKeys(store.q)).toEqual([{ id: A, signing_key_id: 1, inv_keys: null }, { id: B, signing_key_id: 2, inv_keys: null }]);
    expect((await devicesPerKey(store.q)).sort((x, y) => x.keyId - y.keyId)).toEqual([{ keyId: 1, devices: 1 }, { keyId: 2, devices: 1 }]);
    await command(store, A, 1, 'grant_put', { keyId: 7 });
    await command(store, A, 2, 'grant_put', { keyId: 8, status: 'acked' });
    expect(await pendingKeyIds(store.q)).toEqual([7]);
    // A: never reported an inventory, so any rotation sent to it may have run.
    await command(store, A, 3, 'key_rotate', { newKeyId: 11, notAfterS: T0_S - 100, status: 'acked' });
    // B: inventory taken after the rotation was sent and the rotation expired: it did not run.
    await store.q.updateTable('devices').set({ inv_at: T0 + 50, inv_keys: '[2]' }).where('id', '=', B).execute();
    await command(store, B, 1, 'key_rotate', { newKeyId: 12, notAfterS: T0_S - 100, sentAt: T0 + 10, status: 'acked' });
    // B: still valid, so it can still arrive.
    await command(store, B, 2, 'key_rotate', { newKeyId: 13, notAfterS: T0_S + 100, sentAt: T0 + 10, status: 'acked' });
    // B: sent after the inventory.
    await command(store, B, 3, 'key_rotate', { newKeyId: 14, notAfterS: T0_S - 100, sentAt: T0 + 60, status: 'acked' });
    expect((await rotationKeysMaybeApplied(store.q, T0_S)).sort((x, y) => x - y)).toEqual([11, 13, 14]);
  });

  it('a grant\'s pending puts, a lock\'s commands signed with a key, the key moved once and counters taken under it', async () => {
    const store = await stores.fresh();
    await twoLocks(store);
    const G = 7;
    await command(store, A, 1, 'grant_put', { grantId: G, status: 'acked' });
    await command(store, A, 2, 'grant_revoke', { grantId: G });
    await command(store, A, 3, 'grant_put', { grantId: G, keyId: 2 });
    await command(store, A, 4, 'grant_put', { grantId: G + 1 });
    await command(store, B, 1, 'grant_put', { grantId: G });
    expect(await pendingGrantPuts(store.q, A, G)).toEqual([3]);
    expect((await pendingSignedWith(store.q, A, 1, 0)).map((c) => c.counter)).toEqual([2, 4]);
    expect((await pendingSignedWith(store.q, A, 1, 2)).map((c) => c.counter)).toEqual([4]);
    expect((await pendingSignedWith(store.q, A, 2, 0)).map((c) => c.counter)).toEqual([3]);
    // Two processes moving A off key 1: one does.
    expect((await Promise.all([store.tx((q) => moveSigningKey(q, A, 1, 2)), store.tx((q) => moveSigningKey(q, A, 1, 3))])).sort()).toEqual([false, true]);
    const moved = (await findDevice(store.q, A))!.signing_key_id;
    expect([2, 3]).toContain(moved);
    expect((await findDevice(store.q, B))!.signing_key_id).toBe(2);
    expect(await moveSigningKey(store.q, A, 1, 4)).toBe(false);
    expect(await allocateCounter(store.q, A)).toEqual({ counter: 1, keyId: moved });
    expect(await allocateCounter(store.q, A)).toEqual({ counter: 2, keyId: moved });
    expect(await allocateCounter(store.q, 'ffffffffffffffff')).toBeUndefined();
  });

  it('device odds and ends: online, bolt and door, camera capture taken once, name', async () => {
    const store = await stores.fresh();
    await twoLocks(store);
    expect(await isOnline(store.q, A)).toBe(false);
    await markOnline(store.q, A, 'r:1', T0);
    expect(await isOnline(store.q, A)).toBe(true);
    expect(await isOnline(store.q, 'ffffffffffffffff')).toBe(false);
    await setBoltDoor(store.q, A, 2, 1);
    expect((await findDevice(store.q, A))!.last_camera_seq).toBeNull();
    await setCameraCapture(store.q, A, 33);
    expect((await findDevice(store.q, A))!.last_camera_seq).toBe(33);
    await clearCameraCapture(store.q, A);
    expect((await findDevice(store.q, A))!.last_camera_seq).toBeNull();
    await setDeviceName(store.q, A, 'Front door');
    const d = await store.q.selectFrom('devices').select(['bolt', 'door', 'name']).where('id', '=', A).executeTakeFirstOrThrow();
    expect(d).toEqual({ bolt: 2, door: 1, name: 'Front door' });
  });

  it('deliveries booked for a partner, the entry counter, grant offsets and old idempotency records', async () => {
    const store = await stores.fresh();
    const siteId = await twoLocks(store);
    const b = await insertBackend(store.q, { name: 'b', scopes: [], at: T0 });
    const other = await insertBackend(store.q, { name: 'x', scopes: [], at: T0 });
    const c = await insertCourier(store.q, { backendId: b.id, name: 'c', at: T0 });
    const book = (backendId: number) => insertDelivery(store.q, {
      site_id: siteId, device_id: A, backend_id: backendId, courier_id: c.id, tracking: 't', window_start: T0, window_end: T0 + 1, in_home: 1, created_at: T0, updated_at: T0
    });
    const d1 = await book(b.id);
    await book(other.id);
    expect(d1.status).toBe('booked');
    await setEntryCounter(store.q, d1.id, 41);
    expect((await partnerDeliveriesIn(store.q, siteId, b.id, ['booked', 'entering'])).map((d) => [d.id, d.entry_counter])).toEqual([[d1.id, 41]]);
    expect(await partnerDeliveriesIn(store.q, siteId, b.id, ['entered'])).toEqual([]);

    const g = await store.q.insertInto('grants').values({
      device_id: A, site_id: siteId, kind: 'guest', type: 'weekly', label: null, flags: 0, not_before: T0, not_after: T0 + 1, max_uses: 0, relock_after: 0,
      timezone: 'Europe/Berlin', tz_offset: 60, cred_type: 1, chain_seed: null, commitment: null, delivery_id: null, parcel_id: null, status: 'active',
      status_reason: null, put_fingerprint: null, revoke_alarmed_at: null, created_by: 'test', created_at: T0, updated_at: T0, revoked_at: null
    }).returning('id').executeTakeFirstOrThrow();
    await setGrantOffset(store.q, g.id, 120, T0 + 9);
    const row = (await grantsToReconcile(store.q, A, []))[0];
    expect([row.tz_offset, row.updated_at]).toEqual([120, T0 + 9]);

    for (const [key, at] of [['k1', T0 - 10], ['k2', T0 + 10]] as const) {
      await claimKey(store.q, { principal: 'p', key, route: 'r', bodyHash: 'h', at });
      await completeKey(store.q, 'p', key, 200, '{}');
    }
    await claimKey(store.q, { principal: 'p', key: 'k3', route: 'r', bodyHash: 'h', at: T0 - 10 });
    expect(await deleteDoneKeysBefore(store.q, T0)).toBe(1);
    expect(await findKey(store.q, 'p', 'k1')).toBeUndefined();
    expect((await findKey(store.q, 'p', 'k2'))?.state).toBe('done');
    expect((await findKey(store.q, 'p', 'k3'))?.state).toBe('pending');
  });
});

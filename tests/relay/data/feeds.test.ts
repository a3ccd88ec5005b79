import { expect, it } from 'vitest';
import type { Store } from '@keyway/relay';
import { insertBackend, insertOwner } from '../../../relay/src/data/accounts';
import { ACTIVITY_PER_INSERT, activityOfSite, insertActivities } from '../../../relay/src/data/activity';
import { locksOfSite, siteOfPartner, sitesOfPartner } from '../../../relay/src/data/sites';
import { findNotificationSettings, notificationsFor, saveNotificationSettings } from '../../../relay/src/data/notifications';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;

async function ownerAndSite(store: Store): Promise<{ ownerId: number; siteId: number }> {
  const o = await insertOwner(store.q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
  const s = await store.q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
  return { ownerId: o.id, siteId: s.id };
}

describeEachStore('data layer: feeds and settings', (stores) => {
  it('pages the activity feed newest first and filters by exact kind or prefix, not by look-alikes', async () => {
    const store = await stores.fresh();
    const { siteId } = await ownerAndSite(store);
    const kinds = ['delivery.booked', 'delivery.entered', 'grant.created', 'deliveryXentered', 'delivery.entered.late'];
    for (const kind of kinds) await store.q.insertInto('activity').values({ site_id: siteId, at: T0, kind }).execute();
    const all = await activityOfSite(store.q, siteId, Number.MAX_SAFE_INTEGER, 10);
    expect(all.map((r) => r.kind)).toEqual([...kinds].reverse());
    expect((await activityOfSite(store.q, siteId, all[1]!.id, 2)).map((r) => r.kind)).toEqual(['grant.created', 'delivery.entered']);
    expect((await activityOfSite(store.q, siteId, Number.MAX_SAFE_INTEGER, 10, { exact: 'delivery.entered' })).map((r) => r.kind)).toEqual(['delivery.entered']);
    expect((await activityOfSite(store.q, siteId, Number.MAX_SAFE_INTEGER, 10, { prefix: 'delivery.' })).map((r) => r.kind))
      .toEqual(['delivery.entered.late', 'delivery.entered', 'delivery.booked']);
  });

  it('inserts many activity rows at once and gives each back as stored, in the order given, over several statements', async () => {
    const store = await stores.fresh();
    const { siteId } = await ownerAndSite(store);
    const rows = Array.from({ length: ACTIVITY_PER_INSERT + 2 }, (_, i) => ({
      site_id: siteId, device_id: null, at: T0 + i, kind: 'k' + i, reason: i % 2 ? 'r' + i : null, code: i, actor_kind: null, actor_id: null, grant_id: null,
      delivery_id: null, event_seq: i + 100, clip: null, details: JSON.stringify({ i })
    }));
    const stored = await store.tx((q) => insertActivities(q, rows));
    expect(stored.map((r) => [r.kind, r.reason, Number(r.at), r.event_seq, r.details])).toEqual(rows.map((r) => [r.kind, r.reason, r.at, r.event_seq, r.details]));
    const ids = stored.map((r) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const feed = await activityOfSite(store.q, siteId, Number.MAX_SAFE_INTEGER, 100);
    expect(feed.map((r) => [r.id, r.kind])).toEqual(stored.map((r) => [r.id, r.kind]).reverse());
  });

  it('creates then replaces an owner\'s notification settings, and lists only that recipient\'s notifications', async () => {
    const store = await stores.fresh();
    const { ownerId } = await ownerAndSite(store);
    const base = { owner_id: ownerId, email: 'a@x.org', email_on: 1, ntfy_url: null, ntfy_token: null, ntfy_on: 0, events: '["delivery.entered"]', updated_at: T0 };
    await saveNotificationSettings(store.q, base);
    await saveNotificationSettings(store.q, { ...base, email_on: 0, ntfy_url: 'https://ntfy.example/t', ntfy_on: 1, updated_at: T0 + 1 });
    expect(await findNotificationSettings(store.q, ownerId)).toEqual({ ...base, email_on: 0, ntfy_url: 'https://ntfy.example/t', ntfy_on: 1, updated_at: T0 + 1 });
    for (const [kind, id] of [['owner', ownerId], ['courier', ownerId], ['owner', ownerId + 1]] as const) {
      await store.q.insertInto('notifications').values({ recipient_kind: kind, recipient_id: id, kind: 'k', body: '{}', created_at: T0 }).execute();
    }
    const mine = await notificationsFor(store.q, 'owner', ownerId, Number.MAX_SAFE_INTEGER, 10);
    expect(mine.map((n) => [n.recipient_kind, n.recipient_id])).toEqual([['owner', ownerId]]);
  });

  it('shows a backend only the sites that made it a partner, with their locks in registration order', async () => {
    const store = await stores.fresh();
    const { ownerId, siteId } = await ownerAndSite(store);
    const other = await store.q.insertInto('sites').values({ owner_id: ownerId, name: 'other', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
    const [b1, b2] = [await insertBackend(store.q, { name: 'b1', scopes: [], at: T0 }), await insertBackend(store.q, { name: 'b2', scopes: [], at: T0 })];
    await store.q.insertInto('site_partners').values([{ site_id: siteId, backend_id: b1.id, created_at: T0 }, { site_id: other.id, backend_id: b2.id, created_at: T0 }]).execute();
    const dev = (id: string, at: number) => ({ id, site_id: siteId, name: 'n' + id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: at, signing_key_id: 1 });
    await store.q.insertInto('devices').values([dev('bb', T0 + 1), dev('aa', T0 + 2), dev('cc', T0 + 1)]).execute();
    expect(await sitesOfPartner(store.q, b1.id)).toEqual([{ id: siteId, name: 's', timezone: 'UTC', allow_in_home: 0 }]);
    expect(await siteOfPartner(store.q, b1.id, other.id)).toBeUndefined();
    expect((await siteOfPartner(store.q, b2.id, other.id))?.name).toBe('other');
    expect((await locksOfSite(store.q, siteId)).map((l) => [l.id, l.online])).toEqual([['bb', 0], ['cc', 0], ['aa', 0]]);
  });
});

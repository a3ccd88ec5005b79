/**
 * The joined delivery reads (data/delivery-reads.ts) give, in one statement, the same rows the
 * separate reads give, on both stores: the courier entry's (delivery, site, partnership, the
 * lock's readiness columns, grant) and the view's (delivery, site, grant status); and a move
 * that returns the row it wrote (data/deliveries.ts moveDeliveryRow).
 */
import { expect, it } from 'vitest';
import { insertBackend, insertCourier, insertOwner } from '../../../relay/src/data/accounts';
import { findDelivery, moveDeliveryRow } from '../../../relay/src/data/deliveries';
import { readForCourierEntry, readForDeliveryView } from '../../../relay/src/data/delivery-reads';
import { findGrant, insertGrant } from '../../../relay/src/data/grants';
import { findSite } from '../../../relay/src/data/sites';
import type { Store } from '@keyway/relay';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;

async function world(store: Store) {
  const owner = (await insertOwner(store.q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 })).id;
  const site = (await store.q.insertInto('sites').values({ owner_id: owner, name: 'home', address: '1 Road', timezone: 'UTC', allow_in_home: 1, created_at: T0 })
    .returning('id').executeTakeFirstOrThrow()).id;
  await store.q.insertInto('devices').values({
    id: 'aa', site_id: site, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1, online: 1, last_seen: T0 + 3, flags: 5
  }).execute();
  const backend = (await insertBackend(store.q, { name: 'b', scopes: [], at: T0 })).id;
  await store.q.insertInto('site_partners').values({ site_id: site, backend_id: backend, created_at: T0 }).execute();
  const courier = (await insertCourier(store.q, { backendId: backend, name: 'c', at: T0 })).id;
  const delivery = async (grantId: number | null) => (await store.q.insertInto('deliveries').values({
    site_id: site, device_id: 'aa', backend_id: backend, courier_id: courier, tracking: 't', window_start: T0, window_end: T0 + 10, in_home: 1, status: 'booked',
    grant_id: grantId, created_at: T0, updated_at: T0
  }).returning('id').executeTakeFirstOrThrow()).id;
  return { owner, site, backend, delivery };
}

async function grant(store: Store, site: number) {
  return insertGrant(store.q, {
    device_id: 'aa', site_id: site, kind: 'courier', type: 'one-time', label: 'g', flags: 3, not_before: T0, not_after: T0 + 10, max_uses: 1, relock_after: 0,
    timezone: 'UTC', tz_offset: 0, schedule: '[]', cred_type: 1, chain_seed: 'seed', chain_links: 1, commitment: 'cc', created_by: 'test', created_at: T0, updated_at: T0
  });
}

describeEachStore('data layer: joined delivery reads', (stores) => {
  it('reads a delivery with its site, partnership, lock and grant as the separate reads do', async () => {
    const store = await stores.fresh();
    const w = await world(store);
    const g = await grant(store, w.site);
    const id = await w.delivery(g.id);
    const r = (await readForCourierEntry(store.q, id))!;
    expect(r.delivery).toEqual(await findDelivery(store.q, id));
    expect(r.site).toEqual(await findSite(store.q, w.site));
    expect(r.grant).toEqual(await findGrant(store.q, g.id));
    expect(r.partner).toBe(true);
    expect(r.lock).toEqual({ id: 'aa', online: 1, last_seen: T0 + 3, flags: 5 });
    // No grant; the backend no longer the site's partner; no such delivery.
    const bare = await w.delivery(null);
    await store.q.deleteFrom('site_partners').execute();
    const r2 = (await readForCourierEntry(store.q, bare))!;
    expect(r2.grant).toBeUndefined();
    expect(r2.partner).toBe(false);
    expect(r2.delivery).toEqual(await findDelivery(store.q, bare));
    expect(await readForCourierEntry(store.q, bare + 100)).toBeUndefined();
  });

  it('reads a delivery with what its view shows of its site and grant', async () => {
    const store = await stores.fresh();
    const w = await world(store);
    const g = await grant(store, w.site);
    const id = await w.delivery(g.id);
    const v = (await readForDeliveryView(store.q, id))!;
    expect(v).toEqual({ delivery: await findDelivery(store.q, id), site: { name: 'home', address: '1 Road', timezone: 'UTC' }, grantStatus: 'pending' });
    const bare = await w.delivery(null);
    expect((await readForDeliveryView(store.q, bare))!.grantStatus).toBeUndefined();
    expect(await readForDeliveryView(store.q, bare + 100)).toBeUndefined();
  });

  it('moves a delivery and returns the row as written, or nothing when it had moved meanwhile', async () => {
    const store = await stores.fresh();
    const w = await world(store);
    const id = await w.delivery(null);
    const moved = await store.tx((q) => moveDeliveryRow(q, id, 'booked', 'entering', { entry_seq: 4, clip: 'c' }, T0 + 5));
    expect(moved).toEqual(await findDelivery(store.q, id));
    expect(moved).toMatchObject({ status: 'entering', entry_seq: 4, clip: 'c', updated_at: T0 + 5 });
    expect(await moveDeliveryRow(store.q, id, 'booked', 'entering', {}, T0 + 6)).toBeUndefined();
  });
});

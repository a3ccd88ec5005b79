import { expect, it } from 'vitest';
import { insertBackend, insertCourier, insertOwner } from '../../../relay/src/data/accounts';
import {
  deliveriesAtTheDoor, deliveriesEnteredBefore, deliveriesVisibleTo, findDelivery, moveDelivery, setDeliveryAlarms, setDeliveryGrant
} from '../../../relay/src/data/deliveries';
import type { Store } from '@keyway/relay';
import { MIGRATIONS } from '@keyway/relay';
import { DELIVERY_STATUSES } from '../../../relay/src/domain/delivery-states';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;

async function world(store: Store) {
  const ownerA = (await insertOwner(store.q, { email: 'a@x.org', name: 'a', passwordHash: 'h', at: T0 })).id;
  const ownerB = (await insertOwner(store.q, { email: 'b@x.org', name: 'b', passwordHash: 'h', at: T0 })).id;
  const site = async (owner: number) => (await store.q.insertInto('sites').values({ owner_id: owner, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow()).id;
  const siteA = await site(ownerA);
  const siteB = await site(ownerB);
  for (const [id, s] of [['aa', siteA], ['bb', siteB]] as const) {
    await store.q.insertInto('devices').values({ id, site_id: s, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1 }).execute();
  }
  const b1 = (await insertBackend(store.q, { name: 'b1', scopes: [], at: T0 })).id;
  const b2 = (await insertBackend(store.q, { name: 'b2', scopes: [], at: T0 })).id;
  await store.q.insertInto('site_partners').values({ site_id: siteA, backend_id: b1, created_at: T0 }).execute();
  const c1 = (await insertCourier(store.q, { backendId: b1, name: 'c1', at: T0 })).id;
  const c2 = (await insertCourier(store.q, { backendId: b2, name: 'c2', at: T0 })).id;
  return { ownerA, siteA, siteB, b1, b2, c1, c2 };
}

describeEachStore('data layer: delivery status changes', (stores) => {
  it('moves a delivery only from the status it was read in: of two racing changes exactly one applies', async () => {
    const store = await stores.fresh();
    const o = await insertOwner(store.q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
    const site = await store.q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
    await store.q.insertInto('devices').values({ id: 'aa', site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1 }).execute();
    const b = await insertBackend(store.q, { name: 'b', scopes: [], at: T0 });
    const c = await insertCourier(store.q, { backendId: b.id, name: 'c', at: T0 });
    const d = await store.q.insertInto('deliveries').values({
      site_id: site.id, device_id: 'aa', backend_id: b.id, courier_id: c.id, tracking: 't', window_start: T0, window_end: T0 + 1, in_home: 1, status: 'entering', created_at: T0, updated_at: T0
    }).returning('id').executeTakeFirstOrThrow();
    const racing = await Promise.all([
      store.tx((q) => moveDelivery(q, d.id, 'entering', 'unlocked', { entry_seq: 7, entry_method: 'command' }, T0 + 5)),
      store.tx((q) => moveDelivery(q, d.id, 'entering', 'booked', {}, T0 + 6))
    ]);
    expect(racing.sort()).toEqual([false, true]);
    const row = await store.q.selectFrom('deliveries').select(['status', 'entry_seq', 'updated_at']).where('id', '=', d.id).executeTakeFirstOrThrow();
    expect(['unlocked', 'booked']).toContain(row.status);
    expect(row.entry_seq).toBe(row.status === 'unlocked' ? 7 : null);
    expect(await moveDelivery(store.q, d.id, 'entering', 'failed', {}, T0 + 7)).toBe(false);
    // The database itself refuses a status outside the state machine, on insert and on update.
    await expect(moveDelivery(store.q, d.id, row.status, 'unlockd', {}, T0 + 8)).rejects.toThrow(/deliveries_status/);
    await expect(store.q.insertInto('deliveries').values({
      site_id: site.id, device_id: 'aa', backend_id: b.id, courier_id: c.id, tracking: 't2', window_start: T0, window_end: T0 + 1, in_home: 1, status: 'done', created_at: T0, updated_at: T0
    }).execute()).rejects.toThrow(/deliveries_status/);
    expect((await store.q.selectFrom('deliveries').select('status').where('id', '=', d.id).executeTakeFirstOrThrow()).status).toBe(row.status);
  });

  it('lists to each viewer only what they may see, and finds the deliveries a lock event moves', async () => {
    const store = await stores.fresh();
    const w = await world(store);
    const book = (courier: number, backend: number, status: string, entrySeq: number | null, enteredAt: number | null = null) => store.q.insertInto('deliveries').values({
      site_id: w.siteA, device_id: 'aa', backend_id: backend, courier_id: courier, tracking: 't', window_start: T0, window_end: T0 + 1, in_home: 1, status,
      entry_seq: entrySeq, entered_at: enteredAt, created_at: T0, updated_at: T0
    }).returning('id').executeTakeFirstOrThrow().then((r) => r.id);
    const unlocked = await book(w.c1, w.b1, 'unlocked', 5);
    const entered = await book(w.c1, w.b1, 'entered', 9);
    const secured = await book(w.c2, w.b2, 'secured', 3, T0 - 10);
    const booked = await book(w.c2, w.b2, 'booked', null);
    const elsewhere = (await store.q.insertInto('deliveries').values({
      site_id: w.siteB, device_id: 'bb', backend_id: w.b1, courier_id: w.c1, tracking: 'x', window_start: T0, window_end: T0 + 1, in_home: 1, status: 'booked', created_at: T0, updated_at: T0
    }).returning('id').executeTakeFirstOrThrow()).id;
    const ids = async (viewer: Parameters<typeof deliveriesVisibleTo>[1], f: { siteId?: number; status?: string; limit?: number } = {}) =>
      (await deliveriesVisibleTo(store.q, viewer, { limit: 50, ...f })).map((d) => d.id);
    expect(await ids({ kind: 'admin' })).toEqual([elsewhere, booked, secured, entered, unlocked]);
    expect(await ids({ kind: 'courier', id: w.c1 })).toEqual([elsewhere, entered, unlocked]);
    // b1 is a partner at site A only: its delivery at site B is not listed.
    expect(await ids({ kind: 'backend', id: w.b1 })).toEqual([entered, unlocked]);
    expect(await ids({ kind: 'backend', id: w.b2 })).toEqual([]);
    expect(await ids({ kind: 'owner', id: w.ownerA })).toEqual([booked, secured, entered, unlocked]);
    expect(await ids({ kind: 'owner', id: w.ownerA }, { status: 'entered' })).toEqual([entered]);
    expect(await ids({ kind: 'admin' }, { siteId: w.siteB })).toEqual([elsewhere]);
    expect(await ids({ kind: 'admin' }, { limit: 2 })).toEqual([elsewhere, booked]);

    // A lock event at seq 8 moves the unlocked delivery (entry at 5), not the one entered at 9.
    expect((await deliveriesEnteredBefore(store.q, 'aa', ['unlocked', 'entered'], 8)).map((d) => d.id)).toEqual([unlocked]);
    expect((await deliveriesEnteredBefore(store.q, 'aa', ['unlocked', 'entered'], 10)).map((d) => d.id)).toEqual([unlocked, entered]);
    expect(await deliveriesEnteredBefore(store.q, 'bb', ['unlocked'], 100)).toEqual([]);
    expect((await deliveriesAtTheDoor(store.q, 'aa', ['unlocked', 'entered'], T0 - 20)).map((d) => d.id)).toEqual([unlocked, entered, secured]);
    expect((await deliveriesAtTheDoor(store.q, 'aa', ['unlocked', 'entered'], T0 - 10)).map((d) => d.id)).toEqual([unlocked, entered]);

    await setDeliveryAlarms(store.q, entered, '[{"alarm":"door_ajar"}]', T0 + 3);
    await setDeliveryGrant(store.q, entered, 77);
    const row = (await findDelivery(store.q, entered))!;
    expect([row.alarms, row.updated_at, row.grant_id]).toEqual(['[{"alarm":"door_ajar"}]', T0 + 3, 77]);
    expect(await findDelivery(store.q, 999_999)).toBeUndefined();
  });

  it('lists in the database constraint exactly the state machine\'s statuses', () => {
    const m = MIGRATIONS.find((x) => x.name.includes('delivery status'))!;
    for (const text of [m.sql, m.postgres]) {
      for (const list of text.match(/IN \(([^)]*)\)/g)!) expect(list.slice(4, -1).split(',').map((x) => x.replace(/'/g, ''))).toEqual([...DELIVERY_STATUSES]);
    }
  });
});

import { expect, it } from 'vitest';
import { insertBackend, insertCourier, insertOwner } from '../../../relay/src/data/accounts';
import { transitionQuery } from '../../../relay/src/data/deliveries';
import { MIGRATIONS } from '@keyway/relay';
import { DELIVERY_STATUSES } from '../../../relay/src/domain/delivery-states';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;

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
      store.tx((q) => transitionQuery(q, d.id, 'entering', 'unlocked', { entry_seq: 7, entry_method: 'command' }, T0 + 5).executeTakeFirst()),
      store.tx((q) => transitionQuery(q, d.id, 'entering', 'booked', {}, T0 + 6).executeTakeFirst())
    ]);
    expect(racing.map((r) => Number(r.numUpdatedRows)).sort()).toEqual([0, 1]);
    const row = await store.q.selectFrom('deliveries').select(['status', 'entry_seq', 'updated_at']).where('id', '=', d.id).executeTakeFirstOrThrow();
    expect(['unlocked', 'booked']).toContain(row.status);
    expect(row.entry_seq).toBe(row.status === 'unlocked' ? 7 : null);
    expect(Number((await transitionQuery(store.q, d.id, 'entering', 'failed', {}, T0 + 7).executeTakeFirst()).numUpdatedRows)).toBe(0);
    // The database itself refuses a status outside the state machine, on insert and on update.
    await expect(transitionQuery(store.q, d.id, row.status, 'unlockd', {}, T0 + 8).execute()).rejects.toThrow(/deliveries_status/);
    await expect(store.q.insertInto('deliveries').values({
      site_id: site.id, device_id: 'aa', backend_id: b.id, courier_id: c.id, tracking: 't2', window_start: T0, window_end: T0 + 1, in_home: 1, status: 'done', created_at: T0, updated_at: T0
    }).execute()).rejects.toThrow(/deliveries_status/);
    expect((await store.q.selectFrom('deliveries').select('status').where('id', '=', d.id).executeTakeFirstOrThrow()).status).toBe(row.status);
  });

  it('lists in the database constraint exactly the state machine\'s statuses', () => {
    const m = MIGRATIONS.find((x) => x.name.includes('delivery status'))!;
    for (const text of [m.sql, m.postgres]) {
      for (const list of text.match(/IN \(([^)]*)\)/g)!) expect(list.slice(4, -1).split(',').map((x) => x.replace(/'/g, ''))).toEqual([...DELIVERY_STATUSES]);
    }
  });
});

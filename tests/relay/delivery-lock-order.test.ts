// Row-lock order of the delivery changes that revoke a staged grant. The lock's own
// transactions (event intake, sync) take its device row first and then a delivery row (an
// OPERATION moves the delivery). A cancel or block that held the delivery row and then asked
// for the device row (to issue the GRANT_REVOKE) deadlocked against them on PostgreSQL: one of
// the two failed with 40P01. SQLite's single writer cannot show it; the postgres project can.
import { describe, expect, it } from 'vitest';
import { lockDevice } from '../../relay/src/data/devices';
import { addLock, bookDelivery, expectOk, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

/** How long the owner's change runs against the held device row before that transaction goes on. */
const SETTLE_MS = 300;

describe('delivery changes take the device row before the delivery row', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => {
    h = hh;
    w = ww;
  });

  /** What the intake of an OPERATION does: the device row, a pause, then the delivery (or parcel) row. */
  async function holdDeviceThenTouch(rowId: number, during: () => Promise<{ status: number; body: any }>, deviceId = w.deviceId, table: 'deliveries' | 'parcels' = 'deliveries') {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const deviceLocked = new Promise<void>((r) => (locked = r));
    const lockSide = h.relay.ctx.store.tx(async (q) => {
      await lockDevice(q, deviceId);
      locked();
      await released;
      if (table === 'deliveries') await q.updateTable('deliveries').set({ updated_at: h.clock.now() }).where('id', '=', rowId).execute();
      else await q.updateTable('parcels').set({ opened_at: null }).where('id', '=', rowId).execute();
      return 'committed';
    });
    await deviceLocked;
    const change = during();
    // Long enough for the change to take every row lock it can before it must wait.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    release();
    expect(await lockSide).toBe('committed');
    return change;
  }

  it('a cancel while the lock holds its device row waits, and both succeed', async () => {
    const d = await bookDelivery(h, w);
    const r = await holdDeviceThenTouch(d.id, () => h.api('POST', '/v1/deliveries/' + d.id + '/cancel', { token: w.backend.token }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('cancelled');
  });

  it('a block while the lock holds its device row waits, and both succeed', async () => {
    const d = await bookDelivery(h, w);
    const r = await holdDeviceThenTouch(d.id, () => h.api('POST', '/v1/deliveries/' + d.id + '/block', { token: w.owner.token, body: { reason: 'away' } }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('blocked');
  });

  it('an unblock (which stages a fresh grant) while the lock holds its device row waits, and both succeed', async () => {
    const d = await bookDelivery(h, w);
    expect((await h.api('POST', '/v1/deliveries/' + d.id + '/block', { token: w.owner.token, body: {} })).status).toBe(200);
    const r = await holdDeviceThenTouch(d.id, () => h.api('POST', '/v1/deliveries/' + d.id + '/unblock', { token: w.owner.token }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('booked');
  });

  it("cancelling a parcel while the box holds its device row waits, and both succeed", async () => {
    const box = await addLock(h, w.installer, w.site.id, 'box');
    const window = { start: new Date(h.clock.now() - 60_000).toISOString(), end: new Date(h.clock.now() + 3600_000).toISOString() };
    const parcel = await expectOk(h.api('POST', '/v1/parcels', { token: w.backend.token, body: { siteId: w.site.id, trackingNumber: '1Z999AA10123456784', window } }), 201);
    await waitUntil(async () => (await h.api('GET', '/v1/parcels/' + parcel.id, { token: w.backend.token })).body.staged, 5000, 'parcel staged');
    const r = await holdDeviceThenTouch(parcel.id, () => h.api('DELETE', '/v1/parcels/' + parcel.id, { token: w.backend.token }), box.deviceId, 'parcels');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('cancelled');
    await box.lock.close();
  });
  it('withdrawing the delivery partner while the lock holds its device row waits, and both succeed', async () => {
    const d = await bookDelivery(h, w);
    const r = await holdDeviceThenTouch(d.id, () => h.api('DELETE', '/v1/sites/' + w.site.id + '/partners/' + w.backend.id, { token: w.owner.token }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const after = await h.api('GET', '/v1/deliveries/' + d.id, { token: w.owner.token });
    expect(after.body.status).toBe('cancelled');
  });
});

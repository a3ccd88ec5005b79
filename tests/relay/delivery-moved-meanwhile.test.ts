/**
 * A cancel or block reads the delivery before its transaction, then moves it only if its status
 * is still the one read. A delivery blocked and unblocked in between is back in that status, but
 * with another courier grant (the unblock stages a fresh one): the move must revoke that grant,
 * the one the delivery now has, not the one first read (already revoked by the block), or the
 * fresh grant stays staged on the lock for a delivery cancelled or blocked. On both stores: the
 * read is outside the transaction on either. And a partner withdrawal, which reads the partner's
 * deliveries to know which locks' rows to take, cancels them as they are once it holds those rows.
 */
import { describe, expect, it } from 'vitest';
import { lockDevice } from '../../relay/src/data/devices';
import { bookDelivery, expectOk, someoneWaitsForLock, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

describe('a cancel or block whose delivery was blocked and unblocked since it was read', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => {
    h = hh;
    w = ww;
  });

  const grantOf = async (deliveryId: number) => (await h.relay.ctx.store.q.selectFrom('deliveries').select('grant_id').where('id', '=', deliveryId).executeTakeFirstOrThrow()).grant_id;
  const grantStatus = async (id: number) => (await h.relay.ctx.store.q.selectFrom('grants').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

  /** Runs `action` on a booked delivery with a block and an unblock committed between its read and its transaction. */
  async function withBlockAndUnblockBetween(step: RegExp, action: (id: number) => Promise<{ status: number; body: any }>) {
    const d = await bookDelivery(h, w);
    const first = (await grantOf(d.id))!;
    const store = h.relay.ctx.store;
    const tx = store.tx;
    let moved = false;
    store.tx = async (fn) => {
      if (!moved && step.test(new Error().stack ?? '')) {
        moved = true;
        await expectOk(h.api('POST', `/v1/deliveries/${d.id}/block`, { token: w.owner.token, body: { reason: 'meanwhile' } }));
        await expectOk(h.api('POST', `/v1/deliveries/${d.id}/unblock`, { token: w.owner.token }));
      }
      return tx(fn);
    };
    let r;
    try {
      r = await action(d.id);
    } finally {
      store.tx = tx;
    }
    expect(moved).toBe(true);
    const fresh = (await grantOf(d.id))!;
    expect(fresh).not.toBe(first);
    return { r, first, fresh };
  }

  it('a cancel revokes the grant the delivery has when it moves', async () => {
    const { r, first, fresh } = await withBlockAndUnblockBetween(/\bcancelDelivery\b/, (id) => h.api('POST', `/v1/deliveries/${id}/cancel`, { token: w.owner.token }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('cancelled');
    expect(await grantStatus(first)).toMatch(/^revok/);
    expect(await grantStatus(fresh)).toMatch(/^revok/);
  });

  it('a block revokes the grant the delivery has when it moves', async () => {
    const { r, first, fresh } = await withBlockAndUnblockBetween(/\bblockDelivery\b/, (id) => h.api('POST', `/v1/deliveries/${id}/block`, { token: w.owner.token, body: { reason: 'late' } }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('blocked');
    expect(await grantStatus(first)).toMatch(/^revok/);
    expect(await grantStatus(fresh)).toMatch(/^revok/);
  });

  it('a partner withdrawal cancels, and revokes the grant of, a delivery an entry moved while the withdrawal waited for the lock\'s row (PostgreSQL)', async (t) => {
    const store = h.relay.ctx.store;
    if (store.dialect !== 'postgres') return t.skip();
    const d = await bookDelivery(h, w);
    const grant = (await grantOf(d.id))!;
    // What a courier entry does: the lock's row first, then the delivery to entering, committed
    // after the withdrawal has read the delivery as booked and is waiting for that row.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const locked = new Promise<void>((r) => (held = r));
    const entry = store.tx(async (q) => {
      await lockDevice(q, w.deviceId);
      held();
      await gate;
      await q.updateTable('deliveries').set({ status: 'entering' }).where('id', '=', d.id).execute();
    });
    await locked;
    const withdraw = h.api('DELETE', `/v1/sites/${w.site.id}/partners/${w.backend.id}`, { token: w.owner.token });
    try {
      await waitUntil(() => someoneWaitsForLock(h), 5000, 'the withdrawal waiting for the lock\'s row');
    } finally {
      release();
      await entry;
    }
    const r = await withdraw;
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await h.relay.ctx.store.q.selectFrom('deliveries').select('status').where('id', '=', d.id).executeTakeFirstOrThrow()).status).toBe('cancelled');
    expect(await grantStatus(grant)).toMatch(/^revok/);
  });
});

/**
 * The courier entry's refusals in their order of precedence, each with its code and details,
 * when several apply at once (the delivery, its site, the partnership and the lock read in one
 * statement must refuse exactly as separate reads did); 404, never a refusal, for a delivery
 * the caller may not see. And a delivery's view as its events show it (built from a joined read
 * or from the row the move returned) is, byte for byte, the view read back afterwards with
 * separate reads, on both stores.
 */
import { describe, expect, it } from 'vitest';
import { ST_CAMERA_OK, ST_JAMMED, ST_LOCKOUT } from '@keyway/shared';
import { deliveryView, getDelivery, onDeliveryUnlocked, viewEmittedIn } from '../../relay/src/domain/deliveries';
import type { Q } from '../../relay/src/data/store';
import { bookDelivery, countRows, expectOk, seedWorld, someoneWaitsForLock, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

describe('courier entry checks and delivery views', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; }, { webhooks: { allowPrivateTargets: true } });

  let keys = 0;
  const entry = (id: number, token = w.courier.token) => h.api('POST', `/v1/deliveries/${id}/entry`, { token, headers: { 'idempotency-key': 'checks-' + ++keys } });
  const setDelivery = (id: number, set: Record<string, unknown>) => h.relay.ctx.store.q.updateTable('deliveries').set(set).where('id', '=', id).execute();
  const setLock = (set: Record<string, unknown>) => h.relay.ctx.store.q.updateTable('devices').set(set).where('id', '=', w.deviceId).execute();
  const waitUntilStaged = (id: number) => waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + id, { token: w.backend.token })).body.staged, 5000, 'courier grant staged');
  const setSite = (set: Record<string, unknown>) => h.relay.ctx.store.q.updateTable('sites').set(set).where('id', '=', w.site.id).execute();

  /**
   * The lock made quiet for steps that write its row by hand: nothing pending for it, it answers
   * nothing more (each command it answers ends with a status, whose flags would overwrite what a
   * step wrote), and every status it sent is stored (a marker status, stored after the earlier
   * ones in the lock's queue). Returns what gives the lock its voice back.
   */
  async function quietLock(): Promise<() => void> {
    await waitUntil(async () => (await countRows(h, 'commands', { device_id: w.deviceId, status: 'pending' })) === 0, 5000, 'nothing pending for the lock');
    w.lock.answer = false;
    const batteryMv = w.lock.batteryMv;
    w.lock.batteryMv = batteryMv + 1;
    await w.lock.publishStatus();
    await waitUntil(async () => (await h.relay.ctx.store.q.selectFrom('devices').select('battery').where('id', '=', w.deviceId).executeTakeFirst())?.battery === batteryMv + 1,
      5000, 'the marker status stored');
    return () => {
      w.lock.batteryMv = batteryMv;
      w.lock.answer = true;
    };
  }

  it('refuses with the first check that fails, in order: partner, cancelled, blocked, closed, window, in-home, lock', async () => {
    const d = await bookDelivery(h, w);
    const voice = await quietLock();
    const lock = await h.relay.ctx.store.q.selectFrom('devices').select(['online', 'flags']).where('id', '=', w.deviceId).executeTakeFirstOrThrow();
    const now = h.clock.now();
    const past = { window_start: now - 7200_000, window_end: now - 3600_000 };
    // Everything wrong at once; each step puts right the check that refused. (The lock's last_seen
    // moves with its traffic meanwhile: only its form is checked.)
    await h.relay.ctx.store.q.deleteFrom('site_partners').where('site_id', '=', w.site.id).execute();
    await setDelivery(d.id, { status: 'cancelled', in_home: 0, ...past });
    await setSite({ allow_in_home: 0 });
    await setLock({ online: 0, flags: null });
    const steps: Array<[() => Promise<unknown>, number, string, Record<string, unknown> | undefined]> = [
      [async () => undefined, 403, 'KW_PARTNER_WITHDRAWN', undefined],
      [() => h.relay.ctx.store.q.insertInto('site_partners').values({ site_id: w.site.id, backend_id: w.backend.id, created_at: now }).execute(), 409, 'KW_DELIVERY_CANCELLED', undefined],
      [() => setDelivery(d.id, { status: 'blocked', block_reason: 'why' }), 403, 'KW_DELIVERY_BLOCKED', { reason: 'why' }],
      [() => setDelivery(d.id, { status: 'secured' }), 409, 'KW_DELIVERY_CLOSED', { status: 'secured' }],
      [() => setDelivery(d.id, { status: 'entering' }), 403, 'KW_OUTSIDE_WINDOW', { window: { start: new Date(past.window_start).toISOString(), end: new Date(past.window_end).toISOString() } }],
      [() => setDelivery(d.id, { window_start: now - 60_000, window_end: now + 3600_000 }), 403, 'KW_IN_HOME_NOT_ALLOWED', { site: false, delivery: false }],
      [() => setDelivery(d.id, { in_home: 1 }), 403, 'KW_IN_HOME_NOT_ALLOWED', { site: false, delivery: true }],
      [() => setSite({ allow_in_home: 1 }), 503, 'KW_LOCK_OFFLINE', { deviceId: w.deviceId, lastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }],
      [() => setLock({ online: 1 }), 503, 'KW_LOCK_UNAVAILABLE', { deviceId: w.deviceId, status: 'no status yet' }],
      [() => setLock({ flags: lock.flags! & ~ST_CAMERA_OK }), 503, 'KW_CAMERA_UNHEALTHY', { deviceId: w.deviceId }],
      [() => setLock({ flags: lock.flags! | ST_CAMERA_OK | ST_JAMMED }), 503, 'KW_LOCK_UNAVAILABLE', { deviceId: w.deviceId, jammed: true, lockout: false }],
      [() => setLock({ flags: (lock.flags! | ST_CAMERA_OK | ST_LOCKOUT) & ~ST_JAMMED }), 503, 'KW_LOCK_UNAVAILABLE', { deviceId: w.deviceId, jammed: false, lockout: true }]
    ];
    const seen: string[] = [];
    try {
      for (const [fix, status, code, details] of steps) {
        await fix();
        const r = await entry(d.id);
        expect(r.body.error?.code, JSON.stringify(r.body)).toBe(code);
        expect(r.status).toBe(status);
        expect(r.body.error.details).toEqual(details);
        seen.push(code);
      }
    } finally {
      // The world as it was for the next tests, whatever step failed.
      voice();
      await setLock({ online: lock.online, flags: lock.flags });
      await setSite({ allow_in_home: 1 });
      await h.relay.ctx.store.q.insertInto('site_partners').values({ site_id: w.site.id, backend_id: w.backend.id, created_at: now })
        .onConflict((oc) => oc.columns(['site_id', 'backend_id']).doNothing()).execute();
    }
    // Each refusal is in the owner's feed, with its reason, newest first.
    const feed = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/activity?kind=entry.refused`, { token: w.owner.token }));
    expect(feed.items.filter((i: any) => i.deliveryId === d.id).map((i: any) => i.reason)).toEqual([...seen].reverse());
  });

  it('answers 404, recording nothing, for a delivery the caller may not see, however its checks would go', async () => {
    const other = await seedWorld(h);
    try {
      const d = await bookDelivery(h, w);
      const before = await h.relay.ctx.store.q.selectFrom('activity').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const unknown = await entry(d.id + 10_000);
      expect(unknown.status).toBe(404);
      // Another backend's courier, another backend, another owner: as if it did not exist.
      for (const token of [other.courier.token, other.backend.token]) {
        const r = await entry(d.id, token);
        expect(r.status).toBe(404);
        expect(r.body).toEqual(unknown.body);
      }
      // Its own backend, no longer the site's partner: 404 (it may no longer see the delivery), not a refusal.
      await h.relay.ctx.store.q.deleteFrom('site_partners').where('site_id', '=', w.site.id).execute();
      const withdrawn = await entry(d.id, w.backend.token);
      expect(withdrawn.status).toBe(404);
      expect(withdrawn.body).toEqual(unknown.body);
      // ... while its courier, who still sees it, is refused for it.
      expect((await entry(d.id)).body.error.code).toBe('KW_PARTNER_WITHDRAWN');
      const after = await h.relay.ctx.store.q.selectFrom('activity').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      // Only the courier's refusal was recorded.
      expect(Number(after.n) - Number(before.n)).toBe(1);
    } finally {
      await h.relay.ctx.store.q.insertInto('site_partners').values({ site_id: w.site.id, backend_id: w.backend.id, created_at: h.clock.now() })
        .onConflict((oc) => oc.columns(['site_id', 'backend_id']).doNothing()).execute();
      await other.lock.close();
    }
  });

  it('shows a delivery in its events as it reads back afterwards, byte for byte (booking, block, cancel, the OPERATION\'s unlock)', async () => {
    const hook = await expectOk(h.api('POST', '/v1/webhooks', { token: w.backend.token, body: { url: 'http://127.0.0.1:9/hooks', events: ['*'] } }), 201);
    const ctx = h.relay.ctx;
    const readBack = async (id: number) => JSON.stringify(await deliveryView(ctx, ctx.store.q, (await getDelivery(ctx.store.q, id))!));
    const lastHook = async (id: number, event: string) => {
      const rows = await ctx.store.q.selectFrom('webhook_jobs').select('body').where('webhook_id', '=', hook.id).where('event', '=', event).orderBy('id', 'desc').execute();
      const body = rows.map((r) => JSON.parse(r.body)).find((b) => b.data.delivery.id === id);
      return JSON.stringify(body.data.delivery);
    };
    // A site with no address: its view shows null, not a missing key.
    await setSite({ address: null });
    // The booking's answer is the view its event showed (the grant not staged yet in both).
    const staged = await bookDelivery(h, w, { waitStaged: false });
    expect(staged).toEqual(JSON.parse(await lastHook(staged.id, 'delivery.booked')));
    await waitUntilStaged(staged.id);
    const doorstep = await bookDelivery(h, w, { inHome: false, waitStaged: false });
    for (const d of [staged, doorstep]) {
      // The OPERATION's unlock, with a clip and without: the event's view from the move's own row, against a read of the row in the same transaction.
      for (const clip of [null, 'clip:' + w.deviceId + ':7']) {
        const id = d.id;
        await setDelivery(id, { status: 'entering', entered_at: null, entry_method: null, entry_seq: null, clip: null });
        const [emitted, read] = await ctx.store.tx(async (q) => {
          await onDeliveryUnlocked(ctx, q, id, 'reveal', 4242, clip);
          return [JSON.stringify(viewEmittedIn(q, id)), JSON.stringify(await deliveryView(ctx, q, (await getDelivery(q, id))!))];
        });
        expect(emitted).toBe(read);
        expect(JSON.parse(emitted)).toMatchObject({ status: 'unlocked', entry: { method: 'reveal', eventSeq: 4242, clip }, site: { address: null } });
        expect(await lastHook(id, 'delivery.unlocked')).toBe(read);
        expect(await readBack(id)).toBe(read);
      }
    }
    // Block (its grant revoked by the edge's effects) and cancel: the answer is the event's view, and both are the delivery as it reads back.
    const blocked = await bookDelivery(h, w);
    const b = await expectOk(h.api('POST', `/v1/deliveries/${blocked.id}/block`, { token: w.owner.token, body: { reason: 'not today' } }));
    expect(b).toEqual(JSON.parse(await readBack(blocked.id)));
    expect(await lastHook(blocked.id, 'delivery.blocked')).toBe(await readBack(blocked.id));
    const cancelled = await bookDelivery(h, w);
    const c = await expectOk(h.api('POST', `/v1/deliveries/${cancelled.id}/cancel`, { token: w.backend.token }));
    expect(c).toEqual(JSON.parse(await readBack(cancelled.id)));
    expect(await lastHook(cancelled.id, 'delivery.cancelled')).toBe(await readBack(cancelled.id));
  });
});

describe('courier entry against a cancel committing meanwhile (PostgreSQL: transactions run side by side)', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; });

  /**
   * The delivery's courier asks to enter while `hold` runs in a transaction kept open until the
   * entry waits for a lock it holds; the entry's answer, and whether the lock was sent anything.
   */
  async function entryWhileHeld(deliveryId: number, key: string, hold: (q: Q) => Promise<void>) {
    const reveals = w.lock.reveals.length;
    const commands = w.lock.commands.length;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = h.relay.ctx.store.tx(async (q) => {
      await hold(q);
      await gate;
    });
    const res = h.api('POST', `/v1/deliveries/${deliveryId}/entry`, { token: w.courier.token, headers: { 'idempotency-key': key } });
    try {
      await waitUntil(() => someoneWaitsForLock(h), 5000, 'the entry waiting for the held transaction');
    } finally {
      release();
      await held;
    }
    const r = await res;
    return { r, lockSent: w.lock.reveals.length !== reveals || w.lock.commands.length !== commands };
  }

  it('refuses an entry whose delivery a transaction holding its lock cancels while the entry runs, and sends the lock nothing', async (t) => {
    if (h.relay.ctx.store.dialect !== 'postgres') return t.skip();
    const d = await bookDelivery(h, w);
    // As a cancel does (cancelDelivery, withdrawPartner): the lock's row first, then the delivery moved.
    const { r, lockSent } = await entryWhileHeld(d.id, 'race-' + d.id, async (q) => {
      await q.selectFrom('devices').select('id').where('id', '=', w.deviceId).forUpdate().execute();
      await q.updateTable('deliveries').set({ status: 'cancelled' }).where('id', '=', d.id).execute();
    });
    expect(r.body.error?.code, JSON.stringify(r.body)).toBe('KW_DELIVERY_CANCELLED');
    expect(lockSent).toBe(false);
    expect((await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.status).toBe('cancelled');
  });

  it('refuses an entry whose delivery is moved meanwhile by a transaction that does not take the lock\'s row, and sends the lock nothing', async (t) => {
    if (h.relay.ctx.store.dialect !== 'postgres') return t.skip();
    const d = await bookDelivery(h, w);
    // Moved by a transaction that does not take the lock's row first (none of the relay's does
    // today; this guards the next one): the entry reads it as booked, and its own move waits for
    // this one, then finds it moved and changes nothing.
    const { r, lockSent } = await entryWhileHeld(d.id, 'moved-' + d.id, async (q) => {
      await q.updateTable('deliveries').set({ status: 'failed' }).where('id', '=', d.id).execute();
    });
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body.error?.code).toBe('KW_CONFLICT');
    expect(lockSent).toBe(false);
    // Asked again (a new key), the delivery as it now stands refuses it.
    const again = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'moved-again-' + d.id } });
    expect(again.body.error?.code, JSON.stringify(again.body)).toBe('KW_DELIVERY_CLOSED');
  });
});

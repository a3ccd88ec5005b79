/**
 * docs/product.md#courier-delivery, end to end across processes: a backend books an in-home delivery, the courier
 * asks to enter, the lock (real firmware, simulated hardware) verifies, fires the camera,
 * unlocks; the courier opens and closes the door; the lock relocks; the relay sends the
 * secured receipt to courier and backend and tells the owner. Then every refusal: wrong
 * courier, wrong time, wrong address, blocked by the owner, and an unhealthy camera.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhook } from '@keyway/relay';
import { allOnline, eventually, startE2E, type E2E } from '../support/e2e-world';
import { scaled } from '../support/time-scale';

let e: E2E;
let hookServer: Server;
const hooks: Array<{ event: string; valid: boolean; body: any }> = [];
let hookSecret = '';

function window(startMs: number, lengthMs: number) {
  return { start: new Date(Date.now() + startMs).toISOString(), end: new Date(Date.now() + startMs + lengthMs).toISOString() };
}

async function book(over: Record<string, unknown> = {}) {
  const r = await e.api(e.world.backend.token, 'POST', '/v1/deliveries', {
    siteId: e.world.siteId, trackingNumber: 'TRK' + randomUUID().slice(0, 8), courierId: e.world.courier.id, inHome: true,
    window: window(-60_000, 3600_000), ...over
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

async function enter(token: string, id: number) {
  return e.api(token, 'POST', '/v1/deliveries/' + id + '/entry', undefined, { 'idempotency-key': randomUUID() });
}

beforeAll(async () => {
  hookServer = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const valid = req.headers['x-keyway-signature'] === signWebhook(hookSecret, String(req.headers['x-keyway-timestamp']), raw);
      hooks.push({ event: JSON.parse(raw).event, valid, body: JSON.parse(raw) });
      res.end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  e = await startE2E({ lockOptions: { relockAfterCloseMs: 1500 }, allowPrivateWebhooks: true });
  await allOnline(e);
  const h = await e.api(e.world.backend.token, 'POST', '/v1/webhooks', {
    url: 'http://127.0.0.1:' + (hookServer.address() as AddressInfo).port + '/hook', events: ['delivery.entered', 'delivery.secured', 'delivery.alarm']
  });
  hookSecret = h.body.secret;
}, scaled(90_000));

afterAll(async () => {
  await e?.close();
  hookServer?.close();
});

describe('courier in-home delivery (docs/product.md#courier-delivery)', () => {
  it('opens for the assigned courier in the window, relocks after the door closes, and sends the secured receipt', async () => {
    const lockId = e.world.locks[0].deviceId;
    const d = await book();
    await eventually('grant staged on the lock', async () => (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.id)).body.staged);
    const t0 = Date.now();
    const r = await enter(e.world.courier.token, d.id);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.outcome).toBe('opened');
    expect(r.body.method).toBe('reveal');
    expect(r.body.clip).toMatch(new RegExp('^clip:' + lockId + ':\\d+$'));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await e.fleet.ask(lockId, 'state')).unlocked).toBe(true);
    // The camera fired before the bolt moved (lock log order).
    const ev = (await e.fleet.ask(lockId, 'events')).events as Array<{ type: number; code: number; ref: number }>;
    const cam = ev.findIndex((x) => x.type === 7 && x.code === 0);
    const op = ev.findIndex((x) => x.type === 3 && x.ref === ev.find((y) => y.type === 3)!.ref);
    expect(cam).toBeGreaterThanOrEqual(0);
    expect(cam).toBeLessThan(ev.findIndex((x, i) => i > cam && x.type === 3));
    expect(op).toBeGreaterThanOrEqual(0);

    await e.fleet.ask(lockId, 'door open');
    await new Promise((res) => setTimeout(res, 800));
    await e.fleet.ask(lockId, 'door close');
    const receipt = await eventually('secured receipt', async () => (await e.api(e.world.courier.token, 'GET', '/v1/deliveries/' + d.id)).body.receipt);
    expect(receipt.eventSeq).toBeGreaterThan(0);
    expect(receipt.eventHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await e.fleet.ask(lockId, 'state')).bolt).toBe(1);
    const backendView = (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.id)).body;
    expect(backendView.receipt.eventSeq).toBe(receipt.eventSeq);
    await eventually('webhooks', async () => hooks.some((h) => h.event === 'delivery.secured' && h.body.data?.delivery?.id === d.id));
    expect(hooks.filter((h) => h.body.data?.delivery?.id === d.id).map((h) => [h.event, h.valid])).toEqual([['delivery.entered', true], ['delivery.secured', true]]);
    const notes = (await e.api(e.ownerToken, 'GET', '/v1/notifications')).body.items as Array<{ kind: string; deliveryId: number }>;
    expect(notes.some((n) => n.kind === 'delivery.secured' && n.deliveryId === d.id)).toBe(true);
    // The same Idempotency-Key replays the answer without a second unlock.
    const key = randomUUID();
    const second = await e.api(e.world.courier.token, 'POST', '/v1/deliveries/' + d.id + '/entry', undefined, { 'idempotency-key': key });
    expect([409, 200]).toContain(second.status);
  }, scaled(60_000));

  it('refuses the wrong courier, the wrong time, a blocked delivery, and a reveal at the wrong address', async () => {
    const lockId = e.world.locks[0].deviceId;
    const other = (await e.api(e.world.backend.token, 'POST', '/v1/couriers', { name: 'Not Assigned' })).body;
    const d = await book();
    const wrongCourier = await enter(other.token, d.id);
    expect(wrongCourier.status).toBe(404);

    const later = await book({ window: window(3600_000, 3600_000) });
    const tooEarly = await enter(e.world.courier.token, later.id);
    expect(tooEarly.status).toBe(403);
    expect(tooEarly.body.error.code).toBe('KW_OUTSIDE_WINDOW');

    const blocked = await book();
    expect((await e.api(e.ownerToken, 'POST', '/v1/deliveries/' + blocked.id + '/block')).status).toBe(200);
    const r = await enter(e.world.courier.token, blocked.id);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('KW_DELIVERY_BLOCKED');
    expect((await e.fleet.ask(lockId, 'state')).bolt).toBe(1);

    // Wrong address: the lock refuses a reveal bound to another lock (here: a value for this
    // lock's grant id but chained for a different device is just a wrong credential).
    const before = (await e.fleet.ask(lockId, 'events')).events.length;
    const forged = '4b57592d4f504e0001' + 'ffffffffffffffff' + '00000001' + '11'.repeat(32);
    await e.fleet.ask(lockId, 'inject ' + forged);
    const after = (await e.fleet.ask(lockId, 'events')).events.slice(before) as Array<{ type: number; code: number }>;
    expect(after.some((x) => x.type === 4 && x.code === 12)).toBe(true); // DENIAL WRONG_DEVICE
    expect((await e.fleet.ask(lockId, 'state')).bolt).toBe(1);
  }, scaled(60_000));

  it('camera not acknowledging: the lock refuses to move and the attempt is reported', async () => {
    const lockId = e.world.locks[0].deviceId;
    const d = await book();
    await eventually('staged', async () => (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.id)).body.staged);
    await e.fleet.ask(lockId, 'camera broken');
    const r = await enter(e.world.courier.token, d.id);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(['KW_ENTRY_DENIED', 'KW_CAMERA_UNHEALTHY']).toContain(r.body.error.code);
    expect((await e.fleet.ask(lockId, 'state')).bolt).toBe(1);
    // The relay now knows the camera is unhealthy: the next request is refused before reaching the lock.
    await eventually('camera unhealthy at relay', async () => !(await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body.status.flags.cameraHealthy);
    const again = await enter(e.world.courier.token, d.id);
    expect(again.body.error.code).toBe('KW_CAMERA_UNHEALTHY');
    const feed = (await e.api(e.ownerToken, 'GET', '/v1/sites/' + e.world.siteId + '/activity?limit=50')).body.items as Array<{ reason: string }>;
    expect(feed.some((a) => a.reason === 'CAMERA_FAILURE')).toBe(true);
    await e.fleet.ask(lockId, 'camera ok');
  }, scaled(60_000));
});

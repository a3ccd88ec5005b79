/**
 * `keyway demo`: plays the courier in-home delivery story (docs/product.md#courier-delivery) end to end on a fresh
 * local stack: real relay, real MQTT, the real lock firmware on simulated hardware. Then a
 * refused courier, and a parcel box opened once by a scanned tracking number.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { BOLT_UNLOCKED, EV_DENIAL, reasonName } from '@keyway/shared';
import { signWebhook } from '@keyway/relay';
import { startStack, type Stack } from '../stack/stack';
import { pollUntil } from '../stack/poll';

interface Reply {
  status: number;
  body: any;
}

async function call(base: string, token: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(base + url, {
    method, headers: { authorization: 'Bearer ' + token, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  return pollUntil(what, fn, timeoutMs) as Promise<T>;
}

export async function runDemo(out: (s: string) => void): Promise<number> {
  const t0 = Date.now();
  const say = (who: string, text: string) => out(('+' + ((Date.now() - t0) / 1000).toFixed(1) + 's').padStart(8) + '  ' + who.padEnd(8) + ' ' + text);
  const dir = mkdtempSync(path.join(tmpdir(), 'keyway-demo-'));
  const hooks: Array<{ event: string; ok: boolean; body: any }> = [];
  let stack: Stack | null = null;
  let secret = '';
  const receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const sig = String(req.headers['x-keyway-signature'] ?? '');
      const ts = String(req.headers['x-keyway-timestamp'] ?? '');
      const want = signWebhook(secret, ts, raw);
      const body = JSON.parse(raw);
      hooks.push({ event: body.event, ok: sig === want, body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    say('demo', 'starting the relay and two simulated locks (front door, parcel box)…');
    stack = await startStack({ dataDir: dir, ports: { http: 0, mqtt: 0, mqtts: 0 }, doors: 1, parcelBox: true, log: false, lockOptions: { relockAfterCloseMs: 2000 }, allowPrivateWebhooks: true });
    const s = stack;
    const w = s.world;
    const owner = (await call(s.base, '', 'POST', '/v1/auth/login', { email: w.owner.email, password: w.owner.password })).body.token as string;
    const [door, box] = w.locks;
    for (const l of w.locks) {
      await until(l.label + ' online with trusted time', async () => {
        const v = (await call(s.base, owner, 'GET', '/v1/devices/' + l.deviceId)).body;
        return v.online && v.status?.flags?.trustedTime;
      });
      say('lock', l.label + ' ' + l.deviceId + ' is online, has trusted time from a nonce-bound TIME_SET');
    }
    const hook = await call(s.base, w.backend.token, 'POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:' + (receiver.address() as AddressInfo).port + '/keyway', events: ['delivery.entered', 'delivery.secured']
    });
    secret = hook.body.secret;

    const now = Date.now();
    const booked = await call(s.base, w.backend.token, 'POST', '/v1/deliveries', {
      siteId: w.siteId, trackingNumber: '1Z999AA10123456784', courierId: w.courier.id, inHome: true, deviceId: door.deviceId,
      window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + 3600_000).toISOString() }
    });
    const delivery = booked.body;
    say('backend', 'booked in-home delivery #' + delivery.id + ' for ' + w.courier.name + ', window now → +1 h');
    await until('grant staged', async () => (await call(s.base, w.backend.token, 'GET', '/v1/deliveries/' + delivery.id)).body.staged);
    say('lock', 'verified the relay-signed courier grant in the background (Ed25519, on the lock) and stored it');

    const entry = await call(s.base, w.courier.token, 'POST', '/v1/deliveries/' + delivery.id + '/entry', undefined, { 'idempotency-key': randomUUID() });
    if (entry.status !== 200) throw new Error('entry refused: ' + JSON.stringify(entry.body));
    say('courier', 'asked to enter: ' + entry.body.outcome + ' by ' + entry.body.method + ' in ' + entry.body.latencyMs + ' ms; camera clip ' + entry.body.clip);
    const ref = /^clip:([0-9a-f]{16}):(\d+)$/.exec(String(entry.body.clip));
    if (ref) {
      const clip = await until('camera photos', async () => {
        const c = (await call(s.base, owner, 'GET', '/v1/devices/' + ref[1] + '/clips/' + ref[2])).body;
        return c && c.status !== 'awaiting' ? c : null;
      });
      say('camera', clip.frames + ' photos of the doorway taken before the bolt moved and uploaded by the camera node (its own process and credential)');
      say('relay', 'photos ' + clip.status + ' against the lock\'s CAMERA event: SHA-256 ' + String(clip.lockHash).slice(0, 16) + '… is inside the lock\'s hash chain; the owner page shows them');
    }
    const lock = s.locks.get(door.deviceId)!;
    lock.sim.device.openDoor();
    say('courier', 'opened the door, put the parcel inside…');
    await new Promise((r) => setTimeout(r, 1500));
    lock.sim.device.closeDoor();
    say('courier', 'closed the door');
    const receipt = await until('secured receipt', async () => (await call(s.base, w.courier.token, 'GET', '/v1/deliveries/' + delivery.id)).body.receipt);
    say('lock', 'relocked by itself; secured receipt: event #' + receipt.eventSeq + ' hash ' + String(receipt.eventHash).slice(0, 16) + '…');
    await until('webhooks', async () => hooks.some((h) => h.event === 'delivery.secured'));
    for (const h of hooks) say('backend', 'webhook ' + h.event + ' received, HMAC ' + (h.ok ? 'valid' : 'INVALID'));
    const notes = (await call(s.base, owner, 'GET', '/v1/notifications')).body.items ?? [];
    for (const n of notes.slice(0, 3).reverse()) say('owner', 'notification: ' + n.kind + ' ' + JSON.stringify(n.body).slice(0, 90));

    const other = await call(s.base, w.backend.token, 'POST', '/v1/couriers', { name: 'Robin Wrongcourier' });
    const refused = await call(s.base, other.body.token, 'POST', '/v1/deliveries/' + delivery.id + '/entry', undefined, { 'idempotency-key': randomUUID() });
    say('courier', 'another courier tries the same delivery: HTTP ' + refused.status + ' ' + refused.body.error.code + ' (not their delivery)');

    const parcel = await call(s.base, w.backend.token, 'POST', '/v1/parcels', {
      siteId: w.siteId, trackingNumber: 'KW-PARCEL-42', deviceId: box.deviceId,
      window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + 3600_000).toISOString() }
    });
    await until('parcel grant staged', async () => (await call(s.base, w.backend.token, 'GET', '/v1/parcels/' + parcel.body.id)).body.staged);
    const boxLock = s.locks.get(box.deviceId)!;
    boxLock.sim.device.scan('KW-PARCEL-42');
    await until('box opened', async () => boxLock.sim.lock.bolt.phase === BOLT_UNLOCKED);
    say('box', 'scanned KW-PARCEL-42: the box opened (hash of the tracking number matched, no network needed)');
    boxLock.sim.device.scan('KW-PARCEL-42');
    await new Promise((r) => setTimeout(r, 500));
    const denial = boxLock.sim.events.filter((e) => e.type === EV_DENIAL).pop();
    say('box', 'scanned it again: ' + (denial ? 'refused by the box: ' + reasonName(denial.code) : 'NOT refused (unexpected)'));

    const feed = ((await call(s.base, owner, 'GET', '/v1/sites/' + w.siteId + '/activity?limit=40')).body.items ?? []).filter((a: { kind: string }) => a.kind !== 'state');
    say('owner', 'activity feed (newest first, bolt/door state changes left out):');
    for (const a of feed.slice(0, 14)) {
      const who = a.actor ? a.actor.kind + (a.actor.id ? ' #' + a.actor.id : '') : '';
      out('            ' + String(a.time).slice(11, 19) + '  ' + a.kind.padEnd(22) + ' ' + (a.reason ?? '').padEnd(16) + ' ' + who + (a.clip ? '  ' + a.clip : ''));
    }
    say('demo', 'done');
    return 0;
  } finally {
    await stack?.close();
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

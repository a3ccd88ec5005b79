/**
 * Lock-signed receipts at the relay (docs/protocol.md §6.2, docs/relay.md "Receipts signed by the
 * lock"): the relay pins the lock's key from the first valid receipt, passes the receipt bytes
 * unchanged to the courier, the owner and the backend once the delivery is secured, serves the
 * file `keyway verify-receipt` checks, and refuses a receipt with a bad signature or another key
 * without passing anything on.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACT_UNLOCK, BOLT_LOCKED, DOOR_CLOSED, EV_CAMERA, EV_OPERATION, EV_STATE, attachReceiptSignature, checkReceiptBundle, encodeReceiptBody, eventHash,
  eventTopic, fromHex, publicKeyNow, signingKey, signNow, toHex
} from '@keyway/shared';
import { handleReceiptMessage } from '../../relay/src/locks/receipt-intake';
import { bookDelivery, expectOk, waitUntil, useWorld, type Harness, type World } from '../support/relay-harness';
import { ScriptedLock } from '../support/scripted-lock';

const LOCK_SEED = new Uint8Array(32).fill(0x5a);
const LOCK_PUB = publicKeyNow(LOCK_SEED)!;

/** Signs, as the lock would, a receipt for the last entry in the scripted lock's log. */
function receiptFor(w: World, seed = LOCK_SEED): Uint8Array {
  const pub = publicKeyNow(seed)!;
  const body = receiptBodyFor(w, pub);
  return attachReceiptSignature(body, signNow(body, signingKey(seed, pub))!);
}

/** The receipt body the lock would sign for the last entry, naming `pub` as its key. */
function receiptBodyFor(w: World, pub: Uint8Array): Uint8Array {
  const log = w.lock.log;
  const head = [...log].reverse().find((l) => l.event.type === EV_STATE && l.event.data[0] === BOLT_LOCKED && l.event.data[1] === DOOR_CLOSED)!;
  const entry = [...log].reverse().find((l) => l.event.type === EV_OPERATION && l.event.code === 0 && l.event.data[0] === ACT_UNLOCK)!;
  const cam = [...log].reverse().find((l) => l.event.type === EV_CAMERA && l.event.code === 0 && l.event.seq < entry.event.seq);
  return encodeReceiptBody({
    deviceId: fromHex(w.deviceId), lockKey: pub, seq: head.event.seq, head: eventHash(head.bytes), time: head.event.time, bolt: BOLT_LOCKED,
    door: DOOR_CLOSED, grantId: entry.event.ref, entrySeq: entry.event.seq, entryHash: eventHash(entry.bytes), cameraSeq: cam ? cam.event.seq : 0,
    cameraHash: cam ? eventHash(cam.bytes) : new Uint8Array(32)
  });
}

/** The group order L, little-endian: a scalar S >= L is not canonical. */
const ORDER_L = 2n ** 252n + 27742317777372353535851937790883648493n;
const IDENTITY_POINT = fromHex('01' + '00'.repeat(31));

function withScalarPlusL(receipt: Uint8Array): Uint8Array {
  const out = new Uint8Array(receipt);
  const at = out.length - 32;
  let s = 0n;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(out[at + i]);
  s += ORDER_L;
  for (let i = 0; i < 32; i++, s >>= 8n) out[at + i] = Number(s & 0xffn);
  return out;
}

async function publish(w: World, bytes: Uint8Array): Promise<void> {
  await w.lock.client!.publishAsync(eventTopic(w.deviceId), Buffer.from(bytes), { qos: 1 });
}

async function securedDelivery(h: Harness, w: World) {
  const d = await bookDelivery(h, w);
  const res = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'entry-' + d.id } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  w.lock.openDoor();
  w.lock.closeDoor();
  await waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.status === 'secured', 5000, 'secured');
  return d;
}

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

function hookReceiver(): Promise<{ url: string; bodies: any[] }> {
  const bodies: any[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: 'http://127.0.0.1:' + (server.address() as { port: number }).port + '/h', bodies })));
}

describe('lock-signed receipts at the relay', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; }, { webhooks: { allowPrivateTargets: true } });

  it('refuses a receipt with a bad signature before any key is pinned, and passes nothing on', async () => {
    const d = await securedDelivery(h, w);
    const bad = receiptFor(w);
    bad[bad.length - 3] ^= 0x10;
    await publish(w, bad);
    await waitUntil(() => h.logs.some((l) => l.includes('lock receipt refused')), 5000, 'refusal logged');
    const got = await h.api('GET', `/v1/deliveries/${d.id}/signed-receipt`, { token: w.courier.token });
    expect(got.status).toBe(404);
    const notes = await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }));
    expect(notes.items.map((n: any) => n.kind)).toContain('security.receipt_refused');
    expect(notes.items.map((n: any) => n.kind)).not.toContain('delivery.receipt_signed');
  });

  it('pins the key of the first valid receipt and passes the bytes unchanged to courier, owner and backend', async () => {
    const rx = await hookReceiver();
    await expectOk(h.api('POST', '/v1/webhooks', { token: w.backend.token, body: { url: rx.url, events: ['delivery.receipt_signed'] } }), 201);
    const d = await securedDelivery(h, w);
    const receipt = receiptFor(w);
    await publish(w, receipt);
    const file = await waitUntil(async () => {
      const r = await h.api('GET', `/v1/deliveries/${d.id}/signed-receipt`, { token: w.backend.token });
      return r.status === 200 ? r.body : null;
    }, 5000, 'signed receipt');
    expect(file.receipt).toBe(toHex(receipt));
    expect(file.lockKey).toBe(toHex(LOCK_PUB));
    const check = checkReceiptBundle(file);
    expect(check.ok, JSON.stringify(check)).toBe(true);
    await waitUntil(() => rx.bodies.length >= 1, 8000, 'webhook');
    expect(rx.bodies[0]).toMatchObject({ event: 'delivery.receipt_signed', data: { signedReceipt: toHex(receipt), lockKey: toHex(LOCK_PUB) } });
    const owner = await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }));
    expect(owner.items.find((n: any) => n.kind === 'delivery.receipt_signed' && n.deliveryId === d.id).body.signedReceipt).toBe(toHex(receipt));
    const courier = await expectOk(h.api('GET', '/v1/notifications', { token: w.courier.token }));
    expect(courier.items.find((n: any) => n.kind === 'delivery.receipt_signed').body.signedReceipt).toBe(toHex(receipt));
    // the same receipt again is a duplicate: nothing is passed on twice
    await publish(w, receipt);
    await new Promise((r) => setTimeout(r, 300));
    const again = await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }));
    expect(again.items.filter((n: any) => n.kind === 'delivery.receipt_signed').length).toBe(1);
  });

  it('passes on a receipt that overtook the STATE event it names, once that event secures the delivery', async () => {
    const d = await bookDelivery(h, w);
    expect((await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'entry-' + d.id } })).status).toBe(200);
    w.lock.openDoor();
    await waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.status === 'entered', 5000, 'entered');
    // Offline, the lock logs the door closing and its relock; the receipt naming the relock reaches the relay first.
    await w.lock.drained();
    await w.lock.disconnect();
    w.lock.closeDoor();
    const receipt = receiptFor(w);
    expect(await handleReceiptMessage(h.relay.ctx, w.deviceId, receipt)).toBe('stored');
    expect((await h.api('GET', `/v1/deliveries/${d.id}/signed-receipt`, { token: w.courier.token })).status).toBe(404);
    await w.lock.connect();
    await waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.status === 'secured', 5000, 'secured');
    const file = await waitUntil(async () => {
      const r = await h.api('GET', `/v1/deliveries/${d.id}/signed-receipt`, { token: w.courier.token });
      return r.status === 200 ? r.body : null;
    }, 5000, 'signed receipt');
    expect(file.receipt).toBe(toHex(receipt));
  });

  it('refuses a valid receipt under another key once a key is pinned', async () => {
    const d = await securedDelivery(h, w);
    const before = h.logs.filter((l) => l.includes('lock receipt refused')).length;
    await publish(w, receiptFor(w, new Uint8Array(32).fill(0x11)));
    await waitUntil(() => h.logs.filter((l) => l.includes('lock receipt refused')).length > before, 5000, 'refusal logged');
    expect((await h.api('GET', `/v1/deliveries/${d.id}/signed-receipt`, { token: w.courier.token })).status).toBe(404);
    // the pinned key still works for the same delivery
    await publish(w, receiptFor(w));
    await waitUntil(async () => (await h.api('GET', `/v1/deliveries/${d.id}/signed-receipt`, { token: w.courier.token })).status === 200, 5000, 'receipt');
  });
});

describe('lock-signed receipts: strict verification before the first key is pinned', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; });

  it('refuses receipts only a loose verifier would take (identity key, S + L) before any key is pinned, and pins nothing', async () => {
    const d = await securedDelivery(h, w);
    // Under the identity key, R = identity and S = 0 satisfy the plain equation for every message
    // (OpenSSL accepts it): pinned, it would let anyone with the lock's MQTT login sign its receipts.
    const forged = attachReceiptSignature(receiptBodyFor(w, IDENTITY_POINT), new Uint8Array([...IDENTITY_POINT, ...new Uint8Array(32)]));
    await publish(w, forged);
    await waitUntil(() => h.logs.filter((l) => l.includes('lock receipt refused')).length >= 1, 5000, 'identity key refused');
    await publish(w, withScalarPlusL(receiptFor(w)));
    await waitUntil(() => h.logs.filter((l) => l.includes('lock receipt refused')).length >= 2, 5000, 'S + L refused');
    expect(h.logs.filter((l) => l.includes('lock receipt refused')).every((l) => l.includes('does not verify'))).toBe(true);
    expect((await h.api('GET', `/v1/deliveries/${d.id}/signed-receipt`, { token: w.courier.token })).status).toBe(404);
    // Nothing was pinned: the lock's own key is still taken.
    await publish(w, receiptFor(w));
    const file = await waitUntil(async () => {
      const r = await h.api('GET', `/v1/deliveries/${d.id}/signed-receipt`, { token: w.courier.token });
      return r.status === 200 ? r.body : null;
    }, 5000, 'signed receipt');
    expect(file.lockKey).toBe(toHex(LOCK_PUB));
  });
});

describe('lock-signed receipts across a log reset', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; });

  const securedSeq = async (id: number): Promise<number> => (await expectOk(h.api('GET', '/v1/deliveries/' + id, { token: w.courier.token }))).receipt.eventSeq;
  const signedReceiptsOf = async (id: number): Promise<string[]> => (await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }))).items
    .filter((n: any) => n.kind === 'delivery.receipt_signed' && n.deliveryId === id).map((n: any) => n.body.signedReceipt);
  const bundleOf = (id: number) => waitUntil(async () => {
    const r = await h.api('GET', `/v1/deliveries/${id}/signed-receipt`, { token: w.courier.token });
    return r.status === 200 ? r.body : null;
  }, 5000, 'signed receipt of delivery ' + id);

  it('passes a receipt only to the delivery its event secured, and serves each delivery its own, not one of another log epoch at the same sequence number', async () => {
    const startedAt = w.lock.log.length;
    const older = await securedDelivery(h, w);
    const seq = await securedSeq(older.id);
    const olderReceipt = receiptFor(w);
    await publish(w, olderReceipt);
    expect((await bundleOf(older.id)).receipt).toBe(toHex(olderReceipt));

    // The lock is re-provisioned with an empty log: a new log epoch, its sequence restarts at 1.
    w.lock.installMode = true;
    await w.lock.publishStatus();
    await waitUntil(async () => (await h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token })).body.status.flags.installMode, 3000, 'install mode seen');
    const again = await expectOk(h.api('POST', '/v1/devices', {
      token: w.installer, body: { deviceId: w.deviceId, siteId: w.site.id, board: 'test-board', firmware: '0.1.1', resetLog: true }
    }), 201);
    await w.lock.close();
    w.lock = new ScriptedLock({ url: again.mqtt.urls.tcp, deviceId: w.deviceId, password: again.mqtt.password, trustedKeys: again.trustedKeys, now: () => h.clock.now() });
    await w.lock.connect();
    await waitUntil(() => w.lock.timeTrusted, 5000, 'lock never got trusted time');
    // Pad the new log so the same delivery steps secure the next delivery at the same sequence number.
    while (w.lock.log.length < startedAt) w.lock.emit(EV_STATE, 0, 0, 0, 0, [BOLT_LOCKED, DOOR_CLOSED]);
    const newer = await securedDelivery(h, w);
    expect(await securedSeq(newer.id)).toBe(seq);
    const newerReceipt = receiptFor(w);
    await publish(w, newerReceipt);
    expect((await bundleOf(newer.id)).receipt).toBe(toHex(newerReceipt));

    await waitUntil(async () => (await signedReceiptsOf(newer.id)).length === 1, 5000, 'newer receipt passed on');
    expect(await signedReceiptsOf(older.id)).toEqual([toHex(olderReceipt)]);
    // Each delivery's file names its own receipt, not the newest epoch's at the same sequence number.
    const olderBundle = await bundleOf(older.id);
    expect(olderBundle.receipt).toBe(toHex(olderReceipt));
    expect(checkReceiptBundle(olderBundle).ok).toBe(true);
  });
});

/**
 * The reference pipeline for `bench/relay.mts`: the least a relay could do for one owner
 * authorization, in one process like the relay. A Fastify route checks the bearer token
 * against a SHA-256 hash held in memory, encodes the command with the protocol's own codec,
 * signs it with node:crypto Ed25519 (one key object, made once), publishes it at QoS 1
 * through an embedded Aedes broker of the relay's version on the lock's command topic, and
 * answers 200 when the lock's echo arrives on its event topic. No storage, no logging, no
 * metrics, no ACLs: what is left is HTTP, signing and MQTT, the floor under the relay.
 *
 * With `--durable <locks file>` it is the durable reference instead: the least a relay with the
 * relay's guarantees could do (bench/lib/reference-store.mts: SQLite, WAL, synchronous NORMAL).
 * Before publishing, it commits the command row (device, counter, signed bytes). The locks
 * (lock-echo.mts with keys) answer with an event signed by their own Ed25519 key; the reference
 * verifies that signature with the lock's public key (from the file, a key object per lock made
 * once), commits the event, and only then answers the HTTP request and lets Aedes send the
 * PUBACK (held in `authorizePublish`, as the relay holds it: relay/src/broker/broker.ts). An
 * event whose signature fails is refused (no PUBACK, the lock's connection closed) and its
 * request answered 502 KW_EVENT_REJECTED, so the bench stops instead of counting it.
 *
 * Usage: reference-relay.mts <token> [--durable <locks file: [{ deviceId, publicKey (hex) }]>].
 * Prints `{"ready":true,"pid":…,"ports":{"http":…,"mqtt":…}}`.
 * Routes: POST /v1/devices/:id/unlock and /lock (`{ relockAfter? }`), as on the relay.
 */
import { createHash, randomBytes, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Aedes, type PublishPacket } from 'aedes';
import Fastify from 'fastify';
import {
  ACT_LOCK, ACT_UNLOCK, ACTOR_OWNER, attachSignature, commandTopic, encodeCommandBody, encodePayload, fromHex, NONCE_LENGTH, parseDeviceTopic, TOPIC_EVENT
} from '@keyway/shared';
import { newSeed, publicKeyObject, signerFromSeed } from '@keyway/shared/node';
import { openReferenceStore, type ReferenceStore } from './reference-store.mjs';

/** The owner window the relay signs for door actions (docs/protocol.md §3). */
const WINDOW_S = 60;
/** An echo that never comes fails the request instead of hanging the bench. */
const ECHO_TIMEOUT_MS = 10_000;
const HTTP_UNAUTHORIZED = 401;
const HTTP_BAD_GATEWAY = 502;
const HTTP_GATEWAY_TIMEOUT = 504;
/** An event is the lock's body (the echoed command, counter first) followed by its Ed25519 signature. */
const SIGNATURE_LENGTH = 64;
/** The counter leads both the command and the event, so an answer is matched to its command. */
const COUNTER_LENGTH = 4;

const tokenHash = createHash('sha256').update(process.argv[2] ?? '').digest('hex');
const signer = signerFromSeed(newSeed());
const counters = new Map<string, number>();
/** The request waiting for each lock's echo, by device id and counter. */
const waiting = new Map<string, (outcome: Outcome) => void>();
type Outcome = 'echoed' | 'rejected' | 'timeout';

const durableAt = process.argv.indexOf('--durable');
/** Each lock's public key, as a key object made once (durable reference only). */
const lockKeys: Map<string, KeyObject> | null = durableAt > 0
  ? new Map((JSON.parse(readFileSync(process.argv[durableAt + 1], 'utf8')) as Array<{ deviceId: string; publicKey: string }>)
    .map((l) => [l.deviceId, publicKeyObject(new Uint8Array(Buffer.from(l.publicKey, 'hex')))]))
  : null;
const store: ReferenceStore | null = lockKeys ? openReferenceStore() : null;

/**
 * The durable reference's event intake, before the PUBACK: the lock's signature checked, the
 * event committed, the waiting request answered, then the PUBACK. Refused: no PUBACK, and the
 * request answered with the refusal at once.
 */
function keepEvent(deviceId: string, payload: Buffer): boolean {
  const key = lockKeys!.get(deviceId);
  if (!key || payload.length < COUNTER_LENGTH + SIGNATURE_LENGTH) return false;
  const body = payload.subarray(0, payload.length - SIGNATURE_LENGTH);
  const signature = payload.subarray(payload.length - SIGNATURE_LENGTH);
  const counter = body.readUInt32BE(0);
  if (!verify(null, body, key, signature)) {
    process.stderr.write('durable reference: bad event signature from ' + deviceId + ' (counter ' + counter + ')\n');
    waiting.get(deviceId + ':' + counter)?.('rejected');
    return false;
  }
  store!.keepEvent(deviceId, counter, body, signature);
  waiting.get(deviceId + ':' + counter)?.('echoed');
  return true;
}

const aedes = new Aedes(lockKeys ? {
  authorizePublish(client, packet, done) {
    const t = client ? parseDeviceTopic(packet.topic) : null;
    if (!t || t.kind !== TOPIC_EVENT) return done(null);
    let kept = false;
    try {
      kept = keepEvent(t.deviceId, packet.payload as Buffer);
    } catch (e) {
      process.stderr.write('durable reference: event not kept: ' + String(e) + '\n');
    }
    // Aedes writes the PUBACK as soon as done(null) returns; after this turn, so the HTTP answer the
    // same commit released is written first (as the relay does).
    setImmediate(() => done(kept ? null : new Error('event not kept')));
  }
} : {});
await aedes.listen();
if (!lockKeys) {
  aedes.subscribe('kw/+/evt', (packet, cb) => {
    const t = parseDeviceTopic(packet.topic);
    const payload = packet.payload as Buffer;
    if (t && t.kind === TOPIC_EVENT && payload.length >= COUNTER_LENGTH) waiting.get(t.deviceId + ':' + payload.readUInt32BE(0))?.('echoed');
    cb();
  }, () => undefined);
}
const mqttServer = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  aedes.handle(socket);
});
await new Promise<void>((resolve) => mqttServer.listen(0, '127.0.0.1', resolve));

function bearerMatches(header: string | undefined): boolean {
  if (!header || !header.startsWith('Bearer ')) return false;
  return createHash('sha256').update(header.slice(7)).digest('hex') === tokenHash;
}

function publish(topic: string, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false } as PublishPacket, (err?: Error) => (err ? reject(err) : resolve()));
  });
}

const app = Fastify({ logger: false });
for (const what of ['unlock', 'lock'] as const) {
  app.post<{ Params: { id: string }; Body: { relockAfter?: number } | undefined }>('/v1/devices/:id/' + what, {
    schema: {
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$' } } },
      response: { 200: { type: 'object', properties: { outcome: { type: 'string' }, counter: { type: 'integer' }, latencyMs: { type: 'number' } } } }
    }
  }, async (req, reply) => {
    const started = performance.now();
    if (!bearerMatches(req.headers.authorization)) return reply.code(HTTP_UNAUTHORIZED).send({ error: { code: 'KW_UNAUTHORIZED', message: 'no valid token' } });
    const deviceId = req.params.id;
    const counter = (counters.get(deviceId) ?? 0) + 1;
    counters.set(deviceId, counter);
    const nowS = Math.floor(Date.now() / 1000);
    const payload = what === 'unlock'
      ? encodePayload(ACT_UNLOCK, { grantId: 0, actorKind: ACTOR_OWNER, actorRef: 1, flags: 0, relockAfter: req.body?.relockAfter ?? 0 })
      : encodePayload(ACT_LOCK, { actorKind: ACTOR_OWNER, actorRef: 1 });
    const body = encodeCommandBody({
      deviceId: fromHex(deviceId), keyId: signer.keyId, action: what === 'unlock' ? ACT_UNLOCK : ACT_LOCK,
      notBefore: nowS, notAfter: nowS + WINDOW_S, counter, nonce: new Uint8Array(randomBytes(NONCE_LENGTH)), payload
    });
    // The echo carries the counter first, so the answer is matched to this command.
    const signed = Buffer.concat([Buffer.from([counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff]), attachSignature(body, signer.sign(body))]);
    const key = deviceId + ':' + counter;
    const echoed = new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), ECHO_TIMEOUT_MS);
      waiting.set(key, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
    // The durable reference commits the command before any lock can see it.
    store?.keepCommand(deviceId, counter, signed);
    await publish(commandTopic(deviceId), signed);
    const outcome = await echoed;
    waiting.delete(key);
    if (outcome === 'timeout') return reply.code(HTTP_GATEWAY_TIMEOUT).send({ error: { code: 'KW_LOCK_TIMEOUT', message: 'no echo' } });
    if (outcome === 'rejected') return reply.code(HTTP_BAD_GATEWAY).send({ error: { code: 'KW_EVENT_REJECTED', message: 'the lock\'s event signature did not verify' } });
    return { outcome: what === 'lock' ? 'locked' : 'opened', counter, latencyMs: performance.now() - started };
  });
}
await app.listen({ port: 0, host: '127.0.0.1' });
const httpPort = (app.server.address() as net.AddressInfo).port;
const mqttPort = (mqttServer.address() as net.AddressInfo).port;
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, ports: { http: httpPort, mqtt: mqttPort } }) + '\n');
process.on('SIGTERM', () => {
  // The durable reference removes its database directory; it says how many rows it kept.
  if (!store) process.exit(0);
  process.stderr.write('durable reference kept ' + JSON.stringify(store.counts()) + '\n');
  store.close().then(() => process.exit(0), () => process.exit(1));
});

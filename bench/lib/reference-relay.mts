/**
 * The reference pipeline for `bench/relay.mts`: the least a relay could do for one owner
 * authorization, in one process like the relay. A Fastify route checks the bearer token
 * against a SHA-256 hash held in memory, encodes the command with the protocol's own codec,
 * signs it with node:crypto Ed25519 (one key object, made once), publishes it at QoS 1
 * through an embedded Aedes broker of the relay's version on the lock's command topic, and
 * answers 200 when the lock's echo arrives on its event topic. No storage, no logging, no
 * metrics, no ACLs: what is left is HTTP, signing and MQTT, the floor under the relay.
 *
 * Usage: reference-relay.mts <token>. Prints `{"ready":true,"pid":…,"ports":{"http":…,"mqtt":…}}`.
 * Routes: POST /v1/devices/:id/unlock and /lock (`{ relockAfter? }`), as on the relay.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { Aedes, type PublishPacket } from 'aedes';
import Fastify from 'fastify';
import {
  ACT_LOCK, ACT_UNLOCK, ACTOR_OWNER, attachSignature, commandTopic, encodeCommandBody, encodePayload, fromHex, NONCE_LENGTH, parseDeviceTopic, TOPIC_EVENT
} from '@keyway/shared';
import { newSeed, signerFromSeed } from '@keyway/shared/node';

/** The owner window the relay signs for door actions (docs/protocol.md §3). */
const WINDOW_S = 60;
/** An echo that never comes fails the request instead of hanging the bench. */
const ECHO_TIMEOUT_MS = 10_000;
const HTTP_UNAUTHORIZED = 401;
const HTTP_GATEWAY_TIMEOUT = 504;

const tokenHash = createHash('sha256').update(process.argv[2] ?? '').digest('hex');
const signer = signerFromSeed(newSeed());
const counters = new Map<string, number>();
/** The request waiting for each lock's echo, by device id and counter. */
const waiting = new Map<string, (ok: boolean) => void>();

const aedes = new Aedes({});
await aedes.listen();
aedes.subscribe('kw/+/evt', (packet, cb) => {
  const t = parseDeviceTopic(packet.topic);
  const payload = packet.payload as Buffer;
  if (t && t.kind === TOPIC_EVENT && payload.length >= 4) waiting.get(t.deviceId + ':' + payload.readUInt32BE(0))?.(true);
  cb();
}, () => undefined);
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
    const echoed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ECHO_TIMEOUT_MS);
      waiting.set(key, (ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
    });
    await publish(commandTopic(deviceId), signed);
    const ok = await echoed;
    waiting.delete(key);
    if (!ok) return reply.code(HTTP_GATEWAY_TIMEOUT).send({ error: { code: 'KW_LOCK_TIMEOUT', message: 'no echo' } });
    return { outcome: what === 'lock' ? 'locked' : 'opened', counter, latencyMs: performance.now() - started };
  });
}
await app.listen({ port: 0, host: '127.0.0.1' });
const httpPort = (app.server.address() as net.AddressInfo).port;
const mqttPort = (mqttServer.address() as net.AddressInfo).port;
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, ports: { http: httpPort, mqtt: mqttPort } }) + '\n');
process.on('SIGTERM', () => process.exit(0));

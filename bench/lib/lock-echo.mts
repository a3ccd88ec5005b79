/**
 * The locks of the reference pipeline (bench/lib/reference-relay.mts): one mqtt.js client
 * per device id, in this one process, each subscribed to its command topic at QoS 1 and
 * republishing every command, unchanged, on its event topic at QoS 1. A lock that does no
 * work, so the reference measures the relay side only.
 *
 * With a keys file (`[{ deviceId, seed (hex) }]`), the locks of the durable reference: each
 * signs what it republishes with its own Ed25519 key (node:crypto, a key object per lock made
 * once) and sends the command followed by that signature, so the reference has a lock's
 * signature to check before it keeps the event.
 *
 * Each message's time in the lock (message received → its answer handed to the client, signing
 * included) is recorded; the `timeline` command on stdin answers `{ ms, samples }` since the
 * previous one, as the bench asks the firmware locks for theirs.
 *
 * Usage: lock-echo.mts <mqtt port> <id,id,…> [<keys file>]. Prints `{"ready":true}` once every
 * client is subscribed.
 */
import { sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { commandTopic, eventTopic } from '@keyway/shared';
import { privateKeyFromSeed } from '@keyway/shared/node';
import { serveCommands } from './proc.mjs';
import { summarize } from './report.mjs';

const KEEPALIVE_S = 30;
const port = Number(process.argv[2]);
const ids = (process.argv[3] ?? '').split(',').filter(Boolean);
const keys: Map<string, KeyObject> | null = process.argv[4]
  ? new Map((JSON.parse(readFileSync(process.argv[4], 'utf8')) as Array<{ deviceId: string; seed: string }>)
    .map((k) => [k.deviceId, privateKeyFromSeed(new Uint8Array(Buffer.from(k.seed, 'hex')))]))
  : null;
/** Time in the lock of each message since the last `timeline`, in ms. */
let inLock: number[] = [];

async function echo(deviceId: string): Promise<mqtt.MqttClient> {
  const client = mqtt.connect({ host: '127.0.0.1', port, clientId: deviceId, clean: true, keepalive: KEEPALIVE_S, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const out = eventTopic(deviceId);
  const key = keys?.get(deviceId);
  if (keys && !key) throw new Error('lock-echo: no key for ' + deviceId);
  client.on('message', (_topic, payload) => {
    const t0 = performance.now();
    client.publish(out, key ? Buffer.concat([payload, sign(null, payload, key)]) : payload, { qos: 1 });
    inLock.push(performance.now() - t0);
  });
  // A refused event closes the connection (no PUBACK); this lock then has nothing to answer with.
  client.on('close', () => process.stderr.write('lock-echo: ' + deviceId + ' disconnected\n'));
  await client.subscribeAsync(commandTopic(deviceId), { qos: 1 });
  return client;
}

const clients = await Promise.all(ids.map(echo));
serveCommands((command) => {
  if (command !== 'timeline') throw new Error('lock-echo: unknown command ' + command);
  const samples = inLock;
  inLock = [];
  return { ms: summarize(samples), samples };
});
process.stdout.write(JSON.stringify({ ready: true, locks: clients.length }) + '\n');
process.on('SIGTERM', () => process.exit(0));

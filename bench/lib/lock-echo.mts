/**
 * The locks of the reference pipeline (bench/lib/reference-relay.mts): one mqtt.js client
 * per device id, in this one process, each subscribed to its command topic at QoS 1 and
 * republishing every command, unchanged, on its event topic at QoS 1. A lock that does no
 * work, so the reference measures the relay side only.
 *
 * Usage: lock-echo.mts <mqtt port> <id,id,…>. Prints `{"ready":true}` once every client is subscribed.
 */
import mqtt from 'mqtt';
import { commandTopic, eventTopic } from '@keyway/shared';

const KEEPALIVE_S = 30;
const port = Number(process.argv[2]);
const ids = (process.argv[3] ?? '').split(',').filter(Boolean);

async function echo(deviceId: string): Promise<mqtt.MqttClient> {
  const client = mqtt.connect({ host: '127.0.0.1', port, clientId: deviceId, clean: true, keepalive: KEEPALIVE_S, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const out = eventTopic(deviceId);
  client.on('message', (_topic, payload) => client.publish(out, payload, { qos: 1 }));
  await client.subscribeAsync(commandTopic(deviceId), { qos: 1 });
  return client;
}

const clients = await Promise.all(ids.map(echo));
process.stdout.write(JSON.stringify({ ready: true, locks: clients.length }) + '\n');
process.on('SIGTERM', () => process.exit(0));

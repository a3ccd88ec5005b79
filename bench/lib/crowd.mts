/**
 * The idle crowd: registered locks (each with its own device id and MQTT password from
 * POST /v1/devices) holding connections to the relay through the lock firmware's own MQTT
 * client (firmware/src/mqtt/mqtt-client.ts over netPort(nodeConnect())): CONNECT with
 * username = client id = device id and the offline will on its state topic, SUBSCRIBE to its
 * command topic at QoS 1, keep-alive PINGREQ every 0.6 × 30 s. They publish nothing else.
 *
 * Usage: crowd.mts <credentials.json> (`{ host, port, devices: [{ id, password }] }`), then
 * commands on stdin (answers are JSON lines, see proc.mts serveCommands):
 *   grow <n> <concurrency>   connect until n are online, at most `concurrency` connecting at once
 *   shrink <n>               disconnect (MQTT DISCONNECT) all but the first n
 *   count                    how many are online
 */
import { readFileSync } from 'node:fs';
import { fromHex, commandTopic, offlineCodec, stateTopic } from '@keyway/shared';
import { createMqttClient, mqttStart, mqttStop, netPort, type MqttClient, type NetPort, type TimerPort } from '@keyway/firmware';
import { nodeConnect } from '@keyway/hardware';
import { serveCommands } from './proc.mjs';
import { summarize } from './report.mjs';

interface Creds {
  host: string;
  port: number;
  keepAliveS: number;
  devices: Array<{ id: string; password: string }>;
}

const creds = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Creds;
const t0 = performance.now();
const handles = new Map<number, NodeJS.Timeout>();
let nextTimer = 1;
const timers: TimerPort = {
  millis: () => performance.now() - t0,
  setTimeout(fn, ms) {
    const id = nextTimer++;
    handles.set(id, setTimeout(() => {
      handles.delete(id);
      fn();
    }, ms));
    return id;
  },
  clearTimeout(id) {
    const h = handles.get(id);
    if (h) clearTimeout(h);
    handles.delete(id);
  }
};

/** Counts sockets that closed before the client got its SUBACK (refused, reset, timed out). */
let earlyDrops = 0;
const baseNet = netPort(nodeConnect(), null)!;
function countingNet(isOnline: () => boolean): NetPort {
  return {
    join: baseNet.join,
    connect(host, port, tls, h) {
      return baseNet.connect(host, port, tls, {
        onConnect: h.onConnect, onData: h.onData,
        onClose() {
          if (!isOnline()) earlyDrops++;
          h.onClose();
        }
      });
    }
  };
}

interface Member {
  client: MqttClient | null;
  startedAt: number;
  onlineAt: number;
}
const members: Member[] = creds.devices.map(() => ({ client: null, startedAt: 0, onlineAt: 0 }));
let online = 0;
/** Started and not yet online for the first time. */
let connecting = 0;
let waiter: (() => void) | null = null;

function startMember(i: number): void {
  const d = creds.devices[i];
  const m = members[i];
  m.startedAt = performance.now();
  m.onlineAt = 0;
  connecting++;
  const client: MqttClient = createMqttClient(countingNet(() => client.online), timers, Math.random, {
    brokers: [{ host: creds.host, port: creds.port }], tls: false, clientId: d.id, username: d.id, password: d.password, keepAlive: creds.keepAliveS,
    willTopic: stateTopic(d.id), willPayload: offlineCodec.encode({ deviceId: fromHex(d.id) }), subscribe: commandTopic(d.id),
    maxPacket: 1024, retryMs: 5000, backoffMinMs: 1000, backoffMaxMs: 60000,
    // A crowd of thousands connecting at once may wait long for CONNACK: one keep-alive period.
    connectTimeoutMs: creds.keepAliveS * 1000
  }, () => undefined, () => {
    if (!m.onlineAt) {
      m.onlineAt = performance.now();
      connecting--;
    }
    online++;
    waiter?.();
  }, () => {
    online--;
  });
  m.client = client;
  mqttStart(client);
}

async function grow(n: number, concurrency: number) {
  n = Math.min(n, members.length);
  const from = members.findIndex((m) => !m.client);
  const first = from < 0 ? members.length : from;
  const began = performance.now();
  const drops0 = earlyDrops;
  let next = first;
  const deadline = began + 300_000;
  while (online < n && performance.now() < deadline) {
    while (next < n && connecting < concurrency) startMember(next++);
    await new Promise<void>((r) => {
      waiter = r;
      setTimeout(r, 50);
    });
    waiter = null;
  }
  const ms = performance.now() - began;
  const times = members.slice(first, next).filter((m) => m.onlineAt).map((m) => m.onlineAt - m.startedAt);
  const s = summarize(times);
  return {
    online, wanted: n, newlyConnected: times.length, totalMs: ms, perSecond: times.length / (ms / 1000),
    connectMs: { p50: s.p50, p99: s.p99, max: s.max }, earlyDrops: earlyDrops - drops0, rssKiB: Math.round(process.memoryUsage().rss / 1024)
  };
}

async function shrink(n: number) {
  const began = performance.now();
  for (let i = members.length - 1; i >= n; i--) {
    const c = members[i].client;
    if (c) {
      if (!members[i].onlineAt) connecting--;
      mqttStop(c, true);
      members[i].client = null;
    }
  }
  while (online > n && performance.now() - began < 60_000) await new Promise((r) => setTimeout(r, 20));
  return { online, ms: performance.now() - began };
}

serveCommands((command, args) => {
  if (command === 'grow') return grow(Number(args[0]), Number(args[1] ?? 200));
  if (command === 'shrink') return shrink(Number(args[0]));
  if (command === 'count') return { online, earlyDrops, rssKiB: Math.round(process.memoryUsage().rss / 1024) };
  throw new Error('unknown command ' + command);
});
process.stdout.write(JSON.stringify({ ready: true, devices: members.length }) + '\n');
process.on('SIGTERM', () => process.exit(0));

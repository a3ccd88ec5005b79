/**
 * The measured locks: the real lock firmware on the hardware simulator (startFleetLock:
 * real time, real MQTT over TCP to the relay, flash persisted to a file per lock), with the
 * lock options and the simulated physics set by the bench so the numbers measure software,
 * not a 700 ms motor (see FAST below and docs/benchmarks.md).
 *
 * Usage: lock-fleet.mts <spec.json> (`{ locks: [{ deviceId, board, flashFile }], options, physics, nativeVerify }`;
 * nativeVerify: the firmware verifies commands and signs its receipts with node:crypto instead of
 * its pure-JS verifier and signer; coalesceWrites: see FleetOptions.net),
 * then commands on stdin (JSON answers, see proc.mts serveCommands):
 *   start <id,id,…>   boot these locks (they connect, publish their status, get TIME_SET)
 *   stop <id,id,…>    power them off (no DISCONNECT: the broker publishes the will)
 *   stats             per-lock firmware counters (verifications, commands, loop lateness)
 *   timeline          lock-side time from command-topic message to OPERATION logged, summarized and
 *                     each sample in order (and resets it)
 *   trace             per courier entry (a reveal that ended in OPERATION): when the reveal arrived,
 *                     and for each event the lock logged up to OPERATION when it was logged, written
 *                     to the socket as a PUBLISH and seen acknowledged, and when each status was
 *                     written; wall-clock ms shared with the relay's trace lines (and resets it)
 */
import { readFileSync } from 'node:fs';
import type { LockOptions } from '@keyway/firmware';
import { decodeEvent, eventSeqOf, EV_OPERATION, KIND_REVEAL, messageKind, SRC_REVEAL } from '@keyway/shared';
import { summarize } from './report.mjs';
import { board, startFleetLock, type FleetLock, type PhysicsOptions } from '@keyway/hardware';
import { serveCommands } from './proc.mjs';

interface Spec {
  locks: Array<{ deviceId: string; board: string; flashFile: string }>;
  options: Partial<LockOptions>;
  physics: PhysicsOptions;
  nativeVerify?: boolean;
  /** Each lock's socket writes of one event-loop turn go out as one (node-net.ts coalesceWrites): the same bytes. */
  coalesceWrites?: boolean;
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Spec;
const byId = new Map(spec.locks.map((l) => [l.deviceId, l]));
const running = new Map<string, FleetLock>();

/**
 * Lock-side timeline: from a message arriving on the command topic to the OPERATION event
 * being logged (camera, commit, motor, all in firmware and simulated hardware), and how many
 * events the lock logged in between (each leaves as one QoS 1 publish as soon as it is logged, up to 4 in flight).
 */
const timeline: Record<'reveal' | 'command', { ms: number[]; events: number[] }> = { reveal: { ms: [], events: [] }, command: { ms: [], events: [] } };

/** One event of a traced entry: wall-clock ms (performance.timeOrigin based) at each step. */
interface TracedEvent {
  seq: number;
  type: number;
  logged: number;
  published: number;
  acked: number;
}

/** One courier entry as the lock saw it (see `trace` above). */
interface TracedEntry {
  deviceId: string;
  received: number;
  /** Other command-topic messages that arrived before OPERATION (a sync, a receipt acknowledgement). */
  others: number[];
  done: boolean;
  events: TracedEvent[];
  statuses: number[];
}

let traces: TracedEntry[] = [];
const wallMs = () => performance.timeOrigin + performance.now();

/** Topic, QoS and payload of an MQTT PUBLISH the lock writes (one packet per write), or null. */
function publishOf(b: Uint8Array): { topic: string; qos: number; payload: Uint8Array } | null {
  if (b.length < 2 || b[0] >> 4 !== 3) return null;
  let i = 1;
  while (i < b.length && b[i] & 0x80) i++;
  i++;
  const topicLength = (b[i] << 8) | b[i + 1];
  const topic = Buffer.from(b.subarray(i + 2, i + 2 + topicLength)).toString('latin1');
  const qos = (b[0] >> 1) & 3;
  const payload = b.subarray(i + 2 + topicLength + (qos > 0 ? 2 : 0));
  return { topic, qos, payload };
}

function instrument(lock: FleetLock): void {
  const l = lock.sim.lock;
  const deviceId = lock.sim.lock.deviceHex;
  let receivedAt = -1;
  let eventsSince = 0;
  let current: TracedEntry | null = null;
  /** The latest entries of this lock: their publishes and acknowledgements may come after the next message. */
  const recent: TracedEntry[] = [];
  const eventOf = (seq: number) => {
    for (const t of recent) {
      const e = t.events.find((x) => x.seq === seq);
      if (e) return e;
    }
    return undefined;
  };
  const traceSocket = () => {
    const sock = l.mqtt?.socket as (NonNullable<NonNullable<typeof l.mqtt>['socket']> & { traced?: boolean }) | null | undefined;
    if (!sock || sock.traced) return;
    sock.traced = true;
    const write = sock.write.bind(sock);
    sock.write = (data) => {
      const p = recent.length ? publishOf(data) : null;
      if (p) {
        if (p.topic.endsWith('/evt')) {
          const e = eventOf(eventSeqOf(p.payload));
          if (e && !e.published) e.published = wallMs();
        } else if (p.topic.endsWith('/state') && current && !current.done) current.statuses.push(wallMs());
      }
      write(data);
    };
  };
  // The log's acknowledged mark moves when the MQTT client completes a publish (in order, from the head).
  const traceAcks = () => {
    const log = l.log as (NonNullable<typeof l.log> & { ackTraced?: boolean }) | null;
    if (!log || log.ackTraced) return;
    log.ackTraced = true;
    let acked = log.acked;
    Object.defineProperty(log, 'acked', {
      get: () => acked,
      set: (v: number) => {
        for (const t of recent) for (const e of t.events) if (!e.acked && e.seq <= v && e.seq > acked) e.acked = wallMs();
        acked = v;
      }
    });
  };
  const onEvent = l.onEvent;
  l.onEvent = (bytes) => {
    onEvent?.(bytes);
    eventsSince++;
    const ev = decodeEvent(bytes);
    traceSocket();
    traceAcks();
    if (current && !current.done) current.events.push({ seq: ev.seq, type: ev.type, logged: wallMs(), published: 0, acked: 0 });
    if (ev.type === EV_OPERATION && receivedAt >= 0) {
      const reveal = ev.data.length >= 2 && ev.data[1] === SRC_REVEAL;
      const t = reveal ? timeline.reveal : timeline.command;
      t.ms.push(performance.now() - receivedAt);
      t.events.push(eventsSince);
      receivedAt = -1;
      // Kept until the next message starts another: its publishes and acknowledgements come after this.
      if (current && !current.done) {
        current.done = true;
        if (reveal) traces.push(current);
      }
    }
  };
  // The MQTT client exists once the lock starts connecting; its onMessage is looked up per message.
  const hook = setInterval(() => {
    const m = l.mqtt;
    if (!m) return;
    clearInterval(hook);
    const onMessage = m.onMessage;
    m.onMessage = (topic, payload) => {
      // The latest message starts the clock (a GRANT_PUT is never followed by an OPERATION).
      receivedAt = performance.now();
      eventsSince = 0;
      traceSocket();
      traceAcks();
      // A reveal starts a record; another message while an entry is under way (a sync) is noted in it.
      const now = wallMs();
      if (messageKind(payload) !== KIND_REVEAL) {
        if (current && !current.done) current.others.push(now);
      } else {
        current = { deviceId, received: now, others: [], done: false, events: [], statuses: [] };
        recent.push(current);
        if (recent.length > 3) recent.shift();
      }
      onMessage(topic, payload);
    };
  }, 5);
}

function start(ids: string[]) {
  for (const id of ids) {
    if (running.has(id)) continue;
    const l = byId.get(id);
    if (!l) throw new Error('no such lock ' + id);
    const lock = startFleetLock({ deviceId: l.deviceId, board: board(l.board), flashFile: l.flashFile }, {
      options: spec.options, nativeVerify: spec.nativeVerify === true, nativeSign: spec.nativeVerify === true, net: { coalesceWrites: spec.coalesceWrites === true }
    });
    // startFleetLock builds the physics with the default 700 ms bolt travel and 150 ms camera
    // acknowledgement; the physics object outlives reboots, so setting its options once holds.
    lock.sim.device.physics.opt = { ...spec.physics };
    instrument(lock);
    running.set(id, lock);
  }
  return { running: running.size };
}

function stop(ids: string[]) {
  for (const id of ids) {
    running.get(id)?.powerOff();
    running.delete(id);
  }
  return { running: running.size };
}

serveCommands((command, args) => {
  const ids = (args[0] ?? '').split(',').filter(Boolean);
  if (command === 'start') return start(ids);
  if (command === 'stop') return stop(ids);
  if (command === 'timeline') {
    const out: Record<string, unknown> = {};
    for (const k of ['reveal', 'command'] as const) {
      out[k] = { ms: summarize(timeline[k].ms), events: summarize(timeline[k].events), samples: timeline[k].ms, eventSamples: timeline[k].events };
      timeline[k] = { ms: [], events: [] };
    }
    return out;
  }
  if (command === 'trace') {
    const out = traces;
    traces = [];
    return { entries: out };
  }
  if (command === 'stats') {
    const out: Record<string, unknown> = {};
    for (const [id, l] of running) {
      out[id] = { online: l.online(), ...l.sim.lock.stats, loopMaxLatenessMs: Math.round(l.sim.loop.maxLateness), loopErrors: l.sim.loop.errors.length };
    }
    return { locks: out };
  }
  throw new Error('unknown command ' + command);
});
process.stdout.write(JSON.stringify({ ready: true, locks: spec.locks.length }) + '\n');
const quit = () => {
  for (const l of running.values()) l.powerOff();
  process.exit(0);
};
process.on('SIGTERM', quit);
process.on('SIGINT', quit);

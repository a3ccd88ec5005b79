/**
 * The measured locks: the real lock firmware on the hardware simulator (startFleetLock:
 * real time, real MQTT over TCP to the relay, flash persisted to a file per lock), with the
 * lock options and the simulated physics set by the bench so the numbers measure software,
 * not a 700 ms motor (see FAST below and docs/benchmarks.md).
 *
 * Usage: lock-fleet.mts <spec.json> (`{ locks: [{ deviceId, board, flashFile }], options, physics, nativeVerify }`;
 * nativeVerify: the firmware verifies commands with node:crypto instead of its pure-JS verifier),
 * then commands on stdin (JSON answers, see proc.mts serveCommands):
 *   start <id,id,…>   boot these locks (they connect, publish their status, get TIME_SET)
 *   stop <id,id,…>    power them off (no DISCONNECT: the broker publishes the will)
 *   stats             per-lock firmware counters (verifications, commands, loop lateness)
 *   timeline          lock-side time from command-topic message to OPERATION logged, summarized and
 *                     each sample in order (and resets it)
 */
import { readFileSync } from 'node:fs';
import type { LockOptions } from '@keyway/firmware';
import { decodeEvent, EV_OPERATION, SRC_REVEAL } from '@keyway/shared';
import { summarize } from './report.mjs';
import { board, startFleetLock, type FleetLock, type PhysicsOptions } from '@keyway/hardware';
import { serveCommands } from './proc.mjs';

interface Spec {
  locks: Array<{ deviceId: string; board: string; flashFile: string }>;
  options: Partial<LockOptions>;
  physics: PhysicsOptions;
  nativeVerify?: boolean;
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Spec;
const byId = new Map(spec.locks.map((l) => [l.deviceId, l]));
const running = new Map<string, FleetLock>();

/**
 * Lock-side timeline: from a message arriving on the command topic to the OPERATION event
 * being logged (camera, commit, motor, all in firmware and simulated hardware), and how many
 * events the lock logged in between (each leaves as one QoS 1 publish, one at a time).
 */
const timeline: Record<'reveal' | 'command', { ms: number[]; events: number[] }> = { reveal: { ms: [], events: [] }, command: { ms: [], events: [] } };

function instrument(lock: FleetLock): void {
  const l = lock.sim.lock;
  let receivedAt = -1;
  let eventsSince = 0;
  const onEvent = l.onEvent;
  l.onEvent = (bytes) => {
    onEvent?.(bytes);
    eventsSince++;
    const ev = decodeEvent(bytes);
    if (ev.type === EV_OPERATION && receivedAt >= 0) {
      const t = ev.data.length >= 2 && ev.data[1] === SRC_REVEAL ? timeline.reveal : timeline.command;
      t.ms.push(performance.now() - receivedAt);
      t.events.push(eventsSince);
      receivedAt = -1;
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
      onMessage(topic, payload);
    };
  }, 5);
}

function start(ids: string[]) {
  for (const id of ids) {
    if (running.has(id)) continue;
    const l = byId.get(id);
    if (!l) throw new Error('no such lock ' + id);
    const lock = startFleetLock({ deviceId: l.deviceId, board: board(l.board), flashFile: l.flashFile }, { options: spec.options, nativeVerify: spec.nativeVerify === true });
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

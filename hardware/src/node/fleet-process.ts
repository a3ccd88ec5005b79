/**
 * Simulated locks as a separate process (end-to-end tests): `npx tsx hardware/src/node/fleet-process.ts
 * <spec.json>` where spec.json is `{ locks: [{ deviceId, board (id), flashFile }], options? }`.
 * Prints `{"ready":true}` once started. Each stdin line `<deviceId> <command …>` acts on one lock and
 * is answered with one JSON line `{ "id": n, "ok": true, … }`:
 *   state | door open [force] | door close | button <ms> | camera ok|broken | jam <position>|clear
 *   scan <text> | net on|off | power on|off | inject <hex> | events
 * Faults and observations for soaks (fleet-faults.ts):
 *   power cut-in-write <n> [missing|erased-tail|truncated] [fraction]: the n-th next flash write
 *     is torn (that much of it written) and the power goes off there; `power on` boots again
 *   clock reset: RTC back to 0, trusted time lost | delay <ms>: hold incoming broker bytes
 *   (in order; 0 = off) | dup <k>: re-deliver the k-th (modulo) remembered command payload
 *   heal: power on, network on, no delay, no armed cut | grants: staged and revoked grant ids
 *   journal [from]: events logged across boots, with wall time, and the sequences the lock overwrote undelivered | history: online-with-trusted-time intervals
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { BOLT_UNLOCKED, fromHex, toHex, encodeEvent } from '@keyway/shared';
import { board } from '../boards';
import type { TearMode } from '../sim/storage';
import { startFleetLock, type FleetLock } from './fleet';

interface Spec {
  locks: Array<{ deviceId: string; board: string; flashFile: string }>;
  options?: Record<string, unknown>;
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Spec;
const locks = new Map<string, FleetLock>();
for (const l of spec.locks) locks.set(l.deviceId, startFleetLock({ deviceId: l.deviceId, board: board(l.board), flashFile: l.flashFile }, { options: spec.options }));
process.stdout.write(JSON.stringify({ ready: true, locks: spec.locks.length }) + '\n');

let reqId = 0;
function answer(body: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ id: ++reqId, ...body }) + '\n');
}

function handle(line: string): void {
  const [deviceId, cmd, arg, ...rest] = line.trim().split(/\s+/);
  const lock = locks.get(deviceId);
  if (!lock) return answer({ ok: false, error: 'no such lock ' + deviceId });
  const dev = lock.sim.device;
  const l = lock.sim.lock;
  switch (cmd) {
    case 'state':
      return answer({
        ok: true, bolt: l.bolt.phase, unlocked: l.bolt.phase === BOLT_UNLOCKED, door: dev.physics.door ? 'open' : 'closed', online: lock.online(),
        timeTrusted: l.timeTrusted, powered: lock.powered(), logSeq: l.log ? l.log.seq : 0, motor: dev.physics.motor, longestRunMs: dev.physics.longestRunMs,
        settings: l.settings,
        // Diagnosis of a lock the relay sees stuck: its MQTT session and event queue.
        mqtt: l.mqtt ? { online: l.mqtt.online, queued: l.mqtt.queue.length, unacked: l.mqtt.queue.filter((m) => !m.acked).length, connects: l.mqtt.connects, attempt: l.mqtt.attempt } : null,
        sendingSeq: l.sendingSeq, acked: l.log ? l.log.acked : 0
      });
    case 'door':
      return answer({ ok: arg === 'open' ? dev.openDoor(rest[0] === 'force') : dev.closeDoor() });
    case 'button':
      dev.pressButton(Number(arg ?? 100));
      return answer({ ok: true });
    case 'camera':
      dev.physics.cameraHealthy = arg === 'ok';
      return answer({ ok: true });
    case 'jam':
      dev.physics.obstruction = arg === 'clear' ? -1 : Number(arg);
      return answer({ ok: true });
    case 'scan':
      dev.scan([arg, ...rest].join(' '));
      return answer({ ok: true });
    case 'net':
      lock.setNetwork(arg === 'on');
      return answer({ ok: true });
    case 'power':
      if (arg === 'on') lock.powerOn();
      else if (arg === 'cut-in-write') lock.cutInWrite(Number(rest[0] ?? 1), (rest[1] ?? 'erased-tail') as TearMode, Number(rest[2] ?? 0.5));
      else lock.powerOff();
      return answer({ ok: true, powered: lock.powered() });
    case 'clock':
      lock.resetClock();
      return answer({ ok: true });
    case 'delay':
      lock.tap.delayMs = Math.max(0, Number(arg ?? 0));
      return answer({ ok: true });
    case 'dup':
      return answer({ ok: true, delivered: lock.dup(Number(arg ?? 0)) });
    case 'heal':
      lock.heal();
      return answer({ ok: true });
    case 'grants':
      return answer({
        ok: true, staged: lock.powered() ? l.grants.slots.filter((g) => g !== null).map((g) => g!.grant.grantId) : null,
        revoked: lock.powered() ? l.grants.revoked.slice() : null
      });
    case 'journal':
      return answer({ ok: true, journal: lock.journal.slice(Number(arg ?? 0)), overwritten: lock.overwritten });
    case 'history':
      return answer({ ok: true, intervals: lock.history.intervals });
    case 'errors':
      return answer({ ok: true, errors: lock.errors() });
    case 'inject':
      lock.inject(fromHex(arg));
      return answer({ ok: true });
    case 'events':
      return answer({ ok: true, events: lock.sim.events.map((e) => ({ seq: e.seq, type: e.type, code: e.code, ref: e.ref, hex: toHex(encodeEvent(e)) })) });
    default:
      return answer({ ok: false, error: 'unknown command ' + cmd });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  try {
    handle(line);
  } catch (e) {
    answer({ ok: false, error: String((e as Error).message ?? e) });
  }
});
const stop = () => {
  for (const l of locks.values()) {
    l.dispose();
    l.powerOff();
  }
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

/**
 * Simulated locks as a separate process (end-to-end tests): `npx tsx hardware/src/node/fleet-process.ts
 * <spec.json>` where spec.json is `{ locks: [{ deviceId, board (id), flashFile }], options? }`.
 * Prints `{"ready":true}` once started. Each stdin line `<deviceId> <command …>` acts on one lock and
 * is answered with one JSON line `{ "id": n, "ok": true, … }`:
 *   state | door open [force] | door close | button <ms> | camera ok|broken | jam <position>|clear
 *   scan <text> | net on|off | power on|off | inject <hex> | events
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { BOLT_UNLOCKED, fromHex, toHex, encodeEvent } from '@keyway/shared';
import { board } from '../boards';
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
        timeTrusted: l.timeTrusted, logSeq: l.log ? l.log.seq : 0, motor: dev.physics.motor, longestRunMs: dev.physics.longestRunMs
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
      else lock.powerOff();
      return answer({ ok: true });
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
  for (const l of locks.values()) l.powerOff();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

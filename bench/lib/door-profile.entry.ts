/**
 * Bundled to ES5 for Espruino by bench/door-profile.mts: the firmware on the simulator with one
 * staged grant without camera; each reveal's synchronous slice is timed, with marks taken at the
 * simulator's edges inside it: around the SHA-512 call (pure JS, through the native-hash hook),
 * around each simulated Storage read and write, around the motor pins (the firmware's `motor`
 * port, whose pin writes drive the simulator's physics) and at the event the firmware hands out.
 * With `gcBefore`, a garbage collection runs before each entry (outside the timing); unless
 * `receipts`, the lock's receipt key is dropped after boot.
 * Prints one `PROF <json>` line: per entry, a list of [mark, interpreter CPU ms since the start].
 */
import { createSimulatedLock, createVirtualLoop } from '@keyway/hardware/sim';
import { onCommandTopic, type BoardProfile } from '@keyway/firmware';
import { fromHex, setSha512Native, sha512Js } from '@keyway/shared';
import { engineCpuMs, espruinoNatives, seededRandom } from '../../tests/support/engine-env';

interface Scenario { grantPut: string; reveals: string[] }
declare const KW_DOOR: { board: BoardProfile; files: { [name: string]: string }; timeSet: string; plain: Scenario; gcBefore?: boolean; receipts?: boolean };
declare const process: { memory(gc?: boolean): { free: number; usage: number; total: number; gc?: number; gctime?: number } } | undefined;
declare const console: { log(s: string): void };

const now = engineCpuMs;
/** Marks of the slice being timed; null outside it (the grant put, the later slices). */
let marks: Array<string | number> | null = null;
let t0 = 0;

function mark(label: string): void {
  if (marks) marks.push(label, now() - t0);
}

function run(): Array<Array<string | number>> {
  const loop = createVirtualLoop(now, 0);
  const sim = createSimulatedLock({
    board: KW_DOOR.board, files: KW_DOOR.files, random: seededRandom(), loop: loop, sha512: null, crc32: espruinoNatives().crc32
  });
  setSha512Native(function (m: Uint8Array) {
    mark('sha<');
    const r = sha512Js(m);
    mark('sha>');
    return r;
  });
  const st: any = sim.storage;
  const write = st.write;
  const read = st.read;
  st.write = function (name: string, data: any) {
    mark('write<' + name);
    const r = write.call(st, name, data);
    mark('write>');
    return r;
  };
  st.read = function (name: string) {
    mark('read<' + name);
    const r = read.call(st, name);
    mark('read>');
    return r;
  };
  const hw: any = sim.lock.ports.hw;
  const motor = hw.motor;
  hw.motor = function (dir: number) {
    mark('motor<');
    motor.call(hw, dir);
    mark('motor>');
  };
  sim.lock.onEvent = function () {
    mark('event');
  };
  sim.lock.onStatus = null;
  loop.advance(3000);
  // Without its key the lock signs no receipt after each relock: an entry then costs its slice
  // and the motor run instead of also one Ed25519 signature (seconds of CPU from Storage).
  if (!KW_DOOR.receipts) sim.lock.signer = null;
  onCommandTopic(sim.lock, fromHex(KW_DOOR.timeSet));
  loop.advance(2000);
  onCommandTopic(sim.lock, fromHex(KW_DOOR.plain.grantPut));
  loop.advance(2000);
  const out: Array<Array<string | number>> = [];
  for (let i = 0; i < KW_DOOR.plain.reveals.length; i++) {
    const bytes = fromHex(KW_DOOR.plain.reveals[i]);
    if (KW_DOOR.gcBefore && typeof process !== 'undefined') process.memory(true);
    const m0 = typeof process !== 'undefined' ? process.memory(false) : null;
    marks = [];
    t0 = now();
    onCommandTopic(sim.lock, bytes);
    mark('end');
    const m1 = typeof process !== 'undefined' ? process.memory(false) : null;
    if (m0 && m1) marks.push('mem', [m0.free, m1.free, m0.total, m1.total, m0.gctime, m1.gctime, m0.gc, m1.gc].join('/'));
    out.push(marks);
    marks = null;
    loop.advance(40000);
  }
  return out;
}
console.log('PROF ' + JSON.stringify(run()));

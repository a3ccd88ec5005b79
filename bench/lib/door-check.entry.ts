/**
 * Bundled to ES5 for Duktape/Espruino (and run as TypeScript in Node): the real firmware on the
 * simulator with two staged, verified grants; then reveals are presented at the door and the
 * synchronous reaction is timed. For a camera grant that is the check itself (decode, grant
 * rules, one SHA-512 chain step, constant-time compare) up to the camera trigger; for a grant
 * without camera it also includes the commit (power-safe grant record write), the motor start
 * and storing its STATE event (hashing that event into the chain follows in a later slice).
 */
import { createSimulatedLock, createVirtualLoop } from '@keyway/hardware/sim';
import { onCommandTopic, type BoardProfile } from '@keyway/firmware';
import { decodeEvent, fromHex, setSha512Native } from '@keyway/shared';
import { engineCpuMs, espruinoNatives, seededRandom } from '../../tests/support/engine-env';

interface Scenario { grantPut: string; reveals: string[] }
declare const KW_DOOR: { board: BoardProfile; files: { [name: string]: string }; timeSet: string; camera: Scenario; plain: Scenario; nativeSha: boolean };
declare const console: { log(s: string): void };

/** Interpreter CPU time on Espruino's Linux build (wall time on Duktape, which cannot tell). */
const now = engineCpuMs;
const natives = espruinoNatives();
const sha = natives.sha512;

/** Median of a list of times. */
function median(v: number[]): number {
  const s = v.slice().sort(function (a, b) { return a - b; });
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median and worst synchronous reaction, and worst whole-entry CPU, over the scenario's reveals. */
function measure(sim: any, loop: any, s: Scenario): { react: number; reactMedian: number; entry: number } {
  let react = 0;
  let entry = 0;
  const all: number[] = [];
  for (let i = 0; i < s.reveals.length; i++) {
    // The relay's bytes as the MQTT client hands them over (hex decoding is the bench's own).
    const bytes = fromHex(s.reveals[i]);
    const cpu0 = loop.cpuMs;
    const t0 = now();
    onCommandTopic(sim.lock, bytes);
    const ms = now() - t0;
    // Everything the lock computes for this entry afterwards: camera acknowledgement, the
    // commit, motor ticks, events, status, relock.
    loop.advance(40000);
    all.push(ms);
    react = Math.max(react, ms);
    entry = Math.max(entry, ms + loop.cpuMs - cpu0);
  }
  return { react: react, reactMedian: median(all), entry: entry };
}

export function run(nativeSha: boolean): string {
  if (!nativeSha) setSha512Native(null);
  const loop = createVirtualLoop(now, 0); // charges CPU time to cpuMs without moving the clock
  // E.CRC32 as the shipped main.ts installs it; SHA-512 native or pure JS as asked.
  const sim = createSimulatedLock({
    board: KW_DOOR.board, files: KW_DOOR.files, random: seededRandom(), loop: loop, sha512: nativeSha ? sha : null, crc32: natives.crc32
  });
  // The simulator decodes every event for its observers; a board has no observer. Keep the
  // raw bytes during the run and decode them afterwards, so the timing is the firmware's own.
  const raw: Uint8Array[] = [];
  sim.lock.onEvent = function (b: Uint8Array) { raw.push(b); };
  sim.lock.onStatus = null;
  loop.advance(3000);
  onCommandTopic(sim.lock, fromHex(KW_DOOR.timeSet));
  loop.advance(2000);
  onCommandTopic(sim.lock, fromHex(KW_DOOR.camera.grantPut));
  loop.advance(2000);
  onCommandTopic(sim.lock, fromHex(KW_DOOR.plain.grantPut));
  loop.advance(2000);
  const cam = measure(sim, loop, KW_DOOR.camera);
  const plain = measure(sim, loop, KW_DOOR.plain);
  let unlocks = 0;
  for (let i = 0; i < raw.length; i++) {
    const ev = decodeEvent(raw[i]);
    if (ev.type === 3 && ev.code === 0 && ev.data[1] === 2) unlocks++;
  }
  return JSON.stringify({
    checkMs: cam.react, checkMsMedian: cam.reactMedian, cameraEntryMs: cam.entry, motorMs: plain.react, motorMsMedian: plain.reactMedian, plainEntryMs: plain.entry,
    unlocks: unlocks, reveals: KW_DOOR.camera.reveals.length + KW_DOOR.plain.reveals.length, nativeSha: nativeSha && sha !== null
  });
}
// One hashing mode per process (the bench runs the other in a process of its own), so each run
// starts from the same fresh interpreter and a slow run cannot take the other's time limit.
if (!KW_DOOR.nativeSha || sha) console.log('DOOR ' + run(KW_DOOR.nativeSha));

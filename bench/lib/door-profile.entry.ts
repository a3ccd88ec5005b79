/**
 * Bundled to ES5 for Espruino by bench/door-profile.mts: the firmware on the simulator with one
 * staged grant without camera; each reveal's synchronous slice is timed, and so are the
 * SHA-512 calls (pure JS, through the native-hash hook) and the simulated Storage's reads and
 * writes inside it. Prints one `PROF <json>` line.
 */
import { createSimulatedLock, createVirtualLoop } from '@keyway/hardware/sim';
import { onCommandTopic, type BoardProfile } from '@keyway/firmware';
import { fromHex, setSha512Native, sha512Js } from '@keyway/shared';
import { engineCpuMs, espruinoNatives, seededRandom } from '../../tests/support/engine-env';

interface Scenario { grantPut: string; reveals: string[] }
declare const KW_DOOR: { board: BoardProfile; files: { [name: string]: string }; timeSet: string; plain: Scenario };
declare const console: { log(s: string): void };

const now = engineCpuMs;
const spent = { sha: 0, storage: 0 };

function run(): Array<{ slice: number; sha: number; storage: number }> {
  const loop = createVirtualLoop(now, 0);
  const sim = createSimulatedLock({
    board: KW_DOOR.board, files: KW_DOOR.files, random: seededRandom(), loop: loop, sha512: null, crc32: espruinoNatives().crc32
  });
  setSha512Native(function (m: Uint8Array) {
    const t = now();
    const r = sha512Js(m);
    spent.sha += now() - t;
    return r;
  });
  const st: any = sim.storage;
  const write = st.write;
  const read = st.read;
  st.write = function (name: string, data: any) {
    const t = now();
    const r = write.call(st, name, data);
    spent.storage += now() - t;
    return r;
  };
  st.read = function (name: string) {
    const t = now();
    const r = read.call(st, name);
    spent.storage += now() - t;
    return r;
  };
  sim.lock.onEvent = function () { /* the bench keeps no events */ };
  sim.lock.onStatus = null;
  loop.advance(3000);
  onCommandTopic(sim.lock, fromHex(KW_DOOR.timeSet));
  loop.advance(2000);
  onCommandTopic(sim.lock, fromHex(KW_DOOR.plain.grantPut));
  loop.advance(2000);
  const out: Array<{ slice: number; sha: number; storage: number }> = [];
  for (let i = 0; i < KW_DOOR.plain.reveals.length; i++) {
    const bytes = fromHex(KW_DOOR.plain.reveals[i]);
    spent.sha = 0;
    spent.storage = 0;
    const t0 = now();
    onCommandTopic(sim.lock, bytes);
    out.push({ slice: now() - t0, sha: spent.sha, storage: spent.storage });
    loop.advance(40000);
  }
  return out;
}
console.log('PROF ' + JSON.stringify(run()));

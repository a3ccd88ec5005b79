/**
 * Where the at-door slice's CPU time goes on Espruino (a companion to door-check.mts): the real
 * firmware on the simulator with one staged grant without camera, then `--entries` reveals
 * (default 8). Marks at the simulator's edges split each slice into parts: decoding and the
 * grant rules, the chain step's SHA-512 (pure JS), the compare and the commit's encoding, the
 * grant record write, the bolt start, the motor pins, the STATE event's encoding, its write,
 * and what follows. Interpreter CPU time (/proc/self/schedstat, 4 ms steps on this kernel, so a
 * part's median over entries is the figure to read, not one entry's). The Storage writes and the
 * motor pins run in the simulator's JavaScript here; on a board they are native calls.
 * Runs from Storage, or with `ram` from a file in RAM. The lock's receipt key is dropped after
 * boot, so no entry is followed by a receipt's signature (seconds of CPU each from Storage, which
 * made a 20-entry run take an hour on a loaded host); `receipts` keeps it. `gc` runs a garbage
 * collection before each entry, outside the timing. Each entry also prints the interpreter's
 * memory before and after its slice (process.memory(false): free variables, total, last GC's
 * time and freed count), so a garbage collection inside a slice shows.
 * Run: ESPRUINO=/path/to/espruino nice npx tsx bench/door-profile.mts [ram] [gc] [receipts] [--entries 20]
 */
import { ACT_GRANT_PUT, ACT_TIME_SET, toHex } from '@keyway/shared';
import { signCommand } from '@keyway/shared/node';
import { bundleEs5 } from '../tools/src/firmware/es5-bundle';
import { espruino, espruinoInRam, espruinoPath } from '../tests/support/engines';
import { BOARD, DEVICE_ID, T0, chainGrant, harness, reveal } from '../tests/support/lock-harness';
import { numberFlag, parseFlags } from './lib/report.mjs';

if (!espruinoPath()) {
  console.log('Set ESPRUINO=/path/to/espruino (an Espruino Linux build) to profile the at-door slice.');
  process.exit(0);
}
const N = numberFlag(parseFlags(process.argv.slice(2)), 'entries', 8);
const h = harness();
const nonce = h.status().nonce;
const plain = chainGrant({ grantId: 12 }, N, 9);
const sign = (action: number, payload: unknown, counter: number, extra = {}) =>
  toHex(signCommand(h.signer, { deviceId: DEVICE_ID, action, payload, notBefore: T0, notAfter: T0 + 60, counter, ...extra }));
const input = {
  gcBefore: process.argv.includes('gc'), receipts: process.argv.includes('receipts'), board: BOARD, files: h.initialFiles, timeSet: sign(ACT_TIME_SET, { time: T0 }, 1, { nonce }),
  plain: { grantPut: sign(ACT_GRANT_PUT, plain.grant, 3), reveals: Array.from({ length: N }, (_, k) => toHex(reveal(12, plain.chain[N - 1 - k]))) }
};
const bundle = await bundleEs5({ entry: 'bench/lib/door-profile.entry.ts' });
const engine = process.argv.includes('ram') ? espruinoInRam : espruino;
const r = await engine.run('var KW_DOOR = ' + JSON.stringify(input) + ';\n' + bundle.code, 1_200_000);
const line = r.lines.find((l) => l.startsWith('PROF '));
if (!line) throw new Error('no result: ' + r.stdout.slice(-800));
const entries = JSON.parse(line.slice(5)) as Array<Array<string | number>>;

/** The part of the slice that ends at mark `to` (after mark `from`). */
const PARTS = [
  'decode, grant rules', 'SHA-512 (chain step)', 'compare, commit encoding', 'grant record write (simulated Storage)', 'bolt start',
  'motor pins (simulator)', 'STATE event encoding', 'event write (simulated Storage)', 'after the event (status soon, first tick)', 'other'
] as const;
const SIMULATED: ReadonlyArray<string> = [PARTS[3], PARTS[5], PARTS[7]];
function part(from: string, to: string, grantWritten: boolean): string {
  if (to === 'sha<') return PARTS[0];
  if (to === 'sha>') return PARTS[1];
  if (to.startsWith('write<kwg')) return PARTS[2];
  if (to === 'write>' && from.startsWith('write<kwg')) return PARTS[3];
  if (to === 'motor<') return PARTS[4];
  if (to === 'motor>') return PARTS[5];
  if (to.startsWith('write<kwe')) return PARTS[6];
  if (to === 'write>' && from.startsWith('write<kwe')) return PARTS[7];
  if (grantWritten && (to === 'event' || to === 'end')) return PARTS[8];
  return PARTS[9];
}
const perEntry = entries.map((m) => {
  const sums: Record<string, number> = {};
  let prev = 'start';
  let at = 0;
  let grantWritten = false;
  for (let i = 0; i < m.length; i += 2) {
    const label = String(m[i]);
    if (label === 'mem') { console.log('mem ' + m[i + 1]); continue; }
    const t = Number(m[i + 1]);
    const p = part(prev, label, grantWritten);
    sums[p] = (sums[p] ?? 0) + (t - at);
    if (label.startsWith('write<kwg')) grantWritten = true;
    prev = label;
    at = t;
  }
  return { slice: at, sums };
});
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log('\nAt-door slice on ' + engine.name + ', pure-JS SHA-512, interpreter CPU ms, ' + entries.length + ' entries');
console.log('  part                                       median    worst');
for (const p of PARTS) {
  const v = perEntry.map((e) => e.sums[p] ?? 0);
  if (v.every((x) => x === 0)) continue;
  console.log('  ' + p.padEnd(41) + median(v).toFixed(1).padStart(7) + Math.max(...v).toFixed(1).padStart(9));
}
const slices = perEntry.map((e) => e.slice);
const firmware = perEntry.map((e) => e.slice - SIMULATED.reduce((s, p) => s + (e.sums[p] ?? 0), 0));
console.log('  ' + 'slice'.padEnd(41) + median(slices).toFixed(1).padStart(7) + Math.max(...slices).toFixed(1).padStart(9));
console.log('  ' + 'slice without the simulator\'s parts'.padEnd(41) + median(firmware).toFixed(1).padStart(7) + Math.max(...firmware).toFixed(1).padStart(9));
console.log('  per entry: ' + slices.map((s) => s.toFixed(1)).join(', '));
console.log('  SHA-512 per entry: ' + perEntry.map((e) => (e.sums[PARTS[1]] ?? 0).toFixed(1)).join(', '));

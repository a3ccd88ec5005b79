/**
 * What the shared functions of the at-door slice cost on Espruino, from Storage (as on a board)
 * and with the code in RAM, side by side in one run: interpreter CPU ms per call, each the mean of
 * 40 calls in a row (docs/firmware.md, "Code read from Storage"). The SHA-512 row is the one
 * function that already ran in RAM from Storage ("ram"), so it gives the scale of host noise.
 * Run: ESPRUINO=/path/to/espruino npx tsx bench/door-primitives.mts
 */
import { bundleEs5 } from '../tools/src/firmware/es5-bundle';
import { espruino, espruinoInRam, espruinoPath } from '../tests/support/engines';

if (!espruinoPath()) {
  console.log('Set ESPRUINO=/path/to/espruino (an Espruino Linux build) to time the door primitives.');
  process.exit(0);
}
const bundle = await bundleEs5({ entry: 'bench/lib/door-primitives.entry.ts' });
const cols: Array<Map<string, string>> = [];
for (const e of [espruino, espruinoInRam]) {
  const r = await e.run(bundle.code, 600_000);
  const m = new Map<string, string>();
  for (const l of r.lines.filter((x) => x.startsWith('PRIM '))) {
    const i = l.lastIndexOf(' ');
    m.set(l.slice(5, i), l.slice(i + 1));
  }
  if (!m.has('done')) throw new Error(e.name + ' did not finish: ' + r.stdout.slice(-800));
  cols.push(m);
}
console.log('\nAt-door primitives on ' + espruinoPath() + ', interpreter CPU ms per call');
console.log('  ' + 'function'.padEnd(32) + 'from Storage'.padStart(14) + 'code in RAM'.padStart(14));
for (const k of cols[0].keys()) {
  if (k === 'done') continue;
  console.log('  ' + k.padEnd(32) + cols[0].get(k)!.padStart(14) + (cols[1].get(k) ?? '?').padStart(14));
}

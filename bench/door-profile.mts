/**
 * Where the at-door slice's CPU time goes on Espruino (a companion to door-check.mts): the real
 * firmware on the simulator with one staged grant without camera, then `--entries` reveals
 * (default 8). Per entry it prints the slice's interpreter CPU time, the part spent in SHA-512
 * (pure JS, timed around each call) and in the simulated Storage's reads and writes, at the
 * 4 ms resolution of /proc/self/schedstat. Runs from Storage, or with `ram` from a file in RAM.
 * Run: ESPRUINO=/path/to/espruino npx tsx bench/door-profile.mts [ram] [--entries 8]
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
  board: BOARD, files: h.initialFiles, timeSet: sign(ACT_TIME_SET, { time: T0 }, 1, { nonce }),
  plain: { grantPut: sign(ACT_GRANT_PUT, plain.grant, 3), reveals: Array.from({ length: N }, (_, k) => toHex(reveal(12, plain.chain[N - 1 - k]))) }
};
const bundle = await bundleEs5({ entry: 'bench/lib/door-profile.entry.ts' });
const engine = process.argv.includes('ram') ? espruinoInRam : espruino;
const r = await engine.run('var KW_DOOR = ' + JSON.stringify(input) + ';\n' + bundle.code, 1_200_000);
const lines = r.lines.filter((l) => l.startsWith('PROF '));
if (lines.length === 0) throw new Error('no result: ' + r.stdout.slice(-800));
const rows = (JSON.parse(lines[0].slice(5)) as Array<{ slice: number; sha: number; storage: number }>);
console.log('\nAt-door slice on ' + engine.name + ', pure-JS SHA-512, interpreter CPU ms per entry');
console.log('  entry  slice  SHA-512  Storage  rest');
rows.forEach((x, i) => console.log('  ' + String(i + 1).padEnd(5) + '  ' + [x.slice, x.sha, x.storage, x.slice - x.sha - x.storage].map((v) => v.toFixed(1).padStart(6)).join('  ')));
const med = (k: 'slice' | 'sha') => rows.map((x) => x[k]).sort((a, b) => a - b)[rows.length >> 1];
console.log('  median slice ' + med('slice').toFixed(1) + ' ms, worst ' + Math.max(...rows.map((x) => x.slice)).toFixed(1) + ' ms; median SHA-512 ' + med('sha').toFixed(1) + ' ms');

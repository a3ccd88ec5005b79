/**
 * Where a verification's time goes on Espruino (docs/verifier.md, "Where the time goes"): the
 * phases of bench/lib/verify-profile.entry.ts run unsliced, with the natives the firmware installs
 * (E.convolve, crypto.SHA512), each timed in CPU time of the interpreter thread
 * (/proc/self/schedstat), for `--rounds` different keys and messages after one untimed warm-up;
 * then the same verifications through verifyStrict (no kept table) for the total. Prints the
 * median per phase and the operation counts.
 * Run: ESPRUINO=/path/to/espruino nice npx tsx bench/verify-profile.mts [--rounds 5]
 */
import os from 'node:os';
import nacl from 'tweetnacl';
import { bundleEs5 } from '../tools/src/firmware/es5-bundle';
import { avoidEspruinoKeywords } from '../tests/shared/ed25519/espruino-keywords';
import { espruinoBuildsOrExit, runEspruinoLines } from './lib/espruino-run.mjs';
import { machineLine, numberFlag, parseFlags, percentile, table } from './lib/report.mjs';

const rounds = numberFlag(parseFlags(process.argv.slice(2)), 'rounds', 5);
const bin = espruinoBuildsOrExit("the verifier's phases")[0];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const cases: string[] = [];
for (let i = 0; i <= rounds; i++) {
  const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).map((_, j) => (j * 31 + 7 * i + 5) & 0xff));
  const msg = new Uint8Array(120).map((_, j) => (j + i) & 0xff); // a command-sized message
  cases.push(`[h2b('${hex(msg)}'), h2b('${hex(nacl.sign.detached(msg, kp.secretKey))}'), h2b('${hex(kp.publicKey)}')]`);
}

const built = await bundleEs5({ entry: 'bench/lib/verify-profile.entry.ts', globalName: 'KW' });
const load0 = os.loadavg()[0];
const samples = runEspruinoLines<{ [k: string]: number }>(bin, `
var fs = require('fs');
function cpu() { return parseInt(String(fs.readFileSync('/proc/self/schedstat')).split(' ')[0], 10) / 1e6; }
function h2b(h) { var o = new Uint8Array(h.length / 2); for (var i = 0; i < o.length; i++) o[i] = parseInt(h.substr(2 * i, 2), 16); return o; }
${avoidEspruinoKeywords(built.code)}
KW.setFieldNatives({ convolve: E.convolve });
KW.setSha512Native(function (m) { return new Uint8Array(require('crypto').SHA512(m)); });
var CASES = [${cases.join(',\n')}];
for (var i = 0; i < CASES.length; i++) {
  var p = KW.profileOnce(CASES[i][0], CASES[i][1], CASES[i][2], cpu);
  KW.forgetKeyTables();
  var c0 = cpu(), ok = KW.verifyStrict(CASES[i][0], CASES[i][1], CASES[i][2]);
  p['verifyStrict (total)'] = cpu() - c0;
  p.ok = p.ok && ok ? 1 : 0;
  if (i > 0) print('T ' + JSON.stringify(p));
}
`, 'kw-vprof-');
if (samples.length === 0) throw new Error('no samples from ' + bin);

const phases = Object.keys(samples[0]).filter((k) => !/^(ok|doublings|additions)/.test(k));
const counts = Object.keys(samples[0]).filter((k) => /^(doublings|additions)/.test(k));
const med = (k: string) => percentile(samples.map((s) => s[k]), 50);
const rows = phases.map((k) => [k, med(k).toFixed(1)]);
rows.push(...counts.map((k) => [k + ' (count, median)', String(med(k))]));
rows.push(['all valid', samples.every((s) => s.ok === 1) ? 'yes' : 'NO']);
table(`Verification phases on ${bin}, CPU ms, median of ${samples.length} keys (load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)})`, ['phase', 'CPU ms'], rows);
console.log(machineLine());

/**
 * Where a verification's time goes on Espruino (docs/verifier.md, "Where the time goes"): the
 * phases of bench/lib/verify-profile.entry.ts run unsliced, with the natives the firmware installs
 * (E.convolve, crypto.SHA512), each timed in CPU time of the interpreter thread
 * (/proc/self/schedstat), for `--rounds` different keys and messages after one untimed warm-up;
 * then the same verifications through verifyStrict (no kept table) for the total. Prints the
 * median per phase and the operation counts; then what the interpreter charges for the pieces a field
 * product is made of (a native convolution, a carry-and-store limb statement, a call).
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
const lines = runEspruinoLines<{ [k: string]: number }>(bin, `
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
// what the interpreter charges for the pieces of a field product: µs per loop iteration, less an empty loop
var N = 20000, RND = 3 * Math.pow(2, 71), SH = 1 / 1048576, cv = E.convolve;
var a13 = new Int32Array(13), a7 = new Int32Array(7), b26 = new Int32Array(26), o13 = new Int32Array(13), sink = 0;
for (var j = 0; j < 13; j++) { a13[j] = 1000 * j + 5; b26[j] = 777 * j; b26[13 + j] = 3 * j; }
function f0(o, x, y, m) { return 1; }
function f8(o, x, y, m) { var v, h, R = RND, S = SH, c = cv, x0, x1, x2; return 1; }
var pieces = {
  'empty loop': function () { for (var n = 0; n < N; n++) sink = n; },
  'E.convolve over 13 entries': function () { for (var n = 0; n < N; n++) sink = cv(a13, b26, 4); },
  'E.convolve over 7 entries': function () { for (var n = 0; n < N; n++) sink = cv(a7, b26, 4); },
  'carry-and-store limb statement': function () {
    var v, h = 0, R = RND, S = SH;
    for (var n = 0; n < N; n++) o13[4] = (v = n + h * S) - (h = v + R - R);
  },
  'call, no locals': function () { for (var n = 0; n < N; n++) sink = f0(o13, a13, b26, 1); },
  'call declaring 8 locals': function () { for (var n = 0; n < N; n++) sink = f8(o13, a13, b26, 1); }
};
for (var r = 0; r < 3; r++) {
  var m = {};
  for (var k in pieces) { var c0 = cpu(); pieces[k](); m[k] = (cpu() - c0) * 1000 / N; }
  print('M ' + JSON.stringify(m));
}
`, 'kw-vprof-');
const samples = lines.filter((l) => 'verifyStrict (total)' in l);
const pieces = lines.filter((l) => 'empty loop' in l);
if (samples.length === 0) throw new Error('no samples from ' + bin);

const phases = Object.keys(samples[0]).filter((k) => !/^(ok|doublings|additions)/.test(k));
const counts = Object.keys(samples[0]).filter((k) => /^(doublings|additions)/.test(k));
const med = (k: string) => percentile(samples.map((s) => s[k]), 50);
const rows = phases.map((k) => [k, med(k).toFixed(1)]);
rows.push(...counts.map((k) => [k + ' (count, median)', String(med(k))]));
rows.push(['all valid', samples.every((s) => s.ok === 1) ? 'yes' : 'NO']);
table(`Verification phases on ${bin}, CPU ms, median of ${samples.length} keys (load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)})`, ['phase', 'CPU ms'], rows);
const empty = percentile(pieces.map((p) => p['empty loop']), 50);
table('What the interpreter charges for the pieces of a field product, µs per call (median of 3 loops of 20,000, less the empty loop)',
  ['piece', 'µs'], Object.keys(pieces[0]).filter((k) => k !== 'empty loop').map((k) => [k, (percentile(pieces.map((p) => p[k]), 50) - empty).toFixed(2)]));
console.log(machineLine());

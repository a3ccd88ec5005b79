/**
 * Receipt signing on the lock (docs/verifier.md "Signing"): CPU time, wall time and Espruino
 * variables of keyway's sliced Ed25519 signing, side by side in one process with keyway's
 * verification (key table kept, the lock's usual case) and tweetnacl-js nacl-fast signing, on
 * each Espruino build given. The message is a receipt-sized 199 bytes; every signature is
 * checked against tweetnacl's (Ed25519 is deterministic) before it counts.
 *
 * Per operation: CPU time of the interpreter thread (/proc/self/schedstat) and wall time; the
 * table gives medians of `--rounds` (default 3) after one untimed warm-up of each. Memory:
 * process.memory().usage before loading the code, after loading it, after the first signature,
 * and the peak sampled after every step() of one sliced signature; the longest step in CPU ms.
 * nacl-fast is skipped where it does not fit (the 8190-variable build).
 *
 * Run: ESPRUINO=/path/to/espruino [ESPRUINO_8190=/path/to/espruino-8190] npx tsx bench/lock-sign.mts [--rounds 3]
 * A benchmark, never a timed test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nacl from 'tweetnacl';
import { bundleEs5, REPO_ROOT } from '../tools/src/firmware/es5-bundle';
import { avoidEspruinoKeywords } from '../tests/shared/ed25519/espruino-keywords';
import { espruinoBuildsOrExit, runEspruinoLines } from './lib/espruino-run.mjs';
import { machineLine, numberFlag, parseFlags, percentile, table } from './lib/report.mjs';

const rounds = numberFlag(parseFlags(process.argv.slice(2)), 'rounds', 3);
const bins = espruinoBuildsOrExit('signing');

const SEED = new Uint8Array(32).map((_, i) => (i * 29 + 3) & 0xff);
const KP = nacl.sign.keyPair.fromSeed(SEED);
const MSG = new Uint8Array(199).map((_, i) => (i * 7 + 1) & 0xff);
const SIG = nacl.sign.detached(MSG, KP.secretKey);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const built = await bundleEs5({ entry: 'tests/conformance/ed25519-sign.entry.ts', globalName: 'KW' });
const PRELUDE = `
var fs = require('fs');
function cpu() { return parseInt(String(fs.readFileSync('/proc/self/schedstat')).split(' ')[0], 10) / 1e6; }
function wall() { return getTime() * 1000; }
function vars() { return process.memory().usage; }
function h2b(h) { var o = new Uint8Array(h.length / 2); for (var i = 0; i < o.length; i++) o[i] = parseInt(h.substr(2 * i, 2), 16); return o; }
var SEED = h2b('${hex(SEED)}'), PUB = h2b('${hex(KP.publicKey)}'), MSG = h2b('${hex(MSG)}'), WANT = '${hex(SIG)}';
var SK = h2b('${hex(KP.secretKey)}');
function timed(name, fn) {
  var c0 = cpu(), w0 = wall(), ok = fn();
  print('T ' + JSON.stringify({ impl: name, cpu: cpu() - c0, wall: wall() - w0, ok: ok }));
}
var base = vars();
`;
const KEYWAY = avoidEspruinoKeywords(built.code) + `
KW.setFieldNatives({ convolve: E.convolve });
KW.setSha512Native(function (m) { return new Uint8Array(require('crypto').SHA512(m)); });
var KEY = KW.signingKey(SEED, PUB);
function kwSign() { return KW.toHex(KW.signNow(MSG, KEY)) === WANT; }
function kwVerify() { return KW.verifyStrict(MSG, h2b(WANT), PUB); }
print('M ' + JSON.stringify({ what: 'loaded', vars: vars() - base }));
kwSign(); kwVerify();
print('M ' + JSON.stringify({ what: 'after first sign and verify', vars: vars() - base }));
(function () {
  var t = KW.beginSign(MSG, KEY), peak = 0, longest = 0, steps = 0;
  for (;;) { var c0 = cpu(); var done = t.step(); var c = cpu() - c0; steps++; if (c > longest) longest = c; var u = vars() - base; if (u > peak) peak = u; if (done) break; }
  print('M ' + JSON.stringify({ what: 'peak during a sign', vars: peak, steps: steps, longestStepCpu: longest, ok: KW.toHex(t.output) === WANT }));
})();
`;
const NACL = `var self = {};\n(function () { var require, module; ${readFileSync(path.join(REPO_ROOT, 'node_modules/tweetnacl/nacl-fast.js'), 'utf8')}\n})();
function h(b) { var s = ''; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16); return s; }
function naclSign() { return h(self.nacl.sign.detached(MSG, SK)) === WANT; }
naclSign();
`;

interface Line { impl?: string; cpu?: number; wall?: number; ok?: boolean; what?: string; vars?: number; steps?: number; longestStepCpu?: number }

function runEspruino(bin: string, code: string): Line[] {
  return runEspruinoLines<Line>(bin, code, 'kw-lsign-');
}

for (const bin of bins) {
  const own = runEspruino(bin, PRELUDE + KEYWAY + `for (var r = 0; r < ${rounds}; r++) { timed('keyway sign', kwSign); timed('keyway verify (key table kept)', kwVerify); }\n`);
  const withNacl = runEspruino(bin, PRELUDE + KEYWAY + NACL + `for (var r = 0; r < ${rounds}; r++) { timed('keyway sign', kwSign); timed('nacl-fast sign', naclSign); }\n`);
  const samples = [...own, ...withNacl].filter((l) => l.impl);
  const med = (impl: string, k: 'cpu' | 'wall') => percentile(samples.filter((s) => s.impl === impl).map((s) => s[k]!), 50);
  const sign = med('keyway sign', 'cpu');
  const rows: string[][] = [];
  for (const impl of ['keyway sign', 'keyway verify (key table kept)', 'nacl-fast sign']) {
    const n = samples.filter((s) => s.impl === impl);
    if (n.length === 0) {
      rows.push([impl, '0', '-', '-', '-', 'did not run (out of memory?)']);
      continue;
    }
    rows.push([impl, String(n.length), med(impl, 'cpu').toFixed(0), med(impl, 'wall').toFixed(0), (med(impl, 'cpu') / sign).toFixed(2) + 'x',
      n.every((s) => s.ok) ? 'yes' : 'NO']);
  }
  table('Signing on ' + bin + ' (code in RAM, natives on), medians; ratio = CPU time / keyway sign CPU time',
    ['operation', 'runs', 'CPU ms', 'wall ms', 'ratio to keyway sign', 'equals tweetnacl / valid'], rows);
  const mem = own.filter((l) => l.what);
  table('Espruino variables on ' + bin + ' (process.memory().usage relative to before loading)',
    ['point', 'variables', 'steps', 'longest step CPU ms'],
    mem.map((m) => [m.what!, String(m.vars), m.steps !== undefined ? String(m.steps) : '', m.longestStepCpu !== undefined ? m.longestStepCpu.toFixed(1) : '']));
}
console.log(machineLine());

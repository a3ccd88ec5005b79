/**
 * Owner-signature check on the lock (docs/protocol.md §11, docs/benchmarks.md): CPU time, wall
 * time and Espruino variables of checking an OWNER_SIGNED command (decode both layers, the
 * relay's signature, then the owner's) side by side, in one Espruino process and the same rounds,
 * with checking the version-1 command it replaces (decode, the relay's signature). The bytes are
 * the published vectors `command-owner-grant-put` and `command-grant-put` (the same grant).
 *
 * The lock keeps the key table of the last key it verified with. A stream of owner-signed
 * commands alternates relay and owner keys, so each of their verifications rebuilds the table;
 * a stream of plain commands keeps it. Both are measured as they happen on the lock. Every
 * check must return true to count.
 *
 * Per operation: CPU time of the interpreter thread (/proc/self/schedstat) and wall time;
 * medians of `--rounds` (default 5) after one untimed warm-up. Memory: process.memory().usage
 * before loading the code, after loading it, after the first checks, and the peak sampled after
 * every step() of one sliced owner-signed check at the firmware's step size (48 product chains);
 * the longest step in CPU ms.
 *
 * Run: ESPRUINO=/path/to/espruino [ESPRUINO_8190=/path/to/espruino-8190] npx tsx bench/owner-check.mts [--rounds 5]
 * A benchmark, never a timed test.
 */
import { DEFAULT_OPTIONS } from '@keyway/firmware';
import { bundleEs5 } from '../tools/src/firmware/es5-bundle';
import { avoidEspruinoKeywords } from '../tests/shared/ed25519/espruino-keywords';
import { espruinoBuildsOrExit, runEspruinoLines } from './lib/espruino-run.mjs';
import { buildVectors } from '../scripts/protocol-vectors';
import { machineLine, numberFlag, parseFlags, percentile, table } from './lib/report.mjs';

const rounds = numberFlag(parseFlags(process.argv.slice(2)), 'rounds', 5);
const bins = espruinoBuildsOrExit('the owner-signature check');

const v = Object.fromEntries(buildVectors().map((x) => [x.name, x]));
const built = await bundleEs5({ entry: 'bench/lib/owner-check.entry.ts', globalName: 'KW' });
const CODE = `
var fs = require('fs');
function cpu() { return parseInt(String(fs.readFileSync('/proc/self/schedstat')).split(' ')[0], 10) / 1e6; }
function wall() { return getTime() * 1000; }
function vars() { return process.memory().usage; }
function timed(name, fn) {
  var c0 = cpu(), w0 = wall(), ok = fn();
  print('T ' + JSON.stringify({ impl: name, cpu: cpu() - c0, wall: wall() - w0, ok: ok }));
}
var base = vars();
` + avoidEspruinoKeywords(built.code) + `
KW.setFieldNatives({ convolve: E.convolve });
KW.setSha512Native(function (m) { return new Uint8Array(require('crypto').SHA512(m)); });
KW.setVerifyStepProducts(${DEFAULT_OPTIONS.verifyStepProducts}, 32);
var RELAY = KW.fromHex('${v['relay-key'].hex}'), OWNER = KW.fromHex('${v['owner-key'].hex}');
var PLAIN = KW.fromHex('${v['command-grant-put'].hex}'), SIGNED = KW.fromHex('${v['command-owner-grant-put'].hex}');
print('M ' + JSON.stringify({ what: 'loaded', vars: vars() - base }));
KW.checkPlain(PLAIN, RELAY); KW.checkOwnerSigned(SIGNED, RELAY, OWNER);
print('M ' + JSON.stringify({ what: 'after the first checks', vars: vars() - base }));
// Owner-consent mode on the lock keeps no key table and drops the base-point table after each
// verification (firmware/src/command-handler.ts): the same checks again that way.
KW.keepKeyTables(false);
KW.checkPlain(PLAIN, RELAY); KW.forgetBaseTable(); KW.checkOwnerSigned(SIGNED, RELAY, OWNER); KW.forgetBaseTable();
print('M ' + JSON.stringify({ what: 'after the same checks, owner-consent mode (no key table kept, base table dropped)', vars: vars() - base }));
KW.keepKeyTables(true);
(function () {
  var tasks = KW.ownerSignedTasks(SIGNED, RELAY, OWNER), peak = 0, longest = 0, steps = 0, ok = true;
  for (var i = 0; i < tasks.length; i++) {
    for (;;) { var c0 = cpu(); var done = tasks[i].step(); var c = cpu() - c0; steps++; if (c > longest) longest = c; var u = vars() - base; if (u > peak) peak = u; if (done) break; }
    ok = ok && tasks[i].result;
  }
  print('M ' + JSON.stringify({ what: 'peak during a sliced owner-signed check', vars: peak, steps: steps, longestStepCpu: longest, ok: ok }));
})();
for (var r = 0; r < ${rounds}; r++) {
  KW.checkPlain(PLAIN, RELAY);
  timed('v1 command: relay signature (key table kept)', function () { return KW.checkPlain(PLAIN, RELAY); });
  timed('owner signature alone (after a relay check)', function () { return KW.checkOwnerOnly(SIGNED, OWNER); });
  timed('v2 OWNER_SIGNED: relay + owner signatures', function () { return KW.checkOwnerSigned(SIGNED, RELAY, OWNER); });
}
`;

interface Line { impl?: string; cpu?: number; wall?: number; ok?: boolean; what?: string; vars?: number; steps?: number; longestStepCpu?: number }

function runEspruino(bin: string, code: string): Line[] {
  return runEspruinoLines<Line>(bin, code, 'kw-owner-');
}

const IMPLS = ['v1 command: relay signature (key table kept)', 'owner signature alone (after a relay check)', 'v2 OWNER_SIGNED: relay + owner signatures'];
for (const bin of bins) {
  const lines = runEspruino(bin, CODE);
  const samples = lines.filter((l) => l.impl);
  const med = (impl: string, k: 'cpu' | 'wall') => percentile(samples.filter((s) => s.impl === impl).map((s) => s[k]!), 50);
  const base = med(IMPLS[0], 'cpu');
  const rows = IMPLS.map((impl) => {
    const n = samples.filter((s) => s.impl === impl);
    if (n.length === 0) return [impl, '0', '-', '-', '-', 'did not run (out of memory?)'];
    return [impl, String(n.length), med(impl, 'cpu').toFixed(0), med(impl, 'wall').toFixed(0), (med(impl, 'cpu') / base).toFixed(2) + 'x', n.every((s) => s.ok) ? 'yes' : 'NO'];
  });
  table('Command checks on ' + bin + ' (code in RAM, natives on), medians; ratio = CPU time / v1 command check CPU time',
    ['check', 'runs', 'CPU ms', 'wall ms', 'ratio to v1', 'all valid'], rows);
  const mem = lines.filter((l) => l.what);
  table('Espruino variables on ' + bin + ' (process.memory().usage relative to before loading)',
    ['point', 'variables', 'steps', 'longest step CPU ms', 'valid'],
    mem.map((m) => [m.what!, String(m.vars), m.steps !== undefined ? String(m.steps) : '', m.longestStepCpu !== undefined ? m.longestStepCpu.toFixed(1) : '',
      m.ok === undefined ? '' : m.ok ? 'yes' : 'NO']));
}
console.log(machineLine());

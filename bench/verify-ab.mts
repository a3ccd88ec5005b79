/**
 * Two versions of the verifier in one Espruino process (docs/verifier.md): this checkout and
 * another one (`--base DIR`, e.g. a `git worktree add --detach DIR <commit>` of the commit
 * before a change), each bundled from its own tests/conformance/ed25519.entry.ts with the
 * natives the firmware installs. Verifications alternate (this, base, base, this, …) over
 * several keys and messages, every one doing all the work (no kept key table), and each is
 * timed in CPU time of the interpreter thread. Both run in the same process at the same
 * moments, so host load inflates both alike; the ratio of the medians is the figure.
 * Run: ESPRUINO=/path/to/espruino nice npx tsx bench/verify-ab.mts --base ../keyway-base [--rounds 5]
 */
import os from 'node:os';
import path from 'node:path';
import nacl from 'tweetnacl';
import { bundleEs5 } from '../tools/src/firmware/es5-bundle';
import { avoidEspruinoKeywords } from '../tests/shared/ed25519/espruino-keywords';
import { espruinoBuildsOrExit, runEspruinoLines } from './lib/espruino-run.mjs';
import { machineLine, numberFlag, parseFlags, percentile, table } from './lib/report.mjs';

const flags = parseFlags(process.argv.slice(2));
const rounds = numberFlag(flags, 'rounds', 5);
const base = flags.get('base');
const bin = espruinoBuildsOrExit('two verifiers side by side')[0];
if (!base) {
  console.log('Pass --base DIR: a checkout of the version to compare with (git worktree add --detach DIR <commit>).');
  process.exit(0);
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const KEYS = 3;
const cases: string[] = [];
for (let i = 0; i < KEYS; i++) {
  const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).map((_, j) => (j * 29 + 11 * i + 3) & 0xff));
  const msg = new Uint8Array(120).map((_, j) => (3 * j + i) & 0xff); // a command-sized message
  cases.push(`[h2b('${hex(msg)}'), h2b('${hex(nacl.sign.detached(msg, kp.secretKey))}'), h2b('${hex(kp.publicKey)}')]`);
}

const here = await bundleEs5({ entry: 'tests/conformance/ed25519.entry.ts', globalName: 'KA' });
const other = (await import(path.resolve(base, 'tools/src/firmware/es5-bundle.ts'))) as { bundleEs5: typeof bundleEs5 };
const there = await other.bundleEs5({ entry: 'tests/conformance/ed25519.entry.ts', globalName: 'KB' });
const load0 = os.loadavg()[0];
const samples = runEspruinoLines<{ v: string; cpu: number; ok: boolean }>(bin, `
var fs = require('fs');
function cpu() { return parseInt(String(fs.readFileSync('/proc/self/schedstat')).split(' ')[0], 10) / 1e6; }
function h2b(h) { var o = new Uint8Array(h.length / 2); for (var i = 0; i < o.length; i++) o[i] = parseInt(h.substr(2 * i, 2), 16); return o; }
${avoidEspruinoKeywords(here.code)}
${avoidEspruinoKeywords(there.code)}
var V = { here: KA, base: KB };
for (var n in V) {
  V[n].setFieldNatives({ convolve: E.convolve });
  V[n].setSha512Native(function (m) { return new Uint8Array(require('crypto').SHA512(m)); });
}
var CASES = [${cases.join(',\n')}];
function one(name, c, timed) {
  var K = V[name];
  K.forgetKeyTables();
  var c0 = cpu(), ok = K.verifyStrict(c[0], c[1], c[2]), t = cpu() - c0;
  if (timed) print('T ' + JSON.stringify({ v: name, cpu: t, ok: ok }));
}
one('here', CASES[0], false);
one('base', CASES[0], false);
for (var r = 0; r < ${rounds}; r++) {
  for (var i = 0; i < CASES.length; i++) {
    var order = (r + i) % 2 ? ['base', 'here'] : ['here', 'base'];
    one(order[0], CASES[i], true);
    one(order[1], CASES[i], true);
  }
}
`, 'kw-vab-');
const pick = (v: string) => samples.filter((s) => s.v === v).map((s) => s.cpu);
const mHere = percentile(pick('here'), 50);
const mBase = percentile(pick('base'), 50);
table(`Verifier A/B on ${bin} in one process, CPU ms per verification (no kept table), ${rounds} rounds × ${KEYS} keys, load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}`,
  ['version', 'verifications', 'median CPU ms', 'min', 'max', 'all valid'],
  [['base: ' + base, String(pick('base').length), mBase.toFixed(0), Math.min(...pick('base')).toFixed(0), Math.max(...pick('base')).toFixed(0), samples.filter((s) => s.v === 'base').every((s) => s.ok) ? 'yes' : 'NO'],
    ['this checkout', String(pick('here').length), mHere.toFixed(0), Math.min(...pick('here')).toFixed(0), Math.max(...pick('here')).toFixed(0), samples.filter((s) => s.v === 'here').every((s) => s.ok) ? 'yes' : 'NO'],
    ['base / this', '', (mBase / mHere).toFixed(3) + 'x', '', '', '']]);
console.log(machineLine());

/**
 * The verifier against tweetnacl-js nacl-fast on one Espruino build, measured fairly (docs/product.md:
 * at least 30x, "on the same interpreter doing all the work"): the same number of verifications
 * for each, keyway forgetting the key's table before every one (so it decompresses the key and
 * builds its table each time, as tweetnacl does all its work), both with Espruino's natives the
 * firmware installs (E.convolve, crypto.SHA512) for keyway. Two arrangements:
 * - interleaved in one process: keyway, nacl-fast, keyway, nacl-fast, …;
 * - separate processes: one Espruino process per implementation.
 * Per verification it records the interpreter thread's CPU time (/proc/self/schedstat) and the
 * wall time (getTime), and prints the medians and the ratios of both.
 * Run: ESPRUINO=/path/to/espruino npx tsx bench/verify-fair.mts [--rounds 3]
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleEs5, REPO_ROOT } from '../tools/src/firmware/es5-bundle';
import { avoidEspruinoKeywords } from '../tests/shared/ed25519/espruino-keywords';
import { cleanLines, espruinoPath } from '../tests/support/engines';
import { machineLine, numberFlag, parseFlags, percentile, table } from './lib/report.mjs';

const rounds = numberFlag(parseFlags(process.argv.slice(2)), 'rounds', 3);
const bin = espruinoPath();
if (!bin) {
  console.log('Set ESPRUINO=/path/to/espruino (an Espruino Linux build) to compare the verifiers on it.');
  process.exit(0);
}

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const PUB = Buffer.from(publicKey.export({ format: 'der', type: 'spki' }).subarray(12)).toString('hex');
const MSG = Buffer.alloc(120, 0x5a); // a command-sized message
const SIG = Buffer.from(sign(null, MSG, privateKey)).toString('hex');

const built = await bundleEs5({ entry: 'tests/conformance/ed25519.entry.ts', globalName: 'KW' });
const KEYWAY = avoidEspruinoKeywords(built.code) + `
KW.setFieldNatives({ convolve: E.convolve });
KW.setSha512Native(function (m) { return new Uint8Array(require('crypto').SHA512(m)); });
function keyway() { KW.forgetKeyTables(); return KW.verifyStrict(MSG, SIG, PUB); }
`;
const NACL = `var self = {};\n(function () { var require, module; ${readFileSync(path.join(REPO_ROOT, 'node_modules/tweetnacl/nacl-fast.js'), 'utf8')}\n})();
function naclFast() { return self.nacl.sign.detached.verify(MSG, SIG, PUB); }
`;
const PRELUDE = `
var fs = require('fs');
function cpu() { return parseInt(String(fs.readFileSync('/proc/self/schedstat')).split(' ')[0], 10) / 1e6; }
function wall() { return getTime() * 1000; }
function h2b(h) { var o = new Uint8Array(h.length / 2); for (var i = 0; i < o.length; i++) o[i] = parseInt(h.substr(2 * i, 2), 16); return o; }
var PUB = h2b('${PUB}'), MSG = h2b('${MSG.toString('hex')}'), SIG = h2b('${SIG}');
function timed(name, fn) {
  var c0 = cpu(), w0 = wall(), ok = fn();
  print('T ' + JSON.stringify({ impl: name, cpu: cpu() - c0, wall: wall() - w0, ok: ok }));
}
`;

interface Sample { impl: string; cpu: number; wall: number; ok: boolean }

/** What a run that ran out of variables prints (a build with a fixed variable count, e.g. 8,190). */
const OUT_OF_MEMORY = 'OUT OF MEMORY';

/** The samples of one Espruino run, or null when the code does not fit in the build's variables. */
function runEspruino(code: string): Sample[] | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-vfair-'));
  try {
    writeFileSync(path.join(dir, 'main.js'), code);
    const run = spawnSync(bin!, ['main.js'], { cwd: dir, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
    const stdout = run.stdout ?? '';
    if (stdout.includes(OUT_OF_MEMORY)) return null;
    if (run.status !== 0) throw new Error('espruino exited with ' + String(run.status ?? run.signal) + ': ' + stdout.slice(-600));
    const samples = cleanLines(stdout, true).filter((l) => l.startsWith('T ')).map((l) => JSON.parse(l.slice(2)) as Sample);
    if (samples.length === 0) throw new Error('no samples: ' + stdout.slice(-600));
    return samples;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A warm-up verification of each (untimed), then `rounds` timed ones of each.
const interleaved = runEspruino(PRELUDE + KEYWAY + NACL + `keyway(); naclFast();
for (var r = 0; r < ${rounds}; r++) { timed('keyway', keyway); timed('nacl-fast', naclFast); }\n`);
const separateKeyway = runEspruino(PRELUDE + KEYWAY + `keyway();\nfor (var r = 0; r < ${rounds}; r++) timed('keyway', keyway);\n`);
const separateNacl = runEspruino(PRELUDE + NACL + `naclFast();\nfor (var r = 0; r < ${rounds}; r++) timed('nacl-fast', naclFast);\n`);
const separate = separateKeyway && separateNacl ? [...separateKeyway, ...separateNacl] : null;
/** Which implementation ran out of variables, for the table. */
const outOfMemory = (both: boolean) => both ? 'both together' : [separateKeyway ? '' : 'keyway', separateNacl ? '' : 'nacl-fast'].filter(Boolean).join(' and ') + ' alone';

const rows: string[][] = [];
for (const [mode, samples] of [['interleaved, one process', interleaved], ['separate processes', separate]] as const) {
  if (!samples) {
    rows.push([mode, 'out of memory (' + outOfMemory(mode === 'interleaved, one process') + '): does not fit in this build\'s variables', '', '', '', '', '', '', '', '']);
    continue;
  }
  const pick = (impl: string, k: 'cpu' | 'wall') => percentile(samples.filter((s) => s.impl === impl).map((s) => s[k]), 50);
  const allOk = samples.every((s) => s.ok);
  const n = samples.filter((s) => s.impl === 'keyway').length + ' + ' + samples.filter((s) => s.impl === 'nacl-fast').length;
  const ratio = (k: 'cpu' | 'wall') => pick('nacl-fast', k) / pick('keyway', k);
  rows.push([mode, n, pick('nacl-fast', 'cpu').toFixed(0), pick('keyway', 'cpu').toFixed(0), ratio('cpu').toFixed(1) + 'x',
    pick('nacl-fast', 'wall').toFixed(0), pick('keyway', 'wall').toFixed(0), ratio('wall').toFixed(1) + 'x',
    ratio('cpu') >= 30 ? 'met' : 'MISSED', allOk ? 'yes' : 'NO']);
}
table('Ed25519 verify on ' + bin + ': keyway (natives, no kept table) against tweetnacl nacl-fast, medians of ' + rounds + ' each',
  ['arrangement', 'verifications (keyway + nacl-fast)', 'nacl-fast CPU ms', 'keyway CPU ms', 'CPU ratio', 'nacl-fast wall ms', 'keyway wall ms', 'wall ratio', 'target ≥ 30x (CPU)', 'all valid'], rows);
console.log(machineLine());

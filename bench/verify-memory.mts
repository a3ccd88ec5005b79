/**
 * Espruino variables the verifier uses, on one or two Espruino builds (docs/verifier.md): the
 * bundle of tests/conformance/ed25519.entry.ts runs as a plain file (code in RAM, so the code
 * counts), with the natives the firmware installs. It prints process.memory().usage relative to
 * the first statement of the file: after loading, after the first verification (decoded base
 * tables and the kept key table stay) and the peak between step() calls of a sliced
 * verification with the key table forgotten (all the work), plus the steps and the CPU time of
 * the first verification. Every verification must accept the valid signature.
 * Run: ESPRUINO=/path/to/espruino [ESPRUINO_8190=/path/to/espruino-8190] npx tsx bench/verify-memory.mts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nacl from 'tweetnacl';
import { bundleEs5 } from '../tools/src/firmware/es5-bundle';
import { avoidEspruinoKeywords } from '../tests/shared/ed25519/espruino-keywords';
import { cleanLines } from '../tests/support/engines';
import { espruinoBuildsOrExit } from './lib/espruino-run.mjs';
import { machineLine, table } from './lib/report.mjs';

const bins = espruinoBuildsOrExit("the verifier's memory");

const SEED = new Uint8Array(32).map((_, i) => (i * 31 + 5) & 0xff);
const KP = nacl.sign.keyPair.fromSeed(SEED);
const MSG = new Uint8Array(120).fill(0x5a); // a command-sized message
const SIG = nacl.sign.detached(MSG, KP.secretKey);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const built = await bundleEs5({ entry: 'tests/conformance/ed25519.entry.ts', globalName: 'KW' });
const CODE = `var M0 = process.memory().usage;
var fs = require('fs');
function cpu() { return parseInt(String(fs.readFileSync('/proc/self/schedstat')).split(' ')[0], 10) / 1e6; }
function h2b(h) { var o = new Uint8Array(h.length / 2); for (var i = 0; i < o.length; i++) o[i] = parseInt(h.substr(2 * i, 2), 16); return o; }
var PUB = h2b('${hex(KP.publicKey)}'), MSG = h2b('${hex(MSG)}'), SIG = h2b('${hex(SIG)}');
${avoidEspruinoKeywords(built.code)}
KW.setFieldNatives({ convolve: E.convolve });
KW.setSha512Native(function (m) { return new Uint8Array(require('crypto').SHA512(m)); });
var loaded = process.memory().usage - M0, peak = 0, steps = 0;
function sliced() {
  var t = KW.beginVerify(MSG, SIG, PUB);
  steps = 1;
  while (!t.step()) { steps++; var u = process.memory().usage - M0; if (u > peak) peak = u; }
  return t.result;
}
var c0 = cpu(), ok1 = sliced(), firstCpu = cpu() - c0, after = process.memory().usage - M0;
KW.forgetKeyTables();
peak = 0;
var ok2 = sliced();
print('M ' + JSON.stringify({ loaded: loaded, after: after, peak: peak, steps: steps, firstCpu: firstCpu, ok: ok1 && ok2 }));
`;

const rows: string[][] = [];
for (const bin of bins) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-vmem-'));
  try {
    writeFileSync(path.join(dir, 'main.js'), CODE);
    const stdout = execFileSync(bin, ['main.js'], { cwd: dir, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
    const line = cleanLines(stdout, true).find((l) => l.startsWith('M '));
    if (!line) {
      rows.push([bin, '-', '-', '-', '-', '-', 'NO RESULT: ' + stdout.slice(-200).replace(/\s+/g, ' ')]);
      continue;
    }
    const m = JSON.parse(line.slice(2)) as { loaded: number; after: number; peak: number; steps: number; firstCpu: number; ok: boolean };
    rows.push([bin, '+' + m.loaded, '+' + m.after, '+' + m.peak, String(m.steps), m.firstCpu.toFixed(0), m.ok ? 'yes' : 'NO']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
table('Ed25519 verifier on Espruino: variables relative to the first statement (code in RAM), natives on',
  ['build', 'loaded', 'after the first verification', 'peak during a verification (no kept table)', 'steps', 'first verification CPU ms', 'valid'], rows);
console.log(machineLine());

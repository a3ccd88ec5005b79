/**
 * Staged-grant entry at the door (docs/product.md#performance-targets: no signature at the door, under 50 ms of interpreter
 * time). The real firmware, bundled to ES5, on every available engine (Duktape always,
 * Espruino from Storage when ESPRUINO points at a Linux build), median and worst of `--entries`
 * (default 20) entries per grant, in interpreter CPU time on Espruino (/proc/self/schedstat):
 * - camera grant: reveal received → camera triggered (the check: decode, rules, one SHA-512
 *   chain step, compare);
 * - grant without camera: the whole synchronous slice (check, commit write, motor start, STATE
 *   event stored; its chain hash and the status follow in later slices);
 * - and all interpreter time each entry costs (incl. camera wait handling, motor ticks, events,
 *   status, relock).
 * With ESPRUINO set, Espruino runs twice: from Storage as on a board, and with the code in RAM
 * (the Linux build's emulated flash makes code read from Storage cost several times more).
 * Pure-JS SHA-512 (the target's case) always; `--native` adds the same runs with the
 * interpreter's native SHA-512, each hashing mode in a process of its own.
 * An entry costs far more than its slice: after relocking, the lock signs the entry's receipt
 * (one Ed25519 signature, seconds of CPU from Storage), so a run's wall time is about
 * 2 × entries × (receipt + motor ticks) divided by the share of a core the host gives it.
 * Run: ESPRUINO=/path/to/espruino nice npx tsx bench/door-check.mts [--entries 20] [--native]
 */
import { ACT_GRANT_PUT, ACT_TIME_SET, FLAG_CAMERA_REQUIRED, toHex } from '@keyway/shared';
import { signCommand } from '@keyway/shared/node';
import { bundleEs5 } from '../tools/src/firmware/es5-bundle';
import { availableEngines, espruinoInRam, espruinoPath } from '../tests/support/engines';
import { numberFlag, parseFlags } from './lib/report.mjs';
import { BOARD, DEVICE_ID, T0, chainGrant, harness, reveal } from '../tests/support/lock-harness';

const h = harness();
const nonce = h.status().nonce;
/** Entries per grant: at least 20, so the median and the worst mean something. */
const flags = parseFlags(process.argv.slice(2));
const ENTRIES = numberFlag(flags, 'entries', 20);
const NATIVE = flags.has('native');
const cam = chainGrant({ grantId: 11, flags: FLAG_CAMERA_REQUIRED }, ENTRIES, 7);
const plain = chainGrant({ grantId: 12 }, ENTRIES, 9);
const sign = (action: number, payload: unknown, counter: number, extra = {}) =>
  toHex(signCommand(h.signer, { deviceId: DEVICE_ID, action, payload, notBefore: T0, notAfter: T0 + 60, counter, ...extra }));
const reveals = (g: typeof cam) => Array.from({ length: ENTRIES }, (_, k) => toHex(reveal(g.grant.grantId, g.chain[ENTRIES - 1 - k])));
const input = {
  board: BOARD, files: h.initialFiles,
  timeSet: sign(ACT_TIME_SET, { time: T0 }, 1, { nonce }),
  camera: { grantPut: sign(ACT_GRANT_PUT, cam.grant, 2), reveals: reveals(cam) },
  plain: { grantPut: sign(ACT_GRANT_PUT, plain.grant, 3), reveals: reveals(plain) }
};

const rows: string[][] = [[
  'engine', 'SHA-512', 'check ms median / worst (reveal → camera)', 'worst vs 50 ms', 'at-door slice ms median / worst (check+commit+motor+event)', 'worst vs 50 ms',
  'entry CPU ms (camera)', 'entry CPU ms (no camera)', 'unlocks'
]];
/**
 * Per run, in wall time: 20 entries per grant from Storage take about 4-6 min of interpreter CPU
 * (mostly the receipts' signatures); a host shared with other jobs (load 15 on 2 cores) gives
 * an Espruino process an eighth of a core, so the limit allows for that.
 */
const RUN_TIMEOUT_MS = Math.max(1_800_000, ENTRIES * 360_000);
const vs = (ms: number) => (ms / 50).toFixed(2) + 'x ' + (ms < 50 ? 'met' : 'MISSED');
const bundle = await bundleEs5({ entry: 'bench/lib/door-check.entry.ts' });
const runs = (espruinoPath() ? [...availableEngines(), espruinoInRam] : availableEngines()).flatMap((e) =>
  e.name === 'duk' || !NATIVE ? [{ e, nativeSha: false }] : [{ e, nativeSha: false }, { e, nativeSha: true }]);
for (const { e, nativeSha } of runs) {
  const t0 = Date.now();
  const r = await e.run('var KW_DOOR = ' + JSON.stringify({ ...input, nativeSha }) + ';\n' + bundle.code, RUN_TIMEOUT_MS);
  console.log(e.name + (nativeSha ? ', native SHA-512' : ', pure-JS SHA-512') + ': ' + ((Date.now() - t0) / 1000).toFixed(0) + ' s wall');
  const results = r.lines.filter((x) => x.startsWith('DOOR '));
  // Say so when a run printed nothing (timed out, out of memory), rather than drop its rows.
  if (results.length === 0) console.log(e.name + ': no result (exit ' + r.exitCode + '): ' + (r.stdout + r.stderr).slice(-400));
  for (const l of results) {
    const m = JSON.parse(l.slice(5));
    rows.push([
      e.name, m.nativeSha ? 'native (crypto)' : 'pure JS', m.checkMsMedian.toFixed(1) + ' / ' + m.checkMs.toFixed(1), vs(m.checkMs),
      m.motorMsMedian.toFixed(1) + ' / ' + m.motorMs.toFixed(1), vs(m.motorMs),
      m.cameraEntryMs.toFixed(1), m.plainEntryMs.toFixed(1), m.unlocks + '/' + m.reveals
    ]);
  }
}
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log('\nAt-door entry on a staged grant (no signature at the door), ' + ENTRIES + ' entries per grant; interpreter CPU time on Espruino, wall time on Duktape');
for (const [i, r] of rows.entries()) {
  console.log('  ' + r.map((c, j) => c.padEnd(w[j])).join('  '));
  if (i === 0) console.log('  ' + w.map((n) => '-'.repeat(n)).join('  '));
}

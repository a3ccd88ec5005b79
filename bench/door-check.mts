/**
 * Staged-grant entry at the door (docs/product.md#performance-targets: no signature at the door, under 50 ms of interpreter
 * time). The real firmware, bundled to ES5, on every available engine (Duktape always,
 * Espruino from Storage when ESPRUINO points at a Linux build), worst of 3 entries per grant:
 * - camera grant: reveal received → camera triggered (the check: decode, rules, one SHA-512
 *   chain step, compare);
 * - grant without camera: the whole synchronous slice (check, commit write, motor start, STATE
 *   event with its SHA-512);
 * - and all interpreter time each entry costs (incl. camera wait handling, motor ticks, events,
 *   status, relock).
 * Run: npx tsx bench/door-check.mts
 */
import { ACT_GRANT_PUT, ACT_TIME_SET, FLAG_CAMERA_REQUIRED, toHex } from '@keyway/shared';
import { signCommand } from '@keyway/shared/node';
import { bundleEs5 } from '../tools/src/firmware/es5-bundle';
import { availableEngines } from '../tests/support/engines';
import { BOARD, DEVICE_ID, T0, chainGrant, harness, reveal } from '../tests/support/lock-harness';

const h = harness();
const nonce = h.status().nonce;
const cam = chainGrant({ grantId: 11, flags: FLAG_CAMERA_REQUIRED }, 3, 7);
const plain = chainGrant({ grantId: 12 }, 3, 9);
const sign = (action: number, payload: unknown, counter: number, extra = {}) =>
  toHex(signCommand(h.signer, { deviceId: DEVICE_ID, action, payload, notBefore: T0, notAfter: T0 + 60, counter, ...extra }));
const reveals = (g: typeof cam) => [2, 1, 0].map((i) => toHex(reveal(g.grant.grantId, g.chain[i])));
const input = {
  board: BOARD, files: h.initialFiles,
  timeSet: sign(ACT_TIME_SET, { time: T0 }, 1, { nonce }),
  camera: { grantPut: sign(ACT_GRANT_PUT, cam.grant, 2), reveals: reveals(cam) },
  plain: { grantPut: sign(ACT_GRANT_PUT, plain.grant, 3), reveals: reveals(plain) }
};

const rows: string[][] = [[
  'engine', 'SHA-512', 'check ms (reveal → camera)', 'vs 50 ms', 'no-camera slice ms (check+commit+motor+event)', 'vs 50 ms',
  'entry CPU ms (camera)', 'entry CPU ms (no camera)', 'unlocks'
]];
const vs = (ms: number) => (ms / 50).toFixed(2) + 'x ' + (ms < 50 ? 'met' : 'MISSED');
const bundle = await bundleEs5({ entry: 'bench/lib/door-check.entry.ts' });
for (const e of availableEngines()) {
  const r = await e.run('var KW_DOOR = ' + JSON.stringify(input) + ';\n' + bundle.code, 600_000);
  for (const l of r.lines.filter((x) => x.startsWith('DOOR '))) {
    const m = JSON.parse(l.slice(5));
    rows.push([
      e.name, m.nativeSha ? 'native (crypto)' : 'pure JS', m.checkMs.toFixed(1), vs(m.checkMs), m.motorMs.toFixed(1), vs(m.motorMs),
      m.cameraEntryMs.toFixed(1), m.plainEntryMs.toFixed(1), m.unlocks + '/' + m.reveals
    ]);
  }
}
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log('\nAt-door entry on a staged grant (no signature at the door), worst of 3 entries');
for (const [i, r] of rows.entries()) {
  console.log('  ' + r.map((c, j) => c.padEnd(w[j])).join('  '));
  if (i === 0) console.log('  ' + w.map((n) => '-'.repeat(n)).join('  '));
}

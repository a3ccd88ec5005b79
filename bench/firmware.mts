/**
 * Firmware size and memory (docs/product.md#performance-targets): bundle bytes per board, and — when ESPRUINO points at an
 * Espruino Linux build — the JavaScript variables the firmware uses when it runs from Storage
 * (function bodies stay in flash, as on a board), unprovisioned and provisioned, in steady state
 * (once the lock has made its receipt key, which takes seconds of CPU at first boot).
 * Use a fixed-size build for a board-like total, e.g. ESPRUINO=/path/espruino-8190 (8,190
 * variables, the Espruino WiFi class). Run: npx tsx bench/firmware.mts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONFIG_VERSION, encodeConfig, frame } from '@keyway/firmware';
import { BOARDS } from '@keyway/hardware';
import { signerFromSeed } from '@keyway/shared/node';
import { buildFirmware } from '../tools/src/firmware/build';
import { espruinoOnce, storeFile } from '../tests/support/espruino-storage';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const rows: string[][] = [['board', 'bundle bytes', 'modules']];
for (const b of Object.values(BOARDS)) {
  const fw = await buildFirmware(b);
  rows.push([b.id, String(fw.bytes), String(fw.modules)]);
}
printTable('Firmware bundle per board (minified ES5, stamped)', rows);

const bin = process.env.ESPRUINO;
if (!bin) {
  console.log('\nSet ESPRUINO=/path/to/espruino (ideally a fixed 8,190-variable Linux build) to measure variables.');
  process.exit(0);
}

const linux = JSON.parse(readFileSync(path.join(root, 'tests/fixtures/espruino-linux-board.json'), 'utf8'));
const fw = await buildFirmware(linux);
const signer = signerFromSeed(new Uint8Array(32).fill(1));
const enc = (s: string) => new TextEncoder().encode(s);
const config = encodeConfig({
  version: CONFIG_VERSION, deviceId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), keys: [{ id: signer.keyId, key: signer.publicKey }],
  brokers: [{ host: enc('127.0.0.1'), port: 1 }], mqttTls: 0, mqttUser: enc('0102030405060708'), mqttPass: enc('x'.repeat(43)),
  wifiSsid: new Uint8Array(0), wifiPass: new Uint8Array(0), site: enc('1')
});

function measure(provisioned: boolean): { base: number; after: number; total: number; blockSize: number; out: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-fwmem-'));
  try {
    storeFile(bin!, dir, '.bootcde', Buffer.from(fw.code, 'latin1'));
    if (provisioned) storeFile(bin!, dir, 'kwcfg0', Buffer.from(frame(1, config)));
    const out = espruinoOnce(bin!, dir, [
      'var m0 = process.memory();',
      'eval(require("Storage").read(".bootcde"));',
      // Steady state: the lock has made its receipt key (in slices, at first boot), then 2 s more.
      'var kwPoll = setInterval(function () { if (!keyway.signer || keyway.signing) return; clearInterval(kwPoll); setTimeout(function () {',
      '  var m = process.memory(); print("MEM " + JSON.stringify({ base: m0.usage, after: m.usage, total: m.total, blocksize: m.blocksize, provisioned: !!keyway.config })); quit();',
      '}, 2000); }, 500);'
    ].join('\n'), 300_000);
    const line = out.split(/\r?\n/).map((l) => l.slice(Math.max(0, l.indexOf('MEM ')))).find((l) => l.startsWith('MEM '));
    if (!line) throw new Error('no measurement: ' + out.slice(-600));
    const m = JSON.parse(line.slice(4));
    return { base: m.base, after: m.after, total: m.total, blockSize: m.blocksize, out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mem: string[][] = [['state', 'vars before', 'vars in steady state', 'firmware vars', 'total vars', 'free', 'free share', 'target ≥ 1/3 free']];
for (const p of [false, true]) {
  const m = measure(p);
  const free = m.total - m.after;
  mem.push([p ? 'provisioned (MQTT retrying)' : 'unprovisioned', String(m.base), String(m.after), String(m.after - m.base), String(m.total), String(free),
    (100 * free / m.total).toFixed(1) + '%', free >= m.total / 3 ? 'met' : 'MISSED']);
}
printTable('Firmware variables on ' + bin + ' (running from Storage, bundle ' + fw.bytes + ' bytes)', mem);

function printTable(title: string, r: string[][]): void {
  const w = r[0].map((_, i) => Math.max(...r.map((x) => x[i].length)));
  console.log('\n' + title);
  for (const [i, x] of r.entries()) {
    console.log('  ' + x.map((c, j) => c.padEnd(w[j])).join('  '));
    if (i === 0) console.log('  ' + w.map((n) => '-'.repeat(n)).join('  '));
  }
}

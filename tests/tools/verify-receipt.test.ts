/**
 * `keyway verify-receipt <file>` (docs/protocol.md §6.2): the published receipt vector holds
 * offline; a change to any byte of the receipt or of its events, another key, or a file that is
 * not a receipt is refused with KW_RECEIPT_INVALID (exit 10) or KW_USAGE, never a stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyReceiptFile } from '../../tools/src/commands/verify-receipt';
import { buildVectors } from '../../scripts/protocol-vectors';
import { keyway } from '../support/processes';
import { scaled } from '../support/time-scale';

const dir = mkdtempSync(path.join(tmpdir(), 'kw-receipt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const v = Object.fromEntries(buildVectors().map((x) => [x.name, x]));
const bundle = { receipt: v['receipt'].hex, lockKey: v['lock-key'].hex, events: ['event-1', 'event-2', 'event-3'].map((n) => v[n].hex) };
const OTHER_KEY = v['relay-key'].hex; // a valid public key, not the lock's

function file(name: string, content: unknown): string {
  const f = path.join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}

function flipHex(hex: string, byte: number): string {
  const b = Buffer.from(hex, 'hex');
  b[byte] ^= 0x01;
  return b.toString('hex');
}

describe('keyway verify-receipt', () => {
  it('accepts the published receipt, and says what it proves', async () => {
    const r = await keyway(['verify-receipt', file('good.json', bundle), '--key', bundle.lockKey], {}, scaled(30_000));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('receipt holds: signed by lock 0123456789abcdef');
    expect(r.stdout).toContain('door closed and bolt locked at log seq 3');
    expect(r.stdout).toContain('entry at seq 1 on grant 7');
  }, scaled(40_000));

  it('refuses every single changed byte of the receipt and of each event', () => {
    const good = file('good2.json', bundle);
    expect(verifyReceiptFile(good, bundle.lockKey).length).toBe(3);
    const n = bundle.receipt.length / 2;
    for (let i = 0; i < n; i++) {
      const f = file('r.json', { ...bundle, receipt: flipHex(bundle.receipt, i) });
      expect(() => verifyReceiptFile(f, bundle.lockKey), 'receipt byte ' + i).toThrow(/KW_RECEIPT_INVALID|RECEIPT|CHAIN|HEAD|ENTRY|CAMERA|EVENT/);
    }
    for (let e = 0; e < bundle.events.length; e++) {
      for (let i = 0; i < bundle.events[e].length / 2; i++) {
        const events = bundle.events.slice();
        events[e] = flipHex(events[e], i);
        const f = file('e.json', { ...bundle, events });
        expect(() => verifyReceiptFile(f, bundle.lockKey), 'event ' + e + ' byte ' + i).toThrow();
      }
    }
  });

  it('exits 10 with the fault for a tampered receipt or another key, and 2 for a bad file or no file', async () => {
    const tampered = await keyway(['verify-receipt', file('bad.json', { ...bundle, receipt: flipHex(bundle.receipt, 40) })], {}, scaled(30_000));
    expect(tampered.code).toBe(10);
    expect(tampered.stderr).toContain('KW_RECEIPT_INVALID');
    expect(tampered.stderr).not.toMatch(/^\s+at .+[(:]\d+/m);
    const otherKey = await keyway(['verify-receipt', file('good3.json', bundle), '--key', OTHER_KEY], {}, scaled(30_000));
    expect(otherKey.code).toBe(10);
    expect(otherKey.stderr).toContain('RECEIPT_WRONG_KEY');
    const notJson = await keyway(['verify-receipt', file('junk.json', 'not json')], {}, scaled(30_000));
    expect(notJson.code).toBe(2);
    const none = await keyway(['verify-receipt'], {}, scaled(30_000));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('KW_USAGE');
  }, scaled(120_000));
});

// The lock-signed receipt (docs/protocol.md §6.2): the published vector decodes, verifies under
// tweetnacl and node's check, and the offline check holds on its chain; malformed receipts are refused.
import nacl from 'tweetnacl';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RECEIPT_FAULTS, checkReceipt, decodeReceipt, encodeReceiptBody, fromHex, isReceipt, toHex } from '@keyway/shared';
import { DOC_PATH } from '../../../scripts/protocol-docs';
import { buildVectors } from '../../../scripts/protocol-vectors';

const v = Object.fromEntries(buildVectors().map((x) => [x.name, x]));
const receipt = fromHex(v['receipt'].hex);
const pub = fromHex(v['lock-key'].hex);
const events = ['event-1', 'event-2', 'event-3'].map((n) => fromHex(v[n].hex));

describe('lock-signed receipt', () => {
  it('the published vector decodes, re-encodes to the same bytes and verifies under tweetnacl', () => {
    const rc = decodeReceipt(receipt);
    expect([rc.seq, rc.entrySeq, rc.cameraSeq, rc.grantId]).toEqual([3, 1, 0, 7]);
    expect(toHex(rc.head)).toBe(v['event-3'].hash);
    expect(toHex(rc.entryHash)).toBe(v['event-1'].hash);
    const { signed: _s, signature: _g, ...fields } = rc;
    expect(toHex(encodeReceiptBody(fields))).toBe(toHex(rc.signed));
    expect(nacl.sign.detached.verify(rc.signed, rc.signature, pub)).toBe(true);
    expect(isReceipt(receipt)).toBe(true);
    expect(isReceipt(events[0])).toBe(false);
  });

  it('holds offline on its chain', () => {
    const r = checkReceipt(receipt, pub, events);
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  it('names its fault for each kind of damage', () => {
    const fault = (r: ReturnType<typeof checkReceipt>) => (r.ok ? 'ok' : r.fault);
    expect(fault(checkReceipt(receipt.subarray(0, 100), pub, events))).toBe('RECEIPT_MALFORMED');
    const badSig = new Uint8Array(receipt);
    badSig[badSig.length - 1] ^= 1;
    expect(fault(checkReceipt(badSig, pub, events))).toBe('RECEIPT_BAD_SIGNATURE');
    expect(fault(checkReceipt(receipt, pub, events.slice(1)))).toBe('CHAIN_INCOMPLETE');
    expect(fault(checkReceipt(receipt, pub, [events[0], events[2]]))).toBe('CHAIN_BROKEN');
    expect(fault(checkReceipt(receipt, pub, [events[0], events[1], events[2].subarray(0, 20)]))).toBe('EVENT_MALFORMED');
  });

  it('refuses events out of order inside the receipt', () => {
    const rc = decodeReceipt(receipt);
    const { signed: _s, signature: _g, ...fields } = rc;
    expect(() => encodeReceiptBody({ ...fields, entrySeq: 3 })).toThrow(/BAD_FORMAT/);
    expect(() => encodeReceiptBody({ ...fields, cameraSeq: 1 })).toThrow(/BAD_FORMAT/);
  });

  it('docs/protocol.md lists every receipt fault', () => {
    const doc = readFileSync(DOC_PATH, 'utf8');
    for (const name of Object.keys(RECEIPT_FAULTS)) expect(doc).toContain('`' + name + '`');
  });
});

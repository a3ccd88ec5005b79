import { describe, expect, it } from 'vitest';
import { barcodeCommitment, buildHashChain, bytesEqual, chainStep, fromHex, keyIdOf, toHex } from '@keyway/shared';
import { signerFromSeed } from '@keyway/shared/node';

const dev = fromHex('0123456789abcdef');
const other = fromHex('fedcba9876543210');

describe('hash constructions', () => {
  it('builds a chain whose every value steps to the next', () => {
    const chain = buildHashChain(new Uint8Array(32).fill(1), dev, 7, 5);
    expect(chain).toHaveLength(6);
    for (let i = 1; i < chain.length; i++) expect(bytesEqual(chainStep(dev, 7, chain[i - 1]), chain[i])).toBe(true);
  });
  it('binds chain steps to device and grant', () => {
    const x = new Uint8Array(32).fill(9);
    expect(toHex(chainStep(dev, 7, x))).not.toBe(toHex(chainStep(other, 7, x)));
    expect(toHex(chainStep(dev, 7, x))).not.toBe(toHex(chainStep(dev, 8, x)));
    expect(() => chainStep(dev, 7, new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'BAD_VALUE' }));
  });
  it('commits to a trimmed barcode per device and refuses empty or huge codes', () => {
    expect(toHex(barcodeCommitment(dev, ' 1Z999 \n'))).toBe(toHex(barcodeCommitment(dev, '1Z999')));
    expect(toHex(barcodeCommitment(dev, '1Z999'))).not.toBe(toHex(barcodeCommitment(other, '1Z999')));
    expect(toHex(barcodeCommitment(dev, '1z999'))).not.toBe(toHex(barcodeCommitment(dev, '1Z999')));
    expect(() => barcodeCommitment(dev, '   ')).toThrow(expect.objectContaining({ code: 'BAD_VALUE' }));
    expect(() => barcodeCommitment(dev, 'x'.repeat(65))).toThrow(expect.objectContaining({ code: 'BAD_VALUE' }));
  });
  it('derives key ids from public keys', () => {
    const s = signerFromSeed(new Uint8Array(32).fill(3));
    expect(s.keyId).toBe(keyIdOf(s.publicKey));
    expect(s.keyId).toBeGreaterThanOrEqual(0);
    expect(s.keyId).toBeLessThanOrEqual(0xffffffff);
  });
});

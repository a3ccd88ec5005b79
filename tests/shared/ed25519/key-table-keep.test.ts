/**
 * keepKeyTables (shared/src/ed25519/key-table.ts): a lock in owner-consent mode keeps no key table
 * after a verification (its keys alternate), and results do not change either way.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { keepKeyTables, verifyStrict } from '@keyway/shared';
import { cachedKeyTable } from '../../../shared/src/ed25519/key-table';

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { priv: privateKey, pub: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)) };
}

afterEach(() => keepKeyTables(true));

describe('keeping the last key table', () => {
  it('keeps the table by default; off, it drops the kept one and keeps none, with the same answers', () => {
    const k = keyPair();
    const msg = new Uint8Array([1, 2, 3]);
    const sig = new Uint8Array(sign(null, msg, k.priv));
    const bad = new Uint8Array(sig);
    bad[5] ^= 1;
    keepKeyTables(true);
    expect(verifyStrict(msg, sig, k.pub)).toBe(true);
    expect(cachedKeyTable(k.pub)).not.toBeNull();
    keepKeyTables(false);
    expect(cachedKeyTable(k.pub)).toBeNull();
    expect(verifyStrict(msg, sig, k.pub)).toBe(true);
    expect(verifyStrict(msg, bad, k.pub)).toBe(false);
    expect(cachedKeyTable(k.pub)).toBeNull();
    keepKeyTables(true);
    expect(verifyStrict(msg, sig, k.pub)).toBe(true);
    expect(cachedKeyTable(k.pub)).not.toBeNull();
  });
});

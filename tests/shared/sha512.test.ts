// FIPS 180-4 / NIST CAVP vectors first, then agreement with node:crypto.
const ABC = 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f';
const EMPTY = 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';
const TWO_BLOCK = '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909';
const TWO_BLOCK_MSG = 'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu';

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asciiBytes, setSha512Native, sha512, sha512Js, toHex } from '@keyway/shared';

describe('sha512 (pure JS)', () => {
  it('passes the FIPS 180-4 examples', () => {
    expect(toHex(sha512Js(asciiBytes('abc')))).toBe(ABC);
    expect(toHex(sha512Js(new Uint8Array(0)))).toBe(EMPTY);
    expect(toHex(sha512Js(asciiBytes(TWO_BLOCK_MSG)))).toBe(TWO_BLOCK);
  });
  it('agrees with node:crypto at every length around the padding boundaries', () => {
    for (let n = 0; n <= 300; n++) {
      const m = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      expect(toHex(sha512Js(m))).toBe(createHash('sha512').update(m).digest('hex'));
    }
  });
  it('uses an installed native implementation and can drop it again', () => {
    let calls = 0;
    setSha512Native((m) => {
      calls++;
      return new Uint8Array(createHash('sha512').update(m).digest());
    });
    try {
      expect(toHex(sha512(asciiBytes('abc')))).toBe(ABC);
      expect(calls).toBe(1);
    } finally {
      setSha512Native(null);
    }
    expect(toHex(sha512(asciiBytes('abc')))).toBe(ABC);
    expect(calls).toBe(1);
  });
});

// Scalars mod L: reduction of 512-bit hashes and wNAF recoding, against BigInt.
import { describe, expect, it } from 'vitest';
import { reduceModL, wnaf } from '../../../shared/src/ed25519/scalar';
import { L, bigToLe, leToBig } from '../../support/ed25519-bigint';

let state = 99;
function rndBytes(n: number): Uint8Array {
  return new Uint8Array(n).map(() => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 24;
  });
}

const EDGES: bigint[] = [0n, 1n, L - 1n, L, L + 1n, 2n * L - 1n, 2n ** 252n, 2n ** 253n - 1n, 2n ** 256n - 1n, 2n ** 512n - 1n,
  (2n ** 512n - 1n) / L * L, (2n ** 512n - 1n) / L * L - 1n];

describe('reduceModL', () => {
  it('matches BigInt on edge values and 5,000 random 64-byte hashes', () => {
    const inputs = EDGES.map((v) => bigToLe(v, 64));
    for (let n = 0; n < 5000; n++) inputs.push(rndBytes(64));
    for (const h of inputs) expect(leToBig(reduceModL(h))).toBe(leToBig(h) % L);
  });
  it('accepts shorter input (32 bytes)', () => {
    for (const v of [0n, L - 1n, L, 2n ** 256n - 1n]) expect(leToBig(reduceModL(bigToLe(v, 32)))).toBe(v % L);
  });
});

describe('wnaf', () => {
  for (const w of [5, 6]) {
    it(`width ${w}: odd digits below 2^${w - 1}, at most one non-zero in any ${w} in a row, same value`, () => {
      const scalars = EDGES.filter((v) => v < L).map((v) => bigToLe(v, 32));
      for (let n = 0; n < 2000; n++) scalars.push(reduceModL(rndBytes(64)));
      // half-size scalars (the verifier's c, d and the halves of d·S), short ones, runs of zero
      // bytes and of one bits, carries out of the top byte
      for (let n = 0; n < 1000; n++) scalars.push(bigToLe(leToBig(rndBytes(16 + (n % 3))), 32));
      for (const v of [1n, 2n ** 127n, 2n ** 128n - 1n, 2n ** 136n - 1n, (2n ** 128n - 1n) << 64n, 0xffn << 200n, 2n ** 252n + 1n,
        (1n << 128n) | 1n, 0x8000000000000000000000000000ff00n]) scalars.push(bigToLe(v, 32));
      for (const s of scalars) {
        const out = new Int8Array(256);
        const top = wnaf(s, w, out);
        let v = 0n;
        let last = -w;
        for (let i = 255; i >= 0; i--) v = 2n * v + BigInt(out[i]);
        for (let i = 0; i < 256; i++) {
          if (out[i] === 0) continue;
          expect(Math.abs(out[i]) % 2).toBe(1);
          expect(Math.abs(out[i])).toBeLessThan(1 << (w - 1));
          expect(i - last).toBeGreaterThanOrEqual(w);
          last = i;
        }
        expect(v).toBe(leToBig(s));
        expect(top).toBe(v === 0n ? -1 : last);
      }
    });
  }
});

// The precomputed odd multiples of B, re-derived digit for digit from the BigInt reference.
import { describe, expect, it } from 'vitest';
import { BASE_ENTRIES, baseTable, baseTableLiteral } from '../../../shared/src/ed25519/base-table';
import { BASE_HI_ENTRIES, baseHiTable, baseHiTableLiteral, forgetBaseTable } from '../../../shared/src/ed25519/base-table-hi';
import { BASE, D, inv, mod, mul } from '../../support/ed25519-bigint';

/** 13 balanced limbs of 20 bits, each as 5 hex digits of limb + 2^19 (the literal's format). */
function encodeLimbs(v: bigint): string {
  const limbs: number[] = [];
  for (let i = 0; i < 13; i++) {
    limbs.push(Number(v & 0xfffffn));
    v >>= 20n;
  }
  let c = 0;
  for (let i = 0; i < 13; i++) {
    const x = limbs[i] + c;
    c = x >= 524288 ? 1 : 0;
    limbs[i] = x - c * 1048576;
  }
  return limbs.map((l) => (l + 524288).toString(16).padStart(5, '0')).join('');
}

describe('base-point table', () => {
  it('holds [1]B, [3]B, ... in affine niels form (y + x, y - x, 2d·x·y)', () => {
    const lit = baseTableLiteral();
    expect(lit.length).toBe(BASE_ENTRIES);
    for (let j = 0; j < BASE_ENTRIES; j++) {
      const p = mul(BigInt(2 * j + 1), BASE);
      const zi = inv(p[2]);
      const x = mod(p[0] * zi);
      const y = mod(p[1] * zi);
      expect(lit[j], `[${2 * j + 1}]B`).toBe(encodeLimbs(mod(y + x)) + encodeLimbs(mod(y - x)) + encodeLimbs(mod(2n * D * x * y)));
    }
  });

  it('decodes into K forms (608·limbs, then limbs) of the same values', () => {
    const t = baseTable();
    const lit = baseTableLiteral();
    for (let j = 0; j < BASE_ENTRIES; j++) {
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < 13; i++) {
          const limb = parseInt(lit[j].substr(65 * c + 5 * i, 5), 16) - 524288;
          expect(t[j][26 * c + 13 + i]).toBe(limb);
          expect(t[j][26 * c + i]).toBe(608 * limb);
        }
      }
    }
    expect(baseTable()).toBe(t); // decoded once
  });

  it('holds [1·2^128]B, [3·2^128]B, ... for the high half of the B scalar, and decodes it', () => {
    const lit = baseHiTableLiteral();
    expect(lit.length).toBe(BASE_HI_ENTRIES);
    const t = baseHiTable();
    for (let j = 0; j < BASE_HI_ENTRIES; j++) {
      const p = mul(BigInt(2 * j + 1) << 128n, BASE);
      const zi = inv(p[2]);
      const x = mod(p[0] * zi);
      const y = mod(p[1] * zi);
      expect(lit[j], `[${2 * j + 1}·2^128]B`).toBe(encodeLimbs(mod(y + x)) + encodeLimbs(mod(y - x)) + encodeLimbs(mod(2n * D * x * y)));
      for (let i = 0; i < 13; i++) expect(t[j][13 + i]).toBe(parseInt(lit[j].substr(5 * i, 5), 16) - 524288);
    }
    expect(baseHiTable()).toBe(t);
    const lo = baseTable();
    forgetBaseTable(); // drops both tables
    expect(baseHiTable()).not.toBe(t);
    expect(baseTable()).not.toBe(lo);
  });
});

/**
 * Scalars modulo the group order L = 2^252 + c (c ≈ 2^124.4): reduction of the 512-bit
 * SHA-512 output, and width-w non-adjacent form recoding for the double-scalar multiplication.
 * Arithmetic is in doubles with 21-bit limbs (2^252 = 2^(21·12)); every product is < 2^42.
 */
import { packLimbs } from './field';

/** c = L - 2^252 in 21-bit limbs. */
const C21 = [1430509, 1626855, 1442968, 997804, 1960495, 683900];
const B21 = 2097152;

/**
 * One folding round on x[0..n): x = lo - c·hi with lo = x mod 2^252 and hi = x >> 252
 * (limbs 12..n-1, the top one signed). Carries limbs 0..m-2 into [0, 2^21) and leaves the
 * signed rest in limb m-1, so a negative value does not spread borrows upwards.
 * Returns the new length m.
 */
function fold(x: Float64Array, n: number): number {
  const m = n - 12 + 6 > 12 ? n - 12 + 6 + 1 : 13;
  // locals: module-level names cost a scope walk each on Espruino
  const fl = Math.floor, b = B21, c = C21, c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4], c5 = c[5];
  for (let j = 12; j < n; j++) {
    const q = x[j];
    x[j] = 0;
    if (q !== 0) {
      const o = j - 12;
      x[o] -= q * c0;
      x[o + 1] -= q * c1;
      x[o + 2] -= q * c2;
      x[o + 3] -= q * c3;
      x[o + 4] -= q * c4;
      x[o + 5] -= q * c5;
    }
  }
  let carry = 0;
  for (let i = 0; i < m - 1; i++) {
    const v = x[i] + carry;
    carry = fl(v / b);
    x[i] = v - carry * b;
  }
  x[m - 1] += carry;
  return m;
}

/** Little-endian bytes (up to 64) reduced mod L, as 32 little-endian bytes. */
export function reduceModL(h: Uint8Array): Uint8Array {
  const x = new Float64Array(26);
  const n = h.length;
  for (let i = 0; i < 25; i++) {
    const bit = 21 * i;
    const j = bit >> 3;
    const w = (j < n ? h[j] : 0) + 256 * (j + 1 < n ? h[j + 1] : 0) + 65536 * (j + 2 < n ? h[j + 2] : 0) +
      16777216 * (j + 3 < n ? h[j + 3] : 0);
    x[i] = Math.floor(w / (1 << (bit & 7))) % B21;
  }
  return reduceLimbs(x);
}

/** 25 limbs of 21 bits, each in [0, 2^21) (value below 2^512), reduced mod L to 32 bytes. */
function reduceLimbs(x: Float64Array): Uint8Array {
  // |x| < 2^512 -> (-2^385, 2^252) -> [0, 2^257) -> (-2^130, 2^252) -> [0, 2^252 + c) = [0, L)
  let len = fold(x, 25);
  for (let r = 0; r < 3; r++) len = fold(x, len);
  const out = new Uint8Array(32);
  packLimbs(x.subarray(0, 13), 21, out);
  return out;
}

/** 32 little-endian bytes as 13 limbs of 21 bits (the top limb holds bits 252..255). */
function limbs21(b: Uint8Array): Float64Array {
  const x = new Float64Array(13);
  for (let i = 0; i < 13; i++) {
    const bit = 21 * i;
    const j = bit >> 3;
    const w = b[j] + 256 * (j + 1 < 32 ? b[j + 1] : 0) + 65536 * (j + 2 < 32 ? b[j + 2] : 0) + 16777216 * (j + 3 < 32 ? b[j + 3] : 0);
    x[i] = Math.floor(w / (1 << (bit & 7))) % B21;
  }
  return x;
}

/**
 * (k·a + r) mod L for 32-byte little-endian scalars below 2^253 (the S half of a signature,
 * S = r + k·a). Schoolbook product in 21-bit limbs: every column is a sum of at most 13
 * products below 2^42, so below 2^46 and exact; carried into [0, 2^21), the value is below
 * 2^507 and goes through the same folds as a hash.
 */
export function mulAddModL(k: Uint8Array, a: Uint8Array, r: Uint8Array): Uint8Array {
  const kk = limbs21(k);
  const aa = limbs21(a);
  const rr = limbs21(r);
  const x = new Float64Array(26);
  const fl = Math.floor, b = B21;
  for (let i = 0; i < 13; i++) {
    x[i] += rr[i];
    const ki = kk[i];
    if (ki !== 0) for (let j = 0; j < 13; j++) x[i + j] += ki * aa[j];
  }
  let carry = 0;
  for (let i = 0; i < 25; i++) {
    const v = x[i] + carry;
    carry = fl(v / b);
    x[i] = v - carry * b;
  }
  x[25] = carry; // zero: the value is below 2^(21·25)
  return reduceLimbs(x);
}

/**
 * Width-w NAF of a scalar below 2^253 (little-endian bytes) into `out` (256 entries, all 0:
 * pass a fresh Int8Array): out[i] is 0 or odd with |out[i]| < 2^(w-1), and any w
 * consecutive digits hold at most one non-zero. Returns the index of the highest non-zero
 * digit, -1 for zero. Runs of zero bits are skipped a byte at a time, and the scan ends at the
 * scalar's top byte (plus a pending carry), so a half-size (~128-bit) scalar costs half a
 * full one.
 */
export function wnaf(s: Uint8Array, w: number, out: Int8Array): number {
  const width = 1 << w;
  const half = width >> 1;
  const mask = width - 1;
  let end = 256;
  while (end > 0 && s[(end >> 3) - 1] === 0) end -= 8;
  let top = -1;
  let carry = 0;
  let pos = 0;
  while (pos < 256 && (pos < end || carry !== 0)) {
    const j = pos >> 3;
    const lo = j < 32 ? s[j] : 0;
    if (carry === 0 && (lo >> (pos & 7)) === 0) {
      // the rest of this byte is zero bits: digits 0, nothing pending
      pos = (j + 1) << 3;
      continue;
    }
    const win = (((lo | (j < 31 ? s[j + 1] << 8 : 0)) >> (pos & 7)) & mask) + carry;
    if ((win & 1) === 0) {
      // even window: digit 0 here; a pending carry stays pending (the bit here was 1)
      pos++;
      continue;
    }
    if (win < half) {
      out[pos] = win;
      carry = 0;
    } else {
      out[pos] = win - width;
      carry = 1;
    }
    top = pos;
    pos += w;
  }
  return top;
}

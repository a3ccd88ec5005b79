/**
 * GF(p), p = 2^255 - 19: element storage, conversion to and from bytes, canonical form and
 * the few constants the verifier needs. The hot products live in field-mul.ts; this file
 * holds what runs a handful of times per verification, written for size, not speed.
 *
 * An element is 13 signed limbs of 20 bits (value Σ x_i·2^(20i), any representative mod p;
 * 2^260 ≡ 608). An El keeps it in both operand forms a product reads: `r` (limbs
 * reversed) and `k` (608·limbs, then limbs); `n` is a view of the plain limbs inside `k`.
 */
import { mulRK } from './field-mul';

export const LIMBS = 13;
const RADIX = 1048576;

export interface El {
  r: Int32Array;
  k: Int32Array;
  n: Int32Array;
}

export function newEl(): El {
  const k = new Int32Array(26);
  return { r: new Int32Array(13), k: k, n: k.subarray(13) };
}

/** Writes plain limbs into both forms. */
export function setEl(e: El, limbs: ArrayLike<number>): void {
  setK(e.k, limbs);
  setR(e.r, limbs, 1);
}

/** Plain limbs into the K form of a 26-entry array. */
export function setK(k: Int32Array, limbs: ArrayLike<number>): void {
  for (let i = 0; i < 13; i++) k[i] = 608 * (k[13 + i] = limbs[i]);
}

/** scale·limbs into an R form. */
export function setR(r: Int32Array, limbs: ArrayLike<number>, scale: number): void {
  for (let i = 0; i < 13; i++) r[12 - i] = scale * limbs[i];
}

/** o = a·b with both forms written (o may not be a or b). */
export function mulEl(o: El, a: El, b: El): void {
  mulRK(o.r, o.k, a.r, b.k);
}

/** Cold-path limb arithmetic: o = a + s·b, then balanced. */
export function addPlain(o: Int32Array, a: ArrayLike<number>, b: ArrayLike<number>, s: number): void {
  for (let i = 0; i < 13; i++) o[i] = a[i] + s * b[i];
  balance(o);
}

/**
 * Carries limbs into [-2^19, 2^19] (rounding to nearest), folding the top carry back
 * (·608): the "reduced" bound field-mul.ts assumes of every product input.
 */
export function balance(x: Int32Array): void {
  let c = 1;
  const fl = Math.floor, rad = RADIX; // locals: module-level names cost a scope walk on Espruino
  for (let pass = 0; pass < 4 && c !== 0; pass++) {
    c = 0;
    for (let i = 0; i < 13; i++) {
      const v = x[i] + c;
      c = fl(v / rad + 0.5);
      x[i] = v - c * rad;
    }
    x[0] += 608 * c;
  }
}

/**
 * Little-endian bytes to balanced limbs; bit 255 (the x sign bit of a point) is ignored.
 * The value may be >= p: callers that need canonical input check the encoding first.
 */
export function limbsFromBytes(b: Uint8Array, o: Int32Array): void {
  for (let i = 0; i < 13; i++) {
    const j = (20 * i) >> 3;
    const w = b[j] | (b[j + 1] << 8) | (j < 29 ? b[j + 2] << 16 : 0);
    o[i] = (w >>> ((20 * i) & 7)) & (i < 12 ? 0xfffff : 0x7fff);
  }
  balance(o);
}

/** Canonical 32-byte little-endian encoding of the value mod p (bit 255 clear). */
export function limbsToBytes(x: ArrayLike<number>): Uint8Array {
  const t = new Float64Array(13);
  const fl = Math.floor, rad = RADIX;
  for (let i = 0; i < 13; i++) t[i] = x[i];
  // Limbs into [0, 2^20) with the top limb below 2^15, folding what lies above bit 255
  // (2^255 ≡ 19, 2^260 ≡ 608); a few passes always settle for bounded input.
  for (let pass = 0; pass < 6; pass++) {
    let c = 0;
    for (let i = 0; i < 13; i++) {
      const v = t[i] + c;
      c = fl(v / rad);
      t[i] = v - c * rad;
    }
    const hi = fl(t[12] / 32768);
    t[12] -= hi * 32768;
    t[0] += 608 * c + 19 * hi;
    if (c === 0 && hi === 0) break;
  }
  // Now 0 <= value < 2^255; it is >= p exactly when value + 19 reaches 2^255.
  const u = new Float64Array(13);
  let carry = 19;
  for (let i = 0; i < 13; i++) {
    const w = t[i] + carry;
    carry = w >= rad ? 1 : 0;
    u[i] = w - carry * rad;
  }
  const s = u[12] >= 32768 ? u : t;
  if (s === u) u[12] -= 32768;
  const out = new Uint8Array(32);
  packLimbs(s, 20, out);
  return out;
}

/** Non-negative limbs of `bits` bits each (bits <= 24), little-endian, into out (as many bytes as fit). */
export function packLimbs(x: ArrayLike<number>, bits: number, out: Uint8Array): void {
  let acc = 0;
  let have = 0;
  let j = 0;
  for (let i = 0; i < x.length && j < out.length; i++) {
    acc |= x[i] << have;
    have += bits;
    while (have >= 8 && j < out.length) {
      out[j++] = acc & 0xff;
      acc >>>= 8;
      have -= 8;
    }
  }
  if (j < out.length) out[j] = acc & 0xff;
}

export function isZeroMod(x: ArrayLike<number>): boolean {
  const b = limbsToBytes(x);
  let d = 0;
  for (let i = 0; i < 32; i++) d |= b[i];
  return d === 0;
}

/** Least significant bit of the canonical value (the "sign" of an x coordinate). */
export function parity(x: ArrayLike<number>): number {
  return limbsToBytes(x)[0] & 1;
}

export interface FieldConstants {
  /** d = -121665/121666 */
  d: El;
  /** 2d, K form (for the 2d·T coordinate of table points) */
  d2k: Int32Array;
  /** sqrt(-1) = 2^((p-1)/4) */
  sqrtM1: El;
}

let consts: FieldConstants | null = null;

/** An element from 13 balanced limbs written as 5 hex digits each (limb + 2^19), as in base-table.ts. */
export function elFromLimbHex(hex: string): El {
  const limbs = new Int32Array(13);
  for (let i = 0; i < 13; i++) limbs[i] = parseInt(hex.substr(5 * i, 5), 16) - 524288;
  const e = newEl();
  setEl(e, limbs);
  return e;
}

/** Decoded on first use (tests recompute all three with BigInt). */
export function fieldConstants(): FieldConstants {
  if (!consts) {
    consts = {
      d: elFromLimbHex('178a34a136deb4e58ab754142f00a509800f779ff4079f38cc36ffeecee385203'),
      d2k: elFromLimbHex('af1591426b3d69c3156f282846014a930016ef3d680f367199edffd59dc582407').k,
      sqrtM1: elFromLimbHex('6a0b0a74a1cee1b6478cead30c3180fa72fbdfbd500998b2b57c1dfa480582b83')
    };
  }
  return consts;
}

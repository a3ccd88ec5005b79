/**
 * Half-size scalars for the verification equation (docs/verifier.md, "Half-size scalars").
 *
 * Given k in [0, L), finds integers c, d of about 128 bits with d odd and
 *
 *   c ≡ d·k  (mod 8L)
 *
 * by running Euclid's algorithm on (8L, k) and stopping at the first remainder below
 * sqrt(8L): every row (r, t) of the extended algorithm satisfies r ≡ t·k (mod 8L), and at
 * that row |t| <= 8L / (previous remainder) < sqrt(8L). The group of curve points has order
 * 8L and is cyclic, so multiplying by an odd d that is not a multiple of L is a bijection,
 * and [d·k]P = [c]P for every point P. That is what lets the verifier check
 * [d·S mod L]B - [c]A - [d]R = O instead of [S]B - [k]A - R = O with the same verdict,
 * torsion components of A and R included.
 *
 * Correctness never depends on the numbers being short: every row operation keeps the
 * congruence, and when a step would leave the fast path (a quotient of 2^26 or more, an
 * even d that cannot be fixed, d not below 2^250) the caller gets false and uses c = k,
 * d = 1, which is the unshortened equation. Short numbers only make the loop shorter.
 *
 * Integers are 10 limbs of 26 bits in a Float64Array (limbs may be signed; a value is
 * Σ x_i·2^(26i)); q·limb < 2^52 keeps every step exact.
 */

const W = 67108864; // 2^26
const NL = 10;
/** 8L in 26-bit limbs (tests re-derive it). */
export const EIGHT_L_26 = [61775720, 12989625, 40578057, 64249587, 10942414, 0, 0, 0, 0, 2097152];
/** Stop at the first remainder below sqrt(8L) ≈ 2^127.5. */
const STOP = Math.pow(2, 127.5);
/** Euclid needs about 75 steps here (at most ~370 for any input below 2^256). */
const MAX_STEPS = 400;
/** Bound on the Lehmer matrix entries, so that x·a[i] + y·b[i] stays below 2^53. */
const LEHMER_MAX = 33554432; // 2^25
/** Above this d might be a multiple of L (it never is in practice: |d| < 2^128). */
const D_LIMIT = Math.pow(2, 250);

export interface HalfScalars {
  /** |c| and d as 32 little-endian bytes (d > 0 and odd) */
  c: Uint8Array;
  d: Uint8Array;
  /** true when c < 0 */
  cNeg: boolean;
}

function fromBytes(b: Uint8Array, o: Float64Array): void {
  // sc = 2^have, kept by exact multiplications (Espruino's Math.pow is not exact)
  let acc = 0;
  let have = 0;
  let sc = 1;
  let j = 0;
  for (let i = 0; i < NL; i++) {
    while (have < 26 && j < 32) {
      acc += b[j++] * sc;
      sc *= 256;
      have += 8;
    }
    const v = acc % W;
    o[i] = v;
    acc = (acc - v) / W;
    sc /= W;
    have -= 26;
  }
}

function toBytes(x: Float64Array, out: Uint8Array): void {
  let acc = 0;
  let sc = 1;
  let j = 0;
  for (let i = 0; i < NL && j < 32; i++) {
    acc += x[i] * sc;
    sc *= W;
    while (sc >= 256 && j < 32) {
      const v = acc % 256;
      out[j++] = v;
      acc = (acc - v) / 256;
      sc /= 256;
    }
  }
  if (j < 32) out[j] = acc;
}

/** Value as a double (rounded): enough to estimate quotients and compare with STOP. */
function approx(x: Float64Array, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * W + x[i];
  return v;
}

/** o = a - q·b over limbs [0, n), carried into [0, 2^26) except the signed top limb n-1. */
function subMul(o: Float64Array, a: Float64Array, b: Float64Array, q: number, n: number): void {
  let c = 0;
  const w = W, fl = Math.floor;
  const top = n - 1;
  for (let i = 0; i < top; i++) {
    const v = a[i] - q * b[i] + c;
    c = fl(v / w);
    o[i] = v - c * w;
  }
  o[top] = a[top] - q * b[top] + c;
}

/** o = x·a + y·b over limbs [0, n) (|x|, |y| < 2^26), carried like subMul. */
function combine(o: Float64Array, a: Float64Array, b: Float64Array, x: number, y: number, n: number): void {
  let c = 0;
  const w = W, fl = Math.floor;
  const top = n - 1;
  for (let i = 0; i < top; i++) {
    const v = x * a[i] + y * b[i] + c;
    c = fl(v / w);
    o[i] = v - c * w;
  }
  o[top] = x * a[top] + y * b[top] + c;
}

/** a >= b for non-negative normalized values over limbs [0, n). */
function notBelow(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let i = n - 1; i >= 0; i--) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/**
 * Writes c, d with c ≡ d·k (mod 8L), d odd and positive, both about 128 bits, into out.
 * Returns false when it gave up (then out is unchanged and the caller uses c = k, d = 1).
 */
export function halfScalars(k: Uint8Array, out: HalfScalars): boolean {
  let r0: Float64Array = new Float64Array(EIGHT_L_26);
  let r1: Float64Array = new Float64Array(NL);
  let r2: Float64Array = new Float64Array(NL);
  let t0: Float64Array = new Float64Array(NL);
  let t1: Float64Array = new Float64Array(NL);
  let t2: Float64Array = new Float64Array(NL);
  let r3: Float64Array = new Float64Array(NL);
  let t3: Float64Array = new Float64Array(NL);
  let x: Float64Array;
  fromBytes(k, r1);
  t1[0] = 1;
  let n = NL; // limbs in use by r0 (r1 and r2 are smaller)
  let f0 = approx(r0, n);
  let f1 = approx(r1, n);
  let rows = 0; // remainders found below STOP: one more step is taken when t1 is even
  for (let steps = 0; ; steps++) {
    if (steps > MAX_STEPS) return false;
    if (f1 < STOP) {
      if (rows === 0 && (t1[0] & 1) === 1) break;
      if (rows === 1) {
        // t1 was even, so the row before it (now in r0, t0) is odd: use the sum of the two rows
        for (let i = 0; i < n; i++) r1[i] += r0[i];
        for (let i = 0; i < NL; i++) t1[i] += t0[i];
        break;
      }
      rows++;
    }
    if (f1 === 0) return false;
    if (rows === 0 && n > 2) {
      // Lehmer: run Euclid on the two leading limbs while the quotients are certain, then apply
      // the 2x2 matrix of those steps to the whole numbers (one pass instead of one per step)
      let a = r0[n - 1] * W + r0[n - 2];
      let b = r1[n - 1] * W + r1[n - 2];
      const stop = 2 * STOP / Math.pow(W, n - 2); // approximate: the exact check follows
      let ma = 1, mb = 0, mc = 0, md = 1, u: number;
      const fl = Math.floor, max = LEHMER_MAX; // locals: module-level names cost a scope walk each
      while (b + mc !== 0 && b + md !== 0 && b >= stop) {
        const q = fl((a + ma) / (b + mc));
        if (q !== fl((a + mb) / (b + md))) break;
        if (q * (mc < 0 ? -mc : mc) + (ma < 0 ? -ma : ma) >= max || q * (md < 0 ? -md : md) + (mb < 0 ? -mb : mb) >= max) break;
        u = ma - q * mc;
        ma = mc;
        mc = u;
        u = mb - q * md;
        mb = md;
        md = u;
        u = a - q * b;
        a = b;
        b = u;
      }
      if (mb !== 0) {
        combine(r2, r0, r1, ma, mb, n);
        combine(r3, r0, r1, mc, md, n);
        combine(t2, t0, t1, ma, mb, NL);
        combine(t3, t0, t1, mc, md, NL);
        if (r2[n - 1] < 0 || r3[n - 1] < 0) return false; // cannot happen: the quotients were certain
        x = r0;
        r0 = r2;
        r2 = x;
        x = r1;
        r1 = r3;
        r3 = x;
        x = t0;
        t0 = t2;
        t2 = x;
        x = t1;
        t1 = t3;
        t3 = x;
        while (n > 1 && r0[n - 1] === 0) n--;
        f0 = approx(r0, n);
        f1 = approx(r1, n);
        continue;
      }
    }
    const q = Math.floor(f0 / f1);
    if (q >= W) return false;
    const m = NL; // t limbs are two's-complement-like across all NL limbs once negative
    subMul(r2, r0, r1, q, n);
    subMul(t2, t0, t1, q, m);
    // the estimate of q may be off by one either way
    if (r2[n - 1] < 0) {
      subMul(r2, r2, r1, -1, n);
      subMul(t2, t2, t1, -1, m);
    } else if (notBelow(r2, r1, n)) {
      subMul(r2, r2, r1, 1, n);
      subMul(t2, t2, t1, 1, m);
    }
    x = r0;
    r0 = r1;
    r1 = r2;
    r2 = x;
    x = t0;
    t0 = t1;
    t1 = t2;
    t2 = x;
    while (n > 1 && r0[n - 1] === 0) n--;
    f0 = f1;
    f1 = approx(r1, n);
  }
  // r1 >= 0 and t1 odd: make d = |t1| positive (negating c with it). Limbs of r1 from n up
  // may hold an older row's digits: clear them first.
  for (let i = n; i < NL; i++) r1[i] = 0;
  subMul(t2, t1, t1, 0, NL);
  subMul(r2, r1, r1, 0, NL);
  const neg = approx(t2, NL) < 0;
  if (neg) subMul(t2, t1, t1, 2, NL);
  if (approx(t2, NL) >= D_LIMIT || (t2[0] & 1) !== 1) return false;
  toBytes(r2, out.c);
  toBytes(t2, out.d);
  out.cNeg = neg;
  return true;
}

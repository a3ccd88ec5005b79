/**
 * Field products for GF(2^255 - 19), unrolled for interpreters that pay per token.
 *
 * Representation (field.ts): 13 signed limbs of 20 bits, x = Σ x_i·2^(20i), and
 * 2^260 ≡ 32·19 = 608 (mod p). A product reads `a` in R form (limbs reversed, 13 entries)
 * and `b` in K form (608·b_0..608·b_12, b_0..b_12: 26 entries). For every output limb k
 *
 *   c_k = Σ_(j<=k) a_j·b_(k-j) + 608·Σ_(j>k) a_j·b_(k+13-j) = conv(R(a), K(b), k + 1)
 *
 * is one E.convolve call: the window over K(b) slides one entry per limb, so the
 * wrap-around factor comes for free. Carries use the rounding trick: h = v + RND - RND is
 * v rounded to a multiple of 2^20 (exact for |v| < 2^71), leaving a balanced limb in
 * [-2^19, 2^19]. The carry out of limb 12 is folded into limb 0 (·608) and carried on
 * through limbs 1 and 2.
 *
 * Bounds. "Reduced" means |limb| <= 2^19 + 8 (what every chain below outputs; field.ts
 * balances decoded constants the same way). For reduced a, b each |c_k| is at most
 * (1 + 12·608)·(2^19 + 8)² < 2^50.9, and every partial sum of the convolution obeys the
 * same bound, so E.convolve and jsConvolve produce the same exact integer in any order.
 * Chains that combine several convolutions stay below 4·2^50.9 < 2^52.9 < 2^53 (the
 * F = B - A - 2C chain of a doubling is the largest); the D ± C chain of an addition, whose
 * 2Z operand is a sum of two reduced elements, stays below 2^51.9 + 2^50.9 < 2^52.5.
 * The folded top carry is below 2^33·608 < 2^42.3; after it limbs 0 and 1 are balanced
 * and limb 2 is off by at most 2^2.3 + 1. K forms stay below 608·(2^20 + 16) < 2^30, so
 * elements live in Int32Array.
 *
 * Output forms: R = reversed (o[12-k]), K = 608x then x, RK = both. Every statement below
 * repeats the one before for the next limb (tests/shared/ed25519/field.test.ts checks every
 * function against BigInt, and the 2^53 margin, on extreme inputs).
 */
import { natives } from './field-natives';

/** x + RND - RND rounds x to the nearest multiple of 2^20 (exact for |x| < 2^71). */
export const RND = 3 * Math.pow(2, 71);
/** 2^-20 and 608·2^-20: carries are multiples of 2^20, so these products are exact. */
export const SH = 1 / 1048576;
export const FOLD = 608 / 1048576;

/** o = m·a·b in R form (m is 1 or 2). */
export function mulR(o: Int32Array, a: Int32Array, b: Int32Array, m: number): void {
  let v: number, h: number, R = RND, S = SH, c = natives.conv, x0: number, x1: number, x2: number;
  x0 = (v = c(a, b, 1) * m) - (h = v + R - R);
  x1 = (v = c(a, b, 2) * m + h * S) - (h = v + R - R);
  x2 = (v = c(a, b, 3) * m + h * S) - (h = v + R - R);
  o[9] = (v = c(a, b, 4) * m + h * S) - (h = v + R - R);
  o[8] = (v = c(a, b, 5) * m + h * S) - (h = v + R - R);
  o[7] = (v = c(a, b, 6) * m + h * S) - (h = v + R - R);
  o[6] = (v = c(a, b, 7) * m + h * S) - (h = v + R - R);
  o[5] = (v = c(a, b, 8) * m + h * S) - (h = v + R - R);
  o[4] = (v = c(a, b, 9) * m + h * S) - (h = v + R - R);
  o[3] = (v = c(a, b, 10) * m + h * S) - (h = v + R - R);
  o[2] = (v = c(a, b, 11) * m + h * S) - (h = v + R - R);
  o[1] = (v = c(a, b, 12) * m + h * S) - (h = v + R - R);
  o[0] = (v = c(a, b, 13) * m + h * S) - (h = v + R - R);
  x0 = (v = x0 + h * FOLD) - (h = v + R - R);
  x1 = (v = x1 + h * S) - (h = v + R - R);
  x2 += h * S;
  o[12] = x0;
  o[11] = x1;
  o[10] = x2;
}

/**
 * (or, ok) = a·b in R and K forms. With n > 1 the result is then squared n - 1 more times
 * (the exponentiations of field-pow.ts, ~250 squarings each, without a call per squaring),
 * ping-ponging between (or, ok) and (sr, sk): after an odd n the result is in (or, ok), after
 * an even n in (sr, sk).
 */
export function mulRK(or: Int32Array, ok: Int32Array, a: Int32Array, b: Int32Array, n = 1, sr?: Int32Array, sk?: Int32Array): void {
  let v: number, h: number, R = RND, S = SH, c = natives.conv, x0: number, x1: number, x2: number;
  for (;;) {
    x0 = (v = c(a, b, 1)) - (h = v + R - R);
    x1 = (v = c(a, b, 2) + h * S) - (h = v + R - R);
    x2 = (v = c(a, b, 3) + h * S) - (h = v + R - R);
    ok[3] = 608 * (or[9] = ok[16] = (v = c(a, b, 4) + h * S) - (h = v + R - R));
    ok[4] = 608 * (or[8] = ok[17] = (v = c(a, b, 5) + h * S) - (h = v + R - R));
    ok[5] = 608 * (or[7] = ok[18] = (v = c(a, b, 6) + h * S) - (h = v + R - R));
    ok[6] = 608 * (or[6] = ok[19] = (v = c(a, b, 7) + h * S) - (h = v + R - R));
    ok[7] = 608 * (or[5] = ok[20] = (v = c(a, b, 8) + h * S) - (h = v + R - R));
    ok[8] = 608 * (or[4] = ok[21] = (v = c(a, b, 9) + h * S) - (h = v + R - R));
    ok[9] = 608 * (or[3] = ok[22] = (v = c(a, b, 10) + h * S) - (h = v + R - R));
    ok[10] = 608 * (or[2] = ok[23] = (v = c(a, b, 11) + h * S) - (h = v + R - R));
    ok[11] = 608 * (or[1] = ok[24] = (v = c(a, b, 12) + h * S) - (h = v + R - R));
    ok[12] = 608 * (or[0] = ok[25] = (v = c(a, b, 13) + h * S) - (h = v + R - R));
    x0 = (v = x0 + h * FOLD) - (h = v + R - R);
    x1 = (v = x1 + h * S) - (h = v + R - R);
    x2 += h * S;
    ok[0] = 608 * (or[12] = ok[13] = x0);
    ok[1] = 608 * (or[11] = ok[14] = x1);
    ok[2] = 608 * (or[10] = ok[15] = x2);
    if (--n <= 0) return;
    // square the result next, into the other pair
    a = or;
    b = ok;
    or = sr!;
    ok = sk!;
    sr = a;
    sk = b;
  }
}

/** p = R(a·b + d·e), q = R(a·b - d·e): Y3+X3 and Y3-X3 straight from two products. */
export function mulSumDiffR(p: Int32Array, q: Int32Array, a: Int32Array, b: Int32Array, d: Int32Array, e: Int32Array): void {
  let v: number, h: number, w: number, j: number, R = RND, S = SH, s: number, t: number, c = natives.conv, x0: number, x1: number, x2: number, y0: number, y1: number, y2: number;
  x0 = (v = (s = c(a, b, 1)) + (t = c(d, e, 1))) - (h = v + R - R);
  y0 = (w = s - t) - (j = w + R - R);
  x1 = (v = (s = c(a, b, 2)) + (t = c(d, e, 2)) + h * S) - (h = v + R - R);
  y1 = (w = s - t + j * S) - (j = w + R - R);
  x2 = (v = (s = c(a, b, 3)) + (t = c(d, e, 3)) + h * S) - (h = v + R - R);
  y2 = (w = s - t + j * S) - (j = w + R - R);
  p[9] = (v = (s = c(a, b, 4)) + (t = c(d, e, 4)) + h * S) - (h = v + R - R);
  q[9] = (w = s - t + j * S) - (j = w + R - R);
  p[8] = (v = (s = c(a, b, 5)) + (t = c(d, e, 5)) + h * S) - (h = v + R - R);
  q[8] = (w = s - t + j * S) - (j = w + R - R);
  p[7] = (v = (s = c(a, b, 6)) + (t = c(d, e, 6)) + h * S) - (h = v + R - R);
  q[7] = (w = s - t + j * S) - (j = w + R - R);
  p[6] = (v = (s = c(a, b, 7)) + (t = c(d, e, 7)) + h * S) - (h = v + R - R);
  q[6] = (w = s - t + j * S) - (j = w + R - R);
  p[5] = (v = (s = c(a, b, 8)) + (t = c(d, e, 8)) + h * S) - (h = v + R - R);
  q[5] = (w = s - t + j * S) - (j = w + R - R);
  p[4] = (v = (s = c(a, b, 9)) + (t = c(d, e, 9)) + h * S) - (h = v + R - R);
  q[4] = (w = s - t + j * S) - (j = w + R - R);
  p[3] = (v = (s = c(a, b, 10)) + (t = c(d, e, 10)) + h * S) - (h = v + R - R);
  q[3] = (w = s - t + j * S) - (j = w + R - R);
  p[2] = (v = (s = c(a, b, 11)) + (t = c(d, e, 11)) + h * S) - (h = v + R - R);
  q[2] = (w = s - t + j * S) - (j = w + R - R);
  p[1] = (v = (s = c(a, b, 12)) + (t = c(d, e, 12)) + h * S) - (h = v + R - R);
  q[1] = (w = s - t + j * S) - (j = w + R - R);
  p[0] = (v = (s = c(a, b, 13)) + (t = c(d, e, 13)) + h * S) - (h = v + R - R);
  q[0] = (w = s - t + j * S) - (j = w + R - R);
  x0 = (v = x0 + h * FOLD) - (h = v + R - R);
  x1 = (v = x1 + h * S) - (h = v + R - R);
  x2 += h * S;
  p[12] = x0;
  p[11] = x1;
  p[10] = x2;
  y0 = (w = y0 + j * FOLD) - (j = w + R - R);
  y1 = (w = y1 + j * S) - (j = w + R - R);
  y2 += j * S;
  q[12] = y0;
  q[11] = y1;
  q[10] = y2;
}

/**
 * r = R(a·b - g·d·e), q = K(a·b + g·d·e) with g = ±1, where b and e are K forms starting at
 * offsets ob and oe of (possibly larger) arrays, such as a table of points: the E/H and G/F
 * pairs of an addition.
 */
export function mulSumDiffRK(r: Int32Array, q: Int32Array, a: Int32Array, b: Int32Array, ob: number, d: Int32Array, e: Int32Array, oe: number, g: number): void {
  let v: number, h: number, w: number, j: number, R = RND, S = SH, s: number, t: number, c = natives.conv, x0: number, x1: number, x2: number, y0: number, y1: number, y2: number;
  x0 = (v = (s = c(a, b, ob + 1)) - (t = g * c(d, e, oe + 1))) - (h = v + R - R);
  y0 = (w = s + t) - (j = w + R - R);
  x1 = (v = (s = c(a, b, ob + 2)) - (t = g * c(d, e, oe + 2)) + h * S) - (h = v + R - R);
  y1 = (w = s + t + j * S) - (j = w + R - R);
  x2 = (v = (s = c(a, b, ob + 3)) - (t = g * c(d, e, oe + 3)) + h * S) - (h = v + R - R);
  y2 = (w = s + t + j * S) - (j = w + R - R);
  r[9] = (v = (s = c(a, b, ob + 4)) - (t = g * c(d, e, oe + 4)) + h * S) - (h = v + R - R);
  q[3] = 608 * (q[16] = (w = s + t + j * S) - (j = w + R - R));
  r[8] = (v = (s = c(a, b, ob + 5)) - (t = g * c(d, e, oe + 5)) + h * S) - (h = v + R - R);
  q[4] = 608 * (q[17] = (w = s + t + j * S) - (j = w + R - R));
  r[7] = (v = (s = c(a, b, ob + 6)) - (t = g * c(d, e, oe + 6)) + h * S) - (h = v + R - R);
  q[5] = 608 * (q[18] = (w = s + t + j * S) - (j = w + R - R));
  r[6] = (v = (s = c(a, b, ob + 7)) - (t = g * c(d, e, oe + 7)) + h * S) - (h = v + R - R);
  q[6] = 608 * (q[19] = (w = s + t + j * S) - (j = w + R - R));
  r[5] = (v = (s = c(a, b, ob + 8)) - (t = g * c(d, e, oe + 8)) + h * S) - (h = v + R - R);
  q[7] = 608 * (q[20] = (w = s + t + j * S) - (j = w + R - R));
  r[4] = (v = (s = c(a, b, ob + 9)) - (t = g * c(d, e, oe + 9)) + h * S) - (h = v + R - R);
  q[8] = 608 * (q[21] = (w = s + t + j * S) - (j = w + R - R));
  r[3] = (v = (s = c(a, b, ob + 10)) - (t = g * c(d, e, oe + 10)) + h * S) - (h = v + R - R);
  q[9] = 608 * (q[22] = (w = s + t + j * S) - (j = w + R - R));
  r[2] = (v = (s = c(a, b, ob + 11)) - (t = g * c(d, e, oe + 11)) + h * S) - (h = v + R - R);
  q[10] = 608 * (q[23] = (w = s + t + j * S) - (j = w + R - R));
  r[1] = (v = (s = c(a, b, ob + 12)) - (t = g * c(d, e, oe + 12)) + h * S) - (h = v + R - R);
  q[11] = 608 * (q[24] = (w = s + t + j * S) - (j = w + R - R));
  r[0] = (v = (s = c(a, b, ob + 13)) - (t = g * c(d, e, oe + 13)) + h * S) - (h = v + R - R);
  q[12] = 608 * (q[25] = (w = s + t + j * S) - (j = w + R - R));
  x0 = (v = x0 + h * FOLD) - (h = v + R - R);
  x1 = (v = x1 + h * S) - (h = v + R - R);
  x2 += h * S;
  r[12] = x0;
  r[11] = x1;
  r[10] = x2;
  y0 = (w = y0 + j * FOLD) - (j = w + R - R);
  y1 = (w = y1 + j * S) - (j = w + R - R);
  y2 += j * S;
  q[0] = 608 * (q[13] = y0);
  q[1] = 608 * (q[14] = y1);
  q[2] = 608 * (q[15] = y2);
}

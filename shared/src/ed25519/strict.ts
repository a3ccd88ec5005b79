/**
 * Strictness rules every lock-side Ed25519 verifier applies before any curve math
 * (docs/product.md#security-properties, docs/protocol.md §5): exact lengths, canonical S (S < L), canonical
 * point encodings (y < p, no "negative zero" x), and no small-order A or R.
 */
import { fromHex, toHex } from '../bytes';

/** Group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
export const ORDER_L = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

/** The eight points of order dividing 8 (canonical encodings); tests recompute them independently. */
export const SMALL_ORDER_POINTS = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'
];

/** S < L, compared as 256-bit little-endian integers. */
export function isCanonicalScalar(s: Uint8Array): boolean {
  if (s.length !== 32) return false;
  for (let i = 31; i >= 0; i--) {
    if (s[i] < ORDER_L[i]) return true;
    if (s[i] > ORDER_L[i]) return false;
  }
  return false; // S == L
}

/**
 * y < p = 2^255 - 19 and the sign bit is not set for the two points with x = 0
 * (y = 1 and y = p - 1), whose only canonical encoding has the sign bit clear.
 */
export function isCanonicalPointEncoding(p: Uint8Array): boolean {
  if (p.length !== 32) return false;
  const sign = p[31] & 0x80;
  const top = p[31] & 0x7f;
  let mid = 0xff;
  for (let i = 1; i < 31; i++) mid &= p[i];
  if (top === 0x7f && mid === 0xff && p[0] >= 0xed) return false; // y >= p
  if (sign) {
    let restZero = 0;
    for (let i = 1; i < 31; i++) restZero |= p[i];
    if (p[0] === 1 && restZero === 0 && top === 0) return false; // -0 with y = 1
    if (p[0] === 0xec && mid === 0xff && top === 0x7f) return false; // -0 with y = p - 1
  }
  return true;
}

/**
 * True for any encoding of a point of order 1, 2, 4 or 8 (sign bit considered). Compares hex
 * strings: on Espruino that is much cheaper than decoding the list into bytes.
 */
export function isSmallOrderEncoding(p: Uint8Array): boolean {
  const h = toHex(p);
  for (let i = 0; i < SMALL_ORDER_POINTS.length; i++) if (h === SMALL_ORDER_POINTS[i]) return true;
  return false;
}

/**
 * The checks on raw inputs shared by every verifier. R's canonicality is enforced later
 * by comparing the exact bytes of R with the encoding of the recomputed point.
 */
export function passesStrictChecks(sig: Uint8Array, pub: Uint8Array): boolean {
  if (!(sig instanceof Uint8Array) || !(pub instanceof Uint8Array)) return false;
  if (sig.length !== 64 || pub.length !== 32) return false;
  if (!isCanonicalScalar(sig.subarray(32, 64))) return false;
  if (!isCanonicalPointEncoding(pub)) return false;
  if (isSmallOrderEncoding(pub)) return false;
  if (isSmallOrderEncoding(sig.subarray(0, 32))) return false;
  return true;
}

/** A public key the lock may be provisioned with (also used by the CLI to refuse bad keys). */
export function isAcceptablePublicKey(pub: Uint8Array): boolean {
  return pub instanceof Uint8Array && pub.length === 32 && isCanonicalPointEncoding(pub) && !isSmallOrderEncoding(pub);
}

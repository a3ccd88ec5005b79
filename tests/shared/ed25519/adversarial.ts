/**
 * Adversarial Ed25519 inputs for the strictness rules (docs/product.md#security-properties), built with the independent
 * BigInt reference (tests/support/ed25519-bigint.ts). `loose` says whether the plain
 * cofactorless equation over loosely decoded points accepts the input: those are the cases a
 * verifier without the strict rules would let through.
 */
import { createHash } from 'node:crypto';
import {
  BASE, IDENTITY, L, P, add, bigToLe, decodeLoose, encode, equal, leToBig, mod, mul, smallOrderPoints, verifyLoose, type Point
} from '../../support/ed25519-bigint';

export interface Case {
  name: string;
  msg: Uint8Array;
  sig: Uint8Array;
  pub: Uint8Array;
  /** the loose equation accepts it */
  loose: boolean;
}

export function hexToBytes(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}

function sha512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function sig(r: Uint8Array, s: bigint): Uint8Array {
  const out = new Uint8Array(64);
  out.set(r, 0);
  out.set(bigToLe(s, 32), 32);
  return out;
}

/** The secret scalar and public key of a 32-byte seed (RFC 8032 §5.1.5). */
export function keyOf(seed: Uint8Array): { a: bigint; pub: Uint8Array } {
  const h = sha512(seed);
  const a = new Uint8Array(h.subarray(0, 32));
  a[0] &= 248;
  a[31] &= 127;
  a[31] |= 64;
  const s = leToBig(a);
  return { a: s, pub: encode(mul(s, BASE)) };
}

function challenge(r: Uint8Array, pub: Uint8Array, msg: Uint8Array): bigint {
  return mod(leToBig(sha512(r, pub, msg)), L);
}

function negate(p: Point): Point {
  return [mod(-p[0]), p[1], p[2], mod(-p[3])];
}

/** For a key of small order, a signature with S = 0 that the loose equation accepts (R = -[k]A). */
function smallOrderKeySignature(pubEnc: Uint8Array, tag: number): { msg: Uint8Array; sig: Uint8Array } {
  const a = decodeLoose(pubEnc)!;
  const rs = smallOrderPoints();
  for (let n = 0; n < 4096; n++) {
    const msg = new Uint8Array([tag, n & 0xff, n >> 8]);
    for (const r of rs) {
      const k = challenge(r, pubEnc, msg);
      if (Buffer.from(encode(negate(mul(k, a)))).equals(Buffer.from(r))) return { msg, sig: sig(r, 0n) };
    }
  }
  throw new Error('no loosely valid signature found');
}

/** y values >= p that still decode loosely (y - p in 0..18), with both sign bits where x != 0. */
function nonCanonicalYs(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let t = 0n; t < 19n; t++) {
    const enc = bigToLe(P + t, 32);
    if (!decodeLoose(enc)) continue;
    out.push(enc);
    const neg = new Uint8Array(enc);
    neg[31] |= 0x80;
    if (decodeLoose(neg)) out.push(neg);
  }
  return out;
}

/** A y (small) whose x² = (y² - 1)/(d·y² + 1) is not a square: an encoding off the curve. */
export function offCurveKeys(count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let y = 2n; out.length < count; y++) {
    const enc = bigToLe(y, 32);
    if (!decodeLoose(enc)) out.push(enc);
  }
  return out;
}

export function scalarPlus(s: Uint8Array, add_: bigint): Uint8Array {
  return bigToLe(leToBig(s) + add_, 32);
}

let cached: Case[] | null = null;

/** Every adversarial case (built once, ~1 s of BigInt arithmetic). All must be rejected. */
export function adversarialCases(): Case[] {
  if (cached) return cached;
  const out: Case[] = [];
  const seed = new Uint8Array(32).fill(7);
  const { a, pub } = keyOf(seed);
  const msg = new Uint8Array([1, 2, 3, 4]);
  const push = (name: string, m: Uint8Array, s: Uint8Array, p: Uint8Array) => out.push({ name, msg: m, sig: s, pub: p, loose: verifyLoose(m, s, p) });

  // A valid signature to mutate: R = [r]B, S = r + k·a.
  const r = mod(leToBig(sha512(new Uint8Array([9]), msg)), L);
  const R = encode(mul(r, BASE));
  const good = sig(R, mod(r + challenge(R, pub, msg) * a, L));
  const S = good.subarray(32);
  for (const [name, extra] of [['S + L', L], ['S + 2L', 2n * L]] as const) {
    const bad = new Uint8Array(good);
    bad.set(scalarPlus(S, extra), 32);
    push(name, msg, bad, pub);
  }
  push('S = L', msg, sig(R, L), pub);
  push('S = 2^256 - 1', msg, sig(R, 2n ** 256n - 1n), pub);
  push('all-zero signature', msg, new Uint8Array(64), pub);
  push('identity key, R = identity, S = 0', msg, sig(encode(IDENTITY), 0n), encode(IDENTITY));

  const small = smallOrderPoints();
  small.forEach((t, i) => {
    const forged = smallOrderKeySignature(t, i);
    push(`small-order key #${i} with a loosely valid signature`, forged.msg, forged.sig, t);
    push(`small-order R #${i} (S = 0)`, msg, sig(t, 0n), pub);
  });
  // R = identity with S = k·a: [S]B - [k]A is the identity, so the loose equation holds.
  const id = encode(IDENTITY);
  push('small-order R = identity, S = k·a', msg, sig(id, mod(challenge(id, pub, msg) * a, L)), pub);

  for (const enc of nonCanonicalYs()) {
    const y = leToBig(enc.map((b, j) => (j === 31 ? b & 0x7f : b)));
    const tag = `y = p + ${y - P}${enc[31] & 0x80 ? ', sign bit set' : ''}`;
    if (y === P + 1n && !(enc[31] & 0x80)) push(`non-canonical identity key (${tag}), R = identity, S = 0`, msg, sig(id, 0n), enc);
    else push(`non-canonical key (${tag})`, msg, good, enc);
    // The same non-canonical encoding as R: for y = p + 1 it is the identity, R' with S = k·a.
    if (y === P + 1n && !(enc[31] & 0x80)) {
      push(`non-canonical R (${tag}), S = k·a`, msg, sig(enc, mod(challenge(enc, pub, msg) * a, L)), pub);
    }
  }
  for (const negZero of ['0100000000000000000000000000000000000000000000000000000000000080', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff']) {
    push(`"negative zero" key ${negZero.slice(0, 4)}..${negZero.slice(-2)}`, msg, good, hexToBytes(negZero));
    const bad = new Uint8Array(good);
    bad.set(hexToBytes(negZero), 0);
    push(`"negative zero" R ${negZero.slice(0, 4)}..${negZero.slice(-2)}`, msg, bad, pub);
  }
  offCurveKeys(3).forEach((k, i) => push(`off-curve key #${i}`, msg, good, k));
  const offR = new Uint8Array(good);
  offR.set(offCurveKeys(1)[0], 0);
  push('off-curve R', msg, offR, pub);
  // The honest signature under a key with a torsion component added: same [a]B part, A' = A + T8.
  const t8 = decodeLoose(small.find((t) => !equal(mul(4n, decodeLoose(t)!), IDENTITY))!)!;
  const mixed = encode(add(mul(a, BASE), t8));
  push('mixed-order key (A + torsion)', msg, good, mixed);
  cached = out;
  return out;
}

/** The honest signature the mutations above start from, for sanity checks. */
export function honestSample(): { msg: Uint8Array; sig: Uint8Array; pub: Uint8Array } {
  const seed = new Uint8Array(32).fill(7);
  const { a, pub } = keyOf(seed);
  const msg = new Uint8Array([1, 2, 3, 4]);
  const r = mod(leToBig(sha512(new Uint8Array([9]), msg)), L);
  const R = encode(mul(r, BASE));
  return { msg, sig: sig(R, mod(r + challenge(R, pub, msg) * a, L)), pub };
}


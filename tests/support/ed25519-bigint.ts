/**
 * An independent, slow, obviously-correct Ed25519 reference in BigInt (RFC 8032 §5.1),
 * used only by tests as an oracle for the lock's verifier and for building
 * adversarial inputs (small-order points, non-canonical encodings).
 */
import { createHash } from 'node:crypto';

export const P = 2n ** 255n - 19n;
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;
export const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

export type Point = [bigint, bigint, bigint, bigint]; // extended (X, Y, Z, T)

export function mod(a: bigint, m: bigint = P): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

export function pow(b: bigint, e: bigint, m: bigint = P): bigint {
  let r = 1n;
  let x = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * x) % m;
    x = (x * x) % m;
    e >>= 1n;
  }
  return r;
}

export function inv(a: bigint): bigint {
  return pow(a, P - 2n);
}

export const IDENTITY: Point = [0n, 1n, 1n, 0n];

export function add(p: Point, q: Point): Point {
  const [x1, y1, z1, t1] = p;
  const [x2, y2, z2, t2] = q;
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(2n * D * t1 * t2);
  const d = mod(2n * z1 * z2);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

export function mul(k: bigint, p: Point): Point {
  let r = IDENTITY;
  let q = p;
  while (k > 0n) {
    if (k & 1n) r = add(r, q);
    q = add(q, q);
    k >>= 1n;
  }
  return r;
}

export function equal(p: Point, q: Point): boolean {
  return mod(p[0] * q[2] - q[0] * p[2]) === 0n && mod(p[1] * q[2] - q[1] * p[2]) === 0n;
}

export function encode(p: Point): Uint8Array {
  const zi = inv(p[2]);
  const x = mod(p[0] * zi);
  const y = mod(p[1] * zi);
  const out = bigToLe(y, 32);
  if (x & 1n) out[31] |= 0x80;
  return out;
}

/** Decodes without canonicality checks (y may be >= p); returns null when not on the curve. */
export function decodeLoose(b: Uint8Array): Point | null {
  const sign = b[31] >> 7;
  const yb = Uint8Array.from(b);
  yb[31] &= 0x7f;
  const y = mod(leToBig(yb));
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x) !== u) {
    if (mod(v * x * x) === mod(-u)) x = mod(x * SQRT_M1);
    else return null;
  }
  if (x === 0n && sign === 1) return null;
  if (Number(x & 1n) !== sign) x = mod(-x);
  return [x, y, 1n, mod(x * y)];
}

export const BASE: Point = (() => {
  const y = mod(4n * inv(5n));
  const enc = bigToLe(y, 32);
  return decodeLoose(enc)!;
})();

export function leToBig(b: Uint8Array): bigint {
  let r = 0n;
  for (let i = b.length - 1; i >= 0; i--) r = (r << 8n) | BigInt(b[i]);
  return r;
}

export function bigToLe(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function sha512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** Cofactorless RFC 8032 verification, loose on encodings: a yardstick, not a product verifier. */
export function verifyLoose(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): boolean {
  if (sig.length !== 64 || pub.length !== 32) return false;
  const a = decodeLoose(pub);
  const r = decodeLoose(sig.subarray(0, 32));
  if (!a || !r) return false;
  const s = leToBig(sig.subarray(32));
  if (s >= L) return false;
  const k = mod(leToBig(sha512(sig.subarray(0, 32), pub, msg)), L);
  return equal(mul(s, BASE), add(r, mul(k, a)));
}

/** The eight points of order dividing 8, canonically encoded. */
export function smallOrderPoints(): Uint8Array[] {
  // Any point times L lands in the torsion subgroup; find a generator of order 8.
  for (let yi = 2n; ; yi++) {
    const p = decodeLoose(bigToLe(yi, 32));
    if (!p) continue;
    const t = mul(L, p);
    const t4 = mul(4n, t);
    if (equal(t4, IDENTITY)) continue; // order < 8
    const out: Uint8Array[] = [];
    let q = IDENTITY;
    for (let i = 0; i < 8; i++) {
      out.push(encode(q));
      q = add(q, t);
    }
    return out;
  }
}

/** Signs like RFC 8032 with a 32-byte seed (test-only). */
export function signWithSeed(seed: Uint8Array, msg: Uint8Array): { pub: Uint8Array; sig: Uint8Array } {
  const h = sha512(seed);
  const a = Uint8Array.from(h.subarray(0, 32));
  a[0] &= 248;
  a[31] &= 127;
  a[31] |= 64;
  const s = leToBig(a);
  const pub = encode(mul(s, BASE));
  const r = mod(leToBig(sha512(h.subarray(32), msg)), L);
  const R = encode(mul(r, BASE));
  const k = mod(leToBig(sha512(R, pub, msg)), L);
  const S = mod(r + k * s, L);
  const sig = new Uint8Array(64);
  sig.set(R, 0);
  sig.set(bigToLe(S, 32), 32);
  return { pub, sig };
}

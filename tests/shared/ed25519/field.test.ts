// Field arithmetic mod p = 2^255 - 19 against BigInt; the pure-JS product against an exact
// emulation of Espruino's E.convolve; the 2^53 exactness margin measured during verifications.
import { describe, expect, it, afterEach } from 'vitest';
import { fastVerifier } from '@keyway/shared';
import {
  balance, fieldConstants, limbsFromBytes, limbsToBytes, newEl, type El
} from '../../../shared/src/ed25519/field';
import { mulR, mulRK, mulSumDiffR, mulSumDiffRK } from '../../../shared/src/ed25519/field-mul';
import { jsConvolve, setFieldNatives, usingNativeConvolve, type Convolve } from '../../../shared/src/ed25519/field-natives';
import { dblSquares } from '../../../shared/src/ed25519/point-tails';
import { D, P, bigToLe, leToBig, mod, pow } from '../../support/ed25519-bigint';
import { adversarialCases, hexToBytes } from './adversarial';
import { RFC8032 } from './rfc8032-vectors';
import { elementMaker, espruinoConvolve, limbValue, REDUCED, seededRandom } from './field-limbs';

const rnd = seededRandom(12345);
const element = elementMaker(rnd);
const value = limbValue;

function expectReduced(limbs: ArrayLike<number>, from: number, what: string): void {
  for (let i = 0; i < 13; i++) expect(Math.abs(limbs[from + i]), what).toBeLessThanOrEqual(REDUCED);
}

function expectK(k: Int32Array, what: string): void {
  for (let i = 0; i < 13; i++) expect(k[i], what).toBe(608 * k[13 + i]);
}

/** Runs every product variant on (a, b, c, d) and returns all outputs, checked against BigInt. */
function products(a: El, b: El, c: El, d: El): Int32Array[] {
  const va = value(a.k, 13), vb = value(b.k, 13), vc = value(c.k, 13), vd = value(d.k, 13);
  const r1 = new Int32Array(13);
  mulR(r1, a.r, b.k, 2);
  expect(value([...r1].reverse())).toBe(mod(2n * va * vb));
  const o = newEl();
  mulRK(o.r, o.k, a.r, b.k);
  expect(value(o.n)).toBe(mod(va * vb));
  expectK(o.k, 'mulRK K form');
  const p = new Int32Array(13), q = new Int32Array(13);
  mulSumDiffR(p, q, a.r, b.k, c.r, d.k);
  expect(value([...p].reverse())).toBe(mod(va * vb + vc * vd));
  expect(value([...q].reverse())).toBe(mod(va * vb - vc * vd));
  // a table-like array: b's K form at offset 26, d's at offset 52
  const table = new Int32Array(104);
  table.set(b.k, 26);
  table.set(d.k, 52);
  const r = new Int32Array(13), k = new Int32Array(26);
  for (const g of [1, -1]) {
    mulSumDiffRK(r, k, a.r, table, 26, c.r, table, 52, g);
    expect(value([...r].reverse())).toBe(mod(va * vb - BigInt(g) * vc * vd));
    expect(value(k, 13)).toBe(mod(va * vb + BigInt(g) * vc * vd));
    expectK(k, 'mulSumDiffRK K form');
  }
  const gg = new Int32Array(13), hk = new Int32Array(26), fk = new Int32Array(26);
  dblSquares(gg, hk, fk, a.r, a.k, b.r, b.k, c.r, c.k);
  expect(value([...gg].reverse())).toBe(mod(vb * vb - va * va));
  expect(value(hk, 13)).toBe(mod(-va * va - vb * vb));
  expect(value(fk, 13)).toBe(mod(vb * vb - va * va - 2n * vc * vc));
  const outs = [r1, o.r, o.k, p, q, r, k, gg, hk, fk];
  for (const x of [r1, o.r, p, q, r, gg]) expectReduced(x, 0, 'R output');
  for (const x of [o.k, k, hk, fk]) expectReduced(x, 13, 'K output');
  return outs;
}

afterEach(() => setFieldNatives(null));

describe('field products (13 limbs of 20 bits, 2^260 = 608 mod p)', () => {
  it('match BigInt for random and extreme reduced inputs, and produce reduced outputs', () => {
    for (let n = 0; n < 300; n++) products(element(n % 4), element((n >> 2) % 4), element(0), element((n >> 4) % 4));
  });

  it('the pure-JS path equals the E.convolve path bit for bit', () => {
    const inputs = Array.from({ length: 120 }, (_, n) => [element(n % 4), element(0), element((n >> 2) % 4), element(0)]);
    const js = inputs.map(([a, b, c, d]) => products(a, b, c, d));
    setFieldNatives({ convolve: espruinoConvolve });
    expect(usingNativeConvolve()).toBe(true);
    const native = inputs.map(([a, b, c, d]) => products(a, b, c, d));
    expect(native).toEqual(js);
    setFieldNatives({});
    expect(usingNativeConvolve()).toBe(false);
  });

  it('verifications give the same verdicts through emulated E.convolve', () => {
    setFieldNatives({ convolve: espruinoConvolve });
    for (const t of RFC8032) expect(fastVerifier.verify(hexToBytes(t.msg), hexToBytes(t.sig), hexToBytes(t.pub))).toBe(true);
    for (const c of adversarialCases().slice(0, 20)) expect(fastVerifier.verify(c.msg, c.sig, c.pub)).toBe(false);
  });

  it('every partial sum of every convolution stays an exact integer below 2^53', () => {
    let max = 0;
    const tracking: Convolve = (a, b, offset) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) {
        s += a[i] * b[(i + offset) % b.length];
        if (Math.abs(s) > max) max = Math.abs(s);
        if (!Number.isSafeInteger(s)) throw new Error('inexact partial sum ' + s);
      }
      return s;
    };
    setFieldNatives({ convolve: tracking });
    for (const t of RFC8032) expect(fastVerifier.verify(hexToBytes(t.msg), hexToBytes(t.sig), hexToBytes(t.pub))).toBe(true);
    for (let n = 0; n < 100; n++) products(element(n % 4), element((n + 1) % 4), element((n + 2) % 4), element((n + 3) % 4));
    // The worst case analysed in field-mul.ts is 4·(1 + 12·608)·(2^19 + 8)² < 2^52.9.
    expect(max).toBeLessThan(2 ** 52.9);
    expect(max).toBeGreaterThan(2 ** 40); // the stress inputs did reach the large range
  });

  it('jsConvolve is the non-wrapping window of E.convolve', () => {
    const a = element(0).r;
    const b = new Int32Array(104).map(() => Math.floor(rnd() * 2e6) - 1e6);
    for (let off = 0; off < 91; off++) expect(jsConvolve(a, b, off)).toBe(espruinoConvolve(a, b, off));
  });
});

describe('field encoding', () => {
  const canonical = (v: bigint) => Buffer.from(bigToLe(mod(v), 32)).toString('hex');
  it('limbsToBytes gives the canonical encoding of any bounded representative', () => {
    const specials = [0n, 1n, P - 1n, P, P + 1n, 2n ** 255n - 1n, 2n ** 255n - 20n, 2n ** 255n, 2n ** 256n - 1n];
    for (const v of specials) {
      const x = new Int32Array(13);
      let t = v;
      for (let i = 0; i < 13; i++) {
        x[i] = Number(t & 0xfffffn);
        t >>= 20n;
      }
      expect(Buffer.from(limbsToBytes(x)).toString('hex'), v.toString(16)).toBe(canonical(v));
      balance(x);
      expectReduced(x, 0, 'balanced');
      expect(Buffer.from(limbsToBytes(x)).toString('hex')).toBe(canonical(v));
      const neg = x.map((l) => -l);
      expect(Buffer.from(limbsToBytes(neg)).toString('hex')).toBe(canonical(-v));
    }
    for (let n = 0; n < 500; n++) {
      const e = element(n % 4);
      expect(Buffer.from(limbsToBytes(e.n)).toString('hex')).toBe(canonical(value(e.n)));
    }
  });

  it('limbsFromBytes reads 255 bits (the sign bit is ignored) into balanced limbs', () => {
    for (let n = 0; n < 200; n++) {
      const b = new Uint8Array(32).map(() => Math.floor(rnd() * 256));
      const x = new Int32Array(13);
      limbsFromBytes(b, x);
      expectReduced(x, 0, 'decoded');
      const masked = new Uint8Array(b);
      masked[31] &= 0x7f;
      expect(value(x)).toBe(mod(leToBig(masked)));
    }
  });

  it('constants are d = -121665/121666, 2d and sqrt(-1)', () => {
    const c = fieldConstants();
    expect(value(c.d.n)).toBe(D);
    expect(value(c.d2k, 13)).toBe(mod(2n * D));
    expect(value(c.sqrtM1.n)).toBe(pow(2n, (P - 1n) / 4n));
    expect(mod(value(c.sqrtM1.n) ** 2n)).toBe(P - 1n);
  });
});

// Repeated squarings (mulRK with n > 1) and the sliced exponentiations (field-pow.ts) against BigInt,
// on the pure-JS path and through an exact emulation of Espruino's E.convolve.
import { afterEach, describe, expect, it } from 'vitest';
import { newEl, type El } from '../../../shared/src/ed25519/field';
import { mulRK } from '../../../shared/src/ed25519/field-mul';
import { setFieldNatives } from '../../../shared/src/ed25519/field-natives';
import { newPowRun, powDone, powRunAll, powStart, powSteps, POW_INVERT, POW_P58 } from '../../../shared/src/ed25519/field-pow';
import { P, pow } from '../../support/ed25519-bigint';
import { elementMaker, espruinoConvolve, limbValue, REDUCED, seededRandom } from './field-limbs';

const rnd = seededRandom(777);
const element = elementMaker(rnd);
const value = limbValue;

function expectForms(e: El): void {
  for (let i = 0; i < 13; i++) {
    expect(Math.abs(e.k[13 + i])).toBeLessThanOrEqual(REDUCED);
    expect(e.k[i]).toBe(608 * e.k[13 + i]);
    expect(e.r[12 - i]).toBe(e.k[13 + i]);
  }
}

afterEach(() => setFieldNatives(null));

describe('mulRK with n: a product, then n - 1 squarings in one call', () => {
  for (const natives of [false, true]) {
    it(`equals (x·x)^(2^(n-1)) and n calls of mulRK, result in y after odd n, in x after even n (${natives ? 'emulated E.convolve' : 'pure JS'})`, () => {
      if (natives) setFieldNatives({ convolve: espruinoConvolve });
      for (let t = 0; t < 40; t++) {
        const n = 1 + (t % 7);
        const x = element(t % 4);
        const v = value(x.n);
        const y = newEl();
        // the reference: n separate products
        let a = newEl();
        a.r.set(x.r);
        a.k.set(x.k);
        for (let j = 0; j < n; j++) {
          const b = newEl();
          mulRK(b.r, b.k, a.r, a.k);
          a = b;
        }
        mulRK(y.r, y.k, x.r, x.k, n, x.r, x.k);
        const out = n % 2 === 1 ? y : x;
        expect(value(out.n)).toBe(pow(v, 2n ** BigInt(n)));
        expectForms(out);
        expect([...out.k]).toEqual([...a.k]);
        expect([...out.r]).toEqual([...a.r]);
      }
    });
  }

  it('a product of two elements first, then squarings (n = 3: (a·b)^4, in the first pair)', () => {
    for (let t = 0; t < 20; t++) {
      const a = element(t % 4), b = element(0), o = newEl(), s = newEl();
      const want = pow(value(a.n) * value(b.n), 4n);
      const before = [...a.r, ...b.k];
      mulRK(o.r, o.k, a.r, b.k, 3, s.r, s.k);
      expect(value(o.n)).toBe(want);
      expectForms(o);
      expect([...a.r, ...b.k]).toEqual(before); // the operands are only read
    }
  });
});

describe('exponentiation programs, whole and in slices', () => {
  // 250 squarings and 10 products to x^(2^250 - 1), then 2 squarings and a product, or 5 and a product
for (const [name, prog, exp, work] of [['(p-5)/8', POW_P58, (P - 5n) / 8n, 263], ['p-2', POW_INVERT, P - 2n, 266]] as const) {
    it(`x^${name} matches BigInt whole and for slice budgets 1, 2, 3, 7, 50 and 130`, () => {
      setFieldNatives({ convolve: espruinoConvolve });
      for (let t = 0; t < 4; t++) {
        const x = element(t);
        const want = pow(value(x.n), exp);
        const whole = newPowRun();
        whole.r[0].r.set(x.r);
        whole.r[0].k.set(x.k);
        expect(value(powRunAll(whole, prog).n)).toBe(want);
        for (const budget of [1, 2, 3, 7, 50, 130]) {
          const run = newPowRun();
          run.r[0].r.set(x.r);
          run.r[0].k.set(x.k);
          powStart(run, prog);
          let slices = 0;
          while (!powDone(run)) {
            const left = powSteps(run, budget);
            expect(left).toBeGreaterThanOrEqual(0);
            slices++;
          }
          expect(value(run.r[4].n), `budget ${budget}`).toBe(want);
          expectForms(run.r[4]);
          // every slice but the last spends its whole budget: squarings and products, one each
          expect(slices).toBe(Math.ceil(work / budget));
        }
      }
    });
  }
});

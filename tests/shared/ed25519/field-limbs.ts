// What the field tests share: Espruino's E.convolve emulated exactly, the value of 13 limbs of
// 20 bits, a seeded generator and reduced test elements (random, or every limb at the bound).
import { newEl, setEl, type El } from '../../../shared/src/ed25519/field';
import { mod } from '../../support/ed25519-bigint';

/** |limb| bound every product output and every product input keeps. */
export const REDUCED = 524288 + 8;
const LIMBS = 13;
const LIMB_BASE = 1048576n;

/** Espruino's E.convolve, exactly: Σ_(i < a.length) a[i]·b[(i + offset) % b.length], in a double. */
export function espruinoConvolve(a: ArrayLike<number>, b: ArrayLike<number>, offset: number): number {
  let s = 0;
  const n = b.length;
  for (let i = 0; i < a.length; i++) s += a[i] * b[(i + offset) % n];
  return s;
}

/** The field element held by 13 limbs starting at `from` (little-endian limbs), reduced mod p. */
export function limbValue(limbs: ArrayLike<number>, from = 0): bigint {
  let v = 0n;
  for (let i = LIMBS - 1; i >= 0; i--) v = v * LIMB_BASE + BigInt(limbs[from + i]);
  return mod(v);
}

/** A linear congruential generator in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 4294967296;
  };
}

/** Reduced elements drawn from rnd: kind 0 random, 1 every limb at +bound, 2 at −bound, 3 alternating. */
export function elementMaker(rnd: () => number): (kind: number) => El {
  return (kind) => {
    const limbs = new Int32Array(LIMBS);
    for (let i = 0; i < LIMBS; i++) {
      if (kind === 0) limbs[i] = Math.floor(rnd() * 2 * REDUCED) - REDUCED;
      else if (kind === 1) limbs[i] = REDUCED;
      else if (kind === 2) limbs[i] = -REDUCED;
      else limbs[i] = i % 2 ? REDUCED : -REDUCED;
    }
    const e = newEl();
    setEl(e, limbs);
    return e;
  };
}

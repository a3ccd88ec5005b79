/**
 * Edwards point arithmetic on -x² + y² = 1 + d·x²·y² for the double-scalar multiplication.
 *
 * The accumulator is in one of two states, chosen by what the next operation reads:
 * - doubling-ready: X, Y, Z (each in R and K form) — projective, T dropped;
 * - addition-ready: Y+X, Y-X, Z, T (R forms) — extended coordinates.
 * Every doubling or addition is told which state the next operation needs and writes only
 * that (T is skipped before a doubling, Y±X come straight out of the products), and the
 * additions between products are fused into the carry chains (field-mul.ts), so every
 * product input is a reduced element. Formulas: dbl-2008-hwcd and add-2008-hwcd-3 (Hisil,
 * Wong, Carter, Dawson 2008), complete on this curve (a = -1 is a square, d is not): the
 * identity and torsion points need no special case.
 *
 * A table entry is one Int32Array holding K forms of Y+X, Y-X, 2d·T and (for projective
 * entries) 2Z at offsets 0, 26, 52, 78: products read it through the convolution offset,
 * so a table costs one typed array per entry and no views.
 */
import { newEl, setEl, type El } from './field';
import { mulR, mulRK, mulSumDiffR, mulSumDiffRK } from './field-mul';
import { dblSquares } from './point-tails';

export const ENTRY_P = 0;
export const ENTRY_M = 26;
export const ENTRY_T = 52;
export const ENTRY_Z = 78;

export interface Acc {
  x: El;
  y: El;
  z: El;
  /** addition-ready state: Y+X, Y-X and T in R form (Z is z.r) */
  pr: Int32Array;
  mr: Int32Array;
  tr: Int32Array;
  // scratch: E and G in R form, F and H in K form
  e: Int32Array;
  g: Int32Array;
  f: Int32Array;
  h: Int32Array;
}

export function newAcc(): Acc {
  return {
    x: newEl(), y: newEl(), z: newEl(), pr: new Int32Array(13), mr: new Int32Array(13), tr: new Int32Array(13),
    e: new Int32Array(13), g: new Int32Array(13), f: new Int32Array(26), h: new Int32Array(26)
  };
}

export const ZERO = new Int32Array(13);
export const ONE = new Int32Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
/** K form of 2: the 2Z coordinate of an affine table entry. */
export const TWO_K = new Int32Array([1216, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** The neutral element (0, 1), doubling-ready. */
export function setIdentity(q: Acc): void {
  setEl(q.x, ZERO);
  setEl(q.y, ONE);
  setEl(q.z, ONE);
}

/** Writes X3 = E·F, Y3 = G·H, Z3 = F·G (and T3 = E·H) in the state the next step reads. */
function finish(q: Acc, nextAdd: boolean): void {
  if (nextAdd) {
    mulSumDiffR(q.pr, q.mr, q.g, q.h, q.e, q.f); // Y3 ± X3 = G·H ± E·F
    mulR(q.z.r, q.g, q.f, 1);
    mulR(q.tr, q.e, q.h, 1);
  } else {
    mulRK(q.x.r, q.x.k, q.e, q.f);
    mulRK(q.y.r, q.y.k, q.g, q.h);
    mulRK(q.z.r, q.z.k, q.g, q.f);
  }
}

/** q = 2q from the doubling-ready state: 7 product chains (8 if the next step is an addition). */
export function double(q: Acc, nextAdd: boolean): void {
  dblSquares(q.g, q.h, q.f, q.x.r, q.x.k, q.y.r, q.y.k, q.z.r, q.z.k); // G, H, F from X², Y², Z²
  mulR(q.e, q.x.r, q.y.k, 2); // E = 2XY = (X+Y)² - X² - Y²
  finish(q, nextAdd);
}

/**
 * q = q ± t from the addition-ready state (neg subtracts): 7 product chains (8 before an
 * addition). t is a table entry; its 2Z is at (zt, zo): the entry and ENTRY_Z, or TWO_K
 * and 0 for an affine entry.
 */
export function addEntry(q: Acc, t: Int32Array, neg: boolean, zt: Int32Array, zo: number, nextAdd: boolean): void {
  // E = B - A, H = B + A with A = (Y1-X1)(Y2-X2), B = (Y1+X1)(Y2+X2); -t swaps Y2+X2 and Y2-X2
  mulSumDiffRK(q.e, q.h, q.pr, t, neg ? ENTRY_M : ENTRY_P, q.mr, t, neg ? ENTRY_P : ENTRY_M, 1);
  // G = D + s·C, F = D - s·C with C = T1·2dT2, D = Z1·2Z2, s = -1 when subtracting
  mulSumDiffRK(q.g, q.f, q.z.r, zt, zo, q.tr, t, ENTRY_T, neg ? 1 : -1);
  finish(q, nextAdd);
}

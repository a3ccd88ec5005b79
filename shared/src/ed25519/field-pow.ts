/**
 * The two exponentiations of a verification, as addition-chain programs that can be run in
 * slices: x^((p-5)/8) (square root during decompression) and x^(p-2) (inversion before
 * encoding R'). Both share the classic chain to x^(2^250 - 1): 250 squarings, 10 products.
 */
import { newEl, type El } from './field';
import { mulRK } from './field-mul';

/**
 * Ops of four numbers [dst, src, n, mul]: reg[dst] = reg[src]^(2^n) · reg[mul].
 * Register 0 holds the input; squarings ping-pong between scratch registers 5 and 6, so
 * dst never aliases what a product reads (n >= 1 everywhere, dst != mul).
 * The chain to r2 = z^(2^250 - 1), then `tail`; typed, as a plain array costs an Espruino
 * variable per element.
 */
function program(tail: number[]): Uint8Array {
  return new Uint8Array([
    2, 0, 3, 0, // r2 = z^9
    1, 0, 1, 2, // r1 = z^11
    3, 1, 1, 2, // r3 = z^(2^5 - 1)
    2, 3, 5, 3, // r2 = z^(2^10 - 1)
    3, 2, 10, 2, // r3 = z^(2^20 - 1)
    4, 3, 20, 3, // r4 = z^(2^40 - 1)
    3, 4, 10, 2, // r3 = z^(2^50 - 1)
    2, 3, 50, 3, // r2 = z^(2^100 - 1)
    4, 2, 100, 2, // r4 = z^(2^200 - 1)
    2, 4, 50, 3 // r2 = z^(2^250 - 1)
  ].concat(tail));
}

/** r4 = z^(2^252 - 3) = z^((p - 5)/8) */
export const POW_P58 = program([4, 2, 2, 0]);
/** r4 = z^(2^255 - 21) = z^(p - 2) = 1/z */
export const POW_INVERT = program([4, 2, 5, 1]);

export interface PowRun {
  /** r[0] is the input, r[4] the result once done. */
  r: El[];
  prog: Uint8Array;
  pc: number;
  /** squarings left in the current op, -1 before it starts */
  left: number;
  cur: El;
  flip: number;
}

export function newPowRun(): PowRun {
  const r: El[] = [];
  for (let i = 0; i < 7; i++) r.push(newEl());
  return { r: r, prog: POW_P58, pc: 0, left: -1, cur: r[0], flip: 0 };
}

export function powStart(run: PowRun, prog: Uint8Array): void {
  run.prog = prog;
  run.pc = 0;
  run.left = -1;
}

/** Runs at most `budget` products; returns what is left of it (the run is over when pc reaches the end). */
export function powSteps(run: PowRun, budget: number): number {
  const r = run.r;
  const prog = run.prog;
  while (run.pc < prog.length) {
    if (run.left < 0) {
      run.left = prog[run.pc + 2];
      run.cur = r[prog[run.pc + 1]];
    }
    if (run.left > 0) {
      if (budget <= 0) return 0;
      // n squarings in one call (mulRK with n), ping-ponging between the scratch registers;
      // the first writes the one cur is not (cur may be a register later ops still read)
      const n = run.left < budget ? run.left : budget;
      const from = run.cur;
      const to = r[5 + run.flip]; // never cur: the scratch last written is the other one
      const other = r[6 - run.flip];
      mulRK(to.r, to.k, from.r, from.k, n, other.r, other.k);
      if (n % 2 === 1) {
        run.cur = to;
        run.flip ^= 1;
      } else {
        run.cur = other;
      }
      run.left -= n;
      budget -= n;
      if (run.left > 0) return 0;
    }
    if (budget <= 0) return 0;
    const dst = r[prog[run.pc]];
    mulRK(dst.r, dst.k, run.cur.r, r[prog[run.pc + 3]].k);
    budget--;
    run.pc += 4;
    run.left = -1;
  }
  return budget;
}

export function powDone(run: PowRun): boolean {
  return run.pc >= run.prog.length;
}

/** Unsliced convenience for cold paths: returns r[4]. */
export function powRunAll(run: PowRun, prog: Uint8Array): El {
  powStart(run, prog);
  powSteps(run, 1e9);
  return run.r[4];
}

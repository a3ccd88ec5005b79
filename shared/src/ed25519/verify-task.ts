/**
 * One strict Ed25519 verification as a sequence of bounded slices (docs/verifier.md): the lock runs
 * step() from its event loop and services the door, motor and MQTT between slices.
 *
 *   k = SHA-512(R ‖ A ‖ M) mod L,  accept iff encode([S]B - [k]A) == R byte for byte
 *
 * which is computed as: R is a canonical encoding of a curve point, and, with half-size
 * scalars c ≡ d·k (mod 8L), d odd (half-scalars.ts),
 *
 *   [e0]B + [e1](2^128·B) + [c](-A) + [d](-R) = O,   e0 + 2^128·e1 = d·S mod L.
 *
 * Multiplying the cofactorless equation [S]B - [k]A - R = O by d is a bijection on the
 * curve's cyclic group of order 8L, so the verdict is the same for every input, torsion
 * components of A and R included (docs/verifier.md, "Half-size scalars"); the shared
 * doubling chain is ~128 long instead of ~253, and no final inversion is needed.
 *
 * Phases: strict checks → decompress A (skipped when A is the key of the last table) →
 * decompress R → hash, half-size scalars and recoding → odd multiples of -A (kept for the
 * next verification with the same key) and of -R → Straus loop over four scalars (wNAF 5 for
 * A, R and 2^128·B, wNAF 6 for B, with precomputed tables for both multiples of B) → identity check. Work is
 * counted in field products (about 0.1 ms each on Espruino's Linux build with E.convolve,
 * 0.4 ms without).
 */
import { concatBytes } from '../bytes';
import { sha512 } from '../sha512';
import { BASE_WNAF, baseTable } from './base-table';
import { BASE_HI_WNAF, baseHiTable } from './base-table-hi';
import { decompressBegin, decompressEnd, newDecompression, type Decompression } from './decompress';
import { usingNativeConvolve } from './field-natives';
import { isZeroMod } from './field';
import { newPowRun, powDone, powSteps, type PowRun } from './field-pow';
import { halfScalars, type HalfScalars } from './half-scalars';
import {
  cachedKeyTable, KEY_WNAF, keyTableBegin, keyTableSteps, newKeyTable, rememberKeyTable, type KeyTable
} from './key-table';
import { addEntry, double, ENTRY_Z, newAcc, setIdentity, TWO_K, type Acc } from './point';
import { mulAddModL, reduceModL, wnaf } from './scalar';
import { isCanonicalPointEncoding, passesStrictChecks } from './strict';

export interface VerifyTask {
  /** Does a bounded slice of work; true once the verdict is known. Never throws. */
  step(): boolean;
  /** The verdict, valid once step() has returned true. */
  readonly result: boolean;
}

/** Product chains per step() with E.convolve installed: ~13 ms on Espruino's Linux build. */
export const STEP_PRODUCTS = 130;
/** The same work in pure JS costs about four times as much: shorter slices. */
export const STEP_PRODUCTS_JS = 35;
/** The largest single unit of work a step must be able to afford (a loop iteration, a hash). */
export const MIN_STEP_PRODUCTS = 32;

const stepSize = { native: STEP_PRODUCTS, js: STEP_PRODUCTS_JS };

/**
 * Sets how much work one step() does (product chains with and without natives). Smaller steps
 * keep a slow board's motor and door responsive at some cost in total time; values below
 * MIN_STEP_PRODUCTS are raised to it.
 */
export function setVerifyStepProducts(native: number, js: number): void {
  stepSize.native = Math.max(MIN_STEP_PRODUCTS, native);
  stepSize.js = Math.max(MIN_STEP_PRODUCTS, js);
}

/** Product chains one step() may do now (signing slices its work by the same measure). */
export function currentStepProducts(): number {
  return usingNativeConvolve() ? stepSize.native : stepSize.js;
}

const PH_CHECK = 0;
const PH_POW_A = 1;
const PH_DECODED = 2;
const PH_POW_R = 3;
const PH_DECODED_R = 4;
const PH_HASH = 5;
const PH_TABLE = 6;
const PH_TABLE_R = 7;
const PH_LOOP = 8;
const PH_CHECK_O = 9;
const PH_DONE = 10;

/**
 * Product chains a loop position may cost: a doubling (8) and four additions (9 each). A
 * position this expensive is rare; a slice takes a position whenever it can afford its actual
 * cost, and a fresh slice always takes one.
 */
const POSITION_MAX = 44;
/**
 * What the half-size scalars, d·S mod L and four recodings cost, in product chains: ~7–13 ms of
 * CPU on Espruino's Linux build (measured under load), about 80 products' worth.
 */
const SCALARS_COST = 80;

class Verification implements VerifyTask {
  result = false;
  private phase = PH_CHECK;
  private pow: PowRun | null = null;
  private dec: Decompression | null = null;
  private kt: KeyTable | null = null;
  private cached: Int32Array[] | null = null;
  /** Odd multiples of -A for the loop: just built, or the kept table of the same key. */
  private ta: Int32Array[] | null = null;
  /** Odd multiples of -R. */
  private tr: Int32Array[] | null = null;
  private acc: Acc | null = null;
  private ax = new Int32Array(13);
  private ay = new Int32Array(13);
  private rx = new Int32Array(13);
  private ry = new Int32Array(13);
  /** wNAF digits of c (for -A), d (for -R), e0 (for B) and e1 (for 2^128·B) */
  private na = new Int8Array(256);
  private nr = new Int8Array(256);
  private nb = new Int8Array(256);
  private nh = new Int8Array(256);
  private i = -1;

  private msg: Uint8Array;
  private sig: Uint8Array;
  private pub: Uint8Array;

  /** Copies the inputs: the verdict is about these bytes even if the caller reuses its buffers between slices. */
  constructor(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array) {
    this.msg = msg instanceof Uint8Array ? new Uint8Array(msg) : msg;
    this.sig = sig instanceof Uint8Array ? new Uint8Array(sig) : sig;
    this.pub = pub instanceof Uint8Array ? new Uint8Array(pub) : pub;
  }

  step(): boolean {
    try {
      this.run(usingNativeConvolve() ? stepSize.native : stepSize.js);
    } catch {
      this.finish(false);
    }
    return this.phase === PH_DONE;
  }

  private finish(ok: boolean): void {
    this.result = ok;
    this.phase = PH_DONE;
    this.pow = null;
    this.dec = null;
    this.kt = null;
    this.cached = null;
    this.ta = null;
    this.tr = null;
    this.acc = null;
  }

  private run(full: number): void {
    let budget = full;
    while (budget > 0 && this.phase !== PH_DONE) {
      switch (this.phase) {
        case PH_CHECK:
          // R must be a canonical encoding: encode(R') never yields any other bytes
          if (!(this.msg instanceof Uint8Array) || !passesStrictChecks(this.sig, this.pub) ||
            !isCanonicalPointEncoding(this.sig.subarray(0, 32))) return this.finish(false);
          this.pow = newPowRun();
          this.dec = newDecompression(this.pow);
          this.cached = cachedKeyTable(this.pub);
          if (this.cached) {
            this.startR();
          } else {
            decompressBegin(this.dec, this.pub);
            this.phase = PH_POW_A;
          }
          budget -= 8;
          break;
        case PH_POW_A:
        case PH_POW_R:
          budget = powSteps(this.pow!, budget);
          if (powDone(this.pow!)) this.phase++;
          break;
        case PH_DECODED:
          if (!decompressEnd(this.dec!, this.ax)) return this.finish(false);
          for (let j = 0; j < 13; j++) this.ax[j] = -this.ax[j]; // -A
          this.ay.set(this.dec!.y.n);
          this.startR();
          budget -= 14;
          break;
        case PH_DECODED_R:
          // not a curve point: no R' encodes to these bytes
          if (!decompressEnd(this.dec!, this.rx)) return this.finish(false);
          for (let j = 0; j < 13; j++) this.rx[j] = -this.rx[j]; // -R
          this.ry.set(this.dec!.y.n);
          this.dec = null;
          this.pow = null; // no inversion follows: its registers can go before the tables are built
          budget -= 6;
          this.phase = PH_HASH;
          break;
        case PH_HASH:
          // Hashing in pure JS costs ~6 ms a 128-byte block on Espruino: start it on a fresh slice.
          if (budget < full) return;
          budget = this.startTables(budget);
          break;
        case PH_TABLE:
        case PH_TABLE_R:
          if (this.kt!.next < 0) {
            if (this.phase === PH_TABLE) keyTableBegin(this.kt!, this.acc!, this.ax, this.ay);
            else keyTableBegin(this.kt!, this.acc!, this.rx, this.ry);
            budget -= 12;
          } else budget = keyTableSteps(this.kt!, this.acc!, budget);
          if (this.kt!.next >= this.kt!.tab.length) this.tableDone();
          break;
        case PH_LOOP:
          budget = this.loop(budget);
          break;
        default:
          this.checkIdentity();
          budget = 0;
      }
    }
  }

  private startR(): void {
    decompressBegin(this.dec!, this.sig.subarray(0, 32));
    this.phase = PH_POW_R;
  }

  /**
   * Hashes, finds the half-size scalars and recodes all four; the tables start on the next
   * turn. With c ≡ d·k (mod 8L): [e0]B + [e1](2^128·B) + [c](-A) + [d](-R), e = d·S mod L.
   */
  private startTables(budget: number): number {
    const r = this.sig.subarray(0, 32);
    const hashed = concatBytes([r, this.pub, this.msg]);
    const k = reduceModL(sha512(hashed));
    const h: HalfScalars = { c: new Uint8Array(32), d: new Uint8Array(32), cNeg: false };
    if (!halfScalars(k, h)) {
      h.c = k; // the unshortened equation: c = k, d = 1
      h.d[0] = 1;
    }
    const e = mulAddModL(h.d, this.sig.subarray(32, 64), new Uint8Array(32));
    const lo = new Uint8Array(32);
    const hi = new Uint8Array(32);
    lo.set(e.subarray(0, 16));
    hi.set(e.subarray(16, 32));
    const na = this.na;
    const ia = wnaf(h.c, KEY_WNAF, na);
    if (h.cNeg) for (let j = 0; j <= ia; j++) na[j] = -na[j]; // [c](-A) = [|c|](A)
    this.i = Math.max(ia, wnaf(h.d, KEY_WNAF, this.nr), wnaf(lo, BASE_WNAF, this.nb), wnaf(hi, BASE_HI_WNAF, this.nh));
    this.acc = newAcc();
    if (this.cached) {
      this.ta = this.cached;
      this.cached = null;
      this.phase = PH_TABLE_R;
    } else {
      this.phase = PH_TABLE;
    }
    this.kt = newKeyTable();
    // charge the pure-JS hash as if it ran (an installed native hash just ends the slice early)
    return budget - SCALARS_COST - 60 * Math.ceil((hashed.length + 17) / 128);
  }

  private tableDone(): void {
    const tab = this.kt!.tab;
    if (this.phase === PH_TABLE) {
      rememberKeyTable(this.pub, tab);
      this.ta = tab;
      this.kt = newKeyTable();
      this.phase = PH_TABLE_R;
      return;
    }
    this.tr = tab;
    this.kt = null;
    setIdentity(this.acc!);
    this.phase = PH_LOOP;
  }

  /** Straus: from the top digit down, double, then add the digit's multiple of -A, -R, B and 2^128·B. */
  private loop(budget: number): number {
    const q = this.acc!;
    const ta = this.ta!;
    const tr = this.tr!;
    const tb = baseTable();
    const th = baseHiTable();
    const na = this.na;
    const nr = this.nr;
    const nb = this.nb;
    const nh = this.nh;
    let i = this.i;
    let t: Int32Array;
    const full = budget;
    while (i >= 0) {
      const a = na[i];
      const r = nr[i];
      const b = nb[i];
      const h = nh[i];
      // a position costs 8 + 9 per non-zero digit; a fresh slice always takes one
      if (budget < POSITION_MAX && budget < full &&
        budget < 8 + 9 * ((a !== 0 ? 1 : 0) + (r !== 0 ? 1 : 0) + (b !== 0 ? 1 : 0) + (h !== 0 ? 1 : 0))) break;
      double(q, (a | r | b | h) !== 0);
      budget -= 8;
      if (a !== 0) {
        t = ta[(a < 0 ? -a : a) >> 1];
        addEntry(q, t, a < 0, t, ENTRY_Z, (r | b | h) !== 0);
        budget -= 9;
      }
      if (r !== 0) {
        t = tr[(r < 0 ? -r : r) >> 1];
        addEntry(q, t, r < 0, t, ENTRY_Z, (b | h) !== 0);
        budget -= 9;
      }
      if (b !== 0) {
        addEntry(q, tb[(b < 0 ? -b : b) >> 1], b < 0, TWO_K, 0, h !== 0);
        budget -= 9;
      }
      if (h !== 0) {
        addEntry(q, th[(h < 0 ? -h : h) >> 1], h < 0, TWO_K, 0, false);
        budget -= 9;
      }
      i--;
    }
    this.i = i;
    if (i < 0) this.phase = PH_CHECK_O;
    return i < 0 ? budget : 0;
  }

  /** Accepts iff the sum is the neutral element: X = 0 and Y = Z (Z is never 0). */
  private checkIdentity(): void {
    const q = this.acc!;
    const x = q.x.k.subarray(13, 26); // plain limbs: the second half of the K form
    const d = new Int32Array(13);
    for (let j = 0; j < 13; j++) d[j] = q.y.k[13 + j] - q.z.k[13 + j];
    this.finish(isZeroMod(x) && isZeroMod(d));
  }
}

/** Starts a strict verification; run it with step() or runSliced(). */
export function beginVerify(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): VerifyTask {
  return new Verification(msg, sig, pub);
}

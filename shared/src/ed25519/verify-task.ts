/**
 * One strict Ed25519 verification as a sequence of bounded slices (docs/verifier.md): the lock runs
 * step() from its event loop and services the door, motor and MQTT between slices.
 *
 *   R' = [S]B - [k]A,  k = SHA-512(R ‖ A ‖ M) mod L,  accept iff encode(R') == R byte for byte
 *
 * Phases: strict checks → decompress A (sqrt by exponentiation) → hash and recode the
 * scalars → odd multiples of -A (both skipped when A is the key of the last table) → Straus double-scalar loop (wNAF 5 for A, wNAF 6 for B with
 * a precomputed table) → invert Z → encode and compare. Work is counted in field products
 * (about 0.1 ms each on Espruino's Linux build with E.convolve, 0.4 ms without).
 */
import { concatBytes } from '../bytes';
import { sha512 } from '../sha512';
import { BASE_WNAF, baseTable } from './base-table';
import { decompressBegin, decompressEnd, newDecompression, type Decompression } from './decompress';
import { usingNativeConvolve } from './field-natives';
import { limbsToBytes, mulEl, newEl } from './field';
import { newPowRun, powDone, powStart, powSteps, POW_INVERT, type PowRun } from './field-pow';
import {
  cachedKeyTable, KEY_WNAF, keyTableBegin, keyTableSteps, newKeyTable, rememberKeyTable, type KeyTable
} from './key-table';
import { addEntry, double, ENTRY_Z, newAcc, setIdentity, TWO_K, type Acc } from './point';
import { reduceModL, wnaf } from './scalar';
import { passesStrictChecks } from './strict';

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
const PH_HASH = 3;
const PH_TABLE = 4;
const PH_LOOP = 5;
const PH_INVERT = 6;
const PH_ENCODE = 7;
const PH_DONE = 8;

/** Product chains a loop position may cost: a doubling (8) and two additions (9 each). */
const POSITION_MAX = 26;

class Verification implements VerifyTask {
  result = false;
  private phase = PH_CHECK;
  private pow: PowRun | null = null;
  private dec: Decompression | null = null;
  private kt: KeyTable | null = null;
  private cached: Int32Array[] | null = null;
  /** Odd multiples of -A for the loop: just built, or the kept table of the same key. */
  private ta: Int32Array[] | null = null;
  private acc: Acc | null = null;
  private ax = new Int32Array(13);
  private ay = new Int32Array(13);
  private na = new Int8Array(256);
  private nb = new Int8Array(256);
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
    this.acc = null;
  }

  private run(full: number): void {
    let budget = full;
    while (budget > 0 && this.phase !== PH_DONE) {
      switch (this.phase) {
        case PH_CHECK:
          if (!(this.msg instanceof Uint8Array) || !passesStrictChecks(this.sig, this.pub)) return this.finish(false);
          this.pow = newPowRun();
          this.cached = cachedKeyTable(this.pub);
          if (this.cached) {
            budget -= 2;
            this.phase = PH_HASH;
            break;
          }
          this.dec = newDecompression(this.pow);
          decompressBegin(this.dec, this.pub);
          budget -= 8;
          this.phase = PH_POW_A;
          break;
        case PH_POW_A:
          budget = powSteps(this.pow!, budget);
          if (powDone(this.pow!)) this.phase = PH_DECODED;
          break;
        case PH_DECODED:
          if (!decompressEnd(this.dec!, this.ax)) return this.finish(false);
          for (let j = 0; j < 13; j++) this.ax[j] = -this.ax[j]; // -A
          this.ay.set(this.dec!.y.n);
          this.dec = null;
          budget -= 6;
          this.phase = PH_HASH;
          break;
        case PH_HASH:
          // Hashing in pure JS costs ~6 ms a 128-byte block on Espruino: start it on a fresh slice.
          if (budget < full) return;
          budget = this.startTable(budget);
          break;
        case PH_TABLE:
          if (this.kt!.next < 0) {
            keyTableBegin(this.kt!, this.acc!, this.ax, this.ay);
            budget -= 12;
          } else budget = keyTableSteps(this.kt!, this.acc!, budget);
          if (this.kt!.next >= this.kt!.tab.length) {
            rememberKeyTable(this.pub, this.kt!.tab);
            this.startLoop(this.kt!.tab);
          }
          break;
        case PH_LOOP:
          budget = this.loop(budget);
          break;
        case PH_INVERT:
          budget = powSteps(this.pow!, budget);
          if (powDone(this.pow!)) this.phase = PH_ENCODE;
          break;
        default:
          this.encodeAndCompare();
          budget = 0;
      }
    }
  }

  /** Hashes and recodes both scalars; the table of -A starts on the next turn. */
  private startTable(budget: number): number {
    const r = this.sig.subarray(0, 32);
    const hashed = concatBytes([r, this.pub, this.msg]);
    const k = reduceModL(sha512(hashed));
    this.i = Math.max(wnaf(k, KEY_WNAF, this.na), wnaf(this.sig.subarray(32, 64), BASE_WNAF, this.nb));
    this.acc = newAcc();
    if (this.cached) {
      this.startLoop(this.cached);
    } else {
      this.kt = newKeyTable();
      this.phase = PH_TABLE;
    }
    // charge the pure-JS hash as if it ran (an installed native hash just ends the slice early)
    return budget - 12 - 60 * Math.ceil((hashed.length + 17) / 128);
  }

  private startLoop(table: Int32Array[]): void {
    this.ta = table;
    this.kt = null;
    this.cached = null;
    setIdentity(this.acc!);
    this.phase = PH_LOOP;
  }

  /** Straus: from the top digit down, double, then add ±[|a|]·(-A) and ±[|b|]·B. */
  private loop(budget: number): number {
    const q = this.acc!;
    const ta = this.ta!;
    const tb = baseTable();
    const na = this.na;
    const nb = this.nb;
    let i = this.i;
    while (i >= 0 && budget >= POSITION_MAX) {
      const a = na[i];
      const b = nb[i];
      double(q, a !== 0 || b !== 0);
      budget -= 8;
      if (a !== 0) {
        const t = ta[(a < 0 ? -a : a) >> 1];
        addEntry(q, t, a < 0, t, ENTRY_Z, b !== 0);
        budget -= 9;
      }
      if (b !== 0) {
        addEntry(q, tb[(b < 0 ? -b : b) >> 1], b < 0, TWO_K, 0, false);
        budget -= 9;
      }
      i--;
    }
    this.i = i;
    if (i < 0) {
      const pow = this.pow!;
      pow.r[0] = q.z; // the pow reads its input only through r[0]
      powStart(pow, POW_INVERT);
      this.phase = PH_INVERT;
    }
    return i < 0 ? budget : 0;
  }

  private encodeAndCompare(): void {
    const q = this.acc!;
    const zi = this.pow!.r[4];
    const x = newEl();
    const y = newEl();
    mulEl(x, q.x, zi);
    mulEl(y, q.y, zi);
    const enc = limbsToBytes(y.n);
    enc[31] |= (limbsToBytes(x.n)[0] & 1) << 7;
    let d = 0;
    for (let j = 0; j < 32; j++) d |= enc[j] ^ this.sig[j];
    this.finish(d === 0);
  }
}

/** Starts a strict verification; run it with step() or runSliced(). */
export function beginVerify(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): VerifyTask {
  return new Verification(msg, sig, pub);
}

/**
 * Ed25519 signing (RFC 8032 §5.1.6) for the lock's own key, in bounded slices like
 * verification (docs/verifier.md, "Signing"): the lock signs its receipts from its event loop
 * and services the door, motor and MQTT between slices.
 *
 *   r = SHA-512(prefix ‖ M) mod L,  R = [r]B,  k = SHA-512(R ‖ A ‖ M) mod L,  S = (r + k·a) mod L
 *
 * Everything is the verifier's own arithmetic: the fixed-base half of its double-scalar loop
 * (wNAF 6 over the same precomputed table of B), its inversion program, its encoding, SHA-512
 * and the scalar code mod L. Key generation is the same fixed-base multiplication, [a]B.
 * A signature is deterministic, so tests compare it byte for byte with tweetnacl.
 */
import { concatBytes, copyBytes } from '../bytes';
import { sha512 } from '../sha512';
import { BASE_WNAF, baseTable } from './base-table';
import { limbsToBytes, mulEl, newEl } from './field';
import { newPowRun, powDone, powStart, powSteps, POW_INVERT, type PowRun } from './field-pow';
import { addEntry, double, newAcc, setIdentity, TWO_K, type Acc } from './point';
import { mulAddModL, reduceModL, wnaf } from './scalar';
import { currentStepProducts } from './verify-task';

export const SEED_LENGTH = 32;

/** The lock's secret as signing needs it: a = clamp(H(seed)[0..32]) mod L, the nonce prefix, and A = [a]B. */
export interface SigningKey {
  scalar: Uint8Array;
  prefix: Uint8Array;
  publicKey: Uint8Array;
}

/** Steps like a VerifyTask; `result` is true once the output is ready (false only on bad input). */
export interface SignTask {
  step(): boolean;
  readonly result: boolean;
  /** The 64-byte signature (beginSign) or 32-byte public key (beginPublicKey), once done. */
  readonly output: Uint8Array | null;
}

/** The secret scalar (reduced mod L: [a]B and r + k·a mod L do not change) and the nonce prefix of a seed. */
export function expandSeed(seed: Uint8Array): { scalar: Uint8Array; prefix: Uint8Array } {
  const h = sha512(seed);
  const a = copyBytes(h, 0, 32);
  a[0] &= 248;
  a[31] &= 127;
  a[31] |= 64;
  return { scalar: reduceModL(a), prefix: copyBytes(h, 32, 64) };
}

function isBytes32(b: unknown): boolean {
  return b instanceof Uint8Array && b.length === 32;
}

/** 32 bytes below 2^253, what wnaf() accepts (every value reduced mod L is). */
function isScalar(s: unknown): s is Uint8Array {
  return isBytes32(s) && (s as Uint8Array)[31] < 32;
}

/** Product chains a loop position may cost: a doubling (8) and an addition (9). */
const POSITION_MAX = 17;
/** What hashing costs a slice in pure JS, per 128-byte block (as the verifier charges it). */
const HASH_BLOCK = 60;

const PH_START = 0;
const PH_LOOP = 1;
const PH_INVERT = 2;
const PH_ENCODE = 3;
const PH_FINISH = 4;
const PH_DONE = 5;

class FixedBaseTask implements SignTask {
  result = false;
  output: Uint8Array | null = null;
  private phase = PH_START;
  private acc: Acc | null = null;
  private pow: PowRun | null = null;
  private digits = new Int8Array(256);
  private i = -1;
  private r: Uint8Array | null = null;
  private encoded: Uint8Array | null = null;
  private scalar: Uint8Array | null;
  private key: SigningKey | null;
  private msg: Uint8Array | null;

  /** With `key` and `msg` this signs; with a scalar alone it computes the public key [scalar]B. */
  constructor(scalar: Uint8Array | null, key: SigningKey | null, msg: Uint8Array | null) {
    this.scalar = scalar;
    this.key = key;
    this.msg = msg;
  }

  step(): boolean {
    try {
      this.run(currentStepProducts());
    } catch {
      this.finish(null);
    }
    return this.phase === PH_DONE;
  }

  private finish(out: Uint8Array | null): void {
    this.output = out;
    this.result = out !== null;
    this.phase = PH_DONE;
    this.acc = null;
    this.pow = null;
    this.r = null;
  }

  private run(full: number): void {
    let budget = full;
    while (budget > 0 && this.phase !== PH_DONE) {
      switch (this.phase) {
        case PH_START:
          budget = this.start(budget);
          break;
        case PH_LOOP:
          budget = this.loop(budget);
          break;
        case PH_INVERT:
          budget = powSteps(this.pow!, budget);
          if (powDone(this.pow!)) this.phase = PH_ENCODE;
          break;
        case PH_ENCODE:
          this.encode();
          budget -= 4;
          break;
        default:
          // The second hash starts on a fresh slice, like the verifier's.
          if (budget < full) return;
          this.sign();
          budget = 0;
      }
    }
  }

  /** Recodes the scalar (hashing the nonce first when signing). */
  private start(budget: number): number {
    let s = this.scalar;
    let cost = 4;
    if (this.key) {
      if (!(this.msg instanceof Uint8Array) || !isScalar(this.key.scalar) || !isBytes32(this.key.prefix) || !isBytes32(this.key.publicKey)) {
        this.finish(null);
        return 0;
      }
      const input = concatBytes([this.key.prefix, this.msg]);
      s = this.r = reduceModL(sha512(input));
      cost += HASH_BLOCK * Math.ceil((input.length + 17) / 128);
    }
    if (!isScalar(s)) {
      this.finish(null); // not a reduced scalar
      return 0;
    }
    this.i = wnaf(s, BASE_WNAF, this.digits);
    this.acc = newAcc();
    setIdentity(this.acc);
    this.pow = newPowRun();
    this.phase = PH_LOOP;
    return budget - cost;
  }

  /** From the top digit down: double, then add ±[|b|]·B from the verifier's table. */
  private loop(budget: number): number {
    const q = this.acc!;
    const tb = baseTable();
    const nb = this.digits;
    let i = this.i;
    while (i >= 0 && budget >= POSITION_MAX) {
      const b = nb[i];
      double(q, b !== 0);
      budget -= 8;
      if (b !== 0) {
        addEntry(q, tb[(b < 0 ? -b : b) >> 1], b < 0, TWO_K, 0, false);
        budget -= 9;
      }
      i--;
    }
    this.i = i;
    if (i >= 0) return 0;
    const pow = this.pow!;
    pow.r[0] = q.z; // the pow reads its input only through r[0]
    powStart(pow, POW_INVERT);
    this.phase = PH_INVERT;
    return budget;
  }

  private encode(): void {
    const q = this.acc!;
    const zi = this.pow!.r[4];
    const x = newEl();
    const y = newEl();
    mulEl(x, q.x, zi);
    mulEl(y, q.y, zi);
    const enc = limbsToBytes(y.n);
    enc[31] |= (limbsToBytes(x.n)[0] & 1) << 7;
    if (!this.key) {
      this.finish(enc);
      return;
    }
    this.encoded = enc;
    this.phase = PH_FINISH;
  }

  /** k = SHA-512(R ‖ A ‖ M) mod L, S = r + k·a mod L. */
  private sign(): void {
    const key = this.key!;
    const rEnc = this.encoded!;
    const k = reduceModL(sha512(concatBytes([rEnc, key.publicKey, this.msg!])));
    this.finish(concatBytes([rEnc, mulAddModL(k, key.scalar, this.r!)]));
  }
}

/** Starts computing the public key of a 32-byte seed ([a]B, encoded); run with step() or runSliced(). */
export function beginPublicKey(seed: Uint8Array): SignTask {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH) return new FixedBaseTask(null, null, null);
  return new FixedBaseTask(expandSeed(seed).scalar, null, null);
}

/** Starts signing `msg` (copied) with the lock's key; run with step() or runSliced(). */
export function beginSign(msg: Uint8Array, key: SigningKey): SignTask {
  return new FixedBaseTask(null, key, msg instanceof Uint8Array ? new Uint8Array(msg) : msg);
}

/** The signing key of a seed whose public key is already known (computed once, stored with the seed). */
export function signingKey(seed: Uint8Array, publicKey: Uint8Array): SigningKey {
  const e = expandSeed(seed);
  return { scalar: e.scalar, prefix: e.prefix, publicKey: publicKey };
}

/** One-shot signing (tests, tools): runs every slice back to back. */
export function signNow(msg: Uint8Array, key: SigningKey): Uint8Array | null {
  const t = beginSign(msg, key);
  while (!t.step()) {
    // bounded slices, back to back
  }
  return t.output;
}

/** One-shot public key of a seed. */
export function publicKeyNow(seed: Uint8Array): Uint8Array | null {
  const t = beginPublicKey(seed);
  while (!t.step()) {
    // bounded slices, back to back
  }
  return t.output;
}

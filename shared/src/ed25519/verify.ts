/**
 * The lock's Ed25519 verifier: one-shot verifyStrict, the Verifier contract object, the
 * cooperative driver runSliced, and the on-curve check used when provisioning keys.
 */
import { decompressNow } from './decompress';
import { isCanonicalPointEncoding } from './strict';
import type { Verifier } from './verifier';
import { beginVerify, type VerifyTask } from './verify-task';

/** Strict cofactorless verification (docs/verifier.md); false for anything malformed. */
export function verifyStrict(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): boolean {
  const task = beginVerify(msg, sig, pub);
  while (!task.step()) {
    // each step is a bounded slice; run them back to back
  }
  return task.result;
}

export const fastVerifier: Verifier = {
  name: 'keyway-fast',
  verify: verifyStrict
};

export interface SliceOptions {
  /** Milliseconds from any monotonic clock. */
  now(): number;
  /** Runs fn later, after pending events (the firmware passes setTimeout(fn, 0)). */
  defer(fn: () => void): void;
  /** Run steps for about this long before deferring (a step itself is at most ~15-20 ms). */
  budgetMs: number;
}

/**
 * Drives a task to the end: steps until budgetMs has elapsed, then defers the rest. The first
 * slice runs synchronously; done is called exactly once, possibly from the first slice.
 */
export function runSliced(task: VerifyTask, options: SliceOptions, done: (ok: boolean) => void): void {
  function slice(): void {
    const start = options.now();
    while (!task.step()) {
      if (options.now() - start >= options.budgetMs) {
        options.defer(slice);
        return;
      }
    }
    done(task.result);
  }
  slice();
}

/**
 * True when `pub` is the canonical encoding of a point on the curve (y < p, x recoverable,
 * no "negative zero"). Provisioning also applies isAcceptablePublicKey (no small order).
 */
export function decodePointValid(pub: Uint8Array): boolean {
  try {
    if (!(pub instanceof Uint8Array) || !isCanonicalPointEncoding(pub)) return false;
    return decompressNow(pub, new Int32Array(13), new Int32Array(13));
  } catch {
    return false;
  }
}

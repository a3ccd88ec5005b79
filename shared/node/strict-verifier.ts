/**
 * Strict Ed25519 verification with node:crypto (OpenSSL), for the relay: the same verdicts as
 * the lock's portable verifier (docs/verifier.md#strictness) at a fraction of its cost.
 *
 * OpenSSL already checks S < L and compares the recomputed R with the received R byte for byte
 * (so a non-canonical R fails), and it refuses a key that does not decompress. It takes any
 * other curve point as the key or as R, though: small-order keys, the identity written
 * non-canonically, a small-order R. The shared strictness rules (`passesStrictChecks`: exact
 * lengths, S < L, canonical A, neither A nor R of small order) run first, so together the two
 * refuse everything the portable verifier refuses.
 *
 * Building a KeyObject from the key bytes costs about as much as a verification, so the
 * objects are kept per key, a bounded number of them (a relay sees one key per lock).
 */
import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import { passesStrictChecks } from '../src/ed25519/strict';
import type { Verifier } from '../src/ed25519/verifier';
import { publicKeyObject } from './signer';

/** Key objects a strict verifier keeps unless told otherwise: one per lock of a large site. */
export const DEFAULT_KEY_CACHE_SIZE = 4096;

export interface StrictNodeVerifier extends Verifier {
  /** Key objects held now (tests and diagnostics). */
  readonly cachedKeys: number;
}

/**
 * A strict verifier over node:crypto that keeps at most `maxKeys` key objects, dropping the
 * least recently used one beyond that. Never throws: anything odd is `false`.
 */
export function strictNodeVerifier(maxKeys = DEFAULT_KEY_CACHE_SIZE): StrictNodeVerifier {
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new Error('KEY_CACHE_SIZE: at least one key object must be kept');
  const keys = new Map<string, KeyObject>();

  function keyObject(pub: Uint8Array): KeyObject {
    const hex = Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString('hex');
    let k = keys.get(hex);
    if (k) {
      // Most recently used last: Map keeps insertion order.
      keys.delete(hex);
      keys.set(hex, k);
      return k;
    }
    k = publicKeyObject(pub);
    if (keys.size >= maxKeys) keys.delete(keys.keys().next().value as string);
    keys.set(hex, k);
    return k;
  }

  return {
    name: 'node:crypto behind the strict checks',
    get cachedKeys() {
      return keys.size;
    },
    verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
      try {
        if (!(message instanceof Uint8Array) || !passesStrictChecks(signature, publicKey)) return false;
        return nodeVerify(null, message, keyObject(publicKey), signature);
      } catch {
        return false;
      }
    }
  };
}

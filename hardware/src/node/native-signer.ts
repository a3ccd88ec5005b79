/**
 * The simulator's native Ed25519 signer for a lock's own key (Natives.ed25519Sign): node:crypto
 * (OpenSSL), the same bytes as the firmware's sliced pure-JS signer, for benches whose many
 * simulated locks should spend their CPU on the firmware's logic rather than on field arithmetic.
 * A lock has one key, so one key object per signer is kept; a seed whose public key is not the
 * one given throws (the lock then signs nothing).
 */
import { sign as nodeSign, type KeyObject } from 'node:crypto';
import { privateKeyFromSeed, publicKeyFromSeed } from '@keyway/shared/node';

export function nodeEd25519Signer(): (msg: Uint8Array, seed: Uint8Array, pub: Uint8Array) => Uint8Array {
  let seedHex = '';
  let key: KeyObject | null = null;
  let pubHex = '';
  return (msg, seed, pub) => {
    const hex = Buffer.from(seed).toString('hex');
    if (!key || hex !== seedHex) {
      key = privateKeyFromSeed(seed);
      seedHex = hex;
      pubHex = Buffer.from(publicKeyFromSeed(seed)).toString('hex');
    }
    if (Buffer.from(pub).toString('hex') !== pubHex) throw new Error('LOCK_KEY_MISMATCH: the public key is not the seed\'s');
    return new Uint8Array(nodeSign(null, msg, key));
  };
}

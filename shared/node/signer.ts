/**
 * Relay-side Ed25519 signing with node:crypto (OpenSSL; docs/product.md#performance-targets). Keys are 32-byte
 * seeds; the key id is derived from the public key (docs/protocol.md §3.1).
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { keyIdOf } from '../src/protocol/hashes';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface Signer {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error('KEY_SEED_LENGTH: an Ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
}

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKeyFromSeed(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

export function publicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error('KEY_LENGTH: an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(raw)]), format: 'der', type: 'spki' });
}

export function signerFromSeed(seed: Uint8Array): Signer {
  const key = privateKeyFromSeed(seed);
  const publicKey = publicKeyFromSeed(seed);
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    sign(message: Uint8Array): Uint8Array {
      return new Uint8Array(nodeSign(null, message, key));
    }
  };
}

export function newSeed(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/** OpenSSL's verification: the reference the lock's verifier is cross-checked against. */
export function nodeVerifyEd25519(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

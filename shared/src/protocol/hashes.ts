/**
 * The protocol's hash constructions (docs/protocol.md §4–§6). All are the first 32
 * bytes of SHA-512 over a domain-separation tag and fixed-length fields.
 */
import { asciiBytes, concatBytes, copyBytes, utf8Encode } from '../bytes';
import { sha512 } from '../sha512';
import { codedError } from '../bytes';
import { GRANT_FINGERPRINT_LENGTH, HASH_LENGTH, MAX_BARCODE_LENGTH, TAG_BARCODE, TAG_CHAIN, TAG_GRANT_FINGERPRINT, TAG_KEY_ID } from './constants';

function u32Bytes(v: number): Uint8Array {
  return new Uint8Array([Math.floor(v / 0x1000000) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
}

export function hash32(bytes: Uint8Array): Uint8Array {
  return copyBytes(sha512(bytes), 0, HASH_LENGTH);
}

/**
 * A staged grant's fingerprint in the lock's status inventory: the first 4 bytes of
 * SHA-512(tag ‖ the GRANT_PUT payload exactly as signed). The relay compares it with the
 * payload it last sent, so it knows whether the lock holds that version of the grant.
 */
export function grantFingerprint(payload: Uint8Array): Uint8Array {
  return copyBytes(sha512(concatBytes([asciiBytes(TAG_GRANT_FINGERPRINT), payload])), 0, GRANT_FINGERPRINT_LENGTH);
}

/** Hash of an event's exact encoding: the next event's prevHash. */
export function eventHash(encodedEvent: Uint8Array): Uint8Array {
  return hash32(encodedEvent);
}

/**
 * One step of a grant's hash chain: step(x) = H(tag ‖ deviceId ‖ grantId ‖ x). Binding the
 * device and grant means a value from one chain is worthless on any other lock or grant.
 */
export function chainStep(deviceId: Uint8Array, grantId: number, value: Uint8Array): Uint8Array {
  if (value.length !== HASH_LENGTH) throw codedError('BAD_VALUE', 'chain value must be 32 bytes');
  return hash32(concatBytes([asciiBytes(TAG_CHAIN), deviceId, u32Bytes(grantId), value]));
}

/**
 * Builds a chain from a 32-byte random seed: values[0] = seed, values[i] = step(values[i-1]).
 * The grant commits to values[n] (the tip); the i-th entry reveals values[n - i].
 */
export function buildHashChain(seed: Uint8Array, deviceId: Uint8Array, grantId: number, links: number): Uint8Array[] {
  if (links < 1 || links > 0xffff) throw codedError('BAD_VALUE', 'chain length out of range');
  const values = [copyBytes(seed)];
  for (let i = 1; i <= links; i++) values.push(chainStep(deviceId, grantId, values[i - 1]));
  return values;
}

/** Barcodes are compared after trimming surrounding white space; case is kept. */
export function normalizeBarcode(code: string): string {
  return code.trim();
}

/** Commitment a parcel grant stores for a tracking number: the lock never holds the number itself. */
export function barcodeCommitment(deviceId: Uint8Array, barcode: string): Uint8Array {
  const b = utf8Encode(normalizeBarcode(barcode));
  if (b.length === 0 || b.length > MAX_BARCODE_LENGTH) throw codedError('BAD_VALUE', 'barcode must be 1..' + MAX_BARCODE_LENGTH + ' bytes');
  return hash32(concatBytes([asciiBytes(TAG_BARCODE), deviceId, new Uint8Array([b.length]), b]));
}

/** Key id of a relay signing key: first four bytes of H(tag ‖ public key), big-endian. */
export function keyIdOf(publicKey: Uint8Array): number {
  const h = sha512(concatBytes([asciiBytes(TAG_KEY_ID), publicKey]));
  return h[0] * 0x1000000 + ((h[1] << 16) | (h[2] << 8) | h[3]);
}

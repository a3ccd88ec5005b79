/**
 * Lock-signed receipt (docs/protocol.md §6.2): after an entry, once the door is closed and the
 * bolt thrown, the lock signs a checkpoint of its own log with its own key. It names the log
 * head (the STATE event that shows the door closed and the bolt locked), the entry's OPERATION
 * event and the CAMERA event before it, each by sequence and hash, so the receipt and the event
 * chain prove together what happened without the relay or its database.
 */
import { codedError, concatBytes, copyBytes } from '../bytes';
import { expectEnd, readBytes, reader } from '../codec';
import { type Infer, fixedBytes, message, ranged, readHeader, struct, u32, u8 } from '../schema';
import { asciiBytes } from '../bytes';
import { DEVICE_ID_LENGTH, HASH_LENGTH, PROTOCOL_VERSION, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, TAG_RECEIPT } from './constants';

export const receiptBody = struct([
  ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
  ['lockKey', fixedBytes(PUBLIC_KEY_LENGTH)],
  ['seq', ranged(u32, 1, 0xffffffff)],
  ['head', fixedBytes(HASH_LENGTH)],
  ['time', u32],
  ['bolt', ranged(u8, 0, 6)],
  ['door', ranged(u8, 0, 2)],
  ['grantId', u32],
  ['entrySeq', ranged(u32, 1, 0xffffffff)],
  ['entryHash', fixedBytes(HASH_LENGTH)],
  ['cameraSeq', u32],
  ['cameraHash', fixedBytes(HASH_LENGTH)]
] as const, function (v) {
  if (v.entrySeq >= v.seq || v.cameraSeq >= v.entrySeq) throw codedError('BAD_FORMAT', 'receipt events out of order');
});

export type ReceiptFields = Infer<typeof receiptBody.fields>;

export interface SignedReceipt extends ReceiptFields {
  /** The exact bytes the signature covers. */
  signed: Uint8Array;
  signature: Uint8Array;
}

const receiptCodec = message(TAG_RECEIPT, PROTOCOL_VERSION, receiptBody);

/** The bytes the lock signs. */
export function encodeReceiptBody(fields: ReceiptFields): Uint8Array {
  return receiptCodec.encode(fields);
}

export function attachReceiptSignature(body: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_LENGTH) throw codedError('BAD_VALUE', 'signature must be 64 bytes');
  return concatBytes([body, signature]);
}

/** True when the bytes start with the receipt tag (the relay tells receipts from events on the event topic by it). */
export function isReceipt(bytes: Uint8Array): boolean {
  const tag = asciiBytes(TAG_RECEIPT);
  if (bytes.length < tag.length) return false;
  for (let i = 0; i < tag.length; i++) if (bytes[i] !== tag[i]) return false;
  return true;
}

/** Parses a signed receipt; throws BAD_TAG / BAD_VERSION / BAD_LENGTH / BAD_FORMAT. */
export function decodeReceipt(bytes: Uint8Array): SignedReceipt {
  const r = reader(bytes);
  readHeader(r, asciiBytes(TAG_RECEIPT), PROTOCOL_VERSION);
  const f = receiptBody.read(r);
  const signedLength = r.pos;
  const signature = readBytes(r, SIGNATURE_LENGTH);
  expectEnd(r);
  return {
    deviceId: f.deviceId, lockKey: f.lockKey, seq: f.seq, head: f.head, time: f.time, bolt: f.bolt, door: f.door, grantId: f.grantId,
    entrySeq: f.entrySeq, entryHash: f.entryHash, cameraSeq: f.cameraSeq, cameraHash: f.cameraHash,
    signed: copyBytes(bytes, 0, signedLength), signature: copyBytes(signature)
  };
}

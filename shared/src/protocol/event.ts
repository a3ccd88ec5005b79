/**
 * Lock event (docs/protocol.md §6): one record of the lock's hash-chained log.
 * Each event carries the hash of the previous event's exact bytes, so the relay
 * detects a deleted, inserted or reordered record.
 */
import { type Infer, fixedBytes, message, ranged, struct, u16, u32, u8, varBytes } from '../schema';
import { DEVICE_ID_LENGTH, HASH_LENGTH, MAX_EVENT_DATA, PROTOCOL_VERSION, TAG_EVENT, TAG_LENGTH } from './constants';

export const eventBody = struct([
  ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
  ['seq', ranged(u32, 1, 0xffffffff)],
  ['time', u32],
  ['type', ranged(u8, 1, 8)],
  ['code', u16],
  ['ref', u32],
  ['actorKind', u8],
  ['actorRef', u32],
  ['prevHash', fixedBytes(HASH_LENGTH)],
  ['data', varBytes(MAX_EVENT_DATA)]
] as const);

export type LockEvent = Infer<typeof eventBody.fields>;

export const eventCodec = message(TAG_EVENT, PROTOCOL_VERSION, eventBody);

export function encodeEvent(e: LockEvent): Uint8Array {
  return eventCodec.encode(e);
}

export function decodeEvent(bytes: Uint8Array): LockEvent {
  return eventCodec.decode(bytes);
}

/** Where `time` sits in an event's bytes: after the tag, the version byte, the device id and `seq` (u32). */
export const EVENT_TIME_OFFSET = TAG_LENGTH + 1 + DEVICE_ID_LENGTH + 4;

/** Where `seq` sits in an event's bytes: after the tag, the version byte and the device id. */
export const EVENT_SEQ_OFFSET = TAG_LENGTH + 1 + DEVICE_ID_LENGTH;

/** The `seq` of an event's bytes without decoding the rest (0 when too short): for traces. */
export function eventSeqOf(bytes: Uint8Array): number {
  const o = EVENT_SEQ_OFFSET;
  return bytes.length < o + 4 ? 0 : ((bytes[o] << 24) >>> 0) + (bytes[o + 1] << 16) + (bytes[o + 2] << 8) + bytes[o + 3];
}

/** The `time` of an event's bytes without decoding the rest (the lock's boot scan of its log). */
export function eventTimeOf(bytes: Uint8Array): number {
  const o = EVENT_TIME_OFFSET;
  return bytes.length < o + 4 ? 0 : ((bytes[o] << 24) >>> 0) + (bytes[o + 1] << 16) + (bytes[o + 2] << 8) + bytes[o + 3];
}

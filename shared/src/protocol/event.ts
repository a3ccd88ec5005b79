/**
 * Lock event (docs/protocol.md §6): one record of the lock's hash-chained log.
 * Each event carries the hash of the previous event's exact bytes, so the relay
 * detects a deleted, inserted or reordered record.
 */
import { type Infer, fixedBytes, message, ranged, struct, u16, u32, u8, varBytes } from '../schema';
import { DEVICE_ID_LENGTH, HASH_LENGTH, MAX_EVENT_DATA, PROTOCOL_VERSION, TAG_EVENT } from './constants';

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

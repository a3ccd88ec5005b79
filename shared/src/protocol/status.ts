/**
 * Lock status (docs/protocol.md §7): published retained on the state topic at connect
 * and on every change; carries the current challenge nonce the relay binds
 * time-setting commands to, and the inventory of keys and grants it holds. The offline marker
 * is the MQTT last will.
 */
import { type Infer, fixedBytes, listOf, message, ranged, struct, u16, u32, u8, varBytes } from '../schema';
import {
  DEVICE_ID_LENGTH, GRANT_FINGERPRINT_LENGTH, HASH_LENGTH, MAX_FIRMWARE_VERSION, MAX_STATUS_GRANTS, MAX_STATUS_KEYS, NONCE_LENGTH,
  PROTOCOL_VERSION, TAG_OFFLINE, TAG_STATUS
} from './constants';

/** One staged grant in the status inventory: its id and the fingerprint of its payload. */
export const heldGrant = struct([
  ['grantId', u32],
  ['fingerprint', fixedBytes(GRANT_FINGERPRINT_LENGTH)]
] as const);

export type HeldGrant = Infer<typeof heldGrant.fields>;

export const statusBody = struct([
  ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
  ['bolt', ranged(u8, 0, 6)],
  ['door', ranged(u8, 0, 2)],
  ['flags', u8],
  ['time', u32],
  ['nonce', fixedBytes(NONCE_LENGTH)],
  ['replayHigh', u32],
  ['logSeq', u32],
  ['logHead', fixedBytes(HASH_LENGTH)],
  ['battery', u16],
  ['grants', u8],
  ['firmware', varBytes(MAX_FIRMWARE_VERSION)],
  // The inventory: what the lock actually holds, so the relay can converge on it (docs/sync.md).
  ['keyIds', listOf(u32, MAX_STATUS_KEYS)],
  ['held', listOf(heldGrant, MAX_STATUS_GRANTS)],
  // The settings revision the lock holds (0: never configured, shipped defaults).
  ['settingsRev', u32]
] as const);

export type LockStatus = Infer<typeof statusBody.fields>;

export const statusCodec = message(TAG_STATUS, PROTOCOL_VERSION, statusBody);

export const offlineBody = struct([
  ['deviceId', fixedBytes(DEVICE_ID_LENGTH)]
] as const);

export type OfflineMarker = Infer<typeof offlineBody.fields>;

export const offlineCodec = message(TAG_OFFLINE, PROTOCOL_VERSION, offlineBody);

export function encodeStatus(s: LockStatus): Uint8Array {
  return statusCodec.encode(s);
}

export function decodeStatus(bytes: Uint8Array): LockStatus {
  return statusCodec.decode(bytes);
}

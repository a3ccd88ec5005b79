/**
 * At-door reveal (docs/protocol.md §5): opens the door on a staged, already verified
 * grant by disclosing the next hash-chain value. Not signed: its authority is the
 * commitment inside the signed grant; a revealed value is spent on first use.
 */
import { type Infer, fixedBytes, message, ranged, struct, u32 } from '../schema';
import { DEVICE_ID_LENGTH, HASH_LENGTH, PROTOCOL_VERSION, TAG_REVEAL } from './constants';

export const revealBody = struct([
  ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
  ['grantId', ranged(u32, 1, 0xffffffff)],
  ['value', fixedBytes(HASH_LENGTH)]
] as const);

export type Reveal = Infer<typeof revealBody.fields>;

export const revealCodec = message(TAG_REVEAL, PROTOCOL_VERSION, revealBody);

export function encodeReveal(r: Reveal): Uint8Array {
  return revealCodec.encode(r);
}

export function decodeReveal(bytes: Uint8Array): Reveal {
  return revealCodec.decode(bytes);
}

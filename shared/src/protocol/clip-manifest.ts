/**
 * A camera clip's manifest (docs/protocol.md §6.1): the bytes whose SHA-256 is the clip hash
 * the camera hands the lock and the lock writes into its CAMERA event.
 *
 *   tag "KWY-CLP\0" (8) ‖ deviceId (8) ‖ capture number (u32 BE) ‖ frame count (u8) ‖
 *   SHA-256 of each frame's exact file bytes (32 each, in capture order)
 *
 * The capture number is the one the lock named in its trigger, so a clip belongs to one
 * CAMERA event of one lock. Portable: hashing is the caller's (node:crypto in the relay
 * and the camera node; the lock only carries the 32 bytes it is given).
 */
import { asciiBytes, codedError, concatBytes } from '../bytes';
import { CLIP_HASH_LENGTH, DEVICE_ID_LENGTH, MAX_CLIP_FRAMES, TAG_CLIP } from './constants';

export function encodeClipManifest(deviceId: Uint8Array, capture: number, frameHashes: Uint8Array[]): Uint8Array {
  if (deviceId.length !== DEVICE_ID_LENGTH) throw codedError('BAD_LENGTH', 'device id must be 8 bytes');
  if (capture !== Math.floor(capture) || capture < 0 || capture > 0xffffffff) throw codedError('BAD_VALUE', 'capture number must be a u32');
  if (frameHashes.length < 1 || frameHashes.length > MAX_CLIP_FRAMES) throw codedError('BAD_LENGTH', 'a clip has 1..' + MAX_CLIP_FRAMES + ' frames');
  const head = new Uint8Array([
    Math.floor(capture / 0x1000000) & 0xff, (capture >> 16) & 0xff, (capture >> 8) & 0xff, capture & 0xff, frameHashes.length
  ]);
  const parts = [asciiBytes(TAG_CLIP), deviceId, head];
  for (let i = 0; i < frameHashes.length; i++) {
    if (frameHashes[i].length !== CLIP_HASH_LENGTH) throw codedError('BAD_LENGTH', 'a frame hash must be 32 bytes');
    parts.push(frameHashes[i]);
  }
  return concatBytes(parts);
}

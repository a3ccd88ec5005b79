/** The clip hash over a manifest (docs/protocol.md §6.1), with node:crypto's SHA-256. */
import { createHash } from 'node:crypto';
import { encodeClipManifest } from '../src/protocol/clip-manifest';

export function frameHash(frame: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(frame).digest());
}

export function clipManifest(deviceId: Uint8Array, capture: number, frames: Uint8Array[]): Uint8Array {
  return encodeClipManifest(deviceId, capture, frames.map(frameHash));
}

export function clipHash(deviceId: Uint8Array, capture: number, frames: Uint8Array[]): Uint8Array {
  return new Uint8Array(createHash('sha256').update(clipManifest(deviceId, capture, frames)).digest());
}

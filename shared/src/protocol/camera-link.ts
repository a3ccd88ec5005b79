/**
 * The line protocol on the wire between the lock and its camera (docs/protocol.md §6.1),
 * beside the trigger and acknowledge pins: the lock names the capture, the camera answers
 * with the clip hash once its frames are taken. ASCII lines ending in CR LF.
 *
 *   lock → camera   CAPTURE <n>
 *   camera → lock   CLIP <n> <64 lowercase hex>
 */
import { fromHex } from '../bytes';
import { CLIP_HASH_LENGTH } from './constants';

export const CAMERA_CAPTURE = 'CAPTURE';
export const CAMERA_CLIP = 'CLIP';

export function captureLine(capture: number): string {
  return CAMERA_CAPTURE + ' ' + capture + '\r\n';
}

export function clipLine(capture: number, hashHex: string): string {
  return CAMERA_CLIP + ' ' + capture + ' ' + hashHex + '\r\n';
}

const MAX_DIGITS = 10;

function allIn(s: string, lo: number, hi: number, lo2: number, hi2: number): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= lo && c <= hi) || (c >= lo2 && c <= hi2))) return false;
  }
  return s.length > 0;
}

function parseNumber(s: string): number {
  if (s.length > MAX_DIGITS || !allIn(s, 48, 57, 48, 57)) return -1;
  const n = parseInt(s, 10);
  return n > 0xffffffff ? -1 : n;
}

/** The line's space-separated words with trailing CR, LF and spaces removed. */
function words(line: string): string[] {
  let end = line.length;
  while (end > 0 && (line.charAt(end - 1) === '\r' || line.charAt(end - 1) === '\n' || line.charAt(end - 1) === ' ')) end--;
  return line.substring(0, end).split(' ');
}

/** The capture a CAPTURE line names, or -1 for anything else. */
export function parseCaptureLine(line: string): number {
  const parts = words(line);
  return parts.length === 2 && parts[0] === CAMERA_CAPTURE ? parseNumber(parts[1]) : -1;
}

/** A CLIP line's capture number and hash, or null for anything else (wrong length, upper case, junk). */
export function parseClipLine(line: string): { capture: number; hash: Uint8Array } | null {
  const parts = words(line);
  if (parts.length !== 3 || parts[0] !== CAMERA_CLIP) return null;
  const capture = parseNumber(parts[1]);
  if (capture < 0 || !allIn(parts[2], 48, 57, 97, 102) || parts[2].length !== CLIP_HASH_LENGTH * 2) return null;
  return { capture: capture, hash: fromHex(parts[2]) };
}

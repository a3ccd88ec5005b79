/** Which message an incoming frame is, from its leading tag (before any decoding). */
import { asciiBytes } from '../bytes';
import { TAG_COMMAND, TAG_EVENT, TAG_OFFLINE, TAG_REVEAL, TAG_STATUS, TAG_LENGTH } from './constants';

export const KIND_UNKNOWN = 0;
export const KIND_COMMAND = 1;
export const KIND_REVEAL = 2;
export const KIND_EVENT = 3;
export const KIND_STATUS = 4;
export const KIND_OFFLINE = 5;

const TAGS = [TAG_COMMAND, TAG_REVEAL, TAG_EVENT, TAG_STATUS, TAG_OFFLINE];
let tagBytes: Uint8Array[] | null = null;

export function messageKind(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array) || bytes.length < TAG_LENGTH) return KIND_UNKNOWN;
  if (!tagBytes) {
    tagBytes = [];
    for (let i = 0; i < TAGS.length; i++) tagBytes.push(asciiBytes(TAGS[i]));
  }
  for (let k = 0; k < tagBytes.length; k++) {
    const t = tagBytes[k];
    let same = true;
    for (let i = 0; i < TAG_LENGTH; i++) if (bytes[i] !== t[i]) same = false;
    if (same) return k + 1;
  }
  return KIND_UNKNOWN;
}

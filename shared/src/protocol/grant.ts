/**
 * Grant (docs/protocol.md §4): who may enter, when (absolute window plus an optional
 * weekly schedule in the site's UTC offset), how often, with which evidence, and the
 * at-door credential commitment that makes staged entry cheap. Carried as the
 * payload of a GRANT_PUT command, so it is covered by the relay's signature.
 */
import { codedError } from '../bytes';
import type { ByteReader, ByteWriter } from '../codec';
import { readBytes, readU16, readU8, writeFixed, writeU16, writeU8 } from '../codec';
import { type Codec, fixedBytes, i16, type Infer, listOf, ranged, struct, u16, u32, u8 } from '../schema';
import {
  CRED_BARCODE, CRED_HASH_CHAIN, CRED_NONE, GRANT_FLAGS_MASK, GRANT_PARCEL, HASH_LENGTH, MAX_SCHEDULE_ENTRIES
} from './constants';

export const scheduleEntry = struct([
  ['days', ranged(u8, 1, 127)],
  ['start', ranged(u16, 0, 1439)],
  ['end', ranged(u16, 1, 1440)]
] as const, function (e) {
  if (e.start === e.end) throw codedError('BAD_FORMAT', 'empty schedule entry');
});

export type ScheduleEntry = Infer<typeof scheduleEntry.fields>;

export interface Credential {
  /** CRED_NONE, CRED_HASH_CHAIN or CRED_BARCODE. */
  type: number;
  /** Hash-chain tip or barcode hash (32 bytes); empty for CRED_NONE. */
  commitment: Uint8Array;
  /** Hash-chain links available (CRED_HASH_CHAIN), else 0. */
  length: number;
}

const EMPTY = new Uint8Array(0);

export const credential: Codec<Credential> = {
  label: function () {
    return 'u8 type; type 1: bytes[32] tip + u16 links; type 2: bytes[32] hash';
  },
  size: -1,
  read: function (r: ByteReader): Credential {
    const type = readU8(r);
    if (type === CRED_NONE) return { type: type, commitment: EMPTY, length: 0 };
    if (type !== CRED_HASH_CHAIN && type !== CRED_BARCODE) throw codedError('BAD_FORMAT', 'unknown credential type');
    const commitment = readBytes(r, HASH_LENGTH);
    const length = type === CRED_HASH_CHAIN ? readU16(r) : 0;
    if (type === CRED_HASH_CHAIN && length < 1) throw codedError('BAD_FORMAT', 'empty hash chain');
    return { type: type, commitment: commitment, length: length };
  },
  write: function (w: ByteWriter, c: Credential): void {
    writeU8(w, c.type);
    if (c.type === CRED_NONE) return;
    if (c.type !== CRED_HASH_CHAIN && c.type !== CRED_BARCODE) throw codedError('BAD_VALUE', 'unknown credential type');
    writeFixed(w, c.commitment, HASH_LENGTH, 'commitment');
    if (c.type === CRED_HASH_CHAIN) {
      if (c.length < 1) throw codedError('BAD_VALUE', 'empty hash chain');
      writeU16(w, c.length);
    }
  }
};

export const grantCodec = struct([
  ['grantId', ranged(u32, 1, 0xffffffff)],
  ['kind', ranged(u8, 1, 4)],
  ['flags', ranged(u8, 0, GRANT_FLAGS_MASK)],
  ['notBefore', u32],
  ['notAfter', u32],
  ['maxUses', u16],
  ['relockAfter', u16],
  ['tzOffset', ranged(i16, -840, 840)],
  ['schedule', listOf(scheduleEntry, MAX_SCHEDULE_ENTRIES)],
  ['credential', credential],
  ['actorRef', u32]
] as const, function (g) {
  if (g.notAfter <= g.notBefore) throw codedError('BAD_FORMAT', 'grant window is empty');
  if (g.kind === GRANT_PARCEL && g.credential.type !== CRED_BARCODE) throw codedError('BAD_FORMAT', 'parcel grants need a barcode credential');
  if (g.credential.type === CRED_HASH_CHAIN && g.maxUses > 0 && g.credential.length < g.maxUses) {
    throw codedError('BAD_FORMAT', 'hash chain shorter than maxUses');
  }
});

export type Grant = Infer<typeof grantCodec.fields>;

/** Unused by the lock: relay-side helper to make the 32-byte zero commitment explicit. */
export const NO_CREDENTIAL: Credential = { type: CRED_NONE, commitment: EMPTY, length: 0 };

export { fixedBytes };

/**
 * Owner consent, protocol version 2 (docs/protocol.md §11). An owner statement is signed on the
 * owner's own device: tag `KWY-OWN\0`, version 2, the lock it is for, the owner key, a sequence
 * number (replay guard), the last second it may be used, the action and its payload, then the
 * owner's Ed25519 signature over every byte before it. The relay carries it unchanged as the
 * payload of an OWNER_SIGNED command, so the lock checks two signatures over exact bytes.
 */
import { asciiBytes, codedError, concatBytes, copyBytes } from '../bytes';
import type { ByteReader, ByteWriter } from '../codec';
import { expectEnd, readBytes, reader, writeBytes } from '../codec';
import { type Codec, fixedBytes, i16, type Infer, lazyStruct, listOf, message, ranged, readHeader, struct, u32, u8, varBytes } from '../schema';
import {
  CONSENT_FLAGS_MASK, DEVICE_ID_LENGTH, MAX_OWNER_PAYLOAD, MAX_SCHEDULE_ENTRIES, NONCE_LENGTH, PROTOCOL_VERSION_OWNER, PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH, TAG_OWNER
} from './constants';
import { grantCodec, scheduleEntry } from './grant';

export const ownerStatementBody = lazyStruct(function () {
  return struct([
    ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
    ['ownerKeyId', u32],
    ['seq', ranged(u32, 1, 0xffffffff)],
    ['notAfter', u32],
    ['action', u8],
    ['payload', varBytes(MAX_OWNER_PAYLOAD)]
  ] as const);
});

export type OwnerStatementFields = Infer<typeof ownerStatementBody.fields>;

export interface SignedOwnerStatement extends OwnerStatementFields {
  /** The exact bytes the owner signed (a view into the received bytes). */
  signed: Uint8Array;
  signature: Uint8Array;
}

/** The bytes an owner device signs. */
export function encodeOwnerStatementBody(fields: OwnerStatementFields): Uint8Array {
  return message(TAG_OWNER, PROTOCOL_VERSION_OWNER, ownerStatementBody).encode(fields);
}

export function attachOwnerSignature(body: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_LENGTH) throw codedError('BAD_VALUE', 'signature must be 64 bytes');
  return concatBytes([body, signature]);
}

function readStatement(r: ByteReader): SignedOwnerStatement {
  const start = r.pos;
  readHeader(r, asciiBytes(TAG_OWNER), PROTOCOL_VERSION_OWNER);
  const f = ownerStatementBody.read(r);
  const signed = r.bytes.subarray(start, r.pos);
  const signature = readBytes(r, SIGNATURE_LENGTH);
  return {
    deviceId: f.deviceId, ownerKeyId: f.ownerKeyId, seq: f.seq, notAfter: f.notAfter, action: f.action, payload: f.payload,
    signed: signed, signature: signature
  };
}

/** Parses a signed owner statement; throws BAD_TAG / BAD_VERSION / BAD_LENGTH / BAD_FORMAT. */
export function decodeOwnerStatement(bytes: Uint8Array): SignedOwnerStatement {
  const r = reader(bytes);
  const s = readStatement(r);
  expectEnd(r);
  return s;
}

/**
 * The OWNER_SIGNED payload: a whole signed statement, written and read as the exact bytes
 * (never re-encoded from its fields, so the owner's signature stays valid byte for byte).
 */
export const signedOwnerStatement: Codec<SignedOwnerStatement> = {
  size: -1,
  label: function () {
    return 'signed owner statement (§11.1)';
  },
  read: readStatement,
  write: function (w: ByteWriter, s: SignedOwnerStatement): void {
    if (s.signature.length !== SIGNATURE_LENGTH) throw codedError('BAD_VALUE', 'signature must be 64 bytes');
    writeBytes(w, s.signed);
    writeBytes(w, s.signature);
  }
};

/** A detached copy safe to keep after the receive buffer is reused. */
export function cloneOwnerStatement(s: SignedOwnerStatement): SignedOwnerStatement {
  return {
    deviceId: copyBytes(s.deviceId), ownerKeyId: s.ownerKeyId, seq: s.seq, notAfter: s.notAfter, action: s.action,
    payload: copyBytes(s.payload), signed: copyBytes(s.signed), signature: copyBytes(s.signature)
  };
}

export const ownerKeyAddPayload = lazyStruct(function () {
  return struct([
    ['ownerKeyId', u32],
    ['ownerKey', fixedBytes(PUBLIC_KEY_LENGTH)]
  ] as const);
});

export const ownerKeyRemovePayload = lazyStruct(function () {
  return struct([
    ['ownerKeyId', u32]
  ] as const);
});

export const consentModePayload = lazyStruct(function () {
  return struct([
    ['on', ranged(u8, 0, 1)]
  ] as const);
});

/**
 * A standing consent (§11.4): courier or service grants a backend asks for may be staged without
 * a fresh owner signature when each lies inside one of these weekly windows, carries the camera
 * flag if demanded, allows one entry, and the week still has entries left.
 */
export const consentPayload = lazyStruct(function () {
  return struct([
    ['consentId', ranged(u32, 1, 0xffffffff)],
    ['kind', ranged(u8, 1, 4)],
    ['partner', ranged(u32, 1, 0xffffffff)],
    ['flags', ranged(u8, 0, CONSENT_FLAGS_MASK)],
    ['maxPerWeek', ranged(u8, 1, 255)],
    ['notAfter', u32],
    ['tzOffset', ranged(i16, -840, 840)],
    ['schedule', listOf(scheduleEntry, MAX_SCHEDULE_ENTRIES)]
  ] as const, function (c) {
    if (c.schedule.length === 0) throw codedError('BAD_FORMAT', 'a standing consent needs at least one window');
    for (let i = 0; i < c.schedule.length; i++) {
      if (c.schedule[i].end <= c.schedule[i].start) throw codedError('BAD_FORMAT', 'consent windows may not run past midnight');
    }
  });
});

export const consentRemovePayload = lazyStruct(function () {
  return struct([
    ['consentId', ranged(u32, 1, 0xffffffff)]
  ] as const);
});

/** A relay-signed grant staged under a standing consent (§11.5): the consent it claims, the partner, the grant. */
export const consentedGrantPayload = lazyStruct(function () {
  return struct([
    ['consentId', ranged(u32, 1, 0xffffffff)],
    ['partner', ranged(u32, 1, 0xffffffff)],
    ['grant', grantCodec]
  ] as const);
});

/**
 * OWNER_TIME (§11.8): the owner device's clock, signed over the lock's current challenge, so it
 * was made after the lock last booted and cannot be held back for a later boot.
 */
export const ownerTimePayload = lazyStruct(function () {
  return struct([
    ['time', u32],
    ['nonce', fixedBytes(NONCE_LENGTH)]
  ] as const);
});

/** Bytes of the consented-grant payload before the grant (consentId, partner). */
export const CONSENTED_GRANT_PREFIX = 8;

export type OwnerKeyAddPayload = Infer<typeof ownerKeyAddPayload.fields>;
export type OwnerKeyRemovePayload = Infer<typeof ownerKeyRemovePayload.fields>;
export type ConsentModePayload = Infer<typeof consentModePayload.fields>;
export type Consent = Infer<typeof consentPayload.fields>;
export type ConsentRemovePayload = Infer<typeof consentRemovePayload.fields>;
export type ConsentedGrantPayload = Infer<typeof consentedGrantPayload.fields>;
export type OwnerTimePayload = Infer<typeof ownerTimePayload.fields>;

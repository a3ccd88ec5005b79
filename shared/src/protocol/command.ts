/**
 * Signed command (docs/protocol.md §3): tag, version, device id, key id, action,
 * validity window, replay counter, challenge nonce, payload, then the Ed25519
 * signature over every byte before it. The lock verifies the exact received bytes.
 */
import { codedError, copyBytes } from '../bytes';
import { expectEnd, readBytes, reader } from '../codec';
import { fixedBytes, type Infer, message, ranged, readHeader, struct, u32, u8, varBytes } from '../schema';
import { asciiBytes, concatBytes } from '../bytes';
import {
  DEVICE_ID_LENGTH, MAX_COMMAND_PAYLOAD, NONCE_LENGTH, PROTOCOL_VERSION, SIGNATURE_LENGTH, TAG_COMMAND
} from './constants';

export const commandBody = struct([
  ['deviceId', fixedBytes(DEVICE_ID_LENGTH)],
  ['keyId', u32],
  ['action', u8],
  ['notBefore', u32],
  ['notAfter', u32],
  ['counter', ranged(u32, 1, 0xffffffff)],
  ['nonce', fixedBytes(NONCE_LENGTH)],
  ['payload', varBytes(MAX_COMMAND_PAYLOAD)]
] as const, function (c) {
  if (c.notAfter < c.notBefore) throw codedError('BAD_FORMAT', 'notAfter before notBefore');
});

export type CommandFields = Infer<typeof commandBody.fields>;

export interface SignedCommand extends CommandFields {
  /** The exact received bytes the signature covers (a view, never re-serialized). */
  signed: Uint8Array;
  signature: Uint8Array;
}

const bodyCodec = message(TAG_COMMAND, PROTOCOL_VERSION, commandBody);
let tagBytes: Uint8Array | null = null;

/** The bytes a relay signs. */
export function encodeCommandBody(fields: CommandFields): Uint8Array {
  return bodyCodec.encode(fields);
}

export function attachSignature(body: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_LENGTH) throw codedError('BAD_VALUE', 'signature must be 64 bytes');
  return concatBytes([body, signature]);
}

/** Parses a signed command; throws BAD_TAG / BAD_VERSION / BAD_LENGTH / BAD_FORMAT. */
export function decodeCommand(bytes: Uint8Array): SignedCommand {
  if (!tagBytes) tagBytes = asciiBytes(TAG_COMMAND);
  const r = reader(bytes);
  readHeader(r, tagBytes, PROTOCOL_VERSION);
  const f = commandBody.read(r);
  const signedLength = r.pos;
  const signature = readBytes(r, SIGNATURE_LENGTH);
  expectEnd(r);
  return {
    deviceId: f.deviceId,
    keyId: f.keyId,
    action: f.action,
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    counter: f.counter,
    nonce: f.nonce,
    payload: f.payload,
    signed: bytes.subarray(0, signedLength),
    signature: signature
  };
}

/** A detached copy safe to keep after the receive buffer is reused. */
export function cloneCommand(c: SignedCommand): SignedCommand {
  return {
    deviceId: copyBytes(c.deviceId), keyId: c.keyId, action: c.action, notBefore: c.notBefore,
    notAfter: c.notAfter, counter: c.counter, nonce: copyBytes(c.nonce), payload: copyBytes(c.payload),
    signed: copyBytes(c.signed), signature: copyBytes(c.signature)
  };
}

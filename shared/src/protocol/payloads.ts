/**
 * Action payloads carried inside a signed command (docs/protocol.md §3.2). Each is a
 * fixed struct; the grant payload is the grant encoding (grant.ts).
 */
import { codedError } from '../bytes';
import { expectEnd, reader, writer, written } from '../codec';
import { type Codec, fixedBytes, type Infer, lazyStruct, ranged, struct, u16, u32, u8 } from '../schema';
import {
  ACT_ALARM_CLEAR, ACT_CONSENT_MODE_SET, ACT_CONSENT_PUT, ACT_CONSENT_REMOVE, ACT_CONSENTED_GRANT_PUT, ACT_GRANT_PUT, ACT_GRANT_REVOKE,
  ACT_KEY_ROTATE, ACT_LOCK, ACT_OWNER_KEY_ADD, ACT_OWNER_KEY_REMOVE, ACT_OWNER_SIGNED, ACT_OWNER_TIME, ACT_SETTINGS_SET, ACT_TIME_SET, ACT_UNLATCH,
  ACT_UNLOCK, GRANT_FLAGS_MASK, PUBLIC_KEY_LENGTH
} from './constants';
import { grantCodec } from './grant';
import {
  consentedGrantPayload, consentModePayload, consentPayload, consentRemovePayload, ownerKeyAddPayload, ownerKeyRemovePayload, ownerTimePayload,
  signedOwnerStatement
} from './owner';
import { settingsPayload } from './settings';

export const unlockPayload = struct([
  ['grantId', u32],
  ['actorKind', u8],
  ['actorRef', u32],
  ['flags', ranged(u8, 0, GRANT_FLAGS_MASK)],
  ['relockAfter', u16]
] as const);

export const lockPayload = struct([
  ['actorKind', u8],
  ['actorRef', u32]
] as const);

export const revokePayload = struct([
  ['grantId', ranged(u32, 1, 0xffffffff)]
] as const);

export const keyRotatePayload = lazyStruct(function () {
  return struct([
    ['newKeyId', u32],
    ['newKey', fixedBytes(PUBLIC_KEY_LENGTH)],
    ['retireKeyId', u32]
  ] as const, function (p) {
    if (p.newKeyId === p.retireKeyId) throw codedError('BAD_FORMAT', 'cannot retire the key being added');
  });
});

export const timeSetPayload = struct([
  ['time', u32]
] as const);

export const alarmClearPayload = lazyStruct(function () {
  return struct([
    ['alarm', u8]
  ] as const);
});

export type UnlockPayload = Infer<typeof unlockPayload.fields>;
export type LockPayload = Infer<typeof lockPayload.fields>;
export type RevokePayload = Infer<typeof revokePayload.fields>;
export type KeyRotatePayload = Infer<typeof keyRotatePayload.fields>;
export type TimeSetPayload = Infer<typeof timeSetPayload.fields>;
export type AlarmClearPayload = Infer<typeof alarmClearPayload.fields>;

/** The payload codec for an action, or null for an unknown action. */
export function payloadCodec(action: number): Codec<any> | null {
  switch (action) {
    case ACT_UNLOCK:
    case ACT_UNLATCH:
      return unlockPayload;
    case ACT_LOCK:
      return lockPayload;
    case ACT_GRANT_PUT:
      return grantCodec;
    case ACT_GRANT_REVOKE:
      return revokePayload;
    case ACT_KEY_ROTATE:
      return keyRotatePayload;
    case ACT_TIME_SET:
      return timeSetPayload;
    case ACT_ALARM_CLEAR:
      return alarmClearPayload;
    case ACT_SETTINGS_SET:
      return settingsPayload;
    case ACT_OWNER_SIGNED:
      return signedOwnerStatement;
    case ACT_OWNER_KEY_ADD:
      return ownerKeyAddPayload;
    case ACT_OWNER_KEY_REMOVE:
      return ownerKeyRemovePayload;
    case ACT_CONSENT_MODE_SET:
      return consentModePayload;
    case ACT_CONSENT_PUT:
      return consentPayload;
    case ACT_CONSENT_REMOVE:
      return consentRemovePayload;
    case ACT_CONSENTED_GRANT_PUT:
      return consentedGrantPayload;
    case ACT_OWNER_TIME:
      return ownerTimePayload;
    default:
      return null;
  }
}

/** Decodes a payload exactly (no trailing bytes); throws UNKNOWN_ACTION or a format error. */
export function decodePayload(action: number, payload: Uint8Array): any {
  const codec = payloadCodec(action);
  if (!codec) throw codedError('UNKNOWN_ACTION', 'unknown action ' + action);
  const r = reader(payload);
  const v = codec.read(r);
  expectEnd(r);
  return v;
}

export function encodePayload(action: number, value: any): Uint8Array {
  const codec = payloadCodec(action);
  if (!codec) throw codedError('UNKNOWN_ACTION', 'unknown action ' + action);
  const w = writer(codec.size > 0 ? codec.size : 128);
  codec.write(w, value);
  return written(w);
}

// Owner statements and the v2 payloads (docs/protocol.md §11): the published vectors decode,
// verify under tweetnacl and the lock's strict verifier, and carry the exact bytes they were
// signed over; malformed statements are refused with coded errors.
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  ACT_CONSENT_PUT, ACT_GRANT_PUT, ACT_OWNER_SIGNED, ACT_UNLOCK, decodeCommand, decodeOwnerStatement, decodePayload, encodePayload, fromHex,
  keyIdOf, toHex, verifyStrict
} from '@keyway/shared';
import { buildVectors } from '../../../scripts/protocol-vectors';

const v = Object.fromEntries(buildVectors().map((x) => [x.name, x]));
const ownerPub = fromHex(v['owner-key'].hex);
const owner2Pub = fromHex(v['owner-key-2'].hex);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
}

describe('owner statement (protocol v2)', () => {
  it('every published statement verifies under its owner key (tweetnacl and the strict verifier) and under no other', () => {
    for (const [name, pub] of [['owner-consent-put', ownerPub], ['owner-grant-put', ownerPub], ['owner-key-add', ownerPub],
      ['owner-key-remove', owner2Pub], ['owner-consent-mode', owner2Pub], ['owner-consent-remove', owner2Pub]] as const) {
      const s = decodeOwnerStatement(fromHex(v[name].hex));
      expect(s.ownerKeyId, name).toBe(keyIdOf(pub));
      expect(nacl.sign.detached.verify(s.signed, s.signature, pub), name).toBe(true);
      expect(verifyStrict(s.signed, s.signature, pub), name).toBe(true);
      expect(verifyStrict(s.signed, s.signature, pub === ownerPub ? owner2Pub : ownerPub), name).toBe(false);
    }
  });

  it('OWNER_SIGNED carries the statement byte for byte, and the owner signs the exact grant bytes of a v1 GRANT_PUT', () => {
    const cmd = decodeCommand(fromHex(v['command-owner-grant-put'].hex));
    expect(cmd.action).toBe(ACT_OWNER_SIGNED);
    expect(toHex(cmd.payload)).toBe(v['owner-grant-put'].hex);
    const st = decodePayload(ACT_OWNER_SIGNED, cmd.payload);
    expect(st.action).toBe(ACT_GRANT_PUT);
    const v1 = decodeCommand(fromHex(v['command-grant-put'].hex));
    expect(toHex(st.payload)).toBe(toHex(v1.payload));
    // Re-encoding the decoded payload writes the very same bytes (the signature stays valid).
    expect(toHex(encodePayload(ACT_OWNER_SIGNED, st))).toBe(v['owner-grant-put'].hex);
  });

  it('a flipped bit anywhere in the signed part breaks the owner signature', () => {
    const bytes = fromHex(v['owner-consent-put'].hex);
    for (const at of [0, 9, 17, 21, 25, 29, 31, 40]) {
      const bad = new Uint8Array(bytes);
      bad[at] ^= 0x01;
      let s;
      try {
        s = decodeOwnerStatement(bad);
      } catch {
        continue; // a header or range the decoder refuses is a refusal too
      }
      expect(verifyStrict(s.signed, s.signature, ownerPub), 'byte ' + at).toBe(false);
    }
  });

  it('refuses a wrong tag, a version-1 byte, trailing or missing bytes and an oversized payload', () => {
    const bytes = fromHex(v['owner-consent-put'].hex);
    const tag = new Uint8Array(bytes);
    tag[4] = 0x43; // KWY-CWN
    expect(codeOf(() => decodeOwnerStatement(tag))).toBe('BAD_TAG');
    const v1 = new Uint8Array(bytes);
    v1[8] = 1;
    expect(codeOf(() => decodeOwnerStatement(v1))).toBe('BAD_VERSION');
    expect(codeOf(() => decodeOwnerStatement(new Uint8Array([...bytes, 0])))).toBe('BAD_LENGTH');
    expect(codeOf(() => decodeOwnerStatement(bytes.subarray(0, bytes.length - 1)))).toBe('BAD_LENGTH');
    const long = new Uint8Array(bytes);
    long[30] = 161; // payload length above the 160 an owner statement allows
    expect(codeOf(() => decodeOwnerStatement(long))).toBe('BAD_LENGTH');
  });

  it('standing consents refuse an empty schedule, a window past midnight and unknown flags', () => {
    const c = decodePayload(ACT_CONSENT_PUT, decodeOwnerStatement(fromHex(v['owner-consent-put'].hex)).payload);
    expect(c.schedule).toEqual([{ days: 31, start: 540, end: 1080 }]);
    expect(codeOf(() => encodePayload(ACT_CONSENT_PUT, { ...c, schedule: [] }))).toBe('BAD_FORMAT');
    expect(codeOf(() => encodePayload(ACT_CONSENT_PUT, { ...c, schedule: [{ days: 1, start: 1380, end: 60 }] }))).toBe('BAD_FORMAT');
    expect(codeOf(() => encodePayload(ACT_CONSENT_PUT, { ...c, flags: 2 }))).toBe('BAD_FORMAT');
    expect(codeOf(() => encodePayload(ACT_CONSENT_PUT, { ...c, maxPerWeek: 0 }))).toBe('BAD_FORMAT');
  });

  it('an unlock payload is still the v1 layout inside a statement', () => {
    const p = { grantId: 0, actorKind: 1, actorRef: 2, flags: 0, relockAfter: 0 };
    expect(decodePayload(ACT_UNLOCK, encodePayload(ACT_UNLOCK, p))).toEqual(p);
  });
});

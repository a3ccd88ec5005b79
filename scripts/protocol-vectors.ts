/**
 * Builds the published protocol test vectors (shared/vectors/v1.json and the examples in
 * docs/protocol.md) from the real codecs and the published test keys. Ed25519 signing is
 * deterministic, so the bytes are stable; tests regenerate and compare.
 */
import {
  ACT_CONSENT_MODE_SET, ACT_CONSENT_PUT, ACT_CONSENT_REMOVE, ACT_CONSENTED_GRANT_PUT, ACT_OWNER_KEY_ADD, ACT_OWNER_KEY_REMOVE, ACT_OWNER_TIME,
  ACT_OWNER_SIGNED, CONSENT_CAMERA_REQUIRED, ACT_GRANT_PUT, ACT_KEY_ROTATE, ACT_SETTINGS_SET, ACT_TIME_SET, ACT_UNLOCK, ACTOR_COURIER, BOLT_LOCKED, BOLT_UNLOCKED, CRED_HASH_CHAIN, DOOR_CLOSED,
  EV_CAMERA, EV_OPERATION, EV_STATE, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE, GRANT_COURIER, RC_OK, SETTING_RELOCK_ON_CLOSE, SRC_REVEAL, ST_CAMERA_OK, ST_TIME_TRUSTED,
  asciiBytes, attachReceiptSignature, barcodeCommitment, buildHashChain, encodeEvent, encodePayload, encodeReceiptBody, encodeReveal, encodeStatus,
  eventHash, fromHex, grantFingerprint, keyIdOf, publicKeyNow, signingKey, signNow, toHex, type Grant, type LockEvent
} from '@keyway/shared';
import { clipHash, clipManifest, signCommand, signerFromSeed, signOwnerStatement } from '@keyway/shared/node';

/** Published test keys: never use them outside tests. */
export const TEST_RELAY_SEED = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
export const TEST_RELAY_SEED_2 = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');
/** The published test lock key (RFC 8032 test 3 secret): signs the receipt example. */
export const TEST_LOCK_SEED = fromHex('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7');
/** Published test owner keys (RFC 8032 test 1024 secret, and SHA-512's abc digest's first half): the owner statement examples. */
export const TEST_OWNER_SEED = fromHex('f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5');
export const TEST_OWNER_SEED_2 = fromHex('ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a');
export const TEST_DEVICE_ID = fromHex('0123456789abcdef');
export const TEST_NONCE = fromHex('a1a2a3a4a5a6a7a8');
export const TEST_CHAIN_SEED = fromHex('c0ffee00000000000000000000000000000000000000000000000000000000ee');
export const T0 = 1_800_000_000; // 2027-01-15T08:00:00Z

/** The clip example's three "frames" (any file bytes hash the same way as a PNG). */
export const TEST_CLIP_FRAMES = ['frame one', 'frame two', 'frame three'];
export const TEST_CLIP_CAPTURE = 20;

export interface Vector {
  name: string;
  description: string;
  hex: string;
  [extra: string]: unknown;
}

export function buildVectors(): Vector[] {
  const relay = signerFromSeed(TEST_RELAY_SEED);
  const relay2 = signerFromSeed(TEST_RELAY_SEED_2);
  const chain = buildHashChain(TEST_CHAIN_SEED, TEST_DEVICE_ID, 7, 3);
  const grant: Grant = {
    grantId: 7,
    kind: GRANT_COURIER,
    flags: FLAG_CAMERA_REQUIRED | FLAG_RELOCK_ON_CLOSE,
    notBefore: T0,
    notAfter: T0 + 4 * 3600,
    maxUses: 3,
    relockAfter: 30,
    tzOffset: 60,
    schedule: [{ days: 0b0001010, start: 12 * 60, end: 13 * 60 }],
    credential: { type: CRED_HASH_CHAIN, commitment: chain[3], length: 3 },
    actorRef: 4242
  };
  const unlock = signCommand(relay, {
    deviceId: TEST_DEVICE_ID, action: ACT_UNLOCK, notBefore: T0, notAfter: T0 + 60, counter: 1,
    payload: { grantId: 0, actorKind: ACTOR_COURIER, actorRef: 4242, flags: FLAG_CAMERA_REQUIRED, relockAfter: 30 }
  });
  const grantPut = signCommand(relay, {
    deviceId: TEST_DEVICE_ID, action: ACT_GRANT_PUT, notBefore: T0, notAfter: T0 + 3600, counter: 2, payload: grant
  });
  const timeSet = signCommand(relay, {
    deviceId: TEST_DEVICE_ID, action: ACT_TIME_SET, notBefore: T0, notAfter: T0 + 60, counter: 3, nonce: TEST_NONCE,
    payload: { time: T0 + 5 }
  });
  const rotate = signCommand(relay, {
    deviceId: TEST_DEVICE_ID, action: ACT_KEY_ROTATE, notBefore: T0, notAfter: T0 + 86400, counter: 4,
    payload: { newKeyId: relay2.keyId, newKey: relay2.publicKey, retireKeyId: relay.keyId }
  });
  const settings = signCommand(relay, {
    deviceId: TEST_DEVICE_ID, action: ACT_SETTINGS_SET, notBefore: T0, notAfter: T0 + 86400, counter: 5,
    payload: { revision: 3, autoLockS: 45, doorAjarS: 300, flags: SETTING_RELOCK_ON_CLOSE }
  });
  const reveal = encodeReveal({ deviceId: TEST_DEVICE_ID, grantId: 7, value: chain[2] });
  const e1: LockEvent = {
    deviceId: TEST_DEVICE_ID, seq: 1, time: T0 + 10, type: EV_OPERATION, code: RC_OK, ref: 7, actorKind: ACTOR_COURIER,
    actorRef: 4242, prevHash: new Uint8Array(32), data: new Uint8Array([ACT_UNLOCK, SRC_REVEAL])
  };
  const e1bytes = encodeEvent(e1);
  const e2: LockEvent = {
    deviceId: TEST_DEVICE_ID, seq: 2, time: T0 + 11, type: EV_STATE, code: 0, ref: 0, actorKind: 0, actorRef: 0,
    prevHash: eventHash(e1bytes), data: new Uint8Array([BOLT_UNLOCKED, DOOR_CLOSED])
  };
  const e2bytes = encodeEvent(e2);
  const e3: LockEvent = {
    deviceId: TEST_DEVICE_ID, seq: 3, time: T0 + 45, type: EV_STATE, code: 0, ref: 0, actorKind: 0, actorRef: 0,
    prevHash: eventHash(e2bytes), data: new Uint8Array([BOLT_LOCKED, DOOR_CLOSED])
  };
  const e3bytes = encodeEvent(e3);
  const lockPub = publicKeyNow(TEST_LOCK_SEED)!;
  const receiptBody = encodeReceiptBody({
    deviceId: TEST_DEVICE_ID, lockKey: lockPub, seq: 3, head: eventHash(e3bytes), time: T0 + 45, bolt: BOLT_LOCKED, door: DOOR_CLOSED,
    grantId: 7, entrySeq: 1, entryHash: eventHash(e1bytes), cameraSeq: 0, cameraHash: new Uint8Array(32)
  });
  const receipt = attachReceiptSignature(receiptBody, signNow(receiptBody, signingKey(TEST_LOCK_SEED, lockPub))!);
  const status = encodeStatus({
    deviceId: TEST_DEVICE_ID, bolt: BOLT_LOCKED, door: DOOR_CLOSED, flags: ST_TIME_TRUSTED | ST_CAMERA_OK, time: T0,
    nonce: TEST_NONCE, replayHigh: 4, logSeq: 2, logHead: eventHash(encodeEvent(e2)), battery: 5900, grants: 1,
    firmware: asciiBytes('0.1.0'), keyIds: [relay.keyId], held: [{ grantId: 7, fingerprint: grantFingerprint(encodePayload(ACT_GRANT_PUT, grant)) }],
    settingsRev: 3
  });
  const frames = TEST_CLIP_FRAMES.map(asciiBytes);
  const clip = clipHash(TEST_DEVICE_ID, TEST_CLIP_CAPTURE, frames);
  const camera: LockEvent = {
    deviceId: TEST_DEVICE_ID, seq: TEST_CLIP_CAPTURE, time: T0 + 9, type: EV_CAMERA, code: RC_OK, ref: TEST_CLIP_CAPTURE, actorKind: ACTOR_COURIER,
    actorRef: 4242, prevHash: new Uint8Array(32).fill(0x11), data: clip
  };
  const owner = signerFromSeed(TEST_OWNER_SEED);
  const owner2 = signerFromSeed(TEST_OWNER_SEED_2);
  const consent = {
    consentId: 1, kind: GRANT_COURIER, partner: 31, flags: CONSENT_CAMERA_REQUIRED, maxPerWeek: 3, notAfter: T0 + 365 * 86400, tzOffset: 60,
    schedule: [{ days: 0b0011111, start: 9 * 60, end: 18 * 60 }]
  };
  const consentedGrant: Grant = {
    grantId: 8, kind: GRANT_COURIER, flags: FLAG_CAMERA_REQUIRED | FLAG_RELOCK_ON_CLOSE, notBefore: T0 + 3600, notAfter: T0 + 7200, maxUses: 1,
    relockAfter: 30, tzOffset: 60, schedule: [], credential: { type: CRED_HASH_CHAIN, commitment: chain[3], length: 3 }, actorRef: 4242
  };
  const stmt = (seq: number, action: number, payload: unknown, by = owner) =>
    signOwnerStatement(by, { deviceId: TEST_DEVICE_ID, seq, notAfter: T0 + 86400, action, payload });
  const wrapped = (counter: number, statement: ReturnType<typeof stmt>) => signCommand(relay, {
    deviceId: TEST_DEVICE_ID, action: ACT_OWNER_SIGNED, notBefore: T0, notAfter: T0 + 3600, counter, payload: statement
  });
  const ownerAddInstall = signCommand(relay, {
    deviceId: TEST_DEVICE_ID, action: ACT_OWNER_KEY_ADD, notBefore: T0, notAfter: T0 + 600, counter: 6,
    payload: { ownerKeyId: owner.keyId, ownerKey: owner.publicKey }
  });
  const sConsent = stmt(1, ACT_CONSENT_PUT, consent);
  const sGrant = stmt(2, ACT_GRANT_PUT, grant);
  const sAdd2 = stmt(3, ACT_OWNER_KEY_ADD, { ownerKeyId: owner2.keyId, ownerKey: owner2.publicKey });
  const sRemove = stmt(4, ACT_OWNER_KEY_REMOVE, { ownerKeyId: owner.keyId }, owner2);
  const sMode = stmt(5, ACT_CONSENT_MODE_SET, { on: 0 }, owner2);
  const sConsentRemove = stmt(6, ACT_CONSENT_REMOVE, { consentId: 1 }, owner2);
  const sTime = stmt(7, ACT_OWNER_TIME, { time: T0 + 5, nonce: TEST_NONCE });
  const ownerTimeCmd = signCommand(relay, {
    deviceId: TEST_DEVICE_ID, action: ACT_OWNER_SIGNED, notBefore: T0, notAfter: T0 + 60, counter: 10, nonce: TEST_NONCE, payload: sTime
  });
  const consentedPut = signCommand(relay, {
    deviceId: TEST_DEVICE_ID, action: ACT_CONSENTED_GRANT_PUT, notBefore: T0, notAfter: T0 + 3600, counter: 9,
    payload: { consentId: 1, partner: 31, grant: consentedGrant }
  });
  const joined = (s: ReturnType<typeof stmt>) => toHex(s.signed) + toHex(s.signature);
  const v2: Vector[] = [
    { name: 'owner-key', description: 'Test owner key 1 (RFC 8032 test 1024 secret): an owner device.', hex: toHex(owner.publicKey),
      seed: toHex(TEST_OWNER_SEED), keyId: owner.keyId },
    { name: 'owner-key-2', description: 'Test owner key 2: a second owner device.', hex: toHex(owner2.publicKey), seed: toHex(TEST_OWNER_SEED_2),
      keyId: owner2.keyId },
    { name: 'command-owner-key-add', description: 'OWNER_KEY_ADD of owner-key, relay-signed only (admitted in install mode), counter 6.',
      hex: toHex(ownerAddInstall) },
    { name: 'owner-consent-put', description: 'Owner statement seq 1 by owner-key: standing consent 1, courier grants of partner 31, Mon-Fri 09:00-18:00 at UTC+1, camera, 3 a week.',
      hex: joined(sConsent) },
    { name: 'command-owner-consent-put', description: 'OWNER_SIGNED carrying owner-consent-put unchanged, counter 7.', hex: toHex(wrapped(7, sConsent)) },
    { name: 'owner-grant-put', description: 'Owner statement seq 2 by owner-key: GRANT_PUT of the courier grant 7 (the bytes of command-grant-put\'s payload).',
      hex: joined(sGrant) },
    { name: 'command-owner-grant-put', description: 'OWNER_SIGNED carrying owner-grant-put unchanged, counter 8.', hex: toHex(wrapped(8, sGrant)) },
    { name: 'owner-key-add', description: 'Owner statement seq 3 by owner-key: enrol owner-key-2.', hex: joined(sAdd2) },
    { name: 'owner-key-remove', description: 'Owner statement seq 4 by owner-key-2: remove owner-key.', hex: joined(sRemove) },
    { name: 'owner-consent-mode', description: 'Owner statement seq 5 by owner-key-2: owner-consent mode off.', hex: joined(sMode) },
    { name: 'owner-consent-remove', description: 'Owner statement seq 6 by owner-key-2: remove standing consent 1.', hex: joined(sConsentRemove) },
    { name: 'command-consented-grant-put', description: 'CONSENTED_GRANT_PUT, relay-signed only: courier grant 8 (one entry, Friday 10:00-11:00 at UTC+1) under consent 1 for partner 31, counter 9.',
      hex: toHex(consentedPut) },
    { name: 'owner-time', description: 'Owner statement seq 7 by owner-key: OWNER_TIME, the owner device\'s clock T0 + 5 over the lock challenge a1a2a3a4a5a6a7a8.',
      hex: joined(sTime) },
    { name: 'command-owner-time', description: 'OWNER_SIGNED carrying owner-time unchanged, bound to the same challenge, counter 10.', hex: toHex(ownerTimeCmd) }
  ];
  return [
    { name: 'relay-key', description: 'Test relay key 1: seed (RFC 8032 test 1 secret), public key, key id.', hex: toHex(relay.publicKey),
      seed: toHex(TEST_RELAY_SEED), keyId: relay.keyId },
    { name: 'relay-key-2', description: 'Test relay key 2 (RFC 8032 test 2 secret), target of the rotation example.', hex: toHex(relay2.publicKey),
      seed: toHex(TEST_RELAY_SEED_2), keyId: relay2.keyId, keyIdCheck: keyIdOf(relay2.publicKey) },
    { name: 'command-unlock', description: 'UNLOCK for device 0123456789abcdef, counter 1, camera required, signed by relay-key.', hex: toHex(unlock) },
    { name: 'command-grant-put', description: 'GRANT_PUT of courier grant 7 with a 3-link hash chain, counter 2.', hex: toHex(grantPut) },
    { name: 'command-time-set', description: 'TIME_SET bound to the lock challenge a1a2a3a4a5a6a7a8, counter 3.', hex: toHex(timeSet) },
    { name: 'command-key-rotate', description: 'KEY_ROTATE to relay-key-2 retiring relay-key, counter 4.', hex: toHex(rotate) },
    { name: 'command-settings-set', description: 'SETTINGS_SET revision 3: auto-lock 45 s, door-left-open alarm at 300 s, relock on close; counter 5.',
      hex: toHex(settings) },
    { name: 'hash-chain', description: 'Chain for grant 7: values[0] = seed … values[3] = tip committed in the grant.', hex: toHex(chain[3]),
      values: chain.map(toHex) },
    { name: 'reveal', description: 'First at-door reveal for grant 7: discloses values[2], whose step is the tip.', hex: toHex(reveal) },
    { name: 'event-1', description: 'First log record: courier unlocked through a reveal on grant 7.', hex: toHex(e1bytes), hash: toHex(eventHash(e1bytes)) },
    { name: 'event-2', description: 'Second record: state after unlocking; prevHash = hash(event-1).', hex: toHex(encodeEvent(e2)),
      hash: toHex(eventHash(encodeEvent(e2))) },
    { name: 'event-3', description: 'Third record: door closed and bolt locked again; prevHash = hash(event-2).', hex: toHex(e3bytes),
      hash: toHex(eventHash(e3bytes)) },
    { name: 'lock-key', description: 'Test lock key (RFC 8032 test 3 secret): the lock\'s own signing key in the receipt example.', hex: toHex(lockPub),
      seed: toHex(TEST_LOCK_SEED) },
    { name: 'receipt', description: 'Receipt signed by lock-key: head event-3, entry event-1 (grant 7), no camera event.', hex: toHex(receipt) },
    { name: 'status', description: 'Status: locked, door closed, trusted time, camera ok, log head = hash(event-2).', hex: toHex(status) },
    { name: 'barcode', description: 'Parcel commitment for tracking number "1Z999AA10123456784" on the test device.',
      hex: toHex(barcodeCommitment(TEST_DEVICE_ID, '1Z999AA10123456784')) },
    { name: 'clip-manifest', description: 'Clip manifest for capture 20 on the test device, frames "frame one", "frame two", "frame three" (ASCII).',
      hex: toHex(clipManifest(TEST_DEVICE_ID, TEST_CLIP_CAPTURE, frames)), clipHash: toHex(clip) },
    { name: 'event-camera', description: 'CAMERA event 20 (prevHash 11…11 for the example) carrying that clip hash as its data.', hex: toHex(encodeEvent(camera)) },
    ...v2
  ];
}

/**
 * Owner consent on a simulated lock (docs/protocol.md §11): the published owner test keys,
 * owner statements wrapped by the relay, install-mode enrolment, a standing consent and grants
 * inside it, and a snapshot of everything a refused request must leave unchanged.
 */
import {
  ACT_CONSENT_PUT, ACT_CONSENTED_GRANT_PUT, ACT_OWNER_KEY_ADD, ACT_OWNER_SIGNED, ACT_OWNER_TIME, CONSENT_CAMERA_REQUIRED, CRED_HASH_CHAIN, EV_ACK,
  FLAG_CAMERA_REQUIRED, GRANT_COURIER, RC_OK, buildHashChain, type Consent, type Grant, type LockEvent, type SignedOwnerStatement
} from '@keyway/shared';
import { signOwnerStatement, signerFromSeed, type Signer } from '@keyway/shared/node';
import { INSTALL_HOLD_MS, OWNER_RESET_HOLD_MS } from '@keyway/firmware';
import { snapshotFiles } from '@keyway/hardware';
import { expect } from 'vitest';
import { TEST_OWNER_SEED, TEST_OWNER_SEED_2 } from '../../scripts/protocol-vectors';
import { DEVICE_ID, T0, harness, type Harness, type HarnessOptions } from './lock-harness';

export const OWNER = signerFromSeed(TEST_OWNER_SEED);
export const OWNER_2 = signerFromSeed(TEST_OWNER_SEED_2);
/** Courier partner id of the example consent. */
export const PARTNER = 31;
const HOUR = 3600;

export interface OwnerHarness extends Harness {
  ownerSeq: number;
  /** An owner statement for this lock with the next owner sequence number. */
  statement(by: Signer, action: number, payload: unknown, over?: { seq?: number; notAfter?: number; deviceId?: Uint8Array }): SignedOwnerStatement;
  /** The relay's OWNER_SIGNED command carrying a statement unchanged. */
  wrap(st: SignedOwnerStatement): Uint8Array;
  /** Delivers, runs the lock until it answered, and returns the ACK. */
  send(bytes: Uint8Array): LockEvent;
}

export function ownerHarness(o: HarnessOptions = {}): OwnerHarness {
  const h = harness(o) as OwnerHarness;
  h.ownerSeq = 0;
  h.statement = (by, action, payload, over = {}) =>
    signOwnerStatement(by, {
      deviceId: over.deviceId ?? DEVICE_ID, seq: over.seq ?? ++h.ownerSeq, notAfter: over.notAfter ?? h.now() + HOUR, action, payload
    });
  h.wrap = (st) => h.command(ACT_OWNER_SIGNED, st);
  h.send = (bytes) => {
    const before = h.events(EV_ACK).length;
    h.deliver(bytes);
    h.run(4000);
    const ack = h.events(EV_ACK)[before];
    expect(ack, 'an ACK event').toBeDefined();
    return ack;
  };
  return h;
}

/** Holds the inside button long enough for install mode. */
export function enterInstallMode(h: Harness): void {
  h.sim.device.pressButton(INSTALL_HOLD_MS + 200);
  h.run(INSTALL_HOLD_MS + 1000);
}

/** The owner recovery: a 15 s hold of the inside button (the lock must already be in install mode). */
export function holdForOwnerReset(h: Harness): void {
  h.sim.device.pressButton(OWNER_RESET_HOLD_MS + 200);
  h.run(OWNER_RESET_HOLD_MS + 1000);
}

/** A lock with trusted time (`now`, T0 by default) and OWNER enrolled in install mode: owner-consent mode is on. */
export function consentLock(o: HarnessOptions = {}, now = T0): OwnerHarness {
  const h = ownerHarness(o);
  h.trustTime(now);
  enterInstallMode(h);
  expect(h.send(h.command(ACT_OWNER_KEY_ADD, { ownerKeyId: OWNER.keyId, ownerKey: OWNER.publicKey })).code).toBe(RC_OK);
  h.sim.lock.installUntil = 0; // leave install mode, as when its time runs out
  return h;
}

/** The example consent: courier grants of PARTNER, Mon-Fri 09:00-18:00 at UTC+1, camera, `maxPerWeek` a week. */
export function weekdayConsent(over: Partial<Consent> = {}): Consent {
  return {
    consentId: 1, kind: GRANT_COURIER, partner: PARTNER, flags: CONSENT_CAMERA_REQUIRED, maxPerWeek: 2, notAfter: 0, tzOffset: 60,
    schedule: [{ days: 0b0011111, start: 9 * 60, end: 18 * 60 }], ...over
  };
}

export function putConsent(h: OwnerHarness, c: Consent = weekdayConsent()): void {
  expect(h.send(h.wrap(h.statement(OWNER, ACT_CONSENT_PUT, c))).code).toBe(RC_OK);
}

/**
 * A one-entry courier grant with a hash chain; by default Friday 2027-01-15 09:00-10:00 at UTC+1
 * (T0 is 08:00 UTC), inside the example consent and open at lock time T0.
 */
export function courierGrant(over: Partial<Grant> = {}): Grant {
  const grantId = over.grantId ?? 40;
  const chain = buildHashChain(new Uint8Array(32).fill(3), DEVICE_ID, grantId, 1);
  return {
    grantId, kind: GRANT_COURIER, flags: FLAG_CAMERA_REQUIRED, notBefore: T0, notAfter: T0 + HOUR, maxUses: 1, relockAfter: 0, tzOffset: 60,
    schedule: [], credential: { type: CRED_HASH_CHAIN, commitment: chain[1], length: 1 }, actorRef: 4242, ...over
  };
}

/**
 * The owner page confirming the lock's clock (docs/protocol.md §11.8): an OWNER_TIME statement
 * over the lock's current challenge, carried in a relay command bound to the same challenge.
 */
export function ownerTime(h: OwnerHarness, time: number, by: Signer = OWNER, nonce?: Uint8Array): Uint8Array {
  const challenge = nonce ?? h.status().nonce;
  return h.command(ACT_OWNER_SIGNED, h.statement(by, ACT_OWNER_TIME, { time, nonce: challenge }), { nonce: challenge });
}

export function consentedPut(h: Harness, grant: Grant, consentId = 1, partner = PARTNER): Uint8Array {
  return h.command(ACT_CONSENTED_GRANT_PUT, { consentId, partner, grant });
}

/**
 * Everything a refused request must leave as it was. `spent` names the replay guards an
 * authentic request may have used up before its refusal: none (refused before any signature
 * work), the relay's counter, or the relay's counter and the owner's sequence number.
 */
export type Spent = 'none' | 'relay' | 'owner';

export function lockSnapshot(h: Harness, spent: Spent = 'none') {
  const l = h.sim.lock;
  const skip = spent === 'none' ? /^$/ : spent === 'relay' ? /^kwrp/ : /^kw(rp|oc)/;
  return {
    bolt: l.bolt.phase,
    motorStarts: h.sim.device.physics.starts,
    replay: spent === 'none' ? { ...l.replay } : null,
    relayKeys: l.config!.keys.map((k) => k.id),
    grants: l.grants.slots.map((g) => (g ? g.grant.grantId + ':' + g.uses : null)),
    owner: JSON.stringify({ mode: l.owner.mode, seq: spent === 'owner' ? null : l.owner.seq, keys: l.owner.keys.map((k) => k.id), consents: l.owner.consents }),
    /** The flash records of grants, revocations, owner state, config, replay window and settings. */
    records: Object.entries(snapshotFiles(h.sim.storage)).filter(([name]) => /^kw(g|rv|oc|cfg|rp|set)/.test(name) && !skip.test(name)).sort()
  };
}

/** Sends `bytes`, expects the refusal `code`, and that nothing but the `spent` replay guards changed. */
export function expectRefused(h: OwnerHarness, bytes: Uint8Array, code: number, spent: Spent = 'none'): void {
  const before = lockSnapshot(h, spent);
  const ack = h.send(bytes);
  expect(ack.code).toBe(code);
  expect(lockSnapshot(h, spent)).toEqual(before);
}

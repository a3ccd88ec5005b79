/**
 * Owner consent on the real firmware (docs/protocol.md §11): enrolment needs the relay and the
 * lock's own confirmation, the bootstrap rule, owner-signed requests over exact bytes, standing
 * consents with counters that survive reboot, the downgrade refusals, and the physical recovery.
 * Every refusal expects its code and no change of state.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_CONSENT_MODE_SET, ACT_CONSENT_PUT, ACT_CONSENT_REMOVE, ACT_GRANT_PUT, ACT_KEY_ROTATE, ACT_LOCK, ACT_OWNER_KEY_ADD, ACT_OWNER_KEY_REMOVE,
  ACT_TIME_SET, ACT_UNLOCK, AL_OWNER_RESET, BOLT_LOCKED, BOLT_UNLOCKED, EV_ALARM, GRANT_GUEST, RC_BAD_OWNER_SIGNATURE, RC_CONFIRMATION_REQUIRED,
  RC_CONSENT_EXHAUSTED, RC_LAST_OWNER_KEY, RC_NOT_OWNER_ACTION, RC_NOT_PERMITTED, RC_OK, RC_OUTSIDE_CONSENT, RC_OWNER_EXPIRED, RC_OWNER_REPLAY,
  RC_OWNER_SIGNATURE_REQUIRED, RC_UNKNOWN_CONSENT, RC_UNKNOWN_OWNER_KEY, RC_USES_EXHAUSTED, RC_WRONG_DEVICE, ST_OWNER_CONSENT, fromHex
} from '@keyway/shared';
import { signerFromSeed } from '@keyway/shared/node';
import { TEST_RELAY_SEED_2 } from '../../scripts/protocol-vectors';
import { T0, plainGrant, unlockPayload } from '../support/lock-harness';
import {
  OWNER, OWNER_2, PARTNER, consentLock, consentedPut, courierGrant, enterInstallMode, expectRefused, holdForOwnerReset, lockSnapshot, ownerHarness,
  putConsent, weekdayConsent
} from '../support/owner-harness';

const addPayload = (s: { keyId: number; publicKey: Uint8Array }) => ({ ownerKeyId: s.keyId, ownerKey: s.publicKey });

describe('lock: owner keys and the bootstrap rule', () => {
  it('a relay-signed enrolment needs install mode; the first owner key turns owner-consent mode on and drops relay-only grants', () => {
    const h = ownerHarness();
    h.trustTime();
    expect(h.send(h.command(ACT_GRANT_PUT, plainGrant({ grantId: 21 }))).code).toBe(RC_OK);
    expectRefused(h, h.command(ACT_OWNER_KEY_ADD, addPayload(OWNER)), RC_CONFIRMATION_REQUIRED);
    expect(h.status().flags & ST_OWNER_CONSENT).toBe(0);

    enterInstallMode(h);
    expect(h.send(h.command(ACT_OWNER_KEY_ADD, addPayload(OWNER))).code).toBe(RC_OK);
    expect(h.status().flags & ST_OWNER_CONSENT).toBe(ST_OWNER_CONSENT);
    expect(h.sim.lock.owner.keys.map((k) => k.id)).toEqual([OWNER.keyId]);
    expect(h.status().held).toEqual([]); // grant 21 was never checked against the owner

    h.reboot();
    expect(h.sim.lock.owner.mode).toBe(1);
    expect(h.sim.lock.owner.keys.map((k) => k.id)).toEqual([OWNER.keyId]);
  });

  it('a key whose id does not match, or that is not a valid point, is refused', () => {
    const h = ownerHarness();
    h.trustTime();
    enterInstallMode(h);
    expect(h.send(h.command(ACT_OWNER_KEY_ADD, { ownerKeyId: OWNER.keyId + 1, ownerKey: OWNER.publicKey })).code).toBe(60); // BAD_KEY
    const smallOrder = fromHex('0100000000000000000000000000000000000000000000000000000000000000');
    expect(h.send(h.command(ACT_OWNER_KEY_ADD, { ownerKeyId: 0, ownerKey: smallOrder })).code).toBe(60);
    expect(h.sim.lock.owner.keys).toEqual([]);
    expect(h.sim.lock.owner.mode).toBe(0);
  });

  it('a further owner device is enrolled with an enrolled owner key signature, without install mode', () => {
    const h = consentLock();
    expectRefused(h, h.command(ACT_OWNER_KEY_ADD, addPayload(OWNER_2)), RC_CONFIRMATION_REQUIRED);
    expect(h.send(h.wrap(h.statement(OWNER, ACT_OWNER_KEY_ADD, addPayload(OWNER_2)))).code).toBe(RC_OK);
    expect(h.sim.lock.owner.keys.map((k) => k.id)).toEqual([OWNER.keyId, OWNER_2.keyId]);
    // OWNER_2 removes OWNER; the last key is kept while owner-consent mode is on.
    expect(h.send(h.wrap(h.statement(OWNER_2, ACT_OWNER_KEY_REMOVE, { ownerKeyId: OWNER.keyId }))).code).toBe(RC_OK);
    expectRefused(h, h.wrap(h.statement(OWNER, ACT_CONSENT_MODE_SET, { on: 0 })), RC_UNKNOWN_OWNER_KEY);
    expectRefused(h, h.wrap(h.statement(OWNER_2, ACT_OWNER_KEY_REMOVE, { ownerKeyId: OWNER_2.keyId })), RC_LAST_OWNER_KEY, 'owner');
  });
});

describe('lock: requests in owner-consent mode', () => {
  it('downgrade: version-1 GRANT_PUT, KEY_ROTATE and direct UNLOCK with a valid relay signature are refused, nothing changes', () => {
    const h = consentLock();
    const relay2 = signerFromSeed(TEST_RELAY_SEED_2);
    expectRefused(h, h.command(ACT_GRANT_PUT, plainGrant()), RC_OWNER_SIGNATURE_REQUIRED);
    expectRefused(h, h.command(ACT_KEY_ROTATE, { newKeyId: relay2.keyId, newKey: relay2.publicKey, retireKeyId: 0 }), RC_OWNER_SIGNATURE_REQUIRED);
    expectRefused(h, h.command(ACT_UNLOCK, unlockPayload()), RC_OWNER_SIGNATURE_REQUIRED);
    for (const action of [ACT_OWNER_KEY_REMOVE, ACT_CONSENT_MODE_SET, ACT_CONSENT_PUT, ACT_CONSENT_REMOVE]) {
      const payload = action === ACT_OWNER_KEY_REMOVE ? { ownerKeyId: OWNER.keyId } : action === ACT_CONSENT_MODE_SET ? { on: 0 }
        : action === ACT_CONSENT_PUT ? weekdayConsent() : { consentId: 1 };
      expectRefused(h, h.command(action, payload), RC_OWNER_SIGNATURE_REQUIRED);
    }
    // Taking access away still works on the relay's word.
    expect(h.send(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 })).code).toBe(RC_OK);
  });

  it('the same requests signed by the owner over their exact bytes are carried out', () => {
    const h = consentLock();
    const relay2 = signerFromSeed(TEST_RELAY_SEED_2);
    expect(h.send(h.wrap(h.statement(OWNER, ACT_GRANT_PUT, plainGrant({ grantId: 22 })))).code).toBe(RC_OK);
    expect(h.status().held.map((g) => g.grantId)).toEqual([22]);
    expect(h.send(h.wrap(h.statement(OWNER, ACT_KEY_ROTATE, { newKeyId: relay2.keyId, newKey: relay2.publicKey, retireKeyId: 0 }))).code).toBe(RC_OK);
    expect(h.sim.lock.config!.keys).toHaveLength(2);
    expect(h.send(h.wrap(h.statement(OWNER, ACT_UNLOCK, unlockPayload()))).code).toBe(RC_OK);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    // A relay-signed unlock naming the owner-signed grant uses it.
    h.send(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    expect(h.send(h.command(ACT_UNLOCK, unlockPayload({ grantId: 22 }))).code).toBe(RC_OK);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
  });

  it('refuses a bad owner statement with its code and changes nothing', () => {
    const h = consentLock();
    const stranger = signerFromSeed(new Uint8Array(32).fill(9));
    expectRefused(h, h.wrap(h.statement(stranger, ACT_GRANT_PUT, plainGrant())), RC_UNKNOWN_OWNER_KEY);
    const st = h.statement(OWNER, ACT_GRANT_PUT, plainGrant());
    const forged = { ...st, signature: new Uint8Array(st.signature) };
    forged.signature[5] ^= 0x20;
    expectRefused(h, h.wrap(forged), RC_BAD_OWNER_SIGNATURE);
    // The statement signed by the owner, but over other grant bytes than the ones carried.
    const other = h.statement(OWNER, ACT_GRANT_PUT, plainGrant({ maxUses: 9 }));
    const swapped = { ...other, signed: st.signed };
    expectRefused(h, h.wrap(swapped), RC_BAD_OWNER_SIGNATURE);
    expectRefused(h, h.wrap(h.statement(OWNER, ACT_GRANT_PUT, plainGrant(), { notAfter: T0 - 1 })), RC_OWNER_EXPIRED);
    expectRefused(h, h.wrap(h.statement(OWNER, ACT_GRANT_PUT, plainGrant(), { deviceId: fromHex('0123456789abcdee') })), RC_WRONG_DEVICE);
    expectRefused(h, h.wrap(h.statement(OWNER, ACT_TIME_SET, { time: T0 + 5000 })), RC_NOT_OWNER_ACTION);
    // Replays: the same statement in a new relay command, and an old sequence number.
    expect(h.send(h.wrap(st)).code).toBe(RC_OK);
    expectRefused(h, h.wrap(st), RC_OWNER_REPLAY);
    expectRefused(h, h.wrap(h.statement(OWNER, ACT_UNLOCK, unlockPayload(), { seq: st.seq })), RC_OWNER_REPLAY);
  });

  it('owner-consent mode is switched off only by the owner; then relay-only grants work again', () => {
    const h = consentLock();
    expect(h.send(h.wrap(h.statement(OWNER, ACT_CONSENT_MODE_SET, { on: 0 }))).code).toBe(RC_OK);
    expect(h.status().flags & ST_OWNER_CONSENT).toBe(0);
    expect(h.send(h.command(ACT_GRANT_PUT, plainGrant({ grantId: 23 }))).code).toBe(RC_OK);
    // Back on: the relay-only grant is dropped.
    expect(h.send(h.wrap(h.statement(OWNER, ACT_CONSENT_MODE_SET, { on: 1 }))).code).toBe(RC_OK);
    expect(h.status().flags & ST_OWNER_CONSENT).toBe(ST_OWNER_CONSENT);
    expect(h.status().held).toEqual([]);
  });
});

describe('lock: standing consents', () => {
  it('stages a relay-signed grant inside the consent, and the courier enters once', () => {
    const h = consentLock();
    putConsent(h);
    expect(h.send(consentedPut(h, courierGrant())).code).toBe(RC_OK);
    expect(h.send(h.command(ACT_UNLOCK, unlockPayload({ grantId: 40 }))).code).toBe(RC_OK);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    h.send(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    expectRefused(h, h.command(ACT_UNLOCK, unlockPayload({ grantId: 40 })), RC_USES_EXHAUSTED, 'relay');
    // Re-staging the used grant would reset its uses: refused.
    expectRefused(h, consentedPut(h, courierGrant()), RC_NOT_PERMITTED, 'relay');
  });

  it('refuses grants outside the consent, and those it does not know', () => {
    const h = consentLock();
    putConsent(h);
    expectRefused(h, consentedPut(h, courierGrant(), 2), RC_UNKNOWN_CONSENT, 'relay');
    expectRefused(h, consentedPut(h, courierGrant(), 1, PARTNER + 1), RC_OUTSIDE_CONSENT, 'relay');
    expectRefused(h, consentedPut(h, courierGrant({ flags: 0 })), RC_OUTSIDE_CONSENT, 'relay');
    expectRefused(h, consentedPut(h, courierGrant({ kind: GRANT_GUEST })), RC_OUTSIDE_CONSENT, 'relay');
    expectRefused(h, consentedPut(h, courierGrant({ maxUses: 0 })), RC_OUTSIDE_CONSENT, 'relay');
    // 08:00-09:00 local, before the window; and Saturday.
    expectRefused(h, consentedPut(h, courierGrant({ notBefore: T0 - 3600, notAfter: T0 })), RC_OUTSIDE_CONSENT, 'relay');
    expectRefused(h, consentedPut(h, courierGrant({ notBefore: T0 + 86400, notAfter: T0 + 86400 + 3600 })), RC_OUTSIDE_CONSENT, 'relay');
  });

  it('counts entries per week with counters that survive a reboot, and a re-signed consent does not reset them', () => {
    const h = consentLock();
    putConsent(h, weekdayConsent({ maxPerWeek: 2 }));
    expect(h.send(consentedPut(h, courierGrant({ grantId: 41 }))).code).toBe(RC_OK);
    expect(h.send(consentedPut(h, courierGrant({ grantId: 42, notBefore: T0 + 3600, notAfter: T0 + 7200 }))).code).toBe(RC_OK);
    expectRefused(h, consentedPut(h, courierGrant({ grantId: 43 })), RC_CONSENT_EXHAUSTED, 'relay');
    h.reboot();
    h.trustTime();
    expectRefused(h, consentedPut(h, courierGrant({ grantId: 43 })), RC_CONSENT_EXHAUSTED, 'relay');
    putConsent(h, weekdayConsent({ maxPerWeek: 2, notAfter: T0 + 30 * 86400 }));
    expectRefused(h, consentedPut(h, courierGrant({ grantId: 43 })), RC_CONSENT_EXHAUSTED, 'relay');
    // Next Monday has its own count.
    const monday = T0 + 3 * 86400;
    expect(h.send(consentedPut(h, courierGrant({ grantId: 44, notBefore: monday, notAfter: monday + 3600 }))).code).toBe(RC_OK);
    // A removed consent admits nothing.
    expect(h.send(h.wrap(h.statement(OWNER, ACT_CONSENT_REMOVE, { consentId: 1 }))).code).toBe(RC_OK);
    expectRefused(h, consentedPut(h, courierGrant({ grantId: 45, notBefore: monday, notAfter: monday + 3600 })), RC_UNKNOWN_CONSENT, 'relay');
  });
});

describe('lock: physical recovery', () => {
  it('a 15 s hold in install mode forgets owner keys, consents and the mode; a new owner device enrols after it', () => {
    const h = consentLock();
    putConsent(h);
    // Without install mode a 15 s hold only enters install mode; a second 5 s hold only extends it.
    holdForOwnerReset(h);
    expect(h.sim.lock.installUntil).toBeGreaterThan(h.sim.lock.ports.timers.millis());
    enterInstallMode(h);
    expect(h.sim.lock.owner.mode).toBe(1);
    expect(h.sim.lock.owner.keys).toHaveLength(1);
    expect(h.events(EV_ALARM).map((e) => e.code)).not.toContain(AL_OWNER_RESET);
    const before = lockSnapshot(h);
    holdForOwnerReset(h); // the recovery, while in install mode
    expect(h.events(EV_ALARM).map((e) => e.code)).toContain(AL_OWNER_RESET);
    expect(h.sim.lock.owner.mode).toBe(0);
    expect(h.sim.lock.owner.keys).toEqual([]);
    expect(h.sim.lock.owner.consents).toEqual([]);
    expect(h.status().flags & ST_OWNER_CONSENT).toBe(0);
    expect(lockSnapshot(h).grants).toEqual(before.grants);
    h.reboot();
    h.trustTime();
    expect(h.sim.lock.owner.mode).toBe(0);
    enterInstallMode(h);
    expect(h.send(h.command(ACT_OWNER_KEY_ADD, addPayload(OWNER_2))).code).toBe(RC_OK);
    expect(h.sim.lock.owner.mode).toBe(1);
  });
});

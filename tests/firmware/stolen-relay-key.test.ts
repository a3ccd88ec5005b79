/**
 * The stolen relay key (docs/protocol.md §11): an attacker holds the relay's signing key and can
 * publish anything on the lock's command topic. With the lock in owner-consent mode and one
 * standing consent (courier partner 31, weekdays 09:00-18:00 at UTC+1, camera, 2 a week), every
 * attempt to open the door, stage access or take over the lock outside what the owner signed is
 * refused by the lock itself, and the lock's state stays as it was. Inside the consent the
 * attacker gets no more than the owner allowed: one entry per staged grant, 2 a week.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_ALARM_CLEAR, ACT_CONSENT_MODE_SET, ACT_CONSENT_PUT, ACT_CONSENT_REMOVE, ACT_GRANT_PUT, ACT_KEY_ROTATE, ACT_LOCK, ACT_OWNER_KEY_ADD,
  ACT_OWNER_KEY_REMOVE, ACT_OWNER_SIGNED, ACT_OWNER_TIME, ACT_TIME_SET, ACT_UNLATCH, ACT_UNLOCK, AL_CLOCK_SKEW, BOLT_LOCKED, EV_ALARM, EV_OPERATION, FLAG_CAMERA_REQUIRED, GRANT_GUEST, GRANT_SERVICE,
  RC_BAD_OWNER_SIGNATURE, RC_CLOCK_SKEW, RC_CONFIRMATION_REQUIRED, RC_OUTSIDE_WINDOW, RC_CONSENT_EXHAUSTED, RC_OK, RC_OUTSIDE_CONSENT, RC_OWNER_REPLAY, RC_OWNER_SIGNATURE_REQUIRED,
  RC_OWNER_TIME_REQUIRED, RC_STALE_NONCE, RC_UNKNOWN_GRANT, RC_UNKNOWN_OWNER_KEY, attachOwnerSignature, buildHashChain, decodeOwnerStatement, encodeOwnerStatementBody, encodePayload
} from '@keyway/shared';
import { signCommand, signOwnerStatement, signerFromSeed } from '@keyway/shared/node';
import { TIME_STEP_BASE_S } from '@keyway/firmware';
import { DEVICE_ID, T0, plainGrant, reveal, unlockPayload } from '../support/lock-harness';
import { OWNER, PARTNER, consentLock, consentedPut, courierGrant, expectRefused, ownerTime, putConsent, weekdayConsent } from '../support/owner-harness';

const HOUR = 3600;
const attackerOwnerKey = signerFromSeed(new Uint8Array(32).fill(0x66));
const attackerRelayKey = signerFromSeed(new Uint8Array(32).fill(0x67));

describe('a stolen relay key cannot open a door beyond the owner\'s consent', () => {
  it('refuses every grant, unlock, rotation, owner-key and mode change the owner did not sign', () => {
    // h.command signs with the relay's real key: the attacker holds it.
    const h = consentLock();
    putConsent(h, weekdayConsent({ maxPerWeek: 2 }));
    const opens = () => h.events(EV_OPERATION).filter((e) => e.code === RC_OK && e.data[0] !== ACT_LOCK).length;
    const opensBefore = opens();

    // Direct unlocks and unlatches, with and without the camera flag.
    expectRefused(h, h.command(ACT_UNLOCK, unlockPayload()), RC_OWNER_SIGNATURE_REQUIRED);
    expectRefused(h, h.command(ACT_UNLATCH, unlockPayload({ relockAfter: 5 })), RC_OWNER_SIGNATURE_REQUIRED);
    expectRefused(h, h.command(ACT_UNLOCK, unlockPayload({ flags: FLAG_CAMERA_REQUIRED })), RC_OWNER_SIGNATURE_REQUIRED);
    // A plain version-1 grant for a guest, and then an unlock or a reveal naming it.
    expectRefused(h, h.command(ACT_GRANT_PUT, plainGrant({ grantId: 70, kind: GRANT_GUEST })), RC_OWNER_SIGNATURE_REQUIRED);
    expectRefused(h, h.command(ACT_UNLOCK, unlockPayload({ grantId: 70 })), RC_UNKNOWN_GRANT, 'relay');
    // Rotating the relay key to one the attacker keeps after the breach is noticed.
    expectRefused(h, h.command(ACT_KEY_ROTATE, { newKeyId: attackerRelayKey.keyId, newKey: attackerRelayKey.publicKey, retireKeyId: 0 }),
      RC_OWNER_SIGNATURE_REQUIRED);
    // Taking over the owner role: enrol its own owner key, drop the owner's, switch consent off, widen the consent.
    expectRefused(h, h.command(ACT_OWNER_KEY_ADD, { ownerKeyId: attackerOwnerKey.keyId, ownerKey: attackerOwnerKey.publicKey }), RC_CONFIRMATION_REQUIRED);
    expectRefused(h, h.command(ACT_OWNER_KEY_REMOVE, { ownerKeyId: OWNER.keyId }), RC_OWNER_SIGNATURE_REQUIRED);
    expectRefused(h, h.command(ACT_CONSENT_MODE_SET, { on: 0 }), RC_OWNER_SIGNATURE_REQUIRED);
    expectRefused(h, h.command(ACT_CONSENT_PUT, weekdayConsent({ maxPerWeek: 255, schedule: [{ days: 127, start: 0, end: 1440 }] })),
      RC_OWNER_SIGNATURE_REQUIRED);
    expectRefused(h, h.command(ACT_CONSENT_REMOVE, { consentId: 1 }), RC_OWNER_SIGNATURE_REQUIRED);
    // Owner statements the attacker signs itself: with its own key, and under the owner's key id.
    const own = (action: number, payload: unknown) =>
      signOwnerStatement(attackerOwnerKey, { deviceId: DEVICE_ID, seq: 1000, notAfter: T0 + 3600, action, payload });
    expectRefused(h, h.wrap(own(ACT_UNLOCK, unlockPayload())), RC_UNKNOWN_OWNER_KEY);
    const body = encodeOwnerStatementBody({
      deviceId: DEVICE_ID, ownerKeyId: OWNER.keyId, seq: 1001, notAfter: T0 + 3600, action: ACT_CONSENT_MODE_SET,
      payload: encodePayload(ACT_CONSENT_MODE_SET, { on: 0 })
    });
    const posing = decodeOwnerStatement(attachOwnerSignature(body, attackerOwnerKey.sign(body)));
    expectRefused(h, h.wrap(posing), RC_BAD_OWNER_SIGNATURE);
    // Consented grants outside the bounds the owner signed.
    const sat = T0 + 86400;
    for (const g of [
      courierGrant({ grantId: 71, notBefore: sat, notAfter: sat + 3600 }), // Saturday
      courierGrant({ grantId: 72, notBefore: T0 - 7200, notAfter: T0 }), // 07:00-09:00 local
      courierGrant({ grantId: 73, notBefore: T0, notAfter: T0 + 10 * 3600 }), // runs past 18:00
      courierGrant({ grantId: 74, flags: 0 }), // no camera
      courierGrant({ grantId: 75, maxUses: 0 }), // unlimited entries
      courierGrant({ grantId: 76, kind: GRANT_GUEST }),
      courierGrant({ grantId: 77, kind: GRANT_SERVICE })
    ]) expectRefused(h, consentedPut(h, g), RC_OUTSIDE_CONSENT, 'relay');
    expectRefused(h, consentedPut(h, courierGrant({ grantId: 78 }), 1, PARTNER + 1), RC_OUTSIDE_CONSENT, 'relay');
    // Clearing alarms or a lockout is allowed, and opens nothing.
    expect(h.send(h.command(ACT_ALARM_CLEAR, { alarm: 0 })).code).toBe(RC_OK);

    expect(opens()).toBe(opensBefore);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    expect(h.sim.lock.owner.mode).toBe(1);
    expect(h.sim.lock.owner.keys.map((k) => k.id)).toEqual([OWNER.keyId]);
  });

  it('cannot move the lock\'s clock into a consent window the real time is outside of, in small steps or after a reboot', () => {
    // Real time: Friday 07:00 local (UTC+1), two hours before the consent's 09:00. The grant for
    // 09:00-10:00 lies inside the consent, so the lock stages it; it only opens once its window has come.
    const early = T0 - 2 * HOUR;
    const h = consentLock({}, early);
    putConsent(h, weekdayConsent({ maxPerWeek: 2 }));
    expect(h.send(consentedPut(h, courierGrant({ grantId: 100 }))).code).toBe(RC_OK);
    const open = () => h.command(ACT_UNLOCK, unlockPayload({ grantId: 100 }));
    expectRefused(h, open(), RC_OUTSIDE_WINDOW, 'relay');
    /** The real time: the clock so far, untouched since it was trusted, plus the monotonic time since. */
    const startMs = h.sim.lock.ports.timers.millis();
    const startRtc = h.sim.lock.ports.clock.rtc();
    const reckoned = () => startRtc + (h.sim.lock.ports.timers.millis() - startMs) / 1000;
    const setClock = (time: number) => h.send(signCommand(h.signer, {
      deviceId: DEVICE_ID, action: ACT_TIME_SET, payload: { time }, notBefore: h.now() - 60, notAfter: h.now() + 60, counter: ++h.counter, nonce: h.status().nonce
    })).code;

    // Straight to 09:01, and a 50-minute step that a version-1 lock takes (under its 1-hour jump limit).
    expect(setClock(T0 + 60)).toBe(RC_CLOCK_SKEW);
    expect(setClock(h.now() + 50 * 60)).toBe(RC_CLOCK_SKEW);
    // Walking in steps each under a minute: one correction passes, then the anchor holds the rest back.
    const answers: number[] = [];
    for (let i = 0; i < 20; i++) answers.push(setClock(h.now() + TIME_STEP_BASE_S - 1));
    expect(answers[0]).toBe(RC_OK);
    expect(answers.slice(1).every((c) => c === RC_CLOCK_SKEW)).toBe(true);
    expect(Math.abs(h.now() - reckoned())).toBeLessThanOrEqual(TIME_STEP_BASE_S + 1);
    expectRefused(h, open(), RC_OUTSIDE_WINDOW, 'relay');
    expect(h.events(EV_ALARM).filter((e) => e.code === AL_CLOCK_SKEW).length).toBeGreaterThanOrEqual(21);

    // After a reboot the lock has no reckoning, but its log says what time it has seen: never back before that.
    const seen = h.now();
    h.reboot();
    h.run(3000);
    expect(h.sim.lock.timeTrusted).toBe(false);
    expect(setClock(seen - HOUR)).toBe(RC_CLOCK_SKEW);
    expect(h.sim.lock.timeTrusted).toBe(false);
    expect(setClock(seen + 5)).toBe(RC_OK);
    expectRefused(h, open(), RC_OWNER_TIME_REQUIRED, 'relay');
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('after a reboot, a clock the relay alone sets forward into a consent window opens nothing until an owner device confirms the time', () => {
    // Real time: Friday 07:00 local, two hours before the consented grant's 09:00-10:00 window.
    const early = T0 - 2 * HOUR;
    const h = consentLock({}, early);
    putConsent(h, weekdayConsent({ maxPerWeek: 2 }));
    expect(h.send(consentedPut(h, courierGrant({ grantId: 110 }))).code).toBe(RC_OK);
    const open = () => h.command(ACT_UNLOCK, unlockPayload({ grantId: 110 }));
    const reveal110 = () => {
      h.deliver(reveal(110, buildHashChain(new Uint8Array(32).fill(3), DEVICE_ID, 110, 1)[0]));
      h.run(3000);
    };
    const entries = () => h.events(EV_OPERATION).filter((e) => e.code === RC_OK && e.data[0] !== ACT_LOCK).length;
    const before = entries();
    const realAtReboot = h.now();
    const realMs = h.sim.lock.ports.timers.millis();
    h.reboot();
    h.run(3000);
    const real = () => realAtReboot + Math.round((h.sim.lock.ports.timers.millis() - realMs) / 1000);
    // The thief waited for the power cut and sets the clock to 09:01: the floor of the log allows it.
    const stolenSet = signCommand(h.signer, {
      deviceId: DEVICE_ID, action: ACT_TIME_SET, payload: { time: T0 + 60 }, notBefore: T0, notAfter: T0 + 120, counter: ++h.counter, nonce: h.status().nonce
    });
    expect(h.send(stolenSet).code).toBe(RC_OK);
    expect(h.sim.lock.timeTrusted).toBe(true);
    // Neither a relay-signed unlock nor the at-door reveal opens the grant: the owner has not confirmed the time.
    expectRefused(h, open(), RC_OWNER_TIME_REQUIRED, 'relay');
    reveal110();
    expect(entries()).toBe(before);
    expect(h.sim.lock.grants.slots.some((g) => g !== null && g.grant.grantId === 110 && g.uses === 0)).toBe(true);
    // The thief cannot make the owner's confirmation: not relay-signed alone, not with a stale challenge, not with its own key.
    const challenge = h.status().nonce;
    expectRefused(h, h.command(ACT_OWNER_TIME, { time: T0 + 60, nonce: challenge }, { nonce: challenge }), RC_OWNER_SIGNATURE_REQUIRED);
    expectRefused(h, ownerTime(h, T0 + 60, attackerOwnerKey), RC_UNKNOWN_OWNER_KEY);
    // An owner confirmation made before this boot (held back by the thief) names an old challenge.
    expectRefused(h, h.command(ACT_OWNER_SIGNED, h.statement(OWNER, ACT_OWNER_TIME, { time: T0 + 60, nonce: new Uint8Array(8).fill(9) })), RC_STALE_NONCE);
    expectRefused(h, open(), RC_OWNER_TIME_REQUIRED, 'relay');
    // The owner page opens and confirms the real time: the clock goes back to 07:00, and the CLOCK_SKEW alarm tells the owner.
    const alarms = h.events(EV_ALARM).filter((e) => e.code === AL_CLOCK_SKEW).length;
    expect(h.send(ownerTime(h, real())).code).toBe(RC_OK);
    expect(Math.abs(h.now() - real())).toBeLessThanOrEqual(2);
    expect(h.events(EV_ALARM).filter((e) => e.code === AL_CLOCK_SKEW).length).toBe(alarms + 1);
    expectRefused(h, open(), RC_OUTSIDE_WINDOW, 'relay');
    // From now on the relay alone is held to the owner's anchor again.
    expect(h.send(signCommand(h.signer, {
      deviceId: DEVICE_ID, action: ACT_TIME_SET, payload: { time: T0 + 60 }, notBefore: h.now() - 60, notAfter: h.now() + 60, counter: ++h.counter, nonce: h.status().nonce
    })).code).toBe(RC_CLOCK_SKEW);
    expectRefused(h, open(), RC_OUTSIDE_WINDOW, 'relay');
    expect(entries()).toBe(before);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('an honest lock after a reboot: the relay sets the time, the owner page confirms it once, and the delivery inside the consent opens', () => {
    const h = consentLock();
    putConsent(h, weekdayConsent({ maxPerWeek: 2 }));
    expect(h.send(consentedPut(h, courierGrant({ grantId: 120 }))).code).toBe(RC_OK);
    h.reboot();
    h.run(3000);
    expect(h.sim.lock.ownerTimePending).toBe(true);
    // An owner confirmation may come first, before the relay's TIME_SET: it is what gives the lock time then.
    expect(h.send(ownerTime(h, T0 + 5)).code).toBe(RC_OK);
    expect(h.sim.lock.timeTrusted).toBe(true);
    expect(h.sim.lock.ownerTimePending).toBe(false);
    expect(h.send(h.command(ACT_UNLOCK, unlockPayload({ grantId: 120, flags: FLAG_CAMERA_REQUIRED }))).code).toBe(RC_OK);
    // The same statement again is a replay; a confirmation is not needed again until the next reboot.
    expect(h.sim.lock.ownerTimePending).toBe(false);
  });

  it('replays of what the owner once signed buy nothing more', () => {
    const h = consentLock();
    // The owner once unlocked the door directly and once staged a guest grant.
    const unlock = h.statement(OWNER, ACT_UNLOCK, unlockPayload());
    expect(h.send(h.wrap(unlock)).code).toBe(RC_OK);
    h.send(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    const grant = h.statement(OWNER, ACT_GRANT_PUT, plainGrant({ grantId: 80, maxUses: 1 }));
    expect(h.send(h.wrap(grant)).code).toBe(RC_OK);
    expect(h.send(h.command(ACT_UNLOCK, unlockPayload({ grantId: 80 }))).code).toBe(RC_OK);
    h.send(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    // The attacker captured both statements and sends them again in fresh relay commands.
    expectRefused(h, h.wrap(unlock), RC_OWNER_REPLAY);
    expectRefused(h, h.wrap(grant), RC_OWNER_REPLAY);
    expectRefused(h, h.command(ACT_OWNER_SIGNED, unlock, { counter: h.counter + 40 }), RC_OWNER_REPLAY);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('inside the consent, the attacker gets at most what the owner allowed: one entry per grant, two a week', () => {
    const h = consentLock();
    putConsent(h, weekdayConsent({ maxPerWeek: 2 }));
    const entries = () => h.events(EV_OPERATION).filter((e) => e.code === RC_OK && e.data[0] === ACT_UNLOCK).length;
    const before = entries();
    for (let id = 90; id < 96; id++) {
      const put = h.send(consentedPut(h, courierGrant({ grantId: id })));
      if (put.code !== RC_OK) {
        expect(put.code).toBe(RC_CONSENT_EXHAUSTED);
        continue;
      }
      for (let tries = 0; tries < 3; tries++) {
        h.send(h.command(ACT_UNLOCK, unlockPayload({ grantId: id })));
        h.send(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
      }
      // The grant's at-door reveal (the chain's one link): its one use is already spent.
      h.deliver(reveal(id, buildHashChain(new Uint8Array(32).fill(3), DEVICE_ID, id, 1)[0]));
      h.run(3000);
    }
    expect(entries() - before).toBe(2);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });
});

// Standing consent rules (docs/protocol.md §11.5): which grants lie inside a consent, and the
// lock's per-week entry counters, including the attempts a relay could make to reset them.
import { describe, expect, it } from 'vitest';
import {
  CONSENT_CAMERA_REQUIRED, CRED_NONE, FLAG_CAMERA_REQUIRED, GRANT_COURIER, GRANT_GUEST, RC_CONSENT_EXHAUSTED, RC_OK, RC_OUTSIDE_CONSENT,
  consentWeek, countConsentEntry, grantWithinConsent, type Consent, type ConsentCounters, type Grant
} from '@keyway/shared';

// Monday 2027-01-18 00:00 UTC.
const MONDAY = 1_800_230_400;
const H = 3600;
const consent: Consent = {
  consentId: 1, kind: GRANT_COURIER, partner: 31, flags: CONSENT_CAMERA_REQUIRED, maxPerWeek: 2, notAfter: MONDAY + 30 * 86400, tzOffset: 60,
  schedule: [{ days: 0b0011111, start: 9 * 60, end: 18 * 60 }]
};

function grant(over: Partial<Grant> = {}): Grant {
  // Monday 10:00-11:00 at UTC+1.
  return {
    grantId: 5, kind: GRANT_COURIER, flags: FLAG_CAMERA_REQUIRED, notBefore: MONDAY + 9 * H, notAfter: MONDAY + 10 * H, maxUses: 1, relockAfter: 0,
    tzOffset: 0, schedule: [], credential: { type: CRED_NONE, commitment: new Uint8Array(0), length: 0 }, actorRef: 9, ...over
  };
}

describe('grantWithinConsent', () => {
  it('accepts a one-entry camera grant inside a weekday window, up to the window edges', () => {
    expect(new Date(MONDAY * 1000).getUTCDay()).toBe(1);
    expect(grantWithinConsent(consent, 31, grant())).toBe(RC_OK);
    expect(grantWithinConsent(consent, 31, grant({ notBefore: MONDAY + 8 * H, notAfter: MONDAY + 17 * H }))).toBe(RC_OK);
  });

  it('refuses every way of stepping outside', () => {
    const out = (g: Grant, partner = 31) => expect(grantWithinConsent(consent, partner, g)).toBe(RC_OUTSIDE_CONSENT);
    out(grant(), 32); // another partner
    out(grant({ kind: GRANT_GUEST }));
    out(grant({ flags: 0 })); // no camera
    out(grant({ maxUses: 2 }));
    out(grant({ maxUses: 0 })); // unlimited
    out(grant({ notBefore: MONDAY + 8 * H - 1 })); // one second before 09:00 local
    out(grant({ notAfter: MONDAY + 17 * H + 1 })); // one second past 18:00 local
    out(grant({ notBefore: MONDAY + 5 * 86400 + 9 * H, notAfter: MONDAY + 5 * 86400 + 10 * H })); // Saturday
    out(grant({ notBefore: MONDAY + 9 * H, notAfter: MONDAY + 86400 + 10 * H })); // spans into Tuesday
    out(grant({ notBefore: MONDAY + 28 * 86400 + 9 * H, notAfter: MONDAY + 28 * 86400 + 10 * H + 86400 * 3 })); // past the consent's end
    expect(grantWithinConsent({ ...consent, notAfter: MONDAY + 9 * H + 1800 }, 31, grant())).toBe(RC_OUTSIDE_CONSENT);
  });
});

describe('consent week counters', () => {
  const zero: ConsentCounters = { week0: 0, count0: 0, week1: 0, count1: 0 };
  const wk = consentWeek(MONDAY + 9 * H, 60);

  it('weeks start on Monday 00:00 local time', () => {
    expect(consentWeek(MONDAY - 3600, 60)).toBe(wk); // Monday 00:00 local is Sunday 23:00 UTC
    expect(consentWeek(MONDAY - 3601, 60)).toBe(wk - 1);
    expect(consentWeek(MONDAY + 7 * 86400 - 3601, 60)).toBe(wk);
    expect(consentWeek(MONDAY + 7 * 86400 - 3600, 60)).toBe(wk + 1);
  });

  it('counts up to the limit per week, then refuses', () => {
    let s = zero;
    for (let i = 0; i < 2; i++) {
      const r = countConsentEntry(s, wk, 2);
      expect(r.code).toBe(RC_OK);
      s = r.next;
    }
    const r = countConsentEntry(s, wk, 2);
    expect(r.code).toBe(RC_CONSENT_EXHAUSTED);
    expect(r.next).toBe(s);
  });

  it('next week does not wipe this week, and cycling future weeks never gives back a full week', () => {
    let s = zero;
    const take = (week: number) => {
      const r = countConsentEntry(s, week, 2);
      if (r.code === RC_OK) s = r.next;
      return r.code;
    };
    expect(take(wk)).toBe(RC_OK);
    expect(take(wk)).toBe(RC_OK);
    expect(take(wk + 1)).toBe(RC_OK);
    expect(take(wk)).toBe(RC_CONSENT_EXHAUSTED);
    // An attacker books further weeks to push this week out of the counters: this week is then
    // older than both pairs and refused, never counted from zero again.
    expect(take(wk + 2)).toBe(RC_OK);
    expect(take(wk)).toBe(RC_CONSENT_EXHAUSTED);
    expect(take(wk + 1)).toBe(RC_OK);
    expect(take(wk + 1)).toBe(RC_CONSENT_EXHAUSTED);
  });
});

/**
 * Standing consent rules (docs/protocol.md §11.5): whether a relay-signed grant lies inside the
 * bounds an owner signed, and the per-week entry count the lock keeps for it. Pure: the grant,
 * the consent, the lock's counters and `now` are parameters.
 */
import { RC_CONSENT_EXHAUSTED, RC_OK, RC_OUTSIDE_CONSENT } from './codes';
import { CONSENT_CAMERA_REQUIRED, FLAG_CAMERA_REQUIRED } from './protocol/constants';
import type { Grant } from './protocol/grant';
import type { Consent } from './protocol/owner';
import { localDayMinute } from './schedule';

const DAY_S = 86400;
const WEEK_S = 7 * DAY_S;
const MINUTE_S = 60;
/** 1970-01-01 was a Thursday: three days after a Monday. */
const EPOCH_WEEKDAY_FROM_MONDAY = 3;

/** Week number (Monday 00:00 local time starts a week) of `t` in the consent's UTC offset. */
export function consentWeek(t: number, tzOffset: number): number {
  return Math.floor((t + tzOffset * MINUTE_S + EPOCH_WEEKDAY_FROM_MONDAY * DAY_S) / WEEK_S);
}

/**
 * RC_OK when the grant may be staged under the consent: same kind and partner, camera flag when
 * the consent demands it, exactly one entry, ending before the consent does, and its whole
 * window inside one weekly window of the consent (on one local day).
 */
export function grantWithinConsent(c: Consent, partner: number, g: Grant): number {
  if (g.kind !== c.kind || partner !== c.partner) return RC_OUTSIDE_CONSENT;
  if ((c.flags & CONSENT_CAMERA_REQUIRED) !== 0 && (g.flags & FLAG_CAMERA_REQUIRED) === 0) return RC_OUTSIDE_CONSENT;
  if (g.maxUses !== 1) return RC_OUTSIDE_CONSENT;
  if (c.notAfter !== 0 && g.notAfter > c.notAfter) return RC_OUTSIDE_CONSENT;
  const at = localDayMinute(g.notBefore, c.tzOffset);
  const local = g.notBefore + c.tzOffset * MINUTE_S;
  const secondOfDay = local - Math.floor(local / DAY_S) * DAY_S;
  const last = secondOfDay + (g.notAfter - g.notBefore);
  for (let i = 0; i < c.schedule.length; i++) {
    const e = c.schedule[i];
    if ((e.days & (1 << at.day)) !== 0 && secondOfDay >= e.start * MINUTE_S && last <= e.end * MINUTE_S) return RC_OK;
  }
  return RC_OUTSIDE_CONSENT;
}

/**
 * The lock's entry counters for one consent: two (week, count) pairs, so next week's bookings do
 * not wipe this week's count. A week older than both pairs is refused (fail secure): a replaced
 * pair is always the older one, so no week ever counts past the consent's limit.
 */
export interface ConsentCounters {
  week0: number;
  count0: number;
  week1: number;
  count1: number;
}

export interface CountResult {
  code: number;
  next: ConsentCounters;
}

/** Counts one more entry in `week`; on RC_OK, `next` is the state to persist before staging the grant. */
export function countConsentEntry(s: ConsentCounters, week: number, maxPerWeek: number): CountResult {
  let slot = -1;
  if (s.count0 > 0 && s.week0 === week) slot = 0;
  else if (s.count1 > 0 && s.week1 === week) slot = 1;
  if (slot < 0) {
    if (s.count0 === 0) slot = 0;
    else if (s.count1 === 0) slot = 1;
    else {
      const older = s.week0 <= s.week1 ? 0 : 1;
      if (week < (older === 0 ? s.week0 : s.week1)) return { code: RC_CONSENT_EXHAUSTED, next: s };
      slot = older;
    }
    if (slot === 0) return maxPerWeek < 1 ? { code: RC_CONSENT_EXHAUSTED, next: s } : { code: RC_OK, next: { week0: week, count0: 1, week1: s.week1, count1: s.count1 } };
    return maxPerWeek < 1 ? { code: RC_CONSENT_EXHAUSTED, next: s } : { code: RC_OK, next: { week0: s.week0, count0: s.count0, week1: week, count1: 1 } };
  }
  const count = slot === 0 ? s.count0 : s.count1;
  if (count >= maxPerWeek) return { code: RC_CONSENT_EXHAUSTED, next: s };
  if (slot === 0) return { code: RC_OK, next: { week0: week, count0: count + 1, week1: s.week1, count1: s.count1 } };
  return { code: RC_OK, next: { week0: s.week0, count0: s.count0, week1: week, count1: count + 1 } };
}

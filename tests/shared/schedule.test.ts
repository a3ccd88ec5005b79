import { describe, expect, it } from 'vitest';
import { RC_OK, RC_OUTSIDE_SCHEDULE, RC_OUTSIDE_WINDOW, checkGrantTime, inSchedule, localDayMinute } from '@keyway/shared';

const utc = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const TUE = 1 << 1;
const THU = 1 << 3;
const FRI = 1 << 4;
const SAT = 1 << 5;

describe('weekly schedule', () => {
  it('knows weekdays and minutes in a UTC offset', () => {
    expect(localDayMinute(utc('2026-11-24T12:30:00Z'), 0)).toEqual({ day: 1, minute: 750 }); // Tuesday
    expect(localDayMinute(utc('2026-11-24T23:30:00Z'), 60)).toEqual({ day: 2, minute: 30 }); // Wednesday in UTC+1
    expect(localDayMinute(utc('2026-11-24T00:30:00Z'), -300)).toEqual({ day: 0, minute: 1170 }); // Monday in UTC-5
    expect(localDayMinute(utc('1970-01-01T00:00:00Z'), 0).day).toBe(3);
  });
  it('allows the dog-walker Tue/Thu 12:00-13:00 only', () => {
    const s = [{ days: TUE | THU, start: 720, end: 780 }];
    expect(inSchedule(utc('2026-11-24T12:00:00Z'), 0, s)).toBe(true);
    expect(inSchedule(utc('2026-11-24T12:59:59Z'), 0, s)).toBe(true);
    expect(inSchedule(utc('2026-11-24T13:00:00Z'), 0, s)).toBe(false);
    expect(inSchedule(utc('2026-11-25T12:30:00Z'), 0, s)).toBe(false); // Wednesday
    expect(inSchedule(utc('2026-11-26T12:30:00Z'), 0, s)).toBe(true); // Thursday
    expect(inSchedule(utc('2026-11-24T11:30:00Z'), 60, s)).toBe(true); // 12:30 in UTC+1
  });
  it('runs an overnight entry into the next day', () => {
    const s = [{ days: FRI, start: 22 * 60, end: 2 * 60 }];
    expect(inSchedule(utc('2026-11-27T23:00:00Z'), 0, s)).toBe(true); // Friday night
    expect(inSchedule(utc('2026-11-28T01:59:00Z'), 0, s)).toBe(true); // Saturday early
    expect(inSchedule(utc('2026-11-28T02:00:00Z'), 0, s)).toBe(false);
    expect(inSchedule(utc('2026-11-28T23:00:00Z'), 0, [{ days: SAT, start: 22 * 60, end: 60 }])).toBe(true);
    expect(inSchedule(utc('2026-11-27T01:00:00Z'), 0, s)).toBe(false); // Friday early is Thursday's night
  });
  it('checks the absolute window before the schedule', () => {
    const rules = { notBefore: utc('2026-11-24T00:00:00Z'), notAfter: utc('2026-12-01T00:00:00Z'), tzOffset: 0, schedule: [{ days: TUE, start: 720, end: 780 }] };
    expect(checkGrantTime(rules, utc('2026-11-24T12:10:00Z'))).toBe(RC_OK);
    expect(checkGrantTime(rules, utc('2026-11-24T14:10:00Z'))).toBe(RC_OUTSIDE_SCHEDULE);
    expect(checkGrantTime(rules, utc('2026-12-01T12:10:00Z'))).toBe(RC_OUTSIDE_WINDOW);
    expect(checkGrantTime({ ...rules, schedule: [] }, utc('2026-11-25T03:00:00Z'))).toBe(RC_OK);
    expect(checkGrantTime(rules, rules.notAfter)).toBe(RC_OUTSIDE_WINDOW);
  });
});

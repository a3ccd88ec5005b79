/**
 * Grant time rules (docs/product.md#guest-and-service-access; docs/protocol.md §4.2): the absolute window, then the
 * weekly schedule in the grant's UTC offset. Pure: `now` is Unix seconds. Entries whose
 * end is before their start run past midnight into the next day.
 */
import { RC_OK, RC_OUTSIDE_SCHEDULE, RC_OUTSIDE_WINDOW } from './codes';

export interface ScheduleRule {
  /** Bit 0 = Monday … bit 6 = Sunday. */
  days: number;
  /** Minutes after local midnight, start inclusive, end exclusive. */
  start: number;
  end: number;
}

export interface TimeRules {
  notBefore: number;
  notAfter: number;
  /** Minutes east of UTC for the schedule. */
  tzOffset: number;
  schedule: ScheduleRule[];
}

/** Monday = 0 … Sunday = 6, and minute of day, at `now` in the given UTC offset. */
export function localDayMinute(now: number, tzOffset: number): { day: number; minute: number } {
  const local = now + tzOffset * 60;
  const days = Math.floor(local / 86400);
  const minute = Math.floor((local - days * 86400) / 60);
  // 1970-01-01 was a Thursday (day 3 when Monday is 0).
  const day = (((days + 3) % 7) + 7) % 7;
  return { day: day, minute: minute };
}

export function inSchedule(now: number, tzOffset: number, schedule: ScheduleRule[]): boolean {
  if (schedule.length === 0) return true;
  const t = localDayMinute(now, tzOffset);
  const yesterday = (t.day + 6) % 7;
  for (let i = 0; i < schedule.length; i++) {
    const e = schedule[i];
    if (e.start < e.end) {
      if ((e.days & (1 << t.day)) !== 0 && t.minute >= e.start && t.minute < e.end) return true;
    } else {
      if ((e.days & (1 << t.day)) !== 0 && t.minute >= e.start) return true;
      if ((e.days & (1 << yesterday)) !== 0 && t.minute < e.end) return true;
    }
  }
  return false;
}

export function checkGrantTime(rules: TimeRules, now: number): number {
  if (now < rules.notBefore || now >= rules.notAfter) return RC_OUTSIDE_WINDOW;
  if (!inSchedule(now, rules.tzOffset, rules.schedule)) return RC_OUTSIDE_SCHEDULE;
  return RC_OK;
}

/**
 * Weekly schedules as people write them ({ days: ['tue','thu'], start: '12:00', end: '13:00' }
 * in the site's time zone) and as the grant carries them (day bit mask, minutes of day).
 */
import type { ScheduleEntry } from '@keyway/shared';
import { relayError } from '../errors';

export const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type DayName = (typeof DAY_NAMES)[number];

export interface ScheduleInput {
  days: DayName[];
  start: string;
  end: string;
}

function minutes(hhmm: string, allow24: boolean): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw relayError('KW_BAD_SCHEDULE', { value: hhmm }, 'Times are HH:MM.');
  const v = Number(m[1]) * 60 + Number(m[2]);
  if (v > 1440 || (v === 1440 && !allow24)) throw relayError('KW_BAD_SCHEDULE', { value: hhmm }, 'Times run from 00:00 to 24:00.');
  return v;
}

export function toScheduleEntries(input: ScheduleInput[]): ScheduleEntry[] {
  if (input.length > 7) throw relayError('KW_BAD_SCHEDULE', undefined, 'At most 7 schedule entries.');
  return input.map((e) => {
    let days = 0;
    for (const d of e.days) {
      const i = DAY_NAMES.indexOf(d);
      if (i < 0) throw relayError('KW_BAD_SCHEDULE', { day: d });
      days |= 1 << i;
    }
    if (days === 0) throw relayError('KW_BAD_SCHEDULE', undefined, 'A schedule entry needs at least one day.');
    const start = minutes(e.start, false);
    const end = minutes(e.end, true);
    if (start === end) throw relayError('KW_BAD_SCHEDULE', undefined, 'A schedule entry cannot start and end at the same time.');
    return { days, start, end };
  });
}

function hhmm(v: number): string {
  return String(Math.floor(v / 60)).padStart(2, '0') + ':' + String(v % 60).padStart(2, '0');
}

export function fromScheduleEntries(entries: ScheduleEntry[]): ScheduleInput[] {
  return entries.map((e) => ({ days: DAY_NAMES.filter((_, i) => (e.days & (1 << i)) !== 0), start: hhmm(e.start), end: hhmm(e.end) }));
}

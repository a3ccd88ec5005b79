import { describe, expect, it } from 'vitest';
import { isValidTimeZone, tzOffsetMinutes } from '@keyway/relay';

describe('site time zones', () => {
  it('accepts IANA zones and refuses the rest', () => {
    for (const z of ['Europe/Berlin', 'America/New_York', 'UTC', 'Asia/Kolkata']) expect(isValidTimeZone(z), z).toBe(true);
    for (const z of ['', 'Mars/Olympus', 'CET+1', 'x'.repeat(100)]) expect(isValidTimeZone(z), z).toBe(false);
  });

  it('gives the UTC offset in force, across daylight saving', () => {
    expect(tzOffsetMinutes('Europe/Berlin', Date.UTC(2026, 0, 15, 12))).toBe(60);
    expect(tzOffsetMinutes('Europe/Berlin', Date.UTC(2026, 6, 15, 12))).toBe(120);
    expect(tzOffsetMinutes('America/New_York', Date.UTC(2026, 0, 15, 12))).toBe(-300);
    expect(tzOffsetMinutes('Asia/Kolkata', Date.UTC(2026, 0, 15, 12))).toBe(330);
    expect(tzOffsetMinutes('UTC', Date.UTC(2026, 6, 1))).toBe(0);
  });
});

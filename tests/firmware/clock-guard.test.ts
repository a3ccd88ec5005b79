/**
 * The clock guard of owner-consent mode (firmware/src/clock-guard.ts, docs/sync.md): how far the
 * relay alone may set the lock's clock, from the lock's own reckoning or, after a reboot, from the
 * newest time in its log. Pure cases at the edges.
 */
import { describe, expect, it } from 'vitest';
import { TIME_DRIFT_DIVISOR, TIME_STEP_BASE_S, relayTimeAllowed } from '@keyway/firmware';

const T = 1_800_000_000;

describe('clock guard', () => {
  it('once time is trusted, allows a correction within the base step of the reckoning, and no further', () => {
    const at = (elapsedMs: number, time: number) => relayTimeAllowed(true, T, 1000, 0, 1000 + elapsedMs, time);
    expect(at(0, T + TIME_STEP_BASE_S)).toBe(true);
    expect(at(0, T - TIME_STEP_BASE_S)).toBe(true);
    expect(at(0, T + TIME_STEP_BASE_S + 1)).toBe(false);
    expect(at(0, T - TIME_STEP_BASE_S - 1)).toBe(false);
    // Ten seconds later the reckoning is T + 10: judged from there, not from the clock's current value.
    expect(at(10_000, T + 10 + TIME_STEP_BASE_S)).toBe(true);
    expect(at(10_000, T + TIME_STEP_BASE_S + 11)).toBe(false);
  });

  it('grows the allowance with the drift a real-time clock may build up since the anchor', () => {
    // After 100 × TIME_DRIFT_DIVISOR seconds (a few days) the allowance has grown by 100 s.
    const elapsedS = 100 * TIME_DRIFT_DIVISOR;
    const later = (time: number) => relayTimeAllowed(true, T, 0, 0, elapsedS * 1000, time);
    expect(later(T + elapsedS + TIME_STEP_BASE_S + 100)).toBe(true);
    expect(later(T + elapsedS + TIME_STEP_BASE_S + 101)).toBe(false);
    expect(later(T + elapsedS - TIME_STEP_BASE_S - 100)).toBe(true);
    expect(later(T + elapsedS - TIME_STEP_BASE_S - 101)).toBe(false);
  });

  it('without trusted time or an anchor, allows any time from a base step before the newest logged one', () => {
    expect(relayTimeAllowed(false, -1, 0, T, 0, T)).toBe(true);
    expect(relayTimeAllowed(false, -1, 0, T, 0, T + 30 * 86_400)).toBe(true);
    expect(relayTimeAllowed(false, -1, 0, T, 0, T - TIME_STEP_BASE_S)).toBe(true);
    expect(relayTimeAllowed(false, -1, 0, T, 0, T - TIME_STEP_BASE_S - 1)).toBe(false);
    expect(relayTimeAllowed(true, -1, 0, T, 0, T - TIME_STEP_BASE_S - 1)).toBe(false);
    expect(relayTimeAllowed(false, T, 0, 0, 0, T - 3600)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import {
  MAX_CLOCK_SKEW, RC_CLOCK_SKEW, RC_EXPIRED, RC_OK, RC_WINDOW_TOO_LONG, actionPolicy, checkValidity, ACT_UNLOCK, ACT_TIME_SET
} from '@keyway/shared';

const policy = { maxSkew: 90, maxSpan: 300 };
const now = 1_800_000_000;

describe('validity window', () => {
  it('accepts a window around now, within skew at both ends', () => {
    expect(checkValidity(now, now, now + 60, policy)).toBe(RC_OK);
    expect(checkValidity(now, now + 90, now + 150, policy)).toBe(RC_OK);
    expect(checkValidity(now, now - 150, now - 90, policy)).toBe(RC_OK);
  });
  it('reports a sender clock far ahead as CLOCK_SKEW', () => {
    expect(checkValidity(now, now + 91, now + 151, policy)).toBe(RC_CLOCK_SKEW);
    expect(checkValidity(now, now + 3600, now + 3660, policy)).toBe(RC_CLOCK_SKEW);
  });
  it('reports a window that ended as EXPIRED', () => {
    expect(checkValidity(now, now - 200, now - 91, policy)).toBe(RC_EXPIRED);
  });
  it('refuses inverted or over-long windows', () => {
    expect(checkValidity(now, now, now + 301, policy)).toBe(RC_WINDOW_TOO_LONG);
    expect(checkValidity(now, now + 10, now, policy)).toBe(RC_WINDOW_TOO_LONG);
  });
  it('has a policy per action and none for unknown actions', () => {
    expect(actionPolicy(ACT_UNLOCK)!.maxSpan).toBe(300);
    expect(actionPolicy(ACT_UNLOCK)!.maxSkew).toBe(MAX_CLOCK_SKEW);
    expect(actionPolicy(ACT_TIME_SET)!.nonceRequired).toBe(true);
    expect(actionPolicy(0x7f)).toBeNull();
  });
});

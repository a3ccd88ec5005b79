import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RC_OK, RC_REPLAY, REPLAY_WINDOW, checkReplay, initialReplayState, type ReplayState } from '@keyway/shared';

function accept(state: ReplayState, counter: number): ReplayState {
  const r = checkReplay(state, counter);
  expect(r.code).toBe(RC_OK);
  return r.next;
}

describe('replay window', () => {
  it('accepts increasing counters and refuses repeats and zero', () => {
    let s = initialReplayState();
    expect(checkReplay(s, 0).code).toBe(RC_REPLAY);
    s = accept(s, 1);
    expect(checkReplay(s, 1).code).toBe(RC_REPLAY);
    s = accept(s, 2);
    s = accept(s, 10);
    expect(checkReplay(s, 10).code).toBe(RC_REPLAY);
    expect(checkReplay(s, 2).code).toBe(RC_REPLAY);
    expect(checkReplay(s, 1).code).toBe(RC_REPLAY);
  });

  it('accepts a late counter inside the window exactly once', () => {
    let s = accept(initialReplayState(), 5);
    s = accept(s, 9);
    s = accept(s, 7);
    expect(checkReplay(s, 7).code).toBe(RC_REPLAY);
    s = accept(s, 6);
    s = accept(s, 8);
    expect(checkReplay(s, 5).code).toBe(RC_REPLAY);
  });

  it('refuses anything older than the window', () => {
    let s = accept(initialReplayState(), 100);
    expect(checkReplay(s, 100 - REPLAY_WINDOW).code).toBe(RC_OK);
    expect(checkReplay(s, 100 - REPLAY_WINDOW - 1).code).toBe(RC_REPLAY);
    s = accept(s, 100 + REPLAY_WINDOW); // old high sits at the very edge of the mask
    expect(checkReplay(s, 100).code).toBe(RC_REPLAY);
    expect(checkReplay(s, 101).code).toBe(RC_OK);
    s = accept(s, 1000);
    expect(checkReplay(s, 100 + REPLAY_WINDOW).code).toBe(RC_REPLAY);
  });

  it('refuses non-integers and counters beyond u32', () => {
    const s = accept(initialReplayState(), 3);
    expect(checkReplay(s, 3.5).code).toBe(RC_REPLAY);
    expect(checkReplay(s, 2 ** 32).code).toBe(RC_REPLAY);
    expect(checkReplay(s, -1).code).toBe(RC_REPLAY);
  });

  it('never accepts a counter twice, whatever the arrival order (model check)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 200 }), (arrivals) => {
      let s = initialReplayState();
      const accepted = new Set<number>();
      for (const c of arrivals) {
        const r = checkReplay(s, c);
        if (r.code === RC_OK) {
          expect(accepted.has(c)).toBe(false);
          accepted.add(c);
          s = r.next;
        } else {
          // Refused only if seen before or older than the window.
          expect(accepted.has(c) || c <= s.high - REPLAY_WINDOW - 1 || c === s.high).toBe(true);
        }
      }
    }), { numRuns: 500 });
  });
});

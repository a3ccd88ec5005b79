/**
 * Replay window (docs/product.md#security-properties; docs/protocol.md §3.3), after Tesla's vehicle-command: the lock
 * keeps the highest counter it accepted and a 32-bit mask of which of the 32 counters
 * below it were seen, so commands may arrive out of order (relay resends) but never twice.
 * Pure: takes and returns state; the caller persists the new state before acting.
 */
import { RC_OK, RC_REPLAY } from './codes';

export const REPLAY_WINDOW = 32;

export interface ReplayState {
  /** Highest accepted counter (0 before the first command). */
  high: number;
  /** Bit i set: counter high - 1 - i was accepted. Unsigned 32-bit. */
  mask: number;
}

export interface ReplayResult {
  code: number;
  next: ReplayState;
}

export function initialReplayState(): ReplayState {
  return { high: 0, mask: 0 };
}

/** Checks `counter` against the state; on RC_OK, `next` is the state to persist. */
export function checkReplay(state: ReplayState, counter: number): ReplayResult {
  if (counter < 1 || counter > 0xffffffff || counter !== Math.floor(counter)) return { code: RC_REPLAY, next: state };
  if (counter > state.high) {
    const shift = counter - state.high;
    let mask: number;
    if (state.high === 0) mask = 0;
    else if (shift > REPLAY_WINDOW) mask = 0;
    else if (shift === REPLAY_WINDOW) mask = 1 << (REPLAY_WINDOW - 1);
    else mask = ((state.mask << shift) | (1 << (shift - 1))) >>> 0;
    return { code: RC_OK, next: { high: counter, mask: mask >>> 0 } };
  }
  const back = state.high - counter;
  if (back === 0 || back > REPLAY_WINDOW) return { code: RC_REPLAY, next: state };
  const bit = (1 << (back - 1)) >>> 0;
  if ((state.mask & bit) !== 0) return { code: RC_REPLAY, next: state };
  return { code: RC_OK, next: { high: state.high, mask: (state.mask | bit) >>> 0 } };
}

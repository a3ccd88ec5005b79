/**
 * How far the relay alone may set the lock's clock in owner-consent mode (docs/protocol.md §11.3,
 * docs/sync.md "Trusted time under owner consent"). The weekly windows of a consent and every
 * grant's window are judged by the lock's clock, so a relay-signed TIME_SET must not be able to
 * move the clock into a window the real time is outside of:
 *
 * - Once time is trusted in this boot, the clock may only be corrected towards where the lock's
 *   own monotonic clock says it should be: within TIME_STEP_BASE_S plus a drift allowance that
 *   grows with the time since the anchor (the last time the relay alone could set it freely).
 *   The anchor does not move with these corrections, so many small steps never add up.
 * - After a reboot the lock has no reckoning, but it never goes back more than a base step before
 *   the newest time in its own log: an ended or used window cannot be brought back.
 *
 * Pure: the anchor, the trust flag, the floor, the monotonic time and the requested time are parameters.
 */

/** How far a relay-only TIME_SET may differ from the lock's own reckoning, before drift. */
export const TIME_STEP_BASE_S = 60;
/** Drift allowance: one second per this many seconds since the anchor (500 ppm, above the drift of a real-time clock crystal). */
export const TIME_DRIFT_DIVISOR = 2000;
const MS_PER_S = 1000;

/** True when the relay alone may set the clock to `time` (`anchorRtc` < 0: no anchor in this boot; `floor`: the newest logged time). */
export function relayTimeAllowed(trusted: boolean, anchorRtc: number, anchorMs: number, floor: number, nowMs: number, time: number): boolean {
  // The clock that wrote the floor may itself have run up to a base step ahead of the real time.
  if (!trusted || anchorRtc < 0) return time >= floor - TIME_STEP_BASE_S;
  const elapsedS = (nowMs - anchorMs) / MS_PER_S;
  return Math.abs(time - (anchorRtc + elapsedS)) <= TIME_STEP_BASE_S + elapsedS / TIME_DRIFT_DIVISOR;
}

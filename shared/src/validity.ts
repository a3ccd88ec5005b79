/**
 * Validity-window check for signed commands (docs/product.md#security-properties; docs/protocol.md §3.3). Pure: the
 * caller passes the lock's trusted `now` (Unix seconds) and the action's policy.
 * A command that starts in the lock's future by more than the allowed skew means the
 * sender's clock is off: reported as CLOCK_SKEW, never silently waited for.
 */
import { RC_CLOCK_SKEW, RC_EXPIRED, RC_OK, RC_WINDOW_TOO_LONG } from './codes';

export interface ValidityPolicy {
  /** Seconds the two clocks may disagree. */
  maxSkew: number;
  /** Longest notAfter - notBefore the action accepts. */
  maxSpan: number;
}

export function checkValidity(now: number, notBefore: number, notAfter: number, policy: ValidityPolicy): number {
  if (notAfter < notBefore || notAfter - notBefore > policy.maxSpan) return RC_WINDOW_TOO_LONG;
  if (notBefore > now + policy.maxSkew) return RC_CLOCK_SKEW;
  if (notAfter + policy.maxSkew < now) return RC_EXPIRED;
  return RC_OK;
}

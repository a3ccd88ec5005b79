/**
 * What the lock demands of each action's validity window and freshness
 * (docs/protocol.md §3.3). The relay signs within these limits; the lock enforces them.
 */
import {
  ACT_ALARM_CLEAR, ACT_CONSENT_MODE_SET, ACT_CONSENT_PUT, ACT_CONSENT_REMOVE, ACT_CONSENTED_GRANT_PUT, ACT_GRANT_PUT, ACT_GRANT_REVOKE,
  ACT_KEY_ROTATE, ACT_LOCK, ACT_OWNER_KEY_ADD, ACT_OWNER_KEY_REMOVE, ACT_OWNER_SIGNED, ACT_OWNER_TIME, ACT_SETTINGS_SET, ACT_TIME_SET, ACT_UNLATCH, ACT_UNLOCK
} from './protocol/constants';
import type { ValidityPolicy } from './validity';

/** Seconds the relay's and the lock's clocks may disagree before commands are refused. */
export const MAX_CLOCK_SKEW = 90;

export interface ActionPolicy extends ValidityPolicy {
  /** The command must carry the lock's current challenge nonce. */
  nonceRequired: boolean;
  /**
   * The action only takes access away, so a lock without trusted time still accepts it
   * (signature, device and counter are checked as always): a revocation never waits for time.
   */
  admitWithoutTime: boolean;
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

function p(maxSpan: number, nonceRequired: boolean, admitWithoutTime?: boolean): ActionPolicy {
  return { maxSkew: MAX_CLOCK_SKEW, maxSpan: maxSpan, nonceRequired: nonceRequired, admitWithoutTime: admitWithoutTime === true };
}

/** Policy for an action, or null when the action is unknown. */
export function actionPolicy(action: number): ActionPolicy | null {
  switch (action) {
    case ACT_UNLOCK:
    case ACT_UNLATCH:
    case ACT_LOCK:
      return p(5 * MINUTE, false);
    case ACT_GRANT_PUT:
      return p(2 * DAY, false);
    case ACT_GRANT_REVOKE:
      return p(30 * DAY, false, true);
    case ACT_KEY_ROTATE:
      return p(7 * DAY, false);
    case ACT_TIME_SET:
      return p(2 * MINUTE, true);
    case ACT_ALARM_CLEAR:
      return p(5 * MINUTE, false);
    case ACT_SETTINGS_SET:
      return p(2 * DAY, false);
    // Owner consent (docs/protocol.md §11): the relay's envelope; the owner statement inside bounds itself.
    case ACT_OWNER_SIGNED:
    case ACT_CONSENTED_GRANT_PUT:
      return p(2 * DAY, false);
    // Enrolment confirmed by install mode, which lasts minutes.
    case ACT_OWNER_KEY_ADD:
      return p(HOUR, false);
    // Only valid inside an owner statement; admitted as far as the owner-signature gate.
    case ACT_OWNER_KEY_REMOVE:
    case ACT_CONSENT_MODE_SET:
    case ACT_CONSENT_PUT:
    case ACT_CONSENT_REMOVE:
    case ACT_OWNER_TIME:
      return p(2 * DAY, false);
    default:
      return null;
  }
}

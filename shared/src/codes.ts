/**
 * Wire reason and alarm codes: the numbers a lock reports in events and the relay
 * stores in its activity feed. Plain constants so the firmware bundle inlines them;
 * names and descriptions live in code-registry.ts (not shipped to the lock).
 * Numbers are stable forever: never renumber, only add.
 */

// Reason codes (event code of OP/ACK/DENIAL events). 0 is success.
export const RC_OK = 0;
// Message shape (docs/protocol.md §2)
export const RC_BAD_FORMAT = 1;
export const RC_BAD_VERSION = 2;
export const RC_BAD_LENGTH = 3;
export const RC_UNKNOWN_ACTION = 4;
// Authenticity and freshness (docs/product.md#security-properties)
export const RC_BAD_SIGNATURE = 10;
export const RC_UNKNOWN_KEY = 11;
export const RC_WRONG_DEVICE = 12;
export const RC_REPLAY = 13;
export const RC_EXPIRED = 14;
export const RC_NOT_YET_VALID = 15;
export const RC_CLOCK_SKEW = 16;
export const RC_WINDOW_TOO_LONG = 17;
export const RC_NO_TRUSTED_TIME = 18;
export const RC_STALE_NONCE = 19;
export const RC_NOT_PERMITTED = 20;
// Grants
export const RC_UNKNOWN_GRANT = 30;
export const RC_REVOKED = 31;
export const RC_OUTSIDE_WINDOW = 32;
export const RC_OUTSIDE_SCHEDULE = 33;
export const RC_USES_EXHAUSTED = 34;
export const RC_BAD_CREDENTIAL = 35;
export const RC_GRANT_STORE_FULL = 36;
export const RC_GRANT_NOT_VERIFIED = 37;
// The door and the hardware
export const RC_CAMERA_FAILURE = 50;
export const RC_JAM = 51;
export const RC_DOOR_OPEN = 52;
export const RC_BUSY = 53;
export const RC_LOCKOUT = 54;
export const RC_MOTOR_FAULT = 55;
export const RC_NOT_PROVISIONED = 56;
export const RC_STORAGE_FAILURE = 57;
export const RC_KEY_STORE_FULL = 58;
export const RC_LAST_KEY = 59;
export const RC_BAD_KEY = 60;
// Lock settings (SETTINGS_SET); numbered apart so other additions after 60 do not collide.
export const RC_BAD_SETTING = 70;
export const RC_STALE_SETTINGS = 71;
// Owner consent (docs/protocol.md §11); numbered apart like the settings codes.
export const RC_OWNER_SIGNATURE_REQUIRED = 80;
export const RC_BAD_OWNER_SIGNATURE = 81;
export const RC_UNKNOWN_OWNER_KEY = 82;
export const RC_OWNER_REPLAY = 83;
export const RC_OWNER_EXPIRED = 84;
export const RC_CONFIRMATION_REQUIRED = 85;
export const RC_OWNER_KEY_STORE_FULL = 86;
export const RC_LAST_OWNER_KEY = 87;
export const RC_UNKNOWN_CONSENT = 88;
export const RC_OUTSIDE_CONSENT = 89;
export const RC_CONSENT_EXHAUSTED = 90;
export const RC_CONSENT_STORE_FULL = 91;
export const RC_NOT_OWNER_ACTION = 92;
export const RC_OWNER_TIME_REQUIRED = 93;

// Alarm codes (event code of ALARM events).
export const AL_JAM = 1;
export const AL_DOOR_AJAR = 2;
export const AL_FORCED_DOOR = 3;
export const AL_REPEATED_FAILURES = 4;
export const AL_CAMERA_FAULT = 5;
export const AL_LOW_BATTERY = 6;
export const AL_CLOCK_SKEW = 7;
export const AL_STORAGE_RECOVERED = 8;
export const AL_WATCHDOG_RESET = 9;
export const AL_MOTOR_FAULT = 10;
export const AL_QUEUE_OVERFLOW = 11;
export const AL_OWNER_RESET = 12;

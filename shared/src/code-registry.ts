/**
 * Names and meanings of the wire codes (codes.ts), for the relay, the CLI and docs.
 * docs/protocol.md §8 lists the same table; a test keeps them in step.
 */
import * as C from './codes';

export interface CodeInfo {
  readonly code: number;
  readonly name: string;
  /** 'denial' codes refuse a request; 'outcome' codes report what happened. */
  readonly kind: 'ok' | 'denial' | 'outcome';
  readonly description: string;
}

export interface AlarmInfo {
  readonly code: number;
  readonly name: string;
  readonly description: string;
}

function r(code: number, name: string, kind: CodeInfo['kind'], description: string): CodeInfo {
  return { code, name, kind, description };
}

export const REASONS: readonly CodeInfo[] = [
  r(C.RC_OK, 'OK', 'ok', 'Done.'),
  r(C.RC_BAD_FORMAT, 'BAD_FORMAT', 'denial', 'The message does not follow the wire layout.'),
  r(C.RC_BAD_VERSION, 'BAD_VERSION', 'denial', 'Unsupported protocol version.'),
  r(C.RC_BAD_LENGTH, 'BAD_LENGTH', 'denial', 'A length field or the message length is wrong.'),
  r(C.RC_UNKNOWN_ACTION, 'UNKNOWN_ACTION', 'denial', 'The action code is not known to this firmware.'),
  r(C.RC_BAD_SIGNATURE, 'BAD_SIGNATURE', 'denial', 'The Ed25519 signature does not verify under the named key.'),
  r(C.RC_UNKNOWN_KEY, 'UNKNOWN_KEY', 'denial', 'The key id is not among the trusted keys.'),
  r(C.RC_WRONG_DEVICE, 'WRONG_DEVICE', 'denial', 'The command is for another lock.'),
  r(C.RC_REPLAY, 'REPLAY', 'denial', 'The counter was already used or is too old for the replay window.'),
  r(C.RC_EXPIRED, 'EXPIRED', 'denial', 'The validity window has ended.'),
  r(C.RC_NOT_YET_VALID, 'NOT_YET_VALID', 'denial', 'The validity window has not started.'),
  r(C.RC_CLOCK_SKEW, 'CLOCK_SKEW', 'denial', 'The sender clock is far from the lock clock.'),
  r(C.RC_WINDOW_TOO_LONG, 'WINDOW_TOO_LONG', 'denial', 'The validity window is longer than the action allows.'),
  r(C.RC_NO_TRUSTED_TIME, 'NO_TRUSTED_TIME', 'denial', 'The lock has no trusted time; time-bound requests fail secure.'),
  r(C.RC_STALE_NONCE, 'STALE_NONCE', 'denial', 'The command is bound to a challenge the lock no longer holds.'),
  r(C.RC_NOT_PERMITTED, 'NOT_PERMITTED', 'denial', 'The request is not allowed in this state or for this grant.'),
  r(C.RC_UNKNOWN_GRANT, 'UNKNOWN_GRANT', 'denial', 'No such grant on this lock.'),
  r(C.RC_REVOKED, 'REVOKED', 'denial', 'The grant was revoked.'),
  r(C.RC_OUTSIDE_WINDOW, 'OUTSIDE_WINDOW', 'denial', 'Now is outside the grant validity window.'),
  r(C.RC_OUTSIDE_SCHEDULE, 'OUTSIDE_SCHEDULE', 'denial', 'Now is outside the grant weekly schedule.'),
  r(C.RC_USES_EXHAUSTED, 'USES_EXHAUSTED', 'denial', 'The grant has no uses left.'),
  r(C.RC_BAD_CREDENTIAL, 'BAD_CREDENTIAL', 'denial', 'The at-door credential does not match the grant commitment.'),
  r(C.RC_GRANT_STORE_FULL, 'GRANT_STORE_FULL', 'denial', 'The lock holds as many grants as it can.'),
  r(C.RC_GRANT_NOT_VERIFIED, 'GRANT_NOT_VERIFIED', 'denial', 'The grant is still being verified in the background.'),
  r(C.RC_CAMERA_FAILURE, 'CAMERA_FAILURE', 'denial', 'The camera did not acknowledge the trigger; the bolt did not move.'),
  r(C.RC_JAM, 'JAM', 'outcome', 'The bolt stalled twice; the motor was stopped.'),
  r(C.RC_DOOR_OPEN, 'DOOR_OPEN', 'denial', 'The door is open; the bolt cannot be thrown.'),
  r(C.RC_BUSY, 'BUSY', 'denial', 'The lock is moving the bolt or verifying; try again.'),
  r(C.RC_LOCKOUT, 'LOCKOUT', 'denial', 'Too many failed attempts; the lock is backing off.'),
  r(C.RC_MOTOR_FAULT, 'MOTOR_FAULT', 'outcome', 'The motor or its switches report an impossible state.'),
  r(C.RC_NOT_PROVISIONED, 'NOT_PROVISIONED', 'denial', 'The lock has no identity or trusted keys yet.'),
  r(C.RC_STORAGE_FAILURE, 'STORAGE_FAILURE', 'outcome', 'Persistent storage could not be written.'),
  r(C.RC_KEY_STORE_FULL, 'KEY_STORE_FULL', 'denial', 'The lock holds as many trusted keys as it can.'),
  r(C.RC_LAST_KEY, 'LAST_KEY', 'denial', 'Retiring this key would leave the lock with no trusted key.'),
  r(C.RC_BAD_KEY, 'BAD_KEY', 'denial', 'A key is not an acceptable Ed25519 public key (non-canonical, off the curve or of small order).'),
  r(C.RC_BAD_SETTING, 'BAD_SETTING', 'denial', 'A lock setting is outside its allowed range; nothing was changed.'),
  r(C.RC_STALE_SETTINGS, 'STALE_SETTINGS', 'denial', 'The settings are older than the revision the lock already holds; nothing was changed.'),
  r(C.RC_OWNER_SIGNATURE_REQUIRED, 'OWNER_SIGNATURE_REQUIRED', 'denial', 'The lock is in owner-consent mode: this request needs an owner signature (or a standing consent).'),
  r(C.RC_BAD_OWNER_SIGNATURE, 'BAD_OWNER_SIGNATURE', 'denial', 'The owner signature does not verify under the named owner key.'),
  r(C.RC_UNKNOWN_OWNER_KEY, 'UNKNOWN_OWNER_KEY', 'denial', 'The owner key id is not enrolled on this lock.'),
  r(C.RC_OWNER_REPLAY, 'OWNER_REPLAY', 'denial', 'The owner statement sequence number was already used or is too old.'),
  r(C.RC_OWNER_EXPIRED, 'OWNER_EXPIRED', 'denial', 'The owner statement is past the time its signer allowed.'),
  r(C.RC_CONFIRMATION_REQUIRED, 'CONFIRMATION_REQUIRED', 'denial', 'Enrolling an owner key needs install mode or an enrolled owner key signature.'),
  r(C.RC_OWNER_KEY_STORE_FULL, 'OWNER_KEY_STORE_FULL', 'denial', 'The lock holds as many owner keys as it can.'),
  r(C.RC_LAST_OWNER_KEY, 'LAST_OWNER_KEY', 'denial', 'Removing this owner key would leave a lock in owner-consent mode with no owner key.'),
  r(C.RC_UNKNOWN_CONSENT, 'UNKNOWN_CONSENT', 'denial', 'No standing consent with that id on this lock.'),
  r(C.RC_OUTSIDE_CONSENT, 'OUTSIDE_CONSENT', 'denial', 'The grant is outside the bounds of the standing consent it names.'),
  r(C.RC_CONSENT_EXHAUSTED, 'CONSENT_EXHAUSTED', 'denial', 'The standing consent allows no more entries in that week.'),
  r(C.RC_CONSENT_STORE_FULL, 'CONSENT_STORE_FULL', 'denial', 'The lock holds as many standing consents as it can.'),
  r(C.RC_NOT_OWNER_ACTION, 'NOT_OWNER_ACTION', 'denial', 'An owner statement cannot carry this action.'),
  r(C.RC_OWNER_TIME_REQUIRED, 'OWNER_TIME_REQUIRED', 'denial', 'The lock rebooted in owner-consent mode: grants wait until an owner device confirms its clock.')
];

export const ALARMS: readonly AlarmInfo[] = [
  { code: C.AL_JAM, name: 'JAM', description: 'The bolt is jammed; the motor was stopped after one retry.' },
  { code: C.AL_DOOR_AJAR, name: 'DOOR_AJAR', description: 'The door stayed open past the allowed time.' },
  { code: C.AL_FORCED_DOOR, name: 'FORCED_DOOR', description: 'The door opened while the bolt was thrown.' },
  { code: C.AL_REPEATED_FAILURES, name: 'REPEATED_FAILURES', description: 'Repeated failed attempts; lockout engaged.' },
  { code: C.AL_CAMERA_FAULT, name: 'CAMERA_FAULT', description: 'The camera stopped acknowledging triggers.' },
  { code: C.AL_LOW_BATTERY, name: 'LOW_BATTERY', description: 'Battery voltage is below the warning level.' },
  { code: C.AL_CLOCK_SKEW, name: 'CLOCK_SKEW', description: 'The relay clock is far from the lock clock.' },
  { code: C.AL_STORAGE_RECOVERED, name: 'STORAGE_RECOVERED', description: 'A torn write was found at boot; the previous copy was used.' },
  { code: C.AL_WATCHDOG_RESET, name: 'WATCHDOG_RESET', description: 'The watchdog restarted a hung lock.' },
  { code: C.AL_MOTOR_FAULT, name: 'MOTOR_FAULT', description: 'The motor or bolt switches report an impossible state.' },
  { code: C.AL_QUEUE_OVERFLOW, name: 'QUEUE_OVERFLOW', description: 'The offline event queue overflowed; oldest events were dropped.' },
  { code: C.AL_OWNER_RESET, name: 'OWNER_RESET', description: 'Owner keys, standing consents and owner-consent mode were cleared at the lock (physical recovery).' }
];

const byCode: { [code: number]: CodeInfo } = {};
for (let i = 0; i < REASONS.length; i++) byCode[REASONS[i].code] = REASONS[i];
const alarmByCode: { [code: number]: AlarmInfo } = {};
for (let i = 0; i < ALARMS.length; i++) alarmByCode[ALARMS[i].code] = ALARMS[i];

export function reasonInfo(code: number): CodeInfo | undefined {
  return byCode[code];
}

export function reasonName(code: number): string {
  const i = byCode[code];
  return i ? i.name : 'UNKNOWN_' + code;
}

export function alarmInfo(code: number): AlarmInfo | undefined {
  return alarmByCode[code];
}

export function alarmName(code: number): string {
  const i = alarmByCode[code];
  return i ? i.name : 'ALARM_' + code;
}

/**
 * Refusals of a staging command (GRANT_PUT, GRANT_REVOKE, KEY_ROTATE, TIME_SET) that pass
 * with time: the relay sends the command again, as a new one, while it is still wanted
 * (docs/sync.md). Every other refusal is final and is shown to the owner.
 */
export const TRANSIENT_REASONS: readonly number[] = [
  C.RC_NO_TRUSTED_TIME, C.RC_STALE_NONCE, C.RC_BUSY, C.RC_STORAGE_FAILURE, C.RC_GRANT_STORE_FULL, C.RC_EXPIRED,
  C.RC_NOT_YET_VALID, C.RC_REPLAY, C.RC_LOCKOUT, C.RC_GRANT_NOT_VERIFIED
];

export function isTransientReason(code: number): boolean {
  return TRANSIENT_REASONS.indexOf(code) >= 0;
}

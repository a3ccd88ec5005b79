/** Human names for wire numbers (shared's code registry), used in the API and activity feed. */
import {
  ALARMS, BOLT_JAMMED, BOLT_LOCKED, BOLT_UNLOCKED, DOOR_CLOSED, DOOR_OPEN, EV_ACK, EV_ALARM, EV_ALARM_CLEARED, EV_BOOT, EV_CAMERA,
  EV_DENIAL, EV_OPERATION, EV_STATE, REASONS, ST_BUSY, ST_CAMERA_OK, ST_INSTALL_MODE, ST_JAMMED, ST_LOCKOUT, ST_LOW_BATTERY, ST_OWNER_CONSENT, ST_TIME_TRUSTED
} from '@keyway/shared';

const reasonNames = new Map(REASONS.map((r) => [r.code, r.name]));
const alarmNames = new Map(ALARMS.map((a) => [a.code, a.name]));

export function reasonName(code: number): string {
  return reasonNames.get(code) ?? 'CODE_' + code;
}

export function alarmName(code: number): string {
  return alarmNames.get(code) ?? 'ALARM_' + code;
}

export const ACTOR_KINDS = ['none', 'owner', 'courier', 'guest', 'service', 'backend', 'button', 'auto', 'installer', 'parcel'] as const;
export type ActorKindName = (typeof ACTOR_KINDS)[number];

export function actorKindName(kind: number): string {
  return ACTOR_KINDS[kind] ?? 'actor_' + kind;
}

const EVENT_TYPES: Record<number, string> = {
  [EV_BOOT]: 'BOOT', [EV_STATE]: 'STATE', [EV_OPERATION]: 'OPERATION', [EV_DENIAL]: 'DENIAL', [EV_ALARM]: 'ALARM',
  [EV_ACK]: 'ACK', [EV_CAMERA]: 'CAMERA', [EV_ALARM_CLEARED]: 'ALARM_CLEARED'
};

export function eventTypeName(type: number): string {
  return EVENT_TYPES[type] ?? 'TYPE_' + type;
}

/** The name of an event's code: an alarm name for ALARM and ALARM_CLEARED, else a reason name. */
export function eventCodeName(type: number, code: number): string {
  return type === EV_ALARM || type === EV_ALARM_CLEARED ? alarmName(code) : reasonName(code);
}

const BOLTS = ['unknown', 'locked', 'unlocking', 'unlocked', 'locking', 'jammed', 'fault'];
const DOORS = ['unknown', 'closed', 'open'];
export function boltName(b: number | null): string | null {
  return b === null ? null : (BOLTS[b] ?? 'unknown');
}
export function doorName(d: number | null): string | null {
  return d === null ? null : (DOORS[d] ?? 'unknown');
}
export const SECURED = { bolt: BOLT_LOCKED, door: DOOR_CLOSED };
export { BOLT_JAMMED, BOLT_UNLOCKED, DOOR_OPEN };

export function statusFlagNames(flags: number | null): Record<string, boolean> | null {
  if (flags === null) return null;
  return {
    trustedTime: (flags & ST_TIME_TRUSTED) !== 0,
    cameraHealthy: (flags & ST_CAMERA_OK) !== 0,
    lockout: (flags & ST_LOCKOUT) !== 0,
    jammed: (flags & ST_JAMMED) !== 0,
    installMode: (flags & ST_INSTALL_MODE) !== 0,
    lowBattery: (flags & ST_LOW_BATTERY) !== 0,
    busy: (flags & ST_BUSY) !== 0,
    ownerConsent: (flags & ST_OWNER_CONSENT) !== 0
  };
}

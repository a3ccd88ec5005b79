/**
 * Lock settings sent as signed configuration (docs/protocol.md §3.8): the auto-lock delay,
 * relock-on-close and the door-left-open alert threshold, under a revision the relay raises
 * with every change. The payload is a plain struct; the bounds are checked by checkSettings,
 * which the relay runs before signing and the lock runs before storing, so an out-of-range
 * value is refused with BAD_SETTING rather than a format error.
 */
import { RC_BAD_SETTING, RC_OK, RC_STALE_SETTINGS } from '../codes';
import { type Infer, lazyStruct, struct, u16, u32, u8 } from '../schema';

/** Seconds after an unlock before the lock relocks when the door was not opened. */
export const AUTO_LOCK_MIN_S = 5;
export const AUTO_LOCK_MAX_S = 3600;
/** Seconds the door may stay open before the DOOR_AJAR alarm. */
export const DOOR_AJAR_MIN_S = 30;
export const DOOR_AJAR_MAX_S = 3600;
/** Settings flag: relock a few seconds after the door closes, for every unlock. */
export const SETTING_RELOCK_ON_CLOSE = 0x01;
export const SETTING_FLAGS_MASK = 0x01;

export const settingsPayload = lazyStruct(function () {
  return struct([
    ['revision', u32],
    ['autoLockS', u16],
    ['doorAjarS', u16],
    ['flags', u8]
  ] as const);
});

export type SettingsPayload = Infer<typeof settingsPayload.fields>;

/** RC_OK when every value is within bounds, else RC_BAD_SETTING. */
export function checkSettingBounds(p: SettingsPayload): number {
  if (p.revision < 1) return RC_BAD_SETTING;
  if (p.autoLockS < AUTO_LOCK_MIN_S || p.autoLockS > AUTO_LOCK_MAX_S) return RC_BAD_SETTING;
  if (p.doorAjarS < DOOR_AJAR_MIN_S || p.doorAjarS > DOOR_AJAR_MAX_S) return RC_BAD_SETTING;
  if ((p.flags & ~SETTING_FLAGS_MASK) !== 0) return RC_BAD_SETTING;
  return RC_OK;
}

/**
 * What the lock answers to settings `p` while it holds revision `heldRevision`: bounds first,
 * then order. An older revision is refused (a resent command must never undo a newer one);
 * the same revision again is accepted, so a resend after a lost ACK is harmless.
 */
export function checkSettings(p: SettingsPayload, heldRevision: number): number {
  const bounds = checkSettingBounds(p);
  if (bounds !== RC_OK) return bounds;
  return p.revision < heldRevision ? RC_STALE_SETTINGS : RC_OK;
}

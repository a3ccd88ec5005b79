/**
 * Storage of each lock's settings (docs/sync.md#lock-settings): what the owner chose, under a
 * revision raised with every change, and the revision the lock last reported holding. All the
 * SQL for lock settings is here and nowhere else.
 */
import { SETTING_RELOCK_ON_CLOSE, type SettingsPayload } from '@keyway/shared';
import type { Db } from '../db/database';

export interface LockSettingsRow {
  device_id: string;
  revision: number;
  auto_lock_s: number;
  door_ajar_s: number;
  relock_on_close: number;
  /** The revision in the lock's last status (0: never configured). */
  held_revision: number;
  held_at: number | null;
  updated_at: number;
}

export interface LockSettingsValues {
  autoLockS: number;
  doorAjarS: number;
  relockOnClose: boolean;
}

export function getLockSettings(db: Db, deviceId: string): LockSettingsRow | undefined {
  return db.prepare('SELECT * FROM lock_settings WHERE device_id = ?').get(deviceId) as LockSettingsRow | undefined;
}

/**
 * Stores new values under a revision above both the previous one and whatever the lock reports
 * holding, so the lock never takes the new settings for stale ones.
 */
export function putLockSettings(db: Db, deviceId: string, v: LockSettingsValues, heldByLock: number, now: number): LockSettingsRow {
  return db.prepare(`INSERT INTO lock_settings (device_id, revision, auto_lock_s, door_ajar_s, relock_on_close, held_revision, updated_at)
      VALUES (@id, @held + 1, @auto, @ajar, @close, @held, @now)
    ON CONFLICT (device_id) DO UPDATE SET revision = MAX(revision, held_revision, @held) + 1, auto_lock_s = @auto, door_ajar_s = @ajar,
      relock_on_close = @close, updated_at = @now
    RETURNING *`).get({ id: deviceId, held: heldByLock, auto: v.autoLockS, ajar: v.doorAjarS, close: v.relockOnClose ? 1 : 0, now }) as LockSettingsRow;
}

/** Records the revision a lock's status reported (no-op for a lock without chosen settings). */
export function recordHeldSettings(db: Db, deviceId: string, revision: number, now: number): void {
  db.prepare('UPDATE lock_settings SET held_revision = ?, held_at = ? WHERE device_id = ?').run(revision, now, deviceId);
}

/**
 * The lock holds a revision above the relay's (the relay's database went back in time): lift
 * the relay's revision past it so the owner's values can be sent and are not refused as stale.
 */
export function raiseRevisionAbove(db: Db, deviceId: string, held: number): LockSettingsRow | undefined {
  return db.prepare('UPDATE lock_settings SET revision = ? + 1 WHERE device_id = ? AND revision <= ? RETURNING *').get(held, deviceId, held) as
    LockSettingsRow | undefined;
}

/** The signed payload for a stored row. */
export function settingsPayloadOf(s: LockSettingsRow): SettingsPayload {
  return { revision: s.revision, autoLockS: s.auto_lock_s, doorAjarS: s.door_ajar_s, flags: s.relock_on_close ? SETTING_RELOCK_ON_CLOSE : 0 };
}

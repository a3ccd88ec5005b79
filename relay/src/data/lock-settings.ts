/**
 * Storage of each lock's settings (docs/sync.md#lock-settings): what the owner chose, under a
 * revision raised with every change, and the revision the lock last reported holding. All the
 * SQL for lock settings is here and nowhere else.
 */
import { SETTING_RELOCK_ON_CLOSE, type SettingsPayload } from '@keyway/shared';
import { sql, type Selectable } from 'kysely';
import type { DeviceRow } from './devices';
import type { LockSettingsTable } from './schema';
import { firstRow, prepared } from './prepared';
import { greatest, onPostgres, type Q } from './store';

export type LockSettingsRow = Selectable<LockSettingsTable>;

export interface LockSettingsValues {
  autoLockS: number;
  doorAjarS: number;
  relockOnClose: boolean;
}

const lockSettingsQuery = prepared((q: Q, deviceId: string) => q.selectFrom('lock_settings').selectAll().where('device_id', '=', deviceId));

export function getLockSettings(q: Q, deviceId: string): Promise<LockSettingsRow | undefined> {
  return firstRow(lockSettingsQuery(q, deviceId));
}

/**
 * Stores new values under a revision above both the previous one and whatever the lock reports
 * holding, so the lock never takes the new settings for stale ones.
 */
export function putLockSettings(q: Q, deviceId: string, v: LockSettingsValues, heldByLock: number, now: number): Promise<LockSettingsRow> {
  const values = { auto_lock_s: v.autoLockS, door_ajar_s: v.doorAjarS, relock_on_close: v.relockOnClose ? 1 : 0, updated_at: now };
  return q.insertInto('lock_settings').values({ device_id: deviceId, revision: heldByLock + 1, held_revision: heldByLock, ...values })
    .onConflict((oc) => oc.column('device_id').doUpdateSet({
      ...values,
      revision: sql<number>`${greatest(q, [sql.ref('lock_settings.revision'), sql.ref('lock_settings.held_revision'), sql.val(heldByLock)])} + 1`
    }))
    .returningAll().executeTakeFirstOrThrow();
}

/**
 * The device row with the owner's settings revision and the revision the lock last reported
 * holding (both null for a lock without chosen settings), in one read. The device row is locked
 * as devices.lockDevice locks it (FOR UPDATE of that row alone on PostgreSQL; SQLite's
 * transactions hold the write lock); the settings row is read, not locked: a change of the
 * owner's settings runs the lock's sync itself (domain/lock-configuration.ts).
 */
export type DeviceWithSettings = DeviceRow & { settings_revision: number | null; settings_held_revision: number | null };

export function lockDeviceWithSettings(q: Q, deviceId: string): Promise<DeviceWithSettings | undefined> {
  return firstRow(lockDeviceWithSettingsQuery(q, deviceId));
}

const lockDeviceWithSettingsQuery = prepared((q: Q, deviceId: string) => q.selectFrom('devices').leftJoin('lock_settings', 'lock_settings.device_id', 'devices.id')
  .selectAll('devices').select(['lock_settings.revision as settings_revision', 'lock_settings.held_revision as settings_held_revision'])
  .where('devices.id', '=', deviceId).$if(onPostgres(q), (s) => s.forUpdate('devices')));

/**
 * Records the settings revision a lock's status reported holding, when it differs from the one
 * recorded (no-op for a lock without chosen settings); `held_at` is when the lock first
 * reported holding it.
 */
export async function recordHeldSettings(q: Q, deviceId: string, revision: number, now: number): Promise<void> {
  await recordHeldQuery(q, deviceId, revision, now);
}

const recordHeldQuery = prepared((q: Q, deviceId: string, revision: number, now: number) =>
  q.updateTable('lock_settings').set({ held_revision: revision, held_at: now }).where('device_id', '=', deviceId).where('held_revision', '!=', revision));

/**
 * The lock holds a revision above the relay's (the relay's database went back in time): lift
 * the relay's revision past it so the owner's values can be sent and are not refused as stale.
 */
export function raiseRevisionAbove(q: Q, deviceId: string, held: number): Promise<LockSettingsRow | undefined> {
  return q.updateTable('lock_settings').set({ revision: held + 1 }).where('device_id', '=', deviceId).where('revision', '<=', held)
    .returningAll().executeTakeFirst();
}

/** The signed payload for a stored row. */
export function settingsPayloadOf(s: LockSettingsRow): SettingsPayload {
  return { revision: s.revision, autoLockS: s.auto_lock_s, doorAjarS: s.door_ajar_s, flags: s.relock_on_close ? SETTING_RELOCK_ON_CLOSE : 0 };
}

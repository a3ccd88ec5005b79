/**
 * The command outbox (commands). Issuing, acknowledging and resending (locks/outbox.ts) still
 * run on the synchronous handle; what the lock sync reads and the owner's view are here.
 */
import type { Selectable } from 'kysely';
import type { CommandsTable } from './schema';
import type { Q } from './store';

export type CommandRow = Selectable<CommandsTable>;
export type CommandStatus = CommandsTable['status'];

/** Newest counter first, optionally only those in one status. */
export function recentCommands(q: Q, deviceId: string, status: CommandStatus | undefined, limit: number): Promise<CommandRow[]> {
  return q.selectFrom('commands').selectAll().where('device_id', '=', deviceId)
    .$if(status !== undefined, (s) => s.where('status', '=', status!))
    .orderBy('counter', 'desc').limit(limit).execute();
}

/** The commands the lock sync issues (one per target kind). */
export type SyncPurpose = 'grant_put' | 'grant_revoke' | 'key_rotate' | 'settings_set';

/**
 * Sync commands still in flight: pending, or acknowledged OK at or after `inventoryAt` (the
 * lock's last inventory cannot show them yet). Settings count only while pending.
 */
export function inFlightSyncCommands(q: Q, deviceId: string, inventoryAt: number): Promise<{ purpose: SyncPurpose; grant_id: number | null }[]> {
  return q.selectFrom('commands').select(['purpose', 'grant_id']).where('device_id', '=', deviceId)
    .where('purpose', 'in', ['grant_put', 'grant_revoke', 'key_rotate', 'settings_set'])
    .where((eb) => eb.or([
      eb('status', '=', 'pending'),
      eb.and([eb('status', '=', 'acked'), eb('result_code', '=', 0), eb('acked_at', '>=', inventoryAt), eb('purpose', '!=', 'settings_set')])
    ]))
    .execute() as Promise<{ purpose: SyncPurpose; grant_id: number | null }[]>;
}

/** How many commands for one target were issued since `since`, and when the last one was. */
export async function attemptsSince(q: Q, deviceId: string, purpose: SyncPurpose, grantId: number | null, since: number): Promise<{ n: number; last: number | null }> {
  const r = await q.selectFrom('commands').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max<number | null>('created_at').as('last')])
    .where('device_id', '=', deviceId).where('purpose', '=', purpose)
    .where('grant_id', grantId === null ? 'is' : '=', grantId).where('created_at', '>=', since).executeTakeFirstOrThrow();
  return { n: Number(r.n), last: r.last === null ? null : Number(r.last) };
}

/** The command if it is still pending. */
export function pendingCommand(q: Q, deviceId: string, counter: number): Promise<CommandRow | undefined> {
  return q.selectFrom('commands').selectAll().where('device_id', '=', deviceId).where('counter', '=', counter).where('status', '=', 'pending').executeTakeFirst();
}

/** A lock's pending commands in counter order, optionally of one purpose. */
export function pendingCommandsOf(q: Q, deviceId: string, purpose?: string): Promise<CommandRow[]> {
  return q.selectFrom('commands').selectAll().where('device_id', '=', deviceId).where('status', '=', 'pending')
    .$if(purpose !== undefined, (s) => s.where('purpose', '=', purpose!)).orderBy('counter').execute();
}

/** Pending commands of every lock whose window ended at or before `nowS`. */
export function overdueCommands(q: Q, nowS: number): Promise<CommandRow[]> {
  return q.selectFrom('commands').selectAll().where('status', '=', 'pending').where('not_after_s', '<=', nowS).orderBy('device_id').orderBy('counter').execute();
}

export async function markSent(q: Q, deviceId: string, counter: number, at: number): Promise<void> {
  await q.updateTable('commands').set((eb) => ({ sent_at: at, send_count: eb('send_count', '+', 1) })).where('device_id', '=', deviceId).where('counter', '=', counter).execute();
}

/** Moves a pending command to `status`; true when this call moved it (another process may have first). */
export async function closePending(q: Q, deviceId: string, counter: number, status: 'expired' | 'superseded'): Promise<boolean> {
  const r = await q.updateTable('commands').set({ status }).where('device_id', '=', deviceId).where('counter', '=', counter).where('status', '=', 'pending').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Key ids pending commands are signed with. */
export async function pendingKeyIds(q: Q): Promise<number[]> {
  return (await q.selectFrom('commands').select('key_id').distinct().where('status', '=', 'pending').execute()).map((r) => r.key_id);
}

/**
 * New keys of KEY_ROTATE commands a lock may have applied without the relay knowing: still
 * valid at `nowS`, or sent after the lock's last inventory (or the lock never reported one).
 */
export async function rotationKeysMaybeApplied(q: Q, nowS: number): Promise<number[]> {
  const rows = await q.selectFrom('commands as c').innerJoin('devices as d', 'd.id', 'c.device_id').select('c.new_key_id').distinct()
    .where('c.purpose', '=', 'key_rotate').where('c.new_key_id', 'is not', null)
    .where((eb) => eb.or([eb('c.not_after_s', '>', nowS), eb('d.inv_at', 'is', null), eb('d.inv_at', '<=', eb.fn.coalesce('c.sent_at', 'c.created_at'))]))
    .execute();
  return rows.map((r) => r.new_key_id!);
}

export async function pendingRotationCount(q: Q): Promise<number> {
  const r = await q.selectFrom('commands').select((eb) => eb.fn.countAll<number>().as('n')).where('purpose', '=', 'key_rotate').where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A re-provisioned lock trusts exactly the key it was just given: its pending rotations are moot. */
export async function supersedePendingRotations(q: Q, deviceId: string): Promise<void> {
  await q.updateTable('commands').set({ status: 'superseded' }).where('device_id', '=', deviceId).where('purpose', '=', 'key_rotate').where('status', '=', 'pending').execute();
}

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

/**
 * The command outbox (commands). Issuing, acknowledging and resending (locks/outbox.ts) still
 * run on the synchronous handle; the owner's view of the outbox is here.
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

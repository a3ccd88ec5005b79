/**
 * The persisted job queues (webhook_jobs, notification_sends) share one claim: a single
 * UPDATE … RETURNING that leases the due rows (locked_until), so several relay processes
 * never hand out one job twice at once. On PostgreSQL the rows are picked FOR UPDATE SKIP
 * LOCKED: under READ COMMITTED a plain sub-select lets two concurrent claims pick the same
 * rows (both see them due), which tests/relay/data/queues.test.ts catches.
 */
import { onPostgres, type Q } from './store';

export type QueueTable = 'webhook_jobs' | 'notification_sends';

/** Leases up to `limit` due pending jobs until `leaseUntil` and returns their ids, oldest first. */
export async function claimDueJobs(q: Q, table: QueueTable, now: number, leaseUntil: number, limit: number): Promise<number[]> {
  const rows = await q.updateTable(table).set({ locked_until: leaseUntil })
    .where('id', 'in', (sq) => sq.selectFrom(table).select('id')
      .where('status', '=', 'pending').where('next_at', '<=', now).where('locked_until', '<=', now)
      .orderBy('id').limit(limit)
      .$if(onPostgres(q), (s) => s.forUpdate().skipLocked()))
    .returning('id')
    .execute();
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

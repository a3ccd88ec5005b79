/** The queue of owner e-mails and ntfy pushes (notification_sends); domain/push-worker.ts sends them. */
import type { Selectable } from 'kysely';
import type { NotificationSendsTable } from './schema';
import type { Q } from './store';

export type NotificationSendRow = Selectable<NotificationSendsTable>;

export function sendsById(q: Q, ids: number[]): Promise<NotificationSendRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return q.selectFrom('notification_sends').selectAll().where('id', 'in', ids).orderBy('id').execute();
}

export async function sendSucceeded(q: Q, id: number, attempts: number, at: number): Promise<void> {
  await q.updateTable('notification_sends').set({ status: 'sent', attempts, sent_at: at, last_error: null }).where('id', '=', id).execute();
}

export async function sendFailed(q: Q, id: number, attempts: number, error: string): Promise<void> {
  await q.updateTable('notification_sends').set({ status: 'failed', attempts, last_error: error }).where('id', '=', id).execute();
}

export async function sendRetry(q: Q, id: number, attempts: number, error: string, nextAt: number): Promise<void> {
  await q.updateTable('notification_sends').set({ attempts, last_error: error, next_at: nextAt, locked_until: 0 }).where('id', '=', id).execute();
}

/** Queues one pending send per channel, due now. */
export async function queueSends(q: Q, notificationId: number, ownerId: number, channels: NotificationSendsTable['channel'][], at: number): Promise<void> {
  if (channels.length === 0) return;
  await q.insertInto('notification_sends')
    .values(channels.map((channel) => ({ notification_id: notificationId, owner_id: ownerId, channel, status: 'pending' as const, next_at: at, created_at: at }))).execute();
}

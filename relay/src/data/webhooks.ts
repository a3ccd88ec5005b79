/** Webhook registrations and their delivery queue (webhook_jobs); domain/webhooks.ts has the rules. */
import type { Insertable, Selectable } from 'kysely';
import type { WebhookJobsTable, WebhooksTable } from './schema';
import { prepared } from './prepared';
import type { Q } from './store';

export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookJobRow = Selectable<WebhookJobsTable>;

export function insertWebhook(q: Q, w: Insertable<WebhooksTable>): Promise<WebhookRow> {
  return q.insertInto('webhooks').values(w).returningAll().executeTakeFirstOrThrow();
}

/** The backend's webhooks that are not deleted, oldest first (also what an event is queued for). */
export async function liveWebhooks(q: Q, backendId: number): Promise<WebhookRow[]> {
  return (await liveWebhooksQuery(q, backendId)).rows;
}

// Every delivery event a lock's effects emit asks this (and queues a job per webhook): compiled once (prepared.ts).
const liveWebhooksQuery = prepared((q: Q, backendId: number) =>
  q.selectFrom('webhooks').selectAll().where('backend_id', '=', backendId).where('deleted_at', 'is', null).orderBy('id'));

export function findWebhook(q: Q, id: number): Promise<WebhookRow | undefined> {
  return q.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Marks the backend's webhook deleted; false when it has no such live webhook. */
export async function markWebhookDeleted(q: Q, backendId: number, id: number, at: number): Promise<boolean> {
  const r = await q.updateTable('webhooks').set({ deleted_at: at })
    .where('id', '=', id).where('backend_id', '=', backendId).where('deleted_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function insertWebhookJob(q: Q, job: { webhookId: number; event: string; body: string; at: number }): Promise<void> {
  await insertWebhookJobQuery(q, job.webhookId, job.event, job.body, job.at);
}

const insertWebhookJobQuery = prepared((q: Q, webhookId: number, event: string, body: string, at: number) =>
  q.insertInto('webhook_jobs').values({ webhook_id: webhookId, event, body, status: 'pending', next_at: at, created_at: at }));

export function webhookJobsById(q: Q, ids: number[]): Promise<WebhookJobRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return q.selectFrom('webhook_jobs').selectAll().where('id', 'in', ids).orderBy('id').execute();
}

export async function webhookJobDelivered(q: Q, id: number, attempts: number, httpStatus: number, at: number): Promise<void> {
  await q.updateTable('webhook_jobs').set({ status: 'delivered', attempts, last_status: httpStatus, delivered_at: at, last_error: null }).where('id', '=', id).execute();
}

export async function webhookJobFailed(q: Q, id: number, attempts: number, httpStatus: number | null, error: string): Promise<void> {
  await q.updateTable('webhook_jobs').set({ status: 'failed', attempts, last_status: httpStatus, last_error: error }).where('id', '=', id).execute();
}

export async function webhookJobRetry(q: Q, id: number, attempts: number, httpStatus: number | null, error: string, nextAt: number): Promise<void> {
  await q.updateTable('webhook_jobs').set({ attempts, last_status: httpStatus, last_error: error, next_at: nextAt, locked_until: 0 }).where('id', '=', id).execute();
}

/**
 * Webhooks for delivery backends: a backend registers a URL and the events it wants; every
 * matching event becomes a row in a persisted queue (webhook_jobs) in the same transaction
 * as the change it reports, so nothing is lost across restarts. The worker
 * (webhook-worker.ts) delivers with an HMAC-SHA256 signature and retries with backoff. The
 * signing secret is stored sealed under the data key (secret-box.ts, column WEBHOOK_SECRET_COLUMN).
 */
import { randomUUID } from 'node:crypto';
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import type { Q } from '../data/store';
import { insertWebhook, insertWebhookJob, liveWebhooks, markWebhookDeleted, type WebhookRow } from '../data/webhooks';
import { randomSecret } from '../secrets';
import { checkWebhookTarget } from './webhook-target';

export const WEBHOOK_EVENTS = [
  'delivery.booked', 'delivery.staged', 'delivery.unlocked', 'delivery.entered', 'delivery.denied', 'delivery.secured', 'delivery.alarm',
  'delivery.blocked', 'delivery.cancelled', 'delivery.failed', 'delivery.receipt_signed', 'parcel.registered', 'parcel.opened'
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The associated data the webhook secret is sealed with. */
export const WEBHOOK_SECRET_COLUMN = 'webhooks.secret';

export interface WebhookView {
  id: number;
  url: string;
  events: string[];
  createdAt: string;
}

function view(r: WebhookRow): WebhookView {
  return { id: r.id, url: r.url, events: JSON.parse(r.events) as string[], createdAt: new Date(r.created_at).toISOString() };
}

export async function createWebhook(ctx: RelayContext, backendId: number, url: string, events: string[]): Promise<WebhookView & { secret: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw relayError('KW_VALIDATION', { field: 'url' }, 'url must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw relayError('KW_VALIDATION', { field: 'url' }, 'url must be http or https');
  await checkWebhookTarget(parsed, ctx.opts.webhooks.allowPrivateTargets);
  const secret = randomSecret('whsec_');
  const row = await insertWebhook(ctx.store.q, { backend_id: backendId, url, events: JSON.stringify([...new Set(events)]), secret: ctx.box.seal(secret, WEBHOOK_SECRET_COLUMN), created_at: ctx.now() });
  ctx.log.info({ webhookId: row.id, backendId, events }, 'webhook registered');
  return { ...view(row), secret };
}

export async function listWebhooks(ctx: RelayContext, backendId: number): Promise<WebhookView[]> {
  return (await liveWebhooks(ctx.store.q, backendId)).map(view);
}

export async function deleteWebhook(ctx: RelayContext, backendId: number, id: number): Promise<void> {
  if (!(await markWebhookDeleted(ctx.store.q, backendId, id, ctx.now()))) throw relayError('KW_NOT_FOUND');
}

function jobsFor(ctx: RelayContext, hooks: WebhookRow[], event: WebhookEvent, data: Record<string, unknown>): { webhookId: number; event: string; body: string; at: number }[] {
  const jobs = [];
  for (const h of hooks) {
    const wanted = JSON.parse(h.events) as string[];
    if (!wanted.includes(event) && !wanted.includes('*')) continue;
    const body = JSON.stringify({ id: 'evt_' + randomUUID(), event, time: new Date(ctx.now()).toISOString(), data });
    jobs.push({ webhookId: h.id, event, body, at: ctx.now() });
  }
  return jobs;
}

/**
 * Queues `event` for every webhook of the backend that asked for it, in q: the transaction of
 * the change it reports. Returns how many jobs were queued.
 */
export async function enqueueWebhook(ctx: RelayContext, q: Q, backendId: number | null, event: WebhookEvent, data: Record<string, unknown>): Promise<number> {
  if (backendId === null) return 0;
  const jobs = jobsFor(ctx, await liveWebhooks(q, backendId), event, data);
  for (const j of jobs) await insertWebhookJob(q, j);
  if (jobs.length > 0) setImmediate(() => ctx.kickWebhooks());
  return jobs.length;
}

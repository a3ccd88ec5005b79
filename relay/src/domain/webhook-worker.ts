/**
 * Delivers queued webhooks. Jobs are claimed with an atomic UPDATE … RETURNING (a lease in
 * locked_until), so several relay processes share one queue without sending a job twice
 * at once. Each POST carries `X-Keyway-Timestamp` and
 * `X-Keyway-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. A non-2xx
 * answer or a network error is retried after base·2^(attempt−1), capped, up to maxAttempts.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { RelayContext } from '../context';
import { claimDueJobs } from '../data/job-queue';
import { findWebhook, webhookJobDelivered, webhookJobFailed, webhookJobRetry, webhookJobsById, type WebhookJobRow } from '../data/webhooks';
import { PolledWorker } from './polled-worker';
import { WEBHOOK_SECRET_COLUMN } from './webhooks';
import { literalTargetAllowed, publicOnlyLookup } from './webhook-target';

/** Jobs one worker run claims at most. */
export const MAX_WEBHOOK_BATCH = 20;

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return 'v1=' + createHmac('sha256', secret).update(timestamp + '.' + body).digest('hex');
}

function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number, allowPrivate: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (!literalTargetAllowed(u, allowPrivate)) {
      reject(new Error('webhook target is a non-public address'));
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { method: 'POST', agent: false, timeout: timeoutMs, lookup: publicOnlyLookup(allowPrivate), headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('webhook timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

export class WebhookWorker extends PolledWorker {
  constructor(ctx: RelayContext) {
    super(ctx, 'webhook worker', () => ctx.opts.webhooks.pollMs);
  }

  /** Claims and delivers the jobs that are due now. */
  async runOnce(): Promise<number> {
    const ctx = this.ctx;
    if (ctx.closing) return 0;
    const now = ctx.now();
    const lease = now + ctx.opts.webhooks.timeoutMs * 2;
    const jobs = await webhookJobsById(ctx.store.q, await claimDueJobs(ctx.store.q, 'webhook_jobs', now, lease, MAX_WEBHOOK_BATCH));
    await Promise.all(jobs.map((j) => this.deliver(j)));
    return jobs.length;
  }

  private async deliver(job: WebhookJobRow): Promise<void> {
    const ctx = this.ctx;
    const hook = await findWebhook(ctx.store.q, job.webhook_id);
    if (!hook || hook.deleted_at) {
      await webhookJobFailed(ctx.store.q, job.id, job.attempts, job.last_status, 'webhook deleted');
      return;
    }
    let secret: string;
    try {
      secret = ctx.box.open(hook.secret, WEBHOOK_SECRET_COLUMN);
    } catch (err) {
      // Sealed under another data key: no relay of this set can sign it, so retrying cannot help.
      await webhookJobFailed(ctx.store.q, job.id, job.attempts, job.last_status, (err as Error).message);
      return;
    }
    const ts = String(Math.floor(ctx.now() / 1000));
    const headers = {
      'content-type': 'application/json', 'user-agent': 'keyway-relay', 'x-keyway-event': job.event, 'x-keyway-delivery': String(job.id),
      'x-keyway-timestamp': ts, 'x-keyway-signature': signWebhook(secret, ts, job.body)
    };
    let status = 0;
    let error: string | null = null;
    try {
      status = await post(hook.url, job.body, headers, ctx.opts.webhooks.timeoutMs, ctx.opts.webhooks.allowPrivateTargets);
      if (status < 200 || status >= 300) error = 'HTTP ' + status;
    } catch (err) {
      error = (err as Error).message;
    }
    if (ctx.closing) return;
    const attempts = job.attempts + 1;
    if (!error) {
      await webhookJobDelivered(ctx.store.q, job.id, attempts, status, ctx.now());
      ctx.metrics.webhookDeliveries.inc({ outcome: 'delivered' });
      ctx.log.info({ webhookId: job.webhook_id, jobId: job.id, event: job.event, attempts, status }, 'webhook delivered');
      return;
    }
    ctx.metrics.webhookFailures.inc();
    const w = ctx.opts.webhooks;
    if (attempts >= w.maxAttempts) {
      await webhookJobFailed(ctx.store.q, job.id, attempts, status || null, error);
      ctx.metrics.webhookDeliveries.inc({ outcome: 'failed' });
      ctx.log.warn({ webhookId: job.webhook_id, jobId: job.id, event: job.event, attempts, error }, 'webhook given up');
      return;
    }
    const delay = Math.min(w.baseBackoffMs * 2 ** (attempts - 1), w.maxBackoffMs);
    await webhookJobRetry(ctx.store.q, job.id, attempts, status || null, error, ctx.now() + delay);
    ctx.metrics.webhookDeliveries.inc({ outcome: 'retry' });
    ctx.log.warn({ webhookId: job.webhook_id, jobId: job.id, event: job.event, attempts, error, retryInMs: delay }, 'webhook failed, will retry');
  }
}

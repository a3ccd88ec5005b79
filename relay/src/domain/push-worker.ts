/**
 * Sends queued owner notifications to where the owner reads them with the page closed:
 * e-mail through the relay's SMTP server (nodemailer) and an ntfy-compatible HTTP publish
 * (POST to the topic URL, text body, Title/Priority/Tags/Click headers, the owner's token as
 * a bearer token). Jobs are claimed with an atomic UPDATE … RETURNING lease, like webhooks,
 * so several relay processes never send one twice at once; failures retry with backoff.
 */
import http from 'node:http';
import https from 'node:https';
import nodemailer, { type Transporter } from 'nodemailer';
import type { RelayContext } from '../context';
import { claimDueJobs } from '../data/job-queue';
import { sendFailed, sendRetry, sendsById, sendSucceeded, type NotificationSendRow } from '../data/notification-sends';
import { PolledWorker } from './polled-worker';
import { pushText, type PushText } from './notification-events';
import { pushTarget, type PushTarget } from './notification-settings';
import type { NotificationView } from './notifications';
import { notificationById } from './notifications';
import { literalTargetAllowed, publicOnlyLookup } from './webhook-target';

export const MAX_PUSH_BATCH = 20;

function publishNtfy(url: string, token: string | null, t: PushText, click: string | null, timeoutMs: number, allowPrivate: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    // Checked when saved, and again here: a host name may resolve elsewhere by now.
    if (!literalTargetAllowed(u, allowPrivate)) {
      reject(new Error('ntfy target is a non-public address'));
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    const body = Buffer.from(t.body, 'utf8');
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length), 'user-agent': 'keyway-relay',
      // Header values must be Latin-1: ntfy decodes RFC 2047 encoded words in Title.
      title: '=?UTF-8?B?' + Buffer.from(t.title, 'utf8').toString('base64') + '?=', priority: String(t.priority), tags: 'door'
    };
    if (click) headers.click = click;
    if (token) headers.authorization = 'Bearer ' + token;
    const req = mod.request(u, { method: 'POST', agent: false, timeout: timeoutMs, lookup: publicOnlyLookup(allowPrivate), headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('ntfy timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

export class PushWorker extends PolledWorker {
  private readonly mailer: Transporter | null;

  constructor(ctx: RelayContext) {
    super(ctx, 'push worker', () => ctx.opts.notifications.pollMs);
    const smtp = ctx.opts.notifications.smtp;
    this.mailer = smtp
      ? nodemailer.createTransport({
        host: smtp.host, port: smtp.port, secure: smtp.secure, auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
        connectionTimeout: ctx.opts.notifications.timeoutMs, greetingTimeout: ctx.opts.notifications.timeoutMs, socketTimeout: ctx.opts.notifications.timeoutMs
      })
      : null;
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.mailer?.close();
  }

  /** Claims and sends the notifications that are due now. */
  async runOnce(): Promise<number> {
    const ctx = this.ctx;
    if (ctx.closing) return 0;
    const now = ctx.now();
    const lease = now + ctx.opts.notifications.timeoutMs * 2;
    const jobs = await sendsById(ctx.store.q, await claimDueJobs(ctx.store.q, 'notification_sends', now, lease, MAX_PUSH_BATCH));
    await Promise.all(jobs.map((j) => this.send(j)));
    return jobs.length;
  }

  private async deliver(job: NotificationSendRow, n: NotificationView, target: PushTarget): Promise<void> {
    const o = this.ctx.opts.notifications;
    const t = await pushText(this.ctx.store.q, n);
    const link = o.publicUrl ? o.publicUrl.replace(/\/$/, '') + '/' + (n.siteId ? '?site=' + n.siteId : '') : null;
    if (job.channel === 'email') {
      if (!this.mailer || !target.email) throw new Error('e-mail not configured');
      await this.mailer.sendMail({
        from: o.smtp!.from, to: target.email, subject: t.title,
        text: t.body + '\n\n' + new Date(n.time).toUTCString() + (link ? '\nOpen keyway: ' + link : '') + '\n\nChange what you are told about on the keyway page, under Notifications.\n',
        headers: { 'X-Keyway-Notification': n.kind }
      });
      return;
    }
    if (!target.ntfyUrl) throw new Error('ntfy not configured');
    const status = await publishNtfy(target.ntfyUrl, target.ntfyToken, t, link, o.timeoutMs, this.ctx.opts.webhooks.allowPrivateTargets);
    if (status < 200 || status >= 300) throw new Error('HTTP ' + status);
  }

  private async send(job: NotificationSendRow): Promise<void> {
    const ctx = this.ctx;
    const n = await notificationById(ctx, job.notification_id);
    const target = await pushTarget(ctx, job.owner_id);
    let error: string | null = null;
    try {
      if (!n || !target) throw new Error('notification or settings gone');
      await this.deliver(job, n, target);
    } catch (err) {
      error = (err as Error).message;
    }
    if (ctx.closing) return;
    const attempts = job.attempts + 1;
    const log = { sendId: job.id, channel: job.channel, notificationId: job.notification_id, ownerId: job.owner_id, attempts };
    if (!error) {
      await sendSucceeded(ctx.store.q, job.id, attempts, ctx.now());
      ctx.log.info(log, 'notification sent');
      return;
    }
    const o = ctx.opts.notifications;
    if (attempts >= o.maxAttempts) {
      await sendFailed(ctx.store.q, job.id, attempts, error);
      ctx.log.warn({ ...log, error }, 'notification given up');
      return;
    }
    const delay = Math.min(o.baseBackoffMs * 2 ** (attempts - 1), o.maxBackoffMs);
    await sendRetry(ctx.store.q, job.id, attempts, error, ctx.now() + delay);
    ctx.log.warn({ ...log, error, retryInMs: delay }, 'notification failed, will retry');
  }
}

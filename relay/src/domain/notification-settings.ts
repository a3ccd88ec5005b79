/**
 * Each owner's choice of where notifications go when the page is closed (e-mail over the
 * relay's SMTP server, an ntfy-compatible topic URL) and which events to hear about. The
 * ntfy access token is write-only: it is stored, used as a bearer token, and never shown or
 * logged. queuePushes() turns one stored notification into send jobs, inside the caller's
 * transaction, so a notification is queued exactly once with the change it reports.
 */
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { NOTIFY_EVENT_LABELS, NOTIFY_EVENTS, notifyEventOf, type NotifyEvent } from './notification-events';
import type { NotificationView } from './notifications';

export const MAX_EMAIL_LENGTH = 254;
export const MAX_NTFY_URL_LENGTH = 500;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface SettingsRow {
  owner_id: number;
  email: string | null;
  email_on: number;
  ntfy_url: string | null;
  ntfy_token: string | null;
  ntfy_on: number;
  events: string;
  updated_at: number;
}

export interface NotificationSettingsView {
  email: { enabled: boolean; address: string; available: boolean };
  ntfy: { enabled: boolean; url: string | null; tokenSet: boolean };
  events: NotifyEvent[];
  choices: { event: NotifyEvent; label: string }[];
}

export interface NotificationSettingsInput {
  email?: { enabled: boolean; address?: string };
  ntfy?: { enabled: boolean; url?: string | null; token?: string | null };
  events?: string[];
}

function row(ctx: RelayContext, ownerId: number): SettingsRow | undefined {
  return ctx.db.prepare('SELECT * FROM notification_settings WHERE owner_id = ?').get(ownerId) as SettingsRow | undefined;
}

function ownerEmail(ctx: RelayContext, ownerId: number): string {
  return (ctx.db.prepare('SELECT email FROM owners WHERE id = ?').get(ownerId) as { email: string }).email;
}

export function getNotificationSettings(ctx: RelayContext, ownerId: number): NotificationSettingsView {
  const r = row(ctx, ownerId);
  return {
    email: { enabled: r?.email_on === 1, address: r?.email ?? ownerEmail(ctx, ownerId), available: ctx.opts.notifications.smtp !== null },
    ntfy: { enabled: r?.ntfy_on === 1, url: r?.ntfy_url ?? null, tokenSet: !!r?.ntfy_token },
    events: r ? (JSON.parse(r.events) as NotifyEvent[]) : [...NOTIFY_EVENTS],
    choices: NOTIFY_EVENTS.map((event) => ({ event, label: NOTIFY_EVENT_LABELS[event] }))
  };
}

/** The ntfy topic URL, or KW_VALIDATION: http(s)://server/topic without credentials. */
export function parseNtfyUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw relayError('KW_VALIDATION', { field: 'ntfy.url' }, 'The ntfy address is not a URL.');
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password || u.pathname.length < 2) {
    throw relayError('KW_VALIDATION', { field: 'ntfy.url' }, 'The ntfy address must be http(s)://server/topic without credentials in it.');
  }
  return u;
}

function checkNtfyUrl(url: string): string {
  return parseNtfyUrl(url).toString();
}

export function putNotificationSettings(ctx: RelayContext, ownerId: number, input: NotificationSettingsInput): NotificationSettingsView {
  const cur = getNotificationSettings(ctx, ownerId);
  const old = row(ctx, ownerId);
  const address = (input.email?.address ?? cur.email.address).trim();
  if (!EMAIL_SHAPE.test(address) || address.length > MAX_EMAIL_LENGTH) throw relayError('KW_VALIDATION', { field: 'email.address' }, 'Not an e-mail address.');
  const emailOn = input.email ? input.email.enabled : cur.email.enabled;
  if (emailOn && !cur.email.available) throw relayError('KW_CONFLICT', { field: 'email.enabled' }, 'This relay has no SMTP server configured.');
  const url = input.ntfy && input.ntfy.url !== undefined ? (input.ntfy.url ? checkNtfyUrl(input.ntfy.url) : null) : cur.ntfy.url;
  const token = input.ntfy && input.ntfy.token !== undefined ? (input.ntfy.token || null) : (old?.ntfy_token ?? null);
  const ntfyOn = input.ntfy ? input.ntfy.enabled : cur.ntfy.enabled;
  if (ntfyOn && !url) throw relayError('KW_VALIDATION', { field: 'ntfy.url' }, 'Give the ntfy topic address to turn push on.');
  const events = input.events ? [...new Set(input.events)] : cur.events;
  for (const e of events) if (!(NOTIFY_EVENTS as readonly string[]).includes(e)) throw relayError('KW_VALIDATION', { field: 'events', event: e });
  ctx.db.prepare(`INSERT INTO notification_settings (owner_id, email, email_on, ntfy_url, ntfy_token, ntfy_on, events, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (owner_id) DO UPDATE SET email = excluded.email, email_on = excluded.email_on, ntfy_url = excluded.ntfy_url, ntfy_token = excluded.ntfy_token,
    ntfy_on = excluded.ntfy_on, events = excluded.events, updated_at = excluded.updated_at`)
    .run(ownerId, address, emailOn ? 1 : 0, url, token, ntfyOn ? 1 : 0, JSON.stringify(events), ctx.now());
  ctx.log.info({ ownerId, email: emailOn, ntfy: ntfyOn, events: events.length }, 'notification settings changed');
  return getNotificationSettings(ctx, ownerId);
}

/** The channels a notification goes out on for its owner (none unless the owner turned one on and chose the event). */
export function queuePushes(ctx: RelayContext, ownerId: number, n: NotificationView, force = false): number {
  const r = row(ctx, ownerId);
  if (!r) return 0;
  const event = notifyEventOf(n);
  if (!force && (event === null || !(JSON.parse(r.events) as string[]).includes(event))) return 0;
  const channels: string[] = [];
  if (r.email_on === 1 && ctx.opts.notifications.smtp) channels.push('email');
  if (r.ntfy_on === 1 && r.ntfy_url) channels.push('ntfy');
  const insert = ctx.db.prepare("INSERT INTO notification_sends (notification_id, owner_id, channel, status, next_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)");
  for (const c of channels) insert.run(n.id, ownerId, c, ctx.now(), ctx.now());
  if (channels.length) ctx.kickPushes();
  return channels.length;
}

export interface PushTarget {
  email: string | null;
  ntfyUrl: string | null;
  ntfyToken: string | null;
}

export function pushTarget(ctx: RelayContext, ownerId: number): PushTarget | null {
  const r = row(ctx, ownerId);
  return r ? { email: r.email, ntfyUrl: r.ntfy_url, ntfyToken: r.ntfy_token } : null;
}

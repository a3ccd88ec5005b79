/**
 * Each owner's choice of where notifications go when the page is closed (e-mail over the
 * relay's SMTP server, an ntfy-compatible topic URL) and which events to hear about. The
 * ntfy access token is write-only: it is stored, used as a bearer token, and never shown or
 * logged. queuePushes() turns one stored notification into send jobs, inside the caller's
 * transaction, so a notification is queued exactly once with the change it reports.
 */
import type { RelayContext } from '../context';
import { findOwner } from '../data/accounts';
import { queueSends } from '../data/notification-sends';
import { findNotificationSettings, saveNotificationSettings } from '../data/notifications';
import type { Q } from '../data/store';
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


export async function getNotificationSettings(ctx: RelayContext, ownerId: number): Promise<NotificationSettingsView> {
  const r = await findNotificationSettings(ctx.store.q, ownerId);
  return {
    email: { enabled: r?.email_on === 1, address: r?.email ?? (await findOwner(ctx.store.q, ownerId))!.email, available: ctx.opts.notifications.smtp !== null },
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

export async function putNotificationSettings(ctx: RelayContext, ownerId: number, input: NotificationSettingsInput): Promise<NotificationSettingsView> {
  const cur = await getNotificationSettings(ctx, ownerId);
  const old = await findNotificationSettings(ctx.store.q, ownerId);
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
  await saveNotificationSettings(ctx.store.q, {
    owner_id: ownerId, email: address, email_on: emailOn ? 1 : 0, ntfy_url: url, ntfy_token: token, ntfy_on: ntfyOn ? 1 : 0, events: JSON.stringify(events), updated_at: ctx.now()
  });
  ctx.log.info({ ownerId, email: emailOn, ntfy: ntfyOn, events: events.length }, 'notification settings changed');
  return getNotificationSettings(ctx, ownerId);
}

/** The channels a notification goes out on for its owner (none unless the owner turned one on and chose the event). */
function channelsFor(ctx: RelayContext, r: SettingsRow | undefined, n: NotificationView, force: boolean): ('email' | 'ntfy')[] {
  if (!r) return [];
  const event = notifyEventOf(n);
  if (!force && (event === null || !(JSON.parse(r.events) as string[]).includes(event))) return [];
  const channels: ('email' | 'ntfy')[] = [];
  if (r.email_on === 1 && ctx.opts.notifications.smtp) channels.push('email');
  if (r.ntfy_on === 1 && r.ntfy_url) channels.push('ntfy');
  return channels;
}

/** Queues the notification's sends in q, the transaction that stored it; returns how many. */
export async function queuePushes(ctx: RelayContext, q: Q, ownerId: number, n: NotificationView, force = false): Promise<number> {
  const channels = channelsFor(ctx, await findNotificationSettings(q, ownerId), n, force);
  await queueSends(q, n.id, ownerId, channels, ctx.now());
  if (channels.length) ctx.kickPushes();
  return channels.length;
}

export interface PushTarget {
  email: string | null;
  ntfyUrl: string | null;
  ntfyToken: string | null;
}

export async function pushTarget(ctx: RelayContext, ownerId: number): Promise<PushTarget | null> {
  const r = await findNotificationSettings(ctx.store.q, ownerId);
  return r ? { email: r.email, ntfyUrl: r.ntfy_url, ntfyToken: r.ntfy_token } : null;
}

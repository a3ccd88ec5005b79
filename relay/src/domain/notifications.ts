/**
 * Notifications for owners and couriers (secured receipts, alarms, denials). Stored, listed
 * by GET /v1/notifications, and pushed live: owner notifications on the site stream,
 * courier notifications on the delivery stream. An owner notification is also queued for
 * e-mail and ntfy push when the owner chose that event (notification-settings.ts).
 */
import type { RelayContext } from '../context';
import { findNotification, notificationsFor, type NotificationRow } from '../data/notifications';
import { queuePushes } from './notification-settings';

export interface NotificationInput {
  recipientKind: 'owner' | 'courier';
  recipientId: number;
  siteId?: number | null;
  deliveryId?: number | null;
  kind: string;
  body: Record<string, unknown>;
}

export interface NotificationView {
  id: number;
  kind: string;
  siteId: number | null;
  deliveryId: number | null;
  time: string;
  body: Record<string, unknown>;
}

function view(r: NotificationRow): NotificationView {
  return { id: r.id, kind: r.kind, siteId: r.site_id, deliveryId: r.delivery_id, time: new Date(r.created_at).toISOString(), body: JSON.parse(r.body) as Record<string, unknown> };
}

export function notify(ctx: RelayContext, n: NotificationInput): NotificationView {
  const row = ctx.db.prepare(`INSERT INTO notifications (recipient_kind, recipient_id, site_id, delivery_id, kind, body, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`).get(n.recipientKind, n.recipientId, n.siteId ?? null, n.deliveryId ?? null, n.kind, JSON.stringify(n.body), ctx.now()) as NotificationRow;
  const v = view(row);
  if (n.recipientKind === 'owner') queuePushes(ctx, n.recipientId, v);
  const topics = [n.recipientKind + ':' + n.recipientId];
  if (n.recipientKind === 'owner' && n.siteId) topics.push('site:' + n.siteId);
  if (n.recipientKind === 'courier' && n.deliveryId) topics.push('delivery:' + n.deliveryId);
  ctx.live.emit(topics, 'notification', v);
  return v;
}

export function notifySiteOwner(ctx: RelayContext, siteId: number, kind: string, body: Record<string, unknown>, deliveryId?: number | null): void {
  const s = ctx.db.prepare('SELECT owner_id FROM sites WHERE id = ?').get(siteId) as { owner_id: number } | undefined;
  if (s) notify(ctx, { recipientKind: 'owner', recipientId: s.owner_id, siteId, deliveryId, kind, body });
}

export async function notificationById(ctx: RelayContext, id: number): Promise<NotificationView | undefined> {
  const r = await findNotification(ctx.store.q, id);
  return r ? view(r) : undefined;
}

export async function listNotifications(ctx: RelayContext, kind: 'owner' | 'courier', id: number, limit: number, before?: number): Promise<NotificationView[]> {
  return (await notificationsFor(ctx.store.q, kind, id, before ?? Number.MAX_SAFE_INTEGER, limit)).map(view);
}

/** The owner's test notification, queued on every channel that is on (even for events not chosen); returns how many sends. */
export async function sendTestNotification(ctx: RelayContext, ownerId: number): Promise<{ queued: number }> {
  // The notification and its sends are still written on the synchronous handle, inside the store's transaction.
  return ctx.store.tx(async () => {
    const n = notify(ctx, { recipientKind: 'owner', recipientId: ownerId, kind: 'push.test', body: {} });
    return { queued: queuePushes(ctx, ownerId, n, true) };
  });
}

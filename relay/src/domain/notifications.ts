/**
 * Notifications for owners and couriers (secured receipts, alarms, denials). Stored, listed
 * by GET /v1/notifications, and pushed live: owner notifications on the site stream,
 * courier notifications on the delivery stream. An owner notification is also queued for
 * e-mail and ntfy push when the owner chose that event (notification-settings.ts).
 */
import type { RelayContext } from '../context';
import { findNotification, insertNotification, notificationsFor, siteOwnerId, type NotificationRow } from '../data/notifications';
import type { Q } from '../data/store';
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

function rowValues(ctx: RelayContext, n: NotificationInput) {
  return { recipient_kind: n.recipientKind, recipient_id: n.recipientId, site_id: n.siteId ?? null, delivery_id: n.deliveryId ?? null, kind: n.kind, body: JSON.stringify(n.body), created_at: ctx.now() };
}

function emit(ctx: RelayContext, n: NotificationInput, v: NotificationView): void {
  const topics = [n.recipientKind + ':' + n.recipientId];
  if (n.recipientKind === 'owner' && n.siteId) topics.push('site:' + n.siteId);
  if (n.recipientKind === 'courier' && n.deliveryId) topics.push('delivery:' + n.deliveryId);
  ctx.live.emit(topics, 'notification', v);
}

/** Stores the notification in q (the caller's transaction), queues the owner's pushes with it, and pushes it live. */
export async function notify(ctx: RelayContext, q: Q, n: NotificationInput): Promise<NotificationView> {
  const v = view(await insertNotification(q, rowValues(ctx, n)));
  if (n.recipientKind === 'owner') await queuePushes(ctx, q, n.recipientId, v);
  emit(ctx, n, v);
  return v;
}

export async function notifySiteOwner(ctx: RelayContext, q: Q, siteId: number, kind: string, body: Record<string, unknown>, deliveryId?: number | null): Promise<void> {
  const ownerId = await siteOwnerId(q, siteId);
  if (ownerId !== undefined) await notify(ctx, q, { recipientKind: 'owner', recipientId: ownerId, siteId, deliveryId, kind, body });
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
  return ctx.store.tx(async (q) => {
    const n = await notify(ctx, q, { recipientKind: 'owner', recipientId: ownerId, kind: 'push.test', body: {} });
    return { queued: await queuePushes(ctx, q, ownerId, n, true) };
  });
}

/**
 * Notifications for owners and couriers (secured receipts, alarms, denials). Stored, listed
 * by GET /v1/notifications, and pushed live: owner notifications on the site stream,
 * courier notifications on the delivery stream. An owner notification is also queued for
 * e-mail and ntfy push when the owner chose that event (notification-settings.ts).
 */
import type { RelayContext } from '../context';
import { findNotification, insertNotification, notificationsFor, siteOwnerId, type NotificationRow } from '../data/notifications';
import type { Q } from '../data/store';
import { queuePushes, queuePushesSync } from './notification-settings';
import { isQ } from './sqlite-only';

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

/** The synchronous form for the callers still on the SQLite handle (sqlite-only.ts). */
function notifySync(ctx: RelayContext, n: NotificationInput): NotificationView {
  const r = rowValues(ctx, n);
  const row = ctx.db.prepare(`INSERT INTO notifications (recipient_kind, recipient_id, site_id, delivery_id, kind, body, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`).get(r.recipient_kind, r.recipient_id, r.site_id, r.delivery_id, r.kind, r.body, r.created_at) as NotificationRow;
  const v = view(row);
  if (n.recipientKind === 'owner') queuePushesSync(ctx, n.recipientId, v);
  emit(ctx, n, v);
  return v;
}

/** Stores the notification in q (the caller's transaction), queues the owner's pushes with it, and pushes it live. */
export function notify(ctx: RelayContext, n: NotificationInput): NotificationView;
export function notify(ctx: RelayContext, q: Q, n: NotificationInput): Promise<NotificationView>;
export function notify(ctx: RelayContext, qn: Q | NotificationInput, b?: NotificationInput): NotificationView | Promise<NotificationView> {
  if (!isQ(qn)) return notifySync(ctx, qn);
  const n = b!;
  return (async () => {
    const v = view(await insertNotification(qn, rowValues(ctx, n)));
    if (n.recipientKind === 'owner') await queuePushes(ctx, qn, n.recipientId, v);
    emit(ctx, n, v);
    return v;
  })();
}

export function notifySiteOwner(ctx: RelayContext, siteId: number, kind: string, body: Record<string, unknown>, deliveryId?: number | null): void;
export function notifySiteOwner(ctx: RelayContext, q: Q, siteId: number, kind: string, body: Record<string, unknown>, deliveryId?: number | null): Promise<void>;
export function notifySiteOwner(ctx: RelayContext, ...args: [number, string, Record<string, unknown>, (number | null)?] | [Q, number, string, Record<string, unknown>, (number | null)?]): void | Promise<void> {
  if (isQ(args[0])) {
    const [q, siteId, kind, body, deliveryId] = args as [Q, number, string, Record<string, unknown>, (number | null)?];
    return (async () => {
      const ownerId = await siteOwnerId(q, siteId);
      if (ownerId !== undefined) await notify(ctx, q, { recipientKind: 'owner', recipientId: ownerId, siteId, deliveryId, kind, body });
    })();
  }
  const [siteId, kind, body, deliveryId] = args as [number, string, Record<string, unknown>, (number | null)?];
  const s = ctx.db.prepare('SELECT owner_id FROM sites WHERE id = ?').get(siteId) as { owner_id: number } | undefined;
  if (s) notifySync(ctx, { recipientKind: 'owner', recipientId: s.owner_id, siteId, deliveryId, kind, body });
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

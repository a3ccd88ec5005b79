/** Owner and courier notifications and each owner's push settings. */
import type { Insertable, Selectable } from 'kysely';
import type { NotificationSettingsTable, NotificationsTable } from './schema';
import type { Q } from './store';

export type NotificationRow = Selectable<NotificationsTable>;
export type NotificationSettingsRow = Selectable<NotificationSettingsTable>;

export function findNotification(q: Q, id: number): Promise<NotificationRow | undefined> {
  return q.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Newest first, below id `beforeId`. */
export function notificationsFor(q: Q, recipientKind: string, recipientId: number, beforeId: number, limit: number): Promise<NotificationRow[]> {
  return q.selectFrom('notifications').selectAll().where('recipient_kind', '=', recipientKind).where('recipient_id', '=', recipientId).where('id', '<', beforeId)
    .orderBy('id', 'desc').limit(limit).execute();
}

export function findNotificationSettings(q: Q, ownerId: number): Promise<NotificationSettingsRow | undefined> {
  return q.selectFrom('notification_settings').selectAll().where('owner_id', '=', ownerId).executeTakeFirst();
}

/** Creates or replaces the owner's settings row. */
export async function saveNotificationSettings(q: Q, row: Insertable<NotificationSettingsTable>): Promise<void> {
  const { owner_id: _ownerId, ...rest } = row;
  await q.insertInto('notification_settings').values(row).onConflict((oc) => oc.column('owner_id').doUpdateSet(rest)).execute();
}

export function insertNotification(q: Q, row: Insertable<NotificationsTable>): Promise<NotificationRow> {
  return q.insertInto('notifications').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The site's owner (notifications about a site go to them). */
export async function siteOwnerId(q: Q, siteId: number): Promise<number | undefined> {
  return (await q.selectFrom('sites').select('owner_id').where('id', '=', siteId).executeTakeFirst())?.owner_id;
}

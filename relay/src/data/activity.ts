/** The per-site activity feed: rows are written once and read newest first. */
import type { Insertable, Selectable } from 'kysely';
import type { ActivityTable } from './schema';
import type { Q } from './store';

export type ActivityRow = Selectable<ActivityTable>;

/**
 * Newest first, below id `beforeId`; `kindPrefix` keeps only kinds starting with it (kinds are
 * lower-case dotted names, so LIKE behaves the same on both stores).
 */
export function activityOfSite(q: Q, siteId: number, beforeId: number, limit: number, kind?: { exact: string } | { prefix: string }): Promise<ActivityRow[]> {
  return q.selectFrom('activity').selectAll().where('site_id', '=', siteId).where('id', '<', beforeId)
    .$if(kind !== undefined && 'exact' in kind, (s) => s.where('kind', '=', (kind as { exact: string }).exact))
    .$if(kind !== undefined && 'prefix' in kind, (s) => s.where('kind', 'like', (kind as { prefix: string }).prefix + '%'))
    .orderBy('id', 'desc').limit(limit).execute();
}

export function insertActivity(q: Q, row: Insertable<ActivityTable>): Promise<ActivityRow> {
  return q.insertInto('activity').values(row).returningAll().executeTakeFirstOrThrow();
}

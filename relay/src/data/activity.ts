/** The per-site activity feed: rows are written once and read newest first. */
import type { Insertable, Selectable } from 'kysely';
import { firstRow, multiRowInsert, prepared, preparedWrite, rowOf, rowsOf, valuesOf } from './prepared';
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

const ACTIVITY_COLUMNS = [
  'site_id', 'device_id', 'at', 'kind', 'reason', 'code', 'actor_kind', 'actor_id', 'grant_id', 'delivery_id', 'event_seq', 'clip', 'details'
] as const satisfies readonly (keyof Insertable<ActivityTable>)[];

/** Every column but the id, each given (null for none): the shape the compiled insert takes. */
export type NewActivity = { [C in (typeof ACTIVITY_COLUMNS)[number]]-?: Exclude<Insertable<ActivityTable>[C], undefined> };

const insertActivityQuery = prepared((q: Q, ...cols: unknown[]) =>
  q.insertInto('activity').values(rowOf(ACTIVITY_COLUMNS, cols) as Insertable<ActivityTable>).returningAll(), ACTIVITY_COLUMNS.length);

export async function insertActivity(q: Q, row: NewActivity): Promise<ActivityRow> {
  const r = await firstRow(insertActivityQuery(q, ...valuesOf(ACTIVITY_COLUMNS, row)));
  if (!r) throw new Error('insertActivity: no row returned');
  return r;
}

/** Rows at most in one INSERT of insertActivities (13 columns each: far below either store's limit on parameters). */
export const ACTIVITY_PER_INSERT = 16;

/**
 * Stores the rows in one statement per ACTIVITY_PER_INSERT rows and gives them back as stored, in
 * the order given (ids ascending: the order RETURNING gives is not promised, the ids are).
 */
export async function insertActivities(q: Q, rows: readonly NewActivity[]): Promise<ActivityRow[]> {
  const out: ActivityRow[] = [];
  for (const { rows: stored } of await insertActivitiesQuery.run(q, rows)) out.push(...[...stored].sort((a, b) => a.id - b.id));
  if (out.length !== rows.length) throw new Error('insertActivities: ' + out.length + ' rows returned for ' + rows.length);
  return out;
}

const insertActivitiesQuery = multiRowInsert(ACTIVITY_COLUMNS, ACTIVITY_PER_INSERT, (n) => prepared((q: Q, ...values: unknown[]) =>
  q.insertInto('activity').values(rowsOf(ACTIVITY_COLUMNS, values, n) as Array<Insertable<ActivityTable>>).returningAll(), n * ACTIVITY_COLUMNS.length));

/**
 * Stores the rows as insertActivities does, reading nothing back: for rows no live stream can
 * receive (domain/activity.ts), whose ids nobody asks for. On PostgreSQL, inside a transaction,
 * the INSERT goes with the transaction's next statement or its COMMIT (prepared.ts preparedWrite).
 */
export async function writeActivities(q: Q, rows: readonly NewActivity[]): Promise<void> {
  await writeActivitiesQuery.run(q, rows);
}

const writeActivitiesQuery = multiRowInsert(ACTIVITY_COLUMNS, ACTIVITY_PER_INSERT, (n) => preparedWrite((q: Q, ...values: unknown[]) =>
  q.insertInto('activity').values(rowsOf(ACTIVITY_COLUMNS, values, n) as Array<Insertable<ActivityTable>>), n * ACTIVITY_COLUMNS.length));

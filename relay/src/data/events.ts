/**
 * Lock events as received and the log anomalies found in them: what the intake stores
 * (locks/event-intake.ts) and what the owner reads.
 */
import type { Insertable, Selectable } from 'kysely';
import type { EventsTable, LogAnomaliesTable } from './schema';
import { firstRow, multiRowInsert, prepared, preparedWrite, rowsOf, valuesOf } from './prepared';
import type { Q } from './store';

export type EventRow = Selectable<EventsTable>;
export type LogAnomalyRow = Selectable<LogAnomaliesTable>;

/** Newest first: the events of one log epoch below sequence number `beforeSeq`. */
export function eventsBefore(q: Q, deviceId: string, epoch: number, beforeSeq: number, limit: number): Promise<EventRow[]> {
  return q.selectFrom('events').selectAll().where('device_id', '=', deviceId).where('epoch', '=', epoch).where('seq', '<', beforeSeq)
    .orderBy('seq', 'desc').limit(limit).execute();
}

/** Newest first. */
export function recentAnomalies(q: Q, deviceId: string, limit: number): Promise<LogAnomalyRow[]> {
  return q.selectFrom('log_anomalies').selectAll().where('device_id', '=', deviceId).orderBy('id', 'desc').limit(limit).execute();
}

/** The stored event at (device, epoch, seq): its hash and the hash it links to. */
export function eventLinkAt(q: Q, deviceId: string, epoch: number, seq: number): Promise<{ hash: string; prev_hash: string } | undefined> {
  return firstRow(eventLinkQuery(q, deviceId, epoch, seq));
}

const eventLinkQuery = prepared((q: Q, deviceId: string, epoch: number, seq: number) =>
  q.selectFrom('events').select(['hash', 'prev_hash']).where('device_id', '=', deviceId).where('epoch', '=', epoch).where('seq', '=', seq));

export async function insertEvent(q: Q, row: Insertable<EventsTable>): Promise<void> {
  const values = valuesOf(EVENT_COLUMNS, row);
  // A whole row takes the compiled query; a partial one is built as it is.
  if (values.every((v) => v !== undefined)) await insertEventsQuery.run(q, [row]);
  else await q.insertInto('events').values(row).execute();
}

const EVENT_COLUMNS = [
  'device_id', 'epoch', 'seq', 'raw', 'hash', 'prev_hash', 'time_s', 'type', 'code', 'ref', 'actor_kind', 'actor_ref', 'data', 'integrity', 'received_at', 'processed_by'
] as const satisfies readonly (keyof EventsTable)[];

/** Every column given (null for none): the shape the compiled insert takes. */
export type NewEvent = { [C in (typeof EVENT_COLUMNS)[number]]-?: Exclude<Insertable<EventsTable>[C], undefined> };

/**
 * Rows at most in one INSERT: the lock intake's batches hold at most this many messages
 * (locks/per-lock-queue.ts MAX_INTAKE_BATCH), and 16 rows of 16 columns stay far below either
 * store's limit on parameters.
 */
export const EVENTS_PER_INSERT = 16;

/**
 * Stores whole rows in one statement per EVENTS_PER_INSERT rows, in order: the lock intake
 * inserts the events of one batch together (locks/event-intake.ts). A row already stored fails
 * the statement, and with it every row of the statement.
 */
export async function insertEvents(q: Q, rows: readonly NewEvent[]): Promise<void> {
  await insertEventsQuery.run(q, rows);
}

const insertEventsQuery = multiRowInsert(EVENT_COLUMNS, EVENTS_PER_INSERT, (n) =>
  preparedWrite((q: Q, ...values: unknown[]) => q.insertInto('events').values(rowsOf(EVENT_COLUMNS, values, n) as Array<Insertable<EventsTable>>), n * EVENT_COLUMNS.length));

/** Events of [fromSeq, toSeq) that are stored and not a break. */
export async function countLinkedEvents(q: Q, deviceId: string, epoch: number, fromSeq: number, toSeq: number): Promise<number> {
  const r = await q.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('device_id', '=', deviceId).where('epoch', '=', epoch)
    .where('seq', '>=', fromSeq).where('seq', '<', toSeq).where('integrity', '!=', 'break').executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Records an anomaly once per (device, epoch, seq, kind); true when this call recorded it. */
export async function insertAnomaly(q: Q, row: Insertable<LogAnomaliesTable>): Promise<boolean> {
  const r = await q.insertInto('log_anomalies').values(row).onConflict((oc) => oc.columns(['device_id', 'epoch', 'seq', 'kind']).doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Gaps of one log epoch not yet filled, with the sequence number each gap starts at (from its details). */
export async function openGaps(q: Q, deviceId: string, epoch: number): Promise<{ id: number; seq: number; fromSeq: number | null }[]> {
  const rows = await q.selectFrom('log_anomalies').select(['id', 'seq', 'details']).where('device_id', '=', deviceId).where('epoch', '=', epoch)
    .where('kind', '=', 'gap').where('resolved_at', 'is', null).execute();
  return rows.map((r) => {
    const expected = (JSON.parse(r.details) as { expectedSeq?: unknown }).expectedSeq;
    return { id: r.id, seq: r.seq, fromSeq: typeof expected === 'number' ? expected : null };
  });
}

export async function resolveAnomaly(q: Q, id: number, at: number): Promise<void> {
  await q.updateTable('log_anomalies').set({ resolved_at: at }).where('id', '=', id).execute();
}

export async function openAnomalyCount(q: Q, deviceId: string): Promise<number> {
  const r = await q.selectFrom('log_anomalies').select((eb) => eb.fn.countAll<number>().as('n')).where('device_id', '=', deviceId)
    .where('resolved_at', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
}

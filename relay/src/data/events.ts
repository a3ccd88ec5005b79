/**
 * Lock events as received and the log anomalies found in them. The intake's writes
 * (locks/event-intake.ts) still run on the synchronous handle; the owner's reads are here.
 */
import type { Selectable } from 'kysely';
import type { EventsTable, LogAnomaliesTable } from './schema';
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

/**
 * Courier deliveries: booking, the status change, and what lock events and the API read. The
 * status change is the one statement that moves a delivery along its state machine
 * (domain/delivery-states.ts): a compare-and-set on the status it was read in.
 */
import type { Insertable, QueryResult, Selectable, Updateable } from 'kysely';
import type { DeliveriesTable } from './schema';
import { changedRows, firstRow, prepared, rowOf, valuesOf } from './prepared';
import type { Q } from './store';

/** Columns a status change may set along with the status. */
export type DeliveryChange = Pick<Updateable<DeliveriesTable>,
  'block_reason' | 'grant_id' | 'entry_method' | 'entry_seq' | 'entered_at' | 'clip' | 'door_opened_seq' | 'door_opened_at' | 'receipt'>;

/** UPDATE … WHERE id = ? AND status = from: true only if nobody moved the delivery meanwhile (and this call did). */
export async function moveDelivery(q: Q, id: number, from: string, to: string, change: DeliveryChange, at: number): Promise<boolean> {
  const { query, values } = moveQuery(change, false);
  return (await changedRows(query(q, id, from, to, at, ...values))) === 1;
}

/** moveDelivery, giving the row as this call wrote it (RETURNING, no read back), or undefined when it moved nothing. */
export async function moveDeliveryRow(q: Q, id: number, from: string, to: string, change: DeliveryChange, at: number): Promise<DeliveryRow | undefined> {
  const { query, values } = moveQuery(change, true);
  return (await query(q, id, from, to, at, ...values)).rows[0] as DeliveryRow | undefined;
}

function moveQuery(change: DeliveryChange, returning: boolean): { query: MoveQuery; values: unknown[] } {
  // Each set of changed columns (the callers pass a few fixed ones) is its own compiled query
  // (prepared.ts): a courier entry moves its delivery twice, once in the OPERATION's batch.
  // A column left undefined is not written, as Kysely's `set` leaves it out.
  const columns = (Object.keys(change) as DeliveryChangeColumn[]).filter((c) => change[c] !== undefined);
  const key = (returning ? 'returning:' : '') + columns.join(',');
  let query = moveQueries.get(key);
  if (!query) {
    const update = (q: Q, id: number, from: string, to: string, at: number, values: unknown[]) =>
      q.updateTable('deliveries').set({ ...(rowOf(columns, values) as DeliveryChange), status: to, updated_at: at }).where('id', '=', id).where('status', '=', from);
    query = returning
      ? prepared((q: Q, id: number, from: string, to: string, at: number, ...values: unknown[]) => update(q, id, from, to, at, values).returningAll(), 4 + columns.length)
      : prepared((q: Q, id: number, from: string, to: string, at: number, ...values: unknown[]) => update(q, id, from, to, at, values), 4 + columns.length);
    if (moveQueries.size < MAX_CHANGE_SHAPES) moveQueries.set(key, query);
  }
  return { query, values: valuesOf(columns, change) };
}

type DeliveryChangeColumn = keyof DeliveryChange;
/** Distinct sets of changed columns kept compiled (the relay's callers use under ten). */
const MAX_CHANGE_SHAPES = 32;
type MoveQuery = (q: Q, id: number, from: string, to: string, at: number, ...values: unknown[]) => Promise<QueryResult<unknown>>;
const moveQueries = new Map<string, MoveQuery>();

export type DeliveryRow = Selectable<DeliveriesTable>;

const findDeliveryQuery = prepared((q: Q, id: number) => q.selectFrom('deliveries').selectAll().where('id', '=', id));

export function findDelivery(q: Q, id: number): Promise<DeliveryRow | undefined> {
  return firstRow(findDeliveryQuery(q, id));
}

/** The courier grant staged for the delivery (null: none). */
export async function setDeliveryGrant(q: Q, id: number, grantId: number | null): Promise<void> {
  await q.updateTable('deliveries').set({ grant_id: grantId }).where('id', '=', id).execute();
}

/** Who lists deliveries: a courier sees theirs, a backend its own at partner sites, an owner those at their sites, admin all. */
export type DeliveryViewer = { kind: 'courier' | 'backend' | 'owner'; id: number } | { kind: 'admin' };

/** Deliveries the viewer may see, newest first, optionally at one site and in one status. */
export function deliveriesVisibleTo(q: Q, viewer: DeliveryViewer, filter: { siteId?: number; status?: string; limit: number }): Promise<DeliveryRow[]> {
  let s = q.selectFrom('deliveries').selectAll();
  if (viewer.kind === 'courier') s = s.where('courier_id', '=', viewer.id);
  else if (viewer.kind === 'backend') {
    s = s.where('backend_id', '=', viewer.id).where('site_id', 'in', q.selectFrom('site_partners').select('site_id').where('backend_id', '=', viewer.id));
  } else if (viewer.kind === 'owner') s = s.where('site_id', 'in', q.selectFrom('sites').select('id').where('owner_id', '=', viewer.id));
  if (filter.siteId) s = s.where('site_id', '=', filter.siteId);
  if (filter.status) s = s.where('status', '=', filter.status);
  return s.orderBy('id', 'desc').limit(filter.limit).execute();
}

/** A lock's deliveries in one of `statuses` whose entry came before the lock event `seq`. */
export async function deliveriesEnteredBefore(q: Q, deviceId: string, statuses: readonly string[], seq: number): Promise<DeliveryRow[]> {
  // Each status list (the callers pass a few fixed ones) is its own compiled query (prepared.ts):
  // a lock's OPERATION and STATE events run this every time.
  const key = statuses.join(',');
  let query = enteredBeforeQueries.get(key);
  if (!query) {
    const list = [...statuses];
    query = prepared((q: Q, deviceId: string, seq: number) =>
      q.selectFrom('deliveries').selectAll().where('device_id', '=', deviceId).where('status', 'in', list).where('entry_seq', '<', seq).orderBy('id'));
    if (enteredBeforeQueries.size < MAX_STATUS_LISTS) enteredBeforeQueries.set(key, query);
  }
  return (await query(q, deviceId, seq)).rows;
}

/** Distinct status lists kept compiled (the relay's callers use two). */
const MAX_STATUS_LISTS = 16;
const enteredBeforeQueries = new Map<string, (q: Q, deviceId: string, seq: number) => Promise<QueryResult<DeliveryRow>>>();

/** A lock's deliveries with a courier at the door or inside (`atTheDoor`), or secured after `securedSince`. */
export function deliveriesAtTheDoor(q: Q, deviceId: string, atTheDoor: readonly string[], securedSince: number): Promise<DeliveryRow[]> {
  return q.selectFrom('deliveries').selectAll().where('device_id', '=', deviceId)
    .where((eb) => eb.or([eb('status', 'in', [...atTheDoor]), eb.and([eb('status', '=', 'secured'), eb('entered_at', '>', securedSince)])]))
    .orderBy('id').execute();
}

/** The delivery's alarms (a JSON list) as they now stand. */
export async function setDeliveryAlarms(q: Q, id: number, alarms: string, now: number): Promise<void> {
  await q.updateTable('deliveries').set({ alarms, updated_at: now }).where('id', '=', id).execute();
}

/** A partner's deliveries at a site in one of `statuses`. */
export function partnerDeliveriesIn(q: Q, siteId: number, backendId: number, statuses: readonly string[]): Promise<DeliveryRow[]> {
  return q.selectFrom('deliveries').selectAll().where('site_id', '=', siteId).where('backend_id', '=', backendId).where('status', 'in', [...statuses]).execute();
}

/** The counter of the UNLOCK command sent for the delivery's entry. */
export async function setEntryCounter(q: Q, id: number, counter: number): Promise<void> {
  await q.updateTable('deliveries').set({ entry_counter: counter }).where('id', '=', id).execute();
}

/** A new delivery, booked. */
export function insertDelivery(q: Q, row: Omit<Insertable<DeliveriesTable>, 'status'>): Promise<DeliveryRow> {
  return q.insertInto('deliveries').values({ ...row, status: 'booked' }).returningAll().executeTakeFirstOrThrow();
}

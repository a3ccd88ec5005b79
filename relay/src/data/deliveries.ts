/**
 * Courier deliveries. The status change is the one statement that moves a delivery along its
 * state machine (domain/delivery-states.ts): a compare-and-set on the status it was read in.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { DeliveriesTable } from './schema';
import type { Q } from './store';

/** Columns a status change may set along with the status. */
export type DeliveryChange = Pick<Updateable<DeliveriesTable>,
  'block_reason' | 'grant_id' | 'entry_method' | 'entry_seq' | 'entered_at' | 'clip' | 'door_opened_seq' | 'door_opened_at' | 'receipt'>;

/** UPDATE … WHERE id = ? AND status = from: affects one row only if nobody moved the delivery meanwhile. */
export function transitionQuery(q: Q, id: number, from: string, to: string, change: DeliveryChange, at: number) {
  return q.updateTable('deliveries').set({ ...change, status: to, updated_at: at }).where('id', '=', id).where('status', '=', from);
}

/** A partner's deliveries at a site in one of `statuses`. */
export function partnerDeliveriesIn(q: Q, siteId: number, backendId: number, statuses: readonly string[]): Promise<Selectable<DeliveriesTable>[]> {
  return q.selectFrom('deliveries').selectAll().where('site_id', '=', siteId).where('backend_id', '=', backendId).where('status', 'in', [...statuses]).execute();
}

/** The counter of the UNLOCK command sent for the delivery's entry. */
export async function setEntryCounter(q: Q, id: number, counter: number): Promise<void> {
  await q.updateTable('deliveries').set({ entry_counter: counter }).where('id', '=', id).execute();
}

/** A new delivery, booked. */
export function insertDelivery(q: Q, row: Omit<Insertable<DeliveriesTable>, 'status'>): Promise<Selectable<DeliveriesTable>> {
  return q.insertInto('deliveries').values({ ...row, status: 'booked' }).returningAll().executeTakeFirstOrThrow();
}

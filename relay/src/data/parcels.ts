/**
 * Parcel registrations for parcel boxes: the rows behind domain/parcels.ts.
 */
import type { Insertable, Selectable } from 'kysely';
import type { ParcelsTable } from './schema';
import type { Q } from './store';

export type ParcelRow = Selectable<ParcelsTable>;

export function insertParcel(q: Q, row: Omit<Insertable<ParcelsTable>, 'status'>): Promise<ParcelRow> {
  return q.insertInto('parcels').values({ ...row, status: 'registered' }).returningAll().executeTakeFirstOrThrow();
}

export async function setParcelGrant(q: Q, id: number, grantId: number): Promise<void> {
  await q.updateTable('parcels').set({ grant_id: grantId }).where('id', '=', id).execute();
}

export function findParcel(q: Q, id: number): Promise<ParcelRow | undefined> {
  return q.selectFrom('parcels').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Cancels a registered parcel; true when this call cancelled it (not opened or cancelled meanwhile). */
export async function cancelRegisteredParcel(q: Q, id: number): Promise<boolean> {
  const r = await q.updateTable('parcels').set({ status: 'cancelled' }).where('id', '=', id).where('status', '=', 'registered').executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The box opened for the parcel: once, from registered; returns the row when this call changed it. */
export function markParcelOpened(q: Q, id: number, seq: number, at: number): Promise<ParcelRow | undefined> {
  return q.updateTable('parcels').set({ status: 'opened', opened_seq: seq, opened_at: at }).where('id', '=', id).where('status', '=', 'registered')
    .returningAll().executeTakeFirst();
}

/** A partner's parcels at a site still waiting to be opened. */
export function registeredPartnerParcels(q: Q, siteId: number, backendId: number): Promise<ParcelRow[]> {
  return q.selectFrom('parcels').selectAll().where('site_id', '=', siteId).where('backend_id', '=', backendId).where('status', '=', 'registered').execute();
}

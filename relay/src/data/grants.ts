/**
 * Access grants staged on locks. Issuing, acknowledging and revoking (domain/grants.ts) still
 * run on the synchronous handle; what the lock sync reads is here.
 */
import type { Selectable } from 'kysely';
import type { GrantsTable } from './schema';
import type { Q } from './store';

export type GrantRow = Selectable<GrantsTable>;

/** Grants the sync must look at for one lock: those still in play, and those the lock says it holds. */
export function grantsToReconcile(q: Q, deviceId: string, heldIds: readonly number[]): Promise<GrantRow[]> {
  return q.selectFrom('grants').selectAll().where('device_id', '=', deviceId)
    .where((eb) => {
      const live = eb('status', 'in', ['pending', 'active', 'revoking']);
      return heldIds.length > 0 ? eb.or([live, eb('id', 'in', [...heldIds])]) : live;
    })
    .execute();
}

/** A revoked grant is on the lock again: its revocation is pending until the lock confirms it once more. */
export async function reopenRevocation(q: Q, id: number, now: number): Promise<void> {
  await q.updateTable('grants').set({ status: 'revoking', updated_at: now }).where('id', '=', id).where('status', '=', 'revoked').execute();
}

export function grantStatus(q: Q, id: number): Promise<Pick<GrantRow, 'status' | 'not_after'> | undefined> {
  return q.selectFrom('grants').select(['status', 'not_after']).where('id', '=', id).executeTakeFirst();
}

/** A site's grants, newest first; unless `endedToo`, only those neither revoked nor past `now`. */
export function grantsOfSite(q: Q, siteId: number, endedToo: boolean, now: number): Promise<GrantRow[]> {
  return q.selectFrom('grants').selectAll().where('site_id', '=', siteId)
    .$if(!endedToo, (s) => s.where('status', '!=', 'revoked').where('not_after', '>', now))
    .orderBy('id', 'desc').execute();
}

/** The grant's schedule is now evaluated at a new UTC offset (minutes). */
export async function setGrantOffset(q: Q, id: number, tzOffset: number, now: number): Promise<void> {
  await q.updateTable('grants').set({ tz_offset: tzOffset, updated_at: now }).where('id', '=', id).execute();
}

/** The reason a grant stays pending on a lock in owner-consent mode until the owner signs it. */
export const AWAITING_OWNER_REASON = 'waiting: owner signature';

export async function markAwaitingOwner(q: Q, id: number, now: number): Promise<void> {
  await q.updateTable('grants').set({ status_reason: AWAITING_OWNER_REASON, updated_at: now }).where('id', '=', id).execute();
}

/**
 * Keeps the owner's statement over a pending grant's bytes; false when the grant is no longer
 * pending or already carries one (the owner's first signature stands).
 */
export async function setOwnerStatement(q: Q, id: number, statementHex: string, now: number): Promise<boolean> {
  const r = await q.updateTable('grants').set({ owner_statement: statementHex, status_reason: null, updated_at: now })
    .where('id', '=', id).where('status', '=', 'pending').where('owner_statement', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

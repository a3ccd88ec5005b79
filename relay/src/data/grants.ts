/**
 * Access grants staged on locks (domain/grants.ts decides; this stores): creating one, the
 * lock's answers moving its status (pending → active or failed; revoking → revoked), uses spent
 * at the door, and what the lock sync and the maintenance sweep read. Every status change is a
 * compare-and-set on the status it leaves, so two relay processes never both apply one.
 */
import { sql, type Insertable, type Selectable } from 'kysely';
import type { GrantsTable } from './schema';
import { changedRows, firstRow, prepared } from './prepared';
import { least, type Q } from './store';

export type GrantRow = Selectable<GrantsTable>;
export type GrantStatus = GrantsTable['status'];

const findGrantQuery = prepared((q: Q, id: number) => q.selectFrom('grants').selectAll().where('id', '=', id));

export function findGrant(q: Q, id: number): Promise<GrantRow | undefined> {
  return firstRow(findGrantQuery(q, id));
}

/** A new grant, pending until its lock acknowledges the GRANT_PUT. */
export function insertGrant(q: Q, row: Omit<Insertable<GrantsTable>, 'status'>): Promise<GrantRow> {
  return q.insertInto('grants').values({ ...row, status: 'pending' }).returningAll().executeTakeFirstOrThrow();
}

/** The fingerprint of the grant bytes of the latest GRANT_PUT (what the lock's inventory should show). */
export async function setPutFingerprint(q: Q, id: number, fingerprint: string): Promise<void> {
  await q.updateTable('grants').set({ put_fingerprint: fingerprint }).where('id', '=', id).execute();
}

/** Starts the revocation unless one is under way or done; true when this call started it. */
export async function markRevoking(q: Q, id: number, reason: string, now: number): Promise<boolean> {
  const r = await q.updateTable('grants').set({ status: 'revoking', status_reason: reason, revoked_at: now, updated_at: now })
    .where('id', '=', id).where('status', 'not in', ['revoking', 'revoked']).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Moves the grant from `from` to `to` (clearing its reason, or setting it); true when this call moved it. */
export async function moveGrant(q: Q, id: number, from: GrantStatus, to: GrantStatus, reason: string | null, now: number): Promise<boolean> {
  const r = await q.updateTable('grants').set({ status: to, status_reason: reason, updated_at: now }).where('id', '=', id).where('status', '=', from).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Why the grant waits (a refusal that passes with time), its status unchanged. */
export async function setGrantReason(q: Q, id: number, reason: string, now: number): Promise<void> {
  await q.updateTable('grants').set({ status_reason: reason, updated_at: now }).where('id', '=', id).execute();
}

/** Revocations revoked at or before `before` that the lock has not confirmed and nobody was alarmed about. */
export function unconfirmedRevocations(q: Q, before: number): Promise<GrantRow[]> {
  return q.selectFrom('grants').selectAll().where('status', '=', 'revoking').where('revoke_alarmed_at', 'is', null).where('revoked_at', '<=', before)
    .orderBy('id').execute();
}

/** Claims the one alarm about an unconfirmed revocation; true for the process that claimed it. */
export async function claimRevokeAlarm(q: Q, id: number, now: number): Promise<boolean> {
  const r = await q.updateTable('grants').set({ revoke_alarmed_at: now }).where('id', '=', id).where('revoke_alarmed_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * One entry on the grant at the lock: a use, and for a hash chain one link spent (never past its
 * end); false when there is no such grant. Every OPERATION on a grant runs it: compiled once
 * (prepared.ts), and it returns nothing (the caller read the grant before, and a use changes none
 * of what it uses).
 */
export function spendGrantUse(q: Q, id: number, chainCredential: number, now: number): Promise<boolean> {
  return changedRows(spendGrantUseQuery(q, id, chainCredential, now)).then((n) => n > 0);
}

const spendGrantUseQuery = prepared((q: Q, id: number, chainCredential: number, now: number) => q.updateTable('grants')
  .set((eb) => ({
    uses: eb('uses', '+', 1),
    chain_used: eb.case().when('cred_type', '=', chainCredential).then(least(q, [sql.ref('chain_links'), sql`chain_used + 1`])).else(eb.ref('chain_used')).end(),
    updated_at: now
  }))
  .where('id', '=', id));

/** Grants still to be enforced whose weekly schedule depends on the site's UTC offset. */
export function liveScheduledGrants(q: Q, now: number): Promise<GrantRow[]> {
  return q.selectFrom('grants').selectAll().where('status', 'in', ['pending', 'active']).where('schedule', '!=', '[]').where('not_after', '>', now)
    .orderBy('id').execute();
}

/** Grants the sync must look at for one lock: those still in play, and those the lock says it holds. */
export async function grantsToReconcile(q: Q, deviceId: string, heldIds: readonly number[]): Promise<GrantRow[]> {
  if (heldIds.length === 0) return (await liveGrantsQuery(q, deviceId)).rows;
  return q.selectFrom('grants').selectAll().where('device_id', '=', deviceId)
    .where((eb) => {
      const live = eb('status', 'in', ['pending', 'active', 'revoking']);
      return heldIds.length > 0 ? eb.or([live, eb('id', 'in', [...heldIds])]) : live;
    })
    .execute();
}

const liveGrantsQuery = prepared((q: Q, deviceId: string) =>
  q.selectFrom('grants').selectAll().where('device_id', '=', deviceId).where('status', 'in', ['pending', 'active', 'revoking']));

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

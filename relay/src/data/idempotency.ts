/**
 * Idempotency-Key claims (domain/idempotency.ts has the policy): a claim is one INSERT that
 * succeeds for exactly one request per (principal, key), on any relay process.
 */
import type { Selectable } from 'kysely';
import type { IdempotencyTable } from './schema';
import type { Q } from './store';

export type IdempotencyRow = Selectable<IdempotencyTable>;

export interface Claim {
  principal: string;
  key: string;
  route: string;
  bodyHash: string;
  at: number;
}

/** True when this call claimed the key; false when some request already holds it. */
export async function claimKey(q: Q, c: Claim): Promise<boolean> {
  const res = await q.insertInto('idempotency')
    .values({ principal: c.principal, key: c.key, route: c.route, body_hash: c.bodyHash, state: 'pending', created_at: c.at })
    .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
}

export function findKey(q: Q, principal: string, key: string): Promise<IdempotencyRow | undefined> {
  return q.selectFrom('idempotency').selectAll().where('principal', '=', principal).where('key', '=', key).executeTakeFirst();
}

/** Stores the final answer; replays of the key get it from now on. */
export async function completeKey(q: Q, principal: string, key: string, status: number, responseJson: string): Promise<void> {
  await q.updateTable('idempotency').set({ state: 'done', status_code: status, response: responseJson })
    .where('principal', '=', principal).where('key', '=', key).execute();
}

/** Frees a claim whose request failed without an answer worth replaying. */
export async function releaseKey(q: Q, principal: string, key: string): Promise<void> {
  await q.deleteFrom('idempotency').where('principal', '=', principal).where('key', '=', key).execute();
}

/** Deletes completed records created before `before`; returns how many. */
export async function deleteDoneKeysBefore(q: Q, before: number): Promise<number> {
  const r = await q.deleteFrom('idempotency').where('created_at', '<', before).where('state', '=', 'done').executeTakeFirst();
  return Number(r.numDeletedRows);
}

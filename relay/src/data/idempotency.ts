/**
 * Idempotency-Key claims (domain/idempotency.ts has the policy): a claim is one INSERT that
 * succeeds for exactly one request per (principal, key), on any relay process.
 */
import type { Selectable } from 'kysely';
import type { IdempotencyTable } from './schema';
import { changedRows, firstRow, prepared } from './prepared';
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
  return (await changedRows(claimQuery(q, c.principal, c.key, c.route, c.bodyHash, c.at))) === 1;
}

const claimQuery = prepared((q: Q, principal: string, key: string, route: string, bodyHash: string, at: number) => q.insertInto('idempotency')
  .values({ principal, key, route, body_hash: bodyHash, state: 'pending', created_at: at })
  .onConflict((oc) => oc.columns(['principal', 'key']).doNothing()));

export function findKey(q: Q, principal: string, key: string): Promise<IdempotencyRow | undefined> {
  return firstRow(findKeyQuery(q, principal, key));
}

const findKeyQuery = prepared((q: Q, principal: string, key: string) =>
  q.selectFrom('idempotency').selectAll().where('principal', '=', principal).where('key', '=', key));

/** Stores the final answer; replays of the key get it from now on. */
export async function completeKey(q: Q, principal: string, key: string, status: number, responseJson: string): Promise<void> {
  await completeQuery(q, principal, key, status, responseJson);
}

const completeQuery = prepared((q: Q, principal: string, key: string, status: number, responseJson: string) => q.updateTable('idempotency')
  .set({ state: 'done', status_code: status, response: responseJson }).where('principal', '=', principal).where('key', '=', key));

/** Frees a claim whose request failed without an answer worth replaying. */
export async function releaseKey(q: Q, principal: string, key: string): Promise<void> {
  await q.deleteFrom('idempotency').where('principal', '=', principal).where('key', '=', key).execute();
}

/** Deletes completed records created before `before`; returns how many. */
export async function deleteDoneKeysBefore(q: Q, before: number): Promise<number> {
  const r = await q.deleteFrom('idempotency').where('created_at', '<', before).where('state', '=', 'done').executeTakeFirst();
  return Number(r.numDeletedRows);
}

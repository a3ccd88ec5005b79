/**
 * The relay's signing keys in the database (the PostgreSQL deployment, where several relays
 * sign for the same locks). Seeds arrive here already sealed; exactly one key is current
 * (a partial unique index on both stores).
 */
import { sql, type Selectable } from 'kysely';
import type { RelayKeysTable } from './schema';
import { onPostgres, type Q } from './store';

export type RelayKeyRow = Selectable<RelayKeysTable>;

/** Advisory lock id serialising the first key's creation and rotations across relays on PostgreSQL. */
const RELAY_KEYS_LOCK = 0x6b776b79; // "kwky"

/** Inside a transaction: relays creating or rotating keys take turns (SQLite's write lock already does). */
export async function lockRelayKeys(q: Q): Promise<void> {
  if (onPostgres(q)) await sql`SELECT pg_advisory_xact_lock(${sql.lit(RELAY_KEYS_LOCK)})`.execute(q);
}

export function relayKeys(q: Q): Promise<RelayKeyRow[]> {
  return q.selectFrom('relay_keys').selectAll().orderBy('created_at').orderBy('key_id').execute();
}

/** Adds a key; `current` makes it the one that signs from now on (the previous current one stays, not current). */
export async function addRelayKey(q: Q, k: { keyId: number; publicKey: string; sealedSeed: string; at: number }, current: boolean): Promise<void> {
  if (current) await q.updateTable('relay_keys').set({ is_current: 0 }).where('is_current', '=', 1).execute();
  await q.insertInto('relay_keys').values({ key_id: k.keyId, public_key: k.publicKey, seed: k.sealedSeed, is_current: current ? 1 : 0, created_at: k.at }).execute();
}

/** Deletes the given keys, never the current one; returns the ids deleted. */
export async function deleteRelayKeys(q: Q, keyIds: number[]): Promise<number[]> {
  if (keyIds.length === 0) return [];
  const rows = await q.deleteFrom('relay_keys').where('key_id', 'in', keyIds).where('is_current', '=', 0).returning('key_id').execute();
  return rows.map((r) => r.key_id);
}

/** Bearer tokens (only their SHA-256 is stored); domain/principals.ts says what they mean. */
import { sql, type Selectable } from 'kysely';
import type { TokensTable } from './schema';
import { firstRow, prepared } from './prepared';
import { onPostgres, type Q } from './store';

export type TokenRow = Selectable<TokensTable>;
export type TokenKind = TokensTable['kind'];

/** Advisory lock id serialising first-start admin bootstrap across relays on PostgreSQL. */
const ADMIN_BOOTSTRAP_LOCK = 0x6b776164; // "kwad"

export interface NewToken {
  hash: string;
  kind: TokenKind;
  subjectId: number | null;
  scopes: string[];
  label: string | null;
  at: number;
  expiresAt: number | null;
}

export async function insertToken(q: Q, t: NewToken): Promise<number> {
  const r = await q.insertInto('tokens')
    .values({ hash: t.hash, kind: t.kind, subject_id: t.subjectId, scopes: JSON.stringify(t.scopes), label: t.label, created_at: t.at, expires_at: t.expiresAt })
    .returning('id').executeTakeFirstOrThrow();
  return r.id;
}

const tokenByHashQuery = prepared((q: Q, hash: string) => q.selectFrom('tokens').selectAll().where('hash', '=', hash));

export function findTokenByHash(q: Q, hash: string): Promise<TokenRow | undefined> {
  return firstRow(tokenByHashQuery(q, hash));
}

export async function revokeTokenById(q: Q, id: number, at: number): Promise<void> {
  await q.updateTable('tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/**
 * Inside a transaction: makes concurrent first starts of several relays take turns (SQLite's
 * IMMEDIATE transaction already does), then says whether a live admin token exists.
 */
export async function liveAdminTokenExists(q: Q): Promise<boolean> {
  if (onPostgres(q)) await sql`SELECT pg_advisory_xact_lock(${sql.lit(ADMIN_BOOTSTRAP_LOCK)})`.execute(q);
  const r = await q.selectFrom('tokens').select('id').where('kind', '=', 'admin').where('revoked_at', 'is', null).limit(1).executeTakeFirst();
  return r !== undefined;
}

/** Revokes every live token of the subject; returns how many. */
export async function revokeTokensOfSubject(q: Q, kind: TokenKind, subjectId: number, at: number): Promise<number> {
  const r = await q.updateTable('tokens').set({ revoked_at: at }).where('kind', '=', kind).where('subject_id', '=', subjectId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

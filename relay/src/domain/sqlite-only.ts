/**
 * The synchronous forms a few domain functions keep (recordActivity(ctx, a), notify(ctx, n),
 * getSiteRow(ctx, id), …) while their last callers, the grant and delivery modules, still
 * write through the better-sqlite3 handle. They run on SQLite only: on PostgreSQL the
 * relay has no such handle and ctx.db throws KW_STORE_UNSUPPORTED before anything is written.
 * Everything else calls the asynchronous forms, which take the store or a transaction (Q)
 * as their second argument; isQ tells the two apart.
 */
import { Kysely } from 'kysely';
import type { Q } from '../data/store';
import { relayError, type RelayError } from '../errors';

export function isQ(x: unknown): x is Q {
  return x instanceof Kysely;
}

/** What reading ctx.db gives on a relay without an SQLite handle (on PostgreSQL). */
export function noSqliteHandle(): RelayError {
  return relayError('KW_STORE_UNSUPPORTED', { store: 'postgres' });
}

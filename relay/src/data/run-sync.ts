/**
 * Runs a data-layer query on the synchronous better-sqlite3 handle, for the steps of the lock
 * intake's synchronous transactions that use data-layer queries before that intake becomes
 * async. The SQL is Kysely's, compiled for SQLite; returns the number of rows changed.
 */
import type { Compilable } from 'kysely';
import type { Db } from '../db/database';

export function runSync(db: Db, query: Compilable): number {
  const c = query.compile();
  return db.prepare(c.sql).run(...(c.parameters as unknown[])).changes;
}

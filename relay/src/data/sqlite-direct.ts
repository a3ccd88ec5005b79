/**
 * Statements run on the better-sqlite3 connection itself, skipping Kysely's executor around an
 * already compiled query (connection provider, mutex, result transforms, its promises), which
 * costs about as much as a short statement (measured: bench/statement-cost.mts). Only where the
 * statement may run at once: inside the caller's own open transaction, or on the store while
 * no transaction holds the connection. Anything else goes through Kysely and waits its turn, as
 * before. better-sqlite3 runs a statement synchronously, so nothing can come between the
 * check and the statement.
 */
import type { CompiledQuery, QueryResult } from 'kysely';
import type { Db } from '../db/database';
import type { Q } from './store';

/** The better-sqlite3 handle under each SQLite store's Kysely and under each of its open transactions. */
const handles = new WeakMap<Q, Db>();

/** q (a store's Kysely, or one of its transactions while it is open) runs on handle. */
export function bindSqliteHandle(q: Q, handle: Db): void {
  handles.set(q, handle);
}

/** The transaction q has ended: nothing of it may run on the connection any more. */
export function unbindSqliteHandle(q: Q): void {
  handles.delete(q);
}

/**
 * The better-sqlite3 handle a statement of q may run on straight away, or null: on
 * PostgreSQL; for the store itself while a transaction holds the connection (the statement
 * must wait for it, not run inside another caller's transaction); for a transaction no longer open.
 */
export function sqliteHandleOf(q: Q): Db | null {
  const handle = handles.get(q);
  if (!handle || !handle.open) return null;
  return handle.inTransaction === q.isTransaction ? handle : null;
}

/** One statement on the better-sqlite3 connection, its result shaped as Kysely's SQLite driver shapes it. */
export function runOnSqlite<R>(db: Db, sql: string, parameters: readonly unknown[]): QueryResult<R> {
  const stmt = db.prepare(sql);
  if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
  const { changes, lastInsertRowid } = stmt.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/** A compiled query on the connection when it may run at once, else through Kysely. */
export function execute<R>(q: Q, query: CompiledQuery<R>): Promise<QueryResult<R>> {
  const handle = sqliteHandleOf(q);
  return handle ? Promise.resolve(runOnSqlite<R>(handle, query.sql, query.parameters)) : q.executeQuery(query);
}

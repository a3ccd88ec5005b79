/**
 * Statements run on the better-sqlite3 connection itself, skipping Kysely's executor around an
 * already compiled query (connection provider, mutex, result transforms, its promises), which
 * costs about as much as a short statement (measured: bench/statement-cost.mts). Only where the
 * statement may run at once: inside the caller's own open transaction, or on the store while
 * no transaction holds the connection. Anything else goes through Kysely and waits its turn, as
 * before. better-sqlite3 runs a statement synchronously, so nothing can come between the
 * check and the statement.
 */
import Database from 'better-sqlite3';
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

/**
 * A reading statement in raw mode (rows as arrays) and a function that makes each array the
 * object better-sqlite3 would have made. better-sqlite3 builds a row object one property at a
 * time; a wide row (the devices table has over 40 columns) costs about twice as much that way as
 * an array turned into an object of one fixed shape (measured: bench/statement-cost.mts).
 */
interface RawReader {
  stmt: Database.Statement;
  shape: (values: unknown[]) => unknown;
}

/** Raw readers per connection, by SQL text (a statement of its own: the cached one keeps its mode). */
const readers = new WeakMap<Db, Map<string, RawReader>>();
/** Distinct statements kept per connection (the relay's compiled queries are far fewer). */
const MAX_READERS = 500;

function readersOf(db: Db): Map<string, RawReader> {
  let byText = readers.get(db);
  if (!byText) readers.set(db, (byText = new Map()));
  return byText;
}

function rawReader(db: Db, sql: string): RawReader {
  const byText = readersOf(db);
  let r = byText.get(sql);
  if (!r) {
    // Database.prototype.prepare: a statement of its own, not the shared cache's (database.ts).
    const stmt = Database.prototype.prepare.call(db, sql).raw(true);
    const names = stmt.columns().map((c) => c.name);
    // The column names come from the schema, each written as a quoted property name: one
    // object shape for every row; a repeated name keeps its last value, as better-sqlite3 does.
    const shape = new Function('v', 'return {' + names.map((n, i) => JSON.stringify(n) + ': v[' + i + ']').join(', ') + '};') as RawReader['shape'];
    r = { stmt, shape };
    if (byText.size < MAX_READERS) byText.set(sql, r);
  }
  return r;
}

/** One statement on the better-sqlite3 connection, its result shaped as Kysely's SQLite driver shapes it. */
export function runOnSqlite<R>(db: Db, sql: string, parameters: readonly unknown[]): QueryResult<R> {
  const known = readersOf(db).get(sql);
  const stmt = known ? null : db.prepare(sql);
  if (known || stmt!.reader) {
    const r = known ?? rawReader(db, sql);
    const values = r.stmt.all(parameters) as unknown[][];
    const rows = new Array<R>(values.length);
    for (let i = 0; i < values.length; i++) rows[i] = r.shape(values[i]) as R;
    return { rows };
  }
  const { changes, lastInsertRowid } = stmt!.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/** A compiled query on the connection when it may run at once, else through Kysely. */
export function execute<R>(q: Q, query: CompiledQuery<R>): Promise<QueryResult<R>> {
  const handle = sqliteHandleOf(q);
  return handle ? Promise.resolve(runOnSqlite<R>(handle, query.sql, query.parameters)) : q.executeQuery(query);
}

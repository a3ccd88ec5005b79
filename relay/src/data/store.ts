/**
 * The relay's store: one Kysely instance over SQLite (better-sqlite3, the embedded default)
 * or PostgreSQL (pg, for several relays on several machines), the schema migrated on open.
 * Data modules (data/*.ts) take a `Q` — the store's Kysely or a transaction — so one
 * function serves both a plain call and a step inside `tx`.
 *
 * Transactions: SQLite's are BEGIN IMMEDIATE (the write lock up front, so two processes on
 * one file never deadlock upgrading a read lock); Kysely's SQLite driver runs one query at a
 * time on its single connection, so a transaction also serialises this process's other
 * queries, and those queued behind one are committed together (group-commit.ts). PostgreSQL's are READ COMMITTED; a data function that must serialise work on one
 * row takes the row lock itself (`SELECT … FOR UPDATE`, see devices.lockDevice). Their BEGIN
 * goes in the same write as their first statement (postgres-driver.ts).
 */
import { CompiledQuery, Kysely, sql, type RawBuilder, PostgresAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import pg from 'pg';
import type { Db } from '../db/database';
import { openDatabase } from '../db/database';
import { startCheckpointer } from '../db/checkpointer';
import { MIGRATIONS, type Migration } from '../db/migrations';
import { groupCommit, MAX_GROUP_COMMIT } from './group-commit';
import { PostgresStoreDialect } from './postgres-driver';
import { bindSqliteHandle, sqliteHandleOf, unbindSqliteHandle } from './sqlite-direct';
import type { Schema } from './schema';

export type StoreDialect = 'sqlite' | 'postgres';
/** What data functions run on: the store's Kysely instance or a transaction of it. */
export type Q = Kysely<Schema>;

export interface Store {
  readonly dialect: StoreDialect;
  readonly q: Q;
  /** The better-sqlite3 handle under an SQLite store (migrations, backups); null on PostgreSQL. */
  readonly sqlite: Db | null;
  /** Runs fn in one write transaction and returns its result; rolls back if fn throws. */
  tx<T>(fn: (q: Q) => Promise<T>): Promise<T>;
  /**
   * Runs one write statement, committed when this resolves: on SQLite inside the group commit
   * (one COMMIT for the writes queued together, where a statement alone commits by itself;
   * without a savepoint, so fn must run exactly one statement), on PostgreSQL as a plain
   * statement on the pool (a transaction would only add round trips).
   */
  write<T>(fn: (q: Q) => Promise<T>): Promise<T>;
  /** False once close() started (late writers of a closing relay skip their work). */
  isOpen(): boolean;
  close(): Promise<void>;
}

/**
 * Work to run once the transaction `q` belongs to has committed (publishing the commands it
 * issued, for instance): nothing of a rolled-back transaction leaves the process. Outside a
 * transaction (q is the store itself, every statement already committed) it runs at once.
 * Hooks run in the order they were added and must not throw (catch their own errors).
 */
export function afterCommit(q: Q, hook: () => void): void {
  const hooks = commitHooks.get(q);
  if (hooks) hooks.push(hook);
  else if (q.isTransaction) throw new Error('afterCommit: the transaction was not opened by store.tx');
  else hook();
}

const commitHooks = new WeakMap<Q, (() => void)[]>();

/** A store transaction: fn runs in it, then the hooks fn added with afterCommit, once it has committed. */
async function runTx<T>(q: Q, fn: (t: Q) => Promise<T>): Promise<T> {
  const hooks: (() => void)[] = [];
  const result = await q.transaction().execute((t) => {
    commitHooks.set(t, hooks);
    return fn(t);
  });
  for (const h of hooks) h();
  return result;
}

/**
 * One caller's part of a group-committed batch (group-commit.ts): its afterCommit hooks are
 * collected while its function runs (the batch runs one caller at a time), and run only if its
 * savepoint was kept and the batch committed.
 */
async function runWithHooks<T>(t: Q, fn: (t: Q) => Promise<T>): Promise<{ value: T; committed: () => void }> {
  const hooks: (() => void)[] = [];
  commitHooks.set(t, hooks);
  const value = await fn(t);
  return { value, committed: () => hooks.forEach((h) => h()) };
}

export type StoreConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; poolSize?: number };

/** PostgreSQL pool size per relay process unless configured. */
export const DEFAULT_PG_POOL_SIZE = 10;
const PG_INT8_OID = 20;
const PG_NUMERIC_OID = 1700;
const PG_MIGRATION_LOCK = 0x6b657977; // "keyw": one advisory lock id for schema changes

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly handle: Db) {
    super({ database: handle });
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.handle });
  }
}

/**
 * An SQLite store over an open better-sqlite3 handle (migrated already by openDatabase). The WAL
 * is checkpointed by a worker thread (db/checkpointer.ts), told of each commit, until close().
 */
export function sqliteStore(handle: Db): Store {
  const q = new Kysely<Schema>({ dialect: new ImmediateSqliteDialect(handle) });
  bindSqliteHandle(q, handle);
  const checkpointer = startCheckpointer(handle, handle.name);
  // One connection runs one transaction at a time: those that queue meanwhile commit together.
  const group = groupCommit(async (fn) => {
    const result = await q.transaction().execute(async (t) => {
      bindSqliteHandle(t, handle);
      try {
        return await fn(t);
      } finally {
        // Nothing of this transaction may run on the connection once it has ended.
        unbindSqliteHandle(t);
      }
    });
    checkpointer?.committed();
    return result;
  }, runWithHooks, MAX_GROUP_COMMIT, (t) => sqliteHandleOf(t) !== null);
  let open = true;
  return {
    dialect: 'sqlite',
    q,
    sqlite: handle,
    tx: (fn) => group.tx(fn),
    write: (fn) => group.tx(fn, true),
    isOpen: () => open && handle.open,
    close: async () => {
      open = false;
      await checkpointer?.stop();
      await q.destroy();
    }
  };
}

function parseIntColumn(v: string): number {
  return Number(v);
}

/** The pg type parsers: BIGINT and NUMERIC as JS numbers (every value the relay stores fits 2^53). */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === PG_INT8_OID || oid === PG_NUMERIC_OID ? parseIntColumn : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser
};

export async function postgresStore(url: string, poolSize = DEFAULT_PG_POOL_SIZE, migrations: readonly Migration[] = MIGRATIONS): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes });
  // An idle connection the server closed (a restart, a failover, an administrator) is reported
  // here; unhandled, it would end the process. The pool drops that connection and the next
  // query opens a fresh one, so the relay rides out a database restart.
  pool.on('error', () => undefined);
  // The store's own driver: BEGIN in the write of a transaction's first statement, row shapes kept (postgres-driver.ts).
  const q = new Kysely<Schema>({ dialect: new PostgresStoreDialect(pool) });
  try {
    await migratePostgres(q, migrations);
  } catch (err) {
    await q.destroy();
    throw err;
  }
  let open = true;
  return {
    dialect: 'postgres',
    q,
    sqlite: null,
    tx: (fn) => runTx(q, fn),
    write: (fn) => fn(q),
    isOpen: () => open,
    close: async () => {
      open = false;
      await q.destroy();
    }
  };
}

/**
 * True when q runs on PostgreSQL: row locks (FOR UPDATE, SKIP LOCKED) exist there only;
 * SQLite's single writer makes them unnecessary.
 */
export function onPostgres(q: Q): boolean {
  return q.getExecutor().adapter instanceof PostgresAdapter;
}

/** The largest of the values: GREATEST on PostgreSQL, the many-argument MAX on SQLite. */
export function greatest(q: Q, values: RawBuilder<unknown>[]): RawBuilder<number> {
  return sql<number>`${sql.raw(onPostgres(q) ? 'greatest' : 'max')}(${sql.join(values)})`;
}

/** The smallest of the values: LEAST on PostgreSQL, the many-argument MIN on SQLite. */
export function least(q: Q, values: RawBuilder<unknown>[]): RawBuilder<number> {
  return sql<number>`${sql.raw(onPostgres(q) ? 'least' : 'min')}(${sql.join(values)})`;
}

/**
 * A number stored under `key` in a JSON text column: json_extract on SQLite, ->> with a cast
 * on PostgreSQL. `key` is a plain name (letters only).
 */
export function jsonNumber(q: Q, column: string, key: string): RawBuilder<number> {
  if (!/^[A-Za-z]+$/.test(key)) throw new Error('jsonNumber: key must be letters only: ' + key);
  return onPostgres(q) ? sql<number>`((${sql.ref(column)})::jsonb ->> ${key})::bigint` : sql<number>`json_extract(${sql.ref(column)}, ${'$.' + key})`;
}

export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'postgres') return postgresStore(config.url, config.poolSize);
  return sqliteStore(openDatabase(config.file));
}

/**
 * Applies every migration above the version in keyway_schema, all in one transaction under
 * an advisory lock, so relays starting together apply each exactly once. Returns the versions applied.
 */
export async function migratePostgres(q: Q, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return q.transaction().execute(async (t) => {
    await t.executeQuery(CompiledQuery.raw(`SELECT pg_advisory_xact_lock(${PG_MIGRATION_LOCK})`));
    await t.executeQuery(CompiledQuery.raw('CREATE TABLE IF NOT EXISTS keyway_schema (version BIGINT NOT NULL)'));
    const rows = (await t.executeQuery<{ version: number }>(CompiledQuery.raw('SELECT version FROM keyway_schema'))).rows;
    let current = rows[0]?.version ?? 0;
    if (rows.length === 0) await t.executeQuery(CompiledQuery.raw('INSERT INTO keyway_schema (version) VALUES (0)'));
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      await t.executeQuery(CompiledQuery.raw(m.postgres));
      current = m.version;
      applied.push(m.version);
    }
    await t.executeQuery(CompiledQuery.raw('UPDATE keyway_schema SET version = $1', [current]));
    return applied;
  });
}

/** The schema version a PostgreSQL database is at (0 before the first migration). */
export async function postgresSchemaVersion(q: Q): Promise<number> {
  const rows = (await q.executeQuery<{ version: number }>(CompiledQuery.raw("SELECT version FROM keyway_schema"))).rows;
  return rows[0]?.version ?? 0;
}

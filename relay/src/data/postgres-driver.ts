/**
 * Kysely's PostgreSQL dialect with the store's own driver: Kysely's query compiler, adapter and
 * introspector, and a driver over the same pg pool that sends each statement as a
 * PostgresQuery (postgres-query.ts). What differs from Kysely's own driver:
 *
 * - BEGIN is not sent by itself: it goes in the same write as the transaction's first
 *   statement. A transaction that ran no statement sends neither BEGIN nor COMMIT. COMMIT is
 *   still its own round trip and is awaited before the transaction's caller goes on, so nothing
 *   is acknowledged before it is committed. In READ COMMITTED (the store's level, store.ts) each
 *   statement takes its own snapshot, so a BEGIN sent a moment later changes nothing a
 *   statement sees or locks.
 * - Row shapes are kept per SQL text (postgres-query.ts).
 *
 * Transactions with an isolation level or access mode, savepoints and streaming are not used by
 * the relay: the first two send their START TRANSACTION by themselves, the others are refused.
 */
import { CompiledQuery, PostgresDialect, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import type pg from 'pg';
import { PostgresQuery, RowShapes, type PgQueryResult } from './postgres-query';

/** The error a COMMIT gets when the transaction had failed (PostgreSQL answers ROLLBACK). */
export class AbortedPostgresTransactionError extends Error {
  constructor() {
    super('the transaction was rolled back: a statement in it had failed');
  }
}

class PostgresConnection implements DatabaseConnection {
  /** BEGIN is owed: it goes with the next statement. */
  beginPending = false;
  /** A ROLLBACK failed: the client is dropped from the pool instead of reused. */
  discarded = false;

  constructor(
    readonly client: pg.PoolClient,
    private readonly shapes: RowShapes,
    private readonly counts: RoundTrips
  ) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (this.discarded) return Promise.reject(new Error('PostgreSQL connection has been discarded'));
    const begin = this.beginPending;
    this.beginPending = false;
    this.counts.roundTrips++;
    return new Promise((resolve, reject) => {
      const query = new PostgresQuery(compiled.sql, [...compiled.parameters], begin, this.shapes, (err, res) => {
        if (err) reject(err);
        else resolve(toKyselyResult<R>(res));
      });
      this.client.query(query);
    });
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the relay does not stream PostgreSQL queries');
  }
}

/** The statement's own result (the last one when BEGIN went with it), as Kysely's driver gives it. */
function toKyselyResult<R>(res: PgQueryResult): QueryResult<R> {
  const r = Array.isArray(res) ? res[res.length - 1] : res;
  const command = r.command;
  if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command }] as R[] };
  return {
    numAffectedRows: command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE' ? BigInt(r.rowCount ?? 0) : undefined,
    rows: (r.rows ?? []) as R[]
  };
}

/** Round trips to the server so far (tests and diagnostics). */
export interface RoundTrips {
  roundTrips: number;
}

export class PostgresStoreDriver implements Driver {
  private readonly connections = new WeakMap<pg.PoolClient, PostgresConnection>();
  readonly shapes = new RowShapes();
  readonly counts: RoundTrips = { roundTrips: 0 };
  private pool: pg.Pool | null;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const pool = this.pool;
    if (!pool) throw new Error('driver has already been destroyed');
    const client = await pool.connect();
    if (!this.pool) {
      client.release();
      throw new Error('driver has already been destroyed');
    }
    let c = this.connections.get(client);
    if (!c) {
      c = new PostgresConnection(client, this.shapes, this.counts);
      this.connections.set(client, c);
    }
    return c;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const c = connection as PostgresConnection;
    if (settings.isolationLevel || settings.accessMode) {
      let text = 'start transaction';
      if (settings.isolationLevel) text += ' isolation level ' + settings.isolationLevel;
      if (settings.accessMode) text += ' ' + settings.accessMode;
      await c.executeQuery(CompiledQuery.raw(text));
      return;
    }
    c.beginPending = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PostgresConnection;
    if (c.beginPending) {
      // Nothing ran: no transaction was opened on the server.
      c.beginPending = false;
      return;
    }
    const { rows } = await c.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'));
    // PostgreSQL completes COMMIT with a ROLLBACK tag if an earlier statement error left the transaction aborted.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedPostgresTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PostgresConnection;
    if (c.beginPending) {
      c.beginPending = false;
      return;
    }
    try {
      await c.executeQuery(CompiledQuery.raw('rollback'));
    } catch (err) {
      c.discarded = true;
      throw err;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as PostgresConnection;
    // A connection never goes back to the pool with a BEGIN owed (Kysely always commits or rolls back first).
    c.beginPending = false;
    c.client.release(c.discarded);
    if (c.discarded) this.connections.delete(c.client);
  }

  async destroy(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.end();
  }
}

/** PostgreSQL through PostgresStoreDriver; everything else is Kysely's PostgreSQL dialect. */
export class PostgresStoreDialect extends PostgresDialect {
  readonly driver: PostgresStoreDriver;

  constructor(pool: pg.Pool) {
    super({ pool });
    this.driver = new PostgresStoreDriver(pool);
  }

  override createDriver(): Driver {
    return this.driver;
  }
}

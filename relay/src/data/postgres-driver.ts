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
 * - A write marked heldWrite (its caller uses nothing of its result) inside a transaction is
 *   not sent by itself: it goes in the write of the transaction's next statement or of its
 *   COMMIT, ahead of it, under the same Sync. One round trip less per such write. Writes run in
 *   the order they were issued, before anything after them, so every later statement sees
 *   them; a held write that fails fails the statement (or COMMIT) it went with, and the
 *   transaction is rolled back as after any failed statement: nothing of it is kept, and COMMIT
 *   is still awaited before the caller goes on.
 * - Row shapes are kept per SQL text (postgres-query.ts).
 *
 * Transactions with an isolation level or access mode, savepoints and streaming are not used by
 * the relay: the first two send their START TRANSACTION by themselves, the others are refused.
 */
import { CompiledQuery, PostgresDialect, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import type pg from 'pg';
import { PostgresQuery, RowShapes, wireValue, type HeldWrite, type PgQueryResult } from './postgres-query';

/** The error a COMMIT gets when the transaction had failed (PostgreSQL answers ROLLBACK). */
export class AbortedPostgresTransactionError extends Error {
  constructor() {
    super('the transaction was rolled back: a statement in it had failed');
  }
}

/**
 * Writes whose caller uses nothing of their result (no rows, no count): inside a transaction
 * they may wait for its next statement or its COMMIT and go in the same write (heldWrite).
 */
const holdable = new WeakSet<CompiledQuery>();

/**
 * Marks `compiled` as a write that may be held inside a transaction (see the file's header);
 * what running it resolves with is then empty. Outside a transaction, and on SQLite, it runs at once.
 */
export function heldWrite<R>(compiled: CompiledQuery<R>): CompiledQuery<R> {
  holdable.add(compiled);
  return compiled;
}

class PostgresConnection implements DatabaseConnection {
  /** BEGIN is owed: it goes with the next statement. */
  beginPending = false;
  /** Between BEGIN and COMMIT or ROLLBACK: writes marked heldWrite wait for the next statement. */
  inTransaction = false;
  /** Held writes, in order: they go ahead of the next statement or COMMIT, in its write; a ROLLBACK drops them. */
  held: HeldWrite[] = [];
  /** A ROLLBACK failed: the client is dropped from the pool instead of reused. */
  discarded = false;

  constructor(
    readonly client: pg.PoolClient,
    private readonly shapes: RowShapes,
    private readonly counts: RoundTrips
  ) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (this.discarded) return Promise.reject(new Error('PostgreSQL connection has been discarded'));
    if (this.inTransaction && holdable.has(compiled)) {
      try {
        this.held.push({ text: compiled.sql, values: compiled.parameters.map((v) => wireValue(v)) });
      } catch (err) {
        return Promise.reject(err);
      }
      return Promise.resolve({ rows: [] });
    }
    const begin = this.beginPending;
    this.beginPending = false;
    const held = this.held;
    if (held.length > 0) this.held = [];
    this.counts.roundTrips++;
    return new Promise((resolve, reject) => {
      const query = new PostgresQuery(compiled.sql, [...compiled.parameters], begin, held, this.shapes, (err, res) => {
        if (err) reject(err);
        else resolve(toKyselyResult<R>(res));
      });
      this.client.query(query);
    });
  }

  /** The transaction ended (or never started): nothing held may go with a later statement. */
  endTransaction(): void {
    this.inTransaction = false;
    this.beginPending = false;
    this.held = [];
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
    c.inTransaction = true;
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
    c.inTransaction = false;
    if (c.beginPending && c.held.length === 0) {
      // Nothing ran: no transaction was opened on the server.
      c.beginPending = false;
      return;
    }
    // The held writes go ahead of COMMIT, in its write (with BEGIN if nothing else ran): a failing one fails the commit.
    const { rows } = await c.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'));
    // PostgreSQL completes COMMIT with a ROLLBACK tag if an earlier statement error left the transaction aborted.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedPostgresTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PostgresConnection;
    const opened = !c.beginPending;
    c.endTransaction();
    if (!opened) return;
    try {
      await c.executeQuery(CompiledQuery.raw('rollback'));
    } catch (err) {
      c.discarded = true;
      throw err;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as PostgresConnection;
    // A connection never goes back to the pool with a BEGIN owed or a write held (Kysely always commits or rolls back first).
    c.endTransaction();
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

/**
 * The PostgreSQL store's driver (relay/src/data/postgres-driver.ts, postgres-query.ts) on a real
 * server: a transaction's BEGIN travels with its first statement (round trips counted as the
 * server's ReadyForQuery messages), what a transaction did is kept or undone as with a BEGIN of
 * its own, and rows come back the same while their shape is reused, also after the table changed;
 * a write held for the next statement goes in that statement's (or COMMIT's) write, in order, and
 * fails the transaction when it fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery, Kysely, sql } from 'kysely';
import pg from 'pg';
import { openStore, type Store } from '@keyway/relay';
import { heldWrite, PostgresStoreDialect } from '../../../relay/src/data/postgres-driver';
import type { Q } from '../../../relay/src/data/store';
import { startPostgres, type PgCluster } from '../../support/postgres';

/** ReadyForQuery messages received by every pg connection of this process: one per round trip. */
let readyForQuery = 0;
const PgConnection = (pg as unknown as { Connection: { prototype: { emit(event: string, ...args: unknown[]): boolean } } }).Connection;
const emit = PgConnection.prototype.emit;
PgConnection.prototype.emit = function (this: unknown, event: string, ...args: unknown[]) {
  if (event === 'readyForQuery') readyForQuery++;
  return emit.call(this, event, ...args);
};

async function roundTrips(fn: () => Promise<unknown>): Promise<number> {
  const before = readyForQuery;
  await fn();
  return readyForQuery - before;
}

describe('PostgreSQL store driver', () => {
  let cluster: PgCluster;
  let url: string;
  let store: Store;
  let other: Store;

  beforeAll(async () => {
    cluster = await startPostgres();
    url = cluster.createDatabase('driver');
    store = await openStore({ kind: 'postgres', url, poolSize: 1 });
    other = await openStore({ kind: 'postgres', url, poolSize: 1 });
    await sql`CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL)`.execute(store.q);
  });

  afterAll(async () => {
    await store?.close();
    await other?.close();
    await cluster?.stop();
  });

  const names = async () => (await sql<{ id: number; name: string }>`SELECT id, name FROM t ORDER BY id`.execute(other.q)).rows;

  it('sends a transaction of two statements in three round trips: BEGIN with the first, the second, COMMIT', async () => {
    await sql`DELETE FROM t`.execute(store.q);
    const n = await roundTrips(() => store.tx(async (q) => {
      await sql`INSERT INTO t (id, name) VALUES (${1}, ${'one'})`.execute(q);
      await sql`INSERT INTO t (id, name) VALUES (${2}, ${'two'})`.execute(q);
    }));
    expect(n).toBe(3);
    expect(await names()).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'two' }]);
  });

  it('runs the first statement inside the transaction (a statement without values too)', async () => {
    const r = await store.tx(async (q) => {
      const first = (await sql<{ at: string }>`SELECT now()::text AS at`.execute(q)).rows[0]!.at;
      await sql`SELECT pg_sleep(0.02)`.execute(q);
      const last = (await sql<{ at: string }>`SELECT now()::text AS at`.execute(q)).rows[0]!.at;
      return { first, last };
    });
    // now() is the transaction's start: the same for every statement of one transaction.
    expect(r.last).toBe(r.first);
  });

  it('runs a first statement without values that holds several statements, all inside the transaction', async () => {
    const n = await roundTrips(() => store.tx(async (q) => {
      await sql.raw(`CREATE TABLE u (id BIGINT PRIMARY KEY); INSERT INTO u VALUES (1)`).execute(q);
      await sql`INSERT INTO u VALUES (${2})`.execute(q);
    }));
    expect(n).toBe(3);
    expect((await sql<{ id: number }>`SELECT id FROM u ORDER BY id`.execute(other.q)).rows).toEqual([{ id: 1 }, { id: 2 }]);
    await expect(store.tx(async (q) => {
      await sql.raw(`CREATE TABLE v (id BIGINT PRIMARY KEY); INSERT INTO v VALUES (1)`).execute(q);
      throw new Error('undo the table');
    })).rejects.toThrow('undo the table');
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'v'`.execute(other.q)).rows[0]!.n).toBe(0);
  });

  it('sends nothing for a transaction that ran no statement', async () => {
    expect(await roundTrips(() => store.tx(async () => 'nothing'))).toBe(0);
    await expect(store.tx(async () => {
      throw new Error('before any statement');
    })).rejects.toThrow('before any statement');
    expect(await names()).toHaveLength(2);
  });

  it('undoes the whole transaction when its function throws after its statements', async () => {
    await expect(store.tx(async (q) => {
      await sql`INSERT INTO t (id, name) VALUES (${3}, ${'three'})`.execute(q);
      await sql`UPDATE t SET name = ${'changed'} WHERE id = ${1}`.execute(q);
      throw new Error('after the statements');
    })).rejects.toThrow('after the statements');
    expect(await names()).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'two' }]);
  });

  it('gives the server\'s error of a failing first statement, keeps nothing and goes on on the same connection', async () => {
    await expect(store.tx(async (q) => {
      await sql`INSERT INTO t (id, name) VALUES (${1}, ${'duplicate'})`.execute(q);
    })).rejects.toMatchObject({ code: '23505' });
    await expect(store.tx(async (q) => {
      await sql`INSERT INTO t (id, name) VALUES (${4}, ${'four'})`.execute(q);
      await sql`INSERT INTO t (id, name) VALUES (${2}, ${'duplicate'})`.execute(q);
    })).rejects.toMatchObject({ code: '23505' });
    // The pool has one connection: the failed transactions were rolled back on it.
    await store.tx(async (q) => sql`INSERT INTO t (id, name) VALUES (${5}, ${'five'})`.execute(q));
    expect(await names()).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'two' }, { id: 5, name: 'five' }]);
  });

  it('holds a row lock taken by the first statement until COMMIT', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = store.tx(async (q) => {
      await sql`SELECT id FROM t WHERE id = ${1} FOR UPDATE`.execute(q);
      await held;
      await sql`UPDATE t SET name = ${'first'} WHERE id = ${1}`.execute(q);
    });
    await new Promise((r) => setTimeout(r, 50));
    const second = other.tx(async (q) => {
      const row = (await sql<{ name: string }>`SELECT name FROM t WHERE id = ${1} FOR UPDATE`.execute(q)).rows[0]!;
      await sql`UPDATE t SET name = ${row.name + '+second'} WHERE id = ${1}`.execute(q);
    });
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([first, second]);
    expect((await names())[0]).toEqual({ id: 1, name: 'first+second' });
  });
});

describe('PostgreSQL store driver: writes held for the next statement', () => {
  let cluster: PgCluster;
  let store: Store;
  let other: Store;

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = cluster.createDatabase('held');
    store = await openStore({ kind: 'postgres', url, poolSize: 1 });
    other = await openStore({ kind: 'postgres', url, poolSize: 1 });
    await sql`CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL, raw BYTEA)`.execute(store.q);
  });

  afterAll(async () => {
    await store?.close();
    await other?.close();
    await cluster?.stop();
  });

  const names = async () => (await sql<{ id: number; name: string }>`SELECT id, name FROM t ORDER BY id`.execute(other.q)).rows;
  /** An INSERT run as a held write (its caller uses nothing of its result). */
  const heldInsert = (q: Q, id: number, name: string, raw: Uint8Array | null = null) =>
    q.executeQuery(heldWrite(sql`INSERT INTO t (id, name, raw) VALUES (${id}, ${name}, ${raw === null ? null : Buffer.from(raw)})`.compile(q)));

  it('sends a held write with the next statement, which sees it: BEGIN, the write and a read in one round trip, then COMMIT', async () => {
    let seen: unknown[] = [];
    const n = await roundTrips(() => store.tx(async (q) => {
      const r = await heldInsert(q, 1, 'one', new Uint8Array([0, 1, 0xff]));
      expect(r.rows).toEqual([]);
      seen = (await sql<{ id: number; name: string }>`SELECT id, name FROM t WHERE id = ${1}`.execute(q)).rows;
    }));
    expect(n).toBe(2);
    expect(seen).toEqual([{ id: 1, name: 'one' }]);
    const raw = (await sql<{ raw: Buffer }>`SELECT raw FROM t WHERE id = ${1}`.execute(other.q)).rows[0]!.raw;
    expect([...raw]).toEqual([0, 1, 0xff]);
  });

  it('sends writes held until the end with COMMIT, in order (with BEGIN when nothing ran before them)', async () => {
    const n = await roundTrips(() => store.tx(async (q) => {
      await heldInsert(q, 2, 'two');
      await q.executeQuery(heldWrite(sql`UPDATE t SET name = ${'two, updated'} WHERE id = ${2}`.compile(q)));
    }));
    expect(n).toBe(1);
    expect(await names()).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'two, updated' }]);
  });

  it('runs a held write at once outside a transaction', async () => {
    expect(await roundTrips(() => heldInsert(store.q, 3, 'three'))).toBe(1);
    expect((await names()).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('fails the statement a failing held write went with, or the COMMIT, and keeps nothing of the transaction; the connection goes on', async () => {
    await expect(store.tx(async (q) => {
      await heldInsert(q, 4, 'four');
      await heldInsert(q, 1, 'duplicate');
      await sql`SELECT 1`.execute(q);
    })).rejects.toMatchObject({ code: '23505' });
    await expect(store.tx(async (q) => {
      await sql`INSERT INTO t (id, name) VALUES (${5}, ${'five'})`.execute(q);
      await heldInsert(q, 2, 'duplicate');
    })).rejects.toMatchObject({ code: '23505' });
    // The pool has one connection: the failed transactions were rolled back on it, their held writes gone.
    await store.tx(async (q) => heldInsert(q, 6, 'six'));
    expect((await names()).map((r) => r.id)).toEqual([1, 2, 3, 6]);
  });

  it('sends nothing held by a transaction that is rolled back', async () => {
    const n = await roundTrips(() => expect(store.tx(async (q) => {
      await heldInsert(q, 7, 'seven');
      throw new Error('after the held write');
    })).rejects.toThrow('after the held write'));
    expect(n).toBe(0);
    expect((await names()).map((r) => r.id)).toEqual([1, 2, 3, 6]);
  });

  it('refuses at once a held write with a value pg cannot send, and the transaction goes on', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await store.tx(async (q) => {
      await expect(q.executeQuery(heldWrite(CompiledQuery.raw('INSERT INTO t (id, name) VALUES ($1, $2)', [8, circular])))).rejects.toThrow();
      await heldInsert(q, 9, 'nine');
    });
    expect((await names()).map((r) => r.id)).toEqual([1, 2, 3, 6, 9]);
  });
});

describe('PostgreSQL store driver: row shapes', () => {
  let cluster: PgCluster;
  let dialect: PostgresStoreDialect;
  let q: Kysely<Record<string, never>>;

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = cluster.createDatabase('shapes');
    dialect = new PostgresStoreDialect(new pg.Pool({ connectionString: url, max: 3, types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser } }));
    q = new Kysely({ dialect });
    await sql`CREATE TABLE w (id BIGINT PRIMARY KEY, name TEXT, at BIGINT)`.execute(q);
    await sql`INSERT INTO w VALUES (1, 'a', 10), (2, NULL, 20)`.execute(q);
  });

  afterAll(async () => {
    await q?.destroy();
    await cluster?.stop();
  });

  it('builds a statement\'s row shape once, reuses it, and builds it again when the columns change', async () => {
    const all = () => sql<Record<string, unknown>>`SELECT * FROM w ORDER BY id`.execute(q);
    const before = { ...dialect.driver.shapes.stats };
    // At once, so on three connections of the pool (pg gives each its own type-parser object).
    const [rows1, rows2, rows3] = (await Promise.all([all(), all(), all()])).map((r) => r.rows);
    expect(rows1).toEqual([{ id: 1, name: 'a', at: 10 }, { id: 2, name: null, at: 20 }]);
    expect(rows2).toEqual(rows1);
    expect(rows3).toEqual(rows1);
    expect(rows2[0]).not.toBe(rows1[0]);
    rows2[0]!.name = 'changed';
    expect((await all()).rows[0]!.name).toBe('a');
    expect(dialect.driver.shapes.stats.built - before.built).toBe(1);
    expect(dialect.driver.shapes.stats.reused - before.reused).toBe(3);
    // Another relay's migration adds a column and changes one's type: the same text, new columns.
    await sql`ALTER TABLE w ADD COLUMN extra BIGINT NOT NULL DEFAULT 7`.execute(q);
    await sql`ALTER TABLE w ALTER COLUMN at TYPE TEXT`.execute(q);
    expect((await all()).rows).toEqual([{ id: 1, name: 'a', at: '10', extra: 7 }, { id: 2, name: null, at: '20', extra: 7 }]);
    expect(dialect.driver.shapes.stats.built - before.built).toBe(2);
  });

  it('gives rows an ordinary prototype and their own columns only', async () => {
    const row = (await sql<Record<string, unknown>>`SELECT 1::bigint AS a, 'x' AS b`.execute(q)).rows[0]!;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(['a', 'b']);
    const odd = (await sql<Record<string, unknown>>`SELECT 1 AS "__proto__", 2 AS b`.execute(q)).rows[0]!;
    expect(Object.getPrototypeOf(odd)).toBe(Object.prototype);
    expect(odd.b).toBe(2);
    // A repeated name keeps its last value, in the place of its first, as pg gives it.
    const twice = (await sql<Record<string, unknown>>`SELECT 1 AS a, 'x' AS b, 3 AS a`.execute(q)).rows[0]!;
    expect(Object.entries(twice)).toEqual([['a', 3], ['b', 'x']]);
  });
});

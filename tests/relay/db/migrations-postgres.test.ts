import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { MIGRATIONS, migratePostgres, openDatabase, postgresSchemaVersion, postgresStore, sqliteStore, type Store } from '@keyway/relay';
import { startPostgres, type PgCluster } from '../../support/postgres';

/** Table → sorted column names, and CHECK/UNIQUE behaviour, must be the same on both stores. */
async function columns(store: Store): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  if (store.dialect === 'sqlite') {
    const tables = store.sqlite!.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    for (const t of tables) out[t] = (store.sqlite!.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[]).sort();
  } else {
    const rows = await sql<{ table_name: string; column_name: string }>`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'keyway_schema'`.execute(store.q);
    for (const r of rows.rows) (out[r.table_name] ??= []).push(r.column_name);
    for (const t of Object.keys(out)) out[t]!.sort();
  }
  return out;
}

describe('migrations on PostgreSQL', () => {
  let pg: PgCluster;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it('builds the same tables and columns as on SQLite, and applies each migration once', async () => {
    const store = await postgresStore(pg.createDatabase('same_schema'));
    const lite = sqliteStore(openDatabase(':memory:'));
    try {
      expect(await postgresSchemaVersion(store.q)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      expect(await migratePostgres(store.q)).toEqual([]);
      expect(await columns(store)).toEqual(await columns(lite));
    } finally {
      await store.close();
      await lite.close();
    }
  });

  it('lets relays starting together apply the migrations exactly once', async () => {
    const url = pg.createDatabase('racing_starts');
    const stores = await Promise.all([1, 2, 3].map(() => postgresStore(url, 2)));
    try {
      for (const s of stores) expect(await postgresSchemaVersion(s.q)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps CHECK constraints, case-insensitive e-mails, and BIGINT times as numbers', async () => {
    const store = await postgresStore(pg.createDatabase('constraints'));
    try {
      const big = 1_800_000_000_000;
      const { id } = await store.q.insertInto('owners').values({ email: 'A@x.org', name: 'a', password_hash: 'h', created_at: big }).returning('id').executeTakeFirstOrThrow();
      expect(typeof id).toBe('number');
      await expect(store.q.insertInto('owners').values({ email: 'a@X.org', name: 'b', password_hash: 'h', created_at: big }).execute()).rejects.toThrow(/owners_email/);
      const row = await store.q.selectFrom('owners').select(['created_at']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.created_at).toBe(big);
      await expect(store.q.insertInto('tokens').values({ hash: 'x', kind: 'root' as 'admin', created_at: big }).execute()).rejects.toThrow(/check/i);
    } finally {
      await store.close();
    }
  });

  it('rolls a failed migration back whole, leaving the version where it was', async () => {
    const url = pg.createDatabase('failed_migration');
    const store = await postgresStore(url, 2, MIGRATIONS.slice(0, 1));
    try {
      const broken = [...MIGRATIONS.slice(0, 1), { version: 2, name: 'broken', sql: '', postgres: 'CREATE TABLE y (a BIGINT); SELECT no_such_function();' }];
      await expect(migratePostgres(store.q, broken)).rejects.toThrow(/no_such_function/);
      expect(await postgresSchemaVersion(store.q)).toBe(1);
      const y = await sql<{ n: number }>`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'y'`.execute(store.q);
      expect(y.rows[0]!.n).toBe(0);
    } finally {
      await store.close();
    }
  });
});

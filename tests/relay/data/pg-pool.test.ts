import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@keyway/relay';
import { sql } from 'kysely';
import { startPostgres, type PgCluster } from '../../support/postgres';

describe('PostgreSQL store: the server closing its connections', () => {
  let pg: PgCluster;
  let store: Store;
  let admin: Store;

  beforeAll(async () => {
    pg = await startPostgres();
    const url = pg.createDatabase('pooltest');
    store = await openStore({ kind: 'postgres', url });
    admin = await openStore({ kind: 'postgres', url, poolSize: 1 });
  });

  afterAll(async () => {
    await store?.close();
    await admin?.close();
    await pg?.stop();
  });

  it('survives its idle connections being terminated and answers the next query on a fresh one', async () => {
    // Several connections in the pool, all idle afterwards.
    await Promise.all([1, 2, 3].map(() => store.tx(async (q) => sql`SELECT pg_sleep(0.05)`.execute(q))));
    const mine = sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`;
    expect((await mine.execute(admin.q)).rows[0]!.n).toBeGreaterThanOrEqual(2);
    const killed = await sql<{ ok: boolean }>`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`.execute(admin.q);
    expect(killed.rows.length).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 300));
    const again = await sql<{ one: number }>`SELECT 1 AS one`.execute(store.q);
    expect(again.rows[0]!.one).toBe(1);
  });
});

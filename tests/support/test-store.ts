/**
 * Which store relay tests run on: SQLite (the default) or, with KEYWAY_TEST_STORE=postgres,
 * PostgreSQL — one throwaway cluster per test file (postgres.ts), a fresh database per relay.
 * The cluster stops after the file's other afterAll hooks (vitest runs them last-registered
 * first), so the relays are closed by then.
 */
import { afterAll } from 'vitest';
import { startPostgres, type PgCluster } from './postgres';

export type TestStore = 'sqlite' | 'postgres';

export function testStore(): TestStore {
  const v = process.env.KEYWAY_TEST_STORE ?? 'sqlite';
  if (v !== 'sqlite' && v !== 'postgres') throw new Error('KEYWAY_TEST_STORE must be sqlite or postgres, not ' + v);
  return v;
}

let cluster: Promise<PgCluster> | null = null;
let databases = 0;

if (testStore() === 'postgres') {
  afterAll(async () => {
    const c = cluster;
    cluster = null;
    if (c) await (await c).stop();
  });
}

/** A fresh database for one relay when the tests run on PostgreSQL; undefined on SQLite. */
export async function testDatabaseUrl(): Promise<string | undefined> {
  if (testStore() !== 'postgres') return undefined;
  cluster ??= startPostgres();
  return (await cluster).createDatabase('relay' + ++databases);
}

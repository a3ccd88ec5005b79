/**
 * Runs one suite against every store the relay supports: SQLite (a fresh file per test) and
 * PostgreSQL (a fresh database per test in one throwaway cluster per file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { openStore, type Store, type StoreDialect } from '@keyway/relay';
import { startPostgres, type PgCluster } from './postgres';

export interface StoreFactory {
  dialect: StoreDialect;
  /** A new, migrated, empty store; closed and removed by the suite. */
  fresh(): Promise<Store>;
}

export function describeEachStore(name: string, suite: (stores: StoreFactory) => void): void {
  describe(name + ' (SQLite)', () => {
    const opened: { store: Store; dir: string }[] = [];
    afterAll(async () => {
      for (const o of opened) {
        await o.store.close();
        rmSync(o.dir, { recursive: true, force: true });
      }
    });
    suite({
      dialect: 'sqlite',
      fresh: async () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'kw-store-'));
        const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'k.sqlite') });
        opened.push({ store, dir });
        return store;
      }
    });
  });
  describe(name + ' (PostgreSQL)', () => {
    let pg: PgCluster | null = null;
    let n = 0;
    const opened: Store[] = [];
    beforeAll(async () => {
      pg = await startPostgres();
    });
    afterAll(async () => {
      for (const s of opened) await s.close();
      await pg?.stop();
    });
    suite({
      dialect: 'postgres',
      fresh: async () => {
        const store = await openStore({ kind: 'postgres', url: pg!.createDatabase('t' + ++n) });
        opened.push(store);
        return store;
      }
    });
  });
}

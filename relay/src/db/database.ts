/**
 * SQLite through better-sqlite3: WAL so several relay processes on one machine can share
 * the file (scale-out), a busy timeout instead of SQLITE_BUSY errors, foreign keys on, and
 * the numbered migrations applied under an IMMEDIATE transaction so two processes starting
 * together never both run one.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fresh = file === ':memory:' || !existsSync(file);
  const db = new Database(file);
  if (fresh && file !== ':memory:') chmodSync(file, 0o600);
  db.pragma('busy_timeout = 10000');
  if (file !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db, migrations);
  cacheStatements(db);
  return db;
}

/**
 * Reuses prepared statements by SQL text. The relay prepares its queries inline where they are
 * used; preparing costs more than running most of them (measured: 17% of the relay's CPU under
 * load, bench/relay.mts --profile). Safe because no caller changes a statement's mode
 * (pluck/raw/expand) or iterates one while another uses it.
 */
function cacheStatements(db: Db): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  (db as unknown as { prepare: (sql: string) => Database.Statement }).prepare = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = prepare(sql);
      if (cache.size < 500) cache.set(sql, s);
    }
    return s;
  };
}

/** Applies every migration above PRAGMA user_version; returns the versions applied. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const applied: number[] = [];
  const run = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.pragma('user_version = ' + m.version);
      applied.push(m.version);
    }
  });
  run.immediate();
  return applied;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

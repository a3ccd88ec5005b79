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
  return db;
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

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, openDatabase, schemaVersion } from '@keyway/relay';

describe('database migrations', () => {
  it('numbers migrations consecutively and applies each exactly once', () => {
    MIGRATIONS.forEach((m, i) => expect(m.version).toBe(i + 1));
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-db-'));
    const file = path.join(dir, 'k.sqlite');
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(migrate(db)).toEqual([]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const again = openDatabase(file);
    expect(schemaVersion(again)).toBe(MIGRATIONS.length);
    again.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies only migrations above the stored version', () => {
    const db = openDatabase(':memory:', MIGRATIONS.slice(0, 1));
    expect(migrate(db, [...MIGRATIONS.slice(0, 1), { version: 2, name: 'x', sql: 'CREATE TABLE x (a INTEGER)', postgres: 'CREATE TABLE x (a BIGINT)' }])).toEqual([2]);
    expect(schemaVersion(db)).toBe(2);
    db.close();
  });
});

/**
 * WAL checkpoints run by a worker thread with a connection of its own (relay/src/db/checkpointer.ts),
 * not inside the relay's COMMITs: the relay's connection keeps only a far-off safety net.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { CHECKPOINT_INTERVAL_MS, FALLBACK_AUTOCHECKPOINT_PAGES, openDatabase, sqliteStore, startCheckpointer } from '@keyway/relay';

type Db = ReturnType<typeof openDatabase>;
import { scaled } from '../../support/time-scale';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(): { db: Db; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-ckpt-'));
  dirs.push(dir);
  const file = path.join(dir, 'k.sqlite');
  const db = openDatabase(file);
  db.exec('CREATE TABLE blob_rows (id INTEGER PRIMARY KEY, b BLOB NOT NULL)');
  return { db, file };
}

/** Commits `n` transactions of about 4 pages each (far below SQLite's own 1,000-page checkpoint). */
function commitSome(db: Db, n: number): void {
  const insert = db.prepare('INSERT INTO blob_rows (b) VALUES (?)');
  for (let i = 0; i < n; i++) db.transaction(() => insert.run(Buffer.alloc(16_000, i)))();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = scaled(5000)): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > end) return v;
    await sleep(CHECKPOINT_INTERVAL_MS / 2);
  }
}

describe('checkpointer', () => {
  it("lowers the relay connection's own automatic checkpoint to a safety net, and checkpoints in the worker once told of commits", async () => {
    const { db, file } = fresh();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const c = startCheckpointer(db, file)!;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);
    commitSome(db, 20);
    c.committed();
    const s = await until(() => c.stats(), (v) => v.framesCopied > 0);
    expect(s.checkpoints).toBeGreaterThanOrEqual(1);
    expect(s.framesCopied).toBeGreaterThanOrEqual(20);
    expect(s.lastError).toBeNull();
    await c.stop();
    db.close();
  });

  it('does nothing while nothing is committed (no timer of its own), then checkpoints on the next commit', async () => {
    const { db, file } = fresh();
    const c = startCheckpointer(db, file)!;
    commitSome(db, 10); // written, but the worker is not told
    await sleep(CHECKPOINT_INTERVAL_MS * 3);
    expect((await c.stats()).checkpoints).toBe(0);
    c.committed();
    expect((await until(() => c.stats(), (v) => v.checkpoints > 0)).checkpoints).toBe(1);
    await c.stop();
    db.close();
  });

  it('stop() closes the worker connection: the relay connection closing last removes the WAL file', async () => {
    const { db, file } = fresh();
    const c = startCheckpointer(db, file)!;
    commitSome(db, 5);
    c.committed();
    await c.stop();
    await c.stop(); // twice is harmless
    expect((await c.stats()).lastError).toBe('worker stopped');
    expect(existsSync(file + '-wal')).toBe(true);
    db.close();
    expect(existsSync(file + '-wal')).toBe(false);
    const again = openDatabase(file);
    expect((again.prepare('SELECT count(*) AS n FROM blob_rows').get() as { n: number }).n).toBe(5);
    again.close();
  });

  it('a process whose last task is stop() exits normally (the worker is waited for, not left unreferenced)', () => {
    // keyway up with its HTTP port taken stops the store and exits: with an unreferenced worker
    // the process ended inside the awaited stop() with exit code 13 and printed no error.
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-ckpt-'));
    dirs.push(dir);
    const relay = fileURLToPath(new URL('../../../relay/src/index.ts', import.meta.url));
    const script = path.join(dir, 'stop-last.mts');
    writeFileSync(script, [
      `import { openDatabase, startCheckpointer } from ${JSON.stringify(relay)};`,
      `const file = ${JSON.stringify(path.join(dir, 'k.sqlite'))};`,
      'const db = openDatabase(file);',
      'const c = startCheckpointer(db, file);',
      'if (!c) throw new Error("no checkpointer");',
      'await c.stop();',
      'db.close();',
      'console.log("stopped");'
    ].join('\n'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../../..', import.meta.url)), encoding: 'utf8', timeout: scaled(60_000) });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('stopped');
    expect(r.status).toBe(0);
  });

  it('starts no worker for an in-memory database', () => {
    const db = openDatabase(':memory:');
    expect(startCheckpointer(db, ':memory:')).toBeNull();
    db.close();
  });
});

describe('the SQLite store and its checkpointer', () => {
  it('starts one with the store (the safety net set on its connection) and stops it on close', async () => {
    const { db, file } = fresh();
    const store = sqliteStore(db);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);
    await store.tx(async (q) => {
      await sql`INSERT INTO blob_rows (b) VALUES (${Buffer.alloc(100)})`.execute(q);
    });
    await store.close();
    db.close();
    // Only once the worker's connection is gone can the last one remove the WAL.
    expect(existsSync(file + '-wal')).toBe(false);
  });
});

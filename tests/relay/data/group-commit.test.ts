/**
 * Group commit on the SQLite store (relay/src/data/group-commit.ts): transactions queued
 * behind a running one commit together, each still all-or-nothing on its own, each caller
 * answered only after the commit, and a failed commit keeps nothing of its batch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { CompiledQuery } from 'kysely';
import { groupCommit } from '../../../relay/src/data/group-commit';
import { afterCommit, openStore, type Store } from '../../../relay/src/data/store';
import { claimKey, findKey } from '../../../relay/src/data/idempotency';
import type { Q } from '../../../relay/src/data/store';

const opened: { store: Store; dir: string }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.store.close();
    rmSync(o.dir, { recursive: true, force: true });
  }
});

async function fresh(): Promise<{ store: Store; file: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-group-'));
  const file = path.join(dir, 'k.sqlite');
  const store = await openStore({ kind: 'sqlite', file });
  opened.push({ store, dir });
  return { store, file };
}

const claim = (q: Q, key: string) => claimKey(q, { principal: 'p', key, route: 'POST /x', bodyHash: 'h', at: 1 });

/** Rows as another connection sees them: only what is committed. */
function committedKeys(file: string): string[] {
  const other = new Database(file, { readonly: true });
  try {
    return (other.prepare('SELECT key FROM idempotency ORDER BY key').all() as { key: string }[]).map((r) => r.key);
  } finally {
    other.close();
  }
}

/** A promise a transaction awaits to stay open while others queue behind it, and its release. */
function heldOpen(): { gate: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return { gate, release };
}

describe('group commit (SQLite)', () => {
  it('commits transactions queued behind a running one together, in order, each seeing those before it', async () => {
    const { store, file } = await fresh();
    const { gate, release } = heldOpen();
    const first = store.tx(async (q) => {
      await claim(q, 'a');
      await gate; // hold the transaction open while others queue
      return 'first';
    });
    const seen: boolean[] = [];
    const queued = ['b', 'c', 'd'].map((k, i) => store.tx(async (q) => {
      seen[i] = (await findKey(q, 'p', i === 0 ? 'a' : ['b', 'c'][i - 1])) !== undefined;
      await claim(q, k);
      return k;
    }));
    let settled = 0;
    queued.forEach((p) => void p.then(() => settled++));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(0);
    expect(committedKeys(file)).toEqual([]);
    release();
    expect(await first).toBe('first');
    expect(await Promise.all(queued)).toEqual(['b', 'c', 'd']);
    expect(seen).toEqual([true, true, true]);
    expect(committedKeys(file)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rolls back only the caller whose function throws; the rest of its batch commits', async () => {
    const { store, file } = await fresh();
    const { gate, release } = heldOpen();
    const first = store.tx(async (q) => {
      await claim(q, 'a');
      await gate;
    });
    const good1 = store.tx((q) => claim(q, 'b'));
    const bad = store.tx(async (q) => {
      await claim(q, 'x');
      throw new Error('refused');
    });
    const good2 = store.tx((q) => claim(q, 'c'));
    release();
    await first;
    await expect(bad).rejects.toThrow('refused');
    expect(await good1).toBe(true);
    expect(await good2).toBe(true);
    expect(committedKeys(file)).toEqual(['a', 'b', 'c']);
  });

  it('runs afterCommit hooks after the batch commits, only for the callers whose work was kept, in order', async () => {
    const { store, file } = await fresh();
    const ran: string[] = [];
    const { gate, release } = heldOpen();
    const first = store.tx(async (q) => {
      await claim(q, 'a');
      afterCommit(q, () => ran.push('a:' + committedKeys(file).join('')));
      await gate;
    });
    await new Promise((r) => setTimeout(r, 10));
    const kept = store.tx(async (q) => {
      await claim(q, 'b');
      afterCommit(q, () => ran.push('b:' + committedKeys(file).join('')));
    });
    const dropped = store.tx(async (q) => {
      await claim(q, 'x');
      afterCommit(q, () => ran.push('x'));
      throw new Error('refused');
    });
    const kept2 = store.tx(async (q) => {
      await claim(q, 'c');
      afterCommit(q, () => ran.push('c:' + committedKeys(file).join('')));
    });
    release();
    await first;
    await kept;
    await expect(dropped).rejects.toThrow('refused');
    await kept2;
    // Each hook saw its own write committed; the refused caller's hook never ran.
    expect(ran).toEqual(['a:a', 'b:abc', 'c:abc']);
  });

  it('transactions started in one turn of the event loop share one BEGIN … COMMIT', async () => {
    const { store, file } = await fresh();
    let begins = 0;
    const g = groupCommit((fn) => {
      begins++;
      return store.q.transaction().execute(fn);
    });
    const keys = ['a', 'b', 'c', 'd', 'e'];
    expect(await Promise.all(keys.map((k) => g.tx((q) => claim(q, k))))).toEqual([true, true, true, true, true]);
    expect(begins).toBe(1);
    expect(g.stats).toEqual({ transactions: 5, batches: 1 });
    expect(committedKeys(file)).toEqual(keys);
    // The next turn's transaction is a batch of its own.
    expect(await g.tx((q) => claim(q, 'f'))).toBe(true);
    expect(begins).toBe(2);
  });

  it('a single write runs without a savepoint; when it fails (a constraint) only its caller gets the error and the batch commits', async () => {
    const { store, file } = await fresh();
    const ran: string[] = [];
    const handle = store.sqlite!;
    const prepare = handle.prepare.bind(handle);
    (handle as unknown as { prepare: (sql: string) => unknown }).prepare = (sql: string) => {
      ran.push(sql);
      return prepare(sql);
    };
    const { gate, release } = heldOpen();
    const first = store.tx(async (q) => {
      await claim(q, 'a');
      await gate;
    });
    await new Promise((r) => setTimeout(r, 10)); // the next ones queue behind the running batch
    ran.length = 0;
    const other = store.tx((q) => claim(q, 'b'));
    const bad = store.write((q) => q.executeQuery(CompiledQuery.raw("INSERT INTO couriers (backend_id, name, created_at) VALUES (999999, 'nobody', 0)")));
    const good = store.write((q) => claim(q, 'w'));
    release();
    await first;
    await expect(bad).rejects.toThrow(/FOREIGN KEY/);
    expect(await other).toBe(true);
    expect(await good).toBe(true);
    expect(committedKeys(file)).toEqual(['a', 'b', 'w']);
    expect(ran.filter((s) => /^savepoint/i.test(s)), 'one savepoint: the transaction, not the writes').toHaveLength(1);
  });

  it('a single write whose failure ended the transaction fails the whole batch and keeps nothing', async () => {
    const { store, file } = await fresh();
    const g = groupCommit((fn) => store.q.transaction().execute(fn), undefined, undefined, () => false);
    const results = await Promise.allSettled([
      g.tx((q) => claim(q, 'a')),
      g.tx(async () => {
        throw new Error('disk I/O error');
      }, true),
      g.tx((q) => claim(q, 'c'))
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/disk I\/O error/);
    expect(committedKeys(file)).toEqual([]);
    expect(g.stats).toEqual({ transactions: 0, batches: 0 });
  });

  it('a lone transaction that throws keeps nothing', async () => {
    const { store, file } = await fresh();
    await expect(store.tx(async (q) => {
      await claim(q, 'lone');
      throw new Error('no');
    })).rejects.toThrow('no');
    expect(committedKeys(file)).toEqual([]);
    expect(await store.tx((q) => claim(q, 'next'))).toBe(true);
    expect(committedKeys(file)).toEqual(['next']);
  });
});

describe('group commit over a failing commit', () => {
  it('a batch whose commit fails keeps nothing and rejects all its callers; the store goes on', async () => {
    const { store, file } = await fresh();
    const { gate, release } = heldOpen();
    const first = store.tx(async (q) => {
      await claim(q, 'a');
      await gate;
    });
    await new Promise((r) => setTimeout(r, 10)); // the first batch is running: the next ones queue behind it
    // A deferred foreign-key violation fails the COMMIT, not the statement.
    const breaker = store.tx(async (q) => {
      await q.executeQuery(CompiledQuery.raw('PRAGMA defer_foreign_keys = ON'));
      await q.executeQuery(CompiledQuery.raw("INSERT INTO couriers (backend_id, name, created_at) VALUES (999999, 'nobody', 0)"));
    });
    const other = store.tx((q) => claim(q, 'b'));
    const single = store.write((q) => claim(q, 'w')); // a single write joins the batch too
    release();
    await first;
    const results = await Promise.allSettled([breaker, other, single]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(committedKeys(file)).toEqual(['a']);
    expect(await store.tx((q) => claim(q, 'c'))).toBe(true);
    expect(committedKeys(file)).toEqual(['a', 'c']);
  });

  it('counts only committed transactions', async () => {
    let n = 0;
    const g = groupCommit(async (fn) => {
      const v = await fn({} as Q);
      if (++n === 2) throw new Error('disk full');
      return v;
    });
    expect(await g.tx(async () => 1)).toBe(1);
    await expect(g.tx(async () => 2)).rejects.toThrow('disk full');
    expect(g.stats).toEqual({ transactions: 1, batches: 1 });
  });
});

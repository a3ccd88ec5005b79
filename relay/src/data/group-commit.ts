/**
 * Group commit for the SQLite store: write transactions that queue up while one is running
 * are run together in the next single transaction, each in its own savepoint, and committed
 * once. On one connection SQLite runs one transaction at a time anyway; what a batch saves is
 * the BEGIN and, above all, the COMMIT of each (writing the WAL frames of every page touched,
 * the devices row's page again and again). Measured under load, COMMIT was the costliest
 * statement the relay ran (bench/relay.mts, docs/benchmarks.md).
 *
 * Each caller sees what a transaction of its own would give: its work runs after the work
 * queued before it and sees it; if its function throws, its savepoint is rolled back and only
 * it gets the error; its promise settles only once the batch is committed, so nothing is
 * acknowledged before it is durable. If the commit itself fails, every caller of the batch
 * gets that error and nothing of the batch is kept. A batch starts once the event loop has
 * finished its current phase (setImmediate): an idle relay waits for nothing else.
 *
 * A caller that runs a single statement (`tx(fn, true)`, the store's `write`) gets no
 * savepoint: SQLite undoes a failed statement by itself and the transaction goes on. Some
 * failures (I/O, disk full) end the whole transaction instead; `intact` says whether the
 * transaction is still open after a failed statement, and when it is not the batch fails as a
 * whole, as it would on a savepoint that cannot be undone. Without `intact` every caller gets
 * its savepoint.
 */
import { CompiledQuery } from 'kysely';
import { execute } from './sqlite-direct';
import type { Q } from './store';

/** Transactions at most in one batch: bounds the time the write lock is held at once. */
export const MAX_GROUP_COMMIT = 64;

interface Pending {
  fn: (q: Q) => Promise<unknown>;
  /** The caller runs one statement (no savepoint needed while `intact` can tell). */
  single: boolean;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/**
 * Runs one caller's function in the batch's transaction; `committed` is called once the batch
 * has committed and this caller's work was kept (the store's afterCommit hooks), never otherwise.
 */
export type ItemRunner = <T>(q: Q, fn: (q: Q) => Promise<T>) => Promise<{ value: T; committed: () => void }>;

const plainItem: ItemRunner = async (q, fn) => ({ value: await fn(q), committed: () => undefined });

type Outcome = { ok: true; value: unknown; committed: () => void } | { ok: false; error: unknown };

const SAVEPOINT = CompiledQuery.raw('savepoint kw_group_item');
const RELEASE = CompiledQuery.raw('release savepoint kw_group_item');
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint kw_group_item');

export interface GroupCommit {
  /** Runs fn in the next batch; `single` when fn runs exactly one statement. */
  tx<T>(fn: (q: Q) => Promise<T>, single?: boolean): Promise<T>;
  /** Transactions committed and batches run so far (tests and diagnostics). */
  readonly stats: { transactions: number; batches: number };
}

/**
 * Group commit over `begin`, which runs one real transaction (BEGIN IMMEDIATE … COMMIT).
 * `intact(q)`: whether the batch's transaction q is still open (single-statement callers).
 */
export function groupCommit(
  begin: <T>(fn: (q: Q) => Promise<T>) => Promise<T>, runItem: ItemRunner = plainItem, maxBatch = MAX_GROUP_COMMIT, intact?: (q: Q) => boolean
): GroupCommit {
  const queue: Pending[] = [];
  const stats = { transactions: 0, batches: 0 };
  let running = false;

  async function runBatch(batch: Pending[]): Promise<void> {
    const outcomes: Outcome[] = [];
    try {
      await begin(async (q) => {
        for (const item of batch) {
          if (batch.length === 1) {
            // Alone: no savepoint needed, the transaction itself rolls back on a throw.
            outcomes.push({ ok: true, ...(await runItem(q, item.fn)) });
            continue;
          }
          if (item.single && intact) {
            try {
              outcomes.push({ ok: true, ...(await runItem(q, item.fn)) });
            } catch (error) {
              // The failed statement undid itself; if it ended the transaction, nothing of the batch is kept.
              if (!intact(q)) throw error;
              outcomes.push({ ok: false, error });
            }
            continue;
          }
          await execute(q, SAVEPOINT);
          try {
            const done = await runItem(q, item.fn);
            await execute(q, RELEASE);
            outcomes.push({ ok: true, ...done });
          } catch (error) {
            // Undo only this caller's work; the others' stays for the commit.
            await execute(q, ROLLBACK_TO);
            await execute(q, RELEASE);
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The transaction failed as a whole (commit, or a savepoint that could not be undone):
      // nothing of it is kept. A lone caller's own error arrives here too.
      batch.forEach((item, i) => item.reject(outcomes[i] && !outcomes[i].ok ? (outcomes[i] as { error: unknown }).error : error));
      return;
    }
    stats.batches++;
    stats.transactions += outcomes.filter((o) => o.ok).length;
    batch.forEach((item, i) => {
      const o = outcomes[i];
      if (!o.ok) return item.reject(o.error);
      try {
        o.committed();
      } catch (error) {
        // As with a transaction of its own: the caller learns its after-commit work failed.
        return item.reject(error);
      }
      item.resolve(o.value);
    });
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) await runBatch(queue.splice(0, maxBatch));
    } finally {
      running = false;
    }
  }

  return {
    stats,
    tx<T>(fn: (q: Q) => Promise<T>, single = false): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, single, resolve: resolve as (v: unknown) => void, reject });
        if (!running) {
          running = true;
          // better-sqlite3 answers synchronously, so a whole transaction runs in microtasks
          // and nothing else would ever queue behind it: start after the event loop's current
          // phase instead, so the transactions the messages of one network read start commit together.
          setImmediate(() => void drain());
        }
      });
    }
  };
}

/**
 * Runs async work for one lock in arrival order, one at a time, while work for different
 * locks runs side by side. The lock intake needs it: a lock's events are stored in the order
 * the broker received them (two events in one TCP read are handed over together), and with
 * a connection pool two transactions started in order may otherwise commit out of order,
 * which reads as a gap followed by a late event. Messages that queued up for one lock while its
 * earlier work ran can be taken together (batch()): the lock intake stores them in one transaction.
 * A batch stays open until its runner takes its items (take()), not merely until it starts: the
 * lock intake takes them once its transaction runs, so the messages that arrive while it waits
 * for the store's turn (group-commit.ts) join it rather than wait for it to commit.
 */
import type { RelayContext } from '../context';

/** Messages at most in one batch (batch()): bounds the work one transaction holds the lock's row for. */
export const MAX_INTAKE_BATCH = 16;

/**
 * Runs a batch: `take()` closes it to later items and gives its items (the same array on every
 * call); the runner resolves with one result per item taken, in order, or throws, which fails
 * every item of the batch. The queue closes a batch whose runner settled without taking it.
 */
export type BatchRunner<I, R> = (lockId: string, take: () => I[]) => Promise<R[]>;

interface OpenBatch {
  runAll: BatchRunner<unknown, unknown>;
  items: unknown[];
  settle: Array<{ resolve(v: unknown): void; reject(e: unknown): void }>;
}

export class PerLockQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  /** Per lock: the batch queued last and not started yet, which later items of the same runner join. */
  private readonly open = new Map<string, OpenBatch>();

  run<T>(lockId: string, work: () => Promise<T>): Promise<T> {
    // Work queued after a batch comes after every item of it: the batch takes no more.
    this.open.delete(lockId);
    return this.enqueue(lockId, work);
  }

  /**
   * Queues `item` for `runAll`, which takes together the items that queued up for the lock while
   * its earlier work ran: an item joins the batch queued last for the lock when nothing else was
   * queued after it and its runner has not taken its items yet, so the order of arrival is kept
   * across all the lock's work. Resolves with the item's own result once its batch has run.
   */
  batch<I, R>(lockId: string, item: I, runAll: BatchRunner<I, R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const joined = this.open.get(lockId);
      if (joined && joined.runAll === runAll && joined.items.length < MAX_INTAKE_BATCH) {
        joined.items.push(item);
        joined.settle.push({ resolve: resolve as (v: unknown) => void, reject });
        return;
      }
      const b: OpenBatch = { runAll: runAll as BatchRunner<unknown, unknown>, items: [item], settle: [{ resolve: resolve as (v: unknown) => void, reject }] };
      this.open.set(lockId, b);
      void this.enqueue(lockId, async () => {
        const take = (): unknown[] => {
          if (this.open.get(lockId) === b) this.open.delete(lockId);
          return b.items;
        };
        try {
          const results = await b.runAll(lockId, take);
          take();
          b.settle.forEach((s, i) => (i < results.length ? s.resolve(results[i]) : s.reject(new Error('per-lock queue: the runner gave no result for item ' + i))));
        } catch (err) {
          take();
          b.settle.forEach((s) => s.reject(err));
        }
      });
    });
  }

  private enqueue<T>(lockId: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(lockId) ?? Promise.resolve();
    const result = before.then(work, work);
    const tail = result.then(() => undefined, () => undefined);
    this.tails.set(lockId, tail);
    void tail.then(() => {
      if (this.tails.get(lockId) === tail) this.tails.delete(lockId);
    });
    return result;
  }

  /** Locks with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}

const queues = new WeakMap<RelayContext, PerLockQueue>();

/**
 * The relay's one queue for what a lock sends (events, status, presence): a status is taken
 * after the connection it arrived on is recorded, an event after the status before it.
 */
export function lockIntakeQueue(ctx: RelayContext): PerLockQueue {
  let q = queues.get(ctx);
  if (!q) {
    q = new PerLockQueue();
    queues.set(ctx, q);
  }
  return q;
}

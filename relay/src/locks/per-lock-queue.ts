/**
 * Runs async work for one lock in arrival order, one at a time, while work for different
 * locks runs side by side. The lock intake needs it: a lock's events are stored in the order
 * the broker received them (two events in one TCP read are handed over together), and with
 * a connection pool two transactions started in order may otherwise commit out of order,
 * which reads as a gap followed by a late event.
 */
import type { RelayContext } from '../context';

export class PerLockQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(lockId: string, work: () => Promise<T>): Promise<T> {
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

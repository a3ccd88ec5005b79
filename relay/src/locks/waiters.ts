/**
 * In-process waits for a lock's answer (an entry request waiting for its ACK or OPERATION
 * event). Every relay process sees every lock event through the message bus; one that holds a
 * waiter for that lock checks the event against the store and resolves its own waiter,
 * whichever process stored the event.
 *
 * A waiter may also do its part in the transaction that stores (or finds stored) the event it
 * waits for (`settle`, run by settleIn before that transaction commits): a courier entry keeps
 * its answer there, so the answer needs no commit of its own once the lock has answered.
 */
import type { LockEvent } from '@keyway/shared';
import type { Q } from '../data/store';

export interface ReceivedEvent extends LockEvent {
  deviceHex: string;
  hashHex: string;
}

type Matcher<T> = (ev: ReceivedEvent) => T | undefined;

/** Work in the transaction q that stores the event the matcher took (result: what it gave); it must not throw. */
export type Settle<T> = (q: Q, result: T) => Promise<void>;

interface Waiter {
  deviceId: string;
  match: Matcher<unknown>;
  settle?: Settle<unknown>;
  resolve(v: unknown): void;
  timer: NodeJS.Timeout;
}

export class Waiters {
  private readonly byDevice = new Map<string, Set<Waiter>>();

  /** Resolves with the first matcher result, or 'timeout'. */
  wait<T>(deviceId: string, match: Matcher<T>, timeoutMs: number, settle?: Settle<T>): { promise: Promise<T | 'timeout'>; cancel(): void } {
    let waiter!: Waiter;
    const promise = new Promise<T | 'timeout'>((resolve) => {
      waiter = {
        deviceId,
        match,
        settle: settle as Settle<unknown> | undefined,
        resolve: resolve as (v: unknown) => void,
        timer: setTimeout(() => this.finish(waiter, 'timeout'), timeoutMs)
      };
    });
    let set = this.byDevice.get(deviceId);
    if (!set) this.byDevice.set(deviceId, (set = new Set()));
    set.add(waiter);
    return { promise, cancel: () => this.finish(waiter, 'timeout') };
  }

  /** Whether a request of this process waits for this lock's answer. */
  waitingOn(deviceId: string): boolean {
    return this.byDevice.has(deviceId);
  }

  /**
   * In the transaction q that stores ev or finds it stored (with its effects), before q commits:
   * each waiter of this lock with a settle step whose matcher takes ev runs it in q. Its waiter is
   * answered by notify once q has committed, as any other.
   */
  async settleIn(q: Q, ev: ReceivedEvent): Promise<void> {
    const set = this.byDevice.get(ev.deviceHex);
    if (!set) return;
    for (const w of [...set]) {
      if (!w.settle) continue;
      const r = w.match(ev);
      if (r !== undefined) await w.settle(q, r);
    }
  }

  notify(ev: ReceivedEvent): void {
    const set = this.byDevice.get(ev.deviceHex);
    if (!set) return;
    for (const w of [...set]) {
      const r = w.match(ev);
      if (r !== undefined) this.finish(w, r);
    }
  }

  /** Ends every wait as a timeout (relay shutting down). */
  cancelAll(): void {
    for (const set of [...this.byDevice.values()]) for (const w of [...set]) this.finish(w, 'timeout');
  }

  private finish(w: Waiter, value: unknown): void {
    const set = this.byDevice.get(w.deviceId);
    if (!set || !set.delete(w)) return;
    if (set.size === 0) this.byDevice.delete(w.deviceId);
    clearTimeout(w.timer);
    w.resolve(value);
  }
}

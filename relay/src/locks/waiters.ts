/**
 * In-process waits for a lock's answer (an entry request waiting for its ACK or OPERATION
 * event). Every relay process sees every lock event through the message bus; one that holds a
 * waiter for that lock checks the event against the store and resolves its own waiter,
 * whichever process stored the event.
 */
import type { LockEvent } from '@keyway/shared';

export interface ReceivedEvent extends LockEvent {
  deviceHex: string;
  hashHex: string;
}

type Matcher<T> = (ev: ReceivedEvent) => T | undefined;

interface Waiter {
  deviceId: string;
  match: Matcher<unknown>;
  resolve(v: unknown): void;
  timer: NodeJS.Timeout;
}

export class Waiters {
  private readonly byDevice = new Map<string, Set<Waiter>>();

  /** Resolves with the first matcher result, or 'timeout'. */
  wait<T>(deviceId: string, match: Matcher<T>, timeoutMs: number): { promise: Promise<T | 'timeout'>; cancel(): void } {
    let waiter!: Waiter;
    const promise = new Promise<T | 'timeout'>((resolve) => {
      waiter = {
        deviceId,
        match,
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

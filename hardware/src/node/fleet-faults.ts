/**
 * Faults and observations for the simulated fleet under a soak (docs/firmware.md, power
 * safety): a tap on each lock's broker socket that can hold incoming bytes (delayed MQTT
 * delivery) and remembers the last command-topic payloads (for duplicated delivery); a
 * journal of every event the lock logged across boots, with the wall time it was logged;
 * and the intervals during which the lock was online with trusted time.
 */
import { PUBLISH, createParser, decodePublish, feed, type EspruinoSocket, type EventLog, type Lock } from '@keyway/firmware';
import { toHex } from '@keyway/shared';

/** How many received command payloads a lock remembers for re-delivery. */
export const DUP_MEMORY = 32;
/** Largest MQTT packet the tap's parser accepts (the lock's own limit is lower). */
const TAP_MAX_PACKET = 4096;

export interface LinkTap {
  /** Incoming bytes are held this long (0 = delivered at once). */
  delayMs: number;
  /** Payloads of the latest PUBLISHes received from the broker, newest last. */
  received: Uint8Array[];
}

export function createLinkTap(): LinkTap {
  return { delayMs: 0, received: [] };
}

/** Wraps a socket so the tap sees (and may delay, in order) what the broker sends. */
export function tapSocket(s: EspruinoSocket, tap: LinkTap): EspruinoSocket {
  const parser = createParser(TAP_MAX_PACKET);
  const handlers: Array<(d: string) => void> = [];
  // Held chunks in arrival order, released by one timer: separate timers could fire out of
  // order when they fall due in the same millisecond, and MQTT bytes must never be reordered.
  const held: Array<{ at: number; chunk: string }> = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const release = () => {
    timer = null;
    const now = Date.now();
    while (!closed && held.length > 0 && held[0].at <= now) {
      const { chunk } = held.shift()!;
      for (const fn of handlers) fn(chunk);
    }
    if (!closed && held.length > 0) timer = setTimeout(release, held[0].at - now);
  };
  const drop = () => {
    closed = true;
    if (timer) clearTimeout(timer);
    timer = null;
    held.length = 0;
  };
  const observe = (chunk: string) => {
    try {
      for (const pk of feed(parser, Uint8Array.from(Buffer.from(chunk, 'latin1')))) {
        if (pk.type !== PUBLISH) continue;
        tap.received.push(decodePublish(pk).payload.slice());
        if (tap.received.length > DUP_MEMORY) tap.received.shift();
      }
    } catch {
      // A malformed stream is the lock's business; the tap only stops observing it.
    }
  };
  s.on('close', drop);
  s.on('data', (chunk: string) => {
    observe(chunk);
    const now = Date.now();
    if (tap.delayMs <= 0 && held.length === 0) {
      for (const fn of handlers) fn(chunk);
      return;
    }
    const last = held.length > 0 ? held[held.length - 1].at : 0;
    held.push({ at: Math.max(now + tap.delayMs, last), chunk });
    if (!timer) timer = setTimeout(release, held[0].at - now);
  });
  return {
    write: (d) => s.write(d),
    end: () => {
      drop();
      s.end();
    },
    on: (ev, fn) => {
      if (ev === 'data') handlers.push(fn);
      else s.on(ev, fn);
    }
  };
}

export interface JournalEntry {
  /** Wall-clock ms when the lock logged it. */
  at: number;
  hex: string;
}

/** Every event a lock logged, across boots, in order. */
export function journalObserver(journal: JournalEntry[]): (bytes: Uint8Array) => void {
  return (bytes) => journal.push({ at: Date.now(), hex: toHex(bytes) });
}

/**
 * Records, across boots, the sequences of events a lock gave up undelivered (its offline queue
 * overflowed). Call it after each event the lock logs, the boot's own included: the log counts
 * an undelivered event as it appends over it (or finds at boot one a torn write destroyed) and
 * keeps the newest one's sequence.
 */
export function overwriteObserver(overwritten: number[]): (lock: Lock) => void {
  let watched: EventLog | null = null;
  let seen = 0;
  return (lock) => {
    const log = lock.log;
    if (!log) return;
    if (log !== watched) {
      watched = log;
      seen = 0;
    }
    // Losses come one per append (consecutive sequences) or one at boot (a torn overwrite).
    for (let k = log.dropped - seen - 1; k >= 0; k--) overwritten.push(log.lastLost - k);
    seen = log.dropped;
  };
}

/** Wall-clock intervals [from, to] (to = null while it lasts) of "online with trusted time". */
export interface SyncHistory {
  intervals: Array<[number, number | null]>;
}

export function noteSync(h: SyncHistory, up: boolean, now: number): void {
  const last = h.intervals[h.intervals.length - 1];
  const open = last !== undefined && last[1] === null;
  if (up && !open) h.intervals.push([now, null]);
  else if (!up && open) last[1] = now;
}

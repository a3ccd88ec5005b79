/**
 * Time for the simulator. The virtual loop runs timers in due order without waiting, and can
 * charge each callback's real CPU time to the virtual clock, so a long computation delays
 * the motor tick and the watchdog exactly as it would on a board. Portable ES5.
 */
export interface SimLoop {
  now(): number;
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
  /** Runs everything due within the next `ms` of virtual time. */
  advance(ms: number): void;
  /** Advances until `done()` is true or `maxMs` elapsed; returns whether done. */
  runUntil(done: () => boolean, maxMs: number): boolean;
  /** Callback errors (Espruino prints them and carries on). */
  errors: string[];
  /** Longest gap (ms) between a timer's due time and when it actually ran. */
  maxLateness: number;
  /** Real CPU time (ms) spent in callbacks so far, when the loop has a CPU clock. */
  cpuMs: number;
  /**
   * The instant the simulated hardware (bolt, switches, motor current, door) is sampled at,
   * when it differs from now(): a loop on a host that can pause the process between two
   * statements gives one instant per synchronous run (see createRealLoop). Absent: now().
   */
  physicsNow?(): number;
}

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export function createVirtualLoop(cpuClock: (() => number) | null, cpuScale?: number): SimLoop {
  let now = 0;
  /** CPU clock reading when the running callback started, or -1 between callbacks. */
  let cbStart = -1;
  let nextId = 1;
  let timers: Timer[] = [];
  const scale = cpuScale === undefined ? 1 : cpuScale;
  const loop: SimLoop = {
    errors: [],
    maxLateness: 0,
    cpuMs: 0,
    now: function () {
      // Inside a callback, charged time keeps running (a board's clock does not stop while code runs).
      return cpuClock && cbStart >= 0 ? now + (cpuClock() - cbStart) * scale : now;
    },
    setTimeout: function (fn, ms) {
      const t = { id: nextId++, due: loop.now() + Math.max(0, ms || 0), fn: fn };
      let i = timers.length;
      while (i > 0 && timers[i - 1].due > t.due) i--;
      timers.splice(i, 0, t);
      return t.id;
    },
    clearTimeout: function (id) {
      for (let i = 0; i < timers.length; i++) {
        if (timers[i].id === id) {
          timers.splice(i, 1);
          return;
        }
      }
    },
    advance: function (ms) {
      const end = now + ms;
      while (timers.length > 0 && timers[0].due <= end) {
        const t = timers.shift()!;
        if (t.due > now) now = t.due;
        const late = now - t.due;
        if (late > loop.maxLateness) loop.maxLateness = late;
        cbStart = cpuClock ? cpuClock() : -1;
        try {
          t.fn();
        } catch (e) {
          loop.errors.push(String(e && (e as any).stack ? (e as any).stack : e));
        }
        if (cpuClock) {
          const spent = cpuClock() - cbStart;
          loop.cpuMs += spent;
          now += spent * scale;
        }
        cbStart = -1;
      }
      if (end > now) now = end;
    },
    runUntil: function (done, maxMs) {
      const end = now + maxMs;
      while (!done()) {
        if (now >= end) return false;
        const next = timers.length > 0 ? timers[0].due : end;
        loop.advance(Math.max(0, Math.min(next, end) - now));
      }
      return true;
    }
  };
  return loop;
}

/** The simulator's loop on real time (Node timers): for fleets talking to a real relay. */
import { performance } from 'node:perf_hooks';
import type { SimLoop } from '../sim/loop';

export function createRealLoop(): SimLoop {
  const t0 = performance.now();
  const handles = new Map<number, NodeJS.Timeout>();
  let nextId = 1;
  // After dispose (the board lost power) nothing scheduled later may run: a socket closing or a
  // sensor edge reaching the dead firmware must not start timers that write to flash later.
  let disposed = false;
  /** The hardware's instant for the synchronous run under way, or -1 between runs. */
  let instant = -1;
  const endInstant = (): void => {
    instant = -1;
  };
  const loop: SimLoop = {
    errors: [],
    maxLateness: 0,
    cpuMs: 0,
    now: () => performance.now() - t0,
    // A board runs its code without pauses: the two limit-switch reads of one check are
    // microseconds apart. This process can be descheduled between them for milliseconds, long
    // enough for a fast simulated bolt (the benchmarks' 1 ms travel) to cross from one switch to
    // the other and read as both closed, an impossible state the firmware reports as a motor
    // fault. So the hardware is sampled at one instant per synchronous run: the first reading
    // fixes it, and it ends with the run (the microtask queue is drained right after it).
    physicsNow() {
      if (instant < 0) {
        instant = performance.now() - t0;
        queueMicrotask(endInstant);
      }
      return instant;
    },
    setTimeout(fn, ms) {
      const id = nextId++;
      if (disposed) return id;
      const due = loop.now() + ms;
      // A zero delay runs as soon as possible, as on Espruino (Node's setTimeout has a 1 ms floor).
      const schedule = (cb: () => void, delay: number): NodeJS.Timeout =>
        delay <= 0 ? (setImmediate(cb) as unknown as NodeJS.Timeout) : setTimeout(cb, delay);
      const h = schedule(() => {
        handles.delete(id);
        const late = loop.now() - due;
        if (late > loop.maxLateness) loop.maxLateness = late;
        try {
          fn();
        } catch (e) {
          loop.errors.push(String((e as Error).stack ?? e));
        }
      }, Math.max(0, ms));
      handles.set(id, h);
      (h as unknown as { immediate?: boolean }).immediate = ms <= 0;
      return id;
    },
    clearTimeout(id) {
      const h = handles.get(id);
      if (h && (h as unknown as { immediate?: boolean }).immediate) clearImmediate(h as unknown as NodeJS.Immediate);
      else if (h) clearTimeout(h);
      handles.delete(id);
    },
    advance() {
      throw new Error('a real-time loop cannot be advanced');
    },
    runUntil() {
      throw new Error('a real-time loop cannot be run synchronously');
    }
  };
  (loop as SimLoop & { dispose(): void }).dispose = () => {
    disposed = true;
    for (const h of handles.values()) {
      if ((h as unknown as { immediate?: boolean }).immediate) clearImmediate(h as unknown as NodeJS.Immediate);
      else clearTimeout(h);
    }
    handles.clear();
  };
  return loop;
}

export function disposeLoop(loop: SimLoop): void {
  const d = (loop as SimLoop & { dispose?: () => void }).dispose;
  if (d) d();
}

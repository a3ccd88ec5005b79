/**
 * The lock intake's timing trace (`bench/relay.mts --entry-trace`, docs/benchmarks.md): at log
 * level `trace` the relay logs when the broker handed each message of a lock over, when the
 * batch holding it started, when its transaction took its messages (takenAt), when storing them
 * was done (storedAt) and when it committed, and when an event's PUBACK was released, stamped in
 * milliseconds on a clock the processes of one machine share (`wallMs`). At any other level it
 * costs one level check per message.
 */
import type { Logger } from 'pino';

/** Whether the trace lines are written (the relay runs at log level trace). */
export function tracing(log: Logger): boolean {
  return log.isLevelEnabled('trace');
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The relay's timing trace (`bench/relay.mts --entry-trace`, docs/benchmarks.md): when the
 * broker handed each message of a lock over, when the batch holding it started, when its
 * transaction took its messages (takenAt), when storing them was done (storedAt) and when it
 * committed, when an event's PUBACK was released, when an HTTP request was parsed, and the
 * courier entry's own steps, stamped in milliseconds on a clock the processes of one machine
 * share (`wallMs`).
 *
 * The lines are kept in memory and written out in one go when the relay closes (the relay's
 * `stepTraceFile` option, `--step-trace <file>`), so taking them costs the measured path well
 * under a microsecond each: a trace written as log lines (one synchronous write each, at log
 * level trace, with every debug line besides) made the entry it measured about a third slower.
 * Off (the default), each trace point costs one null check.
 */
import { writeFileSync } from 'node:fs';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One trace line: what happened (`msg`), when (`at`, wallMs) and about what. */
export type StepLine = Record<string, unknown> & { msg: string; at: number };

/** Lines kept at most by default: about 200 bytes each, so a long run cannot fill the relay's memory. */
export const MAX_STEP_LINES = 1_000_000;

export class StepTrace {
  private readonly kept: StepLine[] = [];
  private dropped = 0;

  constructor(private readonly limit = MAX_STEP_LINES) {}

  /** Keeps one line stamped now (or at `fields.at` when given). */
  mark(msg: string, fields: Record<string, unknown> = {}): void {
    if (this.kept.length >= this.limit) {
      this.dropped++;
      return;
    }
    this.kept.push({ at: wallMs(), ...fields, msg });
  }

  /** The lines so far, oldest first. */
  lines(): readonly StepLine[] {
    return this.kept;
  }

  /** Writes the lines to `file`, one JSON object per line (and a last line counting those dropped, if any). */
  writeTo(file: string): void {
    const out = this.kept.map((l) => JSON.stringify(l));
    if (this.dropped > 0) out.push(JSON.stringify({ msg: 'step trace lines dropped', dropped: this.dropped, at: wallMs() }));
    writeFileSync(file, out.join('\n') + '\n');
  }
}

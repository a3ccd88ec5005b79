/**
 * A persisted job queue's worker loop: runs `runOnce` every `pollMs`, at once when kicked (or
 * right after the current run, if one is under way), never two runs at a time; `stop` waits
 * for the run in progress. The webhook and push workers share it.
 */
import type { RelayContext } from '../context';

export abstract class PolledWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private again = false;

  protected constructor(protected readonly ctx: RelayContext, private readonly name: string, private readonly pollMs: () => number) {}

  /** Claims and handles the jobs that are due now; returns how many. */
  abstract runOnce(): Promise<number>;

  start(): void {
    this.schedule(this.pollMs());
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce().then(() => undefined, (err) => this.ctx.log.error({ err }, this.name + ' failed')).finally(() => {
        this.running = null;
        const soon = this.again;
        this.again = false;
        this.schedule(soon ? 0 : this.pollMs());
      });
    }, ms);
  }
}

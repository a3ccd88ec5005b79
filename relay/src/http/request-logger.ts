/**
 * The request's logger (`req.log`), made only when a line is written. Fastify gives every
 * request a pino child bound to its request id; making one costs the relay a bindings object,
 * their serialization and the redaction of the relay's secret paths on every request. At info
 * a request that succeeds writes no line (app.ts, logRequest), so its child was never used:
 * measured by `bench/relay.mts --profile`, about a sixth of the CPU Fastify spent before the
 * handler ran. The child here is made on the first line of an enabled level; the line is the
 * same as the eager child's.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const LEVELS: readonly LevelName[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** The parent's side Fastify needs: pino's child and level test. */
export interface ParentLogger extends FastifyBaseLogger {
  isLevelEnabled(level: string): boolean;
}

class LazyRequestLogger {
  private made: FastifyBaseLogger | null = null;
  private ownLevel: string | null = null;

  constructor(private readonly parent: ParentLogger, private readonly bindings: Bindings, private readonly opts: ChildLoggerOptions) {}

  /** The real child, made once. */
  logger(): FastifyBaseLogger {
    if (this.made === null) {
      this.made = this.parent.child(this.bindings, this.opts);
      if (this.ownLevel !== null) this.made.level = this.ownLevel;
    }
    return this.made;
  }

  get level(): string {
    return this.made?.level ?? this.ownLevel ?? this.opts.level ?? this.parent.level;
  }

  set level(level: string) {
    if (this.made) this.made.level = level;
    else this.ownLevel = level;
  }

  enabled(level: LevelName): boolean {
    if (this.made) return (this.made as ParentLogger).isLevelEnabled(level);
    // A level of the child's own (set, or from the route's options) is decided by the real child.
    if (this.ownLevel !== null || this.opts.level !== undefined) return (this.logger() as ParentLogger).isLevelEnabled(level);
    return this.parent.isLevelEnabled(level);
  }

  child(bindings: Bindings, opts?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger().child(bindings, opts);
  }

  silent(): void {}
}

for (const name of LEVELS) {
  Object.defineProperty(LazyRequestLogger.prototype, name, {
    value(this: LazyRequestLogger, ...args: unknown[]): void {
      if (!this.enabled(name)) return;
      (this.logger()[name] as (...a: unknown[]) => void)(...args);
    }
  });
}

Object.defineProperty(LazyRequestLogger.prototype, 'isLevelEnabled', {
  value(this: LazyRequestLogger, level: LevelName): boolean {
    return this.enabled(level);
  }
});

/** Fastify's `childLoggerFactory`: the request's child logger, made on its first enabled line. */
export function lazyRequestLogger(parent: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(parent as ParentLogger, bindings, opts) as unknown as FastifyBaseLogger;
}

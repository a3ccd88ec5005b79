/**
 * Counts failed credential attempts per key (an account or a client address) in a fixed
 * window. An attempt is charged before the expensive check runs (scrypt for a login), so a
 * burst of parallel guesses is cut off at the limit instead of queueing hundreds of scrypt
 * runs; a success refunds its charge, so people who type their password right are never
 * counted. See docs/relay-api.md "Rate limits".
 */

export interface AttemptLimit {
  /** Failed attempts allowed per key and window. */
  readonly max: number;
  readonly windowMs: number;
}

interface Bucket {
  count: number;
  resetAt: number;
}

/** Above this many keys, expired buckets are swept on the next charge. */
const SWEEP_ABOVE_KEYS = 10_000;

export class AttemptLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limit: AttemptLimit, private readonly now: () => number) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfterS(key: string): number {
    const b = this.live(key);
    if (!b || b.count < this.limit.max) return 0;
    return Math.max(1, Math.ceil((b.resetAt - this.now()) / 1000));
  }

  /** Charges one attempt to `key` (call retryAfterS first). */
  charge(key: string): void {
    if (this.buckets.size > SWEEP_ABOVE_KEYS) this.sweep();
    const b = this.live(key);
    if (b) b.count++;
    else this.buckets.set(key, { count: 1, resetAt: this.now() + this.limit.windowMs });
  }

  /** Gives back one charged attempt (the credentials were right). */
  refund(key: string): void {
    const b = this.live(key);
    if (b && b.count > 0) b.count--;
  }

  private live(key: string): Bucket | null {
    const b = this.buckets.get(key);
    if (!b) return null;
    if (b.resetAt <= this.now()) {
      this.buckets.delete(key);
      return null;
    }
    return b;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, b] of this.buckets) if (b.resetAt <= now) this.buckets.delete(k);
  }
}

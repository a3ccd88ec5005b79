/**
 * What the relay's services share: options, database, logger, clock, keys, metrics, the
 * live hub, event waiters and the way out to the locks. Built once by buildRelay; the
 * services are plain functions taking it, so tests can drive them directly.
 */
import type { StepTrace } from './locks/intake-trace';
import type { Store } from './data/store';
import type { LiveHub } from './live-hub';
import type { Logger } from './logger';
import type { SigningKeys } from './locks/key-store';
import type { Waiters } from './locks/waiters';
import type { RelayMetrics } from './metrics';
import type { SecretBox } from './secret-box';
import type { ResolvedOptions } from './options';

export interface RelayContext {
  readonly opts: ResolvedOptions;
  /** The data layer's store: every query goes through data/ modules on it. */
  readonly store: Store;
  readonly log: Logger;
  /** Relay clock, Unix milliseconds. */
  now(): number;
  /** Relay clock, Unix seconds (what goes on the wire). */
  nowS(): number;
  readonly keys: SigningKeys;
  /** Seals and opens secrets the database holds (hash-chain seeds). */
  readonly box: SecretBox;
  readonly metrics: RelayMetrics;
  readonly live: LiveHub;
  readonly waiters: Waiters;
  /** The timing trace (locks/intake-trace.ts) when the relay runs with stepTraceFile, else null (tests may set one). */
  steps: StepTrace | null;
  /** Publishes bytes on a lock's command topic (QoS 1) through the broker. */
  publishToLock(deviceId: string, bytes: Uint8Array): Promise<void>;
  /** True once close() started: no new work. */
  closing: boolean;
  /** Wakes the webhook worker after jobs were queued. */
  kickWebhooks(): void;
  /** Wakes the e-mail / ntfy push worker after notifications were queued. */
  kickPushes(): void;
}

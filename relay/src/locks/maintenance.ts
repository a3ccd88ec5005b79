/**
 * The periodic sweep: expire overdue outbox commands (re-issuing wanted staging commands),
 * re-stage schedule grants after a daylight-saving change, tell owners about revocations the
 * lock has not confirmed, delete retired keys and old idempotency records. Every step is safe to run concurrently in several processes.
 */
import type { RelayContext } from '../context';
import { restageForOffsetChanges } from '../domain/grants';
import { flagUnconfirmedRevocations } from '../domain/revocation-watch';
import { retireUnusedKeys } from './key-rotation';
import { sweepExpired } from './outbox';

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export function runMaintenance(ctx: RelayContext): void {
  if (ctx.closing) return;
  try {
    const reissued = sweepExpired(ctx);
    const restaged = restageForOffsetChanges(ctx);
    flagUnconfirmedRevocations(ctx);
    retireUnusedKeys(ctx);
    ctx.db.prepare("DELETE FROM idempotency WHERE created_at < ? AND state = 'done'").run(ctx.now() - IDEMPOTENCY_TTL_MS);
    if (reissued.length + restaged > 0) ctx.log.info({ reissued: reissued.length, restaged }, 'maintenance');
  } catch (err) {
    if (!ctx.closing) ctx.log.error({ err }, 'maintenance failed');
  }
}

export function startMaintenance(ctx: RelayContext): () => void {
  const timer = setInterval(() => runMaintenance(ctx), ctx.opts.maintenanceIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The periodic sweep: expire overdue outbox commands (re-issuing wanted staging commands),
 * re-stage schedule grants after a daylight-saving change, delete retired keys and old
 * idempotency records, delete camera frames past retention, bring online locks in step, and alarm owners of unconfirmed revocations. Every step is safe to run concurrently in several processes.
 */
import type { RelayContext } from '../context';
import { deleteDoneKeysBefore } from '../data/idempotency';
import { sweepClipRetention } from '../domain/camera-clips';
import { alarmUnconfirmedRevocations, restageForOffsetChanges } from '../domain/grants';
import { retireUnusedKeys } from './key-rotation';
import { sweepExpired } from './outbox';
import { reconcileOnline } from './reconcile';

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export async function runMaintenance(ctx: RelayContext): Promise<void> {
  if (ctx.closing) return;
  try {
    const reissued = await sweepExpired(ctx);
    const restaged = await restageForOffsetChanges(ctx);
    await retireUnusedKeys(ctx);
    const syncing = await reconcileOnline(ctx);
    await alarmUnconfirmedRevocations(ctx);
    const clipsExpired = await sweepClipRetention(ctx);
    if (clipsExpired > 0) ctx.log.info({ clipsExpired }, 'camera clips past retention deleted');
    await deleteDoneKeysBefore(ctx.store.q, ctx.now() - IDEMPOTENCY_TTL_MS);
    if (reissued.length + restaged + syncing > 0) ctx.log.info({ reissued: reissued.length, restaged, syncing }, 'maintenance');
  } catch (err) {
    if (!ctx.closing) ctx.log.error({ err }, 'maintenance failed');
  }
}

export function startMaintenance(ctx: RelayContext): () => void {
  const timer = setInterval(() => void runMaintenance(ctx), ctx.opts.maintenanceIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

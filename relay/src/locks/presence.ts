/**
 * Which locks are online. The broker process that holds a lock's connection records it
 * (connection id, so a late disconnect of an old connection never marks a reconnected lock
 * offline). The last will (offline marker, §7) tells the relay the connection was lost
 * rather than closed (lock-intake.ts notes it). Each change is one transaction taken in the lock's intake queue, so a
 * status is never applied before the connection it came on is recorded.
 */
import type { RelayContext } from '../context';
import { markOffline, markOnline } from '../data/devices';
import { recordActivity } from '../domain/activity';
import { notifySiteOwner } from '../domain/notifications';
import { lockIntakeQueue } from './per-lock-queue';

export function lockConnected(ctx: RelayContext, deviceId: string, connId: string): Promise<void> {
  return lockIntakeQueue(ctx).run(deviceId, async () => {
    if (ctx.closing) return;
    const siteId = await ctx.store.tx(async (q) => {
      const site = await markOnline(q, deviceId, connId, ctx.now());
      if (site !== undefined) await recordActivity(ctx, q, { siteId: site, deviceId, kind: 'lock.online' });
      return site;
    });
    if (siteId === undefined) return;
    ctx.live.emit(['site:' + siteId], 'lock', { deviceId, online: true });
    ctx.log.info({ deviceId, connId }, 'lock online');
  });
}

export function lockDisconnected(ctx: RelayContext, deviceId: string, connId: string, graceful: boolean): Promise<void> {
  return lockIntakeQueue(ctx).run(deviceId, async () => {
    if (ctx.closing) return;
    const reason = graceful ? 'disconnected' : 'connection lost';
    const siteId = await ctx.store.tx(async (q) => {
      const site = await markOffline(q, deviceId, connId, reason, ctx.now());
      if (site !== undefined) {
        await recordActivity(ctx, q, { siteId: site, deviceId, kind: 'lock.offline', reason });
        await notifySiteOwner(ctx, q, site, 'lock.offline', { deviceId, reason });
      }
      return site;
    });
    if (siteId === undefined) return;
    ctx.live.emit(['site:' + siteId], 'lock', { deviceId, online: false, reason });
    ctx.log.info({ deviceId, connId, reason }, 'lock offline');
  });
}

/**
 * Which locks are online. The broker process that holds a lock's connection records it
 * (connection id, so a late disconnect of an old connection never marks a reconnected lock
 * offline). The last will (offline marker, §7) tells the relay the connection was lost
 * rather than closed.
 */
import type { RelayContext } from '../context';
import { recordActivity } from '../domain/activity';
import { notifySiteOwner } from '../domain/notifications';

function siteOf(ctx: RelayContext, deviceId: string): number | null {
  const r = ctx.db.prepare('SELECT site_id FROM devices WHERE id = ?').get(deviceId) as { site_id: number } | undefined;
  return r ? r.site_id : null;
}

export function lockConnected(ctx: RelayContext, deviceId: string, connId: string): void {
  const siteId = siteOf(ctx, deviceId);
  if (siteId === null || ctx.closing) return;
  ctx.db.prepare('UPDATE devices SET online = 1, conn_id = ?, last_seen = ?, online_since = ?, offline_reason = NULL WHERE id = ?').run(connId, ctx.now(), ctx.now(), deviceId);
  recordActivity(ctx, { siteId, deviceId, kind: 'lock.online' });
  ctx.live.emit(['site:' + siteId], 'lock', { deviceId, online: true });
  ctx.log.info({ deviceId, connId }, 'lock online');
}

export function lockDisconnected(ctx: RelayContext, deviceId: string, connId: string, graceful: boolean): void {
  if (ctx.closing) return;
  const reason = graceful ? 'disconnected' : 'connection lost';
  const changed = ctx.db.prepare('UPDATE devices SET online = 0, conn_id = NULL, last_seen = ?, offline_reason = ? WHERE id = ? AND conn_id = ?')
    .run(ctx.now(), reason, deviceId, connId).changes;
  if (changed === 0) return;
  const siteId = siteOf(ctx, deviceId);
  if (siteId !== null) {
    recordActivity(ctx, { siteId, deviceId, kind: 'lock.offline', reason });
    notifySiteOwner(ctx, siteId, 'lock.offline', { deviceId, reason });
    ctx.live.emit(['site:' + siteId], 'lock', { deviceId, online: false, reason });
  }
  ctx.log.info({ deviceId, connId, reason }, 'lock offline');
}

/** The offline marker arrived (the lock's last will). */
export function lockWill(ctx: RelayContext, deviceId: string): void {
  if (ctx.closing) return;
  ctx.db.prepare("UPDATE devices SET offline_reason = 'connection lost' WHERE id = ? AND online = 0").run(deviceId);
  ctx.log.info({ deviceId }, 'lock last will received');
}

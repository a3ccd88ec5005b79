/** The owner's name for a lock ("Front door"), shown on the page, in the feed and in notifications. */
import type { RelayContext } from '../context';
import { deviceForOwner, deviceView, getDevice } from './devices';
import type { Principal } from './principals';

export const MAX_LOCK_NAME_LENGTH = 60;

export function renameDevice(ctx: RelayContext, p: Principal, id: string, name: string) {
  const d = deviceForOwner(ctx, p, id);
  const clean = name.trim() || null;
  ctx.db.prepare('UPDATE devices SET name = ? WHERE id = ?').run(clean, d.id);
  ctx.live.emit(['site:' + d.site_id], 'lock', { deviceId: d.id, name: clean });
  ctx.log.info({ deviceId: d.id }, 'lock renamed');
  return deviceView(getDevice(ctx, d.id)!);
}

/** The owner's name for a lock ("Front door"), shown on the page, in the feed and in notifications. */
import type { RelayContext } from '../context';
import { setDeviceName } from '../data/devices';
import { deviceForOwner, deviceView, getDevice } from './devices';
import type { Principal } from './principals';

export const MAX_LOCK_NAME_LENGTH = 60;

export async function renameDevice(ctx: RelayContext, p: Principal, id: string, name: string) {
  const d = await deviceForOwner(ctx, ctx.store.q, p, id);
  const clean = name.trim() || null;
  await setDeviceName(ctx.store.q, d.id, clean);
  ctx.live.emit(['site:' + d.site_id], 'lock', { deviceId: d.id, name: clean });
  ctx.log.info({ deviceId: d.id }, 'lock renamed');
  return deviceView((await getDevice(ctx.store.q, d.id))!);
}

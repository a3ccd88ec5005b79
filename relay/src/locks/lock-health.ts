/**
 * Changes in a lock's own health flags worth an owner's attention away from the page: a
 * battery that just turned low (once per low spell, not on every status).
 */
import { ST_LOW_BATTERY } from '@keyway/shared';
import type { RelayContext } from '../context';
import { recordActivity } from '../domain/activity';
import type { DeviceRow } from '../domain/devices';
import { notifySiteOwner } from '../domain/notifications';
import type { Q } from '../data/store';

/** Runs inside the status transaction with the flags stored before and the ones just received. */
export async function noticeHealthChange(ctx: RelayContext, q: Q, d: DeviceRow, before: number | null, flags: number, batteryMv: number): Promise<void> {
  const wasLow = before !== null && (before & ST_LOW_BATTERY) !== 0;
  if ((flags & ST_LOW_BATTERY) !== 0 && !wasLow) {
    await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.id, kind: 'lock.low_battery', details: { batteryMv } });
    await notifySiteOwner(ctx, q, d.site_id, 'lock.low_battery', { deviceId: d.id, batteryMv });
  }
}

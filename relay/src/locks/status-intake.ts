/**
 * Intake of kw/<id>/state: the lock's status (§7) or its offline marker (the last will).
 * The status updates the device row, including the lock's inventory of keys and grants, and
 * starts the sync (reconcile.ts), which gives a lock without trusted time a TIME_SET bound to
 * that status's nonce. A lock whose clock is more than 90 s off the relay's is flagged.
 */
import { decodeStatus, KIND_OFFLINE, KIND_STATUS, MAX_CLOCK_SKEW, messageKind, offlineCodec, ST_TIME_TRUSTED, toHex, utf8Decode } from '@keyway/shared';
import type { RelayContext } from '../context';
import { recordHeldSettings } from '../data/lock-settings';
import { recordActivity } from '../domain/activity';
import { getDevice } from '../domain/devices';
import { boltName, doorName, statusFlagNames } from '../domain/names';
import { notifySiteOwner } from '../domain/notifications';
import { noticeHealthChange } from './lock-health';
import { lockWill } from './presence';
import { reconcileDevice } from './reconcile';

export type StateResult = 'status' | 'offline' | 'rejected';

export function handleStateMessage(ctx: RelayContext, topicDeviceId: string, payload: Uint8Array): StateResult {
  if (ctx.closing) return 'rejected';
  const kind = messageKind(payload);
  try {
    if (kind === KIND_OFFLINE) {
      const m = offlineCodec.decode(payload);
      if (toHex(m.deviceId) !== topicDeviceId) throw new Error('offline marker for another device');
      lockWill(ctx, topicDeviceId);
      return 'offline';
    }
    if (kind !== KIND_STATUS) throw new Error('not a status or offline marker');
    return applyStatus(ctx, topicDeviceId, payload);
  } catch (err) {
    ctx.log.warn({ deviceId: topicDeviceId, error: (err as Error).message }, 'malformed lock status dropped');
    return 'rejected';
  }
}

function applyStatus(ctx: RelayContext, deviceId: string, payload: Uint8Array): StateResult {
  const s = decodeStatus(payload);
  if (toHex(s.deviceId) !== deviceId) throw new Error('status for another device');
  const d = getDevice(ctx, deviceId);
  if (!d) return 'rejected';
  const nowMs = ctx.now();
  const nowS = Math.floor(nowMs / 1000);
  const trusted = (s.flags & ST_TIME_TRUSTED) !== 0;
  const offset = trusted ? s.time - nowS : null;
  const flagged = offset !== null && Math.abs(offset) > MAX_CLOCK_SKEW ? 1 : 0;
  const nonceHex = toHex(s.nonce);
  let firmware: string;
  try {
    firmware = utf8Decode(s.firmware);
  } catch {
    firmware = toHex(s.firmware);
  }
  const inventory = { keys: JSON.stringify(s.keyIds), grants: JSON.stringify(s.held.map((h) => [h.grantId, toHex(h.fingerprint)])) };
  ctx.db.transaction(() => {
    const before = ctx.db.prepare('SELECT clock_flagged, flags FROM devices WHERE id = ?').get(deviceId) as { clock_flagged: number; flags: number | null };
    ctx.db.prepare(`UPDATE devices SET status_at = ?, bolt = ?, door = ?, flags = ?, lock_time_s = ?, nonce = ?, replay_high = ?, battery = ?, grants_stored = ?,
        status_firmware = ?, status_log_seq = ?, clock_offset_s = ?, clock_flagged = ?, last_seen = ?, next_counter = MAX(next_counter, ?),
        inv_keys = ?, inv_grants = ?, inv_at = ? WHERE id = ?`).run(
      nowMs, s.bolt, s.door, s.flags, s.time || null, nonceHex, s.replayHigh, s.battery, s.grants, firmware, s.logSeq, offset, flagged, nowMs, s.replayHigh,
      inventory.keys, inventory.grants, nowMs, deviceId);
    recordHeldSettings(ctx.db, deviceId, s.settingsRev, nowMs);
    noticeHealthChange(ctx, d, before.flags, s.flags, s.battery);
    if (flagged && !before.clock_flagged) {
      recordActivity(ctx, { siteId: d.site_id, deviceId, kind: 'clock.skew', details: { offsetS: offset } });
      notifySiteOwner(ctx, d.site_id, 'clock.skew', { deviceId, offsetS: offset });
      ctx.log.warn({ deviceId, offsetS: offset }, 'lock clock far from relay clock');
    }
  }).immediate();
  ctx.live.emit(['site:' + d.site_id], 'lock', {
    deviceId, bolt: boltName(s.bolt), door: doorName(s.door), flags: statusFlagNames(s.flags), online: true, clockOffsetS: offset
  });
  // Time, revocations, keys and grants: whatever the lock lacks is issued now (docs/sync.md).
  reconcileDevice(ctx, deviceId).catch((err: unknown) => {
    if (!ctx.closing) ctx.log.warn({ err, deviceId }, 'lock sync failed');
  });
  return 'status';
}

/**
 * Intake of kw/<id>/state: the lock's status (§7) or its offline marker (the last will).
 * The status updates the device row; a lock without trusted time gets a TIME_SET bound to
 * the challenge nonce of that very status (§3.5) — claimed in SQLite so only one relay
 * process sends it — and a lock whose clock is more than 90 s off the relay's is flagged.
 */
import { ACT_TIME_SET, decodeStatus, fromHex, KIND_OFFLINE, KIND_STATUS, MAX_CLOCK_SKEW, messageKind, offlineCodec, ST_TIME_TRUSTED, toHex, utf8Decode } from '@keyway/shared';
import type { RelayContext } from '../context';
import { recordActivity } from '../domain/activity';
import { getDevice } from '../domain/devices';
import { boltName, doorName, statusFlagNames } from '../domain/names';
import { notifySiteOwner } from '../domain/notifications';
import { noticeHealthChange } from './lock-health';
import { dispatch, issueCommand } from './outbox';
import { lockWill } from './presence';

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
  const sendTimeSet = ctx.db.transaction(() => {
    const before = ctx.db.prepare('SELECT clock_flagged, flags FROM devices WHERE id = ?').get(deviceId) as { clock_flagged: number; flags: number | null };
    ctx.db.prepare(`UPDATE devices SET status_at = ?, bolt = ?, door = ?, flags = ?, lock_time_s = ?, nonce = ?, replay_high = ?, battery = ?, grants_stored = ?,
        status_firmware = ?, status_log_seq = ?, clock_offset_s = ?, clock_flagged = ?, last_seen = ?, next_counter = MAX(next_counter, ?) WHERE id = ?`).run(
      nowMs, s.bolt, s.door, s.flags, s.time || null, nonceHex, s.replayHigh, s.battery, s.grants, firmware, s.logSeq, offset, flagged, nowMs, s.replayHigh, deviceId);
    noticeHealthChange(ctx, d, before.flags, s.flags, s.battery);
    if (flagged && !before.clock_flagged) {
      recordActivity(ctx, { siteId: d.site_id, deviceId, kind: 'clock.skew', details: { offsetS: offset } });
      notifySiteOwner(ctx, d.site_id, 'clock.skew', { deviceId, offsetS: offset });
      ctx.log.warn({ deviceId, offsetS: offset }, 'lock clock far from relay clock');
    }
    if (trusted) return null;
    const claimed = ctx.db.prepare('UPDATE devices SET time_set_nonce = ? WHERE id = ? AND (time_set_nonce IS NULL OR time_set_nonce != ?)').run(nonceHex, deviceId, nonceHex).changes;
    if (claimed === 0) return null;
    return issueCommand(ctx, { deviceId, action: ACT_TIME_SET, payload: { time: nowS }, purpose: 'time_set', nonce: fromHex(nonceHex) });
  }).immediate();
  ctx.live.emit(['site:' + d.site_id], 'lock', {
    deviceId, bolt: boltName(s.bolt), door: doorName(s.door), flags: statusFlagNames(s.flags), online: true, clockOffsetS: offset
  });
  if (sendTimeSet) {
    ctx.log.info({ deviceId, counter: sendTimeSet.counter }, 'lock has no trusted time: TIME_SET sent');
    dispatch(ctx, sendTimeSet, true).catch((err) => ctx.log.warn({ err, deviceId }, 'TIME_SET publish failed'));
  }
  return 'status';
}

/**
 * Intake of kw/<id>/state: the lock's status (§7) or its offline marker (the last will).
 * The status updates the device row, including the lock's inventory of keys and grants, and
 * starts the sync (reconcile.ts) when something it plans from changed (sync-trigger.ts), which gives a lock without trusted time a TIME_SET bound to
 * that status's nonce. A lock whose clock is more than 90 s off the relay's is flagged.
 */
import { decodeStatus, type LockStatus, KIND_OFFLINE, KIND_STATUS, MAX_CLOCK_SKEW, messageKind, offlineCodec, ST_TIME_TRUSTED, toHex, utf8Decode } from '@keyway/shared';
import type { RelayContext } from '../context';
import { recordStatus } from '../data/devices';
import { lockDeviceWithSettings, recordHeldSettings } from '../data/lock-settings';
import { recordActivity } from '../domain/activity';
import { boltName, doorName, statusFlagNames } from '../domain/names';
import { notifySiteOwner } from '../domain/notifications';
import { noticeHealthChange } from './lock-health';
import { retireUnusedKeys } from './key-rotation';
import { lockIntakeQueue } from './per-lock-queue';
import { ownerTimeNeededAfterStatus } from './owner-time';
import { lockWill } from './presence';
import { reconcileDevice } from './reconcile';
import { statusNeedsSync } from './sync-trigger';

export type StateResult = 'status' | 'offline' | 'rejected';

/** Applies a status or offline marker in the lock's intake queue; resolves once it is stored. */
export function handleStateMessage(ctx: RelayContext, topicDeviceId: string, payload: Uint8Array): Promise<StateResult> {
  return lockIntakeQueue(ctx).run(topicDeviceId, () => intake(ctx, topicDeviceId, payload));
}

async function intake(ctx: RelayContext, topicDeviceId: string, payload: Uint8Array): Promise<StateResult> {
  if (ctx.closing) return 'rejected';
  const kind = messageKind(payload);
  let s: LockStatus;
  try {
    if (kind === KIND_OFFLINE) {
      const m = offlineCodec.decode(payload);
      if (toHex(m.deviceId) !== topicDeviceId) throw new Error('offline marker for another device');
    } else {
      if (kind !== KIND_STATUS) throw new Error('not a status or offline marker');
      s = decodeStatus(payload);
      if (toHex(s.deviceId) !== topicDeviceId) throw new Error('status for another device');
    }
  } catch (err) {
    ctx.log.warn({ deviceId: topicDeviceId, error: (err as Error).message }, 'malformed lock status dropped');
    return 'rejected';
  }
  try {
    if (kind === KIND_OFFLINE) {
      await lockWill(ctx, topicDeviceId);
      return 'offline';
    }
    return await applyStatus(ctx, topicDeviceId, s!);
  } catch (err) {
    if (!ctx.closing) ctx.log.error({ err, deviceId: topicDeviceId }, 'storing lock status failed');
    return 'rejected';
  }
}

/** Keys the previous inventory listed and this status does not. */
function droppedKeys(previous: string | null, keyIds: number[]): number[] {
  return previous ? (JSON.parse(previous) as number[]).filter((k) => keyIds.indexOf(k) < 0) : [];
}

function retireInBackground(ctx: RelayContext): void {
  retireUnusedKeys(ctx).catch((err: unknown) => {
    if (!ctx.closing) ctx.log.warn({ err }, 'retiring unused relay keys failed');
  });
}

async function applyStatus(ctx: RelayContext, deviceId: string, s: LockStatus): Promise<StateResult> {
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
  const stored = await ctx.store.tx(async (q) => {
    // One read (the device row with the settings revisions) and one write for a status that
    // changes nothing else; the held settings revision is written only when it changed.
    const before = await lockDeviceWithSettings(q, deviceId);
    if (!before) return undefined;
    await recordStatus(q, deviceId, {
      status_at: nowMs, bolt: s.bolt, door: s.door, flags: s.flags, lock_time_s: s.time || null, nonce: nonceHex, replay_high: s.replayHigh, battery: s.battery,
      grants_stored: s.grants, status_firmware: firmware, status_log_seq: s.logSeq, clock_offset_s: offset, clock_flagged: flagged, last_seen: nowMs,
      inv_keys: inventory.keys, inv_grants: inventory.grants, inv_at: nowMs, owner_time_needed: ownerTimeNeededAfterStatus(s.flags, before.owner_time_needed)
    }, s.replayHigh);
    const settingsRevision = before.settings_revision;
    if (settingsRevision !== null && before.settings_held_revision !== s.settingsRev) await recordHeldSettings(q, deviceId, s.settingsRev, nowMs);
    await noticeHealthChange(ctx, q, before, before.flags, s.flags, s.battery);
    if (flagged && !before.clock_flagged) {
      await recordActivity(ctx, q, { siteId: before.site_id, deviceId, kind: 'clock.skew', details: { offsetS: offset } });
      await notifySiteOwner(ctx, q, before.site_id, 'clock.skew', { deviceId, offsetS: offset });
      ctx.log.warn({ deviceId, offsetS: offset }, 'lock clock far from relay clock');
    }
    const needsSync = statusNeedsSync(before, {
      flags: s.flags, invKeys: inventory.keys, invGrants: inventory.grants, heldSettingsRevision: s.settingsRev, settingsRevision, currentKeyId: ctx.keys.cachedIds().current
    });
    return { d: before, needsSync };
  });
  if (!stored) return 'rejected';
  const d = stored.d;
  // A key the lock no longer lists may be one no lock trusts any more: delete it now rather than
  // at the next sweep (the rotation's ACK may have been handled while an older inventory stood).
  if (droppedKeys(d.inv_keys, s.keyIds).length > 0) retireInBackground(ctx);
  ctx.live.emit(['site:' + d.site_id], 'lock', {
    deviceId, bolt: boltName(s.bolt), door: doorName(s.door), flags: statusFlagNames(s.flags), online: true, clockOffsetS: offset
  });
  // Time, revocations, keys and grants: whatever the lock lacks is issued now (docs/sync.md).
  if (!stored.needsSync) return 'status';
  try {
    await reconcileDevice(ctx, deviceId);
  } catch (err) {
    if (!ctx.closing) ctx.log.warn({ err, deviceId }, 'lock sync failed');
  }
  return 'status';
}

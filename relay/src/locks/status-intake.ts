/**
 * Intake of kw/<id>/state: the lock's status (§7) or its offline marker (the last will).
 * The status updates the device row, including the lock's inventory of keys and grants, and
 * starts the sync (reconcile.ts) when something it plans from changed (sync-trigger.ts), which gives a lock without trusted time a TIME_SET bound to
 * that status's nonce. A lock whose clock is more than 90 s off the relay's is flagged.
 */
import { decodeStatus, type LockStatus, KIND_OFFLINE, KIND_STATUS, MAX_CLOCK_SKEW, messageKind, offlineCodec, ST_TIME_TRUSTED, toHex, utf8Decode } from '@keyway/shared';
import type { RelayContext } from '../context';
import { recordStatus, type LogHead } from '../data/devices';
import { lockDeviceWithSettings, recordHeldSettings, type DeviceWithSettings } from '../data/lock-settings';
import type { Q } from '../data/store';
import { recordActivity } from '../domain/activity';
import { boltName, doorName, statusFlagNames } from '../domain/names';
import { notifySiteOwner } from '../domain/notifications';
import { noticeHealthChange } from './lock-health';
import { retireUnusedKeys } from './key-rotation';
import { takeLockMessage } from './lock-intake';
import { ownerTimeNeededAfterStatus, tellOwnerTimeNeeded } from './owner-time';
import { statusNeedsSync } from './sync-trigger';

export type StateResult = 'status' | 'offline' | 'rejected';

/** What a state message holds: the lock's status, or its offline marker. */
export type LockState = { kind: 'status'; status: LockStatus } | { kind: 'offline' };

/** Applies a status or offline marker in the lock's intake (lock-intake.ts); resolves once it is stored. */
export function handleStateMessage(ctx: RelayContext, topicDeviceId: string, payload: Uint8Array): Promise<StateResult> {
  return takeLockMessage(ctx, topicDeviceId, { kind: 'state', payload }) as Promise<StateResult>;
}

/** The status or offline marker in a payload from the lock's topic, or null (logged) when it is malformed or another lock's. */
export function decodeLockState(ctx: RelayContext, topicDeviceId: string, payload: Uint8Array): LockState | null {
  try {
    const kind = messageKind(payload);
    if (kind === KIND_OFFLINE) {
      const m = offlineCodec.decode(payload);
      if (toHex(m.deviceId) !== topicDeviceId) throw new Error('offline marker for another device');
      return { kind: 'offline' };
    }
    if (kind !== KIND_STATUS) throw new Error('not a status or offline marker');
    const status = decodeStatus(payload);
    if (toHex(status.deviceId) !== topicDeviceId) throw new Error('status for another device');
    return { kind: 'status', status };
  } catch (err) {
    ctx.log.warn({ deviceId: topicDeviceId, error: (err as Error).message }, 'malformed lock status dropped');
    return null;
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

/** A status stored: the device row as it was before it, and whether the lock's sync should look again. */
export interface StoredStatus {
  status: LockStatus;
  before: DeviceWithSettings;
  /** What the status wrote on the device row (and the held settings revision), for a caller keeping the row in memory. */
  written: Partial<DeviceWithSettings>;
  offset: number | null;
  needsSync: boolean;
}

/** How a status's statement goes with what its caller stores around it in the same transaction. */
export interface StatusWrite {
  /** A new head of the lock's log its caller has not written yet, written in the status's own statement. */
  logHead?: LogHead;
  /**
   * The caller stores another status right after this one, and nothing in between: that status's
   * statement writes every column this one's would (recordStatus), so this one's is left out.
   */
  superseded?: boolean;
  /** The lock's replayHigh of statuses before it whose statements were left out: the command counter moves above it too. */
  replayHighBefore?: number;
}

/**
 * Stores a status in the transaction q, on the device row `before` that q has locked and read
 * with its settings revisions (lockDeviceWithSettings): one write for a status that changes
 * nothing else (none when `write.superseded`); the held settings revision is written only when it changed.
 */
export async function storeStatus(ctx: RelayContext, q: Q, before: DeviceWithSettings, s: LockStatus, write: StatusWrite = {}): Promise<StoredStatus> {
  const deviceId = before.id;
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
  const columns = {
    status_at: nowMs, bolt: s.bolt, door: s.door, flags: s.flags, lock_time_s: s.time || null, nonce: nonceHex, replay_high: s.replayHigh, battery: s.battery,
    grants_stored: s.grants, status_firmware: firmware, status_log_seq: s.logSeq, clock_offset_s: offset, clock_flagged: flagged, last_seen: nowMs,
    inv_keys: inventory.keys, inv_grants: inventory.grants, inv_at: nowMs, owner_time_needed: ownerTimeNeededAfterStatus(s.flags, before.owner_time_needed)
  };
  if (!write.superseded) await recordStatus(q, deviceId, columns, Math.max(s.replayHigh, write.replayHighBefore ?? 0), write.logHead);
  const settingsRevision = before.settings_revision;
  const heldChanged = settingsRevision !== null && before.settings_held_revision !== s.settingsRev;
  if (heldChanged) await recordHeldSettings(q, deviceId, s.settingsRev, nowMs);
  await noticeHealthChange(ctx, q, before, before.flags, s.flags, s.battery);
  if (columns.owner_time_needed === 1 && before.owner_time_needed !== 1) await tellOwnerTimeNeeded(ctx, q, before, 'boot');
  if (flagged && !before.clock_flagged) {
    await recordActivity(ctx, q, { siteId: before.site_id, deviceId, kind: 'clock.skew', details: { offsetS: offset } });
    await notifySiteOwner(ctx, q, before.site_id, 'clock.skew', { deviceId, offsetS: offset });
    ctx.log.warn({ deviceId, offsetS: offset }, 'lock clock far from relay clock');
  }
  const needsSync = statusNeedsSync(before, {
    flags: s.flags, invKeys: inventory.keys, invGrants: inventory.grants, heldSettingsRevision: s.settingsRev, settingsRevision, currentKeyId: ctx.keys.cachedIds().current
  });
  // next_counter moved in SQL (the larger of the stored one and replayHigh): the caller keeps it from its read.
  const written: Partial<DeviceWithSettings> = { ...columns, ...(heldChanged ? { settings_held_revision: s.settingsRev } : {}) };
  return { status: s, before, written, offset, needsSync };
}

/** One status in a transaction of its own; undefined for an unknown lock. */
export function storeStatusAlone(ctx: RelayContext, deviceId: string, s: LockStatus): Promise<StoredStatus | undefined> {
  return ctx.store.tx(async (q) => {
    const before = await lockDeviceWithSettings(q, deviceId);
    return before ? storeStatus(ctx, q, before, s) : undefined;
  });
}

/**
 * After the status is committed: keys the lock no longer lists may be retired, and live pages
 * see the lock. The caller runs the lock's sync when `needsSync` (docs/sync.md): time,
 * revocations, keys and grants, whatever the lock lacks is issued then.
 */
export function statusTaken(ctx: RelayContext, stored: StoredStatus): void {
  const { before: d, status: s } = stored;
  // A key the lock no longer lists may be one no lock trusts any more: delete it now rather than
  // at the next sweep (the rotation's ACK may have been handled while an older inventory stood).
  if (droppedKeys(d.inv_keys, s.keyIds).length > 0) retireInBackground(ctx);
  ctx.live.emit(['site:' + d.site_id], 'lock', {
    deviceId: d.id, bolt: boltName(s.bolt), door: doorName(s.door), flags: statusFlagNames(s.flags), online: true, clockOffsetS: stored.offset
  });
}

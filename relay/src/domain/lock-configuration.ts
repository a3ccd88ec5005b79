/**
 * The owner's lock settings (docs/sync.md#lock-settings): auto-lock delay, relock on close and
 * the door-left-open alert. The owner's choice is stored under a new revision and reaches the
 * lock as a signed SETTINGS_SET through the sync, which re-sends it until the lock's status
 * reports that revision (a reboot keeps it: the lock stores it power-safely).
 */
import {
  AUTO_LOCK_MAX_S, AUTO_LOCK_MIN_S, DOOR_AJAR_MAX_S, DOOR_AJAR_MIN_S, RC_OK, SETTING_RELOCK_ON_CLOSE, checkSettingBounds,
  type SettingsPayload
} from '@keyway/shared';
import type { RelayContext } from '../context';
import { getLockSettings, putLockSettings, type LockSettingsRow, type LockSettingsValues } from '../data/lock-settings';
import { relayError } from '../errors';
import { reconcileDevice } from '../locks/reconcile';
import { recordActivity } from './activity';
import { deviceForOwner } from './devices';
import type { Principal } from './principals';

/** What a lock does before the owner ever chose settings (the firmware's shipped defaults). */
export const DEFAULT_LOCK_SETTINGS: LockSettingsValues = { autoLockS: 30, doorAjarS: 120, relockOnClose: false };

export const SETTING_BOUNDS = {
  autoLockS: { min: AUTO_LOCK_MIN_S, max: AUTO_LOCK_MAX_S },
  doorAjarS: { min: DOOR_AJAR_MIN_S, max: DOOR_AJAR_MAX_S }
} as const;

export interface LockSettingsView extends LockSettingsValues {
  revision: number;
  /** 'default': never chosen; 'pending': the lock does not report this revision yet; 'applied': it does. */
  state: 'default' | 'pending' | 'applied';
  updatedAt: string | null;
}

export function lockSettingsView(s: LockSettingsRow | undefined): LockSettingsView {
  if (!s) return { ...DEFAULT_LOCK_SETTINGS, revision: 0, state: 'default', updatedAt: null };
  return {
    autoLockS: s.auto_lock_s, doorAjarS: s.door_ajar_s, relockOnClose: s.relock_on_close === 1, revision: s.revision,
    state: s.held_revision === s.revision ? 'applied' : 'pending', updatedAt: new Date(s.updated_at).toISOString()
  };
}

export async function getOwnerLockSettings(ctx: RelayContext, p: Principal, deviceId: string): Promise<LockSettingsView> {
  const d = await deviceForOwner(ctx, ctx.store.q, p, deviceId);
  return lockSettingsView(await getLockSettings(ctx.store.q, d.id));
}

/** Stores the owner's settings under a new revision and starts sending them to the lock. */
export async function setOwnerLockSettings(ctx: RelayContext, p: Principal, deviceId: string, v: LockSettingsValues): Promise<LockSettingsView> {
  const d = await deviceForOwner(ctx, ctx.store.q, p, deviceId);
  const probe: SettingsPayload = { revision: 1, autoLockS: v.autoLockS, doorAjarS: v.doorAjarS, flags: v.relockOnClose ? SETTING_RELOCK_ON_CLOSE : 0 };
  if (checkSettingBounds(probe) !== RC_OK) throw relayError('KW_VALIDATION', { bounds: SETTING_BOUNDS });
  const row = await ctx.store.tx(async (q) => {
    const before = await getLockSettings(q, d.id);
    const r = await putLockSettings(q, d.id, v, before ? before.held_revision : 0, ctx.now());
    await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.id, kind: 'lock.settings', details: { revision: r.revision, ...v } });
    return r;
  });
  const view = lockSettingsView(row);
  ctx.live.emit(['site:' + d.site_id], 'lock', { deviceId: d.id, settings: view });
  ctx.log.info({ deviceId: d.id, revision: row.revision }, 'lock settings changed');
  try {
    await reconcileDevice(ctx, d.id);
  } catch (err) {
    if (!ctx.closing) ctx.log.warn({ err, deviceId: d.id }, 'lock sync failed');
  }
  return view;
}

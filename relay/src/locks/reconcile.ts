/**
 * Keeps each lock in step with what the owner decided (docs/sync.md). Whenever a lock's
 * status (with its inventory of keys and grants) arrives, after a retry delay, and on the
 * maintenance sweep, the relay compares the lock's inventory with its desired state and
 * issues what is missing: trusted time, revocations, the key, grants. One transaction per
 * lock, with the device row locked first (data/devices lockDevice), makes the check and the
 * issue atomic, so several relay processes never send the same step twice; refusals that
 * pass with time are retried with backoff.
 */
import { ACT_GRANT_REVOKE, ACT_SETTINGS_SET, ACT_TIME_SET, CRED_HASH_CHAIN, RC_OK, ST_TIME_TRUSTED, fromHex, reasonName } from '@keyway/shared';
import type { RelayContext } from '../context';
import { getLockSettings, raiseRevisionAbove, settingsPayloadOf } from '../data/lock-settings';
import { attemptsSince, inFlightSyncCommands, type SyncPurpose } from '../data/commands';
import { claimTimeSet as claimTimeSetRow, devicesToReconcile, lockDevice, setSyncState, type DeviceRow } from '../data/devices';
import { grantsToReconcile, reopenRevocation } from '../data/grants';
import type { Q } from '../data/store';
import { recordActivity } from '../domain/activity';
import { inConsentMode } from '../domain/owner-record';
import { getGrant, issueGrantPut, onGrantPutAck, type GrantRow } from '../domain/grants';
import { issueRotation, moveDeviceKey } from './key-rotation';
import { issueCommand, publishAfterCommit, type CommandRow } from './outbox';
import { planSync, retryDelayMs, targetKey, type DesiredGrant, type HeldGrant, type SyncPlan, type SyncTarget } from './sync-plan';

/** Attempts older than this no longer lengthen the backoff. */
export const SYNC_ATTEMPT_WINDOW_MS = 10 * 60_000;

const timers = new WeakMap<RelayContext, Map<string, NodeJS.Timeout>>();

/** The inventory a status reported, as stored on the device row. */
export function storedInventory(d: DeviceRow): { keyIds: number[]; held: HeldGrant[] } | null {
  if (d.inv_at === null || d.inv_keys === null || d.inv_grants === null) return null;
  const held = (JSON.parse(d.inv_grants) as Array<[number, string]>).map(([grantId, fingerprint]) => ({ grantId, fingerprint }));
  return { keyIds: JSON.parse(d.inv_keys) as number[], held };
}

function wantOf(g: GrantRow, now: number): DesiredGrant['want'] {
  if (g.status === 'revoking' || g.status === 'revoked' || g.status === 'failed') return 'remove';
  const spent = (g.max_uses > 0 && g.uses >= g.max_uses) || (g.cred_type === CRED_HASH_CHAIN && g.chain_used >= g.chain_links);
  return g.not_after <= now || spent ? 'either' : 'wanted';
}

async function desiredGrants(q: Q, deviceId: string, held: HeldGrant[], now: number, consentMode: boolean): Promise<DesiredGrant[]> {
  const rows = await grantsToReconcile(q, deviceId, held.map((h) => h.grantId));
  return rows.map((g) => ({
    id: g.id, want: wantOf(g, now), fingerprint: g.put_fingerprint, revoking: g.status === 'revoking', needsOwner: consentMode && g.consent_id === null && g.owner_statement === null
  }));
}

const PURPOSE: Record<SyncTarget['kind'], SyncPurpose> = { revoke: 'grant_revoke', put: 'grant_put', rotate: 'key_rotate', settings: 'settings_set' };

/**
 * Targets with a command in flight, and targets the lock acknowledged after its last inventory
 * was taken (that inventory cannot show them yet: wait for the next status). `keysAcked`: the
 * new keys of KEY_ROTATEs acknowledged since that inventory, which the lock trusts although
 * the inventory does not list them yet.
 */
async function inFlightTargets(q: Q, deviceId: string, inventoryAt: number): Promise<{ targets: Set<string>; keysAcked: number[] }> {
  // Settings count only while pending: the status the lock publishes after applying them carries
  // the new revision, and resending the same revision is harmless (the lock accepts it again).
  const rows = await inFlightSyncCommands(q, deviceId, inventoryAt);
  const targets = new Set<string>();
  const keysAcked: number[] = [];
  for (const r of rows) {
    if (r.purpose === 'key_rotate') {
      targets.add('rotate');
      if (r.status === 'acked' && r.new_key_id !== null) keysAcked.push(r.new_key_id);
    } else if (r.purpose === 'settings_set') targets.add('settings');
    else targets.add(targetKey({ kind: r.purpose === 'grant_put' ? 'put' : 'revoke', grantId: r.grant_id ?? 0 }));
  }
  return { targets, keysAcked };
}

/** Milliseconds before the next attempt at a target may go out (0: now). */
async function retryWaitMs(q: Q, deviceId: string, onlineSince: number | null, t: SyncTarget, now: number): Promise<number> {
  // Attempts count from the current connection on: a lock that comes back is tried at once.
  const since = Math.max(now - SYNC_ATTEMPT_WINDOW_MS, onlineSince ?? 0);
  const r = await attemptsSince(q, deviceId, PURPOSE[t.kind], t.kind === 'rotate' || t.kind === 'settings' ? null : t.grantId, since);
  if (!r.last) return 0;
  return Math.max(0, r.last + retryDelayMs(r.n) - now);
}

async function issueStep(ctx: RelayContext, q: Q, d: DeviceRow, t: SyncTarget): Promise<CommandRow | null> {
  if (t.kind === 'rotate') return issueRotation(ctx, q, d.id, d.signing_key_id);
  if (t.kind === 'settings') return issueSettings(ctx, q, d);
  const g = await getGrant(q, t.grantId);
  const own = g && g.device_id === d.id ? g : undefined;
  if (t.kind === 'put') return own ? issueGrantPut(ctx, q, own) : null;
  // A grant the relay had marked revoked is on the lock again (its storage went back in time):
  // the owner sees the revocation as pending until the lock confirms it once more.
  if (own && own.status === 'revoked') {
    await reopenRevocation(q, own.id, ctx.now());
  }
  return issueCommand(ctx, q, {
    deviceId: d.id, action: ACT_GRANT_REVOKE, payload: { grantId: t.grantId }, purpose: 'grant_revoke', grantId: own ? own.id : null, deliveryId: own?.delivery_id ?? null
  });
}

/** SETTINGS_SET with the owner's current values; a revision the lock already passed is lifted first. */
async function issueSettings(ctx: RelayContext, q: Q, d: DeviceRow): Promise<CommandRow | null> {
  let s = await getLockSettings(q, d.id);
  if (!s) return null;
  if (s.held_revision > s.revision) s = (await raiseRevisionAbove(q, d.id, s.held_revision)) ?? s;
  return issueCommand(ctx, q, { deviceId: d.id, action: ACT_SETTINGS_SET, payload: settingsPayloadOf(s), purpose: 'settings_set' });
}

/**
 * TIME_SET bound to the lock's latest nonce: once per nonce, and again every timeSetRetryMs
 * while the lock still reports no trusted time (a lost command, or a nonce that repeats).
 */
async function claimTimeSet(ctx: RelayContext, q: Q, d: DeviceRow, now: number): Promise<{ row: CommandRow | null; waitMs: number }> {
  if (!d.nonce) return { row: null, waitMs: 0 };
  const retryMs = ctx.opts.sync.timeSetRetryMs;
  if (!(await claimTimeSetRow(q, d.id, d.nonce, now, retryMs))) return { row: null, waitMs: Math.max(1, (d.time_set_at ?? now) + retryMs - now) };
  const row = await issueCommand(ctx, q, { deviceId: d.id, action: ACT_TIME_SET, payload: { time: Math.floor(now / 1000) }, purpose: 'time_set', nonce: fromHex(d.nonce) });
  ctx.log.info({ deviceId: d.id, counter: row.counter }, 'lock has no trusted time: TIME_SET sent');
  return { row, waitMs: retryMs };
}

async function recordSyncState(ctx: RelayContext, q: Q, d: DeviceRow, plan: SyncPlan, now: number): Promise<void> {
  const state = plan.converged ? 'converged' : 'syncing';
  if (d.sync_state === state) return;
  await setSyncState(q, d.id, state, now);
  ctx.live.emit(['site:' + d.site_id], 'lock.sync', {
    deviceId: d.id, state, pendingRevocations: plan.pendingRevocations, missing: plan.missing, extra: plan.extra, needsOwner: plan.needsOwner
  });
}

/** Pending grants the lock's inventory shows in the signed version: the put ran (its ACK may be lost). */
async function confirmHeldGrants(ctx: RelayContext, q: Q, ids: number[]): Promise<void> {
  for (const id of ids) {
    const g = await getGrant(q, id);
    if (g && g.status === 'pending') await onGrantPutAck(ctx, q, id, RC_OK, reasonName(RC_OK));
  }
}

/** Compares a lock's inventory with the desired state and issues what is missing. */
export async function reconcileDevice(ctx: RelayContext, deviceId: string): Promise<SyncPlan | null> {
  if (ctx.closing) return null;
  const issued: CommandRow[] = [];
  let retryInMs = 0;
  const later = (ms: number) => {
    retryInMs = retryInMs === 0 ? ms : Math.min(retryInMs, ms);
  };
  const plan = await ctx.store.tx(async (q): Promise<SyncPlan | null> => {
    const d = await lockDevice(q, deviceId);
    const inv = d ? storedInventory(d) : null;
    if (!d || !inv || d.online !== 1) return null;
    const now = ctx.now();
    const trusted = ((d.flags ?? 0) & ST_TIME_TRUSTED) !== 0;
    if (!trusted) {
      const t = await claimTimeSet(ctx, q, d, now);
      if (t.row) {
        issued.push(t.row);
        publishAfterCommit(ctx, q, t.row);
      }
      if (t.waitMs > 0) later(t.waitMs);
    }
    const keys = ctx.keys.cachedIds();
    const settings = await getLockSettings(q, d.id);
    const inFlight = await inFlightTargets(q, d.id, d.inv_at ?? 0);
    const p = planSync({
      timeTrusted: trusted, lockKeyIds: inv.keyIds, keysAckedSinceInventory: inFlight.keysAcked, signingKeyId: d.signing_key_id, currentKeyId: keys.current,
      relayKeyIds: keys.all, held: inv.held, grants: await desiredGrants(q, d.id, inv.held, now, inConsentMode(d.flags)),
      settingsRevision: settings ? settings.revision : null, heldSettingsRevision: settings ? settings.held_revision : 0, inFlight: inFlight.targets
    });
    if (p.adoptKeyId !== null && (await moveDeviceKey(ctx, q, d.id, d.signing_key_id, p.adoptKeyId))) {
      // The lock's inventory shows a rotation ran whose ACK never arrived: sign with what it trusts.
      await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.id, kind: 'lock.key_adopted', details: { from: d.signing_key_id, to: p.adoptKeyId } });
      later(1);
      return p;
    }
    await confirmHeldGrants(ctx, q, p.held);
    for (const step of p.steps) {
      const wait = await retryWaitMs(q, d.id, d.online_since, step, now);
      if (wait > 0) {
        later(wait);
        continue;
      }
      const row = await issueStep(ctx, q, d, step);
      if (!row) continue;
      issued.push(row);
      publishAfterCommit(ctx, q, row);
    }
    await recordSyncState(ctx, q, d, p, now);
    return p;
  });
  if (issued.length > 0) ctx.log.info({ deviceId, commands: issued.map((c) => c.purpose) }, 'lock sync: commands issued');
  if (retryInMs > 0) scheduleReconcile(ctx, deviceId, retryInMs);
  return plan;
}

/** Runs reconcileDevice for the lock after `ms` (one timer per lock; the earliest wins). */
export function scheduleReconcile(ctx: RelayContext, deviceId: string, ms: number): void {
  let m = timers.get(ctx);
  if (!m) {
    m = new Map();
    timers.set(ctx, m);
  }
  if (m.has(deviceId)) return;
  const map = m;
  const t = setTimeout(() => {
    map.delete(deviceId);
    if (ctx.closing) return;
    reconcileDevice(ctx, deviceId).catch((err: unknown) => {
      if (!ctx.closing) ctx.log.warn({ err, deviceId }, 'lock sync failed');
    });
  }, ms);
  t.unref();
  m.set(deviceId, t);
}

export function cancelReconcileTimers(ctx: RelayContext): void {
  const m = timers.get(ctx);
  if (!m) return;
  for (const t of m.values()) clearTimeout(t);
  m.clear();
}

/** Maintenance: every online lock, in case a status or a timer was missed (e.g. a relay restart). */
export async function reconcileOnline(ctx: RelayContext): Promise<number> {
  let n = 0;
  for (const id of await devicesToReconcile(ctx.store.q)) {
    const p = await reconcileDevice(ctx, id);
    if (p && !p.converged) n++;
  }
  return n;
}

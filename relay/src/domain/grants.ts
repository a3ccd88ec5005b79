/**
 * Grants staged on locks (docs/product.md#guest-and-service-access, docs/protocol.md §4–§5): stored here with the
 * secret hash-chain seed, pushed to the lock as a signed GRANT_PUT committing to the chain
 * tip (or, for parcels, a barcode commitment), and enforced by the lock. Revocation sends
 * GRANT_REVOKE, supersedes any unacknowledged put, and always wins.
 */
import { randomBytes } from 'node:crypto';
import {
  ACT_CONSENTED_GRANT_PUT, ACT_GRANT_PUT, ACT_GRANT_REVOKE, CONSENTED_GRANT_PREFIX, CRED_BARCODE, FLAG_CAMERA_REQUIRED, CRED_HASH_CHAIN, GRANT_COURIER, GRANT_GUEST, GRANT_PARCEL, GRANT_SERVICE,
  encodePayload, fromHex, grantFingerprint, isTransientReason, toHex, type Grant, type ScheduleEntry
} from '@keyway/shared';
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { chainValue } from '../locks/chain';
import { dispatchLater, issueCommand, supersede, type CommandRow } from '../locks/outbox';
import { recordActivity } from './activity';
import type { ConsentCover } from './consent-booking';
import { ownerSignedPut, type StagingBytes } from './owner-signed-put';
import { notifySiteOwner } from './notifications';
import { revokeTokensOf } from './principals';
import { fromScheduleEntries } from './schedule-input';
import { tzOffsetMinutes } from './timezones';
import { enqueueWebhook } from './webhooks';
import type { Selectable } from 'kysely';
import { setGrantOffset } from '../data/grants';
import type { GrantsTable } from '../data/schema';


/** Sealed in the database under this column name (secret-box.ts). */
const CHAIN_SEED_COLUMN = 'grants.chain_seed';
const CHAIN_SEED_BYTES = 32;
export type GrantKind = 'courier' | 'guest' | 'service' | 'parcel';
const KIND_CODES: Record<GrantKind, number> = { courier: GRANT_COURIER, guest: GRANT_GUEST, service: GRANT_SERVICE, parcel: GRANT_PARCEL };

/** Hash-chain length for grants with unlimited uses. */
export const DEFAULT_CHAIN_LINKS = 1000;

export type GrantRow = Selectable<GrantsTable>;

export interface NewGrant {
  deviceId: string;
  siteId: number;
  kind: GrantKind;
  type: string;
  label?: string | null;
  flags: number;
  notBefore: number;
  notAfter: number;
  maxUses: number;
  relockAfter: number;
  timezone: string;
  schedule: ScheduleEntry[];
  /** Hash-chain links (CRED_HASH_CHAIN) or a barcode commitment (CRED_BARCODE). */
  credential: { type: typeof CRED_HASH_CHAIN; links: number } | { type: typeof CRED_BARCODE; commitment: Uint8Array };
  actorRef: number;
  deliveryId?: number | null;
  parcelId?: number | null;
  /** Staged under this standing consent (CONSENTED_GRANT_PUT, domain/consent-booking.ts); absent: plain GRANT_PUT. */
  consent?: ConsentCover | null;
  /** The lock takes this grant only with the owner's signature (domain/owner-grants.ts): it is not staged until the owner signed it. */
  awaitOwner?: boolean;
  createdBy: string;
}

export function getGrant(ctx: RelayContext, id: number): GrantRow | undefined {
  return ctx.db.prepare('SELECT * FROM grants WHERE id = ?').get(id) as GrantRow | undefined;
}

/** Inserts the grant and queues its GRANT_PUT (call inside a transaction with related writes). */
export function createGrant(ctx: RelayContext, g: NewGrant): GrantRow {
  if (g.notAfter <= g.notBefore) throw relayError('KW_BAD_WINDOW');
  const now = ctx.now();
  const seed = g.credential.type === CRED_HASH_CHAIN ? ctx.box.seal(randomBytes(CHAIN_SEED_BYTES).toString('hex'), CHAIN_SEED_COLUMN) : null;
  const links = g.credential.type === CRED_HASH_CHAIN ? g.credential.links : 0;
  const commitment = g.credential.type === CRED_BARCODE ? Buffer.from(g.credential.commitment).toString('hex') : null;
  const row = ctx.db.prepare(`INSERT INTO grants (device_id, site_id, kind, type, label, flags, not_before, not_after, max_uses, relock_after, timezone, tz_offset,
      schedule, cred_type, chain_seed, chain_links, commitment, actor_ref, delivery_id, parcel_id, consent_id, consent_partner, status, created_by, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING *`).get(
    g.deviceId, g.siteId, g.kind, g.type, g.label ?? null, g.flags, g.notBefore, g.notAfter, g.maxUses, g.relockAfter, g.timezone,
    tzOffsetMinutes(g.timezone, Math.max(now, g.notBefore)), JSON.stringify(g.schedule), g.credential.type, seed, links, commitment, g.actorRef,
    g.deliveryId ?? null, g.parcelId ?? null, g.consent?.consentId ?? null, g.consent?.partner ?? null, g.createdBy, now, now
  ) as GrantRow;
  if (row.id > 0xffffffff) throw new Error('GRANT_ID_EXHAUSTED');
  if (!g.awaitOwner) stageGrant(ctx, row);
  return row;
}

/** The grant's hash-chain seed, unsealed (secret-box.ts). */
export function chainSeed(ctx: RelayContext, row: GrantRow): Uint8Array {
  return fromHex(ctx.box.open(row.chain_seed!, CHAIN_SEED_COLUMN));
}

/** The GRANT_PUT payload for the grant as it stands (a re-put commits to the unspent part of the chain). */
export function grantPayload(ctx: RelayContext, row: GrantRow): Grant {
  const deviceId = fromHex(row.device_id);
  let credential: Grant['credential'];
  if (row.cred_type === CRED_HASH_CHAIN) {
    const remaining = row.chain_links - row.chain_used;
    if (remaining < 1) throw relayError('KW_USES_EXHAUSTED');
    credential = { type: CRED_HASH_CHAIN, commitment: chainValue(chainSeed(ctx, row), deviceId, row.id, remaining), length: remaining };
  } else credential = { type: CRED_BARCODE, commitment: fromHex(row.commitment!), length: 0 };
  return {
    grantId: row.id,
    kind: KIND_CODES[row.kind],
    flags: row.flags,
    notBefore: Math.floor(row.not_before / 1000),
    notAfter: Math.ceil(row.not_after / 1000),
    maxUses: row.max_uses === 0 ? 0 : Math.max(1, row.max_uses - row.uses),
    relockAfter: row.relock_after,
    tzOffset: row.tz_offset,
    schedule: JSON.parse(row.schedule) as ScheduleEntry[],
    credential,
    actorRef: row.actor_ref
  };
}

/**
 * Signs a GRANT_PUT for the grant as it stands (a CONSENTED_GRANT_PUT naming its standing consent
 * when it has one) and remembers the fingerprint of the grant bytes; publish with dispatchLater.
 */
export function issueGrantPut(ctx: RelayContext, row: GrantRow): CommandRow {
  const put = row.owner_statement !== null ? ownerSignedPut(row.owner_statement) : relayPut(ctx, row);
  ctx.db.prepare('UPDATE grants SET put_fingerprint = ? WHERE id = ?').run(toHex(grantFingerprint(put.grantBytes)), row.id);
  return issueCommand(ctx, {
    deviceId: row.device_id, action: put.action, payload: null, payloadBytes: put.payload, purpose: 'grant_put',
    grantId: row.id, deliveryId: row.delivery_id
  });
}

/** GRANT_PUT, or CONSENTED_GRANT_PUT naming the grant's standing consent, of the grant as it stands. */
function relayPut(ctx: RelayContext, row: GrantRow): StagingBytes {
  const grant = grantPayload(ctx, row);
  const consented = row.consent_id !== null && row.consent_partner !== null;
  const payload = consented
    ? encodePayload(ACT_CONSENTED_GRANT_PUT, { consentId: row.consent_id, partner: row.consent_partner, grant })
    : encodePayload(ACT_GRANT_PUT, grant);
  // The lock's inventory fingerprints the grant bytes alone (after the consent id and partner).
  return { action: consented ? ACT_CONSENTED_GRANT_PUT : ACT_GRANT_PUT, payload, grantBytes: consented ? payload.subarray(CONSENTED_GRANT_PREFIX) : payload };
}

/** Queues a GRANT_PUT for the grant, replacing any unacknowledged earlier put. */
export function stageGrant(ctx: RelayContext, row: GrantRow): void {
  const old = ctx.db.prepare("SELECT counter FROM commands WHERE device_id = ? AND grant_id = ? AND purpose = 'grant_put' AND status = 'pending'").all(row.device_id, row.id) as { counter: number }[];
  for (const o of old) supersede(ctx, row.device_id, o.counter);
  dispatchLater(ctx, issueGrantPut(ctx, row));
}

/** Revokes a grant: the lock is told with GRANT_REVOKE (re-issued until acknowledged). */
export function revokeGrant(ctx: RelayContext, row: GrantRow, by: string, reason: string): boolean {
  if (row.status === 'revoking' || row.status === 'revoked') return false;
  const now = ctx.now();
  ctx.db.prepare("UPDATE grants SET status = 'revoking', status_reason = ?, revoked_at = ?, updated_at = ? WHERE id = ?").run(reason, now, now, row.id);
  const pending = ctx.db.prepare("SELECT counter FROM commands WHERE device_id = ? AND grant_id = ? AND purpose = 'grant_put' AND status = 'pending'").all(row.device_id, row.id) as { counter: number }[];
  for (const p of pending) supersede(ctx, row.device_id, p.counter);
  revokeTokensOf(ctx, 'guest', row.id);
  const cmd = issueCommand(ctx, { deviceId: row.device_id, action: ACT_GRANT_REVOKE, payload: { grantId: row.id }, purpose: 'grant_revoke', grantId: row.id, deliveryId: row.delivery_id });
  dispatchLater(ctx, cmd);
  recordActivity(ctx, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.revoked', reason, grantId: row.id, deliveryId: row.delivery_id, details: { by } });
  ctx.log.info({ grantId: row.id, deviceId: row.device_id, by, reason }, 'grant revoked');
  return true;
}

/** The lock's ACK of a GRANT_PUT. A refusal that passes with time leaves the grant pending: the sync retries it. */
export function onGrantPutAck(ctx: RelayContext, grantId: number, code: number, reason: string): void {
  const row = getGrant(ctx, grantId);
  if (!row || row.status !== 'pending') return;
  const now = ctx.now();
  if (code === 0) {
    ctx.db.prepare("UPDATE grants SET status = 'active', status_reason = NULL, updated_at = ? WHERE id = ?").run(now, grantId);
    recordActivity(ctx, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.staged', grantId, deliveryId: row.delivery_id });
    if (row.delivery_id) {
      const d = ctx.db.prepare('SELECT backend_id FROM deliveries WHERE id = ?').get(row.delivery_id) as { backend_id: number } | undefined;
      if (d) enqueueWebhook(ctx, d.backend_id, 'delivery.staged', { deliveryId: row.delivery_id, deviceId: row.device_id });
    }
    return;
  }
  if (isTransientReason(code)) {
    ctx.db.prepare('UPDATE grants SET status_reason = ?, updated_at = ? WHERE id = ?').run('waiting: ' + reason, now, grantId);
    return;
  }
  ctx.db.prepare("UPDATE grants SET status = 'failed', status_reason = ?, updated_at = ? WHERE id = ?").run(reason, now, grantId);
  recordActivity(ctx, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.failed', reason, code, grantId, deliveryId: row.delivery_id });
  notifySiteOwner(ctx, row.site_id, 'grant.failed', { grantId, reason }, row.delivery_id);
}

/**
 * The lock's ACK of a GRANT_REVOKE: only this confirms a revocation. A refusal keeps the grant
 * revoking (the sync retries); a final one, or a late confirmation after the alarm, is told to the owner.
 */
export function onGrantRevokeAck(ctx: RelayContext, grantId: number, code: number, reason: string): void {
  const row = getGrant(ctx, grantId);
  if (!row || row.status !== 'revoking') return;
  const now = ctx.now();
  if (code === 0) {
    ctx.db.prepare("UPDATE grants SET status = 'revoked', status_reason = NULL, updated_at = ? WHERE id = ? AND status = 'revoking'").run(now, grantId);
    recordActivity(ctx, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.revocation_confirmed', grantId, deliveryId: row.delivery_id });
    if (row.revoke_alarmed_at !== null) notifySiteOwner(ctx, row.site_id, 'grant.revocation_confirmed', { grantId, deviceId: row.device_id });
    return;
  }
  ctx.db.prepare('UPDATE grants SET status_reason = ?, updated_at = ? WHERE id = ?').run('revocation refused: ' + reason, now, grantId);
  if (!isTransientReason(code)) {
    recordActivity(ctx, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.revocation_refused', reason, code, grantId, deliveryId: row.delivery_id });
    notifySiteOwner(ctx, row.site_id, 'grant.revocation_refused', { grantId, deviceId: row.device_id, reason });
  }
}

/** Maintenance: owners of revocations the lock has not confirmed within revokeAlarmMs are alarmed once. */
export function alarmUnconfirmedRevocations(ctx: RelayContext): number {
  const now = ctx.now();
  const rows = ctx.db.prepare("SELECT * FROM grants WHERE status = 'revoking' AND revoke_alarmed_at IS NULL AND revoked_at <= ?")
    .all(now - ctx.opts.sync.revokeAlarmMs) as GrantRow[];
  for (const row of rows) {
    const claimed = ctx.db.prepare('UPDATE grants SET revoke_alarmed_at = ? WHERE id = ? AND revoke_alarmed_at IS NULL').run(now, row.id).changes;
    if (claimed === 0) continue;
    recordActivity(ctx, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.revocation_unconfirmed', grantId: row.id, deliveryId: row.delivery_id, details: { label: row.label } });
    notifySiteOwner(ctx, row.site_id, 'grant.revocation_unconfirmed', {
      grantId: row.id, deviceId: row.device_id, label: row.label, revokedAt: new Date(row.revoked_at ?? now).toISOString()
    });
    ctx.log.warn({ grantId: row.id, deviceId: row.device_id }, 'revocation not confirmed by the lock');
  }
  return rows.length;
}

/** An entry on the grant happened at the lock (one chain value or one barcode spent). */
export function onGrantUsed(ctx: RelayContext, grantId: number): GrantRow | undefined {
  return ctx.db.prepare(`UPDATE grants SET uses = uses + 1, chain_used = CASE WHEN cred_type = ? THEN MIN(chain_links, chain_used + 1) ELSE chain_used END,
      updated_at = ? WHERE id = ? RETURNING *`).get(CRED_HASH_CHAIN, ctx.now(), grantId) as GrantRow | undefined;
}

/** Maintenance: re-stage schedule grants whose site offset changed (daylight saving); an owner-signed grant keeps the offset its owner signed. */
export async function restageForOffsetChanges(ctx: RelayContext): Promise<number> {
  const rows = ctx.db.prepare("SELECT * FROM grants WHERE status IN ('pending','active') AND schedule != '[]' AND owner_statement IS NULL AND not_after > ?").all(ctx.now()) as GrantRow[];
  let n = 0;
  for (const row of rows) {
    const offset = tzOffsetMinutes(row.timezone, ctx.now());
    if (offset === row.tz_offset || (row.cred_type === CRED_HASH_CHAIN && row.chain_links - row.chain_used < 1)) continue;
    await ctx.store.tx(async (q) => {
      await setGrantOffset(q, row.id, offset, ctx.now());
      stageGrant(ctx, { ...row, tz_offset: offset });
    });
    ctx.log.info({ grantId: row.id, from: row.tz_offset, to: offset }, 'grant re-staged for a new UTC offset');
    n++;
  }
  return n;
}

export function grantView(row: GrantRow) {
  const schedule = fromScheduleEntries(JSON.parse(row.schedule) as ScheduleEntry[]);
  return {
    id: row.id,
    siteId: row.site_id,
    deviceId: row.device_id,
    kind: row.kind,
    type: row.type,
    label: row.label,
    status: row.status,
    statusReason: row.status_reason,
    window: { start: new Date(row.not_before).toISOString(), end: new Date(row.not_after).toISOString() },
    timezone: row.timezone,
    schedule,
    cameraRequired: (row.flags & FLAG_CAMERA_REQUIRED) !== 0,
    relockOnClose: (row.flags & 2) !== 0,
    maxUses: row.max_uses,
    uses: row.uses,
    deliveryId: row.delivery_id,
    parcelId: row.parcel_id,
    createdAt: new Date(row.created_at).toISOString(),
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null
  };
}

export type GrantView = ReturnType<typeof grantView>;

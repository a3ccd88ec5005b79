/**
 * Grants staged on locks (docs/product.md#guest-and-service-access, docs/protocol.md §4–§5): stored here with the
 * secret hash-chain seed, pushed to the lock as a signed GRANT_PUT committing to the chain
 * tip (or, for parcels, a barcode commitment), and enforced by the lock. Revocation sends
 * GRANT_REVOKE, supersedes any unacknowledged put, and always wins.
 */
import { randomBytes } from 'node:crypto';
import {
  ACT_CONSENTED_GRANT_PUT, ACT_GRANT_PUT, ACT_GRANT_REVOKE, CONSENTED_GRANT_PREFIX, CRED_BARCODE, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE, CRED_HASH_CHAIN, GRANT_COURIER, GRANT_GUEST, GRANT_PARCEL, GRANT_SERVICE,
  encodePayload, fromHex, grantFingerprint, isTransientReason, toHex, type Grant, type ScheduleEntry
} from '@keyway/shared';
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { chainValue } from '../locks/chain';
import { issueCommand, publishAfterCommit, type CommandRow } from '../locks/outbox';
import { recordActivity } from './activity';
import type { ConsentCover } from './consent-booking';
import { ownerSignedPut, type StagingBytes } from './owner-signed-put';
import { notifySiteOwner } from './notifications';
import { revokeTokensOf } from './principals';
import { fromScheduleEntries } from './schedule-input';
import { tzOffsetMinutes } from './timezones';
import { enqueueWebhook } from './webhooks';
import { closePending, pendingGrantPuts } from '../data/commands';
import { findDelivery } from '../data/deliveries';
import { lockDevice } from '../data/devices';
import {
  claimRevokeAlarm, findGrant, insertGrant, liveScheduledGrants, markRevoking, moveGrant, setGrantOffset, setGrantReason, setPutFingerprint, spendGrantUse,
  unconfirmedRevocations, type GrantRow
} from '../data/grants';
import type { Q } from '../data/store';

/** Sealed in the database under this column name (secret-box.ts). */
const CHAIN_SEED_COLUMN = 'grants.chain_seed';
const CHAIN_SEED_BYTES = 32;
export type GrantKind = 'courier' | 'guest' | 'service' | 'parcel';
const KIND_CODES: Record<GrantKind, number> = { courier: GRANT_COURIER, guest: GRANT_GUEST, service: GRANT_SERVICE, parcel: GRANT_PARCEL };

/** Hash-chain length for grants with unlimited uses. */
export const DEFAULT_CHAIN_LINKS = 1000;

export type { GrantRow };
/** Grant ids are u32 on the wire. */
const MAX_GRANT_ID = 0xffffffff;

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

export function getGrant(q: Q, id: number): Promise<GrantRow | undefined> {
  return findGrant(q, id);
}

/** Inserts the grant and stages its GRANT_PUT, in q with the caller's related writes; published once q commits. */
export async function createGrant(ctx: RelayContext, q: Q, g: NewGrant): Promise<GrantRow> {
  if (g.notAfter <= g.notBefore) throw relayError('KW_BAD_WINDOW');
  const now = ctx.now();
  const seed = g.credential.type === CRED_HASH_CHAIN ? ctx.box.seal(randomBytes(CHAIN_SEED_BYTES).toString('hex'), CHAIN_SEED_COLUMN) : null;
  const links = g.credential.type === CRED_HASH_CHAIN ? g.credential.links : 0;
  const commitment = g.credential.type === CRED_BARCODE ? Buffer.from(g.credential.commitment).toString('hex') : null;
  const row = await insertGrant(q, {
    device_id: g.deviceId, site_id: g.siteId, kind: g.kind, type: g.type, label: g.label ?? null, flags: g.flags, not_before: g.notBefore, not_after: g.notAfter,
    max_uses: g.maxUses, relock_after: g.relockAfter, timezone: g.timezone, tz_offset: tzOffsetMinutes(g.timezone, Math.max(now, g.notBefore)),
    schedule: JSON.stringify(g.schedule), cred_type: g.credential.type, chain_seed: seed, chain_links: links, commitment, actor_ref: g.actorRef,
    delivery_id: g.deliveryId ?? null, parcel_id: g.parcelId ?? null, consent_id: g.consent?.consentId ?? null, consent_partner: g.consent?.partner ?? null,
    status_reason: null, put_fingerprint: null, revoke_alarmed_at: null, revoked_at: null, created_by: g.createdBy, created_at: now, updated_at: now
  });
  if (row.id > MAX_GRANT_ID) throw new Error('GRANT_ID_EXHAUSTED');
  if (!g.awaitOwner) await stageGrant(ctx, q, row);
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
 * when it has one) and remembers the fingerprint of the grant bytes; publish with publishAfterCommit.
 */
export async function issueGrantPut(ctx: RelayContext, q: Q, row: GrantRow): Promise<CommandRow> {
  const put = row.owner_statement !== null ? ownerSignedPut(row.owner_statement) : relayPut(ctx, row);
  await setPutFingerprint(q, row.id, toHex(grantFingerprint(put.grantBytes)));
  return issueCommand(ctx, q, {
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

/** Queues a GRANT_PUT for the grant in q, replacing any unacknowledged earlier put; published once q commits. */
export async function stageGrant(ctx: RelayContext, q: Q, row: GrantRow): Promise<void> {
  for (const counter of await pendingGrantPuts(q, row.device_id, row.id)) await closePending(q, row.device_id, counter, 'superseded');
  publishAfterCommit(ctx, q, await issueGrantPut(ctx, q, row));
}

/**
 * Revokes a grant in q: the lock is told with GRANT_REVOKE (published once q commits, re-issued
 * until acknowledged). False, changing nothing, when it is being revoked or revoked already.
 */
export async function revokeGrant(ctx: RelayContext, q: Q, row: GrantRow, by: string, reason: string): Promise<boolean> {
  // The lock's device row before the grant's, the order of every lock-side transaction (event
  // intake, sync): taken the other way round, one ACK of this lock arriving meanwhile deadlocks
  // on PostgreSQL (the grant row held here, the device row there).
  await lockDevice(q, row.device_id);
  if (!(await markRevoking(q, row.id, reason, ctx.now()))) return false;
  for (const counter of await pendingGrantPuts(q, row.device_id, row.id)) await closePending(q, row.device_id, counter, 'superseded');
  await revokeTokensOf(ctx, q, 'guest', row.id);
  const cmd = await issueCommand(ctx, q, { deviceId: row.device_id, action: ACT_GRANT_REVOKE, payload: { grantId: row.id }, purpose: 'grant_revoke', grantId: row.id, deliveryId: row.delivery_id });
  publishAfterCommit(ctx, q, cmd);
  await recordActivity(ctx, q, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.revoked', reason, grantId: row.id, deliveryId: row.delivery_id, details: { by } });
  ctx.log.info({ grantId: row.id, deviceId: row.device_id, by, reason }, 'grant revoked');
  return true;
}

/** The lock's ACK of a GRANT_PUT (in q). A refusal that passes with time leaves the grant pending: the sync retries it. */
export async function onGrantPutAck(ctx: RelayContext, q: Q, grantId: number, code: number, reason: string): Promise<void> {
  const row = await findGrant(q, grantId);
  if (!row || row.status !== 'pending') return;
  const now = ctx.now();
  if (code === 0) {
    if (!(await moveGrant(q, grantId, 'pending', 'active', null, now))) return;
    await recordActivity(ctx, q, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.staged', grantId, deliveryId: row.delivery_id });
    if (row.delivery_id) {
      const d = await findDelivery(q, row.delivery_id);
      if (d) await enqueueWebhook(ctx, q, d.backend_id, 'delivery.staged', { deliveryId: row.delivery_id, deviceId: row.device_id });
    }
    return;
  }
  if (isTransientReason(code)) {
    await setGrantReason(q, grantId, 'waiting: ' + reason, now);
    return;
  }
  if (!(await moveGrant(q, grantId, 'pending', 'failed', reason, now))) return;
  await recordActivity(ctx, q, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.failed', reason, code, grantId, deliveryId: row.delivery_id });
  await notifySiteOwner(ctx, q, row.site_id, 'grant.failed', { grantId, reason }, row.delivery_id);
}

/**
 * The lock's ACK of a GRANT_REVOKE (in q): only this confirms a revocation. A refusal keeps the
 * grant revoking (the sync retries); a final one, or a late confirmation after the alarm, is told to the owner.
 */
export async function onGrantRevokeAck(ctx: RelayContext, q: Q, grantId: number, code: number, reason: string): Promise<void> {
  const row = await findGrant(q, grantId);
  if (!row || row.status !== 'revoking') return;
  const now = ctx.now();
  if (code === 0) {
    if (!(await moveGrant(q, grantId, 'revoking', 'revoked', null, now))) return;
    await recordActivity(ctx, q, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.revocation_confirmed', grantId, deliveryId: row.delivery_id });
    if (row.revoke_alarmed_at !== null) await notifySiteOwner(ctx, q, row.site_id, 'grant.revocation_confirmed', { grantId, deviceId: row.device_id });
    return;
  }
  await setGrantReason(q, grantId, 'revocation refused: ' + reason, now);
  if (!isTransientReason(code)) {
    await recordActivity(ctx, q, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.revocation_refused', reason, code, grantId, deliveryId: row.delivery_id });
    await notifySiteOwner(ctx, q, row.site_id, 'grant.revocation_refused', { grantId, deviceId: row.device_id, reason });
  }
}

/**
 * Maintenance: owners of revocations the lock has not confirmed within revokeAlarmMs are alarmed
 * once (one transaction per grant; of several relay processes, one claims each alarm).
 */
export async function alarmUnconfirmedRevocations(ctx: RelayContext): Promise<number> {
  const now = ctx.now();
  const rows = await unconfirmedRevocations(ctx.store.q, now - ctx.opts.sync.revokeAlarmMs);
  for (const row of rows) {
    await ctx.store.tx(async (q) => {
      if (!(await claimRevokeAlarm(q, row.id, now))) return;
      await recordActivity(ctx, q, { siteId: row.site_id, deviceId: row.device_id, kind: 'grant.revocation_unconfirmed', grantId: row.id, deliveryId: row.delivery_id, details: { label: row.label } });
      await notifySiteOwner(ctx, q, row.site_id, 'grant.revocation_unconfirmed', {
        grantId: row.id, deviceId: row.device_id, label: row.label, revokedAt: new Date(row.revoked_at ?? now).toISOString()
      });
      ctx.log.warn({ grantId: row.id, deviceId: row.device_id }, 'revocation not confirmed by the lock');
    });
  }
  return rows.length;
}

/** An entry on the grant happened at the lock (one chain value or one barcode spent), in q. */
export function onGrantUsed(ctx: RelayContext, q: Q, grantId: number): Promise<boolean> {
  return spendGrantUse(q, grantId, CRED_HASH_CHAIN, ctx.now());
}

/** Maintenance: re-stage schedule grants whose site offset changed (daylight saving); an owner-signed grant keeps the offset its owner signed. */
export async function restageForOffsetChanges(ctx: RelayContext): Promise<number> {
  // An owner-signed grant keeps the offset its owner signed: changing its bytes needs a new signature.
  const rows = (await liveScheduledGrants(ctx.store.q, ctx.now())).filter((r) => r.owner_statement === null);
  let n = 0;
  for (const row of rows) {
    const offset = tzOffsetMinutes(row.timezone, ctx.now());
    if (offset === row.tz_offset || (row.cred_type === CRED_HASH_CHAIN && row.chain_links - row.chain_used < 1)) continue;
    await ctx.store.tx(async (q) => {
      await setGrantOffset(q, row.id, offset, ctx.now());
      await stageGrant(ctx, q, { ...row, tz_offset: offset });
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
    relockOnClose: (row.flags & FLAG_RELOCK_ON_CLOSE) !== 0,
    maxUses: row.max_uses,
    uses: row.uses,
    deliveryId: row.delivery_id,
    parcelId: row.parcel_id,
    createdAt: new Date(row.created_at).toISOString(),
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null
  };
}

export type GrantView = ReturnType<typeof grantView>;

/**
 * Owner-made access (docs/product.md#guest-and-service-access): one-time, temporary and weekly grants for guests and
 * service providers. The grant is staged on the lock; the visitor gets a guest token that
 * can ask the relay to open (POST /v1/grant-access/entry) or fetch the next chain values
 * as scan strings `KW1:<grantId>:<64 hex>` for the lock's scanner when the network is down.
 */
import { CRED_HASH_CHAIN, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE, fromHex, toHex } from '@keyway/shared';
import type { RelayContext } from '../context';
import { grantsOfSite } from '../data/grants';
import { qrSvg } from './qr-code';
import { relayError } from '../errors';
import { nextChainValues } from '../locks/chain';
import { recordActivity } from './activity';
import { siteLock } from './devices';
import { chainSeed, createGrant, DEFAULT_CHAIN_LINKS, getGrant, grantView, revokeGrant, type GrantRow, type GrantView } from './grants';
import { insertToken } from '../data/tokens';
import { newTokenRow, type Principal } from './principals';
import { toScheduleEntries, type ScheduleInput } from './schedule-input';
import { siteForOwner } from './sites';
import { awaitOwnerSignature, grantNeedsOwner, signGrant, type OwnerSignatureRequest } from './owner-grants';

export interface AccessGrantInput {
  deviceId?: string;
  kind: 'guest' | 'service';
  type: 'one-time' | 'temporary' | 'weekly';
  label?: string;
  window: { start: string; end: string };
  schedule?: ScheduleInput[];
  cameraRequired?: boolean;
  relockOnClose?: boolean;
  maxUses?: number;
  relockAfter?: number;
}

export const MAX_GRANT_WINDOW_MS = 366 * 86400_000;

export function parseWindow(ctx: RelayContext, w: { start: string; end: string }, maxMs: number): { start: number; end: number } {
  const start = Date.parse(w.start);
  const end = Date.parse(w.end);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start || end - start > maxMs || end <= ctx.now()) {
    throw relayError('KW_BAD_WINDOW', { start: w.start, end: w.end });
  }
  if (end / 1000 > 0xffffffff) throw relayError('KW_BAD_WINDOW', { end: w.end });
  return { start, end };
}

/** How long a guest's token outlives the grant it opens. */
export const GUEST_TOKEN_GRACE_MS = 86400_000;

export interface CreatedAccessGrant {
  grant: GrantView;
  accessToken: string;
  /** Present when the lock is in owner-consent mode: the grant is staged only once the owner's device signed these bytes (domain/owner-grants.ts). */
  ownerSignature?: OwnerSignatureRequest;
}

export async function createAccessGrant(ctx: RelayContext, p: Principal, siteId: number, input: AccessGrantInput): Promise<CreatedAccessGrant> {
  const site = await siteForOwner(ctx.store.q, p, siteId);
  const device = await siteLock(ctx.store.q, site.id, 'door', input.deviceId);
  const w = parseWindow(ctx, input.window, MAX_GRANT_WINDOW_MS);
  const schedule = toScheduleEntries(input.schedule ?? []);
  if (input.type === 'weekly' && schedule.length === 0) throw relayError('KW_BAD_SCHEDULE', undefined, 'A weekly grant needs a schedule.');
  if (input.type !== 'weekly' && schedule.length > 0) throw relayError('KW_BAD_SCHEDULE', undefined, 'Only weekly grants have a schedule.');
  const maxUses = input.type === 'one-time' ? 1 : (input.maxUses ?? 0);
  let flags = 0;
  if (input.cameraRequired !== false) flags |= FLAG_CAMERA_REQUIRED;
  if (input.relockOnClose !== false) flags |= FLAG_RELOCK_ON_CLOSE;
  const ownerId = p.kind === 'owner' ? p.subjectId! : site.owner_id;
  const awaitOwner = grantNeedsOwner(device);
  return ctx.store.tx(async (q) => {
    const row = await createGrant(ctx, q, {
      deviceId: device.id, siteId: site.id, kind: input.kind, type: input.type, label: input.label ?? null, flags,
      notBefore: w.start, notAfter: w.end, maxUses, relockAfter: input.relockAfter ?? 0, timezone: site.timezone, schedule,
      credential: { type: CRED_HASH_CHAIN, links: maxUses > 0 ? maxUses : DEFAULT_CHAIN_LINKS }, actorRef: ownerId, awaitOwner, createdBy: 'owner:' + ownerId
    });
    const ownerSignature = awaitOwner ? await awaitOwnerSignature(ctx, q, row) : undefined;
    const { token, row: tokenRow } = newTokenRow(ctx, 'guest', row.id, [], input.label ?? input.kind, row.not_after - ctx.now() + GUEST_TOKEN_GRACE_MS);
    await insertToken(q, tokenRow);
    await recordActivity(ctx, q, { siteId: site.id, deviceId: device.id, kind: 'grant.created', actorKind: 'owner', actorId: ownerId, grantId: row.id, details: { kind: input.kind, type: input.type, label: input.label ?? null } });
    ctx.log.info({ grantId: row.id, siteId: site.id, deviceId: device.id, kind: input.kind, type: input.type }, 'grant created');
    return { grant: grantView((await getGrant(q, row.id))!), accessToken: token, ...(ownerSignature ? { ownerSignature } : {}) };
  });
}

export async function grantForOwner(ctx: RelayContext, p: Principal, id: number): Promise<GrantRow> {
  const g = await getGrant(ctx.store.q, id);
  if (!g) throw relayError('KW_NOT_FOUND');
  await siteForOwner(ctx.store.q, p, g.site_id);
  return g;
}

/** The owner's device signed one of their pending grants (domain/owner-grants.ts). */
export async function signOwnerGrant(ctx: RelayContext, p: Principal, id: number, statement: Uint8Array): Promise<GrantView> {
  return signGrant(ctx, await grantForOwner(ctx, p, id), statement);
}

export async function listSiteGrants(ctx: RelayContext, p: Principal, siteId: number, includeEnded: boolean): Promise<GrantView[]> {
  await siteForOwner(ctx.store.q, p, siteId);
  return (await grantsOfSite(ctx.store.q, siteId, includeEnded, ctx.now())).map(grantView);
}

export async function revokeOwnerGrant(ctx: RelayContext, p: Principal, id: number): Promise<GrantView> {
  const g = await grantForOwner(ctx, p, id);
  return ctx.store.tx(async (q) => {
    await revokeGrant(ctx, q, g, p.kind + ':' + (p.subjectId ?? 'admin'), 'revoked by owner');
    return grantView((await getGrant(q, id))!);
  });
}

/** The grant behind a guest token. */
export async function guestGrant(ctx: RelayContext, p: Principal): Promise<GrantRow> {
  const g = p.kind === 'guest' && p.subjectId ? await getGrant(ctx.store.q, p.subjectId) : undefined;
  if (!g) throw relayError('KW_NOT_FOUND');
  if (g.status === 'revoking' || g.status === 'revoked') throw relayError('KW_GRANT_REVOKED');
  return g;
}

export function scanString(grantId: number, value: Uint8Array): string {
  return 'KW1:' + grantId + ':' + toHex(value);
}

/** The next `count` unspent chain values as scan strings, for entry without network. */
/** The next scan codes, each also as a QR code (SVG) for the door's scanner. */
export async function guestCredentialsWithQr(ctx: RelayContext, p: Principal, count: number) {
  const r = await guestCredentials(ctx, p, count);
  return { ...r, qr: await Promise.all(r.credentials.map(qrSvg)) };
}

export async function guestCredentials(ctx: RelayContext, p: Principal, count: number): Promise<{ grantId: number; credentials: string[]; validUntil: string }> {
  const g = await guestGrant(ctx, p);
  if (g.cred_type !== CRED_HASH_CHAIN) throw relayError('KW_CONFLICT', undefined, 'This grant has no chain credential.');
  const values = nextChainValues(chainSeed(ctx, g), fromHex(g.device_id), g.id, g.chain_links, g.chain_used, count);
  ctx.log.info({ grantId: g.id, count: values.length }, 'guest credentials issued');
  return { grantId: g.id, credentials: values.map((v) => scanString(g.id, v)), validUntil: new Date(g.not_after).toISOString() };
}

/**
 * Sites: an owner's address with its locks, IANA time zone and in-home delivery consent.
 * Every lookup takes the caller and answers 404 for anything that is not theirs, so an
 * owner can never learn whether another owner's object exists.
 */
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { backendExists, ownerExists } from '../data/accounts';
import {
  addSitePartner, findSite, insertSite, isSitePartner, partnersOfSite, removeSitePartner, sitesOf, updateSiteRow, type SiteRow
} from '../data/sites';
import type { Q } from '../data/store';
import type { Principal } from './principals';
import { isValidTimeZone } from './timezones';

export type { SiteRow } from '../data/sites';

export interface SiteView {
  id: number;
  ownerId: number;
  name: string;
  address: string | null;
  timezone: string;
  allowInHomeDelivery: boolean;
  partners: number[];
  createdAt: string;
}

export async function siteView(q: Q, r: SiteRow): Promise<SiteView> {
  const partners = await partnersOfSite(q, r.id);
  return { id: r.id, ownerId: r.owner_id, name: r.name, address: r.address, timezone: r.timezone, allowInHomeDelivery: r.allow_in_home === 1, partners, createdAt: new Date(r.created_at).toISOString() };
}

export interface SiteInput {
  name: string;
  address?: string;
  timezone: string;
  allowInHomeDelivery?: boolean;
}

export async function createSite(ctx: RelayContext, ownerId: number, s: SiteInput): Promise<SiteView> {
  if (!isValidTimeZone(s.timezone)) throw relayError('KW_BAD_TIMEZONE', { timezone: s.timezone });
  const q = ctx.store.q;
  if (!(await ownerExists(q, ownerId))) throw relayError('KW_NOT_FOUND', { field: 'ownerId' });
  const row = await insertSite(q, { owner_id: ownerId, name: s.name, address: s.address ?? null, timezone: s.timezone, allow_in_home: s.allowInHomeDelivery ? 1 : 0, created_at: ctx.now() });
  ctx.log.info({ siteId: row.id, ownerId }, 'site created');
  return siteView(q, row);
}

export function getSiteRow(q: Q, id: number): Promise<SiteRow | undefined> {
  return findSite(q, id);
}

function ownerMaySee(p: Principal, s: SiteRow | undefined): s is SiteRow {
  return !!s && (p.kind === 'admin' || (p.kind === 'owner' && s.owner_id === p.subjectId));
}

/** The site if the caller may see it (its owner, or admin); 404 otherwise. */
export async function siteForOwner(q: Q, p: Principal, id: number): Promise<SiteRow> {
  const s = await findSite(q, id);
  if (!ownerMaySee(p, s)) throw relayError('KW_NOT_FOUND');
  return s;
}

/** The site if this backend is a partner of it (or admin); 404 otherwise. */
export async function siteForBackend(q: Q, p: Principal, id: number): Promise<SiteRow> {
  const s = await findSite(q, id);
  if (!s) throw relayError('KW_NOT_FOUND', { field: 'siteId' });
  if (p.kind === 'admin') return s;
  if (p.kind !== 'backend' || p.subjectId === null || !(await isSitePartner(q, s.id, p.subjectId))) throw relayError('KW_NOT_FOUND', { field: 'siteId' });
  return s;
}

export async function listSites(ctx: RelayContext, p: Principal): Promise<SiteView[]> {
  const q = ctx.store.q;
  const rows = await sitesOf(q, p.kind === 'admin' ? undefined : (p.subjectId ?? -1));
  return Promise.all(rows.map((r) => siteView(q, r)));
}

export async function updateSite(ctx: RelayContext, p: Principal, id: number, patch: Partial<SiteInput>): Promise<SiteView> {
  if (patch.timezone !== undefined && !isValidTimeZone(patch.timezone)) throw relayError('KW_BAD_TIMEZONE', { timezone: patch.timezone });
  return ctx.store.tx(async (q) => {
    const s = await siteForOwner(q, p, id);
    const row = await updateSiteRow(q, id, {
      name: patch.name ?? s.name, address: patch.address ?? s.address, timezone: patch.timezone ?? s.timezone,
      allow_in_home: patch.allowInHomeDelivery === undefined ? s.allow_in_home : patch.allowInHomeDelivery ? 1 : 0
    });
    return siteView(q, row);
  });
}

export async function addPartner(ctx: RelayContext, p: Principal, siteId: number, backendId: number): Promise<SiteView> {
  return ctx.store.tx(async (q) => {
    const s = await siteForOwner(q, p, siteId);
    if (!(await backendExists(q, backendId))) throw relayError('KW_NOT_FOUND', { field: 'backendId' });
    await addSitePartner(q, siteId, backendId, ctx.now());
    return siteView(q, s);
  });
}

export function isPartner(q: Q, siteId: number, backendId: number): Promise<boolean> {
  return isSitePartner(q, siteId, backendId);
}

/** Withdraws the backend as the site's partner (partner-withdrawal.ts cancels what it booked). */
export async function removePartner(ctx: RelayContext, q: Q, p: Principal, siteId: number, backendId: number): Promise<SiteView> {
  const s = await siteForOwner(q, p, siteId);
  await removeSitePartner(q, siteId, backendId);
  return siteView(q, s);
}

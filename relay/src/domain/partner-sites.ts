/**
 * What a delivery backend may know about the sites whose owners made it a partner: the site's
 * name, time zone and consent to in-home delivery, and its locks (id, name, profile, online).
 * Booking on a site with several doors needs a lock's deviceId; this is where a backend finds
 * it. Nothing about other sites, and no lock state beyond "online".
 */
import type { RelayContext } from '../context';
import { locksOfSite, siteOfPartner, sitesOfPartner, type PartnerSiteRow } from '../data/sites';
import { relayError } from '../errors';
import type { Principal } from './principals';

export interface PartnerLockView {
  deviceId: string;
  name: string | null;
  profile: string;
  online: boolean;
}

export interface PartnerSiteView {
  id: number;
  name: string;
  timezone: string;
  allowInHomeDelivery: boolean;
  locks: PartnerLockView[];
}

function backendId(p: Principal): number {
  if (p.kind !== 'backend' || p.subjectId === null) throw relayError('KW_FORBIDDEN', { kind: p.kind });
  return p.subjectId;
}

async function view(ctx: RelayContext, s: PartnerSiteRow): Promise<PartnerSiteView> {
  const locks = await locksOfSite(ctx.store.q, s.id);
  return {
    id: s.id, name: s.name, timezone: s.timezone, allowInHomeDelivery: s.allow_in_home === 1,
    locks: locks.map((l) => ({ deviceId: l.id, name: l.name, profile: l.profile, online: l.online === 1 }))
  };
}

export async function listPartnerSites(ctx: RelayContext, p: Principal): Promise<PartnerSiteView[]> {
  const rows = await sitesOfPartner(ctx.store.q, backendId(p));
  return Promise.all(rows.map((s) => view(ctx, s)));
}

/** One partner site; 404 when the backend is not its partner. */
export async function getPartnerSite(ctx: RelayContext, p: Principal, siteId: number): Promise<PartnerSiteView> {
  const s = await siteOfPartner(ctx.store.q, backendId(p), siteId);
  if (!s) throw relayError('KW_NOT_FOUND');
  return view(ctx, s);
}

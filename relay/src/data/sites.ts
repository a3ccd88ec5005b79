/**
 * Sites and their delivery partners. What a partner backend may read is here; the owner's
 * site management (domain/sites.ts) still runs on the synchronous handle.
 */
import type { Q } from './store';

export interface PartnerSiteRow {
  id: number;
  name: string;
  timezone: string;
  allow_in_home: number;
}

export interface SiteLockRow {
  id: string;
  name: string | null;
  profile: string;
  online: number;
}

function partnerSites(q: Q, backendId: number) {
  return q.selectFrom('sites as s').innerJoin('site_partners as sp', 'sp.site_id', 's.id')
    .select(['s.id', 's.name', 's.timezone', 's.allow_in_home']).where('sp.backend_id', '=', backendId);
}

/** The sites whose owners made the backend a partner, by id. */
export function sitesOfPartner(q: Q, backendId: number): Promise<PartnerSiteRow[]> {
  return partnerSites(q, backendId).orderBy('s.id').execute();
}

/** The site if the backend is its partner. */
export function siteOfPartner(q: Q, backendId: number, siteId: number): Promise<PartnerSiteRow | undefined> {
  return partnerSites(q, backendId).where('s.id', '=', siteId).executeTakeFirst();
}

/** The site's locks in registration order. */
export function locksOfSite(q: Q, siteId: number): Promise<SiteLockRow[]> {
  return q.selectFrom('devices').select(['id', 'name', 'profile', 'online']).where('site_id', '=', siteId).orderBy('registered_at').orderBy('id').execute();
}

/**
 * Sites and their delivery partners: the owner's site management and what a partner backend
 * may read. domain/sites.ts has the rules (who may see which site).
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { SitesTable } from './schema';
import { firstRow, prepared } from './prepared';
import type { Q } from './store';

export type SiteRow = Selectable<SitesTable>;

const findSiteQuery = prepared((q: Q, id: number) => q.selectFrom('sites').selectAll().where('id', '=', id));

export function findSite(q: Q, id: number): Promise<SiteRow | undefined> {
  return firstRow(findSiteQuery(q, id));
}

export function insertSite(q: Q, s: Insertable<SitesTable>): Promise<SiteRow> {
  return q.insertInto('sites').values(s).returningAll().executeTakeFirstOrThrow();
}

export function updateSiteRow(q: Q, id: number, patch: Pick<Updateable<SitesTable>, 'name' | 'address' | 'timezone' | 'allow_in_home'>): Promise<SiteRow> {
  return q.updateTable('sites').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** Every site (ownerId undefined) or the owner's, by id. */
export function sitesOf(q: Q, ownerId: number | undefined): Promise<SiteRow[]> {
  return q.selectFrom('sites').selectAll().$if(ownerId !== undefined, (s) => s.where('owner_id', '=', ownerId!)).orderBy('id').execute();
}

/** The site's partner backends by id. */
export async function partnersOfSite(q: Q, siteId: number): Promise<number[]> {
  const rows = await q.selectFrom('site_partners').select('backend_id').where('site_id', '=', siteId).orderBy('backend_id').execute();
  return rows.map((r) => r.backend_id);
}

const sitePartnerQuery = prepared((q: Q, siteId: number, backendId: number) =>
  q.selectFrom('site_partners').select('site_id').where('site_id', '=', siteId).where('backend_id', '=', backendId));

export async function isSitePartner(q: Q, siteId: number, backendId: number): Promise<boolean> {
  return (await firstRow(sitePartnerQuery(q, siteId, backendId))) !== undefined;
}

/** Makes the backend a partner of the site; nothing changes when it already is. */
export async function addSitePartner(q: Q, siteId: number, backendId: number, at: number): Promise<void> {
  await q.insertInto('site_partners').values({ site_id: siteId, backend_id: backendId, created_at: at })
    .onConflict((oc) => oc.columns(['site_id', 'backend_id']).doNothing()).execute();
}

export async function removeSitePartner(q: Q, siteId: number, backendId: number): Promise<void> {
  await q.deleteFrom('site_partners').where('site_id', '=', siteId).where('backend_id', '=', backendId).execute();
}

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

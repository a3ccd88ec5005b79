/**
 * What a delivery backend may know about the sites whose owners made it a partner: the site's
 * name, time zone and consent to in-home delivery, and its locks (id, name, profile, online).
 * Booking on a site with several doors needs a lock's deviceId; this is where a backend finds
 * it. Nothing about other sites, and no lock state beyond "online".
 */
import type { RelayContext } from '../context';
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

interface SiteRow {
  id: number;
  name: string;
  timezone: string;
  allow_in_home: number;
}

interface LockRow {
  id: string;
  name: string | null;
  profile: string;
  online: number;
}

function backendId(p: Principal): number {
  if (p.kind !== 'backend' || p.subjectId === null) throw relayError('KW_FORBIDDEN', { kind: p.kind });
  return p.subjectId;
}

function view(ctx: RelayContext, s: SiteRow): PartnerSiteView {
  const locks = ctx.db.prepare('SELECT id, name, profile, online FROM devices WHERE site_id = ? ORDER BY registered_at, id').all(s.id) as LockRow[];
  return {
    id: s.id, name: s.name, timezone: s.timezone, allowInHomeDelivery: s.allow_in_home === 1,
    locks: locks.map((l) => ({ deviceId: l.id, name: l.name, profile: l.profile, online: l.online === 1 }))
  };
}

export function listPartnerSites(ctx: RelayContext, p: Principal): PartnerSiteView[] {
  const rows = ctx.db.prepare(`SELECT s.id, s.name, s.timezone, s.allow_in_home FROM sites s
      JOIN site_partners sp ON sp.site_id = s.id WHERE sp.backend_id = ? ORDER BY s.id`).all(backendId(p)) as SiteRow[];
  return rows.map((s) => view(ctx, s));
}

/** One partner site; 404 when the backend is not its partner. */
export function getPartnerSite(ctx: RelayContext, p: Principal, siteId: number): PartnerSiteView {
  const s = ctx.db.prepare(`SELECT s.id, s.name, s.timezone, s.allow_in_home FROM sites s
      JOIN site_partners sp ON sp.site_id = s.id WHERE sp.backend_id = ? AND s.id = ?`).get(backendId(p), siteId) as SiteRow | undefined;
  if (!s) throw relayError('KW_NOT_FOUND');
  return view(ctx, s);
}

/**
 * Sites: an owner's address with its locks, IANA time zone and in-home delivery consent.
 * Every lookup takes the caller and answers 404 for anything that is not theirs, so an
 * owner can never learn whether another owner's object exists.
 */
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { backendExists } from './accounts';
import type { Principal } from './principals';
import { isValidTimeZone } from './timezones';

export interface SiteRow {
  id: number;
  owner_id: number;
  name: string;
  address: string | null;
  timezone: string;
  allow_in_home: number;
  created_at: number;
}

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

export function siteView(ctx: RelayContext, r: SiteRow): SiteView {
  const partners = (ctx.db.prepare('SELECT backend_id FROM site_partners WHERE site_id = ? ORDER BY backend_id').all(r.id) as { backend_id: number }[]).map((p) => p.backend_id);
  return { id: r.id, ownerId: r.owner_id, name: r.name, address: r.address, timezone: r.timezone, allowInHomeDelivery: r.allow_in_home === 1, partners, createdAt: new Date(r.created_at).toISOString() };
}

export interface SiteInput {
  name: string;
  address?: string;
  timezone: string;
  allowInHomeDelivery?: boolean;
}

export function createSite(ctx: RelayContext, ownerId: number, s: SiteInput): SiteView {
  if (!isValidTimeZone(s.timezone)) throw relayError('KW_BAD_TIMEZONE', { timezone: s.timezone });
  if (!ctx.db.prepare('SELECT 1 FROM owners WHERE id = ?').get(ownerId)) throw relayError('KW_NOT_FOUND', { field: 'ownerId' });
  const row = ctx.db.prepare('INSERT INTO sites (owner_id, name, address, timezone, allow_in_home, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *')
    .get(ownerId, s.name, s.address ?? null, s.timezone, s.allowInHomeDelivery ? 1 : 0, ctx.now()) as SiteRow;
  ctx.log.info({ siteId: row.id, ownerId }, 'site created');
  return siteView(ctx, row);
}

export function getSiteRow(ctx: RelayContext, id: number): SiteRow | undefined {
  return ctx.db.prepare('SELECT * FROM sites WHERE id = ?').get(id) as SiteRow | undefined;
}

/** The site if the caller may see it (its owner, or admin); 404 otherwise. */
export function siteForOwner(ctx: RelayContext, p: Principal, id: number): SiteRow {
  const s = getSiteRow(ctx, id);
  if (!s || (p.kind !== 'admin' && !(p.kind === 'owner' && s.owner_id === p.subjectId))) throw relayError('KW_NOT_FOUND');
  return s;
}

/** The site if this backend is a partner of it (or admin); 404 otherwise. */
export function siteForBackend(ctx: RelayContext, p: Principal, id: number): SiteRow {
  const s = getSiteRow(ctx, id);
  if (!s) throw relayError('KW_NOT_FOUND', { field: 'siteId' });
  if (p.kind === 'admin') return s;
  if (p.kind !== 'backend' || !ctx.db.prepare('SELECT 1 FROM site_partners WHERE site_id = ? AND backend_id = ?').get(id, p.subjectId)) throw relayError('KW_NOT_FOUND', { field: 'siteId' });
  return s;
}

export function listSites(ctx: RelayContext, p: Principal): SiteView[] {
  const rows = p.kind === 'admin'
    ? ctx.db.prepare('SELECT * FROM sites ORDER BY id').all() as SiteRow[]
    : ctx.db.prepare('SELECT * FROM sites WHERE owner_id = ? ORDER BY id').all(p.subjectId) as SiteRow[];
  return rows.map((r) => siteView(ctx, r));
}

export function updateSite(ctx: RelayContext, p: Principal, id: number, patch: Partial<SiteInput>): SiteView {
  const s = siteForOwner(ctx, p, id);
  if (patch.timezone !== undefined && !isValidTimeZone(patch.timezone)) throw relayError('KW_BAD_TIMEZONE', { timezone: patch.timezone });
  const row = ctx.db.prepare('UPDATE sites SET name = ?, address = ?, timezone = ?, allow_in_home = ? WHERE id = ? RETURNING *').get(
    patch.name ?? s.name, patch.address ?? s.address, patch.timezone ?? s.timezone,
    patch.allowInHomeDelivery === undefined ? s.allow_in_home : patch.allowInHomeDelivery ? 1 : 0, id
  ) as SiteRow;
  return siteView(ctx, row);
}

export async function addPartner(ctx: RelayContext, p: Principal, siteId: number, backendId: number): Promise<SiteView> {
  const s = siteForOwner(ctx, p, siteId);
  if (!(await backendExists(ctx, backendId))) throw relayError('KW_NOT_FOUND', { field: 'backendId' });
  ctx.db.prepare('INSERT OR IGNORE INTO site_partners (site_id, backend_id, created_at) VALUES (?, ?, ?)').run(siteId, backendId, ctx.now());
  return siteView(ctx, s);
}

export function isPartner(ctx: RelayContext, siteId: number, backendId: number): boolean {
  return !!ctx.db.prepare('SELECT 1 FROM site_partners WHERE site_id = ? AND backend_id = ?').get(siteId, backendId);
}

export function removePartner(ctx: RelayContext, p: Principal, siteId: number, backendId: number): SiteView {
  const s = siteForOwner(ctx, p, siteId);
  ctx.db.prepare('DELETE FROM site_partners WHERE site_id = ? AND backend_id = ?').run(siteId, backendId);
  return siteView(ctx, s);
}

/**
 * A revocation the lock has not confirmed is a door that may still open for someone the
 * owner shut out. After REVOCATION_CONFIRM_WAIT_MS without the lock's ACK (the relay keeps
 * re-issuing the GRANT_REVOKE meanwhile), the owner is told once. Run by the maintenance
 * sweep; the check and the notification share one IMMEDIATE transaction, so concurrent
 * relay processes tell the owner once.
 */
import type { RelayContext } from '../context';
import { recordActivity } from './activity';
import { notifySiteOwner } from './notifications';

export const REVOCATION_CONFIRM_WAIT_MS = 5 * 60_000;
export const UNCONFIRMED_REVOCATION_KIND = 'grant.revocation_unconfirmed';

interface Overdue {
  id: number;
  site_id: number;
  device_id: string;
  label: string | null;
  kind: string;
  revoked_at: number;
}

export function flagUnconfirmedRevocations(ctx: RelayContext): number {
  return ctx.db.transaction(() => {
    const rows = ctx.db.prepare(`SELECT id, site_id, device_id, label, kind, revoked_at FROM grants g
      WHERE status = 'revoking' AND kind IN ('guest', 'service') AND revoked_at <= ?
      AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.kind = ? AND a.grant_id = g.id)`).all(ctx.now() - REVOCATION_CONFIRM_WAIT_MS, UNCONFIRMED_REVOCATION_KIND) as Overdue[];
    for (const g of rows) {
      const body = { deviceId: g.device_id, grantId: g.id, label: g.label, revokedAt: new Date(g.revoked_at).toISOString() };
      recordActivity(ctx, { siteId: g.site_id, deviceId: g.device_id, kind: UNCONFIRMED_REVOCATION_KIND, grantId: g.id, details: body });
      notifySiteOwner(ctx, g.site_id, UNCONFIRMED_REVOCATION_KIND, body);
      ctx.log.warn({ grantId: g.id, deviceId: g.device_id }, 'revocation not confirmed by the lock');
    }
    return rows.length;
  }).immediate();
}

/**
 * An owner withdraws a delivery partner from a site: its access goes with it, at once. Open
 * deliveries and registered parcels it booked there are cancelled and their staged grants
 * revoked (the sync keeps each revocation pending until the lock confirms it), new entries
 * are refused, and the backend no longer sees the site, its deliveries or its parcels.
 */
import type { RelayContext } from '../context';
import { recordActivity } from './activity';
import { transition, type DeliveryRow } from './deliveries';
import { statusesLeadingTo } from './delivery-states';
import { getGrant, revokeGrant } from './grants';
import { notify } from './notifications';
import type { Principal } from './principals';
import { removePartner, siteForOwner, type SiteView } from './sites';
import { enqueueWebhook } from './webhooks';

export const WITHDRAWN_REASON = 'partner withdrawn';

interface Booked {
  id: number;
  device_id: string;
  courier_id?: number;
  grant_id: number | null;
}

export function withdrawPartner(ctx: RelayContext, p: Principal, siteId: number, backendId: number): SiteView {
  siteForOwner(ctx, p, siteId);
  const by = p.kind + ':' + p.subjectId;
  return ctx.db.transaction(() => {
    const view = removePartner(ctx, p, siteId, backendId);
    const cancellable = statusesLeadingTo('cancelled');
    const deliveries = (ctx.db.prepare(`SELECT * FROM deliveries WHERE site_id = ? AND backend_id = ? AND status IN (${cancellable.map(() => '?').join(', ')})`)
      .all(siteId, backendId, ...cancellable) as DeliveryRow[]).filter((d) => transition(ctx, d, 'cancelled', { block_reason: WITHDRAWN_REASON }));
    for (const d of deliveries) {
      revokeBooked(ctx, d, by);
      recordActivity(ctx, { siteId, deviceId: d.device_id, kind: 'delivery.cancelled', reason: WITHDRAWN_REASON, actorKind: p.kind, actorId: p.subjectId, deliveryId: d.id });
      notify(ctx, { recipientKind: 'courier', recipientId: d.courier_id!, deliveryId: d.id, kind: 'delivery.cancelled', body: { deliveryId: d.id, reason: WITHDRAWN_REASON } });
      enqueueWebhook(ctx, backendId, 'delivery.cancelled', { deliveryId: d.id, reason: WITHDRAWN_REASON });
    }
    const parcels = ctx.db.prepare("SELECT id, device_id, grant_id FROM parcels WHERE site_id = ? AND backend_id = ? AND status = 'registered'").all(siteId, backendId) as Booked[];
    for (const r of parcels) {
      ctx.db.prepare("UPDATE parcels SET status = 'cancelled' WHERE id = ?").run(r.id);
      revokeBooked(ctx, r, by);
    }
    recordActivity(ctx, {
      siteId, deviceId: null, kind: 'site.partner_withdrawn', actorKind: p.kind, actorId: p.subjectId,
      details: { backendId, deliveriesCancelled: deliveries.length, parcelsCancelled: parcels.length }
    });
    ctx.log.info({ siteId, backendId, deliveries: deliveries.length, parcels: parcels.length }, 'delivery partner withdrawn');
    return view;
  }).immediate();
}

function revokeBooked(ctx: RelayContext, b: Booked, by: string): void {
  const g = b.grant_id ? getGrant(ctx, b.grant_id) : undefined;
  if (g) revokeGrant(ctx, g, by, WITHDRAWN_REASON);
}

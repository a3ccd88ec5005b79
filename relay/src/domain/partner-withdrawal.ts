/**
 * An owner withdraws a delivery partner from a site: its access goes with it, at once. Open
 * deliveries and registered parcels it booked there are cancelled and their staged grants
 * revoked (the sync keeps each revocation pending until the lock confirms it), new entries
 * are refused, and the backend no longer sees the site, its deliveries or its parcels.
 */
import type { RelayContext } from '../context';
import { partnerDeliveriesIn } from '../data/deliveries';
import { cancelRegisteredParcel, registeredPartnerParcels } from '../data/parcels';
import type { Q } from '../data/store';
import { recordActivity } from './activity';
import { transition, type DeliveryRow } from './deliveries';
import { lockDevicesFirst } from './devices';
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

export async function withdrawPartner(ctx: RelayContext, p: Principal, siteId: number, backendId: number): Promise<SiteView> {
  await siteForOwner(ctx.store.q, p, siteId);
  const by = p.kind + ':' + p.subjectId;
  return ctx.store.tx(async (q) => {
    const open = async () => [await partnerDeliveriesIn(q, siteId, backendId, statusesLeadingTo('cancelled')), await registeredPartnerParcels(q, siteId, backendId)] as const;
    const [seen, seenParcels] = await open();
    await lockDevicesFirst(q, [...seen, ...seenParcels].map((b) => b.device_id));
    // Read again under those rows: a move committed while this waited for them (a courier entry
    // moving a delivery to entering, a block and unblock staging another grant) left the first
    // read stale, and its move would change nothing, silently, or revoke a grant no longer staged.
    const [booked, registered] = await open();
    const view = await removePartner(ctx, q, p, siteId, backendId);
    const deliveries: DeliveryRow[] = [];
    for (const d of booked as DeliveryRow[]) if (await transition(ctx, q, d, 'cancelled', { block_reason: WITHDRAWN_REASON })) deliveries.push(d);
    for (const d of deliveries) {
      await revokeBooked(ctx, q, d, by);
      await recordActivity(ctx, q, { siteId, deviceId: d.device_id, kind: 'delivery.cancelled', reason: WITHDRAWN_REASON, actorKind: p.kind, actorId: p.subjectId, deliveryId: d.id });
      await notify(ctx, q, { recipientKind: 'courier', recipientId: d.courier_id!, deliveryId: d.id, kind: 'delivery.cancelled', body: { deliveryId: d.id, reason: WITHDRAWN_REASON } });
      await enqueueWebhook(ctx, q, backendId, 'delivery.cancelled', { deliveryId: d.id, reason: WITHDRAWN_REASON });
    }
    const parcels: Booked[] = [];
    for (const r of registered) {
      if (!(await cancelRegisteredParcel(q, r.id))) continue;
      parcels.push(r);
    }
    for (const r of parcels) await revokeBooked(ctx, q, r, by);
    await recordActivity(ctx, q, {
      siteId, deviceId: null, kind: 'site.partner_withdrawn', actorKind: p.kind, actorId: p.subjectId,
      details: { backendId, deliveriesCancelled: deliveries.length, parcelsCancelled: parcels.length }
    });
    ctx.log.info({ siteId, backendId, deliveries: deliveries.length, parcels: parcels.length }, 'delivery partner withdrawn');
    return view;
  });
}

async function revokeBooked(ctx: RelayContext, q: Q, b: Booked, by: string): Promise<void> {
  const g = b.grant_id ? await getGrant(q, b.grant_id) : undefined;
  if (g) await revokeGrant(ctx, q, g, by, WITHDRAWN_REASON);
}

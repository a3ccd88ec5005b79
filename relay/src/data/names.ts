/**
 * The display names activity rows and pushed notifications read as sentences with: a lock's
 * and a site's name, the courier and company of a delivery, a grant's label, an owner's name.
 * Looked up when shown, so a renamed lock or grant reads with its current name.
 */
import type { Q } from './store';

export async function deviceName(q: Q, id: string): Promise<{ name: string | null } | undefined> {
  return q.selectFrom('devices').select('name').where('id', '=', id).executeTakeFirst();
}

export async function siteName(q: Q, id: number): Promise<string | undefined> {
  return (await q.selectFrom('sites').select('name').where('id', '=', id).executeTakeFirst())?.name;
}

export interface DeliveryPeople {
  tracking: string;
  deviceId: string;
  courier: string;
  company: string;
}

/** The delivery's tracking number and lock, its courier and the courier's company. */
export async function deliveryPeople(q: Q, deliveryId: number): Promise<DeliveryPeople | undefined> {
  const r = await q.selectFrom('deliveries as d').innerJoin('couriers as c', 'c.id', 'd.courier_id').innerJoin('backends as b', 'b.id', 'd.backend_id')
    .select(['d.tracking', 'd.device_id', 'c.name as courier', 'b.name as company']).where('d.id', '=', deliveryId).executeTakeFirst();
  return r && { tracking: r.tracking, deviceId: r.device_id, courier: r.courier, company: r.company };
}

export function grantLabel(q: Q, grantId: number): Promise<{ label: string | null; kind: string } | undefined> {
  return q.selectFrom('grants').select(['label', 'kind']).where('id', '=', grantId).executeTakeFirst();
}

export async function ownerName(q: Q, ownerId: number): Promise<string | undefined> {
  return (await q.selectFrom('owners').select('name').where('id', '=', ownerId).executeTakeFirst())?.name;
}

export function courierAndCompany(q: Q, courierId: number): Promise<{ name: string; company: string } | undefined> {
  return q.selectFrom('couriers as c').innerJoin('backends as b', 'b.id', 'c.backend_id').select(['c.name', 'b.name as company']).where('c.id', '=', courierId).executeTakeFirst();
}

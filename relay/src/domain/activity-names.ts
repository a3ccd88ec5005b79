/**
 * The names an activity row needs to read as a sentence: the lock's name, the person (a
 * courier with their company, a guest or service provider by the access label, an owner by
 * name) and the parcel's tracking number. Looked up when the row is shown, so a renamed lock
 * or grant reads with its current name.
 */
import { courierAndCompany, deliveryPeople, deviceName, grantLabel, ownerName } from '../data/names';
import type { Q } from '../data/store';

export interface ActivityNames {
  lock: string | null;
  person: string | null;
  company: string | null;
  /** guest | service | courier | owner, when the row concerns a person. */
  personKind: string | null;
  trackingNumber: string | null;
  grantLabel: string | null;
  grantKind: string | null;
}

interface Refs {
  deviceId: string | null;
  actorKind: string | null;
  actorId: number | null;
  grantId: number | null;
  deliveryId: number | null;
}

function empty(): ActivityNames {
  return { lock: null, person: null, company: null, personKind: null, trackingNumber: null, grantLabel: null, grantKind: null };
}

interface Found {
  lock?: { name: string | null };
  delivery?: { tracking: string; courier: string; company: string };
  grant?: { label: string | null; kind: string };
  owner?: string;
  courier?: { name: string; company: string };
}

/** Who the row is about, by precedence: the delivery's courier, a guest's or provider's label, the acting owner or courier. */
function compose(f: Found): ActivityNames {
  const n = empty();
  n.lock = f.lock?.name ?? null;
  if (f.delivery) Object.assign(n, { trackingNumber: f.delivery.tracking, person: f.delivery.courier, company: f.delivery.company, personKind: 'courier' });
  if (f.grant) {
    n.grantLabel = f.grant.label;
    n.grantKind = f.grant.kind;
    if (!n.person && (f.grant.kind === 'guest' || f.grant.kind === 'service')) Object.assign(n, { person: f.grant.label, personKind: f.grant.kind });
  }
  if (!n.person && f.owner !== undefined) Object.assign(n, { person: f.owner, personKind: 'owner' });
  if (!n.person && f.courier) Object.assign(n, { person: f.courier.name, company: f.courier.company, personKind: 'courier' });
  return n;
}

export async function activityNames(q: Q, r: Refs): Promise<ActivityNames> {
  const f: Found = {};
  if (r.deviceId) f.lock = await deviceName(q, r.deviceId);
  if (r.deliveryId) f.delivery = await deliveryPeople(q, r.deliveryId);
  if (r.grantId) f.grant = await grantLabel(q, r.grantId);
  if (r.actorKind === 'owner' && r.actorId) f.owner = await ownerName(q, r.actorId);
  if (r.actorKind === 'courier' && r.actorId) f.courier = await courierAndCompany(q, r.actorId);
  return compose(f);
}


/**
 * The names an activity row needs to read as a sentence: the lock's name, the person (a
 * courier with their company, a guest or service provider by the access label, an owner by
 * name) and the parcel's tracking number. Looked up when the row is shown, so a renamed lock
 * or grant reads with its current name.
 */
import type { RelayContext } from '../context';

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

export function activityNames(ctx: RelayContext, r: Refs): ActivityNames {
  const n: ActivityNames = { lock: null, person: null, company: null, personKind: null, trackingNumber: null, grantLabel: null, grantKind: null };
  if (r.deviceId) n.lock = (ctx.db.prepare('SELECT name FROM devices WHERE id = ?').get(r.deviceId) as { name: string | null } | undefined)?.name ?? null;
  if (r.deliveryId) {
    const d = ctx.db.prepare(`SELECT d.tracking, c.name AS courier, b.name AS company FROM deliveries d JOIN couriers c ON c.id = d.courier_id
      JOIN backends b ON b.id = d.backend_id WHERE d.id = ?`).get(r.deliveryId) as { tracking: string; courier: string; company: string } | undefined;
    if (d) Object.assign(n, { trackingNumber: d.tracking, person: d.courier, company: d.company, personKind: 'courier' });
  }
  if (r.grantId) {
    const g = ctx.db.prepare('SELECT label, kind FROM grants WHERE id = ?').get(r.grantId) as { label: string | null; kind: string } | undefined;
    if (g) {
      n.grantLabel = g.label;
      n.grantKind = g.kind;
      if (!n.person && (g.kind === 'guest' || g.kind === 'service')) Object.assign(n, { person: g.label, personKind: g.kind });
    }
  }
  if (!n.person && r.actorKind === 'owner' && r.actorId) {
    const o = ctx.db.prepare('SELECT name FROM owners WHERE id = ?').get(r.actorId) as { name: string } | undefined;
    if (o) Object.assign(n, { person: o.name, personKind: 'owner' });
  }
  if (!n.person && r.actorKind === 'courier' && r.actorId) {
    const c = ctx.db.prepare('SELECT c.name, b.name AS company FROM couriers c JOIN backends b ON b.id = c.backend_id WHERE c.id = ?').get(r.actorId) as { name: string; company: string } | undefined;
    if (c) Object.assign(n, { person: c.name, company: c.company, personKind: 'courier' });
  }
  return n;
}

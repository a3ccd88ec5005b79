/**
 * Parcel registrations for parcel boxes (docs/product.md#parcel-box). A tracking number registered for a
 * box becomes a parcel grant carrying only the barcode commitment
 * H32("KWY-BAR\0" ‖ deviceId ‖ len ‖ barcode): the box opens once, inside the window,
 * when that barcode is scanned, with no network needed at that moment.
 */
import { barcodeCommitment, CRED_BARCODE, FLAG_RELOCK_ON_CLOSE, fromHex, MAX_BARCODE_LENGTH, normalizeBarcode, utf8Encode } from '@keyway/shared';
import type { RelayContext } from '../context';
import { relayError } from '../errors';
import { recordActivity } from './activity';
import { parseWindow } from './access-grants';
import { siteLock } from './devices';
import { createGrant, getGrant, revokeGrant } from './grants';
import { notifySiteOwner } from './notifications';
import type { Principal } from './principals';
import { getSiteRow, isPartner, siteForBackend, siteForOwner } from './sites';
import { enqueueWebhook } from './webhooks';
import type { Selectable } from 'kysely';
import type { ParcelsTable } from '../data/schema';

type ParcelRow = Selectable<ParcelsTable>;

export interface ParcelInput {
  siteId: number;
  deviceId?: string;
  trackingNumber: string;
  window: { start: string; end: string };
}

function view(ctx: RelayContext, r: ParcelRow) {
  const g = r.grant_id ? getGrant(ctx, r.grant_id) : undefined;
  return {
    id: r.id, siteId: r.site_id, deviceId: r.device_id, trackingNumber: r.tracking, status: r.status, staged: g ? g.status === 'active' : false,
    grantId: r.grant_id, window: { start: new Date(r.window_start).toISOString(), end: new Date(r.window_end).toISOString() },
    openedSeq: r.opened_seq, openedAt: r.opened_at ? new Date(r.opened_at).toISOString() : null, createdAt: new Date(r.created_at).toISOString()
  };
}

export type ParcelView = ReturnType<typeof view>;

export function registerParcel(ctx: RelayContext, p: Principal, input: ParcelInput): ParcelView {
  const site = p.kind === 'owner' ? siteForOwner(ctx, p, input.siteId) : siteForBackend(ctx, p, input.siteId);
  const device = siteLock(ctx, site.id, 'box', input.deviceId);
  const tracking = normalizeBarcode(input.trackingNumber);
  const len = utf8Encode(tracking).length;
  if (len === 0 || len > MAX_BARCODE_LENGTH) throw relayError('KW_VALIDATION', { field: 'trackingNumber' }, 'The tracking number must be 1..64 bytes.');
  const w = parseWindow(ctx, input.window, 30 * 86400_000);
  const backendId = p.kind === 'backend' ? p.subjectId : null;
  const by = p.kind + ':' + (p.subjectId ?? 'admin');
  return ctx.db.transaction(() => {
    const row = ctx.db.prepare(`INSERT INTO parcels (site_id, device_id, backend_id, tracking, window_start, window_end, status, created_by, created_at)
      VALUES (?, ?, ?, ?, ?, ?, 'registered', ?, ?) RETURNING *`).get(site.id, device.id, backendId, tracking, w.start, w.end, by, ctx.now()) as ParcelRow;
    const g = createGrant(ctx, {
      deviceId: device.id, siteId: site.id, kind: 'parcel', type: 'one-time', label: 'parcel ' + tracking, flags: FLAG_RELOCK_ON_CLOSE,
      notBefore: w.start, notAfter: w.end, maxUses: 1, relockAfter: 0, timezone: site.timezone, schedule: [],
      credential: { type: CRED_BARCODE, commitment: barcodeCommitment(fromHex(device.id), tracking) }, actorRef: row.id, parcelId: row.id, createdBy: by
    });
    ctx.db.prepare('UPDATE parcels SET grant_id = ? WHERE id = ?').run(g.id, row.id);
    recordActivity(ctx, { siteId: site.id, deviceId: device.id, kind: 'parcel.registered', grantId: g.id, actorKind: p.kind, actorId: p.subjectId, details: { parcelId: row.id, trackingNumber: tracking } });
    const v = view(ctx, { ...row, grant_id: g.id });
    enqueueWebhook(ctx, backendId, 'parcel.registered', { parcel: v });
    return v;
  }).immediate();
}

export function parcelFor(ctx: RelayContext, p: Principal, id: number): ParcelRow {
  const r = ctx.db.prepare('SELECT * FROM parcels WHERE id = ?').get(id) as ParcelRow | undefined;
  if (!r) throw relayError('KW_NOT_FOUND');
  if (p.kind === 'admin' || (p.kind === 'backend' && r.backend_id === p.subjectId && isPartner(ctx, r.site_id, p.subjectId!))) return r;
  if (p.kind === 'owner' && getSiteRow(ctx, r.site_id)?.owner_id === p.subjectId) return r;
  throw relayError('KW_NOT_FOUND');
}

export function getParcelView(ctx: RelayContext, p: Principal, id: number): ParcelView {
  return view(ctx, parcelFor(ctx, p, id));
}

export function cancelParcel(ctx: RelayContext, p: Principal, id: number): ParcelView {
  const r = parcelFor(ctx, p, id);
  if (r.status !== 'registered') throw relayError('KW_CONFLICT', { status: r.status });
  ctx.db.transaction(() => {
    ctx.db.prepare("UPDATE parcels SET status = 'cancelled' WHERE id = ?").run(id);
    const g = r.grant_id ? getGrant(ctx, r.grant_id) : undefined;
    if (g) revokeGrant(ctx, g, p.kind + ':' + (p.subjectId ?? 'admin'), 'parcel cancelled');
  }).immediate();
  return view(ctx, parcelFor(ctx, p, id));
}

/** The box opened for this parcel's barcode (effect of the lock's OPERATION event). */
export function onParcelOpened(ctx: RelayContext, parcelId: number, seq: number): void {
  const r = ctx.db.prepare("UPDATE parcels SET status = 'opened', opened_seq = ?, opened_at = ? WHERE id = ? AND status = 'registered' RETURNING *")
    .get(seq, ctx.now(), parcelId) as ParcelRow | undefined;
  if (!r) return;
  notifySiteOwner(ctx, r.site_id, 'parcel.opened', { parcelId, trackingNumber: r.tracking, eventSeq: seq });
  enqueueWebhook(ctx, r.backend_id, 'parcel.opened', { parcel: view(ctx, r) });
}

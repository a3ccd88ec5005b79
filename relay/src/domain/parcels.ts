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
import { lockDevicesFirst, siteLock } from './devices';
import { createGrant, getGrant, revokeGrant } from './grants';
import { notifySiteOwner } from './notifications';
import { awaitOwnerSignature, grantNeedsOwner, type OwnerSignatureRequest } from './owner-grants';
import type { Principal } from './principals';
import { getSiteRow, isPartner, siteForBackend, siteForOwner } from './sites';
import { enqueueWebhook } from './webhooks';
import { cancelRegisteredParcel, findParcel, insertParcel, markParcelOpened, setParcelGrant, type ParcelRow } from '../data/parcels';
import type { Q } from '../data/store';

export interface ParcelInput {
  siteId: number;
  deviceId?: string;
  trackingNumber: string;
  window: { start: string; end: string };
}

async function view(q: Q, r: ParcelRow) {
  const g = r.grant_id ? await getGrant(q, r.grant_id) : undefined;
  return {
    id: r.id, siteId: r.site_id, deviceId: r.device_id, trackingNumber: r.tracking, status: r.status, staged: g ? g.status === 'active' : false,
    grantId: r.grant_id, window: { start: new Date(r.window_start).toISOString(), end: new Date(r.window_end).toISOString() },
    openedSeq: r.opened_seq, openedAt: r.opened_at ? new Date(r.opened_at).toISOString() : null, createdAt: new Date(r.created_at).toISOString()
  };
}

export type ParcelView = Awaited<ReturnType<typeof view>>;

export async function registerParcel(ctx: RelayContext, p: Principal, input: ParcelInput): Promise<ParcelView & { ownerSignature?: OwnerSignatureRequest }> {
  const site = p.kind === 'owner' ? await siteForOwner(ctx.store.q, p, input.siteId) : await siteForBackend(ctx.store.q, p, input.siteId);
  const device = await siteLock(ctx.store.q, site.id, 'box', input.deviceId);
  const tracking = normalizeBarcode(input.trackingNumber);
  const len = utf8Encode(tracking).length;
  if (len === 0 || len > MAX_BARCODE_LENGTH) throw relayError('KW_VALIDATION', { field: 'trackingNumber' }, 'The tracking number must be 1..64 bytes.');
  const w = parseWindow(ctx, input.window, 30 * 86400_000);
  const backendId = p.kind === 'backend' ? p.subjectId : null;
  const by = p.kind + ':' + (p.subjectId ?? 'admin');
  // A box in owner-consent mode takes the grant only signed by the owner: it waits for that.
  const awaitOwner = grantNeedsOwner(device);
  return ctx.store.tx(async (q) => {
    const row = await insertParcel(q, {
      site_id: site.id, device_id: device.id, backend_id: backendId, tracking, window_start: w.start, window_end: w.end, created_by: by, created_at: ctx.now()
    });
    const g = await createGrant(ctx, q, {
      deviceId: device.id, siteId: site.id, kind: 'parcel', type: 'one-time', label: 'parcel ' + tracking, flags: FLAG_RELOCK_ON_CLOSE,
      notBefore: w.start, notAfter: w.end, maxUses: 1, relockAfter: 0, timezone: site.timezone, schedule: [],
      credential: { type: CRED_BARCODE, commitment: barcodeCommitment(fromHex(device.id), tracking) }, actorRef: row.id, parcelId: row.id, awaitOwner, createdBy: by
    });
    const ownerSignature = awaitOwner ? await awaitOwnerSignature(ctx, q, g) : undefined;
    await setParcelGrant(q, row.id, g.id);
    await recordActivity(ctx, q, { siteId: site.id, deviceId: device.id, kind: 'parcel.registered', grantId: g.id, actorKind: p.kind, actorId: p.subjectId, details: { parcelId: row.id, trackingNumber: tracking } });
    const v = await view(q, { ...row, grant_id: g.id });
    await enqueueWebhook(ctx, q, backendId, 'parcel.registered', { parcel: v });
    // Only the owner's device can sign; a backend's parcel waits for the owner.
    return ownerSignature && p.kind === 'owner' ? { ...v, ownerSignature } : v;
  });
}

export async function parcelFor(ctx: RelayContext, p: Principal, id: number): Promise<ParcelRow> {
  const r = await findParcel(ctx.store.q, id);
  if (!r) throw relayError('KW_NOT_FOUND');
  if (p.kind === 'admin' || (p.kind === 'backend' && r.backend_id === p.subjectId && (await isPartner(ctx.store.q, r.site_id, p.subjectId!)))) return r;
  if (p.kind === 'owner' && (await getSiteRow(ctx.store.q, r.site_id))?.owner_id === p.subjectId) return r;
  throw relayError('KW_NOT_FOUND');
}

export async function getParcelView(ctx: RelayContext, p: Principal, id: number): Promise<ParcelView> {
  return view(ctx.store.q, await parcelFor(ctx, p, id));
}

export async function cancelParcel(ctx: RelayContext, p: Principal, id: number): Promise<ParcelView> {
  const r = await parcelFor(ctx, p, id);
  if (r.status !== 'registered') throw relayError('KW_CONFLICT', { status: r.status });
  const cancelled = await ctx.store.tx(async (q) => {
    // The box's device row first, as its own transactions take it (see lockDevicesFirst).
    await lockDevicesFirst(q, [r.device_id]);
    // Only from registered: the box may have opened since the read above.
    if (!(await cancelRegisteredParcel(q, id))) return false;
    const g = r.grant_id ? await getGrant(q, r.grant_id) : undefined;
    if (g) await revokeGrant(ctx, q, g, p.kind + ':' + (p.subjectId ?? 'admin'), 'parcel cancelled');
    return true;
  });
  const now = await parcelFor(ctx, p, id);
  if (!cancelled) throw relayError('KW_CONFLICT', { status: now.status });
  return view(ctx.store.q, now);
}

/** The box opened for this parcel's barcode (effect of the lock's OPERATION event, inside its transaction q). */
export async function onParcelOpened(ctx: RelayContext, q: Q, parcelId: number, seq: number): Promise<void> {
  const r = await markParcelOpened(q, parcelId, seq, ctx.now());
  if (!r) return;
  await notifySiteOwner(ctx, q, r.site_id, 'parcel.opened', { parcelId, trackingNumber: r.tracking, eventSeq: seq });
  await enqueueWebhook(ctx, q, r.backend_id, 'parcel.opened', { parcel: await view(q, r) });
}

/**
 * Courier deliveries (docs/product.md#courier-delivery). A backend books one for a partner site; if in-home
 * delivery is allowed the relay stages a courier grant on the lock at once (1-link hash
 * chain, camera required, relock on close) so entry at the door costs the lock one hash.
 * Status: booked → entering → unlocked (the lock unlocked for the courier) → entered (the
 * door then opened) → secured (door closed and bolt thrown), or blocked / cancelled / failed.
 * A lock that relocks on its timeout with the door never opened secures the delivery with a
 * receipt saying so (doorOpened: false); "entered" is only ever set by a door-open event.
 */
import { CRED_HASH_CHAIN, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE } from '@keyway/shared';
import type { RelayContext } from '../context';
import {
  deliveriesAtTheDoor, deliveriesEnteredBefore, deliveriesVisibleTo, findDelivery, insertDelivery, moveDelivery, moveDeliveryRow, setDeliveryAlarms, setDeliveryGrant,
  type DeliveryChange, type DeliveryViewer
} from '../data/deliveries';
import { readForDeliveryView } from '../data/delivery-reads';
import { afterCommit, type Q } from '../data/store';
import { relayError } from '../errors';
import { recordActivity } from './activity';
import { getCourier } from './accounts';
import { parseWindow } from './access-grants';
import { getDevice, lockDevicesFirst, siteLock } from './devices';
import { coverForCourierGrant, courierBounds, type ConsentCover } from './consent-booking';
import { createGrant, getGrant, revokeGrant } from './grants';
import { notify, notifySiteOwner } from './notifications';
import type { Principal } from './principals';
import { canTransition, statusesLeadingTo, type DeliveryStatus } from './delivery-states';
import { getSiteRow, isPartner, siteForBackend, siteForOwner, type SiteRow } from './sites';
import { enqueueWebhook, type WebhookEvent } from './webhooks';
import type { Selectable } from 'kysely';
import type { DeliveriesTable } from '../data/schema';

export const MAX_DELIVERY_WINDOW_MS = 7 * 86400_000;
/** A secured delivery still hears of a door-ajar or jam alarm this long after the entry. */
export const ALARM_AFTER_SECURED_MS = 3600_000;

export { DELIVERY_STATUSES, type DeliveryStatus } from './delivery-states';

export type DeliveryRow = Omit<Selectable<DeliveriesTable>, 'status'> & { status: DeliveryStatus };

export interface Receipt {
  deliveryId: number;
  deviceId: string;
  eventSeq: number;
  eventHash: string;
  time: string;
  /** False when the lock relocked (its timeout) without the door ever opening after the unlock. */
  doorOpened: boolean;
}

export interface BookInput {
  siteId: number;
  trackingNumber: string;
  courierId: number;
  window: { start: string; end: string };
  inHome: boolean;
  deviceId?: string;
}

export async function getDelivery(q: Q, id: number): Promise<DeliveryRow | undefined> {
  return (await findDelivery(q, id)) as DeliveryRow | undefined;
}

/** `site`: the delivery's site row when the caller has read it already (the entry, at its start). */
export async function deliveryView(ctx: RelayContext, q: Q, d: DeliveryRow, site: SiteRow | undefined = undefined) {
  site ??= await getSiteRow(q, d.site_id);
  const grant = d.grant_id ? await getGrant(q, d.grant_id) : undefined;
  return viewOf(d, site, grant?.status);
}

/** The delivery's view, read as it stands in q in one statement (undefined: no such delivery). */
async function readDeliveryView(q: Q, id: number): Promise<DeliveryView | undefined> {
  const r = await readForDeliveryView(q, id);
  return r && viewOf(r.delivery as DeliveryRow, r.site, r.grantStatus);
}

/** What the API and the webhooks show of a delivery, with its site's name and its grant's status. */
function viewOf(d: DeliveryRow, site: Pick<SiteRow, 'name' | 'address' | 'timezone'> | undefined, grantStatus: string | undefined) {
  return {
    id: d.id,
    siteId: d.site_id,
    site: site ? { name: site.name, address: site.address, timezone: site.timezone } : null,
    deviceId: d.device_id,
    backendId: d.backend_id,
    courierId: d.courier_id,
    trackingNumber: d.tracking,
    window: { start: new Date(d.window_start).toISOString(), end: new Date(d.window_end).toISOString() },
    inHome: d.in_home === 1,
    status: d.status,
    staged: grantStatus === 'active',
    entry: d.entered_at ? { method: d.entry_method, eventSeq: d.entry_seq, time: new Date(d.entered_at).toISOString(), clip: d.clip } : null,
    doorOpened: d.door_opened_at ? { eventSeq: d.door_opened_seq, time: new Date(d.door_opened_at).toISOString() } : null,
    receipt: d.receipt ? (JSON.parse(d.receipt) as Receipt) : null,
    alarms: JSON.parse(d.alarms) as { alarm: string; eventSeq: number; time: string }[],
    blockReason: d.block_reason,
    createdAt: new Date(d.created_at).toISOString(),
    updatedAt: new Date(d.updated_at).toISOString()
  };
}

export type DeliveryView = ReturnType<typeof viewOf>;

interface EdgeEvent {
  event: WebhookEvent;
  data?: Record<string, unknown>;
  /** What else the edge does (revocations, activity, notifications), in q, before the event is emitted. */
  effects?: () => Promise<void> | void;
  /**
   * What the delivery's view shows of its site and grant, read in q, when the edge's effects
   * change neither: the event then shows the row as the move wrote it (RETURNING), read back by
   * no statement of its own.
   */
  shows?: ViewParts;
}

/** What a delivery's view shows of its site and grant. */
interface ViewParts {
  site: Pick<SiteRow, 'name' | 'address' | 'timezone'> | undefined;
  grantStatus: string | undefined;
}

/**
 * The one way a delivery's status changes, in q: checks the edge against the state machine,
 * writes it only if the row is still in `d.status` (another relay process may have moved it),
 * and then runs the edge's effects and emits its webhook and live event (so the event shows the
 * delivery after the effects, e.g. its grant revoked; the live event goes out once q has
 * committed). Returns false, changing nothing, when the edge is not allowed or the delivery
 * moved meanwhile.
 */
export async function transition(ctx: RelayContext, q: Q, d: DeliveryRow, to: DeliveryStatus, change: DeliveryChange = {}, edge?: EdgeEvent): Promise<boolean> {
  if (!canTransition(d.status, to)) return false;
  if (edge?.shows) {
    const moved = await moveDeliveryRow(q, d.id, d.status, to, change, ctx.now());
    if (!moved) return false;
    await edge.effects?.();
    await emitDelivery(ctx, q, d, edge.event, edge.data, viewOf(moved as DeliveryRow, edge.shows.site, edge.shows.grantStatus));
    return true;
  }
  if (!(await moveDelivery(q, d.id, d.status, to, change, ctx.now()))) return false;
  await edge?.effects?.();
  if (edge) await emitDelivery(ctx, q, d, edge.event, edge.data);
  return true;
}

/** Per transaction, the view of each delivery its last event showed (emitDelivery), as written in it. */
const emittedViews = new WeakMap<Q, Map<number, DeliveryView>>();

/**
 * The delivery as the last event emitted in the transaction q showed it (read in q after that
 * change), or undefined. The courier entry's answer uses it: the OPERATION's effects emit the
 * delivery they unlocked in the transaction that also keeps the answer.
 */
export function viewEmittedIn(q: Q, id: number): DeliveryView | undefined {
  return emittedViews.get(q)?.get(id);
}

/** The delivery as its event just emitted in q showed it (nothing wrote it since), else as read in q. */
async function emittedOrRead(ctx: RelayContext, q: Q, id: number): Promise<DeliveryView> {
  return viewEmittedIn(q, id) ?? deliveryView(ctx, q, (await getDelivery(q, id))!);
}

/** The delivery's webhook (stored in q) and its live event (once q has committed); `known`: its view as it now stands in q, else read. */
async function emitDelivery(ctx: RelayContext, q: Q, d: DeliveryRow, event: WebhookEvent, data: Record<string, unknown> = {}, known?: DeliveryView): Promise<void> {
  const view = known ?? (await readDeliveryView(q, d.id))!;
  let views = emittedViews.get(q);
  if (!views) emittedViews.set(q, (views = new Map()));
  views.set(d.id, view);
  await enqueueWebhook(ctx, q, d.backend_id, event, { delivery: view, ...data });
  afterCommit(q, () => ctx.live.emit(['delivery:' + d.id], event, { delivery: view, ...data }));
}

const COURIER_GRANT_FLAGS = FLAG_CAMERA_REQUIRED | FLAG_RELOCK_ON_CLOSE;

/** `site`: the delivery's site, as the caller read it. */
async function stageCourierGrant(ctx: RelayContext, q: Q, d: DeliveryRow, site: SiteRow, consent: ConsentCover | null): Promise<number> {
  const g = await createGrant(ctx, q, {
    deviceId: d.device_id, siteId: d.site_id, kind: 'courier', type: 'one-time', label: 'delivery ' + d.tracking, consent,
    flags: COURIER_GRANT_FLAGS, notBefore: d.window_start, notAfter: d.window_end, maxUses: 1, relockAfter: 0,
    timezone: site.timezone, schedule: [], credential: { type: CRED_HASH_CHAIN, links: 1 }, actorRef: d.courier_id, deliveryId: d.id,
    createdBy: 'backend:' + d.backend_id
  });
  await setDeliveryGrant(q, d.id, g.id);
  return g.id;
}

export async function bookDelivery(ctx: RelayContext, p: Principal, input: BookInput): Promise<DeliveryView> {
  const site = await siteForBackend(ctx.store.q, p, input.siteId);
  const backendId = p.kind === 'backend' ? p.subjectId! : null;
  const courier = await getCourier(ctx, input.courierId);
  if (!courier || (backendId !== null && courier.backendId !== backendId)) throw relayError('KW_NOT_FOUND', { field: 'courierId' });
  const device = await siteLock(ctx.store.q, site.id, 'door', input.deviceId);
  const w = parseWindow(ctx, input.window, MAX_DELIVERY_WINDOW_MS);
  const inHome = input.inHome && site.allow_in_home === 1;
  // A lock in owner-consent mode takes the courier grant only under a standing consent covering it.
  const consent = inHome ? await coverForCourierGrant(ctx, device, courier.backendId, courierBounds(COURIER_GRANT_FLAGS, w.start, w.end)) : null;
  const view = await ctx.store.tx(async (q) => {
    const now = ctx.now();
    const d = (await insertDelivery(q, {
      site_id: site.id, device_id: device.id, backend_id: courier.backendId, courier_id: courier.id, tracking: input.trackingNumber.trim(),
      window_start: w.start, window_end: w.end, in_home: input.inHome ? 1 : 0, created_at: now, updated_at: now
    })) as DeliveryRow;
    if (inHome) await stageCourierGrant(ctx, q, d, site, consent);
    await recordActivity(ctx, q, { siteId: site.id, deviceId: device.id, kind: 'delivery.booked', actorKind: 'backend', actorId: courier.backendId, deliveryId: d.id,
      details: { trackingNumber: d.tracking, inHome: input.inHome, window: { start: input.window.start, end: input.window.end } } });
    await emitDelivery(ctx, q, d, 'delivery.booked');
    return emittedOrRead(ctx, q, d.id);
  });
  ctx.log.info({ deliveryId: view.id, siteId: site.id, courierId: courier.id, inHome: input.inHome }, 'delivery booked');
  return view;
}

/** The delivery if the caller may see it: its courier, its backend, the site owner, admin. 404 otherwise. */
export async function deliveryFor(ctx: RelayContext, q: Q, p: Principal, id: number): Promise<DeliveryRow> {
  const d = await getDelivery(q, id);
  if (!d) throw relayError('KW_NOT_FOUND');
  // Only what the caller's kind needs is read.
  const partner = p.kind === 'backend' && d.backend_id === p.subjectId && (await isPartner(q, d.site_id, p.subjectId));
  const site = p.kind === 'owner' ? await getSiteRow(q, d.site_id) : undefined;
  return readableBy(p, d, site, partner);
}

/**
 * The delivery if the caller may see it (deliveryFor's rule), on what has been read of it: its
 * site (needed for an owner) and whether its backend is the site's partner (for a backend).
 */
export function readableBy(p: Principal, d: DeliveryRow, site: Pick<SiteRow, 'owner_id'> | undefined, partner: boolean): DeliveryRow {
  if (p.kind === 'admin') return d;
  if (p.kind === 'courier' && d.courier_id === p.subjectId) return d;
  if (p.kind === 'backend' && d.backend_id === p.subjectId && partner) return d;
  if (p.kind === 'owner' && site && site.owner_id === p.subjectId) return d;
  throw relayError('KW_NOT_FOUND');
}

function viewerOf(p: Principal): DeliveryViewer | null {
  if (p.kind === 'admin') return { kind: 'admin' };
  if ((p.kind === 'courier' || p.kind === 'backend' || p.kind === 'owner') && p.subjectId !== null) return { kind: p.kind, id: p.subjectId };
  return null;
}

export async function listDeliveries(ctx: RelayContext, p: Principal, f: { siteId?: number; status?: string; limit: number }): Promise<DeliveryView[]> {
  const viewer = viewerOf(p);
  if (!viewer) return [];
  const q = ctx.store.q;
  const rows = (await deliveriesVisibleTo(q, viewer, f)) as DeliveryRow[];
  const views: DeliveryView[] = [];
  for (const d of rows) views.push(await deliveryView(ctx, q, d));
  return views;
}

async function revokeDeliveryGrant(ctx: RelayContext, q: Q, d: DeliveryRow, by: string, reason: string): Promise<void> {
  const g = d.grant_id ? await getGrant(q, d.grant_id) : undefined;
  if (g) await revokeGrant(ctx, q, g, by, reason);
}

function lockDeviceFirst(q: Q, d: DeliveryRow): Promise<void> {
  return lockDevicesFirst(q, [d.device_id]);
}

/**
 * The delivery read again in q once its lock's row is held: the read before q may be stale in
 * more than its status (blocked and unblocked meanwhile, it is booked again with another grant),
 * and a move checked on the status alone would then revoke the grant it read, not the one staged.
 */
async function lockAndReread(q: Q, d: DeliveryRow): Promise<DeliveryRow> {
  await lockDeviceFirst(q, d);
  return (await getDelivery(q, d.id))!;
}

function changedMeanwhile(status: string | undefined) {
  return relayError('KW_CONFLICT', { status }, 'The delivery changed meanwhile.');
}

export async function blockDelivery(ctx: RelayContext, p: Principal, id: number, reason: string | undefined): Promise<DeliveryView> {
  const d = await deliveryFor(ctx, ctx.store.q, p, id);
  if (p.kind !== 'owner' && p.kind !== 'admin') throw relayError('KW_FORBIDDEN');
  await siteForOwner(ctx.store.q, p, d.site_id);
  if (d.status === 'blocked') return deliveryView(ctx, ctx.store.q, d);
  if (!canTransition(d.status, 'blocked')) throw relayError('KW_DELIVERY_CLOSED', { status: d.status });
  return ctx.store.tx(async (q) => {
    const cur = await lockAndReread(q, d);
    const effects = async () => {
      await revokeDeliveryGrant(ctx, q, cur, 'owner:' + p.subjectId, 'delivery blocked');
      await recordActivity(ctx, q, { siteId: cur.site_id, deviceId: cur.device_id, kind: 'delivery.blocked', reason: reason ?? null, actorKind: 'owner', actorId: p.subjectId, deliveryId: id });
      await notify(ctx, q, { recipientKind: 'courier', recipientId: cur.courier_id, deliveryId: id, kind: 'delivery.blocked', body: { deliveryId: id } });
    };
    if (!(await transition(ctx, q, cur, 'blocked', { block_reason: reason ?? 'blocked by owner' }, { event: 'delivery.blocked', data: { reason: reason ?? null }, effects }))) {
      throw changedMeanwhile((await getDelivery(q, id))?.status);
    }
    return emittedOrRead(ctx, q, id);
  });
}

export async function unblockDelivery(ctx: RelayContext, p: Principal, id: number): Promise<DeliveryView> {
  const d = await deliveryFor(ctx, ctx.store.q, p, id);
  if (p.kind !== 'owner' && p.kind !== 'admin') throw relayError('KW_FORBIDDEN');
  if (d.status !== 'blocked') throw relayError('KW_CONFLICT', { status: d.status }, 'Only a blocked delivery can be unblocked.');
  if (d.window_end <= ctx.now()) throw relayError('KW_OUTSIDE_WINDOW');
  const device = (await getDevice(ctx.store.q, d.device_id))!;
  const consent = d.in_home === 1 ? await coverForCourierGrant(ctx, device, d.backend_id, courierBounds(COURIER_GRANT_FLAGS, d.window_start, d.window_end)) : null;
  return ctx.store.tx(async (q) => {
    await lockDeviceFirst(q, d);
    if (!(await transition(ctx, q, d, 'booked', { block_reason: null, grant_id: null }))) throw changedMeanwhile((await getDelivery(q, id))?.status);
    const site = (await getSiteRow(q, d.site_id))!;
    if (d.in_home === 1 && site.allow_in_home === 1) await stageCourierGrant(ctx, q, (await getDelivery(q, id))!, site, consent);
    await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.device_id, kind: 'delivery.unblocked', actorKind: 'owner', actorId: p.subjectId, deliveryId: id });
    return deliveryView(ctx, q, (await getDelivery(q, id))!);
  });
}

export async function cancelDelivery(ctx: RelayContext, p: Principal, id: number): Promise<DeliveryView> {
  const d = await deliveryFor(ctx, ctx.store.q, p, id);
  if (p.kind === 'courier') throw relayError('KW_FORBIDDEN');
  if (d.status === 'cancelled') return deliveryView(ctx, ctx.store.q, d);
  if (!canTransition(d.status, 'cancelled')) throw relayError('KW_DELIVERY_CLOSED', { status: d.status });
  return ctx.store.tx(async (q) => {
    const cur = await lockAndReread(q, d);
    const effects = async () => {
      await revokeDeliveryGrant(ctx, q, cur, p.kind + ':' + p.subjectId, 'delivery cancelled');
      await recordActivity(ctx, q, { siteId: cur.site_id, deviceId: cur.device_id, kind: 'delivery.cancelled', actorKind: p.kind, actorId: p.subjectId, deliveryId: id });
      await notify(ctx, q, { recipientKind: 'courier', recipientId: cur.courier_id, deliveryId: id, kind: 'delivery.cancelled', body: { deliveryId: id } });
    };
    if (!(await transition(ctx, q, cur, 'cancelled', {}, { event: 'delivery.cancelled', effects }))) throw changedMeanwhile((await getDelivery(q, id))?.status);
    return emittedOrRead(ctx, q, id);
  });
}

// ---- effects of lock events (run once, by the process that stored the event, in its transaction q) ----

/**
 * The lock unlocked for the courier. Nobody is inside yet: that takes a door-open event. Both
 * the OPERATION event's effect and the relay answering the entry request call this; the
 * first one moves the delivery, the other finds it moved and does nothing.
 */
export async function onDeliveryUnlocked(ctx: RelayContext, q: Q, id: number, method: string, seq: number, clip: string | null): Promise<void> {
  // Read with its site and grant (the grant's use is already spent in q; this edge changes neither): its event's view needs no read after the move.
  const r = await readForDeliveryView(q, id);
  if (!r) return;
  await transition(ctx, q, r.delivery as DeliveryRow, 'unlocked', { entry_method: method, entry_seq: seq, entered_at: ctx.now(), clip },
    { event: 'delivery.unlocked', data: { eventSeq: seq, clip }, shows: { site: r.site, grantStatus: r.grantStatus } });
}

/** A door-open STATE event after a courier unlock: the courier is inside. */
export async function onDoorOpened(ctx: RelayContext, q: Q, deviceId: string, seq: number): Promise<void> {
  for (const d of (await deliveriesEnteredBefore(q, deviceId, ['unlocked'], seq)) as DeliveryRow[]) {
    const effects = async () => {
      await recordActivity(ctx, q, { siteId: d.site_id, deviceId, kind: 'delivery.entered', actorKind: 'courier', actorId: d.courier_id, deliveryId: d.id, eventSeq: seq, clip: d.clip,
        details: { trackingNumber: d.tracking } });
      await notifySiteOwner(ctx, q, d.site_id, 'delivery.entered', { deliveryId: d.id, trackingNumber: d.tracking, eventSeq: seq, clip: d.clip }, d.id);
    };
    await transition(ctx, q, d, 'entered', { door_opened_seq: seq, door_opened_at: ctx.now() }, { event: 'delivery.entered', data: { eventSeq: seq, clip: d.clip }, effects });
  }
}

export async function onDeliveryDenied(ctx: RelayContext, q: Q, id: number, reason: string, code: number): Promise<void> {
  const d = await getDelivery(q, id);
  if (!d) return;
  if (d.status === 'entering') await transition(ctx, q, d, 'booked');
  await emitDelivery(ctx, q, d, 'delivery.denied', { reason, code });
}

export async function onDeliveryFault(ctx: RelayContext, q: Q, id: number, reason: string, seq: number): Promise<void> {
  const d = await getDelivery(q, id);
  if (!d) return;
  await transition(ctx, q, d, 'failed', {}, {
    event: 'delivery.failed', data: { reason, eventSeq: seq },
    effects: async () => {
      await notifySiteOwner(ctx, q, d.site_id, 'delivery.failed', { deliveryId: id, reason, eventSeq: seq }, id);
      await notify(ctx, q, { recipientKind: 'courier', recipientId: d.courier_id, deliveryId: id, kind: 'delivery.failed', body: { deliveryId: id, reason } });
    }
  });
}

/**
 * First STATE event after the entry with the door closed and the bolt thrown: the secured
 * receipt. It says whether the door was opened at all between the unlock and the relock.
 * Returns how many deliveries it secured.
 */
export async function secureDeliveries(ctx: RelayContext, q: Q, deviceId: string, seq: number, hashHex: string): Promise<number> {
  let secured = 0;
  for (const d of (await deliveriesEnteredBefore(q, deviceId, statusesLeadingTo('secured'), seq)) as DeliveryRow[]) {
    const receipt: Receipt = { deliveryId: d.id, deviceId, eventSeq: seq, eventHash: hashHex, time: new Date(ctx.now()).toISOString(), doorOpened: d.status === 'entered' };
    const effects = async () => {
      await recordActivity(ctx, q, { siteId: d.site_id, deviceId, kind: 'delivery.secured', deliveryId: d.id, eventSeq: seq, details: { receipt } });
      await notify(ctx, q, { recipientKind: 'courier', recipientId: d.courier_id, deliveryId: d.id, kind: 'delivery.secured', body: { receipt } });
      await notifySiteOwner(ctx, q, d.site_id, receipt.doorOpened ? 'delivery.secured' : 'delivery.relocked', { receipt, trackingNumber: d.tracking }, d.id);
    };
    if (!(await transition(ctx, q, d, 'secured', { receipt: JSON.stringify(receipt) }, { event: 'delivery.secured', data: { receipt }, effects }))) continue;
    secured++;
    const g = d.grant_id ? await getGrant(q, d.grant_id) : undefined;
    if (g && (g.status === 'active' || g.status === 'pending')) await revokeGrant(ctx, q, g, 'relay', 'delivery completed');
    ctx.log.info({ deliveryId: d.id, deviceId, eventSeq: seq, doorOpened: receipt.doorOpened }, 'delivery secured');
  }
  return secured;
}

/**
 * A receipt signed by the lock for a secured delivery (docs/protocol.md §6.2): its bytes go to
 * the courier, the owner and the backend unchanged (hex), with the pinned lock key to check it.
 */
export async function passSignedReceipt(ctx: RelayContext, q: Q, id: number, signed: { eventSeq: number; signedReceipt: string; lockKey: string | null }): Promise<void> {
  const d = await getDelivery(q, id);
  if (!d) return;
  const body = { deliveryId: d.id, deviceId: d.device_id, ...signed };
  await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.device_id, kind: 'delivery.receipt_signed', deliveryId: d.id, eventSeq: signed.eventSeq, details: body });
  await notify(ctx, q, { recipientKind: 'courier', recipientId: d.courier_id, deliveryId: d.id, kind: 'delivery.receipt_signed', body });
  await notifySiteOwner(ctx, q, d.site_id, 'delivery.receipt_signed', { ...body, trackingNumber: d.tracking }, d.id);
  await emitDelivery(ctx, q, d, 'delivery.receipt_signed', { signedReceipt: signed.signedReceipt, lockKey: signed.lockKey, eventSeq: signed.eventSeq });
}

/** Door left open or bolt jammed while a courier is (or just was) inside: owner and courier hear of it. */
export async function alarmDeliveries(ctx: RelayContext, q: Q, deviceId: string, alarm: string, seq: number): Promise<number> {
  const rows = (await deliveriesAtTheDoor(q, deviceId, ['entering', 'unlocked', 'entered'], ctx.now() - ALARM_AFTER_SECURED_MS)) as DeliveryRow[];
  for (const d of rows) {
    const alarms = JSON.parse(d.alarms) as unknown[];
    alarms.push({ alarm, eventSeq: seq, time: new Date(ctx.now()).toISOString() });
    await setDeliveryAlarms(q, d.id, JSON.stringify(alarms), ctx.now());
    await notify(ctx, q, { recipientKind: 'courier', recipientId: d.courier_id, deliveryId: d.id, kind: 'delivery.alarm', body: { deliveryId: d.id, alarm, eventSeq: seq } });
    await emitDelivery(ctx, q, d, 'delivery.alarm', { alarm, eventSeq: seq });
  }
  return rows.length;
}

/**
 * What a lock event means for the relay's records (docs/protocol.md §6). Runs exactly once
 * per event, inside the transaction that stored it: outbox ACKs, grant and delivery
 * transitions, secured receipts, alarms to owner and courier, and the activity feed.
 */
import {
  ACT_LOCK, AL_DOOR_AJAR, AL_JAM, AL_MOTOR_FAULT, AL_OWNER_RESET, EV_ACK, EV_ALARM, EV_ALARM_CLEARED, EV_BOOT, EV_CAMERA, EV_DENIAL, EV_OPERATION,
  EV_STATE, SRC_AUTO, SRC_BARCODE, SRC_BUTTON, SRC_COMMAND, SRC_REVEAL
} from '@keyway/shared';
import type { RelayContext } from '../context';
import { commandDeliveryAt } from '../data/commands';
import { clearCameraCapture, setCameraCapture } from '../data/devices';
import type { Q } from '../data/store';
import { noteReasonForOwnerTime, tellOwnerTimeNeeded } from './owner-time';
import { recordActivity } from '../domain/activity';
import { clipRefOf, onLockCameraEvent } from '../domain/camera-clips';
import {
  alarmDeliveries, onDeliveryDenied, onDeliveryFault, onDeliveryUnlocked, onDoorOpened, secureDeliveries
} from '../domain/deliveries';
import type { DeviceRow } from '../domain/devices';
import { getGrant, onGrantPutAck, onGrantRevokeAck, onGrantUsed, type GrantRow } from '../domain/grants';
import { actorKindName, alarmName, boltName, DOOR_OPEN, doorName, reasonName, SECURED } from '../domain/names';
import { notifySiteOwner } from '../domain/notifications';
import { forgetOwnerConsent, recordOwnerAck } from '../domain/owner-record';
import { onParcelOpened } from '../domain/parcels';
import { onKeyRotateAck } from './key-rotation';
import { forwardReceipt, noteSecuredNothing } from './receipt-intake';
import { ACTION_NAMES, deliveryOfLastSent, recordAck } from './outbox';
import type { ReceivedEvent } from './waiters';

const BOOT_CAUSES = ['power-on', 'watchdog', 'software'];
const SOURCES: Record<number, string> = { [SRC_COMMAND]: 'command', [SRC_REVEAL]: 'reveal', [SRC_BUTTON]: 'button', [SRC_AUTO]: 'auto', [SRC_BARCODE]: 'barcode' };

/** A clip is named by the lock and the capture number its CAMERA event carries (docs/protocol.md §6.1). */
export function clipRef(deviceId: string, capture: number): string {
  return clipRefOf(deviceId, capture);
}

/** The capture number of a CAMERA event: its ref (older firmware put its own seq there, or 0). */
export function captureOf(ev: Pick<ReceivedEvent, 'ref' | 'seq'>): number {
  return ev.ref || ev.seq;
}

function base(d: DeviceRow, ev: ReceivedEvent) {
  return { siteId: d.site_id, deviceId: d.id, eventSeq: ev.seq, actorKind: actorKindName(ev.actorKind), actorId: ev.actorRef || null };
}

/**
 * Runs inside the transaction q that stored the event. True when the lock's sync should look
 * again (reconcile.ts): an acknowledgement of a sync step or of an owner statement; a door
 * action's acknowledgement changes nothing the sync plans from.
 */
export async function applyEventEffects(ctx: RelayContext, q: Q, d: DeviceRow, ev: ReceivedEvent): Promise<boolean> {
  // A grant held back until an owner device confirms the lock's clock: the owner page does that when it sees this.
  if ((ev.type === EV_ACK || ev.type === EV_DENIAL) && (await noteReasonForOwnerTime(q, d.id, ev.code))) {
    ctx.live.emit(['site:' + d.site_id], 'lock', { deviceId: d.id, ownerTimeNeeded: true });
    await tellOwnerTimeNeeded(ctx, q, d, 'refusal');
  }
  switch (ev.type) {
    case EV_BOOT:
      await recordActivity(ctx, q, { ...base(d, ev), kind: 'boot', reason: BOOT_CAUSES[ev.code] ?? 'unknown', code: ev.code, actorKind: null, actorId: null });
      return false;
    case EV_STATE:
      await onState(ctx, q, d, ev);
      return false;
    case EV_OPERATION:
      await onOperation(ctx, q, d, ev);
      return false;
    case EV_DENIAL:
      await onDenial(ctx, q, d, ev);
      return false;
    case EV_ALARM:
      await onAlarm(ctx, q, d, ev);
      return false;
    case EV_ACK:
      return onAck(ctx, q, d, ev);
    case EV_CAMERA:
      await onCamera(ctx, q, d, ev);
      return false;
    case EV_ALARM_CLEARED:
      await recordActivity(ctx, q, { ...base(d, ev), kind: 'alarm.cleared', reason: alarmName(ev.code), code: ev.code });
      return false;
    default:
      return false;
  }
}

async function onState(ctx: RelayContext, q: Q, d: DeviceRow, ev: ReceivedEvent): Promise<void> {
  const bolt = ev.data.length > 0 ? ev.data[0] : 0;
  const door = ev.data.length > 1 ? ev.data[1] : 0;
  // Written with the log head, once the intake stored every event it takes together (event-intake.ts writeLogHead).
  d.bolt = bolt;
  d.door = door;
  await recordActivity(ctx, q, { ...base(d, ev), kind: 'state', actorKind: null, actorId: null, details: { bolt: boltName(bolt), door: doorName(door) } });
  ctx.live.emit(['site:' + d.site_id], 'lock', { deviceId: d.id, bolt: boltName(bolt), door: doorName(door), eventSeq: ev.seq });
  if (door === DOOR_OPEN) await onDoorOpened(ctx, q, d.id, ev.seq);
  if (bolt === SECURED.bolt && door === SECURED.door) {
    // A receipt stored before this event (one that overtook it) is passed on to what it secured;
    // when it secured nothing, no delivery names it (only this event's effects secure at its seq and hash).
    if ((await secureDeliveries(ctx, q, d.id, ev.seq, ev.hashHex)) > 0) await forwardReceipt(ctx, q, d.id, d.log_epoch, ev.seq);
    else noteSecuredNothing(ctx, q, d.id, { epoch: d.log_epoch, seq: ev.seq, hashHex: ev.hashHex });
  }
}

/**
 * The clip of the lock's last CAMERA event, used up; d is the row locked by this event's
 * transaction, kept in step with what is written (an OPERATION may follow its CAMERA in one batch).
 */
async function takeClip(q: Q, d: DeviceRow): Promise<string | null> {
  const capture = d.last_camera_seq;
  if (capture === null) return null;
  await clearCameraCapture(q, d.id);
  d.last_camera_seq = null;
  return clipRef(d.id, capture);
}

async function onOperation(ctx: RelayContext, q: Q, d: DeviceRow, ev: ReceivedEvent): Promise<void> {
  const action = ev.data.length > 0 ? ev.data[0] : 0;
  const source = ev.data.length > 1 ? ev.data[1] : 0;
  const ok = ev.code === 0;
  const clip = await takeClip(q, d);
  let deliveryId: number | null = null;
  let grant: GrantRow | undefined;
  let parcelId: number | null = null;
  if (source === SRC_COMMAND) {
    // The command this process sent last to the lock is known without a read (outbox.ts).
    const sent = deliveryOfLastSent(ctx, d.id, ev.ref);
    deliveryId = sent !== undefined ? sent : ((await commandDeliveryAt(q, d.id, ev.ref))?.delivery_id ?? null);
  } else if (source === SRC_REVEAL || source === SRC_BARCODE) {
    const g = await getGrant(q, ev.ref);
    if (g && g.device_id === d.id) {
      // Read once: spending a use changes its uses and status, not its kind or label.
      grant = g;
      deliveryId = g.delivery_id;
      parcelId = g.parcel_id;
      await onGrantUsed(ctx, q, g.id);
    }
  }
  const grantId = grant?.id ?? null;
  const kind = !ok ? 'operation.failed' : action === ACT_LOCK ? 'lock' : 'unlock';
  await recordActivity(ctx, q, {
    ...base(d, ev), kind, reason: ok ? null : reasonName(ev.code), code: ev.code, grantId, deliveryId, clip,
    details: { action: ACTION_NAMES[action] ?? action, source: SOURCES[source] ?? source, ...(parcelId ? { parcelId } : {}) }
  });
  if (!ok) await notifySiteOwner(ctx, q, d.site_id, 'lock.fault', { deviceId: d.id, reason: reasonName(ev.code), eventSeq: ev.seq }, deliveryId);
  const g = grant;
  if (ok && action !== ACT_LOCK && g && (g.kind === 'guest' || g.kind === 'service')) {
    await notifySiteOwner(ctx, q, d.site_id, 'access.used', { deviceId: d.id, grantId: g.id, label: g.label, grantKind: g.kind, eventSeq: ev.seq, clip });
  }
  if (deliveryId !== null && action !== ACT_LOCK) {
    if (ok) await onDeliveryUnlocked(ctx, q, deliveryId, SOURCES[source] ?? 'command', ev.seq, clip);
    else await onDeliveryFault(ctx, q, deliveryId, reasonName(ev.code), ev.seq);
  }
  if (parcelId !== null && ok) await onParcelOpened(ctx, q, parcelId, ev.seq);
}

async function onDenial(ctx: RelayContext, q: Q, d: DeviceRow, ev: ReceivedEvent): Promise<void> {
  const g = ev.ref ? await getGrant(q, ev.ref) : undefined;
  const grant = g && g.device_id === d.id ? g : undefined;
  const source = ev.data.length > 1 ? ev.data[1] : 0;
  await recordActivity(ctx, q, {
    ...base(d, ev), kind: 'denial', reason: reasonName(ev.code), code: ev.code, grantId: grant?.id ?? null, deliveryId: grant?.delivery_id ?? null,
    details: { source: SOURCES[source] ?? source }
  });
  if (grant?.delivery_id) await onDeliveryDenied(ctx, q, grant.delivery_id, reasonName(ev.code), ev.code);
}

async function onAlarm(ctx: RelayContext, q: Q, d: DeviceRow, ev: ReceivedEvent): Promise<void> {
  const name = alarmName(ev.code);
  await recordActivity(ctx, q, { ...base(d, ev), kind: 'alarm', reason: name, code: ev.code, actorKind: null, actorId: null });
  await notifySiteOwner(ctx, q, d.site_id, 'alarm', { deviceId: d.id, alarm: name, eventSeq: ev.seq });
  if (ev.code === AL_DOOR_AJAR || ev.code === AL_JAM || ev.code === AL_MOTOR_FAULT) await alarmDeliveries(ctx, q, d.id, name, ev.seq);
  if (ev.code === AL_OWNER_RESET) forgetOwnerConsent(ctx, d.id);
  ctx.log.warn({ deviceId: d.id, alarm: name, eventSeq: ev.seq }, 'lock alarm');
}

/** Purposes whose acknowledgement leaves the sync's plan as it was. */
const DOOR_PURPOSES: ReadonlySet<string> = new Set(['entry', 'owner_unlock', 'owner_lock']);

async function onAck(ctx: RelayContext, q: Q, d: DeviceRow, ev: ReceivedEvent): Promise<boolean> {
  const cmd = await recordAck(ctx, q, d.id, ev.ref, ev.code, ev.seq);
  const reason = reasonName(ev.code);
  if (!cmd) {
    // A command this relay never sent reached the lock: something published on the lock's
    // command topic (a broker compromise, a replay, a stolen key). Always worth the owner's eyes.
    const action = ev.data.length > 0 ? ev.data[0] : 0;
    await recordActivity(ctx, q, {
      ...base(d, ev), kind: 'command.foreign', reason, code: ev.code,
      details: { action: ACTION_NAMES[action] ?? action, counter: ev.ref, acceptedByLock: ev.code === 0 }
    });
    await notifySiteOwner(ctx, q, d.site_id, ev.code === 0 ? 'security.foreign_command_accepted' : 'security.foreign_command_refused',
      { deviceId: d.id, reason, counter: ev.ref, eventSeq: ev.seq });
    return false;
  }
  if (ev.code !== 0) {
    // A refusal that passes with time (no trusted time yet, busy, storage) is retried by the sync.
    await recordActivity(ctx, q, {
      ...base(d, ev), kind: cmd.transient ? 'command.retrying' : 'command.refused', reason, code: ev.code, grantId: cmd.grant_id, deliveryId: cmd.delivery_id,
      details: { action: ACTION_NAMES[cmd.action], counter: cmd.counter, purpose: cmd.purpose }
    });
  }
  switch (cmd.purpose) {
    case 'grant_put':
      if (cmd.grant_id) await onGrantPutAck(ctx, q, cmd.grant_id, ev.code, reason);
      break;
    case 'grant_revoke':
      if (cmd.grant_id) await onGrantRevokeAck(ctx, q, cmd.grant_id, ev.code, reason);
      break;
    case 'key_rotate':
      await onKeyRotateAck(ctx, q, cmd, ev.code);
      break;
    case 'entry':
      if (ev.code !== 0 && cmd.delivery_id) await onDeliveryDenied(ctx, q, cmd.delivery_id, reason, ev.code);
      break;
    case 'owner_statement':
    case 'owner_key_add':
      if (ev.code === 0) recordOwnerAck(ctx, cmd);
      break;
    default:
  }
  return !DOOR_PURPOSES.has(cmd.purpose);
}

async function onCamera(ctx: RelayContext, q: Q, d: DeviceRow, ev: ReceivedEvent): Promise<void> {
  const ok = ev.code === 0;
  const capture = captureOf(ev);
  if (ok) {
    await setCameraCapture(q, d.id, capture);
    d.last_camera_seq = capture;
  }
  await recordActivity(ctx, q, { ...base(d, ev), kind: 'camera', reason: ok ? null : reasonName(ev.code), code: ev.code, clip: ok ? clipRef(d.id, capture) : null });
  if (ok) await onLockCameraEvent(ctx, q, d, capture, ev.seq, ev.data);
}

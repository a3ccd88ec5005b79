/**
 * Intake of lock-signed receipts (docs/protocol.md §6.2) from kw/<id>/evt, told from events by
 * their tag. The relay checks the signature under the lock key it pinned (the installer's, or
 * the first valid receipt's), stores the bytes verbatim, and once the delivery the receipt
 * closes is secured, passes the bytes unchanged to the courier, the owner and the backend. It
 * never signs, edits or re-encodes a receipt: its word adds nothing to the lock's signature.
 */
import { decodeReceipt, toHex, type SignedReceipt } from '@keyway/shared';
import { strictNodeVerifier } from '@keyway/shared/node';
import type { ReceiptBundle } from '@keyway/shared';
import type { RelayContext } from '../context';
import {
  deliveriesSecuredAt, insertReceipt, markReceiptForwarded, pinLockKey, pinnedLockKey, rawEvents, receiptAt, receiptsAtSecuredSeq, type StoredReceipt
} from '../data/receipts';
import { recordActivity } from '../domain/activity';
import { passSignedReceipt } from '../domain/deliveries';
import { lockDevice, type DeviceRow } from '../data/devices';
import { afterCommit, type Q } from '../data/store';
import { notifySiteOwner } from '../domain/notifications';
import type { IntakeResult } from './event-intake';
import { takeLockMessage } from './lock-intake';

/**
 * Receipt signatures are checked with OpenSSL behind the lock verifier's strictness rules
 * (docs/verifier.md#strictness): the same verdicts, about a tenth of the portable verifier's
 * cost. Its key objects are a pure function of the key bytes, so one verifier serves the process.
 */
const receiptVerifier = strictNodeVerifier();

/**
 * Stores (or refuses) one receipt in the lock's intake (lock-intake.ts), with the lock's events
 * and statuses that queued up with it; resolves once the outcome is committed.
 */
export function handleReceiptMessage(ctx: RelayContext, topicDeviceId: string, payload: Uint8Array): Promise<IntakeResult> {
  return takeLockMessage(ctx, topicDeviceId, { kind: 'receipt', payload }) as Promise<IntakeResult>;
}

/** The receipt in a payload from the lock's event topic, or null (logged) when it is malformed or another lock's. */
export function decodeLockReceipt(ctx: RelayContext, topicDeviceId: string, payload: Uint8Array): SignedReceipt | null {
  let rc: SignedReceipt;
  try {
    rc = decodeReceipt(payload);
  } catch (err) {
    ctx.log.warn({ deviceId: topicDeviceId, error: (err as Error).message, bytes: payload.length }, 'malformed lock receipt dropped');
    return null;
  }
  if (toHex(rc.deviceId) !== topicDeviceId) {
    ctx.log.warn({ deviceId: topicDeviceId, claimed: toHex(rc.deviceId) }, 'lock receipt for another device dropped');
    return null;
  }
  return rc;
}

/** What storing a receipt reads of the device row; a pinned key is written back into it. */
export type ReceiptDevice = Pick<DeviceRow, 'id' | 'site_id' | 'log_epoch' | 'public_key'>;

/** One receipt in a transaction of its own (a receipt of a batch whose transaction failed). */
export async function storeReceiptAlone(ctx: RelayContext, deviceId: string, rc: SignedReceipt, raw: Uint8Array): Promise<IntakeResult> {
  try {
    return await ctx.store.tx(async (q) => {
      const d = await lockDevice(q, deviceId);
      return d ? storeReceipt(ctx, q, d, rc, raw) : 'unknown-device';
    });
  } catch (err) {
    // Not kept: the broker does not acknowledge it, and the lock sends it again after reconnecting.
    if (!ctx.closing) ctx.log.error({ err, deviceId, eventSeq: rc.seq }, 'storing lock receipt failed: not acknowledged');
    return 'unavailable';
  }
}

/** Stores (or refuses) a receipt in the transaction q, on the device row d that q has locked. */
export async function storeReceipt(ctx: RelayContext, q: Q, d: ReceiptDevice, rc: SignedReceipt, raw: Uint8Array): Promise<IntakeResult> {
  const deviceId = d.id;
  const keyHex = toHex(rc.lockKey);
  const pinned = d.public_key;
  if (pinned !== null && pinned !== keyHex) {
    await refuse(ctx, q, d.site_id, deviceId, rc.seq, 'the receipt names another lock key than the one pinned', { pinnedKey: pinned, receivedKey: keyHex });
    return 'rejected';
  }
  if (!receiptVerifier.verify(rc.signed, rc.signature, rc.lockKey)) {
    await refuse(ctx, q, d.site_id, deviceId, rc.seq, 'the receipt signature does not verify', {});
    return 'rejected';
  }
  if (pinned === null && (await pinLockKey(q, deviceId, keyHex))) {
    d.public_key = keyHex;
    await recordActivity(ctx, q, { siteId: d.site_id, deviceId, kind: 'lock.key_pinned', eventSeq: rc.seq, details: { lockKey: keyHex } });
    ctx.log.info({ deviceId, lockKey: keyHex }, 'lock key pinned from its first receipt');
  }
  if (!(await insertReceipt(q, deviceId, d.log_epoch, rc.seq, raw, ctx.now()))) return 'duplicate';
  ctx.log.info({ deviceId, eventSeq: rc.seq, entrySeq: rc.entrySeq, grantId: rc.grantId }, 'lock receipt stored');
  await forwardReceipt(ctx, q, deviceId, d.log_epoch, rc.seq, { raw, head: rc.head });
  return 'stored';
}

async function refuse(ctx: RelayContext, q: Q, siteId: number, deviceId: string, seq: number, reason: string, details: Record<string, unknown>): Promise<void> {
  await recordActivity(ctx, q, { siteId, deviceId, kind: 'security.receipt_refused', eventSeq: seq, reason, details });
  await notifySiteOwner(ctx, q, siteId, 'security.receipt_refused', { deviceId, eventSeq: seq, reason, ...details });
  ctx.log.warn({ deviceId, eventSeq: seq, reason, ...details }, 'lock receipt refused');
}

/** A receipt just stored: its bytes and the hash of the STATE event it names (its head). */
export interface JustStoredReceipt {
  raw: Uint8Array;
  head: Uint8Array;
}

/**
 * Passes a stored receipt on, once, to every delivery secured by the event it names: the STATE
 * event at its sequence number whose hash is its head (docs/relay.md "Receipts signed by the
 * lock"; the sequence number alone would also name an older log epoch's event). Runs when the
 * receipt arrives and again when the STATE event it names secures a delivery, whichever is later
 * (a receipt can overtake the lock's queued events after a reconnect). `justStored`: the receipt
 * the caller has just stored in q (not forwarded yet), which needs no reading back.
 */
export async function forwardReceipt(ctx: RelayContext, q: Q, deviceId: string, epoch: number, seq: number, justStored?: JustStoredReceipt): Promise<void> {
  const r = justStored ?? (await unforwardedReceiptAt(q, deviceId, epoch, seq));
  if (!r || securedNothingAt(ctx, deviceId, epoch, seq, r.head)) return;
  const deliveries = await deliveriesSecuredAt(q, deviceId, seq, toHex(r.head));
  if (deliveries.length === 0) return;
  const key = await pinnedLockKey(q, deviceId);
  for (const id of deliveries) await passSignedReceipt(ctx, q, id, { eventSeq: seq, signedReceipt: toHex(r.raw), lockKey: key });
  await markReceiptForwarded(q, deviceId, epoch, seq, ctx.now());
}

/** A lock's STATE event: its log epoch, seq and hash (hex). */
interface StatePoint {
  epoch: number;
  seq: number;
  hashHex: string;
}

/** Per relay, each lock's last STATE event this process stored, committed, that secured no delivery. */
const securedNothing = new WeakMap<RelayContext, Map<string, StatePoint>>();

/**
 * The lock's STATE event at `seq` (epoch, hash) secured no delivery, known once the transaction
 * q that stored it has committed. Only that event's effects secure deliveries at its seq and
 * hash, so the receipt that names it (it follows a relock, often an owner's lock) has nothing to
 * be passed to, and forwardReceipt looks for no delivery.
 */
export function noteSecuredNothing(ctx: RelayContext, q: Q, deviceId: string, state: StatePoint): void {
  afterCommit(q, () => {
    let byLock = securedNothing.get(ctx);
    if (!byLock) securedNothing.set(ctx, (byLock = new Map()));
    byLock.set(deviceId, state);
  });
}

function securedNothingAt(ctx: RelayContext, deviceId: string, epoch: number, seq: number, head: Uint8Array): boolean {
  const s = securedNothing.get(ctx)?.get(deviceId);
  return !!s && s.seq === seq && s.epoch === epoch && s.hashHex === toHex(head);
}

/** The stored receipt at this log position while it is not passed on yet, with the head it names. */
async function unforwardedReceiptAt(q: Q, deviceId: string, epoch: number, seq: number): Promise<JustStoredReceipt | null> {
  const r = await receiptAt(q, deviceId, epoch, seq);
  return r && !r.forwarded ? { raw: r.raw, head: decodeReceipt(r.raw).head } : null;
}

/**
 * What `keyway verify-receipt` checks for a delivery: the receipt bytes, the pinned lock key and
 * the lock's events from the named camera event (or the entry) to the head, all hex, as stored.
 */
export async function receiptBundle(ctx: RelayContext, deliveryId: number): Promise<ReceiptBundle | null> {
  const q = ctx.store.q;
  const found = await receiptForDelivery(q, deliveryId);
  if (!found) return null;
  const { r, rc } = found;
  const from = rc.cameraSeq > 0 ? rc.cameraSeq : rc.entrySeq;
  return {
    receipt: toHex(r.raw), lockKey: (await pinnedLockKey(q, r.deviceId)) ?? '', events: (await rawEvents(q, r.deviceId, r.epoch, from, rc.seq)).map(toHex)
  };
}

/**
 * The stored receipt that names the event which secured the delivery: at its sequence number,
 * with its hash as head. Another log epoch's receipt at the same sequence number is another event's.
 */
async function receiptForDelivery(q: Q, deliveryId: number): Promise<{ r: StoredReceipt; rc: SignedReceipt } | null> {
  for (const r of await receiptsAtSecuredSeq(q, deliveryId)) {
    const rc = decodeReceipt(r.raw);
    if (toHex(rc.head) === r.securedHash) return { r, rc };
  }
  return null;
}

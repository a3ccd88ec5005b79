/**
 * Receipts the lock signs itself (docs/protocol.md §6.2, docs/firmware.md "Receipts"). An entry
 * (a successful unlock on a command, a reveal or a barcode; not the inside button) is remembered
 * with its OPERATION event and the acknowledged CAMERA event before it. At the next STATE event
 * with the door closed and the bolt locked, the lock signs a checkpoint naming that event (the
 * log head), the entry and the camera event, in slices, and publishes it on its event topic. The
 * newest unacknowledged receipt is kept in a power-safe record and resent on every reconnect.
 */
import {
  BOLT_LOCKED, DOOR_CLOSED, SRC_AUTO, SRC_BUTTON, attachReceiptSignature, beginSign, copyBytes, encodeReceiptBody, eventTopic
} from '@keyway/shared';
import { runOnLock } from './lock-key';
import type { Lock, LogPoint, MoveRequest } from './lock-state';
import { mqttPublish } from './mqtt/mqtt-client';
import { eraseRecord, loadRecord, saveRecord, type RecordSlot } from './record-store';
import type { StoragePort } from './ports';

export const RECEIPT_RECORD = 'kwrc';

export function loadPendingReceipt(storage: StoragePort): { receipt: Uint8Array | null; rec: RecordSlot } {
  const r = loadRecord(storage, RECEIPT_RECORD);
  return { receipt: r.data ? copyBytes(r.data) : null, rec: r.slot };
}

/**
 * After an acknowledged CAMERA event, with its place in the log (null when it could not be
 * stored: then no receipt names it).
 */
export function noteCamera(lock: Lock, at: LogPoint | null): void {
  lock.camera = at;
}

/** After the OPERATION event of a movement (`at` null when it could not be stored: no receipt). */
export function noteOperation(lock: Lock, req: MoveRequest, ok: boolean, at: LogPoint | null): void {
  const cam = req.camera ? lock.camera : null;
  lock.camera = null;
  if (!ok || !at || req.target >= 0 || req.source === SRC_BUTTON || req.source === SRC_AUTO) return;
  // A camera-required entry whose CAMERA event was lost gets no receipt: the log cannot show it.
  if (req.camera && (!cam || cam.seq >= at.seq)) return;
  lock.entry = { grantId: req.grantId, entry: at, camera: cam };
}

/** After every STATE event (`at`: its place in the log): an entry followed by door closed and bolt locked gets its receipt. */
export function noteState(lock: Lock, at: LogPoint | null, bolt: number, doorOpen: boolean): void {
  const e = lock.entry;
  if (!e || !at || at.seq <= e.entry.seq || bolt !== BOLT_LOCKED || doorOpen || !lock.signer || !lock.config) return;
  lock.entry = null;
  const body = encodeReceiptBody({
    deviceId: lock.config.deviceId, lockKey: lock.signer.publicKey, seq: at.seq, head: at.hash,
    time: lock.timeTrusted ? Math.floor(lock.ports.clock.rtc()) : 0, bolt: BOLT_LOCKED, door: DOOR_CLOSED, grantId: e.grantId,
    entrySeq: e.entry.seq, entryHash: e.entry.hash, cameraSeq: e.camera ? e.camera.seq : 0, cameraHash: e.camera ? e.camera.hash : new Uint8Array(32)
  });
  runOnLock(lock, beginSign(body, lock.signer), function (sig: Uint8Array | null) {
    if (!sig) {
      lock.ports.log('receipt signing failed');
      return;
    }
    const receipt = attachReceiptSignature(body, sig);
    lock.receipt = receipt;
    if (!saveRecord(lock.ports.storage, lock.receiptRec, receipt)) lock.ports.log('receipt not stored');
    if (lock.onReceipt) lock.onReceipt(receipt);
    publishReceipt(lock);
  });
}

/** Sends the pending receipt (QoS 1); forgets it once the relay has it. */
export function publishReceipt(lock: Lock): void {
  const r = lock.receipt;
  const m = lock.mqtt;
  // Already queued in the client, which resends it after a reconnect by itself.
  if (!r || !m || !m.online || lock.receiptQueued === r) return;
  lock.receiptQueued = r;
  mqttPublish(m, eventTopic(lock.deviceHex), r, false, function (ok: boolean) {
    if (lock.receiptQueued === r) lock.receiptQueued = null;
    if (!ok || lock.receipt !== r) return;
    lock.receipt = null;
    eraseRecord(lock.ports.storage, lock.receiptRec);
  });
}

/**
 * Receipts the lock signs itself (docs/protocol.md §6.2, docs/firmware.md "Receipts"). An entry
 * (a successful unlock on a command, a reveal or a barcode; not the inside button) is remembered
 * with its OPERATION event and the acknowledged CAMERA event before it. At the next STATE event
 * with the door closed and the bolt locked, the lock signs a checkpoint naming that event (the
 * log head), the entry and the camera event, in slices, and publishes it on its event topic. The
 * newest unacknowledged receipt is kept in a power-safe record and resent on every reconnect.
 *
 * The events are remembered by their bytes, not their hashes: the log hashes its newest event
 * lazily (logHead), so the at-door slice that logs an entry's STATE event computes no hash for
 * it. The three hashes a receipt names are computed in slices of their own before signing.
 */
import {
  BOLT_LOCKED, DOOR_CLOSED, HASH_LENGTH, SRC_AUTO, SRC_BUTTON, attachReceiptSignature, copyBytes, encodeReceiptBody, eventHash,
  eventTopic
} from '@keyway/shared';
import { logHead } from './event-log';
import { signOnLock } from './lock-key';
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

/**
 * The hash of a remembered event: the log's head while it is still the newest event (hashing it
 * at most once, for the chain and the status too), else the hash of its bytes.
 */
export function pointHash(lock: Lock, p: LogPoint): Uint8Array {
  const log = lock.log;
  return log && p.seq === log.seq ? logHead(log) : eventHash(p.bytes);
}

/**
 * Hashes the points in order, one SHA-512 per slice from the next slice on (never in the caller's
 * slice); a null point hashes to zeros.
 */
function hashPoints(lock: Lock, points: (LogPoint | null)[], done: (hashes: Uint8Array[]) => void): void {
  const out: Uint8Array[] = [];
  const step = function () {
    const p = points[out.length];
    out.push(p ? pointHash(lock, p) : new Uint8Array(HASH_LENGTH));
    if (out.length < points.length) lock.ports.timers.setTimeout(step, 0);
    else done(out);
  };
  lock.ports.timers.setTimeout(step, 0);
}

/** After every STATE event (`at`: its place in the log): an entry followed by door closed and bolt locked gets its receipt. */
export function noteState(lock: Lock, at: LogPoint | null, bolt: number, doorOpen: boolean): void {
  const e = lock.entry;
  const signer = lock.signer;
  const config = lock.config;
  if (!e || !at || at.seq <= e.entry.seq || bolt !== BOLT_LOCKED || doorOpen || !signer || !config) return;
  lock.entry = null;
  const time = lock.timeTrusted ? Math.floor(lock.ports.clock.rtc()) : 0;
  hashPoints(lock, [at, e.entry, e.camera], function (h: Uint8Array[]) {
    const body = encodeReceiptBody({
      deviceId: config.deviceId, lockKey: signer.publicKey, seq: at.seq, head: h[0], time: time, bolt: BOLT_LOCKED, door: DOOR_CLOSED,
      grantId: e.grantId, entrySeq: e.entry.seq, entryHash: h[1], cameraSeq: e.camera ? e.camera.seq : 0, cameraHash: h[2]
    });
    signOnLock(lock, body, signer, function (sig: Uint8Array | null) {
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

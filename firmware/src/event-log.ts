/**
 * The lock's hash-chained event log and bounded offline queue (docs/product.md#security-properties, docs/product.md#reliability-properties; protocol §6).
 * Each event is one file `kwe<seq mod capacity>`, framed with its sequence and a CRC, so
 * appending is a single write: a torn write loses only the event being written, and boot
 * recovers the head (last intact seq and its hash) by scanning the ring. Events are
 * published in order; those not yet acknowledged stay in the ring (the offline queue).
 */
import { type LockEvent, encodeEvent, eventHash, eventTimeOf, decodeEvent } from '@keyway/shared';
import { frame, unframe } from './record-store';
import type { StoragePort } from './ports';

export const EVENT_FILE = 'kwe';
/**
 * The delivery watermark: every event up to this sequence was acknowledged by the relay. Saved
 * every ACK_SAVE_EVERY acknowledgements (not each one: flash wear), so after a reboot the lock
 * knows which stored events were delivered and which it must still send or, when it has to
 * overwrite them offline, report as lost.
 */
export const ACK_FILE = 'kwack';

export interface EventLog {
  storage: StoragePort;
  deviceId: Uint8Array;
  capacity: number;
  /** Sequence of the newest event (0 = none). */
  seq: number;
  /**
   * Hash of the newest hashed event's bytes (zeros before the first). Read it with logHead:
   * while `unhashed` holds the newest event, this is the hash of the one before.
   */
  head: Uint8Array;
  /**
   * The newest event's bytes when its hash is not computed yet. Appending stores the event
   * (durable) and leaves the SHA-512 that links it into the chain to whoever needs the head
   * next (the next append or the status), so an entry's motor start does not wait for it.
   */
  unhashed: Uint8Array | null;
  /** Highest sequence the relay has acknowledged (RAM only; after a reboot all are resent). */
  acked: number;
  /** Events overwritten before the relay acknowledged them (not known delivered). */
  dropped: number;
  /** Highest sequence known acknowledged, as saved in ACK_FILE (it trails `acked`). */
  savedAck: number;
  /** Acknowledgements between two saves of the watermark. */
  ackSaveEvery: number;
  /** A QUEUE_OVERFLOW alarm was raised and the queue has not drained since. */
  overflowAlarmed: boolean;
  /** Sequence of that alarm: if it is overwritten before delivery, the next loss raises another. */
  overflowAlarmSeq: number;
  /** A loss no QUEUE_OVERFLOW alarm covers yet (the next event raises it unless one is pending). */
  unreported: boolean;
  /** Sequence of the newest event given up undelivered (0 = none since boot). */
  lastLost: number;
  /**
   * The latest `time` of any event in the ring, or logged since: the lock has seen that second,
   * so after a reboot its clock is never set back before it in owner-consent mode (clock-guard.ts).
   */
  newestTime: number;
}

export function openEventLog(storage: StoragePort, deviceId: Uint8Array, capacity: number): EventLog {
  const log: EventLog = {
    storage: storage, deviceId: deviceId, capacity: capacity, seq: 0, head: new Uint8Array(32), unhashed: null, acked: 0, dropped: 0,
    savedAck: 0, ackSaveEvery: Math.max(1, Math.floor(capacity / 2)), overflowAlarmed: false, overflowAlarmSeq: 0,
    unreported: false, lastLost: 0, newestTime: 0
  };
  let best: Uint8Array | null = null;
  let oldest = 0;
  for (let i = 0; i < capacity; i++) {
    const f = unframe(storage.read(EVENT_FILE + i));
    if (!f || f.seq % capacity !== i) continue;
    const t = eventTimeOf(f.data);
    if (t > log.newestTime) log.newestTime = t;
    if (f.seq > log.seq) {
      log.seq = f.seq;
      best = f.data;
    }
    if (oldest === 0 || f.seq < oldest) oldest = f.seq;
  }
  if (best) log.head = eventHash(best);
  // A torn or missing watermark counts nothing as delivered: events are sent again (the relay
  // drops duplicates) and an overwrite offline is reported, never hidden.
  const w = unframe(storage.read(ACK_FILE));
  log.savedAck = w && w.seq <= log.seq ? w.seq : 0;
  log.acked = oldest > 0 ? Math.max(oldest - 1, log.savedAck) : log.seq;
  // A power cut while a write replaced the oldest undelivered event tears that slot: the event
  // it held is gone, the new one never existed. Its place is the oldest of the ring's window;
  // unless the saved watermark says it was delivered, it is a loss the relay must be told of.
  const first = log.seq - capacity + 1;
  if (first > log.savedAck && first >= 1 && first <= log.acked && readEvent(log, first) === null) noteLoss(log, first);
  return log;
}

export interface NewEvent {
  type: number;
  code: number;
  ref: number;
  actorKind: number;
  actorRef: number;
  data: Uint8Array;
}

/** Appends and persists one event; returns its bytes, or null if storage failed. */
export function appendEvent(log: EventLog, e: NewEvent, time: number): Uint8Array | null {
  const seq = log.seq + 1;
  const ev: LockEvent = {
    deviceId: log.deviceId, seq: seq, time: time, type: e.type, code: e.code, ref: e.ref,
    actorKind: e.actorKind, actorRef: e.actorRef, prevHash: logHead(log), data: e.data
  };
  const bytes = encodeEvent(ev);
  if (seq - log.acked > log.capacity) {
    // The oldest unacknowledged event is about to be overwritten: it is lost unless it was
    // acknowledged before a reboot (the saved watermark).
    log.acked = seq - log.capacity;
    if (log.acked > log.savedAck) noteLoss(log, log.acked);
    // The alarm that reported this episode is overwritten undelivered: a long enough outage
    // would otherwise leave the relay a gap and no alarm. The next loss raises a new one.
    if (log.overflowAlarmed && log.overflowAlarmSeq <= log.acked) log.overflowAlarmed = false;
  }
  if (!log.storage.write(EVENT_FILE + (seq % log.capacity), frame(seq, bytes))) return null;
  log.seq = seq;
  log.unhashed = bytes;
  if (time > log.newestTime) log.newestTime = time;
  return bytes;
}

/** Counts an event given up undelivered; the next event logged raises the alarm (reporting.ts). */
function noteLoss(log: EventLog, seq: number): void {
  log.dropped++;
  log.lastLost = seq;
  log.unreported = true;
}

/** Hash of the newest event, the link the next event carries; hashes a pending event once. */
export function logHead(log: EventLog): Uint8Array {
  if (log.unhashed) {
    log.head = eventHash(log.unhashed);
    log.unhashed = null;
  }
  return log.head;
}

/** The stored bytes of event `seq`, or null when it is gone or torn. */
export function readEvent(log: EventLog, seq: number): Uint8Array | null {
  const f = unframe(log.storage.read(EVENT_FILE + (seq % log.capacity)));
  return f && f.seq === seq ? f.data : null;
}

export function ackEvent(log: EventLog, seq: number): void {
  if (seq > log.acked) log.acked = seq;
  if (log.acked >= log.seq) log.overflowAlarmed = false;
  if (log.acked - log.savedAck >= log.ackSaveEvery && log.storage.write(ACK_FILE, frame(log.acked, new Uint8Array(0)))) log.savedAck = log.acked;
}

/** Decodes an event from the ring (diagnostics and tests). */
export function loadEvent(log: EventLog, seq: number): LockEvent | null {
  const b = readEvent(log, seq);
  return b ? decodeEvent(b) : null;
}

/**
 * Offline check of a lock-signed receipt (docs/protocol.md §6.2) against the lock's public key
 * and the lock's own event chain, for anyone who needs neither the relay nor its database: an
 * owner, an insurer, a court. Used by `keyway verify-receipt` and the receipt page.
 *
 * It holds when: the receipt decodes; it names the expected lock key and its signature verifies
 * strictly under it; the events form one unbroken chain of the same device (consecutive
 * sequence numbers, each prevHash the hash of the event before); the receipt's head, entry and
 * camera events are in that chain with exactly the hashes it names; the head is a STATE event
 * showing the bolt locked and the door closed; the entry is a successful unlock OPERATION for
 * the receipt's grant; the camera event (when named) is an acknowledged CAMERA event.
 */
import { bytesEqual, fromHex, toHex } from './bytes';
import { verifyStrict } from './ed25519/index';
import {
  ACT_UNLATCH, ACT_UNLOCK, BOLT_LOCKED, DOOR_CLOSED, EV_CAMERA, EV_OPERATION, EV_STATE, SRC_BARCODE, SRC_REVEAL
} from './protocol/constants';
import { RC_OK } from './codes';
import { decodeEvent, type LockEvent } from './protocol/event';
import { eventHash } from './protocol/hashes';
import { decodeReceipt, type SignedReceipt } from './protocol/receipt';

/** Why a receipt does not hold; stable names, listed in docs/protocol.md §6.2. */
export const RECEIPT_FAULTS = {
  RECEIPT_MALFORMED: 'The receipt does not follow the wire layout.',
  RECEIPT_WRONG_KEY: 'The receipt names another lock key than the one it is checked against.',
  RECEIPT_BAD_SIGNATURE: 'The lock\'s signature does not verify.',
  EVENT_MALFORMED: 'An event does not follow the wire layout.',
  CHAIN_WRONG_DEVICE: 'An event belongs to another lock than the receipt.',
  CHAIN_BROKEN: 'The events are not one unbroken hash chain.',
  CHAIN_INCOMPLETE: 'The events do not cover the receipt\'s camera, entry and head events.',
  HEAD_MISMATCH: 'The head event is not the one the receipt names, or does not show the door closed and the bolt locked.',
  ENTRY_MISMATCH: 'The entry event is not the one the receipt names, or is not a successful unlock for its grant.',
  CAMERA_MISMATCH: 'The camera event is not the one the receipt names, or the camera did not acknowledge.'
} as const;

export type ReceiptFault = keyof typeof RECEIPT_FAULTS;

export type ReceiptCheck =
  | { ok: true; receipt: SignedReceipt; entry: LockEvent; head: LockEvent; camera: LockEvent | null }
  | { ok: false; fault: ReceiptFault; detail: string };

function fail(fault: ReceiptFault, detail: string): ReceiptCheck {
  return { ok: false, fault: fault, detail: detail };
}

/** Checks `receiptBytes` against `lockKey` and the encoded events (in log order, any contiguous run covering the receipt). */
export function checkReceipt(receiptBytes: Uint8Array, lockKey: Uint8Array, events: Uint8Array[]): ReceiptCheck {
  let rc: SignedReceipt;
  try {
    rc = decodeReceipt(receiptBytes);
  } catch (e) {
    return fail('RECEIPT_MALFORMED', String((e as Error).message));
  }
  if (!bytesEqual(rc.lockKey, lockKey)) return fail('RECEIPT_WRONG_KEY', 'receipt names ' + toHex(rc.lockKey));
  if (!verifyStrict(rc.signed, rc.signature, lockKey)) return fail('RECEIPT_BAD_SIGNATURE', 'under ' + toHex(lockKey));
  const bySeq: Array<{ ev: LockEvent; hash: Uint8Array }> = [];
  let first = 0;
  for (let i = 0; i < events.length; i++) {
    let ev: LockEvent;
    try {
      ev = decodeEvent(events[i]);
    } catch (e) {
      return fail('EVENT_MALFORMED', 'event #' + i + ': ' + String((e as Error).message));
    }
    if (!bytesEqual(ev.deviceId, rc.deviceId)) return fail('CHAIN_WRONG_DEVICE', 'event seq ' + ev.seq);
    if (i === 0) first = ev.seq;
    else {
      const prev = bySeq[i - 1];
      if (ev.seq !== prev.ev.seq + 1 || !bytesEqual(ev.prevHash, prev.hash)) return fail('CHAIN_BROKEN', 'at seq ' + ev.seq);
    }
    bySeq.push({ ev: ev, hash: eventHash(events[i]) });
  }
  const lowest = rc.cameraSeq > 0 ? rc.cameraSeq : rc.entrySeq;
  if (events.length === 0 || first > lowest || first + events.length - 1 < rc.seq) {
    return fail('CHAIN_INCOMPLETE', 'need seq ' + lowest + '..' + rc.seq);
  }
  const at = (seq: number) => bySeq[seq - first];
  const head = at(rc.seq);
  if (!bytesEqual(head.hash, rc.head) || head.ev.type !== EV_STATE || head.ev.data.length < 2 || head.ev.data[0] !== BOLT_LOCKED ||
    head.ev.data[1] !== DOOR_CLOSED || rc.bolt !== BOLT_LOCKED || rc.door !== DOOR_CLOSED) {
    return fail('HEAD_MISMATCH', 'seq ' + rc.seq);
  }
  const entry = at(rc.entrySeq);
  const e = entry.ev;
  const byGrant = e.data.length > 1 && (e.data[1] === SRC_REVEAL || e.data[1] === SRC_BARCODE);
  if (!bytesEqual(entry.hash, rc.entryHash) || e.type !== EV_OPERATION || e.code !== RC_OK || e.data.length < 2 ||
    (e.data[0] !== ACT_UNLOCK && e.data[0] !== ACT_UNLATCH) || (byGrant && e.ref !== rc.grantId)) {
    return fail('ENTRY_MISMATCH', 'seq ' + rc.entrySeq);
  }
  let camera: LockEvent | null = null;
  if (rc.cameraSeq > 0) {
    const c = at(rc.cameraSeq);
    if (!bytesEqual(c.hash, rc.cameraHash) || c.ev.type !== EV_CAMERA || c.ev.code !== RC_OK) return fail('CAMERA_MISMATCH', 'seq ' + rc.cameraSeq);
    camera = c.ev;
  } else {
    for (let i = 0; i < 32; i++) if (rc.cameraHash[i] !== 0) return fail('CAMERA_MISMATCH', 'a hash without a camera event');
  }
  return { ok: true, receipt: rc, entry: e, head: head.ev, camera: camera };
}

/**
 * A receipt file: the receipt, the lock's public key and the events it names, as hex (what
 * `GET /v1/deliveries/:id/signed-receipt` returns and `keyway verify-receipt` reads). The key in
 * a file is only as good as its source: check it against the key recorded at installation.
 */
export interface ReceiptBundle {
  receipt: string;
  lockKey: string;
  events: string[];
}

/** Checks a parsed receipt file; a file that is not one fails as RECEIPT_MALFORMED or EVENT_MALFORMED. */
export function checkReceiptBundle(b: unknown, lockKeyHex?: string): ReceiptCheck {
  const o = b as Partial<ReceiptBundle> | null;
  if (!o || typeof o !== 'object' || typeof o.receipt !== 'string' || typeof o.lockKey !== 'string' || !Array.isArray(o.events)) {
    return fail('RECEIPT_MALFORMED', 'expected { receipt, lockKey, events[] }');
  }
  let receipt: Uint8Array;
  let key: Uint8Array;
  try {
    receipt = fromHex(o.receipt);
    key = fromHex(lockKeyHex ?? o.lockKey);
  } catch (e) {
    return fail('RECEIPT_MALFORMED', String((e as Error).message));
  }
  const events: Uint8Array[] = [];
  for (let i = 0; i < o.events.length; i++) {
    try {
      events.push(fromHex(String(o.events[i])));
    } catch (e) {
      return fail('EVENT_MALFORMED', 'event #' + i + ': ' + String((e as Error).message));
    }
  }
  return checkReceipt(receipt, key, events);
}

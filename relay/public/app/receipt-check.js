// Offline check of a receipt signed by a lock (docs/protocol.md §6.2), for the receipt page:
// the same checks, in the same order and with the same fault names, as shared/src/receipt-check.ts
// (tests/pages/receipt-page.test.ts holds the two to the same verdicts on every changed byte).
// No network: WebCrypto verifies the Ed25519 signature and hashes the events with SHA-512.
// `keyway verify-receipt` is the strict reference (RFC 8032 with the lock's strictness rules);
// the page relies on the browser's Ed25519 and adds the check S < L.

export const FAULTS = {
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
};

const TAG_RECEIPT = 'KWY-RCP\0';
const TAG_EVENT = 'KWY-EVT\0';
const VERSION = 1;
const RECEIPT_SIGNED = 167;
const RECEIPT_LENGTH = RECEIPT_SIGNED + 64;
const EVENT_FIXED = 70;
const MAX_EVENT_DATA = 64;
const EV_STATE = 2;
const EV_OPERATION = 3;
const EV_CAMERA = 7;
const BOLT_LOCKED = 1;
const DOOR_CLOSED = 1;
const ACT_UNLOCK = 1;
const ACT_UNLATCH = 3;
const SRC_REVEAL = 2;
const SRC_BARCODE = 5;
// L = 2^252 + 27742317777372353535851937790883648493, little-endian
const ORDER_L = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];

class Fault extends Error {
  constructor(fault, detail) {
    super(fault + ': ' + detail);
    this.fault = fault;
    this.detail = detail;
  }
}

export function fromHex(h) {
  if (typeof h !== 'string' || h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error('not hex');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
  return out;
}

export function toHex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function u32(b, o) {
  return b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

function hasTag(b, tag) {
  for (let i = 0; i < 8; i++) if (b[i] !== tag.charCodeAt(i)) return false;
  return true;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

function scalarBelowL(s) {
  for (let i = 31; i >= 0; i--) {
    if (s[i] < ORDER_L[i]) return true;
    if (s[i] > ORDER_L[i]) return false;
  }
  return false;
}

function decodeReceipt(b) {
  if (b.length < 9 || !hasTag(b, TAG_RECEIPT)) throw new Fault('RECEIPT_MALFORMED', 'wrong tag');
  if (b[8] !== VERSION) throw new Fault('RECEIPT_MALFORMED', 'unsupported version ' + b[8]);
  if (b.length !== RECEIPT_LENGTH) throw new Fault('RECEIPT_MALFORMED', 'length ' + b.length);
  const r = {
    deviceId: b.slice(9, 17), lockKey: b.slice(17, 49), seq: u32(b, 49), head: b.slice(53, 85), time: u32(b, 85), bolt: b[89], door: b[90],
    grantId: u32(b, 91), entrySeq: u32(b, 95), entryHash: b.slice(99, 131), cameraSeq: u32(b, 131), cameraHash: b.slice(135, 167),
    signed: b.slice(0, RECEIPT_SIGNED), signature: b.slice(RECEIPT_SIGNED)
  };
  if (r.seq < 1 || r.entrySeq < 1 || r.bolt > 6 || r.door > 2) throw new Fault('RECEIPT_MALFORMED', 'value out of range');
  if (r.entrySeq >= r.seq || r.cameraSeq >= r.entrySeq) throw new Fault('RECEIPT_MALFORMED', 'receipt events out of order');
  return r;
}

function decodeEvent(b, i) {
  const bad = (why) => new Fault('EVENT_MALFORMED', 'event #' + i + ': ' + why);
  if (b.length < 9 || !hasTag(b, TAG_EVENT)) throw bad('wrong tag');
  if (b[8] !== VERSION) throw bad('unsupported version');
  if (b.length < EVENT_FIXED) throw bad('too short');
  const len = b[69];
  if (len > MAX_EVENT_DATA || b.length !== EVENT_FIXED + len) throw bad('length');
  const e = {
    deviceId: b.slice(9, 17), seq: u32(b, 17), time: u32(b, 21), type: b[25], code: (b[26] << 8) | b[27], ref: u32(b, 28), actorKind: b[32],
    actorRef: u32(b, 33), prevHash: b.slice(37, 69), data: b.slice(70)
  };
  if (e.seq < 1 || e.type < 1 || e.type > 8) throw bad('value out of range');
  return e;
}

async function hash32(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-512', bytes)).slice(0, 32);
}

async function signatureHolds(signed, sig, pub) {
  if (!scalarBelowL(sig.slice(32))) return false;
  try {
    const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, signed);
  } catch {
    return false;
  }
}

async function check(receiptBytes, lockKey, eventBytes) {
  const rc = decodeReceipt(receiptBytes);
  if (!equal(rc.lockKey, lockKey)) throw new Fault('RECEIPT_WRONG_KEY', 'receipt names ' + toHex(rc.lockKey));
  if (lockKey.length !== 32 || !(await signatureHolds(rc.signed, rc.signature, lockKey))) throw new Fault('RECEIPT_BAD_SIGNATURE', 'under ' + toHex(lockKey));
  const chain = [];
  let first = 0;
  for (let i = 0; i < eventBytes.length; i++) {
    const ev = decodeEvent(eventBytes[i], i);
    if (!equal(ev.deviceId, rc.deviceId)) throw new Fault('CHAIN_WRONG_DEVICE', 'event seq ' + ev.seq);
    if (i === 0) first = ev.seq;
    else if (ev.seq !== chain[i - 1].ev.seq + 1 || !equal(ev.prevHash, chain[i - 1].hash)) throw new Fault('CHAIN_BROKEN', 'at seq ' + ev.seq);
    chain.push({ ev, hash: await hash32(eventBytes[i]) });
  }
  const lowest = rc.cameraSeq > 0 ? rc.cameraSeq : rc.entrySeq;
  if (eventBytes.length === 0 || first > lowest || first + eventBytes.length - 1 < rc.seq) throw new Fault('CHAIN_INCOMPLETE', 'need seq ' + lowest + '..' + rc.seq);
  const at = (seq) => chain[seq - first];
  const head = at(rc.seq);
  if (!equal(head.hash, rc.head) || head.ev.type !== EV_STATE || head.ev.data.length < 2 || head.ev.data[0] !== BOLT_LOCKED ||
    head.ev.data[1] !== DOOR_CLOSED || rc.bolt !== BOLT_LOCKED || rc.door !== DOOR_CLOSED) throw new Fault('HEAD_MISMATCH', 'seq ' + rc.seq);
  const entry = at(rc.entrySeq);
  const e = entry.ev;
  const byGrant = e.data.length > 1 && (e.data[1] === SRC_REVEAL || e.data[1] === SRC_BARCODE);
  if (!equal(entry.hash, rc.entryHash) || e.type !== EV_OPERATION || e.code !== 0 || e.data.length < 2 ||
    (e.data[0] !== ACT_UNLOCK && e.data[0] !== ACT_UNLATCH) || (byGrant && e.ref !== rc.grantId)) throw new Fault('ENTRY_MISMATCH', 'seq ' + rc.entrySeq);
  let camera = null;
  if (rc.cameraSeq > 0) {
    const c = at(rc.cameraSeq);
    if (!equal(c.hash, rc.cameraHash) || c.ev.type !== EV_CAMERA || c.ev.code !== 0) throw new Fault('CAMERA_MISMATCH', 'seq ' + rc.cameraSeq);
    camera = c.ev;
  } else if (rc.cameraHash.some((x) => x !== 0)) throw new Fault('CAMERA_MISMATCH', 'a hash without a camera event');
  return { ok: true, receipt: rc, entry: e, head: head.ev, camera };
}

/**
 * Checks a receipt file `{ receipt, lockKey, events }` (hex), against `keyHex` when given (a key
 * from a source the reader trusts), else the file's own key. Resolves to { ok: true, … } or
 * { ok: false, fault, detail }; never rejects.
 */
export async function checkReceiptFile(file, keyHex) {
  try {
    if (!file || typeof file !== 'object' || typeof file.receipt !== 'string' || typeof file.lockKey !== 'string' || !Array.isArray(file.events)) {
      throw new Fault('RECEIPT_MALFORMED', 'expected { receipt, lockKey, events[] }');
    }
    let receipt;
    let key;
    try {
      receipt = fromHex(file.receipt);
      key = fromHex(keyHex || file.lockKey);
    } catch (e) {
      throw new Fault('RECEIPT_MALFORMED', e.message);
    }
    const events = file.events.map((h, i) => {
      try {
        return fromHex(String(h));
      } catch (e) {
        throw new Fault('EVENT_MALFORMED', 'event #' + i + ': ' + e.message);
      }
    });
    return await check(receipt, key, events);
  } catch (e) {
    if (e instanceof Fault) return { ok: false, fault: e.fault, detail: e.detail };
    return { ok: false, fault: 'RECEIPT_MALFORMED', detail: String(e && e.message) };
  }
}

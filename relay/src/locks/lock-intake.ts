/**
 * The lock intake: what a lock sends on its topics (events and signed receipts on kw/<id>/evt,
 * its status and offline marker on kw/<id>/state), taken in arrival order through the lock's
 * queue (per-lock-queue.ts). The messages that queued up for one lock while its earlier ones were
 * being stored, or that arrive while its batch waits for the store's turn, are stored together,
 * in one transaction: one read of the device row, one INSERT of the events that move the lock's
 * log on, one INSERT of the activity rows they record (domain/activity.ts holdActivity), one
 * write of the lock's log head, one group-commit item (one savepoint) for the lot,
 * where each message took its own (a door action brings about four events, a status and, on
 * locking, a receipt).
 *
 * Nothing is acknowledged before it is durable: each message's promise (an event's PUBACK waits
 * for it) settles only once its batch has committed. If the batch's transaction fails, its
 * messages are stored again one at a time, each in a transaction of its own, so one message's
 * failure costs no other its effects (an event whose effects fail is kept without them,
 * event-intake.ts); a message alone in its batch is not tried again with its effects. After the
 * commit, waiters are answered in order and the lock's sync runs once for the batch when a status
 * or an acknowledgement calls for it.
 */
import { EV_ACK, EV_DENIAL, RC_OWNER_TIME_REQUIRED, eventSeqOf, type LockStatus, type SignedReceipt } from '@keyway/shared';
import type { RelayContext } from '../context';
import { markConnectionLost } from '../data/devices';
import { dropHeldActivity, holdActivity, insertHeldActivity } from '../domain/activity';
import { lockDeviceWithSettings, type DeviceWithSettings } from '../data/lock-settings';
import type { Q } from '../data/store';
import {
  decodeLockEvent, eventTaken, rowAsStored, storeEvent, storeEventAlone, storeEventWithoutEffects, writeLogHead, type HeldEvents, type IntakeResult, type StoreResult
} from './event-intake';
import { wallMs } from './intake-trace';
import { lockIntakeQueue, type BatchRunner } from './per-lock-queue';
import { decodeLockReceipt, storeReceipt, storeReceiptAlone } from './receipt-intake';
import { reconcileDevice } from './reconcile';
import { decodeLockState, statusTaken, storeStatus, storeStatusAlone, type StateResult, type StoredStatus } from './status-intake';
import type { ReceivedEvent } from './waiters';

/** A message as the broker hands it over: from the lock's event topic (an event or a signed receipt) or its state topic. */
export interface LockMessage {
  kind: 'event' | 'receipt' | 'state';
  payload: Uint8Array;
}

export type MessageResult = IntakeResult | StateResult;

/** A decoded message. */
type Taken = { kind: 'event'; ev: ReceivedEvent; payload: Uint8Array } | { kind: 'receipt'; rc: SignedReceipt; payload: Uint8Array }
  | { kind: 'status'; status: LockStatus } | { kind: 'offline' };

/** What storing a message gave: an event's or a receipt's outcome, a stored status (undefined: unknown lock), an offline marker noted. */
type Stored = StoreResult | StoredStatus | undefined | 'offline';

/** Takes one message from the lock's topics; resolves with its outcome once it is committed. */
export function takeLockMessage(ctx: RelayContext, deviceId: string, m: LockMessage): Promise<MessageResult> {
  ctx.steps?.mark('lock message handed over', { deviceId, kind: m.kind, eventSeq: m.kind === 'event' ? eventSeqOf(m.payload) : undefined });
  return lockIntakeQueue(ctx).batch(deviceId, m, runnerOf(ctx));
}

const runners = new WeakMap<RelayContext, BatchRunner<LockMessage, MessageResult>>();

/** One runner per relay, so the messages of one lock queued behind each other join one batch. */
function runnerOf(ctx: RelayContext): BatchRunner<LockMessage, MessageResult> {
  let r = runners.get(ctx);
  if (!r) {
    r = (deviceId, take) => takeBatch(ctx, deviceId, take);
    runners.set(ctx, r);
  }
  return r;
}

function decode(ctx: RelayContext, deviceId: string, m: LockMessage): Taken | null {
  if (m.kind === 'event') {
    const ev = decodeLockEvent(ctx, deviceId, m.payload);
    return ev ? { kind: 'event', ev, payload: m.payload } : null;
  }
  if (m.kind === 'receipt') {
    const rc = decodeLockReceipt(ctx, deviceId, m.payload);
    return rc ? { kind: 'receipt', rc, payload: m.payload } : null;
  }
  const s = decodeLockState(ctx, deviceId, m.payload);
  if (!s) return null;
  return s.kind === 'status' ? { kind: 'status', status: s.status } : { kind: 'offline' };
}

async function takeBatch(ctx: RelayContext, deviceId: string, take: () => LockMessage[]): Promise<MessageResult[]> {
  const startedAt = ctx.steps ? wallMs() : 0;
  // Traced: when the batch's transaction took its messages, and when storing them was done (before the commit).
  let takenAt = 0;
  let storedAt = 0;
  let messages: LockMessage[] = [];
  let results: MessageResult[] = [];
  const taken: Array<{ at: number; t: Taken }> = [];
  let took = false;
  // The batch's messages are taken once its transaction runs: those that arrive while it waits for
  // the store's turn join it (per-lock-queue.ts).
  const takeNow = (): Taken[] => {
    if (!took) {
      took = true;
      if (startedAt) takenAt = wallMs();
      messages = take();
      results = new Array<MessageResult>(messages.length);
      for (let at = 0; at < messages.length; at++) {
        const m = messages[at];
        // A closing relay keeps nothing: an event or receipt is not acknowledged (the lock sends it again).
        if (ctx.closing) {
          results[at] = m.kind === 'state' ? 'rejected' : 'unavailable';
          continue;
        }
        const t = decode(ctx, deviceId, m);
        if (t) taken.push({ at, t });
        else results[at] = 'rejected';
      }
    }
    return taken.map((x) => x.t);
  };
  let together: Stored[] | null = null;
  let failure: unknown;
  if (ctx.closing) takeNow();
  else {
    try {
      together = await ctx.store.tx(async (q) => {
        const items = takeNow();
        const stored = items.length > 0 ? await storeTogether(ctx, q, deviceId, items) : [];
        if (startedAt) storedAt = wallMs();
        return stored;
      });
    } catch (err) {
      takeNow();
      failure = err;
      if (!ctx.closing && taken.length > 1) ctx.log.warn({ err, deviceId, messages: taken.length }, 'lock messages stored one at a time: storing them together failed');
    }
  }
  let sync = false;
  for (let k = 0; k < taken.length; k++) {
    const { at, t } = taken[k];
    const stored = together ? together[k] : await storeAfterFailure(ctx, deviceId, t, taken.length === 1 ? failure : null);
    const done = finish(ctx, deviceId, t, stored);
    results[at] = done.result;
    sync = sync || done.sync;
  }
  if (startedAt && ctx.steps) {
    const kinds = messages.map((m) => (m.kind === 'event' ? 'e' + eventSeqOf(m.payload) : m.kind === 'receipt' ? 'r' : 's'));
    ctx.steps.mark('lock messages committed', { deviceId, messages: kinds, together: kinds.length > 1 && !!together, startedAt, takenAt: takenAt || undefined, storedAt: storedAt || undefined });
  }
  if (sync && !ctx.closing) {
    try {
      await reconcileDevice(ctx, deviceId);
    } catch (err) {
      if (!ctx.closing) ctx.log.warn({ err, deviceId }, 'lock sync failed');
    }
  }
  return results;
}

/**
 * Whether a stored event's effects may have written a column of the device row that a status
 * reads (event-effects.ts; status-intake.ts, sync-trigger.ts and owner-time.ts read them): only an
 * answer to a command other than a door action (a key rotation moves the signing key, an owner's
 * statement confirms the owner time; the sync looks again after it: 'stored-resync') and an
 * answer that the lock waits for an owner's time (it sets the owner-time mark). The other events
 * write only the log head, bolt, door and camera capture, which the batch keeps in its copy, the
 * log state, the lock's command counter (a revocation a secured delivery issues), which a status
 * writes in SQL from the stored value, and other tables.
 */
function writesStatusInputs(ev: ReceivedEvent, stored: StoreResult): boolean {
  return stored === 'stored-resync' || ((ev.type === EV_ACK || ev.type === EV_DENIAL) && ev.code === RC_OWNER_TIME_REQUIRED);
}

/**
 * Stores the messages in the transaction q, in order, on one copy of the device row read once
 * (with its settings revisions). Events move the log head in it (written once, at the end) and
 * keep the columns they write in step (event-effects.ts); a status's writes are copied into it.
 * An event reads only what events and statuses write (id, site, log epoch and head, camera
 * capture, bolt and door), so the copy serves every event; a status after an event whose effects
 * may have written what a status compares with (writesStatusInputs: the owner-time mark, the
 * signing key) reads the row again. A status followed at once by another leaves its statement to
 * that one, which writes the same columns (status-intake.ts StatusWrite): nothing runs in between
 * that could read them.
 */
async function storeTogether(ctx: RelayContext, q: Q, deviceId: string, items: Taken[]): Promise<Stored[]> {
  const first = await lockDeviceWithSettings(q, deviceId);
  if (!first) return items.map((t) => (t.kind === 'event' || t.kind === 'receipt' ? 'unknown-device' : t.kind === 'status' ? undefined : 'offline'));
  // The batch's activity rows go in one INSERT at its end (domain/activity.ts).
  holdActivity(q);
  try {
    return await storeRows(ctx, q, deviceId, items, first);
  } finally {
    dropHeldActivity(q);
  }
}

/** storeTogether's work once the device row is read. */
async function storeRows(ctx: RelayContext, q: Q, deviceId: string, items: Taken[], first: DeviceWithSettings): Promise<Stored[]> {
  let row: DeviceWithSettings = { ...first };
  const stored = rowAsStored(row);
  let readable = true;
  // The rows of the batch's new events, inserted together at its end (event-intake.ts).
  const held: HeldEvents = [];
  // The replayHigh of the statuses whose statement the next status's statement took over (0: none).
  let replayHighBefore = 0;
  const out: Stored[] = [];
  for (let k = 0; k < items.length; k++) {
    const t = items[k];
    if (t.kind === 'event') {
      const r = await storeEvent(ctx, q, row, t.ev, t.payload, true, held);
      // A request waiting for this event may keep its answer with it (waiters.ts settleIn).
      if (r === 'stored' || r === 'stored-resync' || r === 'duplicate') await ctx.waiters.settleIn(q, t.ev);
      out.push(r);
      if (writesStatusInputs(t.ev, r)) readable = false;
    } else if (t.kind === 'receipt') {
      // A receipt reads the lock key, site and log epoch, and pins the key in the copy.
      out.push(await storeReceipt(ctx, q, row, t.rc, t.payload));
    } else if (t.kind === 'status') {
      if (!readable) {
        const now = await lockDeviceWithSettings(q, deviceId);
        if (!now) {
          out.push(undefined);
          continue;
        }
        row = { ...now, log_seq: row.log_seq, log_head: row.log_head };
        readable = true;
      }
      // The batch's last write of the row: the log head its events moved goes into the status's statement.
      const head = k === items.length - 1 && row.log_seq !== stored.log_seq && row.log_head !== null ? { seq: row.log_seq, head: row.log_head } : undefined;
      // A status right before another (a door action sends two, often stored together) is written by the next one's statement.
      const superseded = k + 1 < items.length && items[k + 1].kind === 'status';
      const status = await storeStatus(ctx, q, row, t.status, { logHead: head, superseded, replayHighBefore });
      replayHighBefore = superseded ? Math.max(replayHighBefore, t.status.replayHigh) : 0;
      out.push(status);
      // A new copy: the stored status keeps the row as it was before it. It wrote bolt and door (and the head).
      row = { ...row, ...status.written };
      stored.bolt = row.bolt;
      stored.door = row.door;
      if (head) stored.log_seq = row.log_seq;
    } else {
      await markConnectionLost(q, deviceId);
      out.push('offline');
    }
  }
  await writeLogHead(ctx, q, row, stored, held);
  await insertHeldActivity(ctx, q);
  return out;
}

/**
 * One message of a batch whose transaction failed (loneFailure: its error when the message was
 * alone in it, else null). A lone message gets what its first attempt left to do: an event is
 * kept without its effects (event-intake.ts), a status or offline marker is refused (it was
 * logged; the lock sends its status again). One of several is stored in a transaction of its
 * own, so another's failure costs it nothing.
 */
async function storeAfterFailure(ctx: RelayContext, deviceId: string, t: Taken, loneFailure: unknown): Promise<Stored> {
  const lone = loneFailure !== null;
  if (ctx.closing) return t.kind === 'event' || t.kind === 'receipt' ? 'unavailable' : undefined;
  if (t.kind === 'event') return lone ? storeEventWithoutEffects(ctx, t.ev, t.payload, loneFailure) : storeEventAlone(ctx, t.ev, t.payload);
  if (t.kind === 'receipt') {
    if (!lone) return storeReceiptAlone(ctx, deviceId, t.rc, t.payload);
    // Not kept: the broker does not acknowledge it, and the lock sends it again after reconnecting.
    ctx.log.error({ err: loneFailure, deviceId, eventSeq: t.rc.seq }, 'storing lock receipt failed: not acknowledged');
    return 'unavailable';
  }
  if (lone) {
    ctx.log.error({ err: loneFailure, deviceId }, 'storing lock status failed');
    return undefined;
  }
  try {
    if (t.kind === 'offline') {
      await markConnectionLost(ctx.store.q, deviceId);
      return 'offline';
    }
    return await storeStatusAlone(ctx, deviceId, t.status);
  } catch (err) {
    if (!ctx.closing) ctx.log.error({ err, deviceId }, 'storing lock status failed');
    return undefined;
  }
}

/** After the commit: the message's outcome, and whether it calls for the lock's sync. */
function finish(ctx: RelayContext, deviceId: string, t: Taken, stored: Stored): { result: MessageResult; sync: boolean } {
  if (t.kind === 'event') {
    const s = stored as StoreResult;
    return { result: eventTaken(ctx, t.ev, s), sync: s === 'stored-resync' };
  }
  if (t.kind === 'receipt') return { result: stored as IntakeResult, sync: false };
  if (t.kind === 'offline') {
    if (stored !== 'offline') return { result: 'rejected', sync: false };
    ctx.log.info({ deviceId }, 'lock last will received');
    return { result: 'offline', sync: false };
  }
  const s = stored as StoredStatus | undefined;
  if (!s) return { result: 'rejected', sync: false };
  statusTaken(ctx, s);
  return { result: 'status', sync: s.needsSync };
}

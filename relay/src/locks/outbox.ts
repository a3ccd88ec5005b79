/**
 * The command outbox (docs/protocol.md §3.3, docs/product.md#reliability-properties): every signed command is stored
 * before it is published, under a per-device counter allocated atomically in the database (so
 * several relay processes never reuse one). A lock answers each command with exactly one
 * ACK event carrying the counter. Unacknowledged commands are resent in counter order
 * when the lock (re)subscribes, but never once `notAfter` has passed: they are marked
 * expired instead. Expired grant pushes, revocations and key rotations are re-issued as
 * new commands with a new counter; unlocks never are (a timed-out unlock is reported as
 * "may have run", never retried).
 */
import {
  ACT_ALARM_CLEAR, ACT_GRANT_PUT, ACT_GRANT_REVOKE, ACT_KEY_ROTATE, ACT_LOCK, ACT_SETTINGS_SET, ACT_TIME_SET, ACT_UNLATCH, ACT_UNLOCK,
  actionPolicy, attachSignature, decodeCommand, encodeCommandBody, encodePayload, fromHex, isTransientReason
} from '@keyway/shared';
import type { RelayContext } from '../context';
import {
  allocateCounter, closePending, insertCommand, markSent, overdueCommands, pendingCommand, pendingCommandsOf, recordAck as recordAckRow,
  type AckedCommand
} from '../data/commands';
import { isOnline, lockDevice } from '../data/devices';
import { grantStatus } from '../data/grants';
import { afterCommit, type Q } from '../data/store';
import type { Selectable } from 'kysely';
import type { CommandsTable } from '../data/schema';

export type Purpose = 'entry' | 'owner_unlock' | 'owner_lock' | 'grant_put' | 'grant_revoke' | 'key_rotate' | 'time_set' | 'alarm_clear' | 'settings_set'
  | 'owner_statement' | 'owner_key_add';

export type CommandRow = Omit<Selectable<CommandsTable>, 'purpose' | 'status'> & { purpose: Purpose; status: 'pending' | 'acked' | 'denied' | 'expired' | 'superseded' };

export interface IssueRequest {
  deviceId: string;
  action: number;
  /** Payload object for the action's codec, or its exact bytes. */
  payload: unknown;
  payloadBytes?: Uint8Array;
  purpose: Purpose;
  nonce?: Uint8Array;
  grantId?: number | null;
  deliveryId?: number | null;
  newKeyId?: number | null;
  reissueOf?: number | null;
  /**
   * The caller publishes the command itself right after the commit (`dispatch(ctx, row, true,
   * true)`): it is stored as sent once, without a write of its own after the publish.
   */
  publishedOnCommit?: boolean;
  /** The counter (and the key of its signature) already taken for this command in the same transaction (takeCounterOfOwnedDevice); else issueCommand takes one. */
  counter?: { counter: number; keyId: number };
}

export const ACTION_NAMES: Record<number, string> = {
  [ACT_UNLOCK]: 'UNLOCK', [ACT_LOCK]: 'LOCK', [ACT_UNLATCH]: 'UNLATCH', [ACT_GRANT_PUT]: 'GRANT_PUT',
  [ACT_GRANT_REVOKE]: 'GRANT_REVOKE', [ACT_KEY_ROTATE]: 'KEY_ROTATE', [ACT_TIME_SET]: 'TIME_SET', [ACT_ALARM_CLEAR]: 'ALARM_CLEAR',
  [ACT_SETTINGS_SET]: 'SETTINGS_SET'
};

const REISSUABLE: ReadonlySet<Purpose> = new Set(['grant_put', 'grant_revoke', 'key_rotate']);
/** Counters are u32 on the wire (docs/protocol.md §3.1). */
const MAX_COUNTER = 0xffffffff;
/** A command not bound to a lock challenge carries an all-zero nonce of this size. */
const COMMAND_NONCE_BYTES = 8;

/** The validity window the relay signs: short for door actions, the policy maximum for staging. */
export function commandWindow(action: number, nowS: number, unlockWindowS: number): { notBefore: number; notAfter: number } {
  const policy = actionPolicy(action);
  if (!policy) throw new Error('UNKNOWN_ACTION: ' + action);
  if (action === ACT_UNLOCK || action === ACT_UNLATCH || action === ACT_LOCK) return { notBefore: nowS, notAfter: nowS + Math.min(unlockWindowS, policy.maxSpan) };
  if (action === ACT_TIME_SET) return { notBefore: nowS - 30, notAfter: nowS + 60 };
  if (action === ACT_ALARM_CLEAR) return { notBefore: nowS - 30, notAfter: nowS + 120 };
  // Staging commands: back-date a minute for a lock clock slightly behind, keep within the span.
  return { notBefore: nowS - 60, notAfter: nowS - 60 + policy.maxSpan };
}

/**
 * Signs and stores a command in q (the caller's transaction, or on its own). Publish it with
 * publishAfterCommit, or with dispatch once q has committed.
 */
export async function issueCommand(ctx: RelayContext, q: Q, req: IssueRequest): Promise<CommandRow> {
  const slot = req.counter ?? await allocateCounter(q, req.deviceId);
  if (!slot) throw new Error('DEVICE_UNKNOWN: ' + req.deviceId);
  const { counter, keyId } = slot;
  if (counter > MAX_COUNTER) throw new Error('COUNTER_EXHAUSTED: ' + req.deviceId);
  const signer = ctx.keys.signer(keyId);
  const w = commandWindow(req.action, ctx.nowS(), ctx.opts.unlockWindowS);
  const payload = req.payloadBytes ?? encodePayload(req.action, req.payload);
  const body = encodeCommandBody({
    deviceId: fromHex(req.deviceId), keyId: signer.keyId, action: req.action, notBefore: w.notBefore, notAfter: w.notAfter,
    counter, nonce: req.nonce ?? new Uint8Array(COMMAND_NONCE_BYTES), payload
  });
  const bytes = Buffer.from(attachSignature(body, signer.sign(body)));
  const now = ctx.now();
  const row = (await insertCommand(q, {
    device_id: req.deviceId, counter, action: req.action, purpose: req.purpose, key_id: signer.keyId, bytes, not_before_s: w.notBefore, not_after_s: w.notAfter,
    resendable: req.purpose === 'time_set' ? 0 : 1, reissuable: REISSUABLE.has(req.purpose) ? 1 : 0,
    grant_id: req.grantId ?? null, delivery_id: req.deliveryId ?? null, new_key_id: req.newKeyId ?? null, reissue_of: req.reissueOf ?? null, created_at: now,
    sent_at: req.publishedOnCommit ? now : null, send_count: req.publishedOnCommit ? 1 : 0
  })) as CommandRow;
  ctx.metrics.commands.inc({ action: ACTION_NAMES[req.action] ?? String(req.action), purpose: req.purpose });
  ctx.log.info({ deviceId: req.deviceId, counter, action: ACTION_NAMES[req.action], purpose: req.purpose, keyId: signer.keyId, notAfter: w.notAfter }, 'command signed');
  return row;
}

/** A command this process sent to its lock: its counter, and the delivery it was sent for (null: none). */
interface SentCommand {
  counter: number;
  deliveryId: number | null;
}

/** Per relay, the last command this process sent to each lock. */
const lastSent = new WeakMap<RelayContext, Map<string, SentCommand>>();

/**
 * The delivery of the command `counter` when it is the last one this process sent to the lock
 * (null: none), else undefined (the caller reads it). A stored command's delivery never changes
 * and a lock's counter is never used twice, so the OPERATION a door command causes
 * (event-effects.ts) needs no read of what this process had in hand when it sent it.
 */
export function deliveryOfLastSent(ctx: RelayContext, deviceId: string, counter: number): number | null | undefined {
  const sent = lastSent.get(ctx)?.get(deviceId);
  return sent && sent.counter === counter ? sent.deliveryId : undefined;
}

function noteSent(ctx: RelayContext, row: CommandRow): void {
  let byLock = lastSent.get(ctx);
  if (!byLock) lastSent.set(ctx, (byLock = new Map()));
  byLock.set(row.device_id, { counter: row.counter, deliveryId: row.delivery_id });
}

/**
 * Publishes a stored pending command if its lock is online. `counted`: the command was stored as
 * sent (IssueRequest.publishedOnCommit), so this first publish needs no write. Only a committed
 * command is ever passed here.
 */
export async function dispatch(ctx: RelayContext, row: CommandRow, force = false, counted = false): Promise<boolean> {
  if (ctx.closing) return false;
  if (!force && !(await isOnline(ctx.store.q, row.device_id))) return false;
  noteSent(ctx, row);
  await ctx.publishToLock(row.device_id, row.bytes);
  if (ctx.closing || counted) return true;
  // One statement: it joins the writes being committed together rather than commit alone.
  await ctx.store.write((q) => markSent(q, row.device_id, row.counter, ctx.now()));
  return true;
}

/**
 * dispatch() once the transaction q belongs to has committed (at once when q is the store
 * itself), if the command is still pending then. A command of a transaction that rolls back is
 * never published: the lock must never act on what the relay has no record of.
 */
export function publishAfterCommit(ctx: RelayContext, q: Q, row: CommandRow): void {
  afterCommit(q, () => {
    if (ctx.closing) return;
    pendingCommand(ctx.store.q, row.device_id, row.counter)
      .then((still) => (still ? dispatch(ctx, still as CommandRow) : false))
      .catch((err: unknown) => {
        if (!ctx.closing) ctx.log.warn({ err, deviceId: row.device_id, counter: row.counter }, 'command publish failed');
      });
  });
}

/** Whether an expired re-issuable command is still wanted. */
async function stillWanted(ctx: RelayContext, q: Q, row: CommandRow): Promise<boolean> {
  if ((row.purpose === 'grant_put' || row.purpose === 'grant_revoke') && row.grant_id !== null) {
    const g = await grantStatus(q, row.grant_id);
    if (row.purpose === 'grant_revoke') return !!g && g.status === 'revoking';
    return !!g && g.status === 'pending' && g.not_after > ctx.now();
  }
  if (row.purpose === 'key_rotate') {
    const d = await lockDevice(q, row.device_id);
    return !!d && d.signing_key_id === row.key_id;
  }
  return false;
}

/**
 * Marks a pending command whose window has ended as expired and, for staging commands
 * still wanted, issues a replacement (same payload, new counter and window). Returns it.
 */
export async function expireCommand(ctx: RelayContext, q: Q, row: CommandRow): Promise<CommandRow | null> {
  if (!(await closePending(q, row.device_id, row.counter, 'expired'))) return null;
  ctx.log.info({ deviceId: row.device_id, counter: row.counter, purpose: row.purpose }, 'command expired unacknowledged');
  if (!row.reissuable || !(await stillWanted(ctx, q, row))) return null;
  const decoded = decodeCommand(new Uint8Array(row.bytes));
  return issueCommand(ctx, q, {
    deviceId: row.device_id, action: row.action, payload: null, payloadBytes: decoded.payload, purpose: row.purpose,
    grantId: row.grant_id, deliveryId: row.delivery_id, newKeyId: row.new_key_id, reissueOf: row.counter
  });
}

/** On (re)subscription: expire what is overdue, then resend what is valid, in counter order. */
export async function resendPending(ctx: RelayContext, deviceId: string): Promise<number> {
  const nowS = ctx.nowS();
  const toSend: CommandRow[] = [];
  await ctx.store.tx(async (q) => {
    // The device row first: relays resending to one lock take turns, as the sync does.
    await lockDevice(q, deviceId);
    for (const row of (await pendingCommandsOf(q, deviceId)) as CommandRow[]) {
      if (nowS >= row.not_after_s) {
        const again = await expireCommand(ctx, q, row);
        if (again) toSend.push(again);
      } else if (row.resendable) toSend.push(row);
      else await closePending(q, deviceId, row.counter, 'expired');
    }
  });
  toSend.sort((a, b) => a.counter - b.counter);
  let sent = 0;
  for (const row of toSend) {
    if (await dispatch(ctx, row, true)) {
      sent++;
      if (row.send_count > 0) ctx.metrics.commandResends.inc();
    }
  }
  if (sent > 0) ctx.log.info({ deviceId, sent }, 'outbox flushed to lock');
  return sent;
}

/** Maintenance: expire overdue commands of every lock; re-issue wanted ones (sent if online). */
export async function sweepExpired(ctx: RelayContext): Promise<CommandRow[]> {
  return ctx.store.tx(async (q) => {
    const fresh: CommandRow[] = [];
    for (const row of (await overdueCommands(q, ctx.nowS())) as CommandRow[]) {
      const again = await expireCommand(ctx, q, row);
      if (!again) continue;
      fresh.push(again);
      publishAfterCommit(ctx, q, again);
    }
    return fresh;
  });
}

/** Records the lock's ACK for a counter (in the event's transaction q); returns the command when this call changed it. */
export function recordAck(ctx: RelayContext, q: Q, deviceId: string, counter: number, code: number, seq: number): Promise<AckedCommand | undefined> {
  return recordAckRow(q, deviceId, counter, { code, transient: isTransientReason(code), seq, at: ctx.now() });
}

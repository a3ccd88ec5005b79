/**
 * Making a lock act now: courier entry for a delivery, guest entry on a grant, owner
 * unlock/lock from anywhere. The relay checks everything it can first (who, where, when,
 * lock online, camera healthy), then either reveals the next hash-chain value of a grant
 * already staged on the lock (no signature to verify at the door) or signs a short-lived
 * command, publishes it, and waits a bounded time for the lock's answer. A timeout is
 * reported as "may have run" and never retried by the relay (docs/protocol.md §3.3).
 */
import {
  ACT_ALARM_CLEAR, ACT_LOCK, ACT_UNLOCK, ACTOR_COURIER, ACTOR_OWNER, checkGrantTime, CRED_HASH_CHAIN, EV_ACK, EV_CAMERA, EV_DENIAL, EV_OPERATION, FLAG_CAMERA_REQUIRED,
  FLAG_RELOCK_ON_CLOSE, encodeReveal, fromHex, RC_OUTSIDE_SCHEDULE, RC_OUTSIDE_WINDOW, SRC_BARCODE, SRC_COMMAND, SRC_REVEAL, ST_CAMERA_OK, ST_JAMMED, ST_LOCKOUT,
  type ScheduleEntry
} from '@keyway/shared';
import type { RelayContext } from '../context';
import { setEntryCounter } from '../data/deliveries';
import { lockDevice, lockDeviceOfDelivery } from '../data/devices';
import { readForCourierEntry, type CourierEntryRead, type LockReadinessRow } from '../data/delivery-reads';
import { afterCommit, type Q } from '../data/store';
import { errorBody, relayError, RelayError, type ErrorCode } from '../errors';
import { chainValue } from '../locks/chain';
import { captureOf, clipRef } from '../locks/event-effects';
import { dispatch, issueCommand, type CommandRow } from '../locks/outbox';
import type { ReceivedEvent, Settle } from '../locks/waiters';
import { recordActivity } from './activity';
import { guestGrant } from './access-grants';
import { deliveryFor, deliveryView, getDelivery, onDeliveryUnlocked, readableBy, transition, viewEmittedIn, type DeliveryRow } from './deliveries';
import { canTransition } from './delivery-states';
import { deviceForOwnerCommand, getDevice, type DeviceRow } from './devices';
import { chainSeed, getGrant, type GrantRow } from './grants';
import { reasonName } from './names';
import type { Principal } from './principals';
import type { ClaimStep, KeepStep } from './idempotency';
import type { SiteRow } from './sites';

type Outcome = { result: 'opened'; seq: number; clip: string | null } | { result: 'denied'; code: number } | { result: 'fault'; code: number; seq: number };
type Method = 'reveal' | 'command';

function commandMatcher(deviceId: string, counter: number) {
  let clip: string | null = null;
  return (ev: ReceivedEvent): Outcome | undefined => {
    if (ev.type === EV_CAMERA && ev.code === 0) clip = clipRef(deviceId, captureOf(ev));
    if (ev.ref !== counter) return undefined;
    if (ev.type === EV_ACK && ev.code !== 0) return { result: 'denied', code: ev.code };
    if (ev.type === EV_OPERATION && (ev.data.length < 2 || ev.data[1] === SRC_COMMAND)) {
      return ev.code === 0 ? { result: 'opened', seq: ev.seq, clip } : { result: 'fault', code: ev.code, seq: ev.seq };
    }
    return undefined;
  };
}

function revealMatcher(deviceId: string, grantId: number) {
  let clip: string | null = null;
  return (ev: ReceivedEvent): Outcome | undefined => {
    if (ev.type === EV_CAMERA && ev.code === 0) clip = clipRef(deviceId, captureOf(ev));
    if (ev.ref !== grantId || (ev.data.length >= 2 && ev.data[1] !== SRC_REVEAL && ev.data[1] !== SRC_BARCODE)) return undefined;
    if (ev.type === EV_DENIAL) return { result: 'denied', code: ev.code };
    if (ev.type === EV_OPERATION) return ev.code === 0 ? { result: 'opened', seq: ev.seq, clip } : { result: 'fault', code: ev.code, seq: ev.seq };
    return undefined;
  };
}

/** Online, status known, camera healthy when evidence is required, not jammed or locked out. */
export async function assertLockReady(ctx: RelayContext, deviceId: string, cameraRequired: boolean): Promise<DeviceRow> {
  return lockReady((await getDevice(ctx.store.q, deviceId))!, cameraRequired);
}

/** The checks of assertLockReady on a device row this request has already read (these columns of it are enough). */
function lockReady<T extends LockReadinessRow>(d: T, cameraRequired: boolean): T {
  const deviceId = d.id;
  if (d.online !== 1) throw relayError('KW_LOCK_OFFLINE', { deviceId, lastSeen: d.last_seen ? new Date(d.last_seen).toISOString() : null });
  if (d.flags === null) throw relayError('KW_LOCK_UNAVAILABLE', { deviceId, status: 'no status yet' });
  if (cameraRequired && (d.flags & ST_CAMERA_OK) === 0) throw relayError('KW_CAMERA_UNHEALTHY', { deviceId });
  if ((d.flags & (ST_JAMMED | ST_LOCKOUT)) !== 0) throw relayError('KW_LOCK_UNAVAILABLE', { deviceId, jammed: (d.flags & ST_JAMMED) !== 0, lockout: (d.flags & ST_LOCKOUT) !== 0 });
  return d;
}

async function awaitLock(
  ctx: RelayContext, deviceId: string, matcher: (ev: ReceivedEvent) => Outcome | undefined, send: () => Promise<unknown>, settle?: Settle<Outcome>
): Promise<Outcome | 'timeout'> {
  if (ctx.closing) throw relayError('KW_SHUTTING_DOWN');
  const w = ctx.waiters.wait(deviceId, matcher, ctx.opts.entryTimeoutMs, settle);
  try {
    await send();
  } catch (err) {
    w.cancel();
    throw err;
  }
  return w.promise;
}

function revealBytes(ctx: RelayContext, g: GrantRow): Buffer {
  const index = g.chain_links - 1 - g.chain_used;
  const value = chainValue(chainSeed(ctx, g), fromHex(g.device_id), g.id, index);
  return Buffer.from(encodeReveal({ deviceId: fromHex(g.device_id), grantId: g.id, value }));
}

function hasChainLeft(g: GrantRow | undefined): g is GrantRow {
  return !!g && g.status === 'active' && g.cred_type === CRED_HASH_CHAIN && g.chain_used < g.chain_links && (g.max_uses === 0 || g.uses < g.max_uses);
}

interface Finish {
  kind: string;
  method: Method;
  started: number;
  deviceId: string;
  extra: Record<string, unknown>;
}

function label(outcome: Outcome | 'timeout'): string {
  return outcome === 'timeout' ? 'timeout' : outcome.result;
}

/** Counts and logs the lock's answer to an entry (seconds: from the request). */
function observe(ctx: RelayContext, outcome: Outcome | 'timeout', f: Finish, seconds: number): void {
  ctx.metrics.entryLatency.observe({ method: f.method, outcome: label(outcome) }, seconds);
  ctx.log.info({ kind: f.kind, method: f.method, deviceId: f.deviceId, outcome: label(outcome), latencyMs: Math.round(seconds * 1000), ...f.extra }, 'lock answered entry');
}

function openedBody(outcome: Extract<Outcome, { result: 'opened' }>, f: Finish, seconds: number): Record<string, unknown> {
  return { outcome: 'opened', method: f.method, deviceId: f.deviceId, eventSeq: outcome.seq, clip: outcome.clip, latencyMs: Math.round(seconds * 1000), ...f.extra };
}

function finish(ctx: RelayContext, outcome: Outcome | 'timeout', f: Finish): { status: number; body: Record<string, unknown> } {
  const seconds = (ctx.now() - f.started) / 1000;
  observe(ctx, outcome, f, seconds);
  if (outcome === 'timeout') throw relayError('KW_ENTRY_TIMEOUT', { method: f.method, deviceId: f.deviceId, ...f.extra });
  if (outcome.result === 'denied') throw relayError('KW_ENTRY_DENIED', { reason: reasonName(outcome.code), code: outcome.code, method: f.method });
  if (outcome.result === 'fault') throw relayError('KW_LOCK_FAULT', { reason: reasonName(outcome.code), code: outcome.code, eventSeq: outcome.seq });
  return { status: 200, body: openedBody(outcome, f, seconds) };
}

/** Relay-side refusals are logged, counted and put in the owner's activity feed. */
async function refuse(ctx: RelayContext, kind: string, siteId: number, deviceId: string, code: ErrorCode, a: { actorKind: string; actorId: number | null; deliveryId?: number; grantId?: number }, details?: Record<string, unknown>): Promise<never> {
  ctx.metrics.authorizations.inc({ kind, outcome: code });
  await ctx.store.tx(async (q) => {
    await recordActivity(ctx, q, { siteId, deviceId, kind: 'entry.refused', reason: code, actorKind: a.actorKind, actorId: a.actorId, deliveryId: a.deliveryId ?? null, grantId: a.grantId ?? null, details });
  });
  ctx.log.info({ kind, deviceId, code, ...a }, 'entry refused by relay');
  throw relayError(code, details);
}

/** The courier entry's steps traced (traceEntryStep), in order. */
export type EntryStep = 'received' | 'started' | 'checked' | 'recorded' | 'publishing' | 'answered' | 'built' | 'stored';

/**
 * The courier entry's steps for the timing trace (`bench/relay.mts --entry-trace`, the relay
 * with a step trace only): the request handled, its key claimed (entry started), the checks done, the
 * request recorded (committed), the reveal handed to the broker; then the lock's answer in hand
 * (the waiter resolved), the answer built (delivery read), the answer stored with the key. The
 * entry claims its key, checks and records the request in one transaction ('started' and
 * 'checked' are not logged), and keeps its answer with the lock's OPERATION when it can ('built'
 * is then not logged).
 */
export function traceEntryStep(ctx: RelayContext, step: EntryStep, deliveryId: number): void {
  ctx.steps?.mark('entry step', { deliveryId, step });
}

/** Why the relay refuses this courier entry, on what its transaction read (null: it may go ahead). */
function courierRefusal(r: CourierEntryRead, d: DeliveryRow, now: number): { code: ErrorCode; details?: Record<string, unknown> } | null {
  const site = r.site;
  if (!r.partner) return { code: 'KW_PARTNER_WITHDRAWN' };
  if (d.status === 'cancelled') return { code: 'KW_DELIVERY_CANCELLED' };
  if (d.status === 'blocked') return { code: 'KW_DELIVERY_BLOCKED', details: { reason: d.block_reason } };
  if (d.status !== 'booked' && d.status !== 'entering') return { code: 'KW_DELIVERY_CLOSED', details: { status: d.status } };
  if (now < d.window_start || now >= d.window_end) {
    return { code: 'KW_OUTSIDE_WINDOW', details: { window: { start: new Date(d.window_start).toISOString(), end: new Date(d.window_end).toISOString() } } };
  }
  if (d.in_home !== 1 || site.allow_in_home !== 1) return { code: 'KW_IN_HOME_NOT_ALLOWED', details: { site: site.allow_in_home === 1, delivery: d.in_home === 1 } };
  try {
    lockReady(r.lock!, true);
  } catch (err) {
    if (err instanceof RelayError) return { code: err.code, details: err.details };
    throw err;
  }
  return null;
}

/** What the courier entry's one transaction settled: a refusal (stored as the key's answer), or the entry to make. */
type EntryPlan = { refused: RelayError; deviceId: string } | { d: DeliveryRow; site: SiteRow; grant: GrantRow | undefined; method: Method; cmd: CommandRow | null };

/** The courier entry's one transaction q: the key claimed, the checks, the request recorded (or the refusal, kept as the key's answer). */
async function planCourierEntry(ctx: RelayContext, q: Q, p: Principal, deliveryId: number, started: number, claim: ClaimStep, keep: KeepStep): Promise<EntryPlan> {
  await claim(q);
  // Before the read (PostgreSQL): a cancel, block or withdrawal committed meanwhile is seen by it,
  // not missed by a move that would then change nothing while the reveal or command still goes out.
  await lockDeviceOfDelivery(q, deliveryId);
  // The delivery, its site, the partnership, the lock's readiness and the grant: one statement.
  const read = await readForCourierEntry(q, deliveryId);
  if (!read) throw relayError('KW_NOT_FOUND');
  const d = readableBy(p, read.delivery as DeliveryRow, read.site, read.partner);
  const site = read.site;
  const actor = { actorKind: 'courier', actorId: d.courier_id, deliveryId: d.id };
  const refusal = courierRefusal(read, d, started);
  if (refusal) {
    const err = relayError(refusal.code, refusal.details);
    await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.device_id, kind: 'entry.refused', reason: refusal.code, ...actor, grantId: null, details: refusal.details });
    await keep(q, { status: err.status, body: errorBody(err) });
    return { refused: err, deviceId: d.device_id };
  }
  const grant = read.grant;
  const method: Method = hasChainLeft(grant) ? 'reveal' : 'command';
  let cmd: CommandRow | null = null;
  if (method === 'command') {
    // Before the delivery's row: the command takes the lock's row for its counter, which the lock's own transactions take first.
    cmd = await issueCommand(ctx, q, {
      deviceId: d.device_id, action: ACT_UNLOCK, purpose: 'entry', deliveryId: d.id,
      payload: { grantId: 0, actorKind: ACTOR_COURIER, actorRef: d.courier_id, flags: FLAG_CAMERA_REQUIRED | FLAG_RELOCK_ON_CLOSE, relockAfter: 0 }
    });
    await setEntryCounter(q, d.id, cmd.counter);
  }
  // A move that changes nothing: something moved the delivery after the read without taking the
  // lock's row first (none of the relay's moves does so today); nothing goes to the lock.
  if (d.status === 'booked' && !(await transition(ctx, q, d, 'entering'))) throw relayError('KW_CONFLICT', { deliveryId: d.id, reason: 'the delivery moved while the entry was checked' });
  await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.device_id, kind: 'entry.requested', ...actor, grantId: grant?.id ?? null, details: { method } });
  return { d, site, grant, method, cmd };
}

/**
 * A courier asks to enter. One transaction claims the request's key, checks everything (as the
 * courier, in the delivery's window, consent, the lock ready) and records the request (the
 * delivery entering, the activity row; for a grant not staged, the signed UNLOCK): nothing of it
 * is kept unless all of it is, and the reveal or command goes out only once it has committed. A
 * refusal is recorded and kept as the key's answer in that same transaction.
 *
 * The answer to an unlock is kept with the lock's OPERATION, in the transaction that stores it
 * (waiters.ts settle): the OPERATION's effects moved the delivery to unlocked there, the answer
 * reads it and is stored with the key before that commit, and the request is answered after it
 * with no write of its own. Otherwise (the OPERATION stored some other way, its effects failed, a
 * denial, a fault, a timeout) the answer is built and stored after the lock answered, as before.
 */
export async function courierEntry(ctx: RelayContext, p: Principal, deliveryId: number, claim: ClaimStep, keep: KeepStep) {
  const started = ctx.now();
  const plan = await ctx.store.tx((q) => planCourierEntry(ctx, q, p, deliveryId, started, claim, keep));
  if ('refused' in plan) {
    const err = plan.refused;
    ctx.metrics.authorizations.inc({ kind: 'courier', outcome: err.code });
    ctx.log.info({ kind: 'courier', deviceId: plan.deviceId, code: err.code, actorKind: 'courier', deliveryId }, 'entry refused by relay');
    throw err;
  }
  const { d, site, grant, method } = plan;
  ctx.metrics.authorizations.inc({ kind: 'courier', outcome: 'granted' });
  traceEntryStep(ctx, 'recorded', d.id);
  const f: Finish = { kind: 'courier', method, started, deviceId: d.device_id, extra: { deliveryId: d.id } };
  // The answer to an unlock, kept with the OPERATION in the transaction q that stores it.
  const kept: { answer: { seconds: number; body: Record<string, unknown> } | null } = { answer: null };
  const settle = async (q: Q, outcome: Outcome): Promise<void> => {
    if (outcome.result !== 'opened') return;
    try {
      // As the OPERATION's effects emitted it in q (its webhook's view), else read as stored (access was checked at the start).
      const view = viewEmittedIn(q, d.id) ?? await deliveryView(ctx, q, (await getDelivery(q, d.id))!, site);
      // The OPERATION's effects did not move it (stored without them, or by no one yet): answered after the commit.
      if (view.status !== 'unlocked' || view.entry?.eventSeq !== outcome.seq) return;
      const seconds = (ctx.now() - started) / 1000;
      const body = { ...openedBody(outcome, f, seconds), delivery: view };
      await keep(q, { status: 200, body });
      afterCommit(q, () => {
        kept.answer = { seconds, body };
      });
    } catch (err) {
      // Not kept: the answer is built and stored after the commit, as when nothing is kept.
      ctx.log.warn({ err, deliveryId: d.id }, 'courier entry answer not kept with the OPERATION');
    }
  };
  let outcome: Outcome | 'timeout';
  if (method === 'reveal') {
    outcome = await awaitLock(ctx, d.device_id, revealMatcher(d.device_id, grant!.id), () => {
      const reveal = revealBytes(ctx, grant!);
      traceEntryStep(ctx, 'publishing', d.id);
      return ctx.publishToLock(d.device_id, reveal);
    }, settle);
  } else {
    const cmd = plan.cmd!;
    outcome = await awaitLock(ctx, d.device_id, commandMatcher(d.device_id, cmd.counter), () => dispatch(ctx, cmd, true), settle);
  }
  traceEntryStep(ctx, 'answered', d.id);
  if (kept.answer) {
    observe(ctx, outcome, f, kept.answer.seconds);
    return { status: 200, body: kept.answer.body };
  }
  // The OPERATION's own effects (committed before its waiter is answered, by whichever relay
  // process stored it) moved the delivery to unlocked: the answer reads it once. Only when they
  // did not (stored without its effects, event-intake.ts) does the answer record the unlock
  // itself; the effect, should it run later, finds the delivery moved and changes nothing.
  let after: DeliveryRow | undefined;
  if (outcome !== 'timeout' && outcome.result === 'opened') {
    const opened = outcome;
    after = await deliveryFor(ctx, ctx.store.q, p, d.id);
    if (canTransition(after.status, 'unlocked')) {
      await ctx.store.tx((q) => onDeliveryUnlocked(ctx, q, d.id, method, opened.seq, opened.clip));
      after = await deliveryFor(ctx, ctx.store.q, p, d.id);
    }
  }
  const res = finish(ctx, outcome, f);
  const body = { ...res.body, delivery: await deliveryView(ctx, ctx.store.q, after!, site) };
  traceEntryStep(ctx, 'built', d.id);
  return { status: res.status, body };
}

export async function guestEntry(ctx: RelayContext, p: Principal) {
  const started = ctx.now();
  const g = await guestGrant(ctx, p);
  const actor = { actorKind: g.kind, actorId: null, grantId: g.id };
  const no = (code: ErrorCode, details?: Record<string, unknown>): Promise<never> => refuse(ctx, g.kind, g.site_id, g.device_id, code, actor, details);
  if (g.status === 'pending') await no('KW_GRANT_NOT_STAGED');
  if (g.status === 'failed') await no('KW_CONFLICT', { status: 'failed', reason: g.status_reason });
  const time = checkGrantTime({
    notBefore: Math.floor(g.not_before / 1000), notAfter: Math.ceil(g.not_after / 1000), tzOffset: g.tz_offset, schedule: JSON.parse(g.schedule) as ScheduleEntry[]
  }, Math.floor(started / 1000));
  if (time === RC_OUTSIDE_WINDOW) await no('KW_OUTSIDE_WINDOW');
  if (time === RC_OUTSIDE_SCHEDULE) await no('KW_OUTSIDE_SCHEDULE');
  if (!hasChainLeft(g)) await no('KW_USES_EXHAUSTED');
  try {
    await assertLockReady(ctx, g.device_id, (g.flags & FLAG_CAMERA_REQUIRED) !== 0);
  } catch (err) {
    if (err instanceof RelayError) await no(err.code, err.details);
    throw err;
  }
  const stillActive = await ctx.store.tx(async (q) => {
    // The checks above read the grant outside any transaction: a revocation committed since (the
    // owner already answered) would still see the reveal go out, to a lock that may not hold the
    // revocation yet. The revocation takes the lock's row first: taken here, a committed one is
    // seen below and one still running waits until this request is recorded (ordered before it).
    await lockDevice(q, g.device_id);
    const now = await getGrant(q, g.id);
    if (now?.status !== 'active') return false;
    await recordActivity(ctx, q, { siteId: g.site_id, deviceId: g.device_id, kind: 'entry.requested', ...actor, details: { method: 'reveal' } });
    return true;
  });
  // Refused as the other checks are: logged, counted and in the owner's feed.
  if (!stillActive) await no('KW_GRANT_REVOKED');
  ctx.metrics.authorizations.inc({ kind: g.kind, outcome: 'granted' });
  const outcome = await awaitLock(ctx, g.device_id, revealMatcher(g.device_id, g.id), () => ctx.publishToLock(g.device_id, revealBytes(ctx, g)));
  return finish(ctx, outcome, { kind: g.kind, method: 'reveal', started, deviceId: g.device_id, extra: { grantId: g.id } });
}

export interface OwnerCommandInput {
  cameraRequired?: boolean;
  relockAfter?: number;
}

/**
 * `claim`: the request's idempotency claim (domain/idempotency.ts), run first in the command's
 * transaction. The lock's row is read in that transaction too (a read on the store would wait for
 * an open group-commit batch and take the slower path, docs/relay.md), by the statement that takes
 * the command's counter: a lock that is not ready rolls the transaction back, counter included.
 */
export async function ownerCommand(ctx: RelayContext, p: Principal, deviceId: string, what: 'unlock' | 'lock', input: OwnerCommandInput, claim?: ClaimStep) {
  const started = ctx.now();
  const ownerId = p.kind === 'owner' ? p.subjectId! : 0;
  const camera = what === 'unlock' && input.cameraRequired === true;
  const cmd = await ctx.store.tx(async (q) => {
    if (claim) await claim(q);
    const { device, counter } = await deviceForOwnerCommand(ctx, q, p, deviceId);
    const d = lockReady(device, camera);
    return what === 'unlock'
      ? issueCommand(ctx, q, {
        deviceId: d.id, action: ACT_UNLOCK, purpose: 'owner_unlock', publishedOnCommit: true, counter,
        payload: { grantId: 0, actorKind: ACTOR_OWNER, actorRef: ownerId, flags: (camera ? FLAG_CAMERA_REQUIRED : 0) | FLAG_RELOCK_ON_CLOSE, relockAfter: input.relockAfter ?? 0 }
      })
      : issueCommand(ctx, q, { deviceId: d.id, action: ACT_LOCK, purpose: 'owner_lock', publishedOnCommit: true, counter, payload: { actorKind: ACTOR_OWNER, actorRef: ownerId } });
  });
  ctx.metrics.authorizations.inc({ kind: 'owner', outcome: 'granted' });
  const outcome = await awaitLock(ctx, cmd.device_id, commandMatcher(cmd.device_id, cmd.counter), () => dispatch(ctx, cmd, true, true));
  const res = finish(ctx, outcome, { kind: 'owner', method: 'command', started, deviceId: cmd.device_id, extra: { counter: cmd.counter } });
  return { status: res.status, body: { ...res.body, outcome: what === 'lock' ? 'locked' : 'opened' } };
}

/** Owner clears a latched alarm on the lock (0 = all: lockout, jam) with a signed ALARM_CLEAR. */
export async function ownerClearAlarm(ctx: RelayContext, p: Principal, deviceId: string, alarm: number) {
  const started = ctx.now();
  const cmd = await ctx.store.tx(async (q) => {
    // The owner check in the statement that takes the counter, as for an unlock: read before q, a
    // lock re-registered to another owner's site meanwhile would still take this owner's command.
    const { device, counter } = await deviceForOwnerCommand(ctx, q, p, deviceId);
    if (device.online !== 1) throw relayError('KW_LOCK_OFFLINE', { deviceId });
    return issueCommand(ctx, q, { deviceId: device.id, action: ACT_ALARM_CLEAR, purpose: 'alarm_clear', counter, payload: { alarm } });
  });
  const acked = (ev: ReceivedEvent): Outcome | undefined =>
    ev.type === EV_ACK && ev.ref === cmd.counter ? (ev.code === 0 ? { result: 'opened', seq: ev.seq, clip: null } : { result: 'denied', code: ev.code }) : undefined;
  const outcome = await awaitLock(ctx, cmd.device_id, acked, () => dispatch(ctx, cmd, true));
  const res = finish(ctx, outcome, { kind: 'owner', method: 'command', started, deviceId: cmd.device_id, extra: { counter: cmd.counter } });
  return { status: res.status, body: { ...res.body, outcome: 'cleared' } };
}

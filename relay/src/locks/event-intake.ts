/**
 * Intake of lock events from kw/<id>/evt (docs/protocol.md §6). The relay process the lock is
 * connected to stores an event before its broker acknowledges it (broker.ts keepEvent); the
 * other processes see it on the message bus. Storing is an IMMEDIATE transaction keyed by
 * (device, log epoch, seq), so exactly one process stores it and runs its effects — the others
 * see a duplicate. The hash chain is verified as events are stored: gaps,
 * breaks and rewinds are recorded once and raise an owner alarm. Every process then
 * resolves its own waiters (an HTTP request waiting for this lock's answer).
 */
import { createHash } from 'node:crypto';
import { EV_ACK, decodeEvent, toHex } from '@keyway/shared';
import type { RelayContext } from '../context';
import { recordActivity } from '../domain/activity';
import { getDevice, type DeviceRow } from '../domain/devices';
import { eventTypeName } from '../domain/names';
import { notifySiteOwner } from '../domain/notifications';
import { applyEventEffects } from './event-effects';
import { reconcileDevice } from './reconcile';
import { classifyOld, verifyLink } from './log-chain';
import type { ReceivedEvent } from './waiters';

/**
 * `unavailable`: not kept (the relay is closing or storage failed); the broker must not
 * acknowledge it, so the lock sends it again. `rejected`: malformed, acknowledged and dropped.
 */
export type IntakeResult = 'stored' | 'duplicate' | 'rewind' | 'rejected' | 'unknown-device' | 'unavailable';

function hash32(bytes: Uint8Array): string {
  return createHash('sha512').update(bytes).digest().subarray(0, 32).toString('hex');
}

function recordAnomaly(ctx: RelayContext, d: DeviceRow, seq: number, kind: 'gap' | 'break' | 'rewind', details: Record<string, unknown>): void {
  const inserted = ctx.db.prepare('INSERT OR IGNORE INTO log_anomalies (device_id, epoch, seq, kind, details, at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(d.id, d.log_epoch, seq, kind, JSON.stringify(details), ctx.now()).changes;
  if (inserted === 0) return;
  ctx.db.prepare('UPDATE devices SET log_state = ? WHERE id = ?').run(kind, d.id);
  recordActivity(ctx, { siteId: d.site_id, deviceId: d.id, kind: 'log.' + kind, eventSeq: seq, details });
  notifySiteOwner(ctx, d.site_id, 'log.integrity', { deviceId: d.id, anomaly: kind, eventSeq: seq, ...details });
  ctx.metrics.logAnomalies.inc({ kind });
  ctx.log.warn({ deviceId: d.id, eventSeq: seq, anomaly: kind, ...details }, 'lock log integrity anomaly');
}

/**
 * A gap whose missing events have all arrived since, each linking to its neighbours, was a
 * delivery out of order, not a loss: it is marked resolved (the owner's feed says so), and the
 * lock's log state is ok again once nothing else is open.
 */
function resolveFilledGaps(ctx: RelayContext, d: DeviceRow): void {
  const open = ctx.db.prepare(`SELECT id, seq, json_extract(details, '$.expectedSeq') AS fromSeq FROM log_anomalies
      WHERE device_id = ? AND epoch = ? AND kind = 'gap' AND resolved_at IS NULL`).all(d.id, d.log_epoch) as { id: number; seq: number; fromSeq: number | null }[];
  for (const g of open) {
    if (g.fromSeq === null) continue;
    const have = (ctx.db.prepare("SELECT COUNT(*) AS n FROM events WHERE device_id = ? AND epoch = ? AND seq >= ? AND seq < ? AND integrity != 'break'")
      .get(d.id, d.log_epoch, g.fromSeq, g.seq) as { n: number }).n;
    if (have !== g.seq - g.fromSeq) continue;
    ctx.db.prepare('UPDATE log_anomalies SET resolved_at = ? WHERE id = ?').run(ctx.now(), g.id);
    recordActivity(ctx, { siteId: d.site_id, deviceId: d.id, kind: 'log.gap_filled', eventSeq: g.seq, details: { fromSeq: g.fromSeq } });
  }
  const left = ctx.db.prepare('SELECT COUNT(*) AS n FROM log_anomalies WHERE device_id = ? AND resolved_at IS NULL').get(d.id) as { n: number };
  if (left.n === 0) ctx.db.prepare("UPDATE devices SET log_state = 'ok' WHERE id = ?").run(d.id);
}

function insertEvent(ctx: RelayContext, d: DeviceRow, ev: ReceivedEvent, raw: Uint8Array, integrity: string): void {
  ctx.db.prepare(`INSERT INTO events (device_id, epoch, seq, raw, hash, prev_hash, time_s, type, code, ref, actor_kind, actor_ref, data, integrity, received_at, processed_by)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    d.id, d.log_epoch, ev.seq, Buffer.from(raw), ev.hashHex, toHex(ev.prevHash), ev.time, ev.type, ev.code, ev.ref, ev.actorKind, ev.actorRef,
    Buffer.from(ev.data), integrity, ctx.now(), ctx.opts.relayId
  );
}

function store(ctx: RelayContext, ev: ReceivedEvent, raw: Uint8Array, withEffects: boolean): IntakeResult {
  const d = getDevice(ctx, ev.deviceHex);
  if (!d) return 'unknown-device';
  const existing = ctx.db.prepare('SELECT hash FROM events WHERE device_id = ? AND epoch = ? AND seq = ?').get(d.id, d.log_epoch, ev.seq) as { hash: string } | undefined;
  if (existing || ev.seq <= d.log_seq) {
    const c = classifyOld(existing?.hash ?? null, ev.hashHex);
    if (c === 'duplicate') return 'duplicate';
    if (c === 'rewind') {
      recordAnomaly(ctx, d, ev.seq, 'rewind', { storedHash: existing!.hash, receivedHash: ev.hashHex });
      return 'rewind';
    }
    // A late event filling an earlier gap: it must link to its neighbours.
    const prev = ctx.db.prepare('SELECT hash FROM events WHERE device_id = ? AND epoch = ? AND seq = ?').get(d.id, d.log_epoch, ev.seq - 1) as { hash: string } | undefined;
    const next = ctx.db.prepare('SELECT prev_hash FROM events WHERE device_id = ? AND epoch = ? AND seq = ?').get(d.id, d.log_epoch, ev.seq + 1) as { prev_hash: string } | undefined;
    const broken = (prev && prev.hash !== toHex(ev.prevHash)) || (next && next.prev_hash !== ev.hashHex);
    insertEvent(ctx, d, ev, raw, broken ? 'break' : 'late');
    if (broken) recordAnomaly(ctx, d, ev.seq, 'break', { late: true });
    else resolveFilledGaps(ctx, d);
  } else {
    const link = verifyLink({ seq: d.log_seq, head: d.log_head }, ev.seq, toHex(ev.prevHash));
    insertEvent(ctx, d, ev, raw, link.verdict);
    ctx.db.prepare('UPDATE devices SET log_seq = ?, log_head = ?, last_seen = ? WHERE id = ?').run(ev.seq, ev.hashHex, ctx.now(), d.id);
    if (link.verdict === 'gap') recordAnomaly(ctx, d, ev.seq, 'gap', { expectedSeq: link.expectedSeq, receivedSeq: ev.seq, missing: ev.seq - link.expectedSeq });
    if (link.verdict === 'break') recordAnomaly(ctx, d, ev.seq, 'break', { expectedPrevHash: link.expectedPrev, receivedPrevHash: toHex(ev.prevHash) });
  }
  if (withEffects) applyEventEffects(ctx, d, ev);
  return 'stored';
}

export function handleEventMessage(ctx: RelayContext, topicDeviceId: string, payload: Uint8Array): IntakeResult {
  if (ctx.closing) return 'unavailable';
  let decoded;
  try {
    decoded = decodeEvent(payload);
  } catch (err) {
    ctx.log.warn({ deviceId: topicDeviceId, error: (err as Error).message, bytes: payload.length }, 'malformed lock event dropped');
    return 'rejected';
  }
  const deviceHex = toHex(decoded.deviceId);
  if (deviceHex !== topicDeviceId) {
    ctx.log.warn({ deviceId: topicDeviceId, claimed: deviceHex }, 'lock event for another device dropped');
    return 'rejected';
  }
  const ev: ReceivedEvent = { ...decoded, deviceHex, hashHex: hash32(payload) };
  let result: IntakeResult;
  try {
    result = ctx.db.transaction(() => store(ctx, ev, payload, true)).immediate();
  } catch (err) {
    if (ctx.closing) return 'unavailable';
    // An effect failed: the evidence is kept without its effects (sending it again would fail
    // the same way, and the lock's log must not stall behind it).
    ctx.log.error({ err, deviceId: deviceHex, eventSeq: ev.seq }, 'lock event effects failed: event stored without them');
    try {
      result = ctx.db.transaction(() => store(ctx, ev, payload, false)).immediate();
    } catch (again) {
      ctx.log.error({ err: again, deviceId: deviceHex, eventSeq: ev.seq }, 'storing lock event failed: not acknowledged, the lock sends it again');
      return 'unavailable';
    }
  }
  if (result === 'stored') {
    ctx.metrics.events.inc({ type: eventTypeName(ev.type) });
    ctx.log.debug({ deviceId: deviceHex, eventSeq: ev.seq, type: eventTypeName(ev.type), code: ev.code, ref: ev.ref }, 'lock event stored');
  }
  if (result === 'stored' || result === 'duplicate') ctx.waiters.notify(ev);
  // An acknowledgement can settle the lock's sync (a confirmed revocation, a staged grant) or call
  // for the next step: look again now rather than at the next status or sweep.
  if (result === 'stored' && ev.type === EV_ACK) {
    try {
      reconcileDevice(ctx, deviceHex);
    } catch (err) {
      if (!ctx.closing) ctx.log.warn({ err, deviceId: deviceHex }, 'lock sync failed');
    }
  }
  return result;
}

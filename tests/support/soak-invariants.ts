/**
 * What a soak must never see, checked from the locks' own logs (journal of every event each
 * lock logged, in its log order) and the relay's database after the run. Pure: a crafted
 * history can be fed to it. The bounds are named; docs/relay.md and docs/protocol.md describe
 * the revocation path they measure.
 */
import {
  ACT_GRANT_REVOKE, ACT_KEY_ROTATE, AL_QUEUE_OVERFLOW, BOLT_UNLOCKING, EV_STATE, EV_ACK, EV_ALARM, EV_OPERATION, RC_OK, SRC_BARCODE, SRC_COMMAND
} from '@keyway/shared';

/**
 * B: once the relay answered a revocation, the lock may still let the grant in only until it
 * has been online with trusted time this long in total (enough to receive and apply it).
 */
export const REVOKE_ONLINE_BOUND_MS = 5_000;
/**
 * T: after quiesce, relay and locks agree within this (the engine waits at most this long). A
 * lock may be inside a connection attempt into a dead network when the faults heal (it gives up
 * after MQTT_CONNECT_TIMEOUT_MS, 10 s), then wait out its reconnect back-off (at most 60 s, a
 * battery budget), and the sync then needs at most its 16 s retry back-off: 86 s, plus margin
 * for a loaded host.
 */
export const LIVENESS_BOUND_MS = 100_000;

export interface SoakEvent {
  /** Wall-clock ms when the lock logged it. */
  at: number;
  seq: number;
  type: number;
  code: number;
  ref: number;
  data: number[];
  /** The event's bytes as hex (what the relay stores as `raw`). */
  raw: string;
}

export interface SoakLock {
  deviceId: string;
  journal: SoakEvent[];
  /** Sequences the lock overwrote before the relay acknowledged them (its queue overflowed). */
  overwritten: number[];
  /** Wall-clock intervals online with trusted time ([from, null] = still). */
  intervals: Array<[number, number | null]>;
  /** Grant ids staged on the lock and ids on its revocation list (null: unknown). */
  staged: number[] | null;
  revokedOnLock: number[] | null;
  /** Exceptions the firmware threw, across boots. */
  errors: string[];
  /** The lock's own view at the end (for diagnosis: MQTT connected, powered, trusted time). */
  own?: { online: boolean; powered: boolean; timeTrusted: boolean; logSeq?: number; sendingSeq?: number; acked?: number; mqtt?: unknown };
}

export interface RelayCommandRow { device_id: string; counter: number; action: number; grant_id: number | null; status: string; result_code: number | null }
export interface RelayGrantRow { id: number; device_id: string; status: string }
export interface RelayEventRow { device_id: string; epoch: number; seq: number; raw: string; type: number; code: number }
export interface RelayAnomalyRow { device_id: string; kind: string; seq: number }

export interface SoakSnapshot {
  locks: SoakLock[];
  commands: RelayCommandRow[];
  grants: RelayGrantRow[];
  events: RelayEventRow[];
  anomalies: RelayAnomalyRow[];
  /** GET /v1/devices/:id answers, by device id. */
  views: Record<string, any>;
  /** The relay's current signing key at the end (GET /v1/admin/keys; null: not known). */
  relayKeyId: number | null;
}

export interface SoakFacts {
  /** Revocations the relay answered with 2xx, and when. */
  revocations: Array<{ grantId: number; deviceId: string; answeredAt: number }>;
  /** Grants the relay created (2xx), by id. */
  created: Array<{ grantId: number; deviceId: string }>;
  /** Entries and owner unlocks the relay answered `opened`. */
  opened: Array<{ deviceId: string; eventSeq: number; op: string }>;
  /** The relay's signing key after the last rotation answered (null: none rotated). */
  keyId: number | null;
  /**
   * A rotation was asked for after that one and not answered (the relay was killed or busy):
   * it may have made a newer key current, so the answered key need not be the last.
   */
  keyUnsure: boolean;
}

export interface Violation {
  invariant: string;
  deviceId?: string;
  details: string;
}

export interface CheckReport {
  checks: Record<string, number>;
  violations: Violation[];
}

/** Liveness invariants: allowed to fail until T has passed after quiesce. */
export const LIVENESS_INVARIANTS = ['liveness-revoked', 'liveness-converged', 'liveness-grants', 'liveness-key', 'event-reached'];

/** The relay's commands of this action for a device (or grant), as `counter status/result` (for details). */
function commandTrail(cmds: RelayCommandRow[], deviceId: string, action: number, grantId?: number): string {
  const mine = cmds.filter((c) => c.device_id === deviceId && c.action === action && (grantId === undefined || c.grant_id === grantId));
  return mine.map((c) => c.counter + ' ' + c.status + (c.result_code === null ? '' : '/' + c.result_code)).join(', ') || 'none';
}

function onlineMs(intervals: Array<[number, number | null]>, from: number, to: number): number {
  let total = 0;
  for (const [a, b] of intervals) {
    const s = Math.max(a, from);
    const e = Math.min(b ?? to, to);
    if (e > s) total += e - s;
  }
  return total;
}

/** The grant an OPERATION was performed on, or null (owner command, button, relock). */
function entryGrant(ev: SoakEvent, cmd: (counter: number) => RelayCommandRow | undefined): number | null {
  const source = ev.data[1];
  if (source === SRC_BARCODE) return ev.ref;
  if (source === SRC_COMMAND) return cmd(ev.ref)?.grant_id ?? null;
  return null;
}

export function checkInvariants(facts: SoakFacts, snap: SoakSnapshot, bounds = { revokeOnlineMs: REVOKE_ONLINE_BOUND_MS }): CheckReport {
  const checks: Record<string, number> = {};
  const violations: Violation[] = [];
  const check = (invariant: string, ok: boolean, deviceId: string | undefined, details: () => string) => {
    checks[invariant] = (checks[invariant] ?? 0) + 1;
    if (!ok) violations.push({ invariant, deviceId, details: details() });
  };
  const commands = new Map<string, RelayCommandRow>();
  for (const c of snap.commands) commands.set(c.device_id + ':' + c.counter, c);
  const grants = new Map<number, RelayGrantRow>();
  for (const g of snap.grants) grants.set(g.id, g);
  const relayRaw = new Map<string, number>();
  const overflowAtRelay = new Set<string>();
  for (const e of snap.events) {
    relayRaw.set(e.raw, (relayRaw.get(e.raw) ?? 0) + 1);
    if (e.type === EV_ALARM && e.code === AL_QUEUE_OVERFLOW) overflowAtRelay.add(e.device_id);
  }

  for (const lock of snap.locks) {
    check('no-firmware-error', lock.errors.length === 0, lock.deviceId, () => `the firmware threw ${lock.errors.length} time(s): ${lock.errors[0].split('\n').slice(0, 3).join(' | ')}`);
    const dev = lock.deviceId;
    const cmd = (counter: number) => commands.get(dev + ':' + counter);
    const revokedAcked = new Map<number, number>();
    const okAcks = new Map<number, number>();
    let overflow = false;
    // An OPERATION is logged when the bolt stops; the entry was decided when the motor started
    // (the STATE event showing the bolt unlocking), which may precede a revocation's ACK.
    let moveStartedSeq = 0;
    for (const ev of lock.journal) {
      if (ev.type === EV_STATE && ev.data[0] === BOLT_UNLOCKING) moveStartedSeq = ev.seq;
      if (ev.type === EV_ALARM && ev.code === AL_QUEUE_OVERFLOW) overflow = true;
      if (ev.type === EV_ACK && ev.code === RC_OK) {
        okAcks.set(ev.ref, (okAcks.get(ev.ref) ?? 0) + 1);
        const c = cmd(ev.ref);
        if (c && c.action === ACT_GRANT_REVOKE && c.grant_id !== null && !revokedAcked.has(c.grant_id)) revokedAcked.set(c.grant_id, ev.seq);
      }
      if (ev.type === EV_OPERATION && ev.code === RC_OK) {
        const g = entryGrant(ev, cmd);
        const decidedSeq = moveStartedSeq > 0 ? moveStartedSeq : ev.seq;
        moveStartedSeq = 0;
        if (g !== null) {
          const ackSeq = revokedAcked.get(g);
          check('safety-after-ack', ackSeq === undefined || ackSeq > decidedSeq, dev, () => `entry on grant ${g} (event seq ${ev.seq}, source ${ev.data[1]}) decided at event seq ${decidedSeq}, after the lock ACKed its revocation (event seq ${ackSeq})`);
        }
      }
    }
    for (const [counter, n] of okAcks) check('ack-once', n === 1, dev, () => `command ${counter} ACKed OK ${n} times`);
    // Only events the lock gave up in an overflow may be missing, and the lock must have said so.
    const lost = new Set(lock.overwritten);
    if (lost.size > 0) check('overflow-alarmed', overflow, dev, () => `the lock overwrote ${lost.size} undelivered event(s) without a QUEUE_OVERFLOW alarm`);
    for (const ev of lock.journal) {
      const n = relayRaw.get(ev.raw) ?? 0;
      check('event-once', n <= 1, dev, () => `event seq ${ev.seq} stored ${n} times at the relay`);
      if (!lost.has(ev.seq)) check('event-reached', n >= 1, dev, () => `event seq ${ev.seq} (type ${ev.type}) never reached the relay; the lock's own: ${JSON.stringify(lock.own ?? null)}`);
    }
    const view = snap.views[dev];
    const sync = view?.sync as { state?: string } | undefined;
    check('liveness-converged', !!view?.online && !!view?.status?.flags?.trustedTime && (!sync || sync.state === 'converged'), dev,
      () => `relay view: online ${view?.online}, trusted time ${view?.status?.flags?.trustedTime}, sync ${JSON.stringify(sync ?? null)}; the lock's own: ${JSON.stringify(lock.own ?? null)}`);
    if (lock.staged && lock.revokedOnLock) {
      const held = new Set(lock.staged.filter((g) => !lock.revokedOnLock!.includes(g)));
      const wanted = new Set(snap.grants.filter((g) => g.device_id === dev && g.status === 'active').map((g) => g.id));
      const missing = [...wanted].filter((g) => !held.has(g));
      const extra = [...held].filter((g) => !wanted.has(g));
      check('liveness-grants', missing.length === 0 && extra.length === 0, dev,
        () => `relay active but not on the lock: [${missing}]; on the lock but not active at the relay: [${extra.map((g) => g + ' ' + (grants.get(g)?.status ?? '?') +
          ' (GRANT_REVOKE: ' + commandTrail(snap.commands, dev, ACT_GRANT_REVOKE, g) + ')')}]`);
    }
    // Every lock ends on the relay's current key, whichever rotation made it current (one the
    // relay was killed while answering still runs to the end).
    if (facts.keyId !== null || facts.keyUnsure) {
      check('liveness-key', snap.relayKeyId !== null && view?.signingKeyId === snap.relayKeyId, dev,
        () => `lock signs with key ${view?.signingKeyId}, relay's current key ${snap.relayKeyId} (last rotation answered: ${facts.keyId}); KEY_ROTATE commands: ${commandTrail(snap.commands, dev, ACT_KEY_ROTATE)}`);
    }
  }

  const byDevice = new Map(snap.locks.map((l) => [l.deviceId, l]));
  for (const r of facts.revocations) {
    const lock = byDevice.get(r.deviceId);
    if (!lock) continue;
    let moveStartedAt = 0;
    for (const ev of lock.journal) {
      if (ev.type === EV_STATE && ev.data[0] === BOLT_UNLOCKING) moveStartedAt = ev.at;
      if (ev.type !== EV_OPERATION) continue;
      const decidedAt = moveStartedAt > 0 ? moveStartedAt : ev.at;
      moveStartedAt = 0;
      if (ev.code !== RC_OK || decidedAt <= r.answeredAt) continue;
      if (entryGrant(ev, (c) => commands.get(r.deviceId + ':' + c)) !== r.grantId) continue;
      const ms = onlineMs(lock.intervals, r.answeredAt, decidedAt);
      check('safety-bound', ms <= bounds.revokeOnlineMs, r.deviceId,
        () => `entry on grant ${r.grantId} (event seq ${ev.seq}, source ${ev.data[1]}) decided ${decidedAt - r.answeredAt} ms after the relay answered its revocation, ${ms} ms of it online with trusted time`);
    }
    checks['safety-bound'] = (checks['safety-bound'] ?? 0) + 1;
    const g = grants.get(r.grantId);
    check('liveness-revoked', g?.status === 'revoked', r.deviceId,
      () => `grant ${r.grantId} is ${g?.status ?? 'missing'} at the relay; GRANT_REVOKE commands: ${commandTrail(snap.commands, r.deviceId, ACT_GRANT_REVOKE, r.grantId)}`);
  }
  for (const c of facts.created) {
    const g = grants.get(c.grantId);
    check('outcome-once', !!g && g.device_id === c.deviceId, c.deviceId, () => `created grant ${c.grantId} is not in the relay's database`);
  }
  for (const o of facts.opened) {
    const lock = byDevice.get(o.deviceId);
    const n = lock ? lock.journal.filter((e) => e.type === EV_OPERATION && e.seq === o.eventSeq).length : 0;
    check('outcome-once', n === 1, o.deviceId, () => `${o.op} answered opened (event seq ${o.eventSeq}) but the lock logged ${n} such OPERATION`);
  }
  // An answered rotation is never undone: its key stays current unless a later one may have run.
  if (facts.keyId !== null && !facts.keyUnsure) {
    check('key-as-answered', snap.relayKeyId === facts.keyId, undefined, () => `the relay's current key is ${snap.relayKeyId}, the last rotation answered ${facts.keyId}`);
  }
  for (const a of snap.anomalies) {
    check('chain-gaps', a.kind === 'gap' && overflowAtRelay.has(a.device_id), a.device_id, () => `log ${a.kind} at seq ${a.seq} without a QUEUE_OVERFLOW alarm`);
  }
  return { checks, violations };
}

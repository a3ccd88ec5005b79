/**
 * The fault-injection soak: one seed gives one schedule of faults (soak-faults.ts) and
 * operations (soak-ops.ts) against the relay and simulated locks as separate processes
 * (soak-world.ts). Then everything heals (quiesce) and the invariants (soak-invariants.ts) are
 * checked from the locks' journals and the relay's database, waiting at most T for liveness.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { EV_DENIAL, EV_OPERATION, RC_OK, SRC_BARCODE, SRC_COMMAND, decodeEvent, fromHex } from '@keyway/shared';
import { FAULT_KINDS, injectFault, newFaultCounts, type FaultContext, type FaultKind } from './soak-faults';
import {
  LIVENESS_BOUND_MS, LIVENESS_INVARIANTS, checkInvariants, type CheckReport, type SoakLock, type SoakSnapshot
} from './soak-invariants';
import { OP_KINDS, newOpState, pickOp, runOp, type OpKind } from './soak-ops';
import { seededSoakRandom, type SoakRandom } from './soak-random';
import { startSoakWorld, type ApiRecord, type SoakWorld } from './soak-world';

/** Mean gap between faults is this divided by the number of locks (and between operations). */
export const FAULT_GAP_MS_PER_LOCK = 6_000;
export const OP_GAP_MS_PER_LOCK = 2_000;
/** Floor for those gaps, and how many operations may wait on the relay at once. */
const MIN_GAP_MS = 50;
const MAX_INFLIGHT_OPS = 16;
/** Convergence after a fault: polled this often, given up after this long. */
const CONVERGE_POLL_MS = 250;
export const CONVERGE_TIMEOUT_MS = 30_000;
/** Waiting for the world to come up, and between liveness re-checks after quiesce. */
const START_TIMEOUT_MS = 120_000;
const RECHECK_MS = 1_000;

export interface SoakOptions {
  seed: number;
  locks: number;
  durationMs: number;
  lockOptions?: Record<string, unknown>;
  log?: (line: string) => void;
}

export interface SoakResult {
  seed: number;
  locks: number;
  durationMs: number;
  faults: Record<FaultKind, number>;
  faultsSkipped: number;
  operations: Record<OpKind, number>;
  apiCalls: number;
  apiUnanswered: number;
  /** HTTP statuses per operation, e.g. { revoke: { 200: 5 } } (0 = no answer). */
  apiStatus: Record<string, Record<number, number>>;
  checks: Record<string, number>;
  violations: CheckReport['violations'];
  convergence: { samples: number; p50: number | null; p99: number | null; timedOut: number; ms: number[]; byKind: Partial<Record<FaultKind, number[]>> };
  /** Each recovery that took longer than CONVERGE_TIMEOUT_MS: the fault before it and what the relay showed then. */
  slow: SlowRecovery[];
  livenessWaitMs: number;
  /** Every API call with its answer and times (polls excluded), and every fault's end. */
  api: ApiRecord[];
  faultEnds: Array<{ at: number; kind: FaultKind; deviceIds: string[] }>;
  /** The journals of locks with a safety violation (the evidence), by device id. */
  evidence: Record<string, SoakLock['journal']>;
  /** Door openings in the locks' journals: by barcode scan, by relay command; scans refused, per reason code. */
  door: { scans: number; commands: number; refusedScans: Record<number, number> };
}

export interface SlowRecovery {
  kind: FaultKind;
  deviceId: string;
  /** Milliseconds from the soak's first fault-or-operation time to the fault's end. */
  endedAt: number;
  online: boolean;
  trustedTime: boolean;
  sync: string | null;
  /** Whether a status newer than the fault's end had arrived (for faults that need one). */
  statusFresh: boolean;
  /** The lock's own MQTT client then: online, and its failed connection attempts in a row (the back-off doubles per attempt). */
  lockOnline: boolean | null;
  attempt: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A seeded shuffle, so the first faults and operations cover every kind. */
function cycle<T>(rng: SoakRandom, kinds: readonly T[]): T[] {
  const out = [...kinds];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const converged = (v: any) => !!v?.online && !!v?.status?.flags?.trustedTime && (!v.sync || v.sync.state === 'converged');

async function devices(w: SoakWorld): Promise<Record<string, any>> {
  const r = await w.call('poll', w.ownerToken, 'GET', '/v1/devices');
  const out: Record<string, any> = {};
  if (r.status === 200) for (const d of r.body.items as any[]) out[d.id] = d;
  return out;
}

function statusTable(w: SoakWorld): SoakResult['apiStatus'] {
  const out: SoakResult['apiStatus'] = {};
  for (const a of w.api) {
    if (a.op === 'poll') continue;
    const row = (out[a.op] ??= {});
    row[a.status] = (row[a.status] ?? 0) + 1;
    if (a.status === 0) {
      const why = 'no answer: ' + String(a.body).slice(0, 80);
      const e = (out[why] ??= {});
      e[0] = (e[0] ?? 0) + 1;
    }
  }
  return out;
}

function doorCounts(snap: SoakSnapshot): SoakResult['door'] {
  const all = snap.locks.flatMap((l) => l.journal);
  const opened = all.filter((e) => e.type === EV_OPERATION && e.code === RC_OK);
  return {
    scans: opened.filter((e) => e.data[1] === SRC_BARCODE).length,
    commands: opened.filter((e) => e.data[1] === SRC_COMMAND).length,
    refusedScans: all.filter((e) => e.type === EV_DENIAL && e.data[1] === SRC_BARCODE).reduce<Record<number, number>>((m, e) => ({ ...m, [e.code]: (m[e.code] ?? 0) + 1 }), {})
  };
}

export async function snapshot(w: SoakWorld): Promise<SoakSnapshot> {
  const locks: SoakLock[] = [];
  for (const l of w.world.locks) {
    const j = await w.fleet.ask(l.deviceId, 'journal');
    const h = await w.fleet.ask(l.deviceId, 'history');
    const g = await w.fleet.ask(l.deviceId, 'grants');
    const e = await w.fleet.ask(l.deviceId, 'errors');
    const st = await w.fleet.ask(l.deviceId, 'state');
    locks.push({
      deviceId: l.deviceId, intervals: h.intervals, overwritten: j.overwritten, staged: g.staged, revokedOnLock: g.revoked, errors: e.errors,
      own: { online: !!st.online, powered: !!st.powered, timeTrusted: !!st.timeTrusted, logSeq: st.logSeq, sendingSeq: st.sendingSeq, acked: st.acked, mqtt: st.mqtt },
      journal: (j.journal as Array<{ at: number; hex: string }>).map((e) => {
        const ev = decodeEvent(fromHex(e.hex));
        return { at: e.at, seq: ev.seq, type: ev.type, code: ev.code, ref: ev.ref, data: [...ev.data], raw: e.hex };
      })
    });
  }
  const views: Record<string, any> = {};
  for (const l of w.world.locks) {
    const r = await w.call('poll', w.ownerToken, 'GET', '/v1/devices/' + l.deviceId);
    views[l.deviceId] = r.status === 200 ? r.body : null;
  }
  const keys = await w.call('poll', w.adminToken, 'GET', '/v1/admin/keys');
  const current = keys.status === 200 ? (keys.body.keys as Array<{ keyId: number; current: boolean }>).find((k) => k.current) : undefined;
  const relayKeyId = current ? current.keyId : null;
  const db = new Database(path.join(w.dataDir, 'keyway.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return {
      locks, views, relayKeyId,
      commands: db.prepare('SELECT device_id, counter, action, grant_id, status, result_code FROM commands ORDER BY device_id, counter').all() as SoakSnapshot['commands'],
      grants: db.prepare('SELECT id, device_id, status FROM grants').all() as SoakSnapshot['grants'],
      events: db.prepare("SELECT device_id, epoch, seq, lower(hex(raw)) AS raw, type, code FROM events").all() as SoakSnapshot['events'],
      anomalies: db.prepare('SELECT device_id, kind, seq FROM log_anomalies WHERE resolved_at IS NULL').all() as SoakSnapshot['anomalies']
    };
  } finally {
    db.close();
  }
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? (() => undefined);
  const rng = seededSoakRandom(o.seed);
  const w = await startSoakWorld({ locks: o.locks, lockOptions: o.lockOptions });
  try {
    const upBy = Date.now() + START_TIMEOUT_MS;
    while (Object.values(await devices(w)).filter(converged).length < o.locks) {
      if (Date.now() > upBy) throw new Error('the soak world did not come online');
      await sleep(RECHECK_MS);
    }
    log(`seed ${o.seed}: ${o.locks} locks online`);
    const samples: number[] = [];
    const byKind: Partial<Record<FaultKind, number[]>> = {};
    let timedOut = 0;
    const slow: SlowRecovery[] = [];
    const startedAt = Date.now();
    const watching: Array<{ id: string; since: number; fresh: boolean; kind: FaultKind }> = [];
    const faultEnds: SoakResult['faultEnds'] = [];
    const fctx: FaultContext = {
      w, rng, busy: new Set(), relayBusy: false, lastRelayKill: 0, counts: newFaultCounts(), skipped: 0, tasks: new Set(), log,
      ended: (kind, ids, fresh) => {
        const since = Date.now();
        faultEnds.push({ at: since, kind, deviceIds: ids });
        for (const id of ids) watching.push({ id, since, fresh, kind });
      }
    };
    let watcherOn = true;
    const watcher = (async () => {
      while (watcherOn || watching.length > 0) {
        await sleep(CONVERGE_POLL_MS);
        if (watching.length === 0 || !w.relayUp()) continue;
        const views = await devices(w);
        const now = Date.now();
        for (let i = watching.length - 1; i >= 0; i--) {
          const x = watching[i];
          const v = views[x.id];
          const fresh = !x.fresh || (v?.status?.at && Date.parse(v.status.at) >= x.since);
          if (converged(v) && fresh) {
            samples.push(now - x.since);
            (byKind[x.kind] ??= []).push(now - x.since);
          }
          else if (now - x.since > CONVERGE_TIMEOUT_MS) {
            timedOut++;
            const st = await w.fleet.ask(x.id, 'state').catch(() => null);
            const m = st?.mqtt ?? null;
            slow.push({
              kind: x.kind, deviceId: x.id, endedAt: x.since - startedAt, online: !!v?.online, trustedTime: !!v?.status?.flags?.trustedTime,
              sync: v?.sync?.state ?? null, statusFresh: !!fresh, lockOnline: m ? !!m.online : null, attempt: m ? Number(m.attempt) : null
            });
          } else continue;
          watching.splice(i, 1);
        }
      }
    })();
    const ops = newOpState(w, rng, fctx.busy);
    const inflight = new Set<Promise<void>>();
    const faultQueue = cycle(rng, FAULT_KINDS);
    const opQueue = cycle(rng, OP_KINDS);
    const faultGap = Math.max(MIN_GAP_MS, FAULT_GAP_MS_PER_LOCK / o.locks);
    const opGap = Math.max(MIN_GAP_MS, OP_GAP_MS_PER_LOCK / o.locks);
    const end = Date.now() + o.durationMs;
    let nextFault = Date.now() + rng.next() * 2 * faultGap;
    let nextOp = Date.now();
    while (Date.now() < end) {
      const now = Date.now();
      if (now >= nextFault) {
        injectFault(fctx, faultQueue.shift() ?? rng.pick(FAULT_KINDS));
        nextFault = now + rng.next() * 2 * faultGap;
      }
      if (now >= nextOp) {
        const kind = opQueue.shift() ?? pickOp(rng);
        nextOp = now + rng.next() * 2 * opGap;
        if (inflight.size < MAX_INFLIGHT_OPS) {
          const p: Promise<void> = runOp(ops, kind).catch((e) => log('op ' + kind + ' failed: ' + String(e))).finally(() => inflight.delete(p));
          inflight.add(p);
        } else ops.skipped++;
      }
      await sleep(Math.max(1, Math.min(nextFault, nextOp) - Date.now()));
    }
    log(`seed ${o.seed}: quiesce`);
    await Promise.all([...fctx.tasks]);
    await Promise.all([...inflight]);
    if (!w.relayUp()) await w.startRelay();
    await Promise.all(w.world.locks.map((l) => w.fleet.ask(l.deviceId, 'heal')));
    const quiescedAt = Date.now();
    let report: CheckReport;
    let snap: SoakSnapshot;
    for (;;) {
      snap = await snapshot(w);
      report = checkInvariants(ops.facts, snap);
      const waiting = report.violations.some((v) => LIVENESS_INVARIANTS.includes(v.invariant));
      if (!waiting || Date.now() - quiescedAt > LIVENESS_BOUND_MS) break;
      await sleep(RECHECK_MS);
    }
    const livenessWaitMs = Date.now() - quiescedAt;
    watcherOn = false;
    await watcher;
    samples.sort((a, b) => a - b);
    return {
      seed: o.seed, locks: o.locks, durationMs: o.durationMs, faults: fctx.counts, faultsSkipped: fctx.skipped, operations: ops.counts,
      apiCalls: w.api.filter((a) => a.op !== 'poll').length, apiUnanswered: w.api.filter((a) => a.op !== 'poll' && a.status === 0).length,
      apiStatus: statusTable(w),
      checks: report.checks, violations: report.violations,
      convergence: { samples: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), timedOut, ms: samples, byKind }, slow, livenessWaitMs,
      evidence: Object.fromEntries(snap.locks.filter((l) => report.violations.some((v) => v.invariant.startsWith('safety') && v.deviceId === l.deviceId)).map((l) => [l.deviceId, l.journal])),
      door: doorCounts(snap), api: w.api.filter((a) => a.op !== 'poll'), faultEnds
    };
  } finally {
    await w.close();
  }
}

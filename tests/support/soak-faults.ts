/**
 * Faults the soak injects (hardware/src/node/fleet-process.ts lists the fleet commands):
 * power cuts (plain and inside a flash write), network drops and partitions, relay SIGKILL and
 * restart, lock clock resets, duplicated and delayed MQTT deliveries. A lasting fault heals
 * itself; each end is reported so convergence after it can be timed.
 */
import type { SoakRandom } from './soak-random';
import type { SoakWorld } from './soak-world';

export const FAULT_KINDS = ['power-cut', 'power-cut-in-write', 'net-drop', 'partition', 'relay-kill', 'clock-reset', 'dup', 'delay'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How long a lock stays without power or network, and how long incoming bytes are held. */
export const OUTAGE_MS = { min: 500, max: 4_000 } as const;
export const RELAY_DOWN_MS = { min: 200, max: 2_000 } as const;
/** The relay is killed at most this often (a restart takes seconds; more would keep it down). */
export const RELAY_KILL_MIN_GAP_MS = 30_000;
export const DELAY_MS = { min: 200, max: 1_500 } as const;
export const DELAY_HOLD_MS = { min: 1_000, max: 4_000 } as const;
/** The n-th next flash write is torn: n in this range. */
export const CUT_WRITE_RANGE = { min: 1, max: 3 } as const;
/**
 * Presses of the inside button that make the lock write (OPERATION and STATE events) so an armed
 * cut fires (junk scans would do too, but they trip the lock's failed-attempt lockout).
 */
const CUT_PROVOKE_PRESSES = 3;
const CUT_PROVOKE_GAP_MS = 150;
/**
 * Locks a partition cuts off, on average (each idle lock with chance PARTITION_LOCKS / fleet
 * size). Faults come more often the more locks there are (soak.ts: the gap is per lock), so a
 * fixed share of the fleet per partition cuts each lock off more often in a larger fleet: at 100
 * locks, 40% per partition cut 10-38 locks every few seconds, and locks whose reconnects kept
 * failing backed off to 60 s and stayed offline for minutes. A fixed count keeps
 * each lock's partition rate the same at any fleet size (the 10-lock runs are unchanged).
 */
const PARTITION_LOCKS = 4;
const TEAR_MODES = ['missing', 'erased-tail', 'truncated'] as const;

export interface FaultContext {
  w: SoakWorld;
  rng: SoakRandom;
  /** Locks under a lasting fault (one at a time per lock). */
  busy: Set<string>;
  relayBusy: boolean;
  lastRelayKill: number;
  /** Faults that took effect, per kind. */
  counts: Record<FaultKind, number>;
  /** Faults chosen but not applicable (target busy, nothing to duplicate, cut not reached). */
  skipped: number;
  /** Called when a fault on these locks ended (fresh: the lock must report anew). */
  ended(kind: FaultKind, deviceIds: string[], fresh: boolean): void;
  tasks: Set<Promise<unknown>>;
  log(line: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lasting(ctx: FaultContext, ids: string[], body: () => Promise<void>): void {
  for (const id of ids) ctx.busy.add(id);
  const t = body().finally(() => {
    for (const id of ids) ctx.busy.delete(id);
    ctx.tasks.delete(t);
  });
  ctx.tasks.add(t);
}

export function newFaultCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
}

/** Injects one fault of `kind` on a lock picked by the seeded random (skipped if it is busy). */
export function injectFault(ctx: FaultContext, kind: FaultKind): void {
  const { w, rng } = ctx;
  const ids = w.world.locks.map((l) => l.deviceId);
  const id = rng.pick(ids);
  const hold = rng.int(OUTAGE_MS.min, OUTAGE_MS.max);
  const ask = (cmd: string, dev = id) => w.fleet.ask(dev, cmd);
  if (kind === 'relay-kill') {
    const down = rng.int(RELAY_DOWN_MS.min, RELAY_DOWN_MS.max);
    if (ctx.relayBusy || Date.now() - ctx.lastRelayKill < RELAY_KILL_MIN_GAP_MS) return void ctx.skipped++;
    ctx.relayBusy = true;
    ctx.lastRelayKill = Date.now();
    ctx.counts[kind]++;
    const t = (async () => {
      await w.killRelay();
      await sleep(down);
      const t0 = Date.now();
      await w.startRelay();
      ctx.log(`relay killed, down ${down} ms, restarted in ${Date.now() - t0} ms`);
      ctx.ended(kind, ids, true);
    })().finally(() => {
      ctx.relayBusy = false;
      ctx.tasks.delete(t);
    });
    ctx.tasks.add(t);
    return;
  }
  if (kind === 'partition') {
    const share = Math.min(1, PARTITION_LOCKS / ids.length);
    const cut = ids.filter(() => rng.chance(share)).filter((d) => !ctx.busy.has(d));
    if (cut.length === 0) return void ctx.skipped++;
    ctx.counts[kind]++;
    return lasting(ctx, cut, async () => {
      await Promise.all(cut.map((d) => ask('net off', d)));
      await sleep(hold);
      await Promise.all(cut.map((d) => ask('net on', d)));
      ctx.ended(kind, cut, true);
    });
  }
  const n = rng.int(CUT_WRITE_RANGE.min, CUT_WRITE_RANGE.max);
  const tear = rng.pick(TEAR_MODES);
  const fraction = rng.next();
  const k = rng.int(0, 1_000);
  const delay = rng.int(DELAY_MS.min, DELAY_MS.max);
  const delayHold = rng.int(DELAY_HOLD_MS.min, DELAY_HOLD_MS.max);
  if (ctx.busy.has(id)) return void ctx.skipped++;
  switch (kind) {
    case 'power-cut':
    case 'net-drop':
      ctx.counts[kind]++;
      return lasting(ctx, [id], async () => {
        await ask(kind === 'power-cut' ? 'power off' : 'net off');
        await sleep(hold);
        await ask(kind === 'power-cut' ? 'power on' : 'net on');
        ctx.ended(kind, [id], true);
      });
    case 'power-cut-in-write':
      return lasting(ctx, [id], async () => {
        await ask('power cut-in-write ' + n + ' ' + tear + ' ' + fraction.toFixed(3));
        for (let i = 0; i < CUT_PROVOKE_PRESSES && (await ask('state')).powered; i++) {
          await ask('button');
          await sleep(CUT_PROVOKE_GAP_MS);
        }
        const fired = !(await ask('state')).powered;
        if (fired) ctx.counts[kind]++;
        else ctx.skipped++;
        await sleep(fired ? hold : 0);
        await ask('heal');
        if (fired) ctx.ended(kind, [id], true);
      });
    case 'clock-reset':
      ctx.counts[kind]++;
      return lasting(ctx, [id], async () => {
        await ask('clock reset');
        ctx.ended(kind, [id], true);
      });
    case 'dup':
      return lasting(ctx, [id], async () => {
        if ((await ask('dup ' + k)).delivered) {
          ctx.counts[kind]++;
          ctx.ended(kind, [id], false);
        } else ctx.skipped++;
      });
    case 'delay':
      ctx.counts[kind]++;
      return lasting(ctx, [id], async () => {
        await ask('delay ' + delay);
        await sleep(delayHold);
        await ask('delay 0');
        ctx.ended(kind, [id], false);
      });
  }
}

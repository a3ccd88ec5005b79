/**
 * A lock's messages that queue up together are stored together (relay/src/locks/lock-intake.ts):
 * one transaction for the lot, in arrival order, each settled only once it is committed; the log
 * head, the bolt and door end as the last message left them. A message that arrives while its
 * lock's batch waits for the store's turn joins it. If storing them together fails, each is
 * stored alone, so one event whose effects fail costs the others nothing; a lone message that
 * fails is not tried again with its effects (an event is kept without them, a status refused).
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  AL_LOW_BATTERY, BOLT_LOCKED, BOLT_UNLOCKED, DOOR_CLOSED, EV_ALARM, EV_DENIAL, EV_STATE, RC_OWNER_TIME_REQUIRED, attachReceiptSignature, encodeEvent,
  encodeReceiptBody, eventHash, fromHex, publicKeyNow, signingKey, signNow, toHex
} from '@keyway/shared';
import type { Q } from '../../relay/src/data/store';
import { handleEventMessage } from '../../relay/src/locks/event-intake';
import { StepTrace, type StepLine } from '../../relay/src/locks/intake-trace';
import { handleReceiptMessage } from '../../relay/src/locks/receipt-intake';
import { handleStateMessage } from '../../relay/src/locks/status-intake';
import { useWorld, type Harness, type World } from '../support/relay-harness';
import { failActivityInserts } from '../support/failing-activity';
import { statementsRun } from '../support/built-queries';

let h: Harness;
let w: World;
useWorld((hh, ww) => {
  h = hh;
  w = ww;
});

/** Counts, for each name, the statements (statementsRun, on either store) whose SQL matches its pattern while fn runs. */
async function countStatementsBy<K extends string>(patterns: Record<K, RegExp>, fn: () => Promise<unknown>): Promise<Record<K, number>> {
  const run = await statementsRun(h.relay.ctx.store.sqlite, fn);
  const names = Object.keys(patterns) as K[];
  return Object.fromEntries(names.map((k) => [k, run.filter((sql) => patterns[k].test(sql)).length])) as Record<K, number>;
}

/** The statements whose SQL matches `pattern` while fn runs (countStatementsBy). */
async function countStatements(pattern: RegExp, fn: () => Promise<unknown>): Promise<number> {
  return (await countStatementsBy({ matched: pattern }, fn)).matched;
}

/** The statements on the devices table while fn runs: reads and writes. */
function countDeviceStatements(fn: () => Promise<unknown>): Promise<{ reads: number; writes: number }> {
  return countStatementsBy({ reads: /^select .* from "devices"/i, writes: /^update "devices"/i }, fn);
}

const LOCK_SEED = new Uint8Array(32).fill(0x5a);
const LOCK_PUB = publicKeyNow(LOCK_SEED)!;

/** A receipt the lock signs for its STATE event `state`, naming the event before it as the entry (no camera). */
function receiptOf(state: { seq: number; bytes: Uint8Array }): Uint8Array {
  const body = encodeReceiptBody({
    deviceId: fromHex(w.deviceId), lockKey: LOCK_PUB, seq: state.seq, head: eventHash(state.bytes), time: 0, bolt: BOLT_LOCKED, door: DOOR_CLOSED,
    grantId: 0, entrySeq: state.seq - 1, entryHash: new Uint8Array(32), cameraSeq: 0, cameraHash: new Uint8Array(32)
  });
  return attachReceiptSignature(body, signNow(body, signingKey(LOCK_SEED, LOCK_PUB))!);
}

/** Events that continue the lock's log after what it sent, each linking to the one before. */
async function nextEvents(kinds: Array<{ type: number; code?: number; data?: number[] }>): Promise<{ seq: number; bytes: Uint8Array }[]> {
  await w.lock.drained();
  const head = await h.relay.ctx.store.q.selectFrom('devices').select(['log_seq', 'log_head']).where('id', '=', w.deviceId).executeTakeFirstOrThrow();
  let seq = head.log_seq;
  let prevHash = fromHex(head.log_head!);
  return kinds.map((k) => {
    const bytes = encodeEvent({
      deviceId: fromHex(w.deviceId), seq: ++seq, time: 0, type: k.type, code: k.code ?? 0, ref: 0, actorKind: 0, actorRef: 0, prevHash, data: new Uint8Array(k.data ?? [])
    });
    prevHash = eventHash(bytes);
    return { seq, bytes };
  });
}

/** Counts the store's transactions while fn runs. */
async function countTransactions(fn: () => Promise<unknown>): Promise<number> {
  const store = h.relay.ctx.store as { tx: (f: (q: Q) => Promise<unknown>) => Promise<unknown> };
  const tx = store.tx;
  let n = 0;
  store.tx = (f) => {
    n++;
    return tx(f);
  };
  try {
    await fn();
  } finally {
    store.tx = tx;
  }
  return n;
}

const device = () => h.relay.ctx.store.q.selectFrom('devices').select(['log_seq', 'log_head', 'bolt', 'door', 'battery']).where('id', '=', w.deviceId).executeTakeFirstOrThrow();
const storedEvents = (seqs: number[]) => h.relay.ctx.store.q.selectFrom('events').select(['seq', 'integrity']).where('device_id', '=', w.deviceId).where('seq', 'in', seqs).orderBy('seq').execute();
const activity = (seqs: number[]) => h.relay.ctx.store.q.selectFrom('activity').select(['event_seq', 'kind']).where('device_id', '=', w.deviceId).where('event_seq', 'in', seqs).orderBy('event_seq').execute();

/** The ALARM and two STATE events at these seqs are stored intact, each with its activity row. */
async function expectAlarmUnlockedLocked(alarm: number, unlocked: number, locked: number): Promise<void> {
  const seqs = [alarm, unlocked, locked];
  expect(await storedEvents(seqs)).toEqual(seqs.map((seq) => ({ seq, integrity: 'ok' })));
  expect(await activity(seqs)).toEqual([{ event_seq: alarm, kind: 'alarm' }, { event_seq: unlocked, kind: 'state' }, { event_seq: locked, kind: 'state' }]);
}

describe('lock intake: messages that queue up together', () => {
  it('stores events and a status that arrive together in one transaction, in order; the head, bolt and door are the last ones', async () => {
    const [alarm, unlocked, locked] = await nextEvents([
      { type: EV_ALARM, code: AL_LOW_BATTERY }, { type: EV_STATE, data: [BOLT_UNLOCKED, DOOR_CLOSED] }, { type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }
    ]);
    w.lock.bolt = BOLT_UNLOCKED;
    w.lock.batteryMv = 5555;
    const status = w.lock.statusBytes();
    let results: unknown[] = [];
    const transactions = await countTransactions(async () => {
      results = await Promise.all([
        handleEventMessage(h.relay.ctx, w.deviceId, alarm.bytes),
        handleEventMessage(h.relay.ctx, w.deviceId, unlocked.bytes),
        handleStateMessage(h.relay.ctx, w.deviceId, status),
        handleEventMessage(h.relay.ctx, w.deviceId, locked.bytes)
      ]);
    });
    expect(results).toEqual(['stored', 'stored', 'status', 'stored']);
    expect(transactions).toBe(1);
    await expectAlarmUnlockedLocked(alarm.seq, unlocked.seq, locked.seq);
    // The STATE event after the status wins, as it would one at a time; the status's battery is kept.
    expect(await device()).toMatchObject({ log_seq: locked.seq, log_head: toHex(eventHash(locked.bytes)), bolt: BOLT_LOCKED, door: DOOR_CLOSED, battery: 5555 });
    w.lock.bolt = BOLT_LOCKED;
  });

  it('with a step trace, says when each message was handed over, when its batch started, took its messages, stored them and committed (bench/relay.mts --entry-trace)', async () => {
    const [moving, unlocked] = await nextEvents([{ type: EV_STATE, data: [BOLT_UNLOCKED, DOOR_CLOSED] }, { type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }]);
    const ctx = h.relay.ctx;
    const from = h.logs.length;
    ctx.steps = new StepTrace();
    let lines: readonly StepLine[];
    try {
      await Promise.all([
        handleEventMessage(ctx, w.deviceId, moving.bytes),
        handleStateMessage(ctx, w.deviceId, w.lock.statusBytes()),
        handleEventMessage(ctx, w.deviceId, unlocked.bytes)
      ]);
      lines = ctx.steps.lines();
    } finally {
      ctx.steps = null;
    }
    // Kept in memory, not logged: the relay's log level is not trace.
    expect(h.logs.slice(from).filter((l) => l.includes('"at":'))).toEqual([]);
    const handed = lines.filter((l) => l.msg === 'lock message handed over' && l.deviceId === w.deviceId);
    expect(handed.map((l) => [l.kind, l.eventSeq])).toEqual([['event', moving.seq], ['state', undefined], ['event', unlocked.seq]]);
    const committed = lines.filter((l) => l.msg === 'lock messages committed' && l.deviceId === w.deviceId);
    expect(committed.map((l) => [l.messages, l.together])).toEqual([[['e' + moving.seq, 's', 'e' + unlocked.seq], true]]);
    const c = committed[0] as unknown as { startedAt: number; takenAt: number; storedAt: number; at: number };
    for (const l of handed) expect(l.at as number).toBeLessThanOrEqual(c.startedAt);
    // Started, its transaction took the messages, stored them, committed: in that order.
    expect(c.startedAt).toBeLessThanOrEqual(c.takenAt);
    expect(c.takenAt).toBeLessThanOrEqual(c.storedAt);
    expect(c.storedAt).toBeLessThanOrEqual(c.at);
    // Wall-clock milliseconds, comparable with another process's.
    expect(Math.abs(c.at - Date.now())).toBeLessThan(60_000);
  });

  it('inserts the new events of a batch in one statement; a repeat of one of them in the same batch is still a duplicate', async () => {
    const [alarm, unlocked, locked] = await nextEvents([
      { type: EV_ALARM, code: AL_LOW_BATTERY }, { type: EV_STATE, data: [BOLT_UNLOCKED, DOOR_CLOSED] }, { type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }
    ]);
    let results: unknown[] = [];
    const inserts = await countStatements(/^insert into "events"/i, async () => {
      results = await Promise.all([
        handleEventMessage(h.relay.ctx, w.deviceId, alarm.bytes),
        handleEventMessage(h.relay.ctx, w.deviceId, unlocked.bytes),
        handleEventMessage(h.relay.ctx, w.deviceId, locked.bytes),
        handleEventMessage(h.relay.ctx, w.deviceId, unlocked.bytes)
      ]);
    });
    expect(results).toEqual(['stored', 'stored', 'stored', 'duplicate']);
    expect(inserts).toBe(1);
    await expectAlarmUnlockedLocked(alarm.seq, unlocked.seq, locked.seq);
    expect(await device()).toMatchObject({ log_seq: locked.seq, log_head: toHex(eventHash(locked.bytes)), bolt: BOLT_LOCKED, door: DOOR_CLOSED });
  });

  it('inserts the activity rows of a batch\'s events and status in one statement, in order, and pushes each to the site\'s live stream', async () => {
    const [alarm, unlocked, locked] = await nextEvents([
      { type: EV_ALARM, code: AL_LOW_BATTERY }, { type: EV_STATE, data: [BOLT_UNLOCKED, DOOR_CLOSED] }, { type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }
    ]);
    const battery = w.lock.batteryMv;
    // A status with a battery turning low records a row too.
    w.lock.batteryMv = 100;
    const pushed: Array<{ id: number; kind: string }> = [];
    const siteId = (await h.relay.ctx.store.q.selectFrom('devices').select('site_id').where('id', '=', w.deviceId).executeTakeFirstOrThrow()).site_id;
    const unsubscribe = h.relay.ctx.live.subscribe(['site:' + siteId], (event, data) => {
      if (event === 'activity') pushed.push(data as { id: number; kind: string });
    }, () => undefined);
    let results: unknown[] = [];
    let inserts = 0;
    try {
      inserts = await countStatements(/^insert into "activity"/i, async () => {
        results = await Promise.all([
          handleEventMessage(h.relay.ctx, w.deviceId, alarm.bytes),
          handleEventMessage(h.relay.ctx, w.deviceId, unlocked.bytes),
          handleStateMessage(h.relay.ctx, w.deviceId, w.lock.statusBytes()),
          handleEventMessage(h.relay.ctx, w.deviceId, locked.bytes)
        ]);
      });
      // The live bus hands messages over on a later turn of the event loop.
      for (let i = 0; i < 50 && pushed.length < 4; i++) await new Promise((r) => setTimeout(r, 2));
    } finally {
      unsubscribe();
      w.lock.batteryMv = battery;
    }
    expect(results).toEqual(['stored', 'stored', 'status', 'stored']);
    expect(inserts).toBe(1);
    const rows = await h.relay.ctx.store.q.selectFrom('activity').select(['id', 'kind', 'event_seq']).where('device_id', '=', w.deviceId).where('id', '>', 0)
      .orderBy('id', 'desc').limit(4).execute();
    const kinds = rows.reverse().map((r) => [r.kind, r.event_seq]);
    expect(kinds).toEqual([['alarm', alarm.seq], ['state', unlocked.seq], ['lock.low_battery', null], ['state', locked.seq]]);
    expect(pushed.map((p) => p.kind)).toEqual(['alarm', 'state', 'lock.low_battery', 'state']);
    expect(pushed.map((p) => p.id)).toEqual(rows.map((r) => r.id));
    // The next status, battery fine again, stores its row as before.
    expect(await handleStateMessage(h.relay.ctx, w.deviceId, w.lock.statusBytes())).toBe('status');
  });

  it('reads back no activity row when no live stream can receive it: the rows are stored all the same', async () => {
    const [alarm, unlocked] = await nextEvents([{ type: EV_ALARM, code: AL_LOW_BATTERY }, { type: EV_STATE, data: [BOLT_UNLOCKED, DOOR_CLOSED] }]);
    let inserts: string[] = [];
    const run = await statementsRun(h.relay.ctx.store.sqlite, async () => {
      expect(await Promise.all([handleEventMessage(h.relay.ctx, w.deviceId, alarm.bytes), handleEventMessage(h.relay.ctx, w.deviceId, unlocked.bytes)])).toEqual(['stored', 'stored']);
    });
    inserts = run.filter((sql) => /^insert into "activity"/i.test(sql));
    expect(inserts).toHaveLength(1);
    expect(inserts[0]).not.toMatch(/ returning /i);
    expect(await activity([alarm.seq, unlocked.seq])).toEqual([{ event_seq: alarm.seq, kind: 'alarm' }, { event_seq: unlocked.seq, kind: 'state' }]);
  });

  it('a duplicate and a malformed message in a batch get their own answers and change nothing', async () => {
    const [one, two] = await nextEvents([{ type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }, { type: EV_ALARM, code: AL_LOW_BATTERY }]);
    expect(await handleEventMessage(h.relay.ctx, w.deviceId, one.bytes)).toBe('stored');
    const results = await Promise.all([
      handleEventMessage(h.relay.ctx, w.deviceId, one.bytes),
      handleEventMessage(h.relay.ctx, w.deviceId, Uint8Array.of(1, 2, 3)),
      handleStateMessage(h.relay.ctx, w.deviceId, Uint8Array.of(9, 9)),
      handleEventMessage(h.relay.ctx, w.deviceId, two.bytes)
    ]);
    expect(results).toEqual(['duplicate', 'rejected', 'rejected', 'stored']);
    expect(await storedEvents([one.seq, two.seq])).toEqual([{ seq: one.seq, integrity: 'ok' }, { seq: two.seq, integrity: 'ok' }]);
    expect((await device()).log_seq).toBe(two.seq);
  });

  it('stores each message alone when storing them together fails: the event whose effects fail is kept without them, the others with theirs', async () => {
    const [alarm, state] = await nextEvents([{ type: EV_ALARM, code: AL_LOW_BATTERY }, { type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }]);
    // The activity row of an alarm cannot be written: the alarm's effects fail.
    const restore = await failActivityInserts(h.relay.ctx.store, 'alarm');
    try {
      const results = await Promise.all([handleEventMessage(h.relay.ctx, w.deviceId, alarm.bytes), handleEventMessage(h.relay.ctx, w.deviceId, state.bytes)]);
      expect(results).toEqual(['stored', 'stored']);
    } finally {
      await restore();
    }
    expect(await storedEvents([alarm.seq, state.seq])).toEqual([{ seq: alarm.seq, integrity: 'ok' }, { seq: state.seq, integrity: 'ok' }]);
    expect(await activity([alarm.seq, state.seq])).toEqual([{ event_seq: state.seq, kind: 'state' }]);
    expect((await device()).log_seq).toBe(state.seq);
  });

  it('takes a message that arrives while its lock\'s batch waits for the store into that batch: one transaction', async () => {
    const [alarm, state] = await nextEvents([{ type: EV_ALARM, code: AL_LOW_BATTERY }, { type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }]);
    let results: unknown[] = [];
    const transactions = await countTransactions(async () => {
      const first = handleEventMessage(h.relay.ctx, w.deviceId, alarm.bytes);
      // The first message's batch has started and asked the store for its transaction, which
      // runs after the event loop's current phase (group commit): the second arrives meanwhile.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      results = await Promise.all([first, handleEventMessage(h.relay.ctx, w.deviceId, state.bytes)]);
    });
    expect(results).toEqual(['stored', 'stored']);
    expect(transactions).toBe(1);
    expect(await storedEvents([alarm.seq, state.seq])).toEqual([{ seq: alarm.seq, integrity: 'ok' }, { seq: state.seq, integrity: 'ok' }]);
    expect((await device()).log_seq).toBe(state.seq);
  });

  it('keeps a lone event whose effects fail without them, trying its effects once', async () => {
    const [alarm] = await nextEvents([{ type: EV_ALARM, code: AL_LOW_BATTERY }]);
    const from = h.logs.length;
    const restore = await failActivityInserts(h.relay.ctx.store, 'alarm');
    let result: unknown;
    let transactions = 0;
    try {
      transactions = await countTransactions(async () => {
        result = await handleEventMessage(h.relay.ctx, w.deviceId, alarm.bytes);
      });
    } finally {
      await restore();
    }
    expect(result).toBe('stored');
    // With its effects (refused), then without them: never its effects twice.
    expect(transactions).toBe(2);
    const failed = h.logs.slice(from).map((l) => JSON.parse(l) as { msg: string }).filter((l) => l.msg === 'lock event effects failed: event stored without them');
    expect(failed).toHaveLength(1);
    expect(await storedEvents([alarm.seq])).toEqual([{ seq: alarm.seq, integrity: 'ok' }]);
    expect(await activity([alarm.seq])).toEqual([]);
    expect((await device()).log_seq).toBe(alarm.seq);
  });

  it('refuses a lone status whose storing fails and changes nothing: the lock sends its status again', async () => {
    const before = await device();
    const battery = w.lock.batteryMv;
    // A low battery status records an activity row, which the store refuses.
    w.lock.batteryMv = 100;
    const restore = await failActivityInserts(h.relay.ctx.store, 'lock.low_battery');
    let result: unknown;
    let transactions = 0;
    try {
      transactions = await countTransactions(async () => {
        result = await handleStateMessage(h.relay.ctx, w.deviceId, w.lock.statusBytes());
      });
    } finally {
      await restore();
      w.lock.batteryMv = battery;
    }
    expect(result).toBe('rejected');
    expect(transactions).toBe(1);
    expect(await device()).toEqual(before);
  });

  it.skipIf(process.env.KEYWAY_TEST_STORE === 'postgres')('reads the device row once and writes it once for events and the status after them', async () => {
    const [unlocked, locked] = await nextEvents([{ type: EV_STATE, data: [BOLT_UNLOCKED, DOOR_CLOSED] }, { type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }]);
    w.lock.batteryMv = 5432;
    let results: unknown[] = [];
    const statements = await countDeviceStatements(async () => {
      results = await Promise.all([
        handleEventMessage(h.relay.ctx, w.deviceId, unlocked.bytes),
        handleEventMessage(h.relay.ctx, w.deviceId, locked.bytes),
        handleStateMessage(h.relay.ctx, w.deviceId, w.lock.statusBytes())
      ]);
    });
    expect(results).toEqual(['stored', 'stored', 'status']);
    // The status, last in the batch, writes the log head its events moved.
    expect(statements).toEqual({ reads: 1, writes: 1 });
    expect(await device()).toMatchObject({ log_seq: locked.seq, log_head: toHex(eventHash(locked.bytes)), bolt: BOLT_LOCKED, door: DOOR_CLOSED, battery: 5432 });
  });

  it('writes two statuses stored one right after the other in one statement, the second\'s, with the counter moved as both would', async () => {
    const [locked] = await nextEvents([{ type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }]);
    const q = h.relay.ctx.store.q;
    const counter = async () => Number((await q.selectFrom('devices').select('next_counter').where('id', '=', w.deviceId).executeTakeFirstOrThrow()).next_counter);
    const replay = w.lock.replay;
    const high = (await counter()) + 50;
    w.lock.batteryMv = 6001;
    w.lock.replay = { high, mask: 0 };
    const first = w.lock.statusBytes();
    // The second reports a lower counter (as after a reset): the stored counter still moves above the first's.
    w.lock.batteryMv = 6002;
    w.lock.replay = replay;
    const second = w.lock.statusBytes();
    let results: unknown[] = [];
    const writes = await countStatements(/^update "devices"/i, async () => {
      results = await Promise.all([
        handleEventMessage(h.relay.ctx, w.deviceId, locked.bytes),
        handleStateMessage(h.relay.ctx, w.deviceId, first),
        handleStateMessage(h.relay.ctx, w.deviceId, second)
      ]);
    });
    expect(results).toEqual(['stored', 'status', 'status']);
    expect(writes).toBe(1);
    expect(await device()).toMatchObject({ log_seq: locked.seq, log_head: toHex(eventHash(locked.bytes)), bolt: BOLT_LOCKED, door: DOOR_CLOSED, battery: 6002 });
    expect(await counter()).toBeGreaterThanOrEqual(high);
  });

  it('writes the log head after a status that is not the batch\'s last message, with the bolt and door of the events after it', async () => {
    const [locked, unlocked] = await nextEvents([{ type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }, { type: EV_STATE, data: [BOLT_UNLOCKED, DOOR_CLOSED] }]);
    w.lock.bolt = BOLT_LOCKED;
    w.lock.batteryMv = 5433;
    const results = await Promise.all([
      handleEventMessage(h.relay.ctx, w.deviceId, locked.bytes),
      handleStateMessage(h.relay.ctx, w.deviceId, w.lock.statusBytes()),
      handleEventMessage(h.relay.ctx, w.deviceId, unlocked.bytes)
    ]);
    expect(results).toEqual(['stored', 'status', 'stored']);
    expect(await device()).toMatchObject({ log_seq: unlocked.seq, log_head: toHex(eventHash(unlocked.bytes)), bolt: BOLT_UNLOCKED, door: DOOR_CLOSED, battery: 5433 });
    // The lock's next status says locked again.
    expect(await handleStateMessage(h.relay.ctx, w.deviceId, w.lock.statusBytes())).toBe('status');
    expect(await device()).toMatchObject({ log_seq: unlocked.seq, bolt: BOLT_LOCKED, battery: 5433 });
  });

  it('reads the row again for a status after an event that marks the lock as waiting for the owner\'s time: the status keeps the mark', async () => {
    const q = h.relay.ctx.store.q;
    const mark = async () => (await q.selectFrom('devices').select('owner_time_needed').where('id', '=', w.deviceId).executeTakeFirstOrThrow()).owner_time_needed;
    // Owner-consent mode with a trusted time: a status keeps whatever mark is stored.
    w.lock.ownerConsent = true;
    try {
      expect(await handleStateMessage(h.relay.ctx, w.deviceId, w.lock.statusBytes())).toBe('status');
      expect(await mark()).toBe(0);
      const [refusal] = await nextEvents([{ type: EV_DENIAL, code: RC_OWNER_TIME_REQUIRED }]);
      const results = await Promise.all([
        handleEventMessage(h.relay.ctx, w.deviceId, refusal.bytes),
        handleStateMessage(h.relay.ctx, w.deviceId, w.lock.statusBytes())
      ]);
      expect(results).toEqual(['stored', 'status']);
      expect(await mark()).toBe(1);
    } finally {
      w.lock.ownerConsent = false;
    }
  });

  it('stores a receipt that queues up with the lock\'s events in their transaction; a receipt whose signature fails there is refused and stores nothing', async () => {
    const receipts = () => h.relay.ctx.store.q.selectFrom('lock_receipts').select('seq').where('device_id', '=', w.deviceId).orderBy('seq').execute();
    const pinned = async () => (await h.relay.ctx.store.q.selectFrom('devices').select('public_key').where('id', '=', w.deviceId).executeTakeFirstOrThrow()).public_key;
    // No key pinned yet: the first valid receipt pins it.
    const keyBefore = await pinned();
    expect(keyBefore).toBeNull();
    const [locked] = await nextEvents([{ type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }]);
    const forged = receiptOf(locked);
    forged[forged.length - 1] ^= 1;
    let results: unknown[] = [];
    const transactions = await countTransactions(async () => {
      results = await Promise.all([
        handleEventMessage(h.relay.ctx, w.deviceId, locked.bytes),
        handleReceiptMessage(h.relay.ctx, w.deviceId, forged)
      ]);
    });
    expect(results).toEqual(['stored', 'rejected']);
    expect(transactions).toBe(1);
    expect(await receipts()).toEqual([]);
    expect(await pinned()).toBe(keyBefore);
    expect(await storedEvents([locked.seq])).toEqual([{ seq: locked.seq, integrity: 'ok' }]);

    const [next] = await nextEvents([{ type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }]);
    const good = receiptOf(next);
    const again = await countTransactions(async () => {
      results = await Promise.all([
        handleEventMessage(h.relay.ctx, w.deviceId, next.bytes),
        handleReceiptMessage(h.relay.ctx, w.deviceId, good),
        handleReceiptMessage(h.relay.ctx, w.deviceId, good)
      ]);
    });
    expect(results).toEqual(['stored', 'stored', 'duplicate']);
    expect(again).toBe(1);
    expect(await receipts()).toEqual([{ seq: next.seq }]);
    expect(await pinned()).toBe(toHex(LOCK_PUB));
  });

  it('on PostgreSQL sends a batch\'s writes whose results it does not use with its next statement or its COMMIT', async () => {
    if (h.relay.ctx.store.dialect !== 'postgres') return; // SQLite runs each statement in the process: there is no round trip to save.
    // The statements of each query the pg clients send (the store's driver puts held writes ahead of the statement).
    const client = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
    const query = client.query;
    const sent: string[][] = [];
    client.query = function (this: unknown, ...args: unknown[]) {
      const texts = (args[0] as { statementTexts?: string[] } | undefined)?.statementTexts;
      if (texts) sent.push(texts.map((t) => t.toLowerCase().split(' set ')[0].split(' (')[0].split(' where ')[0]));
      return query.apply(this, args);
    };
    try {
      await w.lock.drained();
      w.lock.batteryMv = 5432;
      expect(await handleStateMessage(h.relay.ctx, w.deviceId, w.lock.statusBytes())).toBe('status');
      // A lone status: the device row read (with BEGIN), then its write with COMMIT.
      expect(sent.find((texts) => texts.includes('update "devices"'))).toEqual(['update "devices"', 'commit']);
      sent.length = 0;
      const [unlocked] = await nextEvents([{ type: EV_STATE, data: [BOLT_UNLOCKED, DOOR_CLOSED] }]);
      expect(await handleEventMessage(h.relay.ctx, w.deviceId, unlocked.bytes)).toBe('stored');
      // A lone STATE event, no live stream listening: its row, the new log head and its activity row go with COMMIT.
      expect(sent.find((texts) => texts.includes('insert into "events"'))).toEqual(['insert into "events"', 'update "devices"', 'insert into "activity"', 'commit']);
    } finally {
      client.query = query;
    }
  });

  it('looks for no delivery to pass a receipt to when the STATE event it names was stored here and secured none', async () => {
    const deliveryReads = /^select .* from "deliveries"/i;
    const [locked] = await nextEvents([{ type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }]);
    // The STATE looks for deliveries to secure (none), and its commit says so.
    expect(await countStatements(deliveryReads, async () => expect(await handleEventMessage(h.relay.ctx, w.deviceId, locked.bytes)).toBe('stored'))).toBe(1);
    expect(await countStatements(deliveryReads, async () => expect(await handleReceiptMessage(h.relay.ctx, w.deviceId, receiptOf(locked))).toBe('stored'))).toBe(0);
    // A receipt that comes with its STATE, before that is committed, looks.
    const [next] = await nextEvents([{ type: EV_STATE, data: [BOLT_LOCKED, DOOR_CLOSED] }]);
    const reads = await countStatements(deliveryReads, async () => {
      expect(await Promise.all([handleEventMessage(h.relay.ctx, w.deviceId, next.bytes), handleReceiptMessage(h.relay.ctx, w.deviceId, receiptOf(next))])).toEqual(['stored', 'stored']);
    });
    expect(reads).toBe(2);
  });
});

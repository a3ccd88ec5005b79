/**
 * The fault-injection soak (tests/support/soak.ts), short: a few seeds, a handful of locks, each
 * seconds long, must end with zero violations and with faults of every kind injected. And the
 * invariant checker itself, fed crafted histories, must flag what it is there to flag.
 */
import { scaled } from '../support/time-scale';
import { describe, expect, it } from 'vitest';
import { ACT_GRANT_REVOKE, ACT_UNLOCK, AL_QUEUE_OVERFLOW, BOLT_UNLOCKING, EV_ACK, EV_ALARM, EV_OPERATION, EV_STATE, RC_OK, SRC_BARCODE } from '@keyway/shared';
import { runSoak, type SoakResult } from '../support/soak';
import { FAULT_KINDS } from '../support/soak-faults';
import { REVOKE_ONLINE_BOUND_MS, checkInvariants, type SoakEvent, type SoakFacts, type SoakSnapshot } from '../support/soak-invariants';

const SEEDS = [1, 2, 3];
const LOCKS = 6;
const DURATION_MS = 25_000;
const SEED_TIMEOUT_MS = scaled(240_000);

const DEV = '00112233445566aa';
const GRANT = 42;
const REVOKE_COUNTER = 5;
const ANSWERED_AT = 1_000_000;

function ev(seq: number, type: number, ref: number, data: number[], at: number): SoakEvent {
  return { at, seq, type, code: RC_OK, ref, data, raw: 'ev' + seq };
}

function world(journal: SoakEvent[], relayRaw = journal.map((e) => e.raw), errors: string[] = []): { facts: SoakFacts; snap: SoakSnapshot } {
  return {
    facts: { revocations: [{ grantId: GRANT, deviceId: DEV, answeredAt: ANSWERED_AT }], created: [{ grantId: GRANT, deviceId: DEV }], opened: [], keyId: null, keyUnsure: false },
    snap: {
      locks: [{ deviceId: DEV, journal, overwritten: [], intervals: [[0, null]], staged: [], revokedOnLock: [GRANT], errors }],
      commands: [{ device_id: DEV, counter: REVOKE_COUNTER, action: ACT_GRANT_REVOKE, grant_id: GRANT, status: 'acked', result_code: RC_OK }],
      grants: [{ id: GRANT, device_id: DEV, status: 'revoked' }],
      events: relayRaw.map((raw, i) => ({ device_id: DEV, epoch: 1, seq: i + 1, raw, type: 0, code: 0 })),
      anomalies: [],
      views: { [DEV]: { online: true, status: { flags: { trustedTime: true } } } },
      relayKeyId: null
    }
  };
}

const scanEntry = (seq: number, at: number) => ev(seq, EV_OPERATION, GRANT, [ACT_UNLOCK, SRC_BARCODE], at);
const revokeAck = (seq: number, at: number) => ev(seq, EV_ACK, REVOKE_COUNTER, [ACT_GRANT_REVOKE], at);
const kinds = (r: ReturnType<typeof checkInvariants>) => r.violations.map((v) => v.invariant).sort();

describe('soak invariants on crafted histories', () => {
  it('a clean history passes every check it makes', () => {
    const { facts, snap } = world([scanEntry(1, ANSWERED_AT - 10), revokeAck(2, ANSWERED_AT + 10)]);
    const r = checkInvariants(facts, snap);
    expect(r.violations).toEqual([]);
    expect(r.checks['safety-after-ack']).toBe(1);
    expect(r.checks['liveness-revoked']).toBe(1);
  });

  it('flags a lock whose firmware threw', () => {
    const journal = [scanEntry(1, ANSWERED_AT - 10), revokeAck(2, ANSWERED_AT + 10)];
    const { facts, snap } = world(journal, undefined, ['TypeError: x is undefined\n    at flushEvents']);
    expect(kinds(checkInvariants(facts, snap))).toEqual(['no-firmware-error']);
  });

  it('flags an entry the lock performed after it ACKed the revocation', () => {
    const { facts, snap } = world([revokeAck(1, ANSWERED_AT - 10), scanEntry(2, ANSWERED_AT - 5)]);
    expect(kinds(checkInvariants(facts, snap))).toEqual(['safety-after-ack']);
  });

  it('an entry whose motor started before the revocation was ACKed is not flagged; one started after is', () => {
    const unlocking = (seq: number, at: number) => ev(seq, EV_STATE, 0, [BOLT_UNLOCKING, 1], at);
    const before = world([unlocking(1, ANSWERED_AT - 30), revokeAck(2, ANSWERED_AT - 20), scanEntry(3, ANSWERED_AT - 10)]);
    expect(checkInvariants(before.facts, before.snap).violations).toEqual([]);
    const after = world([revokeAck(1, ANSWERED_AT - 30), unlocking(2, ANSWERED_AT - 20), scanEntry(3, ANSWERED_AT - 10)]);
    expect(kinds(checkInvariants(after.facts, after.snap))).toEqual(['safety-after-ack']);
  });

  it('flags an entry after the lock was online with trusted time longer than the bound since the revocation', () => {
    const late = world([scanEntry(1, ANSWERED_AT + REVOKE_ONLINE_BOUND_MS + 1_000)]);
    expect(kinds(checkInvariants(late.facts, late.snap))).toEqual(['safety-bound']);
    const offline = world([scanEntry(1, ANSWERED_AT + REVOKE_ONLINE_BOUND_MS + 1_000)]);
    offline.snap.locks[0].intervals = [[0, ANSWERED_AT], [ANSWERED_AT + REVOKE_ONLINE_BOUND_MS, null]];
    expect(checkInvariants(offline.facts, offline.snap).violations).toEqual([]);
  });

  it('flags a revocation stuck at the relay, a doubled ACK, a doubled or lost event and an unexplained gap', () => {
    const { facts, snap } = world([ev(1, EV_ACK, 9, [ACT_UNLOCK], 1), ev(2, EV_ACK, 9, [ACT_UNLOCK], 2), ev(3, EV_ACK, 10, [ACT_UNLOCK], 3)], ['ev1', 'ev1', 'ev2']);
    snap.grants[0].status = 'revoking';
    snap.anomalies.push({ device_id: DEV, kind: 'gap', seq: 3 });
    expect(kinds(checkInvariants(facts, snap))).toEqual(['ack-once', 'chain-gaps', 'event-once', 'event-reached', 'liveness-revoked']);
  });

  it('excuses only the events the lock overwrote undelivered, and only with its overflow alarm', () => {
    const overflowAlarm = (seq: number) => ({ ...ev(seq, EV_ALARM, 1, [], seq), code: AL_QUEUE_OVERFLOW });
    const journal = [ev(1, EV_ACK, 9, [ACT_UNLOCK], 1), ev(2, EV_ACK, 10, [ACT_UNLOCK], 2), overflowAlarm(3), ev(4, EV_ACK, 11, [ACT_UNLOCK], 4)];
    // Event 1 was overwritten offline; 2 was not, yet it is missing too.
    const lossy = world(journal, ['ev3', 'ev4']);
    lossy.snap.locks[0].overwritten = [1];
    expect(kinds(checkInvariants(lossy.facts, lossy.snap))).toEqual(['event-reached']);
    const explained = world(journal, ['ev2', 'ev3', 'ev4']);
    explained.snap.locks[0].overwritten = [1];
    expect(checkInvariants(explained.facts, explained.snap).violations).toEqual([]);
    const silent = world(journal.filter((e) => e.type !== EV_ALARM), ['ev2', 'ev4']);
    silent.snap.locks[0].overwritten = [1];
    expect(kinds(checkInvariants(silent.facts, silent.snap))).toEqual(['overflow-alarmed']);
  });

  it("judges locks against the relay's current key, and an answered rotation as never undone", () => {
    const history = () => world([scanEntry(1, ANSWERED_AT - 10), revokeAck(2, ANSWERED_AT + 10)]);
    const onKey = (keyId: number) => ({ online: true, status: { flags: { trustedTime: true } }, signingKeyId: keyId });
    // Rotated to 7 (answered); the lock moved to 7.
    const done = history();
    Object.assign(done.facts, { keyId: 7 });
    Object.assign(done.snap, { relayKeyId: 7, views: { [DEV]: onKey(7) } });
    expect(checkInvariants(done.facts, done.snap).violations).toEqual([]);
    // The lock never left the old key.
    const stuck = history();
    Object.assign(stuck.facts, { keyId: 7 });
    Object.assign(stuck.snap, { relayKeyId: 7, views: { [DEV]: onKey(6) } });
    expect(kinds(checkInvariants(stuck.facts, stuck.snap))).toEqual(['liveness-key']);
    // A later rotation went unanswered (relay killed) but ran: key 8 is current and the lock on it.
    const later = history();
    Object.assign(later.facts, { keyId: 7, keyUnsure: true });
    Object.assign(later.snap, { relayKeyId: 8, views: { [DEV]: onKey(8) } });
    expect(checkInvariants(later.facts, later.snap).violations).toEqual([]);
    // Without such an attempt, a current key other than the answered one is flagged.
    const undone = history();
    Object.assign(undone.facts, { keyId: 7 });
    Object.assign(undone.snap, { relayKeyId: 8, views: { [DEV]: onKey(8) } });
    expect(kinds(checkInvariants(undone.facts, undone.snap))).toEqual(['key-as-answered']);
  });
});

describe('fault-injection soak', () => {
  const results: SoakResult[] = [];
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${LOCKS} locks for ${DURATION_MS / 1000} s end with zero violations`, async () => {
      const r = await runSoak({ seed, locks: LOCKS, durationMs: DURATION_MS });
      results.push(r);
      expect(r.violations).toEqual([]);
      expect(Object.values(r.checks).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }, SEED_TIMEOUT_MS);
  }

  it('injected faults of every kind across the seeds, and checked revocations and entries', () => {
    expect(results.length).toBe(SEEDS.length);
    const total = (f: (r: SoakResult) => number) => results.reduce((a, r) => a + f(r), 0);
    for (const k of FAULT_KINDS) expect(total((r) => r.faults[k]), k).toBeGreaterThan(0);
    expect(total((r) => r.checks['liveness-revoked'] ?? 0)).toBeGreaterThan(0);
    expect(total((r) => r.checks['safety-bound'] ?? 0)).toBeGreaterThan(0);
    expect(total((r) => r.door.scans + r.door.commands)).toBeGreaterThan(0);
  });
});

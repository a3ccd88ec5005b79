/**
 * The at-door slice (docs/firmware.md, "The at-door slice"): a reveal without camera spends
 * the value in flash and starts the motor with exactly one SHA-512 (the chain step); the STATE
 * event is stored in the same slice, but hashing it into the log's chain and the status
 * publish follow later: one status for the whole action, after its OPERATION. A power cut right after the motor start loses neither the
 * spent value nor the event, and the chain continues across the reboot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ACT_UNLOCK, AL_QUEUE_OVERFLOW, BOLT_LOCKED, BOLT_UNLOCKED, BOLT_UNLOCKING, EV_ALARM, EV_OPERATION, EV_STATE, ST_BUSY, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE, RC_BAD_CREDENTIAL, EV_DENIAL, bytesEqual,
  checkReceipt, decodeReceipt, encodeEvent, eventHash, setSha512Native, sha512Js, decodeStatus
} from '@keyway/shared';
import { EVENT_FILE, logHead, onCommandTopic, readEvent } from '@keyway/firmware';
import { T0, chainGrant, harness, putGrant, reveal, unlockPayload } from '../support/lock-harness';

let hashes = 0;
afterEach(() => setSha512Native(null));

function countHashes(): void {
  hashes = 0;
  setSha512Native((m) => {
    hashes++;
    return sha512Js(m);
  });
}

function stagedLock() {
  const h = harness();
  h.trustTime();
  const { grant, chain } = chainGrant({}, 3);
  putGrant(h, grant);
  h.run(2000);
  return { h, grant, chain };
}

describe('the at-door slice', () => {
  it('spends the value, starts the motor and stores the STATE event with one SHA-512; status and chain hash follow', () => {
    const { h, grant, chain } = stagedLock();
    const statuses = h.sim.statuses.length;
    const stored = h.sim.events.length;
    countHashes();
    onCommandTopic(h.sim.lock, reveal(grant.grantId, chain[2]));
    expect(hashes).toBe(1);
    expect(h.sim.device.physics.motor).not.toBe(0);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKING);
    const state = h.sim.events[h.sim.events.length - 1];
    expect(h.sim.events.length).toBe(stored + 1);
    expect(state.type).toBe(EV_STATE);
    expect(h.sim.lock.log!.unhashed).not.toBeNull();
    expect(h.sim.statuses.length).toBe(statuses);
    h.run(0);
    // The next slice publishes no status: the action's changes go out in one status once it ended.
    expect(h.sim.statuses.length).toBe(statuses);
    expect(hashes).toBe(1);
    h.run(2000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const op = h.sim.events.findIndex((e, i) => i >= stored && e.type === EV_OPERATION);
    expect(op).toBeGreaterThan(stored);
    // One status for the whole action, after its OPERATION; its head is the newest event's hash.
    expect(h.sim.statuses.length).toBe(statuses + 1);
    const status = decodeStatus(h.sim.statuses[h.sim.statuses.length - 1]);
    expect(status.bolt).toBe(BOLT_UNLOCKED);
    expect(bytesEqual(status.logHead, eventHash(encodeEvent(h.sim.events[h.sim.events.length - 1])))).toBe(true);
    expect(bytesEqual(logHead(h.sim.lock.log!), status.logHead)).toBe(true);
  });

  it('when the log cannot store the action\'s events, the status its changes waited for still goes out after it', () => {
    const { h, grant, chain } = stagedLock();
    const statuses = h.sim.statuses.length;
    const stored = h.sim.events.length;
    const write = h.sim.storage.write.bind(h.sim.storage);
    h.sim.storage.write = (name: string, data: string) => (name.indexOf(EVENT_FILE) === 0 ? false : write(name, data));
    onCommandTopic(h.sim.lock, reveal(grant.grantId, chain[2]));
    h.run(2000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    expect(h.sim.events.length).toBe(stored);
    expect(h.sim.statuses.length).toBe(statuses + 1);
    expect(decodeStatus(h.sim.statuses[h.sim.statuses.length - 1]).bolt).toBe(BOLT_UNLOCKED);
  });

  it('an owner unlock publishes two statuses (busy verifying, then after the action), none during the action', () => {
    const { h } = stagedLock();
    const statuses = h.sim.statuses.length;
    h.deliver(h.command(ACT_UNLOCK, unlockPayload()));
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const published = h.sim.statuses.slice(statuses).map((b) => decodeStatus(b));
    expect(published.length).toBe(2);
    expect(published[0].flags & ST_BUSY).toBe(ST_BUSY);
    expect(published[1].flags & ST_BUSY).toBe(0);
    expect(published[1].bolt).toBe(BOLT_UNLOCKED);
    expect(published[1].logSeq).toBe(h.sim.lock.log!.seq);
  });

  it('a reveal whose event overwrites an undelivered one (offline queue full) still costs one SHA-512; the overflow alarm follows', () => {
    const { h, grant, chain } = stagedLock(); // no network: nothing is ever acknowledged
    const log = h.sim.lock.log!;
    // Fill the ring to the brim without overwriting: refused commands, one ACK event each.
    while (log.seq < log.capacity) {
      const seq = log.seq;
      h.deliver(h.command(ACT_UNLOCK, unlockPayload(), { notBefore: T0 - 600, notAfter: T0 - 500 }));
      h.run(3000);
      expect(log.seq).toBe(seq + 1);
    }
    expect(log.dropped).toBe(0);
    logHead(log); // as a status publish would have: the last ACK is hashed into the chain
    const overflow = (e: { type: number; code: number }) => e.type === EV_ALARM && e.code === AL_QUEUE_OVERFLOW;
    expect(h.sim.events.some(overflow)).toBe(false);
    const stored = h.sim.events.length;
    countHashes();
    onCommandTopic(h.sim.lock, reveal(grant.grantId, chain[2]));
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKING);
    expect(hashes).toBe(1);
    expect(h.sim.events.length).toBe(stored + 1);
    expect(log.dropped).toBe(1);
    expect(log.unreported).toBe(true);
    h.run(0);
    const alarms = h.sim.events.slice(stored).filter(overflow);
    expect(alarms).toHaveLength(1);
    expect(alarms[0].ref).toBe(1);
    expect(log.unreported).toBe(false);
  });

  it('a power cut right after the motor start keeps the spent value and the event; the chain continues', () => {
    const { h, grant, chain } = stagedLock();
    onCommandTopic(h.sim.lock, reveal(grant.grantId, chain[2]));
    const state = h.sim.events[h.sim.events.length - 1];
    expect(h.sim.lock.log!.unhashed).not.toBeNull();
    h.sim.storage.powered = false; // nothing more reaches flash
    h.reboot();
    h.run(3000);
    const first = h.sim.events[0];
    expect(first.seq).toBe(state.seq + 1);
    expect(bytesEqual(first.prevHash, eventHash(encodeEvent(state)))).toBe(true);
    // The spent value stays spent: presenting it again is a bad credential.
    h.trustTime();
    h.deliver(reveal(grant.grantId, chain[2]));
    h.run(500);
    expect(h.events(EV_DENIAL).pop()!.code).toBe(RC_BAD_CREDENTIAL);
  });

  it('with a camera and a receipt to come: each slice that starts the motor runs at most one SHA-512; the receipt names the chain\'s hashes', () => {
    const h = harness();
    h.trustTime();
    const { grant, chain } = chainGrant({ flags: FLAG_CAMERA_REQUIRED | FLAG_RELOCK_ON_CLOSE }, 2);
    putGrant(h, grant);
    h.run(2000);
    const receipts: Uint8Array[] = [];
    h.sim.lock.onReceipt = (b) => receipts.push(b);
    // Every timer callback is a slice: count its hashes and whether it started the motor.
    const slices: { hashes: number; started: boolean }[] = [];
    const timers = h.sim.lock.ports.timers;
    const set = timers.setTimeout;
    timers.setTimeout = (fn: () => void, ms: number) => set.call(timers, () => {
      const before = hashes;
      const idle = h.sim.device.physics.motor === 0;
      fn();
      slices.push({ hashes: hashes - before, started: idle && h.sim.device.physics.motor !== 0 });
    }, ms);
    countHashes();
    h.deliver(reveal(grant.grantId, chain[1]));
    h.run(3000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    h.sim.device.openDoor();
    h.run(4000);
    h.sim.device.closeDoor();
    h.run(8000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    const starts = slices.filter((s) => s.started);
    expect(starts.length).toBe(2); // the entry (after the camera's preroll) and the relock on close
    expect(starts[0].hashes).toBe(1); // links the CAMERA event into the chain for the STATE event
    expect(starts[1].hashes).toBeLessThanOrEqual(1);
    expect(receipts.length).toBe(1);
    const rc = decodeReceipt(receipts[0]);
    const events: Uint8Array[] = [];
    for (let s = rc.cameraSeq; s <= rc.seq; s++) events.push(readEvent(h.sim.lock.log!, s)!);
    expect(bytesEqual(rc.head, eventHash(events[events.length - 1]))).toBe(true);
    expect(bytesEqual(rc.entryHash, eventHash(events[rc.entrySeq - rc.cameraSeq]))).toBe(true);
    expect(bytesEqual(rc.cameraHash, eventHash(events[0]))).toBe(true);
    expect(checkReceipt(receipts[0], h.sim.lock.signer!.publicKey, events).ok).toBe(true);
  });
});

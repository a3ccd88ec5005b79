/**
 * The physical side on the simulator: every bolt state transition through the real
 * firmware, relock after the door closes, auto-relock, door-ajar and forced-door alarms,
 * the inside button, jam with one retry and an alarm, and a motor never left driven.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_LOCK, ACT_UNLOCK, ACTOR_AUTO, ACTOR_BUTTON, AL_DOOR_AJAR, AL_FORCED_DOOR, AL_JAM, BOLT_JAMMED, BOLT_LOCKED,
  BOLT_LOCKING, BOLT_UNKNOWN, BOLT_UNLOCKED, BOLT_UNLOCKING, EV_ALARM, EV_BOOT, EV_OPERATION, EV_STATE, RC_JAM, RC_OK,
  SRC_AUTO, SRC_BUTTON
} from '@keyway/shared';
import { INSTALL_HOLD_MS, onButton } from '@keyway/firmware';
import { harness, unlockPayload, type Harness } from '../support/lock-harness';

const alarms = (h: Harness) => h.events(EV_ALARM).map((e) => e.code);

function unlock(h: Harness, over: Record<string, number> = {}) {
  h.deliver(h.command(ACT_UNLOCK, unlockPayload(over)));
  h.run(2000);
  expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
}

describe('lock: bolt, door and button', () => {
  it('reports every bolt phase through STATE events: locked → unlocking → unlocked → locking → locked', () => {
    const h = harness();
    h.trustTime();
    unlock(h);
    h.deliver(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    h.run(2000);
    const phases = h.events(EV_STATE).map((e) => e.data[0]);
    const seq = [BOLT_LOCKED, BOLT_UNLOCKING, BOLT_UNLOCKED, BOLT_LOCKING, BOLT_LOCKED];
    let i = 0;
    for (const p of phases) if (p === seq[i]) i++;
    expect(i).toBe(seq.length);
  });

  it('boots from the switches: a bolt found in between is reported unknown and driven home', () => {
    const h = harness({ boltAt: 0.5 });
    expect(h.events(EV_BOOT)).toHaveLength(1);
    expect(h.events(EV_STATE)[0].data[0]).toBe(BOLT_UNKNOWN);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('relocks a few seconds after the door closes when the grant asks for it', () => {
    const h = harness();
    h.trustTime();
    unlock(h, { flags: 2 });
    h.sim.device.openDoor();
    h.run(5000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    h.sim.device.closeDoor();
    h.run(5000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    const op = h.events(EV_OPERATION).pop()!;
    expect(op.actorKind).toBe(ACTOR_AUTO);
    expect(Array.from(op.data)).toEqual([ACT_LOCK, SRC_AUTO]);
  });

  it('relocks by itself when the door is never opened', () => {
    const h = harness();
    h.trustTime();
    unlock(h, { relockAfter: 10 });
    h.run(7000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    h.run(5000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('the relock timer keeps the lock alone, not the unlock (a closure kept its move request: ~165 Espruino variables while the bolt was open)', () => {
    const h = harness();
    h.trustTime();
    const timers = h.sim.lock.ports.timers;
    const set = timers.setTimeout;
    const armed: Array<{ fn: () => void; ms: number }> = [];
    timers.setTimeout = (fn, ms) => {
      armed.push({ fn, ms });
      return set(fn, ms);
    };
    unlock(h, { relockAfter: 10 });
    const relock = armed.filter((a) => a.ms === 10_000);
    expect(relock.length).toBe(1);
    // A function bound to the lock (it has no scope of the unlock's), not a closure made in it.
    expect(relock[0].fn.name).toBe('bound relockDue');
    h.run(11_000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('raises DOOR_AJAR when the door stays open, and FORCED_DOOR when it is forced', () => {
    const h = harness({ options: { doorAjarS: 60 } });
    h.trustTime();
    unlock(h);
    h.sim.device.openDoor();
    h.run(61_000);
    expect(alarms(h)).toContain(AL_DOOR_AJAR);
    h.sim.device.closeDoor();
    h.run(1000);
    const h2 = harness();
    expect(h2.sim.device.openDoor(false)).toBe(false); // a thrown bolt holds the door
    expect(h2.sim.device.openDoor(true)).toBe(true);
    h2.run(100);
    expect(alarms(h2)).toContain(AL_FORCED_DOOR);
  });

  it('the inside button toggles the bolt and is logged as the button', () => {
    const h = harness();
    h.sim.device.pressButton();
    h.run(2000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const op = h.events(EV_OPERATION).pop()!;
    expect(op.actorKind).toBe(ACTOR_BUTTON);
    expect(Array.from(op.data)).toEqual([ACT_UNLOCK, SRC_BUTTON]);
    h.sim.device.pressButton();
    h.run(2000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
  });

  it('a short press stays short when the interpreter runs its release seconds late: the hold is timed between the edges', () => {
    const h = harness();
    const lock = h.sim.lock;
    const pressedAt = lock.ports.timers.millis();
    onButton(lock, true, pressedAt);
    h.run(INSTALL_HOLD_MS + 1000); // the interpreter busy: the release callback runs 6 s after the press
    const installUntil = lock.installUntil;
    onButton(lock, false, pressedAt + 100);
    h.run(2000);
    expect(lock.bolt.phase).toBe(BOLT_UNLOCKED);
    expect(lock.installUntil).toBe(installUntil);
  });

  it('a jam on relock: stop, back off, retry once, JAM alarm; the motor is never left driven', () => {
    const h = harness();
    h.trustTime();
    unlock(h, { relockAfter: 5 });
    const phys = h.sim.device.physics;
    phys.obstruction = 0.6;
    const startsBefore = phys.starts;
    h.run(10_000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_JAMMED);
    expect(alarms(h)).toContain(AL_JAM);
    expect(h.events(EV_OPERATION).pop()!.code).toBe(RC_JAM);
    expect(phys.motor).toBe(0);
    // Two forward runs (first try and retry) plus one short reverse.
    expect(phys.starts - startsBefore).toBe(3);
    expect(phys.longestRunMs).toBeLessThan(3100);
    expect(h.status().flags & 8).toBe(8);
    // Clearing the obstruction, the owner can lock again.
    phys.obstruction = -1;
    h.deliver(h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }));
    h.run(3000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    expect(h.status().flags & 8).toBe(0);
  });

  it('the loop never saw an exception and the watchdog never fired', () => {
    const h = harness();
    h.trustTime();
    unlock(h);
    h.run(60_000);
    expect(h.sim.loop.errors).toEqual([]);
    expect(h.sim.device.watchdog.fired).toBe(0);
    expect(h.sim.device.watchdog.seconds).toBeGreaterThan(0);
  });
});

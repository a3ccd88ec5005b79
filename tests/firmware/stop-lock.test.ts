/**
 * Switching the lock off (stopLock, as before a reboot or a power cut in the simulator) leaves no
 * timer of the lock's own behind: a pending relock or door-ajar alarm must not fire later on a
 * lock that is off (moving the motor of the board the next lock boots on), nor keep the old lock
 * in memory.
 */
import { describe, expect, it } from 'vitest';
import { ACT_UNLOCK, BOLT_UNLOCKED } from '@keyway/shared';
import { stopLock } from '@keyway/firmware';
import { sync } from '@keyway/hardware/sim';
import { harness, unlockPayload, type Harness } from '../support/lock-harness';

/** Longer than the relock delay asked for below and the door-ajar alarm's default (120 s). */
const AFTER_MS = 600_000;

function unlocked(): Harness {
  const h = harness();
  h.trustTime();
  h.deliver(h.command(ACT_UNLOCK, unlockPayload({ relockAfter: 30 })));
  h.run(3000);
  expect(h.status().bolt).toBe(BOLT_UNLOCKED);
  return h;
}

/** Switches the lock off and lets the board run on: the lock's timers never fire, nothing is logged, the bolt stays put. */
function offAndQuiet(h: Harness): void {
  sync(h.sim.device.physics, h.sim.loop.now());
  const bolt = h.sim.device.physics.bolt;
  stopLock(h.sim.lock);
  const fired = h.sim.device.timersFired;
  const events = h.sim.events.length;
  h.run(AFTER_MS);
  expect(h.sim.device.timersFired).toBe(fired);
  expect(h.sim.events.length).toBe(events);
  sync(h.sim.device.physics, h.sim.loop.now());
  expect(h.sim.device.physics.bolt).toBe(bolt); // nobody drove the motor
}

describe('stopLock', () => {
  it('cancels a pending relock', () => {
    const h = unlocked();
    expect(h.sim.lock.relockTimer).not.toBe(0);
    offAndQuiet(h);
    expect(h.sim.lock.relockTimer).toBe(0);
  });

  it('cancels the door-ajar alarm', () => {
    const h = unlocked();
    h.sim.device.openDoor(false);
    h.run(1000);
    expect(h.sim.lock.ajarTimer).not.toBe(0);
    offAndQuiet(h);
    expect(h.sim.lock.ajarTimer).toBe(0);
  });
});

/**
 * The simulated hardware on a real-time loop is sampled at one instant per synchronous run
 * (SimLoop.physicsNow in hardware/src/node/real-loop.ts). A board's two limit-switch reads are
 * microseconds apart; this process can be descheduled between them, and a fast simulated bolt
 * (the benchmarks' 1 ms travel) would then cross from one switch to the other and read as both
 * closed, which the firmware reports as a motor fault. The pause is made here on purpose, by
 * spinning between the two reads of the firmware's own port.
 */
import { describe, expect, it } from 'vitest';
import { createEspruinoPorts } from '@keyway/firmware';
import { board, createPhysics, createRealLoop, createSimDevice, createSimStorage, disposeLoop } from '@keyway/hardware';

const SW_LOCKED = 1;
const SW_UNLOCKED = 2;
const FAST_TRAVEL_MS = 1;
/** Longer than the whole travel: the bolt would be at the other end after it. */
const PAUSE_MS = 5 * FAST_TRAVEL_MS;
const UNLOCK = -1;

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a process descheduled between two statements
  }
}

function fastLock() {
  const loop = createRealLoop();
  const b = board('espruino-wifi');
  const physics = createPhysics({ travelMs: FAST_TRAVEL_MS, runMa: 350, stallMa: 1400, cameraAckDelayMs: 0 }, 1, false);
  const dev = createSimDevice({ board: b, loop, physics, storage: createSimStorage() });
  const read = dev.env.digitalRead;
  // The pause lands between the locked switch's read and the unlocked switch's.
  dev.env.digitalRead = (pin) => {
    const v = read(pin);
    if (pin === b.pins.boltLocked) spin(PAUSE_MS);
    return v;
  };
  const ports = createEspruinoPorts(dev.env, b);
  return { loop, ports };
}

describe('simulated hardware on a real-time loop', () => {
  it('reads both limit switches at one instant, however long the process pauses between them', async () => {
    const { loop, ports } = fastLock();
    try {
      expect(ports.hw.boltSwitches()).toBe(SW_LOCKED);
      ports.hw.motor(UNLOCK);
      // In the same run: the bolt has not moved yet, and the pause does not make it jump.
      expect(ports.hw.boltSwitches()).toBe(SW_LOCKED);
      const seen: number[] = [];
      for (let run = 0; run < 20; run++) {
        await new Promise((r) => setImmediate(r));
        seen.push(ports.hw.boltSwitches());
      }
      expect(seen).not.toContain(SW_LOCKED | SW_UNLOCKED);
      // Time does move between runs: the bolt arrives.
      expect(seen[seen.length - 1]).toBe(SW_UNLOCKED);
    } finally {
      disposeLoop(loop);
    }
  });
});

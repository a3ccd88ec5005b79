/**
 * The lock at rest wakes for nothing (docs/firmware.md, "Idle power"): between events no timer
 * of the lock's own runs, except the MQTT keep-alive while connected and the reconnect backoff
 * while the relay is away. Counted on the simulator's virtual clock, ten idle minutes at a time.
 */
import { describe, expect, it } from 'vitest';
import { createSimulatedLock, createVirtualLoop, type SimulatedLock } from '@keyway/hardware';
import { signerFromSeed } from '@keyway/shared/node';
import { TEST_RELAY_SEED } from '../../scripts/protocol-vectors';
import { seededRandom } from '../support/engine-env';
import { BOARD, harness, lockConfig, provisionedFiles } from '../support/lock-harness';
import { simBroker, type SimBroker } from '../support/sim-broker';

const MINUTE = 60_000;
const IDLE = 10 * MINUTE;
const PINGREQ = 12;
const KEEP_ALIVE_S = 30;
/** The client pings after 60% of the keep-alive period (docs/firmware.md). */
const PING_EVERY_MS = KEEP_ALIVE_S * 1000 * 0.6;

function connectedLock(): { sim: SimulatedLock; broker: SimBroker } {
  const loop = createVirtualLoop(null);
  const broker = simBroker(loop);
  const sim = createSimulatedLock({
    board: BOARD, loop, files: provisionedFiles(lockConfig([signerFromSeed(TEST_RELAY_SEED)])), random: seededRandom(),
    connect: broker.connect, options: { keepAliveS: KEEP_ALIVE_S }
  });
  return { sim, broker };
}

/** Timer callbacks of the lock's own during `ms` of virtual time. */
function wakeUps(sim: SimulatedLock, ms: number): number {
  const before = sim.device.timersFired;
  sim.loop.advance(ms);
  return sim.device.timersFired - before;
}

describe('the lock at rest', () => {
  it('offline and idle: no timer fires in ten minutes', () => {
    const h = harness();
    expect(h.sim.lock.config).not.toBeNull();
    expect(h.sim.device.watchdog.seconds).toBeGreaterThan(0);
    expect(wakeUps(h.sim, IDLE)).toBe(0);
    expect(h.sim.device.watchdog.fired).toBe(0);
  });

  it('connected and idle: only the keep-alive wakes it, and the session stays up', () => {
    const { sim, broker } = connectedLock();
    sim.loop.advance(5000); // boot, relock, CONNECT, SUBSCRIBE, the boot events published
    expect(sim.lock.mqtt?.online).toBe(true);
    const pings = broker.received[PINGREQ] ?? 0;
    const n = wakeUps(sim, IDLE);
    const sent = (broker.received[PINGREQ] ?? 0) - pings;
    expect(sent).toBeGreaterThanOrEqual(Math.floor(IDLE / PING_EVERY_MS) - 1);
    expect(n).toBe(sent); // one timer per PINGREQ, nothing else
    expect(broker.connections).toBe(1);
    expect(sim.lock.mqtt?.online).toBe(true);
  });

  it('relay away: the reconnect backoff is the only wake-up, at most one a minute once backed off', () => {
    const { sim, broker } = connectedLock();
    sim.loop.advance(5000);
    broker.refuse = true;
    broker.dropAll();
    sim.loop.advance(5 * MINUTE); // backoff grows to its 60 s ceiling
    expect(sim.lock.mqtt?.online).toBe(false);
    const n = wakeUps(sim, IDLE);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(2 * IDLE / MINUTE); // full jitter: waits in [30 s, 60 s)
  });
});

/**
 * Power loss at ANY write (docs/product.md#reliability-properties): a scenario that exercises every persistent record is
 * run once to count its flash writes, then again with the power cut during write k, for
 * every k and every way a write can tear. After each cut the board reboots from its flash:
 * it must boot, hold a consistent config and trusted keys, keep its log chain intact, re-read
 * the bolt from the switches, and never let a command or credential that already moved the
 * bolt work a second time.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_GRANT_REVOKE, ACT_KEY_ROTATE, ACT_LOCK, ACT_UNLOCK, BOLT_LOCKED, BOLT_UNLOCKED, EV_DENIAL, RC_BAD_CREDENTIAL, RC_OK,
  RC_REPLAY, RC_REVOKED, bytesEqual, eventHash
} from '@keyway/shared';
import { loadConfig, openEventLog, openGrantStore, readEvent, storagePort } from '@keyway/firmware';
import { signerFromSeed } from '@keyway/shared/node';
import { chainGrant, harness, putGrant, reveal, unlockPayload, type Harness } from '../support/lock-harness';

interface Step {
  name: string;
  /** Bytes delivered on the command topic (re-delivered after the reboot). */
  bytes?: Uint8Array;
  run(h: Harness): void;
  /** What a re-delivery after the reboot must be refused with, if the step moved the bolt. */
  refusedWith?: number[];
}

function scenario(h: Harness): Step[] {
  const { grant, chain } = chainGrant({ grantId: 41 }, 3);
  const rotated = signerFromSeed(new Uint8Array(32).fill(42));
  const steps: Step[] = [
    { name: 'time', run: (x) => x.trustTime() },
    { name: 'grant-put', run: (x) => void putGrant(x, grant) },
    { name: 'reveal', bytes: reveal(41, chain[2]), run: (x) => x.run(2500), refusedWith: [RC_BAD_CREDENTIAL] },
    { name: 'relock', run: (x) => x.run(35_000) },
    { name: 'unlock', bytes: h.command(ACT_UNLOCK, unlockPayload()), run: (x) => x.run(2500), refusedWith: [RC_REPLAY] },
    { name: 'lock', bytes: h.command(ACT_LOCK, { actorKind: 1, actorRef: 1 }), run: (x) => x.run(2500), refusedWith: [RC_REPLAY] },
    { name: 'rotate', bytes: h.command(ACT_KEY_ROTATE, { newKeyId: rotated.keyId, newKey: rotated.publicKey, retireKeyId: 0 }), run: (x) => x.run(1500) },
    { name: 'revoke', bytes: h.command(ACT_GRANT_REVOKE, { grantId: 41 }), run: (x) => x.run(1500) }
  ];
  return steps;
}

function play(h: Harness, steps: Step[]): { cutStep: number; moved: boolean[] } {
  const moved: boolean[] = [];
  for (let i = 0; i < steps.length; i++) {
    const starts = h.sim.device.physics.starts;
    if (steps[i].bytes) h.deliver(steps[i].bytes!);
    steps[i].run(h);
    moved.push(h.sim.device.physics.starts > starts);
    if (!h.sim.storage.powered) return { cutStep: i, moved };
  }
  return { cutStep: -1, moved };
}

function checkFlash(h: Harness): void {
  const port = storagePort(h.sim.storage);
  const cfg = loadConfig(port).config;
  expect(cfg, 'config survives').not.toBeNull();
  expect(cfg!.keys.length).toBeGreaterThan(0);
  openGrantStore(port);
  const log = openEventLog(port, cfg!.deviceId, 32);
  // Every stored event links to the stored event before it.
  let prev: Uint8Array | null = null;
  for (let s = Math.max(1, log.seq - 31); s <= log.seq; s++) {
    const b = readEvent(log, s);
    if (b && prev) expect(bytesEqual(b.subarray(37, 69), eventHash(prev)), 'chain at ' + s).toBe(true);
    prev = b;
  }
}

describe('power cut at every flash write', () => {
  it('the scenario touches every record', () => {
    const h = harness();
    const names: string[] = [];
    const write = h.sim.storage.write;
    h.sim.storage.write = (name, data) => (names.push(name), write(name, data));
    const r = play(h, scenario(h));
    expect(r.cutStep).toBe(-1);
    for (const prefix of ['kwcfg', 'kwrp', 'kwg', 'kwrv', 'kwe']) expect(names.some((n) => n.startsWith(prefix)), prefix).toBe(true);
  });

  for (const tear of ['missing', 'erased-tail', 'truncated'] as const) {
    it('recovers from a cut during any write (' + tear + ')', () => {
      const probe = harness();
      const base = probe.sim.storage.writes;
      play(probe, scenario(probe));
      const total = probe.sim.storage.writes - base;
      expect(total).toBeGreaterThan(20);
      let replayChecks = 0;
      for (let k = 1; k <= total; k++) {
        const h = harness();
        const steps = scenario(h);
        h.sim.storage.cutAt = h.sim.storage.writes + k;
        h.sim.storage.tear = tear;
        h.sim.storage.tearFraction = (k % 5) / 5;
        const r = play(h, steps);
        expect(r.cutStep, 'write ' + k + ' was reached').toBeGreaterThanOrEqual(0);
        h.reboot();
        h.run(5000);
        expect(h.sim.loop.errors, 'no exception after reboot at write ' + k).toEqual([]);
        checkFlash(h);
        // The bolt state comes from the switches after boot.
        expect([BOLT_LOCKED, BOLT_UNLOCKED]).toContain(h.sim.lock.bolt.phase);
        const pos = h.sim.device.physics.bolt;
        expect(pos >= 0.97 || pos <= 0.03).toBe(true);
        h.trustTime();
        expect(h.lastAck()!.code, 'trusted time after write ' + k).toBe(RC_OK);
        h.run(40_000);
        for (let i = 0; i <= r.cutStep; i++) {
          const s = steps[i];
          if (!s.bytes || !r.moved[i] || !s.refusedWith) continue;
          const starts = h.sim.device.physics.starts;
          const acks = h.events().length;
          h.deliver(s.bytes);
          h.run(3000);
          const after = h.events().slice(acks).filter((e) => e.type === 6 || e.type === EV_DENIAL);
          expect(h.sim.device.physics.starts, s.name + ' ran twice after a cut at write ' + k).toBe(starts);
          expect(after.length).toBeGreaterThan(0);
          expect([...s.refusedWith, RC_REVOKED]).toContain(after[0].code);
          replayChecks++;
        }
      }
      // Cuts after the bolt moved must have happened for several steps, or this test proves nothing.
      expect(replayChecks).toBeGreaterThan(total / 2);
    }, 240_000);
  }
});

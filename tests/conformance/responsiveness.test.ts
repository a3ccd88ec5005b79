/**
 * Cooperative verification (docs/verifier.md; docs/product.md#reliability-properties): on real interpreters, signature verification
 * runs in slices, so the bolt motor's 20 ms control tick, the door, MQTT keep-alives and the
 * watchdog keep running during it. The simulator's clock is charged with the interpreter's time,
 * so a slice that ran too long shows up as a late timer. The limits are in units of the verifier's
 * own step, measured on the same engine in the same run, not in host milliseconds: they mean the
 * same on a fast host, a slow one, or one shared with other work.
 */
import { describe, expect, it } from 'vitest';
import { scaled } from '../support/time-scale';
import { ACT_GRANT_PUT, ACT_TIME_SET, toHex } from '@keyway/shared';
import { signCommand } from '@keyway/shared/node';
import { bundleEs5 } from '../../tools/src/firmware/es5-bundle';
import { availableEngines } from '../support/engines';
import { BOARD, DEVICE_ID, T0, harness, plainGrant } from '../support/lock-harness';

/**
 * A slice runs steps until its budget is spent, so it ends at most one step after the budget. A
 * timer can wait for that slice and then for the lock's other work queued before it (admission, a
 * flash write, an event hash), each about a step or less: budget + 3 of the longest steps.
 */
const SLACK_STEPS = 3;

describe('the lock stays responsive while it verifies a signature', () => {
  for (const engine of availableEngines()) {
    it(engine.name + ': motor ticks, door events and the watchdog are serviced during verification', async () => {
      const h = harness(); // same seed as the entry: same challenge nonce
      const nonce = h.status().nonce;
      const sign = (action: number, payload: unknown, counter: number, extra = {}) =>
        toHex(signCommand(h.signer, { deviceId: DEVICE_ID, action, payload, notBefore: T0, notAfter: T0 + 60, counter, ...extra }));
      const input = {
        board: BOARD, files: h.initialFiles,
        timeSet: sign(ACT_TIME_SET, { time: T0 }, 1, { nonce }),
        // Grant pushes: verified like any command, and they do not need the (moving) bolt.
        lock: sign(ACT_GRANT_PUT, plainGrant({ grantId: 61 }), 2),
        unlock: sign(ACT_GRANT_PUT, plainGrant({ grantId: 62 }), 3)
      };
      const bundle = await bundleEs5({ entry: 'tests/conformance/responsiveness.entry.ts' });
      const measure = async () => {
        const run = await engine.run('var KW_RESP = ' + JSON.stringify(input) + ';\n' + bundle.code, scaled(900_000));
        const line = run.lines.find((l) => l.startsWith('RESULT '));
        expect(line, run.stdout.slice(-2000)).toBeDefined();
        const res = JSON.parse(line!.slice(7));
        console.log(engine.name + ' responsiveness: ' + JSON.stringify(res));
        return res;
      };
      const within = (res: { budgetMs: number; stepMsMax: number; maxSliceMs: number; maxLatenessMs: number }) =>
        Math.max(res.maxSliceMs, res.maxLatenessMs) <= res.budgetMs + SLACK_STEPS * res.stepMsMax;
      let r = await measure();
      // A host that stalls the interpreter for a few milliseconds once (seen on a shared 2-core CI
      // machine: 27 ms against a 21 ms limit) gets one more run; a lock that is really late is late
      // both times.
      if (!within(r)) r = await measure();
      expect(r.errors).toBe(0);
      expect(r.verifies).toBe(2);
      expect(r.watchdogTrips).toBe(0);
      expect(r.motorNow).toBe(0);
      // The motor was never left running long: its control tick kept coming during verification.
      expect(r.longestMotorRunMs).toBeLessThan(3100);
      expect(r.stepVerified).toBe(true);
      const limit = r.budgetMs + SLACK_STEPS * r.stepMsMax;
      expect(r.maxSliceMs, 'longest slice against budget + ' + SLACK_STEPS + ' steps').toBeLessThanOrEqual(limit);
      expect(r.maxLatenessMs, 'latest timer against budget + ' + SLACK_STEPS + ' steps').toBeLessThanOrEqual(limit);
      expect(r.maxSliceMs).toBeLessThan(r.verifyMsAvg);
      expect(r.ops.filter((o: string) => o === '6:0').length).toBe(3); // TIME_SET and both commands acknowledged OK
    }, scaled(900_000));
  }
});

/**
 * Power loss at any flash write during owner consent (docs/protocol.md §11.3, §11.5): enrolment,
 * a standing consent and grants staged under it, cut at every write and every way a write can
 * tear. After the reboot the owner record is whole (old or new), owner-consent mode is never on
 * without an owner key, and however often the relay sends the consented grants again, no week
 * holds more consented grants than the consent allows.
 */
import { describe, expect, it } from 'vitest';
import { ACT_CONSENT_PUT, ACT_OWNER_KEY_ADD, RC_OK } from '@keyway/shared';
import { T0 } from '../support/lock-harness';
import { OWNER, consentedPut, courierGrant, enterInstallMode, ownerHarness, weekdayConsent, type OwnerHarness } from '../support/owner-harness';

const MAX_PER_WEEK = 2;
const GRANT_IDS = [61, 62, 63];

function play(h: OwnerHarness): void {
  h.trustTime();
  enterInstallMode(h);
  h.deliver(h.command(ACT_OWNER_KEY_ADD, { ownerKeyId: OWNER.keyId, ownerKey: OWNER.publicKey }));
  h.run(3000);
  if (!h.sim.storage.powered) return;
  h.deliver(h.wrap(h.statement(OWNER, ACT_CONSENT_PUT, weekdayConsent({ maxPerWeek: MAX_PER_WEEK }))));
  h.run(4000);
  for (const id of GRANT_IDS) {
    if (!h.sim.storage.powered) return;
    h.deliver(consentedPut(h, courierGrant({ grantId: id, notBefore: T0 + (id - 60) * 600, notAfter: T0 + (id - 60) * 600 + 600 })));
    h.run(3000);
  }
}

const staged = (h: OwnerHarness) => h.sim.lock.grants.slots.filter((g) => g && GRANT_IDS.includes(g.grant.grantId)).length;

describe('owner consent: power cut at every flash write', () => {
  for (const tear of ['missing', 'erased-tail', 'truncated'] as const) {
    it('keeps the owner record whole and the weekly count bounded (' + tear + ')', () => {
      const probe = ownerHarness();
      const base = probe.sim.storage.writes;
      play(probe);
      expect(staged(probe)).toBe(MAX_PER_WEEK);
      const total = probe.sim.storage.writes - base;
      expect(total).toBeGreaterThan(10);
      for (let k = 1; k <= total; k++) {
        const h = ownerHarness();
        h.sim.storage.cutAt = h.sim.storage.writes + k;
        h.sim.storage.tear = tear;
        h.sim.storage.tearFraction = (k % 5) / 5;
        play(h);
        h.reboot();
        h.run(5000);
        expect(h.sim.loop.errors, 'no exception after reboot at write ' + k).toEqual([]);
        const o = h.sim.lock.owner;
        if (o.mode === 1) expect(o.keys.length, 'mode on without a key after write ' + k).toBeGreaterThan(0);
        // The relay sends every consented grant again once the lock is back.
        h.trustTime();
        expect(h.lastAck()!.code).toBe(RC_OK);
        if (o.keys.length > 0 && o.consents.length > 0) {
          for (const id of GRANT_IDS) {
            h.deliver(consentedPut(h, courierGrant({ grantId: id, notBefore: T0 + (id - 60) * 600, notAfter: T0 + (id - 60) * 600 + 600 })));
            h.run(3000);
          }
        }
        expect(staged(h), 'consented grants after a cut at write ' + k).toBeLessThanOrEqual(MAX_PER_WEEK);
        const held = o.consents[0];
        if (held) expect(staged(h)).toBeLessThanOrEqual(held.count0 + held.count1);
      }
    }, 240_000);
  }
});

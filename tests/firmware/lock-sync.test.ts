/**
 * What the lock does so that it and the relay converge (docs/sync.md): it reports what it
 * holds, it takes a revocation even before it has trusted time again, a revoked grant never
 * comes back, and its challenge never repeats across boots even when the board's random
 * source does.
 */
import { describe, expect, it } from 'vitest';
import {
  ACT_GRANT_PUT, ACT_GRANT_REVOKE, EV_DENIAL, EV_OPERATION, RC_NO_TRUSTED_TIME, RC_OK, RC_REVOKED, encodePayload,
  grantFingerprint, toHex
} from '@keyway/shared';
import { createSimulatedLock } from '@keyway/hardware/sim';
import { onCommandTopic } from '@keyway/firmware';
import { BOARD, chainGrant, harness, lockConfig, provisionedFiles, putGrant, reveal } from '../support/lock-harness';
import { signerFromSeed } from '@keyway/shared/node';
import { TEST_RELAY_SEED } from '../../scripts/protocol-vectors';

describe('lock: convergence with the relay', () => {
  it('reports the key ids it trusts and each staged grant with the fingerprint of the exact payload it was sent', () => {
    const h = harness();
    h.trustTime();
    const { grant } = chainGrant({ grantId: 41 });
    expect(putGrant(h, grant)!.code).toBe(RC_OK);
    const s = h.status();
    expect(s.keyIds).toEqual([h.signer.keyId]);
    expect(s.held.map((g) => ({ id: g.grantId, fp: toHex(g.fingerprint) }))).toEqual([
      { id: 41, fp: toHex(grantFingerprint(encodePayload(ACT_GRANT_PUT, grant))) }
    ]);
    // The inventory survives a reboot (fingerprints are recomputed from Storage).
    h.reboot();
    h.run(3000);
    expect(h.status().held.map((g) => toHex(g.fingerprint))).toEqual(s.held.map((g) => toHex(g.fingerprint)));
  });

  it('after a reboot, with no trusted time, takes a revocation at once; the revoked grant opens nothing and can never be put back', () => {
    const h = harness();
    h.trustTime();
    const { grant, chain } = chainGrant({ grantId: 42 });
    expect(putGrant(h, grant)!.code).toBe(RC_OK);
    h.reboot();
    h.run(3000);
    expect(h.sim.lock.timeTrusted).toBe(false);
    // Without trusted time an ordinary command is refused, but a revocation is not.
    expect(putGrant(h, chainGrant({ grantId: 43 }).grant)!.code).toBe(RC_NO_TRUSTED_TIME);
    h.deliver(h.command(ACT_GRANT_REVOKE, { grantId: 42 }));
    h.run(2000);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(h.status().held).toEqual([]);
    h.trustTime();
    const ops = h.events(EV_OPERATION).length;
    onCommandTopic(h.sim.lock, reveal(42, chain[2]));
    h.run(3000);
    expect(h.events(EV_OPERATION).length).toBe(ops);
    expect(h.events(EV_DENIAL).pop()!.code).toBe(RC_REVOKED);
    // A late (delayed or duplicated) put of the revoked grant is refused by the tombstone.
    expect(putGrant(h, grant)!.code).toBe(RC_REVOKED);
    expect(h.status().held).toEqual([]);
  });

  it('never repeats its challenge across boots, even when the random source gives the same bytes after every reset', () => {
    const files = provisionedFiles(lockConfig([signerFromSeed(TEST_RELAY_SEED)]));
    const constant = () => 0.25;
    let sim = createSimulatedLock({ board: BOARD, files, random: constant });
    const nonces: string[] = [];
    for (let boot = 0; boot < 6; boot++) {
      sim.loop.advance(3000);
      nonces.push(toHex(sim.lock.nonce));
      sim = sim.reboot();
    }
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});

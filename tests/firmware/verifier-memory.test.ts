/**
 * What the signature code keeps between uses (firmware/src/verifier-memory.ts, docs/firmware.md
 * "The verifier's memory in owner-consent mode"): a version-1 lock keeps the relay key's table
 * and the decoded base-point tables; a lock in owner-consent mode keeps neither once no signature
 * work is under way, from the command that switched the mode on, and after signing a receipt.
 * A table that was dropped is decoded afresh, so `baseTable()` then returns a new array.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACT_CONSENT_MODE_SET, ACT_OWNER_KEY_ADD, ACT_UNLOCK, BOLT_LOCKED, BOLT_UNLOCKED, RC_OK, keepKeyTables } from '@keyway/shared';
import { baseTable } from '../../shared/src/ed25519/base-table';
import { baseHiTable } from '../../shared/src/ed25519/base-table-hi';
import { cachedKeyTable } from '../../shared/src/ed25519/key-table';
import { T0, unlockPayload } from '../support/lock-harness';
import { OWNER, consentLock, enterInstallMode, ownerHarness } from '../support/owner-harness';

afterEach(() => keepKeyTables(true));

describe('lock: the verifier memory it keeps, by mode', () => {
  it('a version-1 lock keeps the relay key table and the base-point tables between commands', () => {
    const h = ownerHarness();
    h.trustTime();
    const lo = baseTable();
    const hi = baseHiTable();
    expect(cachedKeyTable(h.signer.publicKey)).not.toBeNull();
    h.trustTime(T0 + 5);
    expect(h.lastAck()!.code).toBe(RC_OK);
    expect(cachedKeyTable(h.signer.publicKey)).not.toBeNull();
    expect(baseTable()).toBe(lo);
    expect(baseHiTable()).toBe(hi);
  });

  it('the enrolment that switches owner-consent mode on drops the relay key table and the base-point tables', () => {
    const h = ownerHarness();
    h.trustTime();
    enterInstallMode(h);
    const lo = baseTable();
    const hi = baseHiTable();
    expect(h.send(h.command(ACT_OWNER_KEY_ADD, { ownerKeyId: OWNER.keyId, ownerKey: OWNER.publicKey })).code).toBe(RC_OK);
    expect(h.sim.lock.owner.mode).toBe(1);
    expect(cachedKeyTable(h.signer.publicKey)).toBeNull();
    expect(baseTable()).not.toBe(lo);
    expect(baseHiTable()).not.toBe(hi);
  });

  it('switching the mode on again by an owner statement drops the owner key table it was verified with', () => {
    const h = consentLock();
    expect(h.send(h.wrap(h.statement(OWNER, ACT_CONSENT_MODE_SET, { on: 0 }))).code).toBe(RC_OK);
    expect(h.sim.lock.owner.mode).toBe(0);
    expect(h.send(h.wrap(h.statement(OWNER, ACT_CONSENT_MODE_SET, { on: 1 }))).code).toBe(RC_OK);
    expect(h.sim.lock.owner.mode).toBe(1);
    expect(cachedKeyTable(OWNER.publicKey)).toBeNull();
    expect(cachedKeyTable(h.signer.publicKey)).toBeNull();
  });

  it('in owner-consent mode, signing a receipt leaves no base-point table behind', () => {
    const h = consentLock();
    const receipts: Uint8Array[] = [];
    h.sim.lock.onReceipt = (b) => receipts.push(b);
    expect(h.send(h.wrap(h.statement(OWNER, ACT_UNLOCK, unlockPayload({ relockAfter: 5 })))).code).toBe(RC_OK);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_UNLOCKED);
    const lo = baseTable(); // decoded now; the receipt signed at the relock uses it
    h.run(10_000);
    expect(h.sim.lock.bolt.phase).toBe(BOLT_LOCKED);
    expect(receipts.length).toBe(1);
    expect(baseTable()).not.toBe(lo);
  });
});

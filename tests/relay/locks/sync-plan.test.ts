import { describe, expect, it } from 'vitest';
import { planSync, retryDelayMs, SYNC_RETRY_MAX_MS, type DesiredGrant, type SyncInputs } from '../../../relay/src/locks/sync-plan';

const FP_A = 'aaaaaaaa';
const FP_B = 'bbbbbbbb';

function inputs(over: Partial<SyncInputs> = {}): SyncInputs {
  return { timeTrusted: true, lockKeyIds: [7], keysAckedSinceInventory: [], signingKeyId: 7, currentKeyId: 7, relayKeyIds: [5, 7], held: [], grants: [], settingsRevision: null, heldSettingsRevision: 0, inFlight: new Set(), ...over };
}

const wanted = (id: number, fingerprint = FP_A): DesiredGrant => ({ id, want: 'wanted', fingerprint, revoking: false });
const revoking = (id: number): DesiredGrant => ({ id, want: 'remove', fingerprint: FP_A, revoking: true });

describe('planSync', () => {
  it('in owner-consent mode never sends a grant only the owner can stage, yet still revokes and stages consented ones', () => {
    const ownerOnly: DesiredGrant = { ...wanted(5), needsOwner: true };
    const p = planSync(inputs({ held: [{ grantId: 9, fingerprint: FP_A }], grants: [ownerOnly, wanted(6), revoking(9)] }));
    expect(p.steps).toEqual([{ kind: 'revoke', grantId: 9 }, { kind: 'put', grantId: 6 }]);
    expect(p.needsOwner).toEqual([5]);
    expect(p.missing).toEqual([6]);
    expect(p.converged).toBe(false);
    // Held in the signed version (the owner staged it): nothing to do, and the lock agrees.
    const held = planSync(inputs({ held: [{ grantId: 5, fingerprint: FP_A }], grants: [ownerOnly] }));
    expect(held).toMatchObject({ steps: [], needsOwner: [], converged: true, held: [5] });
  });

  it('agrees when the lock holds exactly the wanted grants and trusts the current key', () => {
    const p = planSync(inputs({ held: [{ grantId: 1, fingerprint: FP_A }], grants: [wanted(1)] }));
    expect(p).toMatchObject({ converged: true, steps: [], missing: [], extra: [], pendingRevocations: [], keyOk: true });
  });

  it('revokes before anything else, and even without trusted time', () => {
    const p = planSync(inputs({ timeTrusted: false, held: [{ grantId: 1, fingerprint: FP_A }], grants: [revoking(1), wanted(2)] }));
    expect(p.steps).toEqual([{ kind: 'revoke', grantId: 1 }]);
    expect(p.converged).toBe(false);
    const trusted = planSync(inputs({ held: [{ grantId: 1, fingerprint: FP_A }], grants: [revoking(1), wanted(2)] }));
    expect(trusted.steps).toEqual([{ kind: 'revoke', grantId: 1 }, { kind: 'put', grantId: 2 }]);
  });

  it('keeps a revocation pending until the lock confirms it, even when the inventory no longer lists the grant', () => {
    const p = planSync(inputs({ grants: [revoking(3)] }));
    expect(p.steps).toEqual([{ kind: 'revoke', grantId: 3 }]);
    expect(p.pendingRevocations).toEqual([3]);
    expect(p.converged).toBe(false);
  });

  it('re-puts a grant the lock holds in another version, and removes grants the relay does not want', () => {
    const p = planSync(inputs({
      held: [{ grantId: 1, fingerprint: FP_B }, { grantId: 9, fingerprint: FP_A }, { grantId: 4, fingerprint: FP_A }],
      grants: [wanted(1), { id: 4, want: 'either', fingerprint: FP_A, revoking: false }]
    }));
    expect(p.missing).toEqual([1]);
    expect(p.extra).toEqual([9]);
    expect(p.steps).toEqual([{ kind: 'revoke', grantId: 9 }, { kind: 'put', grantId: 1 }]);
  });

  it('sends nothing twice: a target with a command in flight is left alone', () => {
    const p = planSync(inputs({ grants: [revoking(1), wanted(2)], inFlight: new Set(['revoke:1', 'put:2']) }));
    expect(p.steps).toEqual([]);
    expect(p.converged).toBe(false);
  });

  it('moves a lock on an old key to the current one before its grants; a lock that lost the signing key gets nothing signed', () => {
    const old = planSync(inputs({ lockKeyIds: [5], signingKeyId: 5, currentKeyId: 7, grants: [wanted(2)] }));
    expect(old.steps).toEqual([{ kind: 'rotate' }, { kind: 'put', grantId: 2 }]);
    expect(old.keyOk).toBe(false);
    const lost = planSync(inputs({ lockKeyIds: [9], signingKeyId: 7, currentKeyId: 7, grants: [wanted(2)] }));
    expect(lost.steps).toEqual([]);
    expect(lost.adoptKeyId).toBeNull();
    expect(lost.keyOk).toBe(false);
    expect(lost.converged).toBe(false);
  });

  it('adopts the key the lock trusts when a rotation ran but its ACK was lost (the relay still signs with the retired key)', () => {
    const p = planSync(inputs({ lockKeyIds: [7], signingKeyId: 5, currentKeyId: 7 }));
    expect(p.adoptKeyId).toBe(7);
    expect(planSync(inputs({ lockKeyIds: [5, 7], signingKeyId: 5, currentKeyId: 7 })).adoptKeyId).toBeNull();
  });

  it('never adopts a key from an inventory older than a rotation the lock acknowledged since (the inventory cannot list the new key yet)', () => {
    // The lock reported [5], then acknowledged KEY_ROTATE 5 -> 7: the relay signs with 7.
    const p = planSync(inputs({ lockKeyIds: [5], keysAckedSinceInventory: [7], signingKeyId: 7, currentKeyId: 7, grants: [wanted(2)] }));
    expect(p.adoptKeyId).toBeNull();
    expect(p.keyOk).toBe(true);
    expect(p.steps).toEqual([{ kind: 'put', grantId: 2 }]);
    // Without that acknowledgement the same inventory means the lock lost the key: adopt 5.
    expect(planSync(inputs({ lockKeyIds: [5], signingKeyId: 7, currentKeyId: 7 })).adoptKeyId).toBe(5);
  });

  it('reports wanted grants the lock holds in the signed version (proof a put ran when its ACK was lost)', () => {
    const p = planSync(inputs({ held: [{ grantId: 1, fingerprint: FP_A }, { grantId: 2, fingerprint: FP_B }], grants: [wanted(1), wanted(2)] }));
    expect(p.held).toEqual([1]);
    expect(p.missing).toEqual([2]);
  });

  it('sends the owner\'s settings when the lock holds another revision, after grants, and only with trusted time and a trusted signer', () => {
    expect(planSync(inputs({ settingsRevision: null, heldSettingsRevision: 4 })).converged).toBe(true);
    expect(planSync(inputs({ settingsRevision: 3, heldSettingsRevision: 3 }))).toMatchObject({ converged: true, steps: [], settingsOk: true });
    const older = planSync(inputs({ settingsRevision: 3, heldSettingsRevision: 2, grants: [wanted(1)] }));
    expect(older.steps).toEqual([{ kind: 'put', grantId: 1 }, { kind: 'settings' }]);
    expect(older).toMatchObject({ converged: false, settingsOk: false });
    // A lock that rebooted into factory storage (revision 0), or ahead of a restored relay database.
    expect(planSync(inputs({ settingsRevision: 3, heldSettingsRevision: 0 })).steps).toEqual([{ kind: 'settings' }]);
    expect(planSync(inputs({ settingsRevision: 3, heldSettingsRevision: 9 })).steps).toEqual([{ kind: 'settings' }]);
    expect(planSync(inputs({ settingsRevision: 3, heldSettingsRevision: 2, inFlight: new Set(['settings']) })).steps).toEqual([]);
    expect(planSync(inputs({ settingsRevision: 3, heldSettingsRevision: 2, timeTrusted: false })).steps).toEqual([]);
    expect(planSync(inputs({ settingsRevision: 3, heldSettingsRevision: 2, lockKeyIds: [5] })).steps).toEqual([]);
  });

  it('backs off 1, 2, 4 … seconds up to 16 s', () => {
    expect([0, 1, 2, 3, 10].map(retryDelayMs)).toEqual([0, 1000, 2000, 4000, SYNC_RETRY_MAX_MS]);
    expect(SYNC_RETRY_MAX_MS).toBeLessThanOrEqual(16_000);
  });
});

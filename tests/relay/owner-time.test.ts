/**
 * Which locks wait for an owner-confirmed time (docs/protocol.md §11.8, relay/src/locks/owner-time.ts):
 * a boot status in owner-consent mode marks a lock, so does a refusal with OWNER_TIME_REQUIRED; the
 * lock's OK to an OWNER_TIME clears it; a lock with the mode off never waits.
 */
import { describe, expect, it } from 'vitest';
import { RC_OK, RC_OUTSIDE_WINDOW, RC_OWNER_TIME_REQUIRED, ST_CAMERA_OK, ST_OWNER_CONSENT, ST_TIME_TRUSTED } from '@keyway/shared';
import type { RelayContext } from '../../relay/src/context';
import { noteReasonForOwnerTime, noteStatusForOwnerTime, ownerTimeConfirmed, ownerTimeNeeded } from '../../relay/src/locks/owner-time';

const ctx = () => ({}) as RelayContext;

describe('relay: locks waiting for an owner-confirmed time', () => {
  it('marks a lock that boots in owner-consent mode, and clears it once the owner confirmed', () => {
    const c = ctx();
    noteStatusForOwnerTime(c, 'a', ST_OWNER_CONSENT | ST_CAMERA_OK);
    expect(ownerTimeNeeded(c, 'a')).toBe(true);
    // The relay's own TIME_SET makes the time trusted: the lock still waits for the owner.
    noteStatusForOwnerTime(c, 'a', ST_OWNER_CONSENT | ST_TIME_TRUSTED);
    expect(ownerTimeNeeded(c, 'a')).toBe(true);
    ownerTimeConfirmed(c, 'a');
    expect(ownerTimeNeeded(c, 'a')).toBe(false);
    // Another relay context (another relay in the same process) knows nothing of it.
    noteStatusForOwnerTime(c, 'a', ST_OWNER_CONSENT);
    expect(ownerTimeNeeded(ctx(), 'a')).toBe(false);
  });

  it('never marks a lock with owner consent off, and forgets one whose mode went off', () => {
    const c = ctx();
    noteStatusForOwnerTime(c, 'b', 0);
    expect(ownerTimeNeeded(c, 'b')).toBe(false);
    noteStatusForOwnerTime(c, 'b', ST_OWNER_CONSENT);
    noteStatusForOwnerTime(c, 'b', ST_TIME_TRUSTED);
    expect(ownerTimeNeeded(c, 'b')).toBe(false);
  });

  it('marks a lock from its OWNER_TIME_REQUIRED answer (after a relay restart), once', () => {
    const c = ctx();
    expect(noteReasonForOwnerTime(c, 'c', RC_OK)).toBe(false);
    expect(noteReasonForOwnerTime(c, 'c', RC_OUTSIDE_WINDOW)).toBe(false);
    expect(ownerTimeNeeded(c, 'c')).toBe(false);
    expect(noteReasonForOwnerTime(c, 'c', RC_OWNER_TIME_REQUIRED)).toBe(true);
    expect(noteReasonForOwnerTime(c, 'c', RC_OWNER_TIME_REQUIRED)).toBe(false);
    expect(ownerTimeNeeded(c, 'c')).toBe(true);
  });
});

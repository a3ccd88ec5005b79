/**
 * Which locks wait for an owner-confirmed time (docs/protocol.md §11.8, relay/src/locks/owner-time.ts):
 * a boot status in owner-consent mode marks a lock, so does a refusal with OWNER_TIME_REQUIRED; the
 * lock's OK to an OWNER_TIME clears it; a lock with the mode off never waits. The mark is on the
 * device row, so a second relay of a set (another store handle on the same database) sees it.
 */
import { describe, expect, it } from 'vitest';
import { RC_OK, RC_OUTSIDE_WINDOW, RC_OWNER_TIME_REQUIRED, ST_CAMERA_OK, ST_OWNER_CONSENT, ST_TIME_TRUSTED } from '@keyway/shared';
import { insertOwner } from '../../relay/src/data/accounts';
import { findDevice, insertDevice } from '../../relay/src/data/devices';
import { insertSite } from '../../relay/src/data/sites';
import type { Q } from '../../relay/src/data/store';
import { noteReasonForOwnerTime, ownerTimeConfirmed, ownerTimeNeeded, ownerTimeNeededAfterStatus } from '../../relay/src/locks/owner-time';
import { describeEachStore } from '../support/stores';

const T0 = 1_800_000_000_000;

async function lockIn(q: Q, id: string): Promise<void> {
  const o = await insertOwner(q, { email: id + '@x.org', name: 'o', passwordHash: 'h', at: T0 });
  const s = await insertSite(q, { owner_id: o.id, name: 'home', timezone: 'UTC', created_at: T0 });
  await insertDevice(q, { id, siteId: s.id, name: 'front', profile: 'door', board: 'pico', firmware: 'fw1', publicKey: 'aa', passwordHash: 'pw', at: T0, signingKeyId: 1 });
}

describe('the owner-time mark a status leaves (stored with the status)', () => {
  it('marks a lock that boots in owner-consent mode, and keeps the mark once the relay\'s TIME_SET made its time trusted', () => {
    expect(ownerTimeNeededAfterStatus(ST_OWNER_CONSENT | ST_CAMERA_OK, 0)).toBe(1);
    // The relay's own TIME_SET makes the time trusted: the lock still waits for the owner.
    expect(ownerTimeNeededAfterStatus(ST_OWNER_CONSENT | ST_TIME_TRUSTED, 1)).toBe(1);
    expect(ownerTimeNeededAfterStatus(ST_OWNER_CONSENT | ST_TIME_TRUSTED, 0)).toBe(0);
  });

  it('never marks a lock with owner consent off, and forgets one whose mode went off', () => {
    expect(ownerTimeNeededAfterStatus(0, 0)).toBe(0);
    expect(ownerTimeNeededAfterStatus(ST_TIME_TRUSTED, 1)).toBe(0);
    expect(ownerTimeNeededAfterStatus(ST_CAMERA_OK, 1)).toBe(0);
  });
});

describeEachStore('relay: locks waiting for an owner-confirmed time', (stores) => {
  const waits = async (q: Q, id: string) => ownerTimeNeeded((await findDevice(q, id))!);

  it('clears the mark once the owner confirmed the lock\'s clock', async () => {
    const { q } = await stores.fresh();
    const id = '00112233aabbcc01';
    await lockIn(q, id);
    expect(await waits(q, id)).toBe(false);
    expect(await noteReasonForOwnerTime(q, id, RC_OWNER_TIME_REQUIRED)).toBe(true);
    expect(await waits(q, id)).toBe(true);
    await ownerTimeConfirmed(q, id);
    expect(await waits(q, id)).toBe(false);
  });

  it('marks a lock from its OWNER_TIME_REQUIRED answer, once, and an unknown lock not at all', async () => {
    const { q } = await stores.fresh();
    const id = '00112233aabbcc03';
    await lockIn(q, id);
    expect(await noteReasonForOwnerTime(q, id, RC_OK)).toBe(false);
    expect(await noteReasonForOwnerTime(q, id, RC_OUTSIDE_WINDOW)).toBe(false);
    expect(await waits(q, id)).toBe(false);
    expect(await noteReasonForOwnerTime(q, id, RC_OWNER_TIME_REQUIRED)).toBe(true);
    expect(await noteReasonForOwnerTime(q, id, RC_OWNER_TIME_REQUIRED)).toBe(false);
    expect(await waits(q, id)).toBe(true);
    expect(await noteReasonForOwnerTime(q, 'ffffffffffffffff', RC_OWNER_TIME_REQUIRED)).toBe(false);
  });
});

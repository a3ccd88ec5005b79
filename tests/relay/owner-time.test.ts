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
import { notifyEventOf, pushText } from '../../relay/src/domain/notification-events';
import { noteReasonForOwnerTime, OWNER_TIME_NEEDED_KIND, ownerTimeConfirmed, ownerTimeNeeded, ownerTimeNeededAfterStatus } from '../../relay/src/locks/owner-time';
import { countRows, expectOk, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';
import { describeEachStore } from '../support/stores';

const T0 = 1_800_000_000_000;
/** Time for a status published just now to be taken in (and, wrongly, to notify) before counting. */
const STATUS_SETTLE_MS = 300;

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

describe('the owner is told when a lock starts waiting for an owner-confirmed time', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => {
    h = hh;
    w = ww;
  });
  const told = () => countRows(h, 'notifications', { kind: OWNER_TIME_NEEDED_KIND });

  it('a boot status in owner-consent mode notifies the site owner once per wait, with words that name the lock', async () => {
    expect(await told()).toBe(0);
    // The lock restarts in owner-consent mode: no trusted time yet.
    w.lock.ownerConsent = true;
    w.lock.timeTrusted = false;
    await w.lock.publishStatus();
    await waitUntil(async () => (await told()) === 1, 5000, 'owner told');
    // More statuses of the same wait (the relay's TIME_SET may have made the time trusted meanwhile) tell nobody again.
    await w.lock.publishStatus();
    await w.lock.publishStatus();
    await waitUntil(async () => (await findDevice(h.relay.ctx.store.q, w.deviceId))!.status_at !== null, 5000, 'status stored');
    await new Promise((r) => setTimeout(r, STATUS_SETTLE_MS));
    expect(await told()).toBe(1);
    const list = await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }));
    const n = list.items.find((x: { kind: string }) => x.kind === OWNER_TIME_NEEDED_KIND);
    expect(n.body).toMatchObject({ deviceId: w.deviceId, cause: 'boot' });
    expect(notifyEventOf(n)).toBe('lock.waits_for_owner');
    const words = await pushText(h.relay.ctx.store.q, n);
    expect(words.title).toMatch(/waits for you/);
    expect(words.body).toMatch(/open the owner page/);
    expect(await countRows(h, 'activity', { kind: OWNER_TIME_NEEDED_KIND })).toBe(1);
  });

  it('a lock whose wait ended and that restarts again tells the owner again', async () => {
    await ownerTimeConfirmed(h.relay.ctx.store.q, w.deviceId);
    w.lock.timeTrusted = false;
    await w.lock.publishStatus();
    await waitUntil(async () => (await told()) === 2, 5000, 'owner told again');
  });
});

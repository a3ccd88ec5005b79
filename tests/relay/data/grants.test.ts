import { expect, it } from 'vitest';
import { CRED_BARCODE, CRED_HASH_CHAIN } from '@keyway/shared';
import type { Store } from '@keyway/relay';
import { insertOwner } from '../../../relay/src/data/accounts';
import {
  claimRevokeAlarm, findGrant, insertGrant, liveScheduledGrants, markRevoking, moveGrant, setGrantReason, setPutFingerprint, spendGrantUse, unconfirmedRevocations
} from '../../../relay/src/data/grants';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const DEV = '00112233aabbccdd';

async function withLocks(store: Store): Promise<number> {
  const o = await insertOwner(store.q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
  const site = await store.q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
  await store.q.insertInto('devices').values({ id: DEV, site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1 }).execute();
  return site.id;
}

function grant(siteId: number, over: { credType?: number; links?: number; schedule?: string; notAfter?: number } = {}) {
  return {
    device_id: DEV, site_id: siteId, kind: 'guest' as const, type: 'temporary', label: 'cleaner', flags: 0, not_before: T0, not_after: over.notAfter ?? T0 + 1000,
    max_uses: 0, relock_after: 0, timezone: 'Europe/Berlin', tz_offset: 60, schedule: over.schedule ?? '[]', cred_type: over.credType ?? CRED_HASH_CHAIN,
    chain_seed: 'sealed', chain_links: over.links ?? 2, commitment: null, actor_ref: 1, delivery_id: null, parcel_id: null, consent_id: null, consent_partner: null,
    status_reason: null, put_fingerprint: null, revoke_alarmed_at: null, revoked_at: null, created_by: 'owner:1', created_at: T0, updated_at: T0
  };
}

describeEachStore('data layer: grants', (stores) => {
  it('creates a grant pending, moves its status only from the status it left, and records why it waits', async () => {
    const store = await stores.fresh();
    const siteId = await withLocks(store);
    const g = await insertGrant(store.q, grant(siteId));
    expect([g.status, g.uses, g.chain_used, g.label]).toEqual(['pending', 0, 0, 'cleaner']);
    await setPutFingerprint(store.q, g.id, 'ab'.repeat(16));
    await setGrantReason(store.q, g.id, 'waiting: BUSY', T0 + 1);
    expect((await findGrant(store.q, g.id))!).toMatchObject({ status: 'pending', put_fingerprint: 'ab'.repeat(16), status_reason: 'waiting: BUSY', updated_at: T0 + 1 });
    // Two processes handling the lock's ACK: one activates it, the other changes nothing.
    const racing = await Promise.all([
      store.tx((q) => moveGrant(q, g.id, 'pending', 'active', null, T0 + 2)), store.tx((q) => moveGrant(q, g.id, 'pending', 'failed', 'BAD', T0 + 3))
    ]);
    expect(racing.sort()).toEqual([false, true]);
    const moved = (await findGrant(store.q, g.id))!;
    expect(['active', 'failed']).toContain(moved.status);
    expect(moved.status_reason).toBe(moved.status === 'active' ? null : 'BAD');
    // The database refuses a status outside the grant's states.
    await expect(moveGrant(store.q, g.id, moved.status, 'gone' as never, null, T0 + 4)).rejects.toThrow();
    expect((await findGrant(store.q, g.id))!.status).toBe(moved.status);
    expect(await findGrant(store.q, 999_999)).toBeUndefined();
  });

  it('starts a revocation once, and alarms about an unconfirmed one once', async () => {
    const store = await stores.fresh();
    const siteId = await withLocks(store);
    const g = await insertGrant(store.q, grant(siteId));
    const late = await insertGrant(store.q, grant(siteId));
    expect(await Promise.all([store.tx((q) => markRevoking(q, g.id, 'owner', T0 + 10)), store.tx((q) => markRevoking(q, g.id, 'again', T0 + 11))]).then((r) => r.sort()))
      .toEqual([false, true]);
    expect(await markRevoking(store.q, late.id, 'later', T0 + 500)).toBe(true);
    const row = (await findGrant(store.q, g.id))!;
    expect([row.status, row.revoked_at]).toEqual(['revoking', row.status_reason === 'owner' ? T0 + 10 : T0 + 11]);
    expect((await unconfirmedRevocations(store.q, T0 + 100)).map((r) => r.id)).toEqual([g.id]);
    expect((await unconfirmedRevocations(store.q, T0 + 500)).map((r) => r.id)).toEqual([g.id, late.id]);
    expect(await Promise.all([store.tx((q) => claimRevokeAlarm(q, g.id, T0 + 200)), store.tx((q) => claimRevokeAlarm(q, g.id, T0 + 201))]).then((r) => r.sort()))
      .toEqual([false, true]);
    expect((await unconfirmedRevocations(store.q, T0 + 500)).map((r) => r.id)).toEqual([late.id]);
    expect(await moveGrant(store.q, g.id, 'revoking', 'revoked', null, T0 + 300)).toBe(true);
    expect(await markRevoking(store.q, g.id, 'once more', T0 + 400)).toBe(false);
    expect((await findGrant(store.q, g.id))!.status).toBe('revoked');
  });

  it('spends a use per entry, a chain link only for a hash chain and never past its end; lists live schedule grants', async () => {
    const store = await stores.fresh();
    const siteId = await withLocks(store);
    const chain = await insertGrant(store.q, grant(siteId, { links: 2 }));
    const barcode = await insertGrant(store.q, grant(siteId, { credType: CRED_BARCODE, links: 0 }));
    const used: [number, number][] = [];
    for (let i = 0; i < 3; i++) {
      expect(await spendGrantUse(store.q, chain.id, CRED_HASH_CHAIN, T0 + i)).toBe(true);
      const r = (await findGrant(store.q, chain.id))!;
      used.push([r.uses, r.chain_used]);
    }
    expect(used).toEqual([[1, 1], [2, 2], [3, 2]]);
    expect(await spendGrantUse(store.q, barcode.id, CRED_HASH_CHAIN, T0 + 5)).toBe(true);
    const b = (await findGrant(store.q, barcode.id))!;
    expect([b.uses, b.chain_used, b.updated_at]).toEqual([1, 0, T0 + 5]);
    expect(await spendGrantUse(store.q, 999_999, CRED_HASH_CHAIN, T0)).toBe(false);

    const weekly = await insertGrant(store.q, grant(siteId, { schedule: '[[2,720,780]]' }));
    const ended = await insertGrant(store.q, grant(siteId, { schedule: '[[2,720,780]]', notAfter: T0 + 10 }));
    const revoked = await insertGrant(store.q, grant(siteId, { schedule: '[[2,720,780]]' }));
    await markRevoking(store.q, revoked.id, 'x', T0);
    expect((await liveScheduledGrants(store.q, T0 + 20)).map((r) => r.id)).toEqual([weekly.id]);
    expect((await liveScheduledGrants(store.q, T0)).map((r) => r.id)).toEqual([weekly.id, ended.id]);
  });
});

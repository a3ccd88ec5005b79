import { expect, it } from 'vitest';
import { couriersOf, findOwnerByEmail, insertBackend, insertCourier, insertOwner } from '../../../relay/src/data/accounts';
import { isUniqueViolation } from '../../../relay/src/data/errors';
import { findTokenByHash, insertToken, liveAdminTokenExists, revokeTokenById } from '../../../relay/src/data/tokens';
import { forgetConnectionsOf } from '../../../relay/src/data/devices';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;

describeEachStore('data layer: accounts, tokens, presence', (stores) => {
  it('finds an owner by e-mail in any letter case and refuses a second owner differing only in case', async () => {
    const store = await stores.fresh();
    const o = await insertOwner(store.q, { email: 'Ada@Example.org', name: 'Ada', passwordHash: 'h', at: T0 });
    expect((await findOwnerByEmail(store.q, 'ada@example.ORG'))?.id).toBe(o.id);
    expect(await findOwnerByEmail(store.q, 'ada@example.net')).toBeUndefined();
    const dup = await insertOwner(store.q, { email: 'ADA@example.org', name: 'Other', passwordHash: 'h', at: T0 }).then(() => null, (e: unknown) => e);
    expect(isUniqueViolation(dup)).toBe(true);
    expect(isUniqueViolation(new Error('other'))).toBe(false);
  });

  it('rolls back the whole transaction when a step fails: no courier without its token', async () => {
    const store = await stores.fresh();
    const b = await insertBackend(store.q, { name: 'b', scopes: ['deliveries:write'], at: T0 });
    await insertToken(store.q, { hash: 'taken', kind: 'backend', subjectId: b.id, scopes: [], label: null, at: T0, expiresAt: null });
    await expect(store.tx(async (q) => {
      const c = await insertCourier(q, { backendId: b.id, name: 'c', at: T0 });
      await insertToken(q, { hash: 'taken', kind: 'courier', subjectId: c.id, scopes: [], label: null, at: T0, expiresAt: null });
    })).rejects.toSatisfy(isUniqueViolation);
    expect(await couriersOf(store.q, b.id)).toEqual([]);
  });

  it('bootstraps one admin token when relays start together, and sees a revoked one as gone', async () => {
    const store = await stores.fresh();
    const made = await Promise.all([1, 2, 3].map((i) => store.tx(async (q) => {
      if (await liveAdminTokenExists(q)) return false;
      await insertToken(q, { hash: 'admin' + i, kind: 'admin', subjectId: null, scopes: ['*'], label: 'bootstrap', at: T0, expiresAt: null });
      return true;
    })));
    expect(made.filter(Boolean).length).toBe(1);
    const id = (await findTokenByHash(store.q, 'admin' + (made.indexOf(true) + 1)))!.id;
    await revokeTokenById(store.q, id, T0 + 1);
    expect(await liveAdminTokenExists(store.q)).toBe(false);
  });

  it('forgets only the connections recorded by the given relay id, taking it literally', async () => {
    const store = await stores.fresh();
    const o = await insertOwner(store.q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
    const site = await store.q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
    const dev = (id: string, conn: string) => ({ id, site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1, online: 1, conn_id: conn });
    await store.q.insertInto('devices').values([dev('01', 'relay_1:x'), dev('02', 'relayX1:y'), dev('03', 'relay_10:z')]).execute();
    await forgetConnectionsOf(store.q, 'relay_1');
    const rows = await store.q.selectFrom('devices').select(['id', 'online', 'conn_id']).orderBy('id').execute();
    expect(rows).toEqual([{ id: '01', online: 0, conn_id: null }, { id: '02', online: 1, conn_id: 'relayX1:y' }, { id: '03', online: 1, conn_id: 'relay_10:z' }]);
  });
});

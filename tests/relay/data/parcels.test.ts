import { expect, it } from 'vitest';
import { insertOwner } from '../../../relay/src/data/accounts';
import { insertBackend } from '../../../relay/src/data/accounts';
import { cancelRegisteredParcel, findParcel, insertParcel, markParcelOpened, registeredPartnerParcels, setParcelGrant } from '../../../relay/src/data/parcels';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const DEV = '00112233aabbccdd';

describeEachStore('data layer: parcels', (stores) => {
  it('a registered parcel is opened or cancelled once, never both, whichever comes first', async () => {
    const store = await stores.fresh();
    const q = store.q;
    const o = await insertOwner(q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
    const site = await q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
    await q.insertInto('devices').values({ id: DEV, site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1 }).execute();
    const parcel = (tracking: string) => insertParcel(q, {
      site_id: site.id, device_id: DEV, backend_id: null, tracking, window_start: T0, window_end: T0 + 1, created_by: 'owner:1', created_at: T0
    });
    const a = await parcel('A1');
    expect([a.status, a.grant_id, a.opened_seq]).toEqual(['registered', null, null]);
    await setParcelGrant(q, a.id, 77);
    const opened = await markParcelOpened(q, a.id, 12, T0 + 5);
    expect([opened!.status, opened!.grant_id, opened!.opened_seq, opened!.opened_at]).toEqual(['opened', 77, 12, T0 + 5]);
    expect(await markParcelOpened(q, a.id, 13, T0 + 6)).toBeUndefined();
    expect(await cancelRegisteredParcel(q, a.id)).toBe(false);
    expect((await findParcel(q, a.id))!.status).toBe('opened');

    const b = await parcel('B2');
    const racing = await Promise.all([store.tx((t) => cancelRegisteredParcel(t, b.id)), store.tx(async (t) => !!(await markParcelOpened(t, b.id, 3, T0 + 7)))]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(['cancelled', 'opened']).toContain((await findParcel(q, b.id))!.status);
    expect(await findParcel(q, 9999)).toBeUndefined();

    // What a withdrawn partner still has waiting at the site: its registered parcels only.
    const partner = await insertBackend(q, { name: 'p', scopes: [], at: T0 });
    const other = await insertBackend(q, { name: 'x', scopes: [], at: T0 });
    const mine = (tracking: string, backendId: number) => insertParcel(q, {
      site_id: site.id, device_id: DEV, backend_id: backendId, tracking, window_start: T0, window_end: T0 + 1, created_by: 'backend:' + backendId, created_at: T0
    });
    const waiting = await mine('P1', partner.id);
    const opened2 = await mine('P2', partner.id);
    await markParcelOpened(q, opened2.id, 9, T0 + 8);
    await mine('X1', other.id);
    expect((await registeredPartnerParcels(q, site.id, partner.id)).map((r) => r.id)).toEqual([waiting.id]);
    expect(await registeredPartnerParcels(q, site.id + 1, partner.id)).toEqual([]);
  });
});

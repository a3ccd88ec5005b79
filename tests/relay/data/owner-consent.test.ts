import { expect, it } from 'vitest';
import { CONSENT_CAMERA_REQUIRED, GRANT_COURIER, type Consent } from '@keyway/shared';
import { insertOwner } from '../../../relay/src/data/accounts';
import {
  consentOf, consentsOf, forgetConsent, forgetOwnerKey, forgetOwnerRecord, ownerKeysOf, recordConsent, recordOwnerKey
} from '../../../relay/src/data/owner-consent';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const DEV = '00112233aabbccdd';
const OTHER = '99887766554433ff';
const KEY_A = 0xa6f759e0;
const KEY_B = 0x752de073;

const consent = (over: Partial<Consent> = {}): Consent => ({
  consentId: 7, kind: GRANT_COURIER, partner: 31, flags: CONSENT_CAMERA_REQUIRED, maxPerWeek: 3, notAfter: 0, tzOffset: -300,
  schedule: [{ days: 0x1f, start: 540, end: 1080 }], ...over
});

describeEachStore('data layer: owner keys and standing consents', (stores) => {
  it('records what a lock acknowledged, per lock; re-enrolment keeps the first date, a consent id replaces its bounds', async () => {
    const store = await stores.fresh();
    const q = store.q;
    const o = await insertOwner(q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
    const site = await q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
    for (const id of [DEV, OTHER]) {
      await q.insertInto('devices').values({ id, site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1 }).execute();
    }

    await recordOwnerKey(q, DEV, KEY_A, 'aa'.repeat(32), T0);
    await recordOwnerKey(q, DEV, KEY_A, 'aa'.repeat(32), T0 + 5);
    await recordOwnerKey(q, DEV, KEY_B, 'bb'.repeat(32), T0 + 1);
    await recordOwnerKey(q, OTHER, KEY_B, 'bb'.repeat(32), T0 + 2);
    expect((await ownerKeysOf(q, DEV)).map((k) => [k.key_id, k.public_key, k.enrolled_at])).toEqual([[KEY_A, 'aa'.repeat(32), T0], [KEY_B, 'bb'.repeat(32), T0 + 1]]);

    await recordConsent(q, DEV, consent(), KEY_A, T0);
    await recordConsent(q, DEV, consent({ consentId: 0xffffffff, partner: 0xfffffffe, tzOffset: 840 }), KEY_B, T0 + 1);
    await recordConsent(q, DEV, consent({ maxPerWeek: 1, schedule: [{ days: 0x40, start: 0, end: 1440 }] }), KEY_B, T0 + 2);
    const rows = await consentsOf(q, DEV);
    expect(rows.map(consentOf)).toEqual([
      consent({ maxPerWeek: 1, schedule: [{ days: 0x40, start: 0, end: 1440 }] }),
      consent({ consentId: 0xffffffff, partner: 0xfffffffe, tzOffset: 840 })
    ]);
    expect(rows.map((r) => [r.owner_key_id, r.confirmed_at])).toEqual([[KEY_B, T0 + 2], [KEY_B, T0 + 1]]);
    expect(await consentsOf(q, OTHER)).toEqual([]);

    await forgetConsent(q, DEV, 0xffffffff);
    await forgetConsent(q, DEV, 12345);
    await forgetOwnerKey(q, DEV, KEY_B);
    expect((await consentsOf(q, DEV)).map((r) => r.consent_id)).toEqual([7]);
    expect((await ownerKeysOf(q, DEV)).map((k) => k.key_id)).toEqual([KEY_A]);

    // The lock's physical recovery clears that lock only.
    await forgetOwnerRecord(q, DEV);
    expect([await ownerKeysOf(q, DEV), await consentsOf(q, DEV)]).toEqual([[], []]);
    expect((await ownerKeysOf(q, OTHER)).map((k) => k.key_id)).toEqual([KEY_B]);
  });
});

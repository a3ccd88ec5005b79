import { expect, it } from 'vitest';
import { insertBackend, insertCourier, insertOwner } from '../../../relay/src/data/accounts';
import { insertEvent } from '../../../relay/src/data/events';
import {
  deliveriesSecuredAt, insertReceipt, markReceiptForwarded, pinLockKey, pinnedLockKey, rawEvents, receiptAt, receiptsAtSecuredSeq
} from '../../../relay/src/data/receipts';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const DEV = '00112233aabbccdd';
/** Hashes of two STATE events, as a delivery's secured receipt names them (hex). */
const HASH_A = 'a1'.repeat(32);
const HASH_B = 'b2'.repeat(32);

describeEachStore('data layer: lock-signed receipts', (stores) => {
  it('pins one lock key, stores a receipt once, and finds it by the secured event its delivery names', async () => {
    const store = await stores.fresh();
    const q = store.q;
    const o = await insertOwner(q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
    const site = await q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
    await q.insertInto('devices').values({ id: DEV, site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1 }).execute();
    const b = await insertBackend(q, { name: 'b', scopes: [], at: T0 });
    const c = await insertCourier(q, { backendId: b.id, name: 'c', at: T0 });
    const delivery = (status: 'secured' | 'entered', tracking: string, receipt: string | null) => q.insertInto('deliveries').values({
      site_id: site.id, device_id: DEV, backend_id: b.id, courier_id: c.id, tracking, window_start: T0, window_end: T0 + 1, in_home: 1, status, receipt,
      created_at: T0, updated_at: T0
    }).returning('id').executeTakeFirstOrThrow();
    const secured = await delivery('secured', 't1', JSON.stringify({ eventSeq: 7, eventHash: HASH_A, doorClosed: true }));
    await delivery('entered', 't2', JSON.stringify({ eventSeq: 7, eventHash: HASH_A }));
    await delivery('secured', 't3', JSON.stringify({ eventSeq: 8, eventHash: HASH_A }));
    const none = await delivery('secured', 't4', null);

    expect(await pinnedLockKey(q, DEV)).toBeNull();
    expect(await pinLockKey(q, DEV, 'aa'.repeat(32))).toBe(true);
    expect(await pinLockKey(q, DEV, 'bb'.repeat(32))).toBe(false);
    expect(await pinnedLockKey(q, DEV)).toBe('aa'.repeat(32));

    expect(await insertReceipt(q, DEV, 0, 7, Uint8Array.of(1, 2, 3), T0)).toBe(true);
    expect(await insertReceipt(q, DEV, 0, 7, Uint8Array.of(9, 9), T0 + 1)).toBe(false);
    expect(await insertReceipt(q, DEV, 1, 7, Uint8Array.of(4), T0 + 2)).toBe(true);
    expect(await deliveriesSecuredAt(q, DEV, 7, HASH_A)).toEqual([secured.id]);
    expect(await deliveriesSecuredAt(q, DEV, 7, HASH_B)).toEqual([]);
    expect(await deliveriesSecuredAt(q, DEV, 9, HASH_A)).toEqual([]);
    const r = await receiptAt(q, DEV, 0, 7);
    expect([...r!.raw, r!.forwarded]).toEqual([1, 2, 3, false]);
    await markReceiptForwarded(q, DEV, 0, 7, T0 + 3);
    expect((await receiptAt(q, DEV, 0, 7))!.forwarded).toBe(true);
    // Every log epoch's receipt at the secured sequence number, newest first, with the secured event's hash.
    const atSeq = await receiptsAtSecuredSeq(q, secured.id);
    expect(atSeq.map((r) => [r.epoch, r.seq, [...r.raw], r.securedHash])).toEqual([[1, 7, [4], HASH_A], [0, 7, [1, 2, 3], HASH_A]]);
    expect(await receiptsAtSecuredSeq(q, none.id)).toEqual([]);

    for (const seq of [3, 5, 6, 9]) {
      await insertEvent(q, {
        device_id: DEV, epoch: 0, seq, raw: Buffer.from([seq]), hash: 'h' + seq, prev_hash: 'p', time_s: 1, type: 1, code: 0, ref: 0, actor_kind: 0, actor_ref: 0,
        data: Buffer.alloc(0), integrity: 'ok', received_at: T0, processed_by: 'r1'
      });
    }
    expect((await rawEvents(q, DEV, 0, 5, 9)).map((e) => [...e])).toEqual([[5], [6], [9]]);
    expect(await rawEvents(q, DEV, 1, 0, 100)).toEqual([]);
  });
});

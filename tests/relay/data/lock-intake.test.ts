import { expect, it } from 'vitest';
import { insertOwner } from '../../../relay/src/data/accounts';
import { attemptsSince, inFlightSyncCommands } from '../../../relay/src/data/commands';
import {
  advanceLogHead, claimTimeSet, devicesToReconcile, lockDevice, markConnectionLost, markOffline, markOnline, recordStatus
} from '../../../relay/src/data/devices';
import {
  countLinkedEvents, eventLinkAt, EVENTS_PER_INSERT, insertAnomaly, insertEvent, insertEvents, openAnomalyCount, openGaps, resolveAnomaly
} from '../../../relay/src/data/events';
import { grantsOfSite, grantsToReconcile, reopenRevocation } from '../../../relay/src/data/grants';
import { getLockSettings, lockDeviceWithSettings, putLockSettings, raiseRevisionAbove, recordHeldSettings } from '../../../relay/src/data/lock-settings';
import type { Store } from '@keyway/relay';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const DEV = '00112233aabbccdd';

async function withLock(store: Store): Promise<number> {
  const o = await insertOwner(store.q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
  const site = await store.q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
  await store.q.insertInto('devices').values({ id: DEV, site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: 1 }).execute();
  return site.id;
}

function event(seq: number, prev: string, integrity = 'ok') {
  return {
    device_id: DEV, epoch: 0, seq, raw: Buffer.from([seq]), hash: 'h' + seq, prev_hash: prev, time_s: 1, type: 1, code: 0, ref: 0, actor_kind: 0, actor_ref: 0,
    data: Buffer.alloc(0), integrity, received_at: T0, processed_by: 'r1'
  };
}

async function grant(store: Store, siteId: number, status: 'pending' | 'active' | 'failed' | 'revoking' | 'revoked'): Promise<number> {
  const r = await store.q.insertInto('grants').values({
    device_id: DEV, site_id: siteId, kind: 'guest', type: 'one-time', label: null, flags: 0, not_before: T0, not_after: T0 + 1, max_uses: 0, relock_after: 0,
    timezone: 'UTC', tz_offset: 0, cred_type: 1, chain_seed: null, commitment: null, delivery_id: null, parcel_id: null, status, status_reason: null,
    put_fingerprint: null, revoke_alarmed_at: null, created_by: 'test', created_at: T0, updated_at: T0, revoked_at: null
  }).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

async function command(store: Store, counter: number, purpose: string, over: { status?: 'pending' | 'acked' | 'denied'; grantId?: number | null; ackedAt?: number | null; code?: number | null; at?: number }) {
  await store.q.insertInto('commands').values({
    device_id: DEV, counter, action: 1, purpose, key_id: 1, bytes: Buffer.from([counter]), not_before_s: 0, not_after_s: 1, status: over.status ?? 'pending',
    result_code: over.code ?? null, resendable: 1, reissuable: 1, grant_id: over.grantId ?? null, delivery_id: null, new_key_id: null, reissue_of: null,
    created_at: over.at ?? T0, sent_at: null, acked_at: over.ackedAt ?? null, ack_seq: null
  }).execute();
}

describeEachStore('data layer: the lock intake', (stores) => {
  it('a second transaction locking the same lock waits for the first to commit and sees its writes', async () => {
    const store = await stores.fresh();
    await withLock(store);
    let locked!: () => void;
    const firstHolds = new Promise<void>((resolve) => (locked = resolve));
    const order: string[] = [];
    const first = store.tx(async (q) => {
      const d = await lockDevice(q, DEV);
      locked();
      await new Promise((r) => setTimeout(r, 150));
      await advanceLogHead(q, DEV, d!.log_seq + 5, 'h5', T0);
      order.push('first commits');
    });
    await firstHolds;
    const second = store.tx(async (q) => {
      const d = await lockDevice(q, DEV);
      order.push('second reads');
      return d!.log_seq;
    });
    await first;
    // Without the row lock PostgreSQL's second transaction would read log_seq 0 and store the same event again.
    expect(await second).toBe(5);
    expect(order).toEqual(['first commits', 'second reads']);
    expect(await lockDevice(store.q, 'ffffffffffffffff')).toBeUndefined();
  });

  it('stores events and anomalies once, finds the gaps they leave and counts what fills them', async () => {
    const store = await stores.fresh();
    await withLock(store);
    await insertEvent(store.q, event(1, '00'));
    await insertEvent(store.q, event(4, 'h3'));
    await expect(insertEvent(store.q, event(4, 'h3'))).rejects.toThrow();
    expect(await eventLinkAt(store.q, DEV, 0, 4)).toEqual({ hash: 'h4', prev_hash: 'h3' });
    expect(await eventLinkAt(store.q, DEV, 1, 4)).toBeUndefined();
    const gap = { device_id: DEV, epoch: 0, seq: 4, kind: 'gap' as const, details: JSON.stringify({ expectedSeq: 2, receivedSeq: 4 }), at: T0 };
    expect(await insertAnomaly(store.q, gap)).toBe(true);
    expect(await insertAnomaly(store.q, { ...gap, at: T0 + 1 })).toBe(false);
    expect(await insertAnomaly(store.q, { ...gap, kind: 'break', details: '{}' })).toBe(true);
    const gaps = await openGaps(store.q, DEV, 0);
    expect(gaps.map((g) => [g.seq, g.fromSeq])).toEqual([[4, 2]]);
    await insertEvent(store.q, event(2, 'h1', 'late'));
    await insertEvent(store.q, event(3, 'h2', 'break'));
    // A break does not fill a gap.
    expect(await countLinkedEvents(store.q, DEV, 0, 2, 4)).toBe(1);
    expect(await openAnomalyCount(store.q, DEV)).toBe(2);
    await resolveAnomaly(store.q, gaps[0].id, T0 + 2);
    expect(await openGaps(store.q, DEV, 0)).toEqual([]);
    expect(await openAnomalyCount(store.q, DEV)).toBe(1);
  });

  it('inserts many events at once, each row as given, in statements of at most EVENTS_PER_INSERT rows; a row already stored fails its statement', async () => {
    const store = await stores.fresh();
    await withLock(store);
    const n = EVENTS_PER_INSERT + 3;
    const rows = Array.from({ length: n }, (_, i) => ({ ...event(i + 1, i === 0 ? '00' : 'h' + i), raw: Buffer.from([i + 1, 0xee]), data: Buffer.from([i]) }));
    await store.tx((q) => insertEvents(q, rows));
    const stored = await store.q.selectFrom('events').selectAll().where('device_id', '=', DEV).orderBy('seq').execute();
    expect(stored.map((r) => [r.seq, r.hash, r.prev_hash, [...r.raw], [...r.data]])).toEqual(rows.map((r) => [r.seq, r.hash, r.prev_hash, [...r.raw], [...r.data]]));
    // The second statement holds a repeat of seq n: neither of its rows is kept, the first statement's are.
    const more = Array.from({ length: EVENTS_PER_INSERT }, (_, i) => event(n + 1 + i, 'h' + (n + i)));
    await expect(insertEvents(store.q, [...more, event(n + 100, 'x'), event(n, 'h' + (n - 1))])).rejects.toThrow();
    expect(await eventLinkAt(store.q, DEV, 0, n + 1)).toEqual({ hash: 'h' + (n + 1), prev_hash: 'h' + n });
    expect(await eventLinkAt(store.q, DEV, 0, n + 100)).toBeUndefined();
  });

  it('claims the TIME_SET once per nonce, again after the retry period, and at once for a new nonce', async () => {
    const store = await stores.fresh();
    await withLock(store);
    const RETRY = 5000;
    expect(await claimTimeSet(store.q, DEV, 'n1', T0, RETRY)).toBe(true);
    expect(await claimTimeSet(store.q, DEV, 'n1', T0 + 1, RETRY)).toBe(false);
    expect(await claimTimeSet(store.q, DEV, 'n1', T0 + RETRY - 1, RETRY)).toBe(false);
    expect(await claimTimeSet(store.q, DEV, 'n2', T0 + 2, RETRY)).toBe(true);
    expect(await claimTimeSet(store.q, DEV, 'n2', T0 + 2 + RETRY, RETRY)).toBe(true);
    const racing = await Promise.all([store.tx((q) => claimTimeSet(q, DEV, 'n3', T0 + 3, RETRY)), store.tx((q) => claimTimeSet(q, DEV, 'n3', T0 + 3, RETRY))]);
    expect(racing.sort()).toEqual([false, true]);
    expect(await claimTimeSet(store.q, 'ffffffffffffffff', 'n1', T0, RETRY)).toBe(false);
  });

  it('a status never lowers the next command counter, and presence follows the connection id', async () => {
    const store = await stores.fresh();
    const siteId = await withLock(store);
    await store.q.updateTable('devices').set({ next_counter: 10 }).where('id', '=', DEV).execute();
    await recordStatus(store.q, DEV, { bolt: 1, door: 2, inv_at: T0, inv_keys: '[1]', inv_grants: '[]' }, 4);
    expect((await lockDevice(store.q, DEV))!.next_counter).toBe(10);
    await recordStatus(store.q, DEV, { bolt: 2 }, 12);
    const d = (await lockDevice(store.q, DEV))!;
    expect([d.next_counter, d.bolt, d.door]).toEqual([12, 2, 2]);
    expect(await devicesToReconcile(store.q)).toEqual([]);
    expect(await markOnline(store.q, DEV, 'r1:a', T0)).toBe(siteId);
    expect(await markOnline(store.q, 'ffffffffffffffff', 'r1:x', T0)).toBeUndefined();
    expect(await devicesToReconcile(store.q)).toEqual([DEV]);
    expect(await markOnline(store.q, DEV, 'r1:b', T0 + 1)).toBe(siteId);
    // The old connection's late disconnect changes nothing: the lock is online on the new one.
    expect(await markOffline(store.q, DEV, 'r1:a', 'disconnected', T0 + 2)).toBeUndefined();
    await markConnectionLost(store.q, DEV);
    expect((await lockDevice(store.q, DEV))!.offline_reason).toBeNull();
    expect(await markOffline(store.q, DEV, 'r1:b', 'disconnected', T0 + 3)).toBe(siteId);
    await markConnectionLost(store.q, DEV);
    const off = (await lockDevice(store.q, DEV))!;
    expect([off.online, off.conn_id, off.offline_reason]).toEqual([0, null, 'connection lost']);
  });

  it('lock settings: each change goes above the stored and the held revision; a lock ahead lifts the revision', async () => {
    const store = await stores.fresh();
    await withLock(store);
    const v = { autoLockS: 5, doorAjarS: 60, relockOnClose: true };
    expect(await getLockSettings(store.q, DEV)).toBeUndefined();
    await recordHeldSettings(store.q, DEV, 9, T0);
    expect(await getLockSettings(store.q, DEV)).toBeUndefined();
    expect(await lockDeviceWithSettings(store.q, DEV)).toMatchObject({ id: DEV, settings_revision: null, settings_held_revision: null });
    const first = await putLockSettings(store.q, DEV, v, 3, T0);
    expect([first.revision, first.held_revision, first.relock_on_close]).toEqual([4, 3, 1]);
    const second = await putLockSettings(store.q, DEV, { ...v, relockOnClose: false }, 3, T0 + 1);
    expect([second.revision, second.relock_on_close]).toEqual([5, 0]);
    await recordHeldSettings(store.q, DEV, 8, T0 + 2);
    // The same revision again changes nothing: held_at is when the lock first reported it.
    await recordHeldSettings(store.q, DEV, 8, T0 + 10);
    expect(await lockDeviceWithSettings(store.q, DEV)).toMatchObject({ id: DEV, settings_revision: 5, settings_held_revision: 8 });
    expect((await putLockSettings(store.q, DEV, v, 8, T0 + 3)).revision).toBe(9);
    expect(await raiseRevisionAbove(store.q, DEV, 2)).toBeUndefined();
    expect((await raiseRevisionAbove(store.q, DEV, 20))!.revision).toBe(21);
    expect((await getLockSettings(store.q, DEV))!.held_at).toBe(T0 + 2);
  });

  it('the sync reads grants in play or held, commands in flight, and attempts per target', async () => {
    const store = await stores.fresh();
    const siteId = await withLock(store);
    const ids: Record<string, number> = {};
    for (const s of ['pending', 'active', 'failed', 'revoking', 'revoked'] as const) ids[s] = await grant(store, siteId, s);
    const ofIds = async (held: number[]) => (await grantsToReconcile(store.q, DEV, held)).map((g) => g.id).sort((a, b) => a - b);
    expect(await ofIds([])).toEqual([ids.pending, ids.active, ids.revoking].sort((a, b) => a - b));
    expect(await ofIds([ids.revoked, 9999])).toEqual([ids.pending, ids.active, ids.revoking, ids.revoked].sort((a, b) => a - b));
    // The owner's list: everything, or only grants neither revoked nor ended (all end at T0 + 1 here).
    expect((await grantsOfSite(store.q, siteId, true, T0)).map((g) => g.id)).toEqual(Object.values(ids).sort((a, b) => b - a));
    expect((await grantsOfSite(store.q, siteId, false, T0)).map((g) => g.id)).toEqual([ids.revoking, ids.failed, ids.active, ids.pending]);
    expect(await grantsOfSite(store.q, siteId, false, T0 + 1)).toEqual([]);
    await reopenRevocation(store.q, ids.revoked, T0 + 1);
    await reopenRevocation(store.q, ids.active, T0 + 1);
    const statuses = await store.q.selectFrom('grants').select(['id', 'status']).where('id', 'in', [ids.revoked, ids.active]).orderBy('id').execute();
    expect(statuses.map((s) => s.status)).toEqual(['active', 'revoking']);

    await command(store, 1, 'grant_put', { grantId: ids.pending });
    await command(store, 2, 'grant_put', { grantId: ids.active, status: 'acked', code: 0, ackedAt: T0 + 10 });
    await command(store, 3, 'grant_put', { grantId: ids.failed, status: 'acked', code: 0, ackedAt: T0 - 10 });
    await command(store, 4, 'settings_set', { status: 'acked', code: 0, ackedAt: T0 + 10 });
    await command(store, 5, 'key_rotate', { status: 'denied', code: 3, ackedAt: T0 + 10 });
    await command(store, 6, 'unlock', {});
    await command(store, 7, 'key_rotate', { at: T0 + 20 });
    const inFlight = await inFlightSyncCommands(store.q, DEV, T0);
    expect(inFlight.map((r) => [r.purpose, r.grant_id]).sort()).toEqual([['grant_put', ids.active], ['grant_put', ids.pending], ['key_rotate', null]].sort());
    expect(await attemptsSince(store.q, DEV, 'key_rotate', null, T0)).toEqual({ n: 2, last: T0 + 20 });
    expect(await attemptsSince(store.q, DEV, 'key_rotate', null, T0 + 15)).toEqual({ n: 1, last: T0 + 20 });
    expect(await attemptsSince(store.q, DEV, 'grant_put', ids.pending, 0)).toEqual({ n: 1, last: T0 });
    expect(await attemptsSince(store.q, DEV, 'grant_revoke', ids.pending, 0)).toEqual({ n: 0, last: null });
  });
});

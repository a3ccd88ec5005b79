/**
 * The outbox on both stores: a command is signed and stored inside the caller's transaction
 * and leaves the process (publishToLock) only once that transaction has committed. A command
 * of a transaction that rolls back is never published, and one whose transaction is still
 * open when the next tick comes is published after the commit, not lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ACT_GRANT_PUT, ACT_KEY_ROTATE, ACT_UNLOCK, decodeCommand, RC_BUSY, toHex, verifyStrict } from '@keyway/shared';
import type { RelayContext, Store } from '@keyway/relay';
import { insertOwner } from '../../../relay/src/data/accounts';
import { commandAt } from '../../../relay/src/data/commands';
import { markOnline } from '../../../relay/src/data/devices';
import { afterCommit } from '../../../relay/src/data/store';
import { moveDeviceKey } from '../../../relay/src/locks/key-rotation';
import { KeyStore } from '../../../relay/src/locks/key-store';
import { issueCommand, publishAfterCommit, recordAck } from '../../../relay/src/locks/outbox';
import { createMetrics } from '../../../relay/src/metrics';
import { statementsRun } from '../../support/built-queries';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const DEV = '00112233aabbccdd';
/** Long enough for several event-loop turns and a PostgreSQL round trip while a transaction stays open. */
const HOLD_OPEN_MS = 150;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

interface Published {
  deviceId: string;
  bytes: Buffer;
  /** Whether the command was visible outside its transaction (committed) when it was published. */
  committed: boolean;
}

async function world(store: Store) {
  const o = await insertOwner(store.q, { email: 'o@x.org', name: 'o', passwordHash: 'h', at: T0 });
  const site = await store.q.insertInto('sites').values({ owner_id: o.id, name: 's', timezone: 'UTC', created_at: T0 }).returning('id').executeTakeFirstOrThrow();
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-keys-'));
  dirs.push(dir);
  const keys = new KeyStore(dir);
  const keyId = keys.current().keyId;
  await store.q.insertInto('devices').values({ id: DEV, site_id: site.id, board: 'b', firmware: 'f', mqtt_password_hash: 'h', registered_at: T0, signing_key_id: keyId }).execute();
  await markOnline(store.q, DEV, 'r1:1', T0);
  const published: Published[] = [];
  const ctx = {
    opts: { unlockWindowS: 60 },
    store,
    log: quietLog,
    now: () => T0,
    nowS: () => T0 / 1000,
    keys,
    metrics: createMetrics(() => 0),
    closing: false,
    publishToLock: async (deviceId: string, bytes: Uint8Array) => {
      const counter = decodeCommand(new Uint8Array(bytes)).counter;
      published.push({ deviceId, bytes: Buffer.from(bytes), committed: (await commandAt(store.q, deviceId, counter)) !== undefined });
    }
  } as unknown as RelayContext;
  return { ctx, keys, keyId, published };
}

/** Lets every publish started so far finish (hooks run after commit; a publish reads the row first). */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, HOLD_OPEN_MS));
}

const unlock = { deviceId: DEV, action: ACT_UNLOCK, purpose: 'owner_unlock' as const, payload: { grantId: 0, actorKind: 1, actorRef: 1, flags: 0, relockAfter: 0 } };

describeEachStore('outbox: commands are published only after their transaction commits', (stores) => {
  it('never publishes a command of a transaction that rolls back, and leaves no trace of it', async () => {
    const store = await stores.fresh();
    const { ctx, published } = await world(store);
    const boom = new Error('rolled back on purpose');
    await expect(store.tx(async (q) => {
      const cmd = await issueCommand(ctx, q, unlock);
      publishAfterCommit(ctx, q, cmd);
      await new Promise((r) => setTimeout(r, HOLD_OPEN_MS));
      throw boom;
    })).rejects.toBe(boom);
    await settle();
    expect(published).toEqual([]);
    expect(await commandAt(store.q, DEV, 1)).toBeUndefined();
    // The counter went back with the transaction: the next command takes 1 again.
    const next = await store.tx((q) => issueCommand(ctx, q, unlock));
    expect(next.counter).toBe(1);
  });

  it('publishes a command once, after the commit, even when its transaction stays open across many ticks', async () => {
    const store = await stores.fresh();
    const { ctx, keys, keyId, published } = await world(store);
    let sentBeforeCommit = -1;
    const cmd = await store.tx(async (q) => {
      const c = await issueCommand(ctx, q, unlock);
      publishAfterCommit(ctx, q, c);
      await new Promise((r) => setTimeout(r, HOLD_OPEN_MS));
      sentBeforeCommit = published.length;
      return c;
    });
    await settle();
    expect(sentBeforeCommit).toBe(0);
    expect(published.map((p) => [p.deviceId, p.committed])).toEqual([[DEV, true]]);
    expect(published[0].bytes.equals(cmd.bytes)).toBe(true);
    const decoded = decodeCommand(new Uint8Array(published[0].bytes));
    expect([decoded.counter, decoded.keyId, toHex(decoded.deviceId)]).toEqual([1, keyId, DEV]);
    expect(verifyStrict(decoded.signed, decoded.signature, keys.signer(keyId).publicKey)).toBe(true);
    expect((await commandAt(store.q, DEV, 1))!.send_count).toBe(1);
  });

  it('runs commit hooks in order after the commit, at once outside a transaction, and refuses a foreign transaction', async () => {
    const store = await stores.fresh();
    const order: string[] = [];
    await store.tx(async (q) => {
      afterCommit(q, () => order.push('first'));
      afterCommit(q, () => order.push('second'));
      order.push('body');
    });
    expect(order).toEqual(['body', 'first', 'second']);
    afterCommit(store.q, () => order.push('now'));
    expect(order).toEqual(['body', 'first', 'second', 'now']);
    await store.q.transaction().execute(async (t) => {
      expect(() => afterCommit(t, () => undefined)).toThrow(/store\.tx/);
    });
  });

  it('gives the command as stored, without reading it back', async () => {
    const store = await stores.fresh();
    const { ctx } = await world(store);
    const put = { deviceId: DEV, action: ACT_GRANT_PUT, purpose: 'grant_put' as const, payload: null, payloadBytes: new Uint8Array([1, 2, 3]), grantId: 7 };
    for (const req of [unlock, { ...unlock, publishedOnCommit: true }, put]) {
      let row: Awaited<ReturnType<typeof issueCommand>> | undefined;
      const run = await statementsRun(store.sqlite, async () => {
        row = await store.tx((q) => issueCommand(ctx, q, req));
      });
      expect(run.filter((sql) => /^select .* from "commands"/i.test(sql) || /^insert into "commands" .* returning/i.test(sql))).toEqual([]);
      const stored = await commandAt(store.q, DEV, row!.counter);
      expect({ ...row, bytes: toHex(row!.bytes) }).toEqual({ ...stored, bytes: toHex(stored!.bytes) });
    }
  });

  it('two transactions issuing for one lock take distinct counters; an ACK is recorded once', async () => {
    const store = await stores.fresh();
    const { ctx } = await world(store);
    const both = await Promise.all([store.tx((q) => issueCommand(ctx, q, unlock)), store.tx((q) => issueCommand(ctx, q, unlock))]);
    expect(both.map((c) => c.counter).sort()).toEqual([1, 2]);
    const acked = await store.tx((q) => recordAck(ctx, q, DEV, 1, RC_BUSY, 7));
    expect([acked?.counter, acked?.purpose, acked?.transient]).toEqual([1, unlock.purpose, 1]);
    // Only what the ACK's effects use comes back (not the whole row: its status and result are known to the caller).
    expect(Object.keys(acked!).sort()).toEqual(['action', 'bytes', 'counter', 'delivery_id', 'device_id', 'grant_id', 'key_id', 'new_key_id', 'purpose', 'transient']);
    const stored = await commandAt(store.q, DEV, 1);
    expect([stored?.status, stored?.result_code, stored?.transient, stored?.ack_seq]).toEqual(['denied', RC_BUSY, 1, 7]);
    expect(await store.tx((q) => recordAck(ctx, q, DEV, 1, 0, 8))).toBeUndefined();
    expect(await recordAck(ctx, store.q, DEV, 99, 0, 9)).toBeUndefined();
    expect((await commandAt(store.q, DEV, 2))?.status).toBe('pending');
  });

  it('moving a lock to a new key re-signs its pending staging commands with it and publishes them after the commit', async () => {
    const store = await stores.fresh();
    const { ctx, keys, keyId, published } = await world(store);
    const grantBytes = new Uint8Array([1, 2, 3]);
    const put = await store.tx((q) => issueCommand(ctx, q, { deviceId: DEV, action: ACT_GRANT_PUT, purpose: 'grant_put', payload: null, payloadBytes: grantBytes }));
    const next = keys.rotate().next.keyId;
    const rotation = await store.tx((q) => issueCommand(ctx, q, {
      deviceId: DEV, action: ACT_KEY_ROTATE, purpose: 'key_rotate', newKeyId: next, payload: { newKeyId: next, newKey: keys.signer(next).publicKey, retireKeyId: keyId }
    }));
    const door = await store.tx((q) => issueCommand(ctx, q, unlock));
    expect([put.key_id, rotation.key_id, door.key_id]).toEqual([keyId, keyId, keyId]);
    let moved: boolean[] = [];
    await store.tx(async (q) => {
      moved = [await moveDeviceKey(ctx, q, DEV, keyId, next, 0), await moveDeviceKey(ctx, q, DEV, keyId, next, 0)];
      await new Promise((r) => setTimeout(r, HOLD_OPEN_MS));
      expect(published).toEqual([]);
    });
    await settle();
    expect(moved).toEqual([true, false]);
    // All three were signed with the old key: superseded. Only the grant put is copied (a rotation never is, an unlock is not re-issuable).
    for (const c of [put, rotation, door]) expect((await commandAt(store.q, DEV, c.counter))?.status).toBe('superseded');
    expect(published.map((p) => p.committed)).toEqual([true]);
    const again = decodeCommand(new Uint8Array(published[0].bytes));
    expect([again.keyId, again.action, again.counter, [...again.payload]]).toEqual([next, ACT_GRANT_PUT, door.counter + 1, [...grantBytes]]);
    expect(verifyStrict(again.signed, again.signature, keys.signer(next).publicKey)).toBe(true);
    expect((await commandAt(store.q, DEV, again.counter))?.reissue_of).toBe(put.counter);
  });
});

import { expect, it } from 'vitest';
import type { Store } from '@keyway/relay';
import { toHex } from '@keyway/shared';
import { DbKeyStore } from '../../../relay/src/locks/db-key-store';
import { createLogger } from '../../../relay/src/logger';
import { resolveOptions } from '../../../relay/src/options';
import { DATA_KEY_BYTES, SEALED_PREFIX, SecretBox } from '../../../relay/src/secret-box';
import { pollUntil } from '../../../tools/src/stack/poll';
import { describeEachStore } from '../../support/stores';

const T0 = 1_800_000_000_000;
const BOX = new SecretBox(Buffer.alloc(DATA_KEY_BYTES, 3));
const log = createLogger(resolveOptions({ dataDir: '/nonexistent', logger: false }));

const open = (store: Store, box = BOX) => DbKeyStore.open(store, box, log, () => T0);
const rows = (store: Store) => store.q.selectFrom('relay_keys').selectAll().orderBy('created_at').orderBy('key_id').execute();

describeEachStore('relay signing keys in the database', (stores) => {
  it('creates exactly one sealed current key when relays start together, and every relay loads that key', async () => {
    const store = await stores.fresh();
    const [a, b, c] = await Promise.all([open(store), open(store), open(store)]);
    const stored = await rows(store);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.is_current).toBe(1);
    expect(stored[0]!.seed.startsWith(SEALED_PREFIX)).toBe(true);
    expect(new Set([a, b, c].map((k) => k.current().keyId))).toEqual(new Set([stored[0]!.key_id]));
    expect(toHex(a.current().publicKey)).toBe(stored[0]!.public_key);
  });

  it('rotates through the database: the new key signs, the old one still does, another relay sees both after a refresh', async () => {
    const store = await stores.fresh();
    const [a, b] = [await open(store), await open(store)];
    const first = a.current().keyId;
    expect(() => a.rotate()).toThrow(expect.objectContaining({ code: 'KW_STORE_UNSUPPORTED' }));
    expect(await rows(store)).toHaveLength(1);
    const { previous, next } = await a.rotateNow(T0 + 1);
    expect([previous.keyId, a.current().keyId]).toEqual([first, next.keyId]);
    expect((await rows(store)).map((r) => [r.key_id, r.is_current])).toEqual([[first, 0], [next.keyId, 1]]);
    expect(() => b.signer(next.keyId)).toThrow(/KEY_MISSING/);
    await b.refresh();
    expect(b.current().keyId).toBe(next.keyId);
    expect(b.signer(first).sign(new Uint8Array([1]))).toEqual(a.signer(first).sign(new Uint8Array([1])));
    expect(b.list().map((k) => [k.keyId, k.current])).toEqual([[first, false], [next.keyId, true]]);
  });

  it('retires unused keys from the database but never the current one or one still in use', async () => {
    const store = await stores.fresh();
    const a = await open(store);
    const k1 = a.current().keyId;
    const k2 = (await a.rotateNow(T0 + 1)).next.keyId;
    const k3 = (await a.rotateNow(T0 + 2)).next.keyId;
    expect(a.retireExcept(new Set([k2]))).toEqual([k1]);
    await pollUntil('retired key deleted', async () => (await rows(store)).length === 2, 5000, 20);
    expect((await rows(store)).map((r) => r.key_id)).toEqual([k2, k3]);
    expect(a.retireExcept(new Set())).toEqual([k2]);
    await pollUntil('retired key deleted', async () => (await rows(store)).length === 1, 5000, 20);
    expect(a.retireExcept(new Set())).toEqual([]);
    expect((await rows(store)).map((r) => [r.key_id, r.is_current])).toEqual([[k3, 1]]);
  });

  it('refuses another data key, a key row that does not match its seed, and a database with no current key', async () => {
    const store = await stores.fresh();
    const a = await open(store);
    const keyId = a.current().keyId;
    await expect(open(store, new SecretBox(Buffer.alloc(DATA_KEY_BYTES, 4)))).rejects.toThrow(/DATA_KEY_MISMATCH/);
    const other = await a.rotateNow(T0 + 1);
    await store.q.updateTable('relay_keys').set({ public_key: toHex(other.next.publicKey) }).where('key_id', '=', keyId).execute();
    await expect(a.refresh()).rejects.toThrow(/KEY_CORRUPT/);
    expect(a.current().keyId).toBe(other.next.keyId);
    await store.q.deleteFrom('relay_keys').where('key_id', '=', keyId).execute();
    await store.q.updateTable('relay_keys').set({ is_current: 0 }).execute();
    await expect(a.refresh()).rejects.toThrow(/KEY_MISSING/);
    await expect(store.q.insertInto('relay_keys').values([
      { key_id: 1, public_key: 'aa', seed: 's', is_current: 1, created_at: T0 }, { key_id: 2, public_key: 'bb', seed: 's', is_current: 1, created_at: T0 }
    ]).execute()).rejects.toThrow();
    expect(await rows(store)).toHaveLength(1);
  });
});

/**
 * Queries compiled once (relay/src/data/prepared.ts): the same rows and counts as the query
 * built afresh, on each store, inside and outside a transaction; misuse refused on first use.
 */
import { expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { changedRows, firstRow, prepared, PreparedQueryError } from '../../../relay/src/data/prepared';
import { greatest, type Q } from '../../../relay/src/data/store';
import { describeEachStore } from '../../support/stores';

const claim = prepared((q: Q, principal: string, key: string, at: number) => q.insertInto('idempotency')
  .values({ principal, key, route: 'POST /x', body_hash: 'h', state: 'pending', created_at: at })
  .onConflict((oc) => oc.columns(['principal', 'key']).doNothing()));
const find = prepared((q: Q, principal: string, key: string) => q.selectFrom('idempotency').selectAll().where('principal', '=', principal).where('key', '=', key));
const complete = prepared((q: Q, status: number, response: string, principal: string) => q.updateTable('idempotency')
  .set({ state: 'done', status_code: status, response }).where('principal', '=', principal).where('state', 'in', ['pending', 'done']));
const latestAt = prepared((q: Q, floor: number) => q.selectFrom('idempotency').select(greatest(q, [sql.ref('created_at'), sql`${floor}`]).as('m')));

describeEachStore('prepared queries', (stores) => {
  it('runs with new arguments each time and gives what the ad hoc query gives', async () => {
    const s = await stores.fresh();
    const q = s.q;
    expect(await changedRows(claim(q, 'p1', 'k1', 100))).toBe(1);
    expect(await changedRows(claim(q, 'p1', 'k1', 200)), 'the conflict does nothing').toBe(0);
    expect(await changedRows(claim(q, 'p1', 'k2', 300))).toBe(1);
    expect(await changedRows(claim(q, 'p2', 'k1', 400))).toBe(1);
    const row = await firstRow(find(q, 'p1', 'k2'));
    const adHoc = await q.selectFrom('idempotency').selectAll().where('principal', '=', 'p1').where('key', '=', 'k2').executeTakeFirst();
    expect(row).toEqual(adHoc);
    expect(Number(row!.created_at)).toBe(300);
    expect(await firstRow(find(q, 'p9', 'k1'))).toBeUndefined();
    // Constants of the query (the 'done' state, the in-list) stay in place around the arguments.
    expect(await changedRows(complete(q, 201, '{"ok":true}', 'p1'))).toBe(2);
    const done = await q.selectFrom('idempotency').select(['key', 'state', 'status_code', 'response']).where('principal', '=', 'p1').orderBy('key').execute();
    expect(done.map((d) => [d.key, d.state, Number(d.status_code), d.response])).toEqual([['k1', 'done', 201, '{"ok":true}'], ['k2', 'done', 201, '{"ok":true}']]);
    expect((await firstRow(find(q, 'p2', 'k1')))!.state).toBe('pending');
  });

  it('runs inside a transaction, and its writes roll back with it', async () => {
    const s = await stores.fresh();
    await expect(s.tx(async (t) => {
      expect(await changedRows(claim(t, 'p', 'gone', 1))).toBe(1);
      expect(await firstRow(find(t, 'p', 'gone'))).toBeDefined();
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await firstRow(find(s.q, 'p', 'gone'))).toBeUndefined();
    await s.tx(async (t) => {
      await claim(t, 'p', 'kept', 2);
    });
    expect(await firstRow(find(s.q, 'p', 'kept'))).toBeDefined();
  });

  it('runs a statement on the store only once no transaction holds the connection: it never sees uncommitted rows', async () => {
    const s = await stores.fresh();
    let outside: Promise<unknown> | undefined;
    await expect(s.tx(async (t) => {
      await claim(t, 'p', 'uncommitted', 1);
      // On SQLite the store and the transaction share one connection: this read must wait.
      outside = firstRow(find(s.q, 'p', 'uncommitted'));
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await outside).toBeUndefined();
    // PostgreSQL reads on another connection at once (READ COMMITTED); SQLite's one connection waits for the commit.
    if (s.dialect !== 'sqlite') return;
    let kept: Promise<unknown> | undefined;
    await s.tx(async (t) => {
      await claim(t, 'p', 'committed', 2);
      kept = firstRow(find(s.q, 'p', 'committed'));
    });
    expect(await kept, 'the waiting read runs after the commit').toBeDefined();
  });

  it('on SQLite runs on the connection itself, not through Kysely\'s executor; on PostgreSQL through it', async () => {
    const s = await stores.fresh();
    const spy = vi.spyOn(s.q, 'executeQuery');
    await claim(s.q, 'p', 'k', 1);
    expect(await firstRow(find(s.q, 'p', 'k'))).toBeDefined();
    expect(spy).toHaveBeenCalledTimes(s.dialect === 'sqlite' ? 0 : 2);
    spy.mockRestore();
  });

  it('refuses an undefined argument instead of binding something else, and changes nothing', async () => {
    const s = await stores.fresh();
    await expect(claim(s.q, 'p', undefined as unknown as string, 1)).rejects.toThrow(PreparedQueryError);
    expect(await s.q.selectFrom('idempotency').selectAll().execute()).toEqual([]);
  });

  it('takes arguments inside raw SQL values (sql.val or a template value)', async () => {
    const s = await stores.fresh();
    await claim(s.q, 'p', 'k', 50);
    expect(Number((await firstRow(latestAt(s.q, 10)))!.m)).toBe(50);
    expect(Number((await firstRow(latestAt(s.q, 70)))!.m)).toBe(70);
  });
});

it('refuses a query that uses an argument to shape the SQL, on first use', async () => {
  const { openStore } = await import('@keyway/relay');
  const store = await openStore({ kind: 'sqlite', file: ':memory:' });
  try {
    const shaped = prepared((q: Q, column: string) => q.selectFrom('idempotency').select(sql.ref(column).as('c')));
    await expect(shaped(store.q, 'key')).rejects.toThrow(PreparedQueryError);
    const unused = prepared((q: Q, _key: string) => q.selectFrom('idempotency').selectAll());
    await expect(unused(store.q, 'k')).rejects.toThrow(PreparedQueryError);
  } finally {
    await store.close();
  }
});

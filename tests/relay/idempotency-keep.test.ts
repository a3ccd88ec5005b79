/**
 * A request that keeps its own answer (domain/idempotency.ts KeepStep, used by the courier entry to
 * store its answer with the lock's OPERATION): the answer kept in a transaction that committed is
 * the request's answer and is not stored again; one kept in a transaction that rolled back is
 * nothing, and the request's answer is stored as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withIdempotencyClaimedIn } from '../../relay/src/domain/idempotency';
import { relayError } from '../../relay/src/errors';
import type { Q } from '../../relay/src/data/store';
import { startRelay, type Harness } from '../support/relay-harness';

describe('an idempotent request keeping its own answer', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRelay();
  });
  afterAll(async () => {
    await h?.close();
  });

  const stored = async (key: string) => {
    const row = await h.relay.ctx.store.q.selectFrom('idempotency').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
    return { state: row.state, status: row.status_code, body: row.response === null ? null : JSON.parse(row.response) };
  };

  /** Counts store.write calls (the answer stored after the request) while run() goes on. */
  async function writes<T>(run: () => Promise<T>): Promise<{ value: T; writes: number }> {
    const store = h.relay.ctx.store as { write: typeof h.relay.ctx.store.write };
    const write = store.write;
    let n = 0;
    store.write = <R>(fn: (q: Q) => Promise<R>): Promise<R> => {
      n++;
      return write.call(h.relay.ctx.store, fn) as Promise<R>;
    };
    try {
      return { value: await run(), writes: n };
    } finally {
      store.write = write;
    }
  }

  it('an answer kept in a committed transaction is the answer, stored once', async () => {
    const ctx = h.relay.ctx;
    const { value: res, writes: n } = await writes(() => withIdempotencyClaimedIn(ctx, 'test:keep', 'kept-1', 'r', {}, async (claim, keep) => {
      await ctx.store.tx(claim);
      await ctx.store.tx((q) => keep(q, { status: 200, body: { kept: true } }));
      return { status: 200, body: { kept: false } };
    }));
    expect(res).toEqual({ status: 200, body: { kept: true }, replayed: false });
    expect(n).toBe(0);
    expect(await stored('kept-1')).toEqual({ state: 'done', status: 200, body: { kept: true } });
  });

  it('an answer kept in a transaction that rolled back is nothing: the answer is stored after', async () => {
    const ctx = h.relay.ctx;
    const { value: res, writes: n } = await writes(() => withIdempotencyClaimedIn(ctx, 'test:keep', 'kept-2', 'r', {}, async (claim, keep) => {
      await ctx.store.tx(claim);
      await expect(ctx.store.tx(async (q) => {
        await keep(q, { status: 200, body: { kept: true } });
        throw new Error('rolled back');
      })).rejects.toThrow('rolled back');
      return { status: 201, body: { kept: false } };
    }));
    expect(res).toEqual({ status: 201, body: { kept: false }, replayed: false });
    expect(n).toBe(1);
    expect(await stored('kept-2')).toEqual({ state: 'done', status: 201, body: { kept: false } });
  });

  it('a refusal kept with the claim is the answer to the error thrown after it, stored once', async () => {
    const ctx = h.relay.ctx;
    const refusal = relayError('KW_DELIVERY_BLOCKED');
    const kept = { status: refusal.status, body: { error: { code: refusal.code, message: 'kept' } } };
    const { value: res, writes: n } = await writes(() => withIdempotencyClaimedIn(ctx, 'test:keep', 'kept-3', 'r', {}, async (claim, keep) => {
      await ctx.store.tx(async (q) => {
        await claim(q);
        await keep(q, kept);
      });
      throw refusal;
    }));
    expect(res).toEqual({ ...kept, replayed: false });
    expect(n).toBe(0);
    expect(await stored('kept-3')).toEqual({ state: 'done', ...kept });
  });
});

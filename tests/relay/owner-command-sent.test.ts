/**
 * The owner's unlock/lock is stored as sent once, in the transaction that stores it, because
 * the request publishes it right after the commit (IssueRequest.publishedOnCommit): no write
 * marks it sent after the publish. A resend (the lock resubscribing) still counts.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Store } from '../../relay/src/data/store';
import { expectOk, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

/** Copies the counter of every command whose sent_at is updated into a side table; returns the undo. */
async function traceSentUpdates(store: Store): Promise<() => Promise<void>> {
  const q = store.q;
  await sql`CREATE TABLE kw_test_sent (counter BIGINT NOT NULL)`.execute(q);
  if (store.dialect === 'postgres') {
    await sql`CREATE FUNCTION kw_test_trace_sent() RETURNS trigger AS $$ BEGIN INSERT INTO kw_test_sent (counter) VALUES (NEW.counter); RETURN NEW; END $$ LANGUAGE plpgsql`.execute(q);
    await sql`CREATE TRIGGER kw_test_trace_sent AFTER UPDATE OF sent_at ON commands FOR EACH ROW EXECUTE FUNCTION kw_test_trace_sent()`.execute(q);
  } else {
    await sql`CREATE TRIGGER kw_test_trace_sent AFTER UPDATE OF sent_at ON commands BEGIN INSERT INTO kw_test_sent (counter) VALUES (NEW.counter); END`.execute(q);
  }
  return async () => {
    if (store.dialect === 'postgres') {
      await sql`DROP TRIGGER kw_test_trace_sent ON commands`.execute(q);
      await sql`DROP FUNCTION kw_test_trace_sent()`.execute(q);
    } else {
      await sql`DROP TRIGGER kw_test_trace_sent`.execute(q);
    }
    await sql`DROP TABLE kw_test_sent`.execute(q);
  };
}

describe('owner command stored as sent', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; });

  const commandView = async (counter: number) =>
    (await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/commands`, { token: w.owner.token }))).items.find((c: { counter: number }) => c.counter === counter);
  const sentUpdates = async (counter: number) =>
    Number((await sql<{ n: number }>`SELECT count(*) AS n FROM kw_test_sent WHERE counter = ${counter}`.execute(h.relay.ctx.store.q)).rows[0].n);

  it('counts its publish where it is stored: sendCount 1, no write after the publish', async () => {
    const undo = await traceSentUpdates(h.relay.ctx.store);
    try {
      const r = await expectOk(h.api('POST', `/v1/devices/${w.deviceId}/lock`, { token: w.owner.token }));
      expect(r.outcome).toBe('locked');
      await waitUntil(async () => (await commandView(r.counter)).status === 'acked', 3000, 'command acknowledged');
      expect(await commandView(r.counter)).toMatchObject({ action: 'LOCK', purpose: 'owner_lock', sendCount: 1 });
      expect(await sentUpdates(r.counter)).toBe(0);
    } finally {
      await undo();
    }
  });

  it('a resend after the lock resubscribes is counted and marked', async () => {
    w.lock.answer = false;
    const before = w.lock.inbox.length;
    const timedOut = await h.api('POST', `/v1/devices/${w.deviceId}/lock`, { token: w.owner.token });
    expect(timedOut.status).toBe(504);
    const counter = timedOut.body.error.details.counter as number;
    expect(w.lock.inbox.length).toBe(before + 1);
    expect(await commandView(counter)).toMatchObject({ status: 'pending', sendCount: 1 });
    const undo = await traceSentUpdates(h.relay.ctx.store);
    try {
      w.lock.answer = true;
      await w.lock.disconnect();
      await w.lock.connect();
      await waitUntil(async () => (await commandView(counter)).status === 'acked', 5000, 'resent command acknowledged');
      expect(await commandView(counter)).toMatchObject({ sendCount: 2 });
      expect(await sentUpdates(counter)).toBe(1);
    } finally {
      w.lock.answer = true;
      await undo();
    }
  });
});

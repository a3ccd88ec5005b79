import { createServer, type IncomingMessage, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Q } from '../../relay/src/data/store';
import { AL_DOOR_AJAR, AL_JAM, EV_OPERATION, FLAG_CAMERA_REQUIRED, ST_CAMERA_OK } from '@keyway/shared';
import { signWebhook } from '@keyway/relay';
import { countRows, deviceFlags, bookDelivery, expectOk, waitUntil, useWorld, type Harness, type World } from '../support/relay-harness';
import { builtQueries } from '../support/built-queries';
import { failActivityInserts } from '../support/failing-activity';

interface Hook { headers: IncomingMessage['headers']; body: string }

function receiver(failFirst: number): Promise<{ server: Server; url: string; hits: Hook[]; failures: () => number }> {
  const hits: Hook[] = [];
  let failed = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (failed < failFirst) {
        failed++;
        res.writeHead(500).end('try later');
        return;
      }
      hits.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    resolve({ server, url: `http://127.0.0.1:${port}/hooks`, hits, failures: () => failed });
  }));
}

/** Every better-sqlite3 statement run while fn runs, with the async stack it runs under. */
async function sqliteStatements<T>(db: { prepare(sql: string): object }, fn: () => Promise<T>): Promise<{ value: T; seen: Array<{ sql: string; stack: string }> }> {
  const proto = Object.getPrototypeOf(db.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
  const seen: Array<{ sql: string; stack: string }> = [];
  const methods = ['run', 'get', 'all', 'iterate'] as const;
  const originals = methods.map((m) => proto[m]);
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  methods.forEach((m, i) => {
    proto[m] = function (this: { source: string }, ...a: unknown[]) {
      seen.push({ sql: this.source.toLowerCase(), stack: new Error().stack ?? '' });
      return originals[i].apply(this, a);
    };
  });
  try {
    return { value: await fn(), seen };
  } finally {
    methods.forEach((m, i) => (proto[m] = originals[i]));
    Error.stackTraceLimit = limit;
  }
}

describe('courier in-home delivery (docs/product.md#courier-delivery)', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; }, { webhooks: { allowPrivateTargets: true } });

  it('reveals the staged grant, opens, and issues a secured receipt with a signed webhook (retried after a failure)', async () => {
    const rx = await receiver(1);
    const hook = await expectOk(h.api('POST', '/v1/webhooks', { token: w.backend.token, body: { url: rx.url, events: ['delivery.entered', 'delivery.secured'] } }), 201);
    expect(hook.secret).toMatch(/^whsec_/);
    // Stored sealed under the data key; the worker opens it to sign (checked below against the secret handed out).
    const stored = await h.relay.ctx.store.q.selectFrom('webhooks').select('secret').where('id', '=', hook.id).executeTakeFirstOrThrow();
    expect(stored.secret.startsWith('kwenc1:') && !stored.secret.includes(hook.secret)).toBe(true);
    const d = await bookDelivery(h, w);
    const res = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'entry-' + d.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'opened', method: 'reveal', deviceId: w.deviceId, deliveryId: d.id });
    expect(res.body.clip).toMatch(new RegExp('^clip:' + w.deviceId + ':\\d+$'));
    expect(w.lock.reveals.at(-1)).toMatchObject({ code: 0 });

    w.lock.openDoor();
    w.lock.closeDoor();
    const secured = await waitUntil(async () => {
      const r = await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token });
      return r.body.status === 'secured' ? r.body : null;
    }, 5000, 'secured receipt');
    const stateEv = [...w.lock.log].reverse().find((l) => l.event.type === 2)!;
    expect(secured.receipt).toMatchObject({ deliveryId: d.id, deviceId: w.deviceId, eventSeq: stateEv.event.seq });
    expect(secured.receipt.eventHash).toMatch(/^[0-9a-f]{64}$/);

    await waitUntil(() => rx.hits.length >= 2, 8000, 'webhooks');
    expect(rx.failures()).toBe(1);
    for (const hit of rx.hits) {
      const ts = hit.headers['x-keyway-timestamp'] as string;
      expect(hit.headers['x-keyway-signature']).toBe(signWebhook(hook.secret, ts, hit.body));
    }
    const events = rx.hits.map((x) => JSON.parse(x.body).event).sort();
    expect(events).toEqual(['delivery.entered', 'delivery.secured']);
    const securedHook = rx.hits.map((x) => JSON.parse(x.body)).find((b) => b.event === 'delivery.secured');
    expect(securedHook.data.receipt.eventSeq).toBe(stateEv.event.seq);

    const notes = await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }));
    expect(notes.items.map((n: any) => n.kind)).toContain('delivery.secured');
    const courierNotes = await expectOk(h.api('GET', '/v1/notifications', { token: w.courier.token }));
    expect(courierNotes.items[0]).toMatchObject({ kind: 'delivery.secured', deliveryId: d.id });
    rx.server.close();
  });

  it('answers a repeated Idempotency-Key with the stored response and a different body with 409', async () => {
    const d = await bookDelivery(h, w);
    const key = 'idem-' + d.id;
    const first = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(200);
    const reveals = w.lock.reveals.length;
    const again = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': key } });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(w.lock.reveals.length).toBe(reveals);
    const other = await bookDelivery(h, w);
    const conflict = await h.api('POST', `/v1/deliveries/${other.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': key } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('KW_IDEMPOTENCY_CONFLICT');
    const missing = await h.api('POST', `/v1/deliveries/${other.id}/entry`, { token: w.courier.token });
    expect(missing.status).toBe(400);
    w.lock.openDoor();
    w.lock.closeDoor();
  });

  /**
   * Counts the write transactions and single writes the entry request itself opens while run() goes
   * on (store.tx and store.write called from the entry or its idempotency key's handling; the lock
   * intake's own are not counted).
   */
  async function entryTransactions<T>(run: () => Promise<T>): Promise<{ value: T; transactions: number }> {
    const store = h.relay.ctx.store as { tx: typeof h.relay.ctx.store.tx; write: typeof h.relay.ctx.store.write };
    const { tx, write } = store;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 100;
    let transactions = 0;
    const mine = () => /courierEntry|withIdempotency|runClaimed|settleFailure/.test(new Error().stack ?? '');
    store.tx = <R>(fn: (q: Q) => Promise<R>): Promise<R> => {
      if (mine()) transactions++;
      return tx.call(h.relay.ctx.store, fn) as Promise<R>;
    };
    store.write = <R>(fn: (q: Q) => Promise<R>): Promise<R> => {
      if (mine()) transactions++;
      return write.call(h.relay.ctx.store, fn) as Promise<R>;
    };
    try {
      return { value: await run(), transactions };
    } finally {
      store.tx = tx;
      store.write = write;
      Error.stackTraceLimit = limit;
    }
  }

  /** The answer stored with the request's key. */
  async function storedAnswer(key: string): Promise<{ state: string; status: number | null; body: unknown }> {
    const row = await h.relay.ctx.store.q.selectFrom('idempotency').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
    return { state: row.state, status: row.status_code, body: row.response === null ? null : JSON.parse(row.response) };
  }

  it("writes once: the key, the checks and the request in one transaction, the answer kept with the OPERATION's", async () => {
    const d = await bookDelivery(h, w);
    const key = 'one-tx-' + d.id;
    const { value: res, transactions } = await entryTransactions(() => h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': key } }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const op = [...w.lock.log].reverse().find((l) => l.event.type === EV_OPERATION)!;
    expect(res.body.delivery).toMatchObject({ status: 'unlocked', entry: { method: 'reveal', eventSeq: op.event.seq, clip: res.body.clip } });
    // The key claimed, the request checked and recorded before the reveal; the unlock by the
    // OPERATION's effects, and the answer stored with them, before the answer went out.
    expect(transactions).toBe(1);
    expect(await storedAnswer(key)).toEqual({ state: 'done', status: 200, body: res.body });
    const again = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': key } });
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body).toEqual(res.body);
    w.lock.relockTimeout();
  });

  it('keeps a refusal as the key\'s answer in the transaction that records it: one write, replayed, nothing sent', async () => {
    const d = await bookDelivery(h, w);
    await h.api('POST', `/v1/deliveries/${d.id}/block`, { token: w.owner.token, body: { reason: 'not today' } });
    const key = 'refused-' + d.id;
    const reveals = w.lock.reveals.length;
    const { value: res, transactions } = await entryTransactions(() => h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': key } }));
    expect(res.body.error.code, JSON.stringify(res.body)).toBe('KW_DELIVERY_BLOCKED');
    expect(transactions).toBe(1);
    expect(await storedAnswer(key)).toEqual({ state: 'done', status: res.status, body: res.body });
    expect(await countRows(h, 'activity', { delivery_id: d.id, kind: 'entry.refused' })).toBe(1);
    const again = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': key } });
    expect(again.status).toBe(res.status);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body).toEqual(res.body);
    expect(await countRows(h, 'activity', { delivery_id: d.id, kind: 'entry.refused' })).toBe(1);
    expect(w.lock.reveals.length).toBe(reveals);
  });

  it("records the unlock itself when the OPERATION was stored without its effects", async () => {
    const d = await bookDelivery(h, w);
    // The OPERATION's activity row cannot be written: its effects fail, the event is kept without them.
    const restore = await failActivityInserts(h.relay.ctx.store, 'unlock');
    let res;
    try {
      res = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'no-effects-' + d.id } });
    } finally {
      await restore();
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const op = [...w.lock.log].reverse().find((l) => l.event.type === EV_OPERATION)!;
    expect(res.body.delivery).toMatchObject({ status: 'unlocked', entry: { method: 'reveal', eventSeq: op.event.seq } });
    expect((await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.status).toBe('unlocked');
    w.lock.relockTimeout();
  });

  it('reads the delivery with its site, partner, lock and grant in one statement in the entry, the grant once and the delivery once with its view in the OPERATION\'s effects, nothing for the answer (SQLite: statements counted where they run)', async (t) => {
    const db = h.relay.ctx.store.sqlite;
    if (!db) return t.skip();
    const d = await bookDelivery(h, w);
    const { value: res, seen } = await sqliteStatements(db, () =>
      h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'reads-' + d.id } }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const count = (table: string, fn: string, notVia?: string) => seen.filter((x) =>
      new RegExp('^select .* from "?' + table + '"? ').test(x.sql) && x.stack.includes(fn) && !(notVia && x.stack.includes(notVia))).length;
    // The effects' own read (the delivery's webhook view, emitDelivery, reads it again after the spend).
    expect(count('grants', 'onOperation', 'emitDelivery')).toBe(1);
    // At the start of the entry (in its transaction, planCourierEntry): one joined read of the
    // delivery, its site, the partnership, the lock and the grant; the answer's view uses its site.
    const selects = (fn: string) => seen.filter((x) => x.sql.startsWith('select') && x.stack.includes(fn)).map((x) => x.sql);
    expect(selects('planCourierEntry')).toHaveLength(1);
    expect(count('sites', 'courierEntry')).toBe(0);
    // The OPERATION's effects: the grant read once (above), the delivery read once with what its
    // view shows of its site and grant, and not read back after its move (the move returns it).
    expect(selects('applyEventEffects').filter((x) => /from "?(deliveries|sites)"? /.test(x))).toHaveLength(1);
    expect(count('grants', 'applyEventEffects')).toBe(1);
    // The entry's reads (delivery, site, partner, lock, grant) run compiled once, on the connection itself (data/prepared.ts).
    expect(seen.filter((x) => x.sql.startsWith('select') && x.stack.includes('planCourierEntry') && !x.stack.includes('runOnSqlite')).map((x) => x.sql)).toEqual([]);
    // The answer kept with the OPERATION (waiters.ts settleIn) uses the delivery its effects emitted: no read of its own.
    expect(count('deliveries', 'settleIn') + count('grants', 'settleIn')).toBe(0);
    expect(res.body.delivery.site).toMatchObject({ name: expect.any(String) });
    // The view built from the move's own row is the delivery as stored.
    expect(res.body.delivery).toEqual((await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body);
    w.lock.relockTimeout();
  });

  it('answers a booking with the view its event emitted: the delivery read once, with its site and grant (SQLite: statements counted where they run)', async (t) => {
    const db = h.relay.ctx.store.sqlite;
    if (!db) return t.skip();
    // Nothing else in flight (the previous test's relock): the booking's transaction is alone in its batch.
    await w.lock.drained();
    const { value: d, seen } = await sqliteStatements(db, () => bookDelivery(h, w, { waitStaged: false }));
    // In the booking's transaction: the delivery read once, for its event's view, which is also the answer.
    const insert = seen.findIndex((x) => x.sql.startsWith('insert into "deliveries"'));
    const begin = seen.map((x) => x.sql).lastIndexOf('begin immediate', insert);
    const tx = seen.slice(begin, seen.findIndex((x, i) => i > insert && x.sql === 'commit'));
    expect(begin).toBeGreaterThanOrEqual(0);
    const reads = tx.filter((x) => /^select .* from "?(deliveries|sites|grants)"? /.test(x.sql));
    expect(reads.map((x) => x.sql.slice(0, 60))).toHaveLength(1);
    expect(d).toEqual((await h.api('GET', '/v1/deliveries/' + d.id, { token: w.backend.token })).body);
  });

  it('builds no query per entry for its delivery, grant, command, clip or webhooks: the move, the use spent, the CAMERA\'s clip and the webhook jobs are compiled once (data/prepared.ts)', async () => {
    const rx = await receiver(0);
    await expectOk(h.api('POST', '/v1/webhooks', { token: w.backend.token, body: { url: rx.url, events: ['delivery.unlocked', 'delivery.entered', 'delivery.secured'] } }), 201);
    const entry = async (n: number) => {
      const d = await bookDelivery(h, w);
      await w.lock.drained();
      const built = await builtQueries(async () => {
        const res = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'built-' + n + '-' + d.id } });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        // The lock's CAMERA is stored before its OPERATION, and the OPERATION before the answer.
        // A query built here, for the count to see.
        await h.relay.ctx.store.q.selectFrom('webhook_jobs').select('id').where('event', '=', 'delivery.unlocked').execute();
      });
      w.lock.relockTimeout();
      await waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.status === 'secured', 5000, 'secured');
      return built;
    };
    // The first entry compiles each of them once.
    await entry(1);
    const built = await entry(2);
    const mine = built.filter((b) => /"(deliveries|grants|commands|clips|webhooks|webhook_jobs)"/.test(b.sql) && /planCourierEntry|applyEventEffects/.test(b.stack));
    expect(mine.map((b) => b.sql)).toEqual([]);
    // The count itself sees a query built on the call (the test's own).
    expect(built.some((b) => /"webhook_jobs"/.test(b.sql) && b.stack.includes('delivery-entry.test'))).toBe(true);
    // The entry's unlock was queued for the webhook.
    expect(await countRows(h, 'webhook_jobs', { event: 'delivery.unlocked' })).toBe(2);
  });

  it('falls back to a signed 60 s UNLOCK when the grant is not staged yet', async () => {
    w.lock.answer = false;
    const d = await bookDelivery(h, w, { waitStaged: false });
    await new Promise((r) => setTimeout(r, 100));
    w.lock.answer = true;
    const res = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'cmd-' + d.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.method).toBe('command');
    const unlock = [...w.lock.commands].reverse().find((c) => c.action === 1)!;
    expect(unlock.notAfter - unlock.notBefore).toBe(60);
    expect(unlock.payload.flags & FLAG_CAMERA_REQUIRED).toBe(FLAG_CAMERA_REQUIRED);
    w.lock.openDoor();
    w.lock.closeDoor();
    await waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.status === 'secured', 5000, 'secured');
  });

  it('calls an unlock "unlocked", "entered" only on a door-open event, and a timeout relock a receipt without the door opened', async () => {
    const rx = await receiver(0);
    await expectOk(h.api('POST', '/v1/webhooks', { token: w.backend.token, body: { url: rx.url, events: ['delivery.unlocked', 'delivery.entered', 'delivery.secured'] } }), 201);
    const get = async (id: number) => (await h.api('GET', '/v1/deliveries/' + id, { token: w.courier.token })).body;
    const hooksFor = (id: number) => rx.hits.map((x) => JSON.parse(x.body)).filter((b) => b.data.delivery.id === id);

    // Door never opened: the lock's relock timer runs out.
    const shut = await bookDelivery(h, w);
    const res = await h.api('POST', `/v1/deliveries/${shut.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'shut-' + shut.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.delivery.status).toBe('unlocked');
    expect(res.body.delivery.doorOpened).toBeNull();
    expect((await get(shut.id)).status).toBe('unlocked');
    w.lock.relockTimeout();
    const relocked = await waitUntil(async () => { const d = await get(shut.id); return d.status === 'secured' ? d : null; }, 5000, 'relocked');
    expect(relocked.receipt).toMatchObject({ deliveryId: shut.id, doorOpened: false });
    expect(relocked.doorOpened).toBeNull();
    await waitUntil(() => hooksFor(shut.id).length >= 2, 5000, 'webhooks for the shut door');
    expect(hooksFor(shut.id).map((b) => b.event)).toEqual(['delivery.unlocked', 'delivery.secured']);
    const ownerNotes = await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }));
    const shutNotes = ownerNotes.items.filter((n: any) => n.deliveryId === shut.id).map((n: any) => n.kind);
    expect(shutNotes).toEqual(['delivery.relocked']);

    // Door opened and closed: entered at the door-open event, secured with doorOpened.
    const open = await bookDelivery(h, w);
    const res2 = await h.api('POST', `/v1/deliveries/${open.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'open-' + open.id } });
    expect(res2.status, JSON.stringify(res2.body)).toBe(200);
    w.lock.openDoor();
    const inside = await waitUntil(async () => { const d = await get(open.id); return d.status === 'entered' ? d : null; }, 5000, 'entered');
    const doorEv = [...w.lock.log].reverse().find((l) => l.event.type === 2)!;
    expect(inside.doorOpened.eventSeq).toBe(doorEv.event.seq);
    expect(inside.doorOpened.eventSeq).toBeGreaterThan(inside.entry.eventSeq);
    w.lock.closeDoor();
    const secured = await waitUntil(async () => { const d = await get(open.id); return d.status === 'secured' ? d : null; }, 5000, 'secured');
    expect(secured.receipt.doorOpened).toBe(true);
    await waitUntil(() => hooksFor(open.id).length >= 3, 5000, 'webhooks for the opened door');
    expect(hooksFor(open.id).map((b) => b.event)).toEqual(['delivery.unlocked', 'delivery.entered', 'delivery.secured']);
    rx.server.close();
  });

  it('reports a lock that does not answer as a timeout that may have run, never retried', async () => {
    const d = await bookDelivery(h, w);
    w.lock.answer = false;
    const before = w.lock.reveals.length;
    const res = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'slow-' + d.id } });
    w.lock.answer = true;
    expect(res.status).toBe(504);
    expect(res.body.error).toMatchObject({ code: 'KW_ENTRY_TIMEOUT', mayHaveRun: true });
    const replay = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'slow-' + d.id } });
    expect(replay.status).toBe(504);
    expect(w.lock.reveals.length).toBe(before);
  });

  it('refuses entry when the camera is unhealthy, and the lock itself fails secure on camera loss', async () => {
    const d = await bookDelivery(h, w);
    w.lock.failCamera(true);
    await waitUntil(async () => ((await deviceFlags(h, w.deviceId)) & ST_CAMERA_OK) === 0, 3000);
    const res = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'cam-' + d.id } });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('KW_CAMERA_UNHEALTHY');
    w.lock.failCamera(false);
    await waitUntil(async () => ((await deviceFlags(h, w.deviceId)) & ST_CAMERA_OK) !== 0, 3000);
    // The relay believes the camera is fine, the lock finds out at the door: no movement, a denial.
    w.lock.cameraOk = false;
    const res2 = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'cam2-' + d.id } });
    expect(res2.status).toBe(409);
    expect(res2.body.error).toMatchObject({ code: 'KW_ENTRY_DENIED', details: { reason: 'CAMERA_FAILURE' }, mayHaveRun: false });
    expect(w.lock.bolt).toBe(1);
    w.lock.failCamera(false);
  });

  it('sends door-ajar and jam alarms to the owner and the courier', async () => {
    const d = await bookDelivery(h, w);
    await waitUntil(async () => ((await deviceFlags(h, w.deviceId)) & ST_CAMERA_OK) !== 0, 3000);
    const res = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'ajar-' + d.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    w.lock.openDoor();
    w.lock.alarm(AL_DOOR_AJAR);
    w.lock.jamNext = true;
    w.lock.closeDoor();
    const got = await waitUntil(async () => {
      const r = await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token });
      return r.body.alarms.length >= 2 ? r.body : null;
    }, 5000, 'alarms on the delivery');
    expect(got.alarms.map((a: any) => a.alarm)).toEqual(['DOOR_AJAR', 'JAM']);
    const courierNotes = await expectOk(h.api('GET', '/v1/notifications', { token: w.courier.token }));
    expect(courierNotes.items.filter((n: any) => n.kind === 'delivery.alarm').length).toBeGreaterThanOrEqual(2);
    const ownerNotes = await expectOk(h.api('GET', '/v1/notifications', { token: w.owner.token }));
    expect(ownerNotes.items.filter((n: any) => n.kind === 'alarm').map((n: any) => n.body.alarm)).toEqual(expect.arrayContaining(['DOOR_AJAR', 'JAM']));
    expect(AL_JAM).toBe(1);
  });
});

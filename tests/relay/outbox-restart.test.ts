/** The command outbox: resend on reconnect in counter order, never after notAfter, re-issue of expired grant pushes; relay restart keeps everything. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACT_GRANT_PUT, ACT_UNLOCK, decodeCommand, KIND_COMMAND, messageKind } from '@keyway/shared';
import { bookDelivery, expectOk, waitUntil, useWorld, type Harness, type World } from '../support/relay-harness';

const counters = (inbox: Uint8Array[]) => inbox.filter((b) => messageKind(b) === KIND_COMMAND).map((b) => decodeCommand(b).counter);

describe('command outbox and relay restart', () => {
  let h: Harness;
  let w: World;
  useWorld((hh, ww) => { h = hh; w = ww; }, { entryTimeoutMs: 800, sessionTtlMs: 30 * 86400_000 });

  const commands = async (status?: string) => (await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/commands${status ? '?status=' + status : ''}`, { token: w.owner.token }))).items;
  const grantBody = (days = 7) => ({ kind: 'guest', type: 'temporary', window: { start: new Date(h.clock.now() - 60_000).toISOString(), end: new Date(h.clock.now() + days * 86400_000).toISOString() } });

  it('resends unacknowledged commands in counter order when the lock comes back', async () => {
    await w.lock.disconnect();
    await waitUntil(async () => (await commands()).length > 0 && !(await h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token })).body.online, 3000);
    const g1 = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token, body: grantBody() }), 201);
    const g2 = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token, body: grantBody() }), 201);
    const pending = await commands('pending');
    expect(pending.map((c: any) => c.action)).toEqual(['GRANT_PUT', 'GRANT_PUT']);
    expect(pending.every((c: any) => c.sendCount === 0)).toBe(true);
    const before = w.lock.inbox.length;
    await w.lock.connect();
    for (const g of [g1, g2]) await waitUntil(async () => (await h.api('GET', '/v1/grants/' + g.grant.id, { token: w.owner.token })).body.status === 'active', 3000, 'staged after reconnect');
    const got = counters(w.lock.inbox.slice(before));
    expect(got).toEqual([...got].sort((a, b) => a - b));
    expect(got).toEqual(pending.map((c: any) => c.counter).sort((a: number, b: number) => a - b));

    // A command the lock never answered is sent again, same counter, on the next connection.
    w.lock.answer = false;
    const g3 = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token, body: grantBody() }), 201);
    await waitUntil(async () => (await commands('pending')).some((c: any) => c.grantId === g3.grant.id && c.sendCount === 1), 3000, 'sent once');
    await w.lock.drop();
    w.lock.answer = true;
    await w.lock.connect();
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + g3.grant.id, { token: w.owner.token })).body.status === 'active', 3000, 'staged on resend');
    const c3 = (await commands('acked')).find((c: any) => c.grantId === g3.grant.id);
    expect(c3.sendCount).toBe(2);
  });

  it('never resends an unlock after notAfter, and re-issues an expired grant push with a new counter', async () => {
    const d = await bookDelivery(h, w);
    w.lock.answer = false;
    const r = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'expire-' + d.id } });
    expect(r.status).toBe(504);
    // The staged grant made it a reveal; force a signed unlock too, through the owner.
    const u = await h.api('POST', `/v1/devices/${w.deviceId}/unlock`, { token: w.owner.token });
    expect(u.body.error.code).toBe('KW_ENTRY_TIMEOUT');
    const unlock = (await commands('pending')).find((c: any) => c.action === 'UNLOCK');
    expect(unlock).toBeTruthy();
    await w.lock.drop();
    w.lock.answer = true;
    const g = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token, body: grantBody(10) }), 201);
    const firstPut = (await commands('pending')).find((c: any) => c.grantId === g.grant.id);
    h.clock.advance(3 * 86400_000);
    await h.relay.maintain();
    const after = await commands();
    expect(after.find((c: any) => c.counter === unlock.counter).status).toBe('expired');
    expect(after.find((c: any) => c.counter === firstPut.counter).status).toBe('expired');
    const reissued = after.find((c: any) => c.reissueOf === firstPut.counter);
    expect(reissued).toMatchObject({ action: 'GRANT_PUT', status: 'pending', grantId: g.grant.id });
    expect(reissued.counter).toBeGreaterThan(firstPut.counter);
    expect(after.filter((c: any) => c.action === 'UNLOCK' && c.status === 'pending')).toEqual([]);
    const before = w.lock.inbox.length;
    await w.lock.connect();
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + g.grant.id, { token: w.owner.token })).body.status === 'active', 3000, 'reissued put acked');
    const got = counters(w.lock.inbox.slice(before));
    expect(got).not.toContain(unlock.counter);
    expect(got).not.toContain(firstPut.counter);
    expect(w.lock.commands.filter((c) => c.action === ACT_UNLOCK && c.counter === unlock.counter)).toEqual([]);
    expect(w.lock.commands.find((c) => c.counter === reissued.counter)).toMatchObject({ action: ACT_GRANT_PUT, code: 0 });
  });

  it('a relay restart keeps pending deliveries, grants and the outbox; the lock catches up after it', async () => {
    await w.lock.disconnect();
    const d = await bookDelivery(h, w, { waitStaged: false });
    const g = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token, body: grantBody() }), 201);
    const pendingBefore = await commands('pending');
    expect(pendingBefore.length).toBeGreaterThanOrEqual(2);
    const ports = h.relay.ports!;
    await h.restart({ ports: { http: ports.http, mqtt: ports.mqtt, mqtts: 0 } });
    expect(h.relay.adminToken).toBeNull();
    expect(existsSync(path.join(h.dir, 'admin-token'))).toBe(true);
    expect((await commands('pending')).map((c: any) => c.counter)).toEqual(pendingBefore.map((c: any) => c.counter));
    expect((await expectOk(h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token }))).status).toBe('booked');
    expect((await expectOk(h.api('GET', '/v1/grants/' + g.grant.id, { token: w.owner.token }))).status).toBe('pending');
    await w.lock.connect();
    await waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.staged, 3000, 'delivery staged after restart');
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + g.grant.id, { token: w.owner.token })).body.status === 'active', 3000, 'grant staged after restart');
    const e = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'after-restart' } });
    expect(e.status, JSON.stringify(e.body)).toBe(200);
    const fresh = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token, body: grantBody() }), 201);
    const newest = (await commands()).find((c: any) => c.grantId === fresh.grant.id);
    expect(newest.counter).toBeGreaterThan(Math.max(...pendingBefore.map((c: any) => c.counter)));
  });
});

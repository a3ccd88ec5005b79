/**
 * Faults across processes (docs/product.md#reliability-properties, docs/sync.md): the relay restarts mid-delivery and nothing accepted is
 * lost; a lock loses its network during a delivery window and comes back (commands queued in the
 * outbox arrive, a revocation wins); a jam on relock raises alarms to the owner and the courier;
 * a lock loses power and re-reads its bolt from the switches.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { allOnline, eventually, useE2E, type E2E } from '../support/e2e-world';
import { scaled } from '../support/time-scale';

let e: E2E;
let lockId = '';
useE2E({ lockOptions: { relockAfterCloseMs: 1000, relockDefaultS: 3 } }, (world) => {
  e = world;
  lockId = e.world.locks[0].deviceId;
});

async function book() {
  const now = Date.now();
  const r = await e.api(e.world.backend.token, 'POST', '/v1/deliveries', {
    siteId: e.world.siteId, trackingNumber: 'TRK' + randomUUID().slice(0, 8), courierId: e.world.courier.id, inHome: true,
    window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + 3600_000).toISOString() }
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const enter = (id: number) => e.api(e.world.courier.token, 'POST', '/v1/deliveries/' + id + '/entry', undefined, { 'idempotency-key': randomUUID() });

describe('resilience', () => {
  it('relay restart mid-delivery: the booked delivery and its staged grant survive; entry and receipt work afterwards', async () => {
    const d = await book();
    await eventually('staged', async () => (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.id)).body.staged);
    await e.restartRelay(true);
    await allOnline(e);
    const r = await enter(d.id);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await e.fleet.ask(lockId, 'door open');
    await e.fleet.ask(lockId, 'door close');
    await eventually('receipt after restart', async () => (await e.api(e.world.courier.token, 'GET', '/v1/deliveries/' + d.id)).body.receipt);
  }, scaled(90_000));

  it('lock offline during the window: entry refused as offline; back online, the outbox delivers a revocation that wins', async () => {
    const grant = await e.api(e.ownerToken, 'POST', '/v1/sites/' + e.world.siteId + '/grants', {
      kind: 'guest', type: 'temporary', label: 'Visiting aunt', deviceId: lockId,
      window: { start: new Date(Date.now() - 60_000).toISOString(), end: new Date(Date.now() + 86400_000).toISOString() }
    });
    expect(grant.status, JSON.stringify(grant.body)).toBe(201);
    await eventually('grant active', async () => (await e.api(e.ownerToken, 'GET', '/v1/grants/' + grant.body.grant.id)).body.status === 'active');
    const creds = (await e.api(grant.body.accessToken, 'GET', '/v1/grant-access/credentials?count=1')).body.credentials as string[];
    const d = await book();
    await eventually('staged', async () => (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.id)).body.staged);

    await e.fleet.ask(lockId, 'net off');
    await eventually('relay sees the lock offline', async () => !(await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body.online);
    const offline = await enter(d.id);
    expect(offline.status).toBe(503);
    expect(offline.body.error.code).toBe('KW_LOCK_OFFLINE');
    // Revoke while the lock cannot hear it: the command waits in the outbox.
    expect((await e.api(e.ownerToken, 'DELETE', '/v1/grants/' + grant.body.grant.id)).status).toBe(200);
    const pending = (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId + '/commands?status=pending')).body.items as Array<{ action: string }>;
    expect(pending.some((c) => c.action === 'GRANT_REVOKE')).toBe(true);

    await e.fleet.ask(lockId, 'net on');
    await allOnline(e);
    await eventually('revocation acknowledged', async () => (await e.api(e.ownerToken, 'GET', '/v1/grants/' + grant.body.grant.id)).body.status === 'revoked');
    await e.fleet.ask(lockId, 'scan ' + creds[0]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await e.fleet.ask(lockId, 'state')).bolt).toBe(1);
    const r = await enter(d.id);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await e.fleet.ask(lockId, 'door open');
    await e.fleet.ask(lockId, 'door close');
    await eventually('locked again', async () => (await e.fleet.ask(lockId, 'state')).bolt === 1);
  }, scaled(90_000));

  it('a jam on relock stops the motor, retries once and alarms the owner and the courier', async () => {
    const d = await book();
    await eventually('staged', async () => (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + d.id)).body.staged);
    expect((await enter(d.id)).status).toBe(200);
    await e.fleet.ask(lockId, 'jam 0.5');
    await e.fleet.ask(lockId, 'door open');
    await e.fleet.ask(lockId, 'door close');
    await eventually('jammed', async () => (await e.fleet.ask(lockId, 'state')).bolt === 5);
    const st = await e.fleet.ask(lockId, 'state');
    expect(st.motor).toBe(0);
    expect(st.longestRunMs).toBeLessThan(3500);
    await eventually('owner alarm', async () => ((await e.api(e.ownerToken, 'GET', '/v1/notifications')).body.items as Array<{ kind: string }>).some((n) => n.kind.includes('alarm') || n.kind.includes('jam')));
    await eventually('courier alarm', async () => {
      const del = (await e.api(e.world.courier.token, 'GET', '/v1/deliveries/' + d.id)).body;
      return (del.alarms ?? []).some((a: { name?: string; alarm?: string }) => (a.name ?? a.alarm) === 'JAM');
    });
    expect((await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body.status.flags.jammed).toBe(true);
    // Obstruction removed; the owner clears the alarm and locks from anywhere.
    await e.fleet.ask(lockId, 'jam clear');
    expect((await e.api(e.ownerToken, 'POST', '/v1/devices/' + lockId + '/alarms/clear', {})).status).toBe(200);
    const locked = await e.api(e.ownerToken, 'POST', '/v1/devices/' + lockId + '/lock');
    expect(locked.status, JSON.stringify(locked.body)).toBe(200);
    expect((await e.fleet.ask(lockId, 'state')).bolt).toBe(1);
  }, scaled(90_000));

  it('power loss: the lock reboots, re-reads the bolt from its switches, regains trusted time and keeps its log chain', async () => {
    await e.fleet.ask(lockId, 'power off');
    await eventually('offline at the relay', async () => !(await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body.online);
    await e.fleet.ask(lockId, 'power on');
    await allOnline(e);
    const v = (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body;
    expect(v.status.bolt).toBe('locked');
    await eventually('log chain intact after the reboot', async () => (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body.log?.state === 'ok');
  }, scaled(60_000));
});

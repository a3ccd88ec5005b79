/**
 * The lock and the relay converge through faults (docs/sync.md), across processes: the relay
 * process, the simulated locks running the real firmware, and this test as owner, guest,
 * backend and courier. Each case is a way the promise used to break.
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

const hour = 3600_000;
const window = () => ({ start: new Date(Date.now() - 60_000).toISOString(), end: new Date(Date.now() + 24 * hour).toISOString() });
const grantStatus = async (id: number) => (await e.api(e.ownerToken, 'GET', '/v1/grants/' + id)).body.status as string;
const device = async () => (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body;

async function guestGrant() {
  const g = await e.api(e.ownerToken, 'POST', '/v1/sites/' + e.world.siteId + '/grants', { kind: 'guest', type: 'temporary', label: 'Sam', deviceId: lockId, window: window() });
  expect(g.status, JSON.stringify(g.body)).toBe(201);
  return g.body as { grant: { id: number }; accessToken: string };
}

async function bolt(): Promise<number> {
  return (await e.fleet.ask(lockId, 'state')).bolt;
}

describe('convergence under faults', () => {
  it('a guest revoked while the lock had no power cannot get in after it reboots, and the revocation is confirmed', async () => {
    const g = await guestGrant();
    await eventually('grant active', async () => (await grantStatus(g.grant.id)) === 'active');
    const creds = (await e.api(g.accessToken, 'GET', '/v1/grant-access/credentials?count=2')).body.credentials as string[];
    await e.fleet.ask(lockId, 'power off');
    await eventually('relay sees the lock offline', async () => !(await device()).online);
    const revoked = await e.api(e.ownerToken, 'DELETE', '/v1/grants/' + g.grant.id);
    expect(revoked.status).toBe(200);
    expect(await grantStatus(g.grant.id)).toBe('revoking');
    await e.fleet.ask(lockId, 'power on');
    await eventually('revocation confirmed by the lock', async () => (await grantStatus(g.grant.id)) === 'revoked', 30_000);
    await allOnline(e);
    await e.fleet.ask(lockId, 'scan ' + creds[0]);
    await new Promise((r) => setTimeout(r, 800));
    expect(await bolt()).toBe(1);
    const grants = (await e.fleet.ask(lockId, 'state')) as { timeTrusted: boolean };
    expect(grants.timeTrusted).toBe(true);
    await eventually('lock and relay agree', async () => (await device()).sync.state === 'converged');
    expect((await device()).sync.grantIds).not.toContain(g.grant.id);
  }, scaled(90_000));

  it('a grant created while the lock is offline reaches it once it is back, instead of failing', async () => {
    await e.fleet.ask(lockId, 'power off');
    await eventually('relay sees the lock offline', async () => !(await device()).online);
    const g = await guestGrant();
    await e.fleet.ask(lockId, 'power on');
    await eventually('grant staged after the reboot', async () => (await grantStatus(g.grant.id)) === 'active', 30_000);
    await eventually('lock and relay agree', async () => {
      const d = await device();
      return d.sync.state === 'converged' && d.sync.grantIds.includes(g.grant.id);
    });
    const creds = (await e.api(g.accessToken, 'GET', '/v1/grant-access/credentials?count=1')).body.credentials as string[];
    await e.fleet.ask(lockId, 'scan ' + creds[0]);
    await eventually('unlocked for the guest', async () => (await bolt()) === 3 || (await bolt()) === 2);
    await eventually('relocked', async () => (await bolt()) === 1, 20_000);
  }, scaled(90_000));

  it('withdrawing a delivery partner withdraws its access: booked delivery cancelled, grant revoked on the lock, entry refused, site hidden', async () => {
    const now = Date.now();
    const booked = await e.api(e.world.backend.token, 'POST', '/v1/deliveries', {
      siteId: e.world.siteId, trackingNumber: 'TRK' + randomUUID().slice(0, 8), courierId: e.world.courier.id, inHome: true,
      window: { start: new Date(now - 60_000).toISOString(), end: new Date(now + hour).toISOString() }
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const id = booked.body.id as number;
    await eventually('staged', async () => (await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + id)).body.staged);
    const grants = (await e.api(e.ownerToken, 'GET', '/v1/sites/' + e.world.siteId + '/grants?all=true')).body.items as Array<{ id: number; deliveryId: number | null }>;
    const grantId = grants.find((g) => g.deliveryId === id)!.id;
    const withdrawn = await e.api(e.ownerToken, 'DELETE', '/v1/sites/' + e.world.siteId + '/partners/' + e.world.backend.id);
    expect(withdrawn.status).toBe(200);
    const entry = await e.api(e.world.courier.token, 'POST', '/v1/deliveries/' + id + '/entry', undefined, { 'idempotency-key': randomUUID() });
    expect(entry.status).toBe(403);
    expect(entry.body.error.code).toBe('KW_PARTNER_WITHDRAWN');
    expect(await bolt()).toBe(1);
    expect((await e.api(e.world.backend.token, 'GET', '/v1/deliveries/' + id)).status).toBe(404);
    expect((await e.api(e.world.backend.token, 'GET', '/v1/deliveries')).body.items).toEqual([]);
    expect((await e.api(e.ownerToken, 'GET', '/v1/deliveries/' + id)).body.status).toBe('cancelled');
    await eventually('courier grant revoked on the lock', async () => (await grantStatus(grantId)) === 'revoked');
    await eventually('lock and relay agree', async () => (await device()).sync.state === 'converged');
  }, scaled(90_000));

  it('the owner\'s lock settings reach the real firmware signed, survive a power cut without a resend, and the door-left-open alert follows them', async () => {
    const put = await e.api(e.ownerToken, 'PUT', '/v1/devices/' + lockId + '/settings', { autoLockS: 5, doorAjarS: 30, relockOnClose: false });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const rev = put.body.revision as number;
    const held = async () => ((await e.fleet.ask(lockId, 'state')) as { settings: { revision: number; autoLockS: number; doorAjarS: number; flags: number } }).settings;
    await eventually('the lock holds the settings', async () => (await held()).revision === rev, 30_000);
    expect(await held()).toEqual({ revision: rev, autoLockS: 5, doorAjarS: 30, flags: 0 });
    await eventually('the owner sees them applied', async () => (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId + '/settings')).body.state === 'applied');
    const sent = async () => ((await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId + '/commands')).body.items as Array<{ purpose: string }>)
      .filter((c) => c.purpose === 'settings_set').length;
    const before = await sent();

    await e.fleet.ask(lockId, 'power off');
    await eventually('relay sees the lock offline', async () => !(await device()).online);
    await e.fleet.ask(lockId, 'power on');
    await allOnline(e);
    await eventually('lock and relay agree after the reboot', async () => (await device()).sync.state === 'converged', 30_000);
    expect((await held()).revision).toBe(rev);
    expect(await sent()).toBe(before);

    let unlock = await e.api(e.ownerToken, 'POST', '/v1/devices/' + lockId + '/unlock');
    if (unlock.status === 502 && unlock.body.error.details?.reason === 'JAM') {
      // The simulated motor can stall when the machine is loaded (seen in 1 of 3 full-file runs);
      // this case is about the settings, so clear the jam as an owner would and unlock again.
      expect((await e.api(e.ownerToken, 'POST', '/v1/devices/' + lockId + '/alarms/clear', { alarm: 0 })).status).toBe(200);
      unlock = await e.api(e.ownerToken, 'POST', '/v1/devices/' + lockId + '/unlock');
    }
    expect(unlock.status, JSON.stringify(unlock.body)).toBe(200);
    await e.fleet.ask(lockId, 'door open');
    const opened = Date.now();
    const leftOpen = async () => ((await e.api(e.ownerToken, 'GET', '/v1/notifications')).body.items as Array<{ kind: string; body: { alarm?: string } }>)
      .some((n) => n.kind === 'alarm' && n.body.alarm === 'DOOR_AJAR');
    await eventually('the owner is told the door was left open', leftOpen, 60_000);
    // The configured 30 s, not the firmware's 120 s default.
    expect(Date.now() - opened).toBeGreaterThanOrEqual(29_000);
    expect(Date.now() - opened).toBeLessThan(100_000);
    await e.fleet.ask(lockId, 'door close');
  }, scaled(180_000));
});

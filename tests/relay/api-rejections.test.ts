/** Every API rejection path: credentials, kinds and scopes, ownership (404, never 403), validation, and the entry checks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookDelivery, expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';

describe('API rejections', () => {
  let h: Harness;
  let a: World;
  let b: World;
  let grantA: number;
  let deliveryA: number;

  beforeAll(async () => {
    h = await startRelay();
    a = await seedWorld(h);
    b = await seedWorld(h);
    const g = await expectOk(h.api('POST', `/v1/sites/${a.site.id}/grants`, {
      token: a.owner.token, body: { kind: 'guest', type: 'temporary', window: { start: new Date(h.clock.now() - 60_000).toISOString(), end: new Date(h.clock.now() + 3600_000).toISOString() } }
    }), 201);
    grantA = g.grant.id;
    deliveryA = (await bookDelivery(h, a)).id;
  });
  afterAll(async () => {
    await a.lock.close();
    await b.lock.close();
    await h.close();
  });

  const code = (r: { body: any }) => r.body?.error?.code;

  it('401 without credentials, with an unknown token, a malformed header, or after logout', async () => {
    expect(code(await h.api('GET', '/v1/sites'))).toBe('KW_UNAUTHORIZED');
    expect((await h.api('GET', '/v1/sites', { token: 'kw_owner_nope' })).status).toBe(401);
    expect((await h.api('GET', '/v1/sites', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    const login = await expectOk(h.api('POST', '/v1/auth/login', { body: { email: a.owner.email, password: a.owner.password } }));
    expect(login.token).toMatch(/^kw_owner_/);
    await expectOk(h.api('POST', '/v1/auth/logout', { token: login.token }));
    expect((await h.api('GET', '/v1/sites', { token: login.token })).status).toBe(401);
    const bad = await h.api('POST', '/v1/auth/login', { body: { email: a.owner.email, password: 'wrong password' } });
    expect(bad.status).toBe(401);
    expect(code(bad)).toBe('KW_LOGIN_FAILED');
    expect(code(await h.api('POST', '/v1/auth/login', { body: { email: 'nobody@example.test', password: 'whatever' } }))).toBe('KW_LOGIN_FAILED');
  });

  it('a session cookie works for pages and SSE (no token in URLs)', async () => {
    const res = await h.api('POST', '/v1/auth/login', { body: { email: a.owner.email, password: a.owner.password } });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/kw_session=kw_owner_.*HttpOnly; SameSite=Strict/);
    const me = await h.api('GET', '/v1/me', { headers: { cookie: cookie.split(';')[0] } });
    expect(me.body).toMatchObject({ kind: 'owner', id: a.owner.id });
  });

  it('403 for the wrong kind of principal or a missing scope', async () => {
    expect(code(await h.api('POST', '/v1/sites', { token: a.courier.token, body: { name: 'x', timezone: 'UTC' } }))).toBe('KW_FORBIDDEN');
    expect(code(await h.api('POST', '/v1/devices', { token: a.owner.token, body: { deviceId: '00000000000000aa', siteId: a.site.id, board: 'b', firmware: 'f' } }))).toBe('KW_FORBIDDEN');
    expect(code(await h.api('POST', '/v1/owners', { token: a.owner.token, body: { email: 'x@y.zz', name: 'x', password: '0123456789ab' } }))).toBe('KW_FORBIDDEN');
    expect(code(await h.api('POST', '/v1/deliveries', { token: a.installer, body: {} }))).toBe('KW_FORBIDDEN');
    const readOnly = await expectOk(h.api('POST', '/v1/backends', { token: h.admin, body: { name: 'reader', scopes: ['deliveries:read'] } }), 201);
    const r = await h.api('POST', '/v1/deliveries', { token: readOnly.token, body: { siteId: a.site.id, trackingNumber: 'X', courierId: a.courier.id, window: { start: new Date().toISOString(), end: new Date(Date.now() + 1e6).toISOString() }, inHome: true } });
    expect(r.status).toBe(403);
    expect(r.body.error.details.missingScope).toBe('deliveries:write');
    expect(code(await h.api('POST', '/v1/webhooks', { token: readOnly.token, body: { url: 'http://127.0.0.1:1/x', events: ['*'] } }))).toBe('KW_FORBIDDEN');
    expect(code(await h.api('POST', `/v1/deliveries/${deliveryA}/entry`, { token: readOnly.token, headers: { 'idempotency-key': 'ro-1' } }))).toBe('KW_FORBIDDEN');
    expect(code(await h.api('GET', '/v1/grant-access', { token: a.owner.token }))).toBe('KW_FORBIDDEN');
  });

  it("404, never 403, for another owner's site, lock, grant, activity, stream and delivery", async () => {
    const t = b.owner.token;
    for (const [m, url] of [
      ['GET', `/v1/sites/${a.site.id}`], ['PATCH', `/v1/sites/${a.site.id}`], ['GET', `/v1/sites/${a.site.id}/activity`], ['GET', `/v1/sites/${a.site.id}/stream`],
      ['GET', `/v1/sites/${a.site.id}/grants`], ['POST', `/v1/sites/${a.site.id}/grants`], ['GET', `/v1/devices/${a.deviceId}`], ['POST', `/v1/devices/${a.deviceId}/unlock`],
      ['POST', `/v1/devices/${a.deviceId}/lock`], ['GET', `/v1/devices/${a.deviceId}/events`], ['GET', `/v1/grants/${grantA}`], ['DELETE', `/v1/grants/${grantA}`],
      ['GET', `/v1/deliveries/${deliveryA}`], ['POST', `/v1/deliveries/${deliveryA}/block`], ['PUT', `/v1/sites/${a.site.id}/partners/${b.backend.id}`],
      ['GET', '/v1/sites/999999'], ['GET', '/v1/devices/ffffffffffffffff']
    ] as const) {
      const body = m === 'PATCH' ? { name: 'mine now' } : m === 'POST' && url.endsWith('/grants') ? { kind: 'guest', type: 'temporary', window: { start: new Date().toISOString(), end: new Date(Date.now() + 1e6).toISOString() } } : undefined;
      const r = await h.api(m, url, { token: t, body });
      expect(r.status, m + ' ' + url).toBe(404);
      expect(code(r)).toBe('KW_NOT_FOUND');
    }
    const list = await expectOk(h.api('GET', '/v1/sites', { token: t }));
    expect(list.items.map((s: any) => s.id)).toEqual([b.site.id]);
  });

  it('couriers see only their deliveries; backends only theirs and their partner sites', async () => {
    expect((await h.api('GET', `/v1/deliveries/${deliveryA}`, { token: b.courier.token })).status).toBe(404);
    expect((await h.api('POST', `/v1/deliveries/${deliveryA}/entry`, { token: b.courier.token, headers: { 'idempotency-key': 'steal-1' } })).status).toBe(404);
    expect((await h.api('GET', `/v1/deliveries/${deliveryA}`, { token: b.backend.token })).status).toBe(404);
    expect((await expectOk(h.api('GET', '/v1/deliveries', { token: b.courier.token }))).items).toEqual([]);
    const window = { start: new Date(h.clock.now()).toISOString(), end: new Date(h.clock.now() + 3600_000).toISOString() };
    const notPartner = await h.api('POST', '/v1/deliveries', { token: b.backend.token, body: { siteId: a.site.id, trackingNumber: 'T1', courierId: b.courier.id, window, inHome: true } });
    expect(notPartner.status).toBe(404);
    const foreignCourier = await h.api('POST', '/v1/deliveries', { token: a.backend.token, body: { siteId: a.site.id, trackingNumber: 'T1', courierId: b.courier.id, window, inHome: true } });
    expect(foreignCourier.status).toBe(404);
    expect(foreignCourier.body.error.details).toEqual({ field: 'courierId' });
  });

  it('400 for schema violations, unknown fields, bad JSON, bad time zones, windows and schedules; 413, 415 and unknown routes', async () => {
    const v = await h.api('POST', '/v1/sites', { token: a.owner.token, body: { name: 'x', timezone: 'UTC', pool: true } });
    expect(v.status).toBe(400);
    expect(v.body.error.code).toBe('KW_VALIDATION');
    expect(v.body.error.details.errors[0].message).toMatch(/additional properties/);
    expect(code(await h.api('POST', '/v1/sites', { token: a.owner.token, body: { name: 'x', timezone: 'Mars/Olympus' } }))).toBe('KW_BAD_TIMEZONE');
    expect(code(await h.api('POST', '/v1/sites', { token: a.owner.token, body: '{"name": ' }))).toBe('KW_BAD_JSON');
    expect((await h.api('POST', '/v1/sites', { token: a.owner.token, body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    expect((await h.api('POST', '/v1/sites', { token: a.owner.token, body: { name: 'x'.repeat(70_000), timezone: 'UTC' } })).status).toBe(413);
    expect(code(await h.api('GET', '/v1/nothing-here', { token: a.owner.token }))).toBe('KW_ROUTE_NOT_FOUND');
    expect(code(await h.api('GET', '/v1/sites/abc', { token: a.owner.token }))).toBe('KW_VALIDATION');
    const past = { start: new Date(h.clock.now() - 7200_000).toISOString(), end: new Date(h.clock.now() - 3600_000).toISOString() };
    expect(code(await h.api('POST', `/v1/sites/${a.site.id}/grants`, { token: a.owner.token, body: { kind: 'guest', type: 'temporary', window: past } }))).toBe('KW_BAD_WINDOW');
    const win = { start: new Date(h.clock.now()).toISOString(), end: new Date(h.clock.now() + 86400_000).toISOString() };
    expect(code(await h.api('POST', `/v1/sites/${a.site.id}/grants`, { token: a.owner.token, body: { kind: 'guest', type: 'weekly', window: win } }))).toBe('KW_BAD_SCHEDULE');
    expect(code(await h.api('POST', `/v1/sites/${a.site.id}/grants`, { token: a.owner.token, body: { kind: 'guest', type: 'weekly', window: win, schedule: [{ days: ['tue'], start: '12:00', end: '12:00' }] } }))).toBe('KW_BAD_SCHEDULE');
    expect(code(await h.api('POST', `/v1/sites/${a.site.id}/grants`, { token: a.owner.token, body: { kind: 'guest', type: 'weekly', window: win, schedule: [{ days: ['tue'], start: '25:00', end: '12:00' }] } }))).toBe('KW_VALIDATION');
    expect(code(await h.api('POST', '/v1/devices', { token: a.installer, body: { deviceId: 'XYZ', siteId: a.site.id, board: 'b', firmware: 'f' } }))).toBe('KW_VALIDATION');
    expect(code(await h.api('POST', '/v1/devices', { token: a.installer, body: { deviceId: 'aaaaaaaaaaaaaaaa', siteId: 999999, board: 'b', firmware: 'f' } }))).toBe('KW_NOT_FOUND');
    expect(code(await h.api('POST', '/v1/devices', { token: a.installer, body: { deviceId: a.deviceId, siteId: b.site.id, board: 'b', firmware: 'f' } }))).toBe('KW_DEVICE_CLAIMED');
  });

  it('entry checks: window, block, cancel, consent, in-home flag, offline lock, closed delivery', async () => {
    const entry = (id: number, key: string, token = a.courier.token) => h.api('POST', `/v1/deliveries/${id}/entry`, { token, headers: { 'idempotency-key': key } });
    const later = await bookDelivery(h, a, { startInMs: 3600_000, waitStaged: false });
    const r1 = await entry(later.id, 'k-later');
    expect(r1.status).toBe(403);
    expect(r1.body.error).toMatchObject({ code: 'KW_OUTSIDE_WINDOW', mayHaveRun: false });

    const blocked = await bookDelivery(h, a);
    await expectOk(h.api('POST', `/v1/deliveries/${blocked.id}/block`, { token: a.owner.token, body: { reason: 'not today' } }));
    expect(code(await entry(blocked.id, 'k-blocked'))).toBe('KW_DELIVERY_BLOCKED');
    await waitUntil(() => a.lock.revoked.includes(blocked.grantId ?? -1) || a.lock.commands.some((c) => c.action === 0x11), 3000, 'revoke on block');
    const unblocked = await expectOk(h.api('POST', `/v1/deliveries/${blocked.id}/unblock`, { token: a.owner.token }));
    expect(unblocked.status).toBe('booked');

    const cancelled = await bookDelivery(h, a);
    await expectOk(h.api('POST', `/v1/deliveries/${cancelled.id}/cancel`, { token: a.backend.token }));
    expect(code(await entry(cancelled.id, 'k-cancel'))).toBe('KW_DELIVERY_CANCELLED');

    const outside = await bookDelivery(h, a, { inHome: false, waitStaged: false });
    expect(outside.staged).toBe(false);
    expect(code(await entry(outside.id, 'k-doorstep'))).toBe('KW_IN_HOME_NOT_ALLOWED');

    await expectOk(h.api('PATCH', `/v1/sites/${a.site.id}`, { token: a.owner.token, body: { allowInHomeDelivery: false } }));
    const noConsent = await bookDelivery(h, a, { waitStaged: false });
    expect(code(await entry(noConsent.id, 'k-consent'))).toBe('KW_IN_HOME_NOT_ALLOWED');
    await expectOk(h.api('PATCH', `/v1/sites/${a.site.id}`, { token: a.owner.token, body: { allowInHomeDelivery: true } }));

    const done = await bookDelivery(h, a);
    expect((await entry(done.id, 'k-done')).status).toBe(200);
    a.lock.openDoor();
    a.lock.closeDoor();
    await waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + done.id, { token: a.courier.token })).body.status === 'secured', 3000, 'secured');
    expect(code(await entry(done.id, 'k-done-2'))).toBe('KW_DELIVERY_CLOSED');

    await a.lock.disconnect();
    await waitUntil(async () => !(await h.api('GET', '/v1/devices/' + a.deviceId, { token: a.owner.token })).body.online, 3000, 'offline');
    const off = await entry(deliveryA, 'k-offline');
    expect(off.status).toBe(503);
    expect(off.body.error).toMatchObject({ code: 'KW_LOCK_OFFLINE', mayHaveRun: false });
    await a.lock.connect();
    const feed = await expectOk(h.api('GET', `/v1/sites/${a.site.id}/activity?kind=entry.refused`, { token: a.owner.token }));
    expect(feed.items.map((i: any) => i.reason)).toEqual(expect.arrayContaining(['KW_OUTSIDE_WINDOW', 'KW_DELIVERY_BLOCKED', 'KW_LOCK_OFFLINE', 'KW_IN_HOME_NOT_ALLOWED']));
  });
});

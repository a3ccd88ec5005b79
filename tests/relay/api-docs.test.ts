/**
 * docs/relay-api.md against the running relay: every API route is documented, what the
 * conventions promise about bodies holds, POST /v1/installers needs a label, and a backend can
 * list its partner sites' locks (and only those) to book on a site with several doors.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLock, expectOk, seedWorld, startRelay, type Harness, type World } from '../support/relay-harness';

const doc = readFileSync(path.join(__dirname, '../../docs/relay-api.md'), 'utf8');
const code = (r: { body: any }) => r.body?.error?.code;

describe('relay API documentation matches behaviour', () => {
  let h: Harness;
  let a: World;
  let b: World;
  beforeAll(async () => {
    h = await startRelay();
    a = await seedWorld(h, { connect: false });
    b = await seedWorld(h, { connect: false });
  });
  afterAll(async () => {
    await a.lock.close();
    await b.lock.close();
    await h.close();
  });

  it('documents every API route the relay serves', async () => {
    const openapi = (await expectOk(h.api('GET', '/docs/json'))) as { paths: Record<string, Record<string, unknown>> };
    const undocumented: string[] = [];
    for (const [p, methods] of Object.entries(openapi.paths)) {
      if (!p.startsWith('/v1/') && p !== '/healthz' && p !== '/metrics') continue;
      const route = p.replace(/\{(\w+)\}/g, ':$1');
      const rows = doc.split('\n').filter((l) => l.startsWith('|') && l.includes('`' + route + '`') || l.includes('`' + route + '?'));
      for (const m of Object.keys(methods)) {
        if (!rows.some((row) => row.split('|')[1].toUpperCase().includes(m.toUpperCase()))) undocumented.push(m.toUpperCase() + ' ' + route);
      }
    }
    expect(undocumented).toEqual([]);
  });

  it('treats an empty application/json body as no body, and a non-JSON body as KW_BAD_JSON', async () => {
    const empty = { headers: { 'content-type': 'application/json' }, body: '' };
    const logout = await h.api('POST', '/v1/auth/logout', { token: a.courier.token, ...empty });
    expect(logout.status).toBe(200);
    const site = await h.api('POST', '/v1/sites', { token: a.owner.token, ...empty });
    expect(site.status).toBe(400);
    expect(code(site)).toBe('KW_VALIDATION');
    expect(code(await h.api('POST', '/v1/sites', { token: a.owner.token, body: '{"name": ' }))).toBe('KW_BAD_JSON');
    expect(doc).toContain('an empty body sent as `application/json`, is treated as');
  });

  it('POST /v1/installers requires a label, as documented', async () => {
    const r = await h.api('POST', '/v1/installers', { token: h.admin, body: {} });
    expect(r.status).toBe(400);
    expect(code(r)).toBe('KW_VALIDATION');
    expect(doc).toMatch(/`\/v1\/installers` \| admin \| Create an installer token: `\{ label \}` \(required/);
    expect((await h.api('POST', '/v1/installers', { token: h.admin, body: { label: 'van 2' } })).status).toBe(201);
  });

  it("lets a backend list its partner sites' lock ids and book on the door it names", async () => {
    const second = await addLock(h, a.installer, a.site.id, 'door', {}, false);
    const list = await expectOk(h.api('GET', '/v1/partner-sites', { token: a.backend.token }));
    expect(list.items.map((s: any) => s.id)).toEqual([a.site.id]);
    const site = list.items[0];
    expect(site.locks.map((l: any) => l.deviceId).sort()).toEqual([a.deviceId, second.deviceId].sort());
    expect(site.locks[0]).toEqual({ deviceId: expect.stringMatching(/^[0-9a-f]{16}$/), name: null, profile: 'door', online: false });
    expect(code(await h.api('GET', `/v1/partner-sites/${b.site.id}`, { token: a.backend.token }))).toBe('KW_NOT_FOUND');
    expect(code(await h.api('GET', '/v1/partner-sites', { token: a.owner.token }))).toBe('KW_FORBIDDEN');
    const one = await expectOk(h.api('GET', `/v1/partner-sites/${a.site.id}`, { token: a.backend.token }));
    expect(one).toEqual(site);
    const start = h.clock.now() + 3600_000;
    const booked = await h.api('POST', '/v1/deliveries', {
      token: a.backend.token,
      body: { siteId: a.site.id, deviceId: second.deviceId, trackingNumber: '1ZDOCS', courierId: a.courier.id, inHome: true, window: { start: new Date(start).toISOString(), end: new Date(start + 3600_000).toISOString() } }
    });
    expect(booked.status).toBe(201);
    expect(booked.body.deviceId).toBe(second.deviceId);
    await second.lock.close();
  });
});

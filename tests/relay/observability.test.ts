/** Logs (structured, secrets redacted and never written), Prometheus metrics, OpenAPI docs, health. */
import { describe, expect, it } from 'vitest';
import { bookDelivery, expectOk, useWorld, waitUntil, type Harness, type World } from '../support/relay-harness';

const METRICS_TOKEN = 'kw_metrics_scraper_test_token';

describe('observability', () => {
  let h: Harness;
  let w: World;
  const secrets: string[] = [];
  useWorld((hh, ww) => {
    h = hh;
    w = ww;
    secrets.push(h.admin, w.owner.password, w.owner.token, w.installer, w.backend.token, w.courier.token, w.registration.mqtt.password);
  }, { metricsToken: METRICS_TOKEN, webhooks: { allowPrivateTargets: true } });

  it('never writes a secret to the log, across a full delivery, a guest grant and a webhook', async () => {
    const hook = await expectOk(h.api('POST', '/v1/webhooks', { token: w.backend.token, body: { url: 'http://127.0.0.1:9/unreachable', events: ['*'] } }), 201);
    secrets.push(hook.secret);
    const d = await bookDelivery(h, w);
    expect((await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'obs-1' } })).status).toBe(200);
    w.lock.openDoor();
    w.lock.closeDoor();
    const g = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, {
      token: w.owner.token, body: { kind: 'guest', type: 'temporary', window: { start: new Date(h.clock.now() - 1000).toISOString(), end: new Date(h.clock.now() + 86400_000).toISOString() } }
    }), 201);
    secrets.push(g.accessToken);
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + g.grant.id, { token: w.owner.token })).body.status === 'active', 3000);
    const creds = await expectOk(h.api('GET', '/v1/grant-access/credentials?count=2', { token: g.accessToken }));
    for (const c of creds.credentials) secrets.push(c.split(':')[2]);
    expect((await h.api('POST', '/v1/grant-access/entry', { token: g.accessToken })).status).toBe(200);
    await h.api('POST', '/v1/auth/session', { body: { token: w.courier.token } });
    await h.api('GET', '/v1/sites', { token: 'kw_owner_' + 'x'.repeat(43) });
    const seeds = (await h.relay.ctx.store.q.selectFrom('grants').select('chain_seed').where('chain_seed', 'is not', null).execute()) as { chain_seed: string }[];
    expect(seeds.length).toBeGreaterThan(0);
    for (const s of seeds) {
      // Sealed at rest: the database holds no seed in the clear.
      expect(s.chain_seed.startsWith('kwenc1:')).toBe(true);
      const plain = h.relay.ctx.box.open(s.chain_seed, 'grants.chain_seed');
      expect(plain).toMatch(/^[0-9a-f]{64}$/);
      secrets.push(plain, s.chain_seed);
    }
    await waitUntil(() => h.logs.some((l) => l.includes('webhook failed, will retry')), 3000, 'webhook attempt');

    expect(secrets.length).toBeGreaterThan(10);
    const all = h.logs.join('\n');
    for (const s of secrets) expect(all.includes(s), 'secret leaked: ' + s.slice(0, 12)).toBe(false);
    for (const l of h.logs) expect(() => JSON.parse(l)).not.toThrow();

    const entry = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'lock answered entry' && l.kind === 'courier');
    expect(entry).toMatchObject({ level: 30, service: 'keyway-relay', deviceId: w.deviceId, method: 'reveal', outcome: 'opened', deliveryId: d.id });
    expect(typeof entry.latencyMs).toBe('number');
    const signed = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'command signed' && l.action === 'GRANT_PUT');
    expect(signed).toMatchObject({ deviceId: w.deviceId, purpose: 'grant_put' });
    expect(typeof signed.counter).toBe('number');
  });

  it('redacts secret fields and Authorization headers if code ever logs them', () => {
    h.relay.log.info({ password: 'hunter2-password', token: 'kw_owner_leak', seed: 'c0ffee', req: { headers: { authorization: 'Bearer kw_leak' } }, nested: { secret: 'whsec_leak' } }, 'redaction probe');
    const line = h.logs.find((l) => l.includes('redaction probe'))!;
    expect(line).not.toMatch(/hunter2|kw_owner_leak|c0ffee|kw_leak|whsec_leak/);
    expect(JSON.parse(line).password).toBe('[redacted]');
  });

  it('logs each request once: a refusal at info with its route and status, a success only at debug', async () => {
    const lines = (from: number) => h.logs.slice(from).map((l) => JSON.parse(l)).filter((l) => l.component === 'http');
    const wrongToken = 'kw_owner_' + 'y'.repeat(43);
    const atDebug = h.logs.length;
    expect((await h.api('GET', '/v1/sites', { token: w.owner.token })).status).toBe(200);
    expect((await h.api('GET', '/v1/sites', { token: wrongToken })).status).toBe(401);
    await waitUntil(() => lines(atDebug).length === 2, 3000, 'two request lines');
    expect(lines(atDebug)).toMatchObject([
      { level: 20, msg: 'request', method: 'GET', route: '/v1/sites', status: 200 },
      { level: 30, msg: 'request refused or failed', method: 'GET', route: '/v1/sites', status: 401 }
    ]);
    expect(typeof lines(atDebug)[0].ms).toBe('number');
    // At info a successful request builds no log line at all; the refusal still gets one.
    const level = h.relay.log.level;
    h.relay.log.level = 'info';
    try {
      const atInfo = h.logs.length;
      expect((await h.api('GET', '/v1/sites', { token: w.owner.token })).status).toBe(200);
      expect((await h.api('GET', '/v1/nowhere?token=' + wrongToken, { token: w.owner.token })).status).toBe(404);
      await waitUntil(() => lines(atInfo).length >= 1, 3000, 'the refusal line');
      expect(lines(atInfo)).toHaveLength(1);
      expect(lines(atInfo)[0]).toMatchObject({ level: 30, route: 'unknown', status: 404, url: '/v1/nowhere?token=[redacted]' });
    } finally {
      h.relay.log.level = level;
    }
    expect(h.logs.join('\n')).not.toContain('y'.repeat(43));
  });

  it('serves Prometheus metrics only to the admin or the metrics token', async () => {
    expect((await h.api('GET', '/metrics')).status).toBe(401);
    expect((await h.api('GET', '/metrics', { token: 'kw_wrong_metrics_token' })).status).toBe(401);
    expect((await h.api('GET', '/metrics', { token: w.owner.token })).status).toBe(403);
    expect((await h.api('GET', '/metrics', { token: METRICS_TOKEN })).status).toBe(200);
    const res = await h.api('GET', '/metrics', { token: h.admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = res.body as string;
    expect(text).toMatch(/keyway_authorizations_total\{kind="courier",outcome="granted"\} \d+/);
    expect(text).toMatch(/keyway_entry_latency_seconds_bucket\{le="0.5",method="reveal",outcome="opened"\} \d+/);
    expect(text).toMatch(/keyway_connected_locks 1/);
    expect(text).toMatch(/keyway_webhook_failures_total [1-9]/);
    expect(text).toMatch(/keyway_lock_events_total\{type="ACK"\} \d+/);
  });

  it('serves OpenAPI at /docs/json and Swagger UI at /docs; every API route has a schema', async () => {
    expect((await h.api('GET', '/docs')).status).toBeLessThan(400);
    const ui = await fetch(h.base + '/docs/static/index.html');
    expect(ui.status).toBe(200);
    const spec = (await h.api('GET', '/docs/json')).body;
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.paths['/v1/deliveries/{id}/entry'].post.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['id', 'idempotency-key']));
    for (const [p, ops] of Object.entries<any>(spec.paths)) {
      if (!p.startsWith('/v1/')) continue;
      for (const [m, op] of Object.entries<any>(ops)) {
        expect(op.summary, m + ' ' + p).toBeTruthy();
        if (m === 'post' || m === 'patch') expect(op.requestBody, m + ' ' + p).toBeTruthy();
        if (p.includes('{')) expect(op.parameters?.length, m + ' ' + p).toBeGreaterThan(0);
      }
    }
    expect(Object.keys(spec.paths).filter((p) => p.startsWith('/v1/')).length).toBeGreaterThan(30);
  });

  it('reports health', async () => {
    expect((await expectOk(h.api('GET', '/healthz')))).toMatchObject({ status: 'ok', connectedLocks: 1 });
  });
});

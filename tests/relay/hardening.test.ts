/**
 * The relay's outside surface under hostile input: credential guessing is rate limited per
 * account and per address (429 KW_RATE_LIMITED), a malformed session cookie is a 401, webhooks
 * and ntfy push cannot target loopback / link-local / private / unspecified addresses, /metrics needs a token
 * (tests/relay/observability.test.ts), API types are never coerced, ALARM events carry alarm
 * names, and the relay's secret files are owner-only.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { AL_MOTOR_FAULT } from '@keyway/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';

const code = (r: { body: any }) => r.body?.error?.code;
const WINDOW_MS = 60_000;

describe('login and token exchange rate limits', () => {
  let h: Harness;
  let w: World;
  beforeAll(async () => {
    h = await startRelay({ authLimits: { windowMs: WINDOW_MS, perAccount: 3, perAddress: 12 } });
    w = await seedWorld(h, { connect: false });
  });
  afterAll(async () => {
    await w.lock.close();
    await h.close();
  });

  const login = (email: string, password: string) => h.api('POST', '/v1/auth/login', { body: { email, password } });

  it('locks an account after its failed logins (even the right password), per account, until the window passes', async () => {
    for (let i = 0; i < 3; i++) expect(code(await login(w.owner.email, 'wrong password ' + i))).toBe('KW_LOGIN_FAILED');
    const limited = await login(w.owner.email.toUpperCase(), w.owner.password);
    expect(limited.status).toBe(429);
    expect(code(limited)).toBe('KW_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_MS / 1000);
    expect(code(await login('someone-else@example.test', 'wrong'))).toBe('KW_LOGIN_FAILED');
    h.clock.advance(WINDOW_MS + 1000);
    expect((await login(w.owner.email, w.owner.password)).status).toBe(200);
  });

  it('a successful login is never counted', async () => {
    h.clock.advance(WINDOW_MS + 1000);
    for (let i = 0; i < 13; i++) expect((await login(w.owner.email, w.owner.password)).status).toBe(200);
  });

  it('cuts a parallel burst of wrong logins from one address off at the limit, before scrypt runs', async () => {
    h.clock.advance(WINDOW_MS + 1000);
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => login(`guess${i}@example.test`, 'wrong')));
    const failed = all.filter((r) => code(r) === 'KW_LOGIN_FAILED').length;
    const limited = all.filter((r) => code(r) === 'KW_RATE_LIMITED').length;
    expect(failed).toBe(12);
    expect(limited).toBe(28);
    expect(code(await h.api('POST', '/v1/auth/session', { body: { token: w.courier.token } }))).toBe('KW_RATE_LIMITED');
  });

  it('limits token guessing on the token → cookie exchange per address', async () => {
    h.clock.advance(WINDOW_MS + 1000);
    for (let i = 0; i < 12; i++) expect(code(await h.api('POST', '/v1/auth/session', { body: { token: 'kw_courier_guess_' + i } }))).toBe('KW_UNAUTHORIZED');
    expect(code(await h.api('POST', '/v1/auth/session', { body: { token: w.courier.token } }))).toBe('KW_RATE_LIMITED');
    h.clock.advance(WINDOW_MS + 1000);
    expect((await h.api('POST', '/v1/auth/session', { body: { token: w.courier.token } })).status).toBe(200);
  });
});

describe('relay surface', () => {
  let h: Harness;
  let w: World;
  beforeAll(async () => {
    h = await startRelay();
    w = await seedWorld(h);
  });
  afterAll(async () => {
    await w.lock.close();
    await h.close();
  });

  it('answers 401, not 500, to a session cookie that is not valid percent-encoding', async () => {
    for (const bad of ['%E0%A4%A', '%', '%zz']) {
      const r = await h.api('GET', '/v1/me', { headers: { cookie: 'kw_session=' + bad } });
      expect(r.status, bad).toBe(401);
      expect(code(r)).toBe('KW_UNAUTHORIZED');
    }
    expect(h.logs.some((l) => l.includes('unhandled error'))).toBe(false);
  });

  it('refuses webhook targets on loopback, link-local, private, shared and unspecified addresses, literal or resolved', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook', 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/h', 'http://172.16.0.9/h', 'http://192.168.1.10/h',
      'http://100.64.0.1/h', 'http://0.0.0.0:80/h', 'http://[::1]/h', 'http://[::]/h', 'http://[fe80::1]/h', 'http://[fd00::1]/h',
      'http://[::ffff:127.0.0.1]/h', 'http://2130706433/h', 'http://0x7f.1/h', 'http://localhost:9/h'
    ]) {
      const r = await h.api('POST', '/v1/webhooks', { token: w.backend.token, body: { url, events: ['*'] } });
      expect(r.status, url).toBe(400);
      expect(code(r), url).toBe('KW_WEBHOOK_TARGET');
    }
    const ok = await h.api('POST', '/v1/webhooks', { token: w.backend.token, body: { url: 'https://93.184.216.34/hook', events: ['*'] } });
    expect(ok.status).toBe(201);
  });

  it('refuses ntfy push addresses the same way (the relay POSTs to them) and keeps the settings as they were', async () => {
    const path = '/v1/me/notification-settings';
    const before = await expectOk(h.api('GET', path, { token: w.owner.token }));
    for (const url of ['http://127.0.0.1:8080/topic', 'http://169.254.169.254/latest', 'http://192.168.1.10/door', 'http://[::1]/t', 'http://localhost:9/t']) {
      const r = await h.api('PUT', path, { token: w.owner.token, body: { ntfy: { enabled: true, url } } });
      expect(r.status, url).toBe(400);
      expect(code(r), url).toBe('KW_PUSH_TARGET');
    }
    expect(await expectOk(h.api('GET', path, { token: w.owner.token }))).toEqual(before);
    const ok = await h.api('PUT', path, { token: w.owner.token, body: { ntfy: { enabled: true, url: 'https://93.184.216.34/front-door' } } });
    expect(ok.status).toBe(200);
  });

  it('does not coerce types: a number for a string, a hex or padded id, a non-integer query are 400', async () => {
    const t = w.owner.token;
    expect(code(await h.api('POST', '/v1/sites', { token: t, body: { name: 123, timezone: 'UTC' } }))).toBe('KW_VALIDATION');
    expect(code(await h.api('PATCH', `/v1/sites/${w.site.id}`, { token: t, body: { allowInHomeDelivery: 'true' } }))).toBe('KW_VALIDATION');
    for (const bad of ['0x1', '1e0', '+1', '01', ' 1', '1.0', String(w.site.id) + '.0']) {
      const r = await h.api('GET', '/v1/sites/' + encodeURIComponent(bad), { token: t });
      expect(r.status, bad).toBe(400);
      expect(code(r), bad).toBe('KW_VALIDATION');
    }
    expect((await h.api('GET', `/v1/sites/${w.site.id}`, { token: t })).status).toBe(200);
    expect(code(await h.api('GET', `/v1/devices/${w.deviceId}/events?limit=ten`, { token: t }))).toBe('KW_VALIDATION');
    expect(code(await h.api('GET', `/v1/devices/${w.deviceId}/events?limit=0x10`, { token: t }))).toBe('KW_VALIDATION');
    expect((await h.api('GET', `/v1/devices/${w.deviceId}/events?limit=10`, { token: t })).status).toBe(200);
    expect((await h.api('GET', `/v1/sites/${w.site.id}/grants?all=true`, { token: t })).status).toBe(200);
    expect(code(await h.api('GET', `/v1/sites/${w.site.id}/grants?all=1`, { token: t }))).toBe('KW_VALIDATION');
  });

  it('labels an ALARM event in the device log with the alarm name, not the reason with the same number', async () => {
    w.lock.alarm(AL_MOTOR_FAULT);
    const alarm = await waitUntil(async () => {
      const items = (await expectOk(h.api('GET', `/v1/devices/${w.deviceId}/events`, { token: w.owner.token }))).items as any[];
      return items.find((e) => e.type === 'ALARM' && e.code === AL_MOTOR_FAULT);
    }, 5000, 'alarm stored');
    expect(alarm.reason).toBe('MOTOR_FAULT');
  });

  it('keeps the relay secret files owner-only', () => {
    // On PostgreSQL there is no database file (and no key directory) in the data directory.
    const files = h.relay.ctx.store.dialect === 'sqlite' ? ['admin-token', 'keyway.sqlite'] : ['admin-token'];
    for (const f of files) expect(statSync(path.join(h.dir, f)).mode & 0o777, f).toBe(0o600);
    expect(statSync(h.dir).mode & 0o077).toBe(0);
  });
});

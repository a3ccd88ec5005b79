/**
 * Owner notifications that reach a person with the page closed: e-mail through a real SMTP
 * exchange with a local sink (tests/support/smtp-sink.ts) and an ntfy-compatible HTTP
 * publish to a local endpoint, for the events the owner chose and no others. What was
 * received is written to test-artifacts/notifications/ for people to read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AL_DOOR_AJAR } from '@keyway/shared';
import { NOTIFY_EVENTS, REVOCATION_CONFIRM_WAIT_MS, smtpFromEnv } from '@keyway/relay';
import { countRows, bookDelivery, expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';
import { decodeQuotedPrintable, startSmtpSink, type SinkMessage, type SmtpSink } from '../support/smtp-sink';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/notifications/', import.meta.url));
const NTFY_TOKEN = 'tk_' + 'n'.repeat(29);

interface Published { path: string; headers: IncomingHttpHeaders; body: string }

function ntfyEndpoint(failFirst: number): Promise<{ server: Server; url: string; hits: Published[]; refused: () => number }> {
  const hits: Published[] = [];
  let refused = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (refused < failFirst) {
        refused++;
        res.writeHead(503).end();
        return;
      }
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"x"}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    resolve({ server, url: `http://127.0.0.1:${port}/keyway-home`, hits, refused: () => refused });
  }));
}

/** ntfy titles arrive as RFC 2047 base64 words (header values are Latin-1). */
function title(p: Published): string {
  const m = /^=\?UTF-8\?B\?([^?]*)\?=$/.exec(String(p.headers.title));
  return m ? Buffer.from(m[1], 'base64').toString('utf8') : String(p.headers.title);
}

const text = (m: SinkMessage) => decodeQuotedPrintable(m.body);

describe('owner notifications by e-mail (SMTP) and ntfy push', () => {
  let h: Harness;
  let w: World;
  let sink: SmtpSink;
  let ntfy: Awaited<ReturnType<typeof ntfyEndpoint>>;
  const mailWith = (subject: string): Promise<SinkMessage> => waitUntil(() => sink.messages.find((m) => m.headers.subject?.startsWith(subject)), 8000, 'mail ' + subject) as Promise<SinkMessage>;
  const pushWith = (t: string): Promise<Published> => waitUntil(() => ntfy.hits.find((p) => title(p).startsWith(t)), 8000, 'push ' + t) as Promise<Published>;

  beforeAll(async () => {
    [sink, ntfy] = await Promise.all([startSmtpSink(), ntfyEndpoint(1)]);
    h = await startRelay({
      notifications: { smtp: { host: '127.0.0.1', port: sink.port, from: 'keyway <keyway@home.test>' }, publicUrl: 'http://keyway.home.test', pollMs: 50, baseBackoffMs: 100 },
      // The ntfy endpoint is on loopback.
      webhooks: { allowPrivateTargets: true }
    });
    w = await seedWorld(h);
  });

  afterAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(ARTIFACTS + 'mail.txt', sink?.messages.map((m) => `From: ${m.from}\nTo: ${m.to.join(', ')}\nSubject: ${m.headers.subject}\n\n${text(m)}`).join('\n-----\n') ?? '');
    writeFileSync(ARTIFACTS + 'ntfy.txt', ntfy?.hits.map((p) => `POST ${p.path}\nTitle: ${title(p)}\nPriority: ${p.headers.priority}\nClick: ${p.headers.click}\n\n${p.body}`).join('\n-----\n') ?? '');
    await w?.lock.close();
    await h?.close();
    await sink?.close();
    ntfy?.server.close();
  });

  it('starts with every event chosen and no channel on, and validates what the owner sends', async () => {
    const s = await expectOk(h.api('GET', '/v1/me/notification-settings', { token: w.owner.token }));
    expect(s).toMatchObject({ email: { enabled: false, address: w.owner.email, available: true }, ntfy: { enabled: false, url: null, tokenSet: false } });
    expect(s.events).toEqual([...NOTIFY_EVENTS]);
    expect(s.choices.map((c: any) => c.event)).toEqual([...NOTIFY_EVENTS]);
    const badUrl = await h.api('PUT', '/v1/me/notification-settings', { token: w.owner.token, body: { ntfy: { enabled: true, url: 'ftp://ntfy.example/x' } } });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.code).toBe('KW_VALIDATION');
    const badEvent = await h.api('PUT', '/v1/me/notification-settings', { token: w.owner.token, body: { events: ['everything'] } });
    expect(badEvent.status).toBe(400);
    const courier = await h.api('GET', '/v1/me/notification-settings', { token: w.courier.token });
    expect(courier.status).toBe(403);
  });

  it('mails and pushes "delivery inside" when the door opens, not on the unlock, and skips the event the owner left out', async () => {
    const chosen = NOTIFY_EVENTS.filter((e) => e !== 'delivery.secured');
    const s = await expectOk(h.api('PUT', '/v1/me/notification-settings', {
      token: w.owner.token, body: { email: { enabled: true }, ntfy: { enabled: true, url: ntfy.url, token: NTFY_TOKEN }, events: chosen }
    }));
    expect(s.ntfy).toEqual({ enabled: true, url: ntfy.url, tokenSet: true });
    expect(JSON.stringify(s)).not.toContain(NTFY_TOKEN);

    const d = await bookDelivery(h, w);
    const entry = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'n-' + d.id } });
    expect(entry.status, JSON.stringify(entry.body)).toBe(200);
    const queuedAfterUnlock = await h.relay.ctx.store.q.selectFrom('notification_sends as s').innerJoin('notifications as n', 'n.id', 's.notification_id')
      .select((eb) => eb.fn.countAll<number>().as('n')).where('n.delivery_id', '=', d.id).executeTakeFirstOrThrow();
    expect(Number(queuedAfterUnlock.n)).toBe(0);

    w.lock.openDoor();
    const mail = await mailWith('Delivery inside');
    expect(mail.from).toBe('keyway@home.test');
    expect(mail.to).toEqual([w.owner.email]);
    expect(mail.headers['x-keyway-notification']).toBe('delivery.entered');
    expect(text(mail)).toMatch(new RegExp(`Courier \\d+ \\(Parcels Inc \\d+\\) opened the lock to deliver ${d.trackingNumber}`));
    expect(text(mail)).toContain('Open keyway: http://keyway.home.test/?site=' + w.site.id);
    const push = await pushWith('Delivery inside');
    expect(ntfy.refused()).toBe(1);
    expect(push.path).toBe('/keyway-home');
    expect(push.headers.authorization).toBe('Bearer ' + NTFY_TOKEN);
    expect(push.headers.priority).toBe('4');
    expect(push.body).toContain(d.trackingNumber);

    w.lock.closeDoor();
    const secured = (await waitUntil(() => h.relay.ctx.store.q.selectFrom('notifications').select('id').where('delivery_id', '=', d.id).where('kind', '=', 'delivery.secured').executeTakeFirst(),
      5000, 'secured notification'))!;
    expect(await countRows(h, 'notification_sends', { notification_id: secured.id })).toBe(0);
  });

  it('pushes door left open, a guest using their access, low battery once, and a revocation the lock has not confirmed', async () => {
    w.lock.openDoor();
    w.lock.alarm(AL_DOOR_AJAR);
    expect(text(await mailWith('Door left open'))).toContain('stayed open');
    await pushWith('Door left open');
    w.lock.closeDoor();

    const start = h.clock.now() - 60_000;
    const window = { start: new Date(start).toISOString(), end: new Date(start + 86400_000).toISOString() };
    const g = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token, body: { kind: 'service', type: 'temporary', label: 'Dog walker', window } }), 201);
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + g.grant.id, { token: w.owner.token })).body.status === 'active', 3000, 'grant staged');
    expect((await h.api('POST', '/v1/grant-access/entry', { token: g.accessToken })).status).toBe(200);
    expect(text(await mailWith('Dog walker came in'))).toContain('Dog walker (service provider) opened the lock.');
    w.lock.closeDoor();

    w.lock.batteryMv = 4500;
    await w.lock.publishStatus();
    expect(text(await mailWith('Low battery'))).toContain('reports a low battery (about 5 %)');
    await w.lock.publishStatus();
    await waitUntil(async () => (await h.relay.ctx.store.q.selectFrom('devices').select('status_at').where('id', '=', w.deviceId).executeTakeFirst())?.status_at, 2000);
    expect(await countRows(h, 'notifications', { kind: 'lock.low_battery' })).toBe(1);

    w.lock.answer = false;
    expect((await h.api('DELETE', '/v1/grants/' + g.grant.id, { token: w.owner.token })).status).toBe(200);
    await h.relay.maintain();
    expect(sink.messages.some((m) => m.headers.subject?.startsWith('Revocation not confirmed'))).toBe(false);
    h.clock.advance(REVOCATION_CONFIRM_WAIT_MS + 1000);
    await h.relay.maintain();
    await h.relay.maintain();
    expect(text(await mailWith('Revocation not confirmed'))).toContain('"Dog walker"');
    expect(await countRows(h, 'notifications', { kind: 'grant.revocation_unconfirmed' })).toBe(1);
    w.lock.answer = true;
    h.clock.advance(-(REVOCATION_CONFIRM_WAIT_MS + 1000));
  });

  it('tells the owner a lock went offline, sends a test on request, and never logs the ntfy token', async () => {
    await w.lock.close();
    expect(text(await mailWith('The lock is offline'))).toContain('lost its connection');
    const t = await expectOk(h.api('POST', '/v1/me/notification-settings/test', { token: w.owner.token }));
    expect(t.queued).toBe(2);
    await mailWith('Test notification from keyway');
    await pushWith('Test notification from keyway');
    expect(h.logs.some((l) => l.includes(NTFY_TOKEN))).toBe(false);
    expect(h.logs.some((l) => l.includes('"msg":"notification sent"'))).toBe(true);
  });

  it('reads SMTP settings from the environment', () => {
    expect(smtpFromEnv({})).toBeNull();
    expect(smtpFromEnv({ KEYWAY_SMTP_HOST: 'mail.home.test', KEYWAY_SMTP_PORT: '2525', KEYWAY_SMTP_FROM: 'keyway@home.test' }))
      .toEqual({ host: 'mail.home.test', port: 2525, from: 'keyway@home.test', secure: false, user: undefined, password: undefined });
    expect(() => smtpFromEnv({ KEYWAY_SMTP_HOST: 'mail.home.test' })).toThrow(/KEYWAY_SMTP_FROM/);
    expect(() => smtpFromEnv({ KEYWAY_SMTP_HOST: 'x', KEYWAY_SMTP_FROM: 'a@b.c', KEYWAY_SMTP_PORT: '99999' })).toThrow(/port/);
  });
});

/**
 * The owner chooses notifications in the page (e-mail through a local SMTP sink, ntfy push to
 * a local endpoint, and which events), sends a test, then closes the page; a courier's
 * delivery still reaches them by e-mail and push, and the event they left out does not.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { countRows, bookDelivery, expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { seriousViolations } from './axe';
import { launchBrowser, phoneContext, screenshot, watchProblems } from './browser';

interface Published { headers: IncomingHttpHeaders; body: string }

describe('owner page: notifications', () => {
  let h: Harness;
  let w: World;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let problems: string[];
  let sink: SmtpSink;
  let ntfy: Server;
  let ntfyUrl = '';
  const pushes: Published[] = [];
  const subjects = () => sink.messages.map((m) => m.headers.subject ?? '');

  beforeAll(async () => {
    sink = await startSmtpSink();
    ntfy = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        pushes.push({ headers: req.headers, body });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => ntfy.listen(0, '127.0.0.1', r));
    ntfyUrl = 'http://127.0.0.1:' + (ntfy.address() as { port: number }).port + '/front-door-7f3k';
    [h, browser] = await Promise.all([
      startRelay({ notifications: { smtp: { host: '127.0.0.1', port: sink.port, from: 'keyway@home.test' }, pollMs: 50, baseBackoffMs: 100 }, webhooks: { allowPrivateTargets: true } }),
      launchBrowser()
    ]);
    w = await seedWorld(h);
    ctx = await phoneContext(browser, h.base);
    page = await ctx.newPage();
    problems = watchProblems(page);
  });

  afterAll(async () => {
    await browser?.close();
    await w?.lock.close();
    await h?.close();
    await sink?.close();
    ntfy?.close();
  });

  it('chooses e-mail, ntfy and the events in the page, and sends a test', async () => {
    await page.goto('/login');
    await page.getByLabel('E-mail').fill(w.owner.email);
    await page.getByLabel('Password').fill(w.owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#live[data-state="live"]').waitFor();
    await page.locator('.tabs').getByRole('link', { name: 'Notifications' }).click();
    const form = page.locator('#notify-form');
    await form.getByLabel('E-mail address').waitFor();
    expect(await form.getByLabel('E-mail address').inputValue()).toBe(w.owner.email);
    await form.getByLabel('E-mail me').check();
    await form.getByLabel('Push to my phone (ntfy)').check();
    await form.getByLabel('ntfy topic address').fill(ntfyUrl);
    await form.getByLabel('Access token').fill('tk_page_secret_123');
    await form.getByLabel('A delivery is secured (or the lock relocked untouched)').uncheck();
    await form.getByRole('button', { name: 'Save notifications' }).click();
    await page.locator('#notify-status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await form.getByLabel('Access token').inputValue()).toBe('');
    expect(await form.getByLabel('Access token').getAttribute('placeholder')).toContain('Saved');
    const saved = await expectOk(h.api('GET', '/v1/me/notification-settings', { token: w.owner.token }));
    expect(saved).toMatchObject({ email: { enabled: true }, ntfy: { enabled: true, url: ntfyUrl, tokenSet: true } });
    expect(saved.events).not.toContain('delivery.secured');
    expect(saved.events).toContain('delivery.inside');

    await form.getByRole('button', { name: 'Send a test' }).click();
    await page.locator('#notify-status').filter({ hasText: 'A test is on its way (2 channels)' }).waitFor();
    await waitUntil(() => subjects().includes('Test notification from keyway') && pushes.length === 1, 5000, 'test notification');
    expect(pushes[0].headers.authorization).toBe('Bearer tk_page_secret_123');
    await screenshot(page, 'owner-notify-01-saved');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('reaches the owner with the page closed: delivery inside by e-mail and push, not the event left out', async () => {
    await page.close();
    const d = await bookDelivery(h, w);
    const r = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: w.courier.token, headers: { 'idempotency-key': 'closed-' + d.id } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    w.lock.openDoor();
    const mail = await waitUntil(() => sink.messages.find((m) => m.headers.subject?.startsWith('Delivery inside')), 5000, 'delivery mail');
    expect(mail!.to).toEqual([w.owner.email]);
    expect(mail!.body).toContain(d.trackingNumber);
    await waitUntil(() => pushes.some((p) => p.body.includes(d.trackingNumber)), 5000, 'delivery push');
    w.lock.closeDoor();
    await waitUntil(async () => (await h.api('GET', '/v1/deliveries/' + d.id, { token: w.courier.token })).body.status === 'secured', 5000, 'secured');
    // The secured notification exists for the page, but nothing was queued to send for it.
    const n = await h.relay.ctx.store.q.selectFrom('notifications').select('id').where('delivery_id', '=', d.id).where('kind', '=', 'delivery.secured').executeTakeFirstOrThrow();
    expect(await countRows(h, 'notification_sends', { notification_id: n.id })).toBe(0);
    expect(subjects().some((s) => s.startsWith('Delivery secured'))).toBe(false);
    expect(problems.filter((p) => !p.includes('Failed to load resource: the server responded'))).toEqual([]);
  });
});

/**
 * The courier page in headless Chromium against a real relay with a scripted lock: token
 * sign-in (an unknown token first), "my deliveries" with today's first, the relay's refusals
 * in plain words (outside the window, blocked by the owner, camera unhealthy), then an entry
 * that opens the door and, once the lock has closed and relocked, the secured receipt (event
 * seq and hash) arriving live. Every attempt carries its own Idempotency-Key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bookDelivery, expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';
import { fitsWidth, launchBrowser, PHONE, phoneContext, screenshot, watchProblems } from './browser';

describe('courier page', () => {
  let h: Harness;
  let w: World;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let problems: string[];
  const keys: string[] = [];
  let now: any;
  let tomorrow: any;
  let blocked: any;
  let shut: any;

  beforeAll(async () => {
    [h, browser] = await Promise.all([startRelay({ entryTimeoutMs: 1500 }), launchBrowser()]);
    w = await seedWorld(h, { timezone: 'Europe/Berlin' });
    now = await bookDelivery(h, w);
    tomorrow = await bookDelivery(h, w, { startInMs: 30 * 3600_000, waitStaged: false });
    blocked = await bookDelivery(h, w, { waitStaged: false });
    shut = await bookDelivery(h, w, { startInMs: -5 * 60_000 });
    ctx = await phoneContext(browser, h.base);
    page = await ctx.newPage();
    problems = watchProblems(page);
    page.on('request', (r) => {
      if (r.method() === 'POST' && /\/v1\/deliveries\/\d+\/entry$/.test(r.url())) keys.push(r.headers()['idempotency-key']);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await w?.lock.close();
    await h?.close();
  });

  const card = (id: number) => page.locator(`li[data-delivery="${id}"]`);

  it('refuses an unknown token, then signs in and lists my deliveries with today first', async () => {
    await page.goto('/courier');
    await page.getByLabel('Courier token').fill('kw_courier_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signin-error').filter({ hasText: 'not recognised' }).waitFor();
    await screenshot(page, 'courier-01-unknown-token');

    await page.getByLabel('Courier token').fill(w.courier.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await card(now.id).waitFor();
    expect(await page.getByLabel('Courier token').isVisible()).toBe(false);
    const cookie = (await ctx.cookies()).find((c) => c.name === 'kw_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const order = await page.locator('li[data-delivery]').evaluateAll((lis) => lis.map((li) => Number((li as HTMLElement).dataset.delivery)));
    expect(order.slice(0, 3).sort()).toEqual([now.id, blocked.id, shut.id].sort());
    expect(order[3]).toBe(tomorrow.id);
    expect(await fitsWidth(page)).toBe(true);
    // "Log out" stays in the top bar's one row, on one line, even on a narrow phone.
    await page.setViewportSize({ width: 320, height: 640 });
    const logout = (await page.getByRole('button', { name: 'Log out' }).boundingBox())!;
    const brand = (await page.locator('.bar .brand').boundingBox())!;
    expect(logout.height).toBeLessThan(50);
    expect(Math.abs((logout.y + logout.height / 2) - (brand.y + brand.height / 2))).toBeLessThan(4);
    await page.setViewportSize(PHONE);
  });

  it('explains refusals (outside the window, blocked by the owner, camera unhealthy) and a timeout that may have run', async () => {
    await card(tomorrow.id).getByRole('button', { name: 'Request entry' }).click();
    await card(tomorrow.id).locator('.outcome').filter({ hasText: 'KW_OUTSIDE_WINDOW' }).waitFor();
    expect(await card(tomorrow.id).locator('.outcome').textContent()).toContain('outside the delivery window');
    await screenshot(page, 'courier-02-outside-window');

    // The owner blocks while the courier's list still shows the delivery as booked.
    await expectOk(h.api('POST', `/v1/deliveries/${blocked.id}/block`, { token: w.owner.token, body: { reason: 'not home' } }));
    await card(blocked.id).getByRole('button', { name: 'Request entry' }).click();
    await card(blocked.id).locator('.outcome').filter({ hasText: 'KW_DELIVERY_BLOCKED' }).waitFor();
    expect(await card(blocked.id).locator('.outcome').textContent()).toContain('owner blocked');
    await page.locator(`li[data-delivery="${blocked.id}"][data-status="blocked"]`).waitFor();
    expect(await card(blocked.id).getByRole('button', { name: 'Request entry' }).isVisible()).toBe(false);

    w.lock.failCamera();
    await waitUntil(async () => (await h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token })).body.status.flags.cameraHealthy === false, 3000, 'camera fault seen');
    await card(now.id).getByRole('button', { name: 'Request entry' }).click();
    await card(now.id).locator('.outcome').filter({ hasText: 'KW_CAMERA_UNHEALTHY' }).waitFor();
    w.lock.failCamera(false);
    await waitUntil(async () => (await h.api('GET', '/v1/devices/' + w.deviceId, { token: w.owner.token })).body.status.flags.cameraHealthy === true, 3000, 'camera healthy again');

    // The lock swallows the request: the page says the door may have opened, and never retries by itself.
    w.lock.answer = false;
    await card(now.id).getByRole('button', { name: 'Request entry' }).click();
    await card(now.id).locator('.outcome[data-tone="warn"]').filter({ hasText: 'KW_ENTRY_TIMEOUT' }).waitFor();
    expect(await card(now.id).locator('.outcome').textContent()).toContain('may have run');
    await screenshot(page, 'courier-03-may-have-run');
    w.lock.answer = true;
  });

  it('says "unlocked" until the door opens, "door opened" on the door event, then the secured receipt once closed and relocked', async () => {
    await card(now.id).getByRole('button', { name: 'Request entry' }).click();
    const outcome = card(now.id).locator('.outcome');
    await outcome.filter({ hasText: 'Door unlocked' }).waitFor();
    expect(await outcome.textContent()).toMatch(new RegExp(`clip:${w.deviceId}:\\d+`));
    await page.locator(`li[data-delivery="${now.id}"][data-status="unlocked"]`).waitFor();
    expect(await card(now.id).locator('.badge').textContent()).toBe('Unlocked');
    expect(await card(now.id).textContent()).not.toContain('Door opened');
    await screenshot(page, 'courier-04-unlocked');

    w.lock.openDoor();
    await page.locator(`li[data-delivery="${now.id}"][data-status="entered"]`).waitFor();
    await outcome.filter({ hasText: 'Door opened' }).waitFor();
    await screenshot(page, 'courier-05-door-open');
    w.lock.closeDoor();
    const receipt = card(now.id).locator('.receipt');
    await receipt.waitFor();
    const d = await expectOk(h.api('GET', '/v1/deliveries/' + now.id, { token: w.courier.token }));
    expect(d.status).toBe('secured');
    expect(await receipt.locator('.receipt-seq').textContent()).toBe('#' + d.receipt.eventSeq);
    expect(await receipt.locator('.receipt-hash').textContent()).toBe(d.receipt.eventHash);
    expect(d.receipt.eventHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await card(now.id).getByRole('button', { name: 'Request entry' }).isVisible()).toBe(false);
    expect(await receipt.locator('h3').textContent()).toBe('Secured: door closed and locked');
    await screenshot(page, 'courier-06-secured-receipt');

    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(5);
    for (const k of keys) expect(k).toMatch(/^kw-[0-9a-f]{32}$/);
  });

  it('says the door was never opened when the lock relocks on its timer after the unlock', async () => {
    await card(shut.id).getByRole('button', { name: 'Request entry' }).click();
    await page.locator(`li[data-delivery="${shut.id}"][data-status="unlocked"]`).waitFor();
    w.lock.relockTimeout();
    const receipt = card(shut.id).locator('.receipt[data-door-opened="false"]');
    await receipt.waitFor();
    expect(await receipt.locator('h3').textContent()).toBe('Locked again: the door was never opened');
    expect(await card(shut.id).textContent()).not.toContain('Door opened');
    const d = await expectOk(h.api('GET', '/v1/deliveries/' + shut.id, { token: w.courier.token }));
    expect(d.receipt).toMatchObject({ doorOpened: false });
    expect(await receipt.locator('.receipt-seq').textContent()).toBe('#' + d.receipt.eventSeq);
    await screenshot(page, 'courier-07-relocked-door-never-opened');
  });

  it('logs out back to the token form', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Courier token').waitFor();
    expect((await ctx.cookies()).find((c) => c.name === 'kw_session')).toBeUndefined();
    await page.reload();
    await page.getByLabel('Courier token').waitFor();
    expect(await page.locator('li[data-delivery]').count()).toBe(0);
    expect(problems.filter((p) => !p.includes('Failed to load resource: the server responded'))).toEqual([]);
  });
});

/**
 * Guest invites end to end in Chromium: the owner invites a dog walker (service provider)
 * with a two-rule weekly schedule, the link opens the guest page on another phone (the token
 * leaves the address bar at once), the guest opens the door and fetches offline scan codes
 * the lock accepts, and the owner sees the provider labelled as such and a one-time access
 * "Used up" once spent and an ended one as "Ended". The invitation link and the scan codes are
 * also QR codes; each is decoded from the pixels Chromium drew, with jsQR.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { tzOffsetMinutes } from '@keyway/relay';
import { expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';
import { seriousViolations } from './axe';
import { imagePixels, launchBrowser, phoneContext, screenshot, watchProblems } from './browser';
import { decodePixels } from '../support/qr-decode';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_LABELS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DAY_NAMES = ['Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays', 'Sundays'];
const TZ = 'Europe/Berlin';

describe('guest invites', () => {
  let h: Harness;
  let w: World;
  let browser: Browser;
  let owner: Page;
  let guestCtx: BrowserContext;
  let guest: Page;
  let problems: string[];
  let link = '';
  let grantId = 0;
  const today = (() => {
    const local = new Date(Date.now() + tzOffsetMinutes(TZ, Date.now()) * 60_000);
    return (local.getUTCDay() + 6) % 7;
  })();
  const other = (today + 3) % 7;
  /** A second day in the first rule, like "Tue and Thu". */
  const also = (today + 5) % 7;
  const firstDays = [today, also].sort((x, y) => x - y);

  beforeAll(async () => {
    [h, browser] = await Promise.all([startRelay({ entryTimeoutMs: 2000 }), launchBrowser()]);
    w = await seedWorld(h, { timezone: TZ });
    owner = await (await phoneContext(browser, h.base)).newPage();
    guestCtx = await phoneContext(browser, h.base);
    guest = await guestCtx.newPage();
    problems = watchProblems(guest);
  });

  afterAll(async () => {
    await browser?.close();
    await w?.lock.close();
    await h?.close();
  });

  it('invites a dog walker with two weekly rules and shows a link, not a raw token', async () => {
    await owner.goto('/login');
    await owner.getByLabel('E-mail address').fill(w.owner.email);
    await owner.getByLabel('Password').fill(w.owner.password);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.locator('#live[data-state="live"]').waitFor();
    await owner.getByText('Give someone access').click();
    await owner.getByLabel('Name', { exact: true }).fill('Dog walker');
    await owner.getByLabel('Who is it').selectOption('service');
    await owner.getByLabel('Weekly').check();
    const rules = owner.locator('#g-rules fieldset.rule');
    await rules.nth(0).getByLabel(DAY_LABELS[today], { exact: true }).check();
    await rules.nth(0).getByLabel(DAY_LABELS[also], { exact: true }).check();
    await rules.nth(0).getByLabel('From', { exact: true }).fill('00:00');
    await rules.nth(0).getByLabel('Until', { exact: true }).fill('00:00');
    await owner.getByRole('button', { name: 'Add another time' }).click();
    await rules.nth(1).getByLabel(DAY_LABELS[other], { exact: true }).check();
    await rules.nth(1).getByLabel('From', { exact: true }).fill('09:00');
    await rules.nth(1).getByLabel('Until', { exact: true }).fill('10:00');
    expect(await rules.nth(1).locator('legend').textContent()).toBe('Time 2');
    await screenshot(owner, 'guest-01-two-rules');
    await owner.getByRole('button', { name: 'Create access' }).click();
    link = await owner.locator('#g-link').inputValue();
    expect(link).toMatch(new RegExp('^' + h.base + '/guest#kw_guest_[A-Za-z0-9_-]+$'));
    expect(await owner.locator('#grant-result').textContent()).not.toMatch(/Guest credential/);
    await owner.locator('#g-link-qr').waitFor();
    const qr = await imagePixels(owner, '#g-link-qr');
    expect(decodePixels(qr.rgba, qr.width, qr.height)).toBe(link);
    expect(await owner.locator('#g-link-qr').getAttribute('alt')).toBe('QR code of the invitation link');
    await screenshot(owner, 'guest-01b-link-qr');
    const grants = await expectOk(h.api('GET', `/v1/sites/${w.site.id}/grants`, { token: w.owner.token }));
    const g = grants.items.find((x: any) => x.label === 'Dog walker');
    expect(g.schedule).toEqual([{ days: firstDays.map((d) => DAYS[d]), start: '00:00', end: '24:00' }, { days: [DAYS[other]], start: '09:00', end: '10:00' }]);
    grantId = g.id;
    const card = owner.locator(`li[data-grant="${grantId}"]`);
    await owner.locator(`li[data-grant="${grantId}"][data-status="active"]`).waitFor();
    expect(await card.locator('.kind-tag').textContent()).toBe('Service provider');
    expect(await seriousViolations(owner)).toEqual([]);
  });

  it('opens the guest page from the link: times, Open, and offline scan codes the lock accepts', async () => {
    await guest.goto(link);
    await guest.locator('#access').waitFor();
    expect(guest.url()).toBe(h.base + '/guest');
    expect(await guest.evaluate(() => document.cookie)).toBe('');
    expect(await guest.locator('#g-as').textContent()).toBe('You have weekly access as a service provider.');
    expect(await guest.locator('#g-when').textContent()).toBe(`${firstDays.map((d) => DAY_NAMES[d]).join(' and ')}, 00:00–midnight; ${DAY_NAMES[other]}, 09:00–10:00`);
    expect(await guest.locator('#g-window').textContent()).toContain('Europe/Berlin time');
    await screenshot(guest, 'guest-02-page');

    await guest.getByRole('button', { name: 'Open the door' }).click();
    await guest.locator('#outcome').filter({ hasText: 'Unlocked (lock event #' }).waitFor();
    expect(w.lock.bolt).toBe(3);
    w.lock.openDoor();
    w.lock.closeDoor();
    await guest.locator('#g-uses').filter({ hasText: '1 so far' }).waitFor();

    await guest.getByText('No internet at the door?').click();
    await guest.getByRole('button', { name: 'Show codes for the scanner' }).click();
    await guest.locator('#code-list code').nth(4).waitFor();
    const codes = await guest.locator('#code-list code').allTextContents();
    expect(codes).toHaveLength(5);
    for (const c of codes) expect(c).toMatch(new RegExp(`^KW1:${grantId}:[0-9a-f]{64}$`));
    // Each QR code holds exactly the code printed under it (what the door's scanner reads).
    for (let i = 0; i < codes.length; i++) {
      const px = await imagePixels(guest, `#code-list li:nth-child(${i + 1}) img.qr-image`);
      expect(decodePixels(px.rgba, px.width, px.height), 'QR code ' + (i + 1)).toBe(codes[i]);
    }
    expect(w.lock.scan(codes[0])).toBe(0);
    w.lock.openDoor();
    w.lock.closeDoor();
    await screenshot(guest, 'guest-03-codes');
    expect(await seriousViolations(guest)).toEqual([]);

    await guest.getByRole('button', { name: 'Forget' }).click();
    await guest.locator('#page-status').filter({ hasText: 'no longer holds your access' }).waitFor();
    await guest.reload();
    await guest.locator('#page-status').filter({ hasText: 'does not work' }).waitFor();
  });

  it('shows a spent one-time access as "Used up" with Remove, not "Active on the lock" with Revoke', async () => {
    const start = Date.now() - 60_000;
    const r = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, {
      token: w.owner.token, body: { kind: 'guest', type: 'one-time', label: 'Plumber visit', window: { start: new Date(start).toISOString(), end: new Date(start + 86400_000).toISOString() } }
    }), 201);
    await waitUntil(async () => (await h.api('GET', '/v1/grants/' + r.grant.id, { token: w.owner.token })).body.status === 'active', 3000, 'staged');
    expect((await h.api('POST', '/v1/grant-access/entry', { token: r.accessToken })).status).toBe(200);
    w.lock.openDoor();
    w.lock.closeDoor();
    const card = owner.locator(`li[data-grant="${r.grant.id}"][data-state="spent"]`);
    await card.waitFor();
    expect(await card.locator('.badge').textContent()).toBe('Used up');
    expect(await card.getByRole('button', { name: 'Remove access for Plumber visit' }).isVisible()).toBe(true);
    expect(await card.getByRole('button', { name: /^Revoke/ }).count()).toBe(0);
    await screenshot(owner, 'guest-04-used-up');

    // An access whose window has passed: "Ended", and it can only be removed.
    const soon = Date.now() - 60_000;
    const ended = await expectOk(h.api('POST', `/v1/sites/${w.site.id}/grants`, {
      token: w.owner.token, body: { kind: 'service', type: 'temporary', label: 'Window cleaner', window: { start: new Date(soon).toISOString(), end: new Date(soon + 63_000).toISOString() } }
    }), 201);
    await new Promise((r) => setTimeout(r, Math.max(0, soon + 63_000 - Date.now() + 500)));
    await owner.reload();
    const endedCard = owner.locator(`li[data-grant="${ended.grant.id}"][data-state="expired"]`);
    await endedCard.waitFor();
    expect(await endedCard.locator('.badge').textContent()).toBe('Ended');
    expect(await endedCard.getByRole('button', { name: /^Revoke/ }).count()).toBe(0);
    expect(problems.filter((p) => !p.includes('Failed to load resource: the server responded'))).toEqual([]);
  });
});

/**
 * The owner page in headless Chromium against a real relay on loopback with a scripted lock:
 * login (wrong password first), a weekly grant created in the page, an entry on that grant
 * at the lock showing up live in the feed (no reload), revocation, a denial with its reason,
 * unlock/lock from anywhere including "may have run", deliveries blocked and unblocked, and
 * a second owner who never sees the first owner's site, not even by URL or API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AL_DOOR_AJAR } from '@keyway/shared';
import { tzOffsetMinutes } from '@keyway/relay';
import { addLock, bookDelivery, expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';
import { seriousViolations } from './axe';
import { DESKTOP, fetchInPage, fitsWidth, launchBrowser, PHONE, phoneContext, screenshot, watchProblems } from './browser';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_LABELS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

describe('owner page', () => {
  let h: Harness;
  let a: World;
  let b: World;
  let browser: Browser;
  let ctxA: BrowserContext;
  let page: Page;
  let problems: string[];
  const label = '<b>Dog walker</b>';
  let grantId = 0;
  let savedCredential = '';
  let cabin: { id: number };

  beforeAll(async () => {
    [h, browser] = await Promise.all([startRelay({ entryTimeoutMs: 1500 }), launchBrowser()]);
    a = await seedWorld(h, { timezone: 'Europe/Berlin' });
    b = await seedWorld(h, { timezone: 'America/New_York' });
    cabin = await expectOk(h.api('POST', '/v1/sites', { token: a.owner.token, body: { name: 'Cabin', timezone: 'Europe/Oslo' } }), 201);
    ctxA = await phoneContext(browser, h.base);
    page = await ctxA.newPage();
    problems = watchProblems(page);
  });

  afterAll(async () => {
    await browser?.close();
    await a?.lock.close();
    await b?.lock.close();
    await h?.close();
  });

  /** One story in the feed (kind: delivery, entry, access, problem, lock) with that text. */
  const feedEntry = (kind: string, text?: string) => {
    const l = page.locator(`#feed li.entry[data-kind="${kind}"]`);
    return text ? l.filter({ hasText: text }) : l;
  };

  it('serves the pages with a strict CSP, no-store, and sends a signed-out visitor to /login', async () => {
    for (const url of ['/', '/login', '/courier']) {
      const r = await fetch(h.base + url);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    }
    expect((await fetch(h.base + '/app/owner.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(h.base + '/app/../owner.html')).status).toBe(404);
    expect((await fetch(h.base + '/app/nope.js')).status).toBe(404);
    const codes = await (await fetch(h.base + '/app/codes.json')).json();
    expect(codes.reasons.REVOKED).toMatch(/revoked/);

    await page.goto('/');
    await page.waitForURL('**/login');
  });

  it('refuses a wrong password, then signs in with the session cookie (HttpOnly, SameSite=Strict)', async () => {
    await page.getByLabel('E-mail address').fill(a.owner.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#login-error').filter({ hasText: 'KW_LOGIN_FAILED' }).waitFor();
    expect(await page.locator('#login-error').textContent()).toContain('password is wrong');
    await screenshot(page, 'owner-01-login-wrong-password');

    await page.getByLabel('Password').fill(a.owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/?site=' + a.site.id);
    const cookie = (await ctxA.cookies()).find((c) => c.name === 'kw_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.locator('#live[data-state="live"]').waitFor();
    const lock = page.locator(`[data-lock="${a.deviceId}"]`);
    expect(await lock.locator('.badge').textContent()).toBe('Online');
    expect(await lock.locator('.bolt').textContent()).toBe('Locked');
    expect(await page.locator('h1').textContent()).toMatch(/^Home \d+$/);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'owner-02-site');
  });

  it('switches sites with the picker, showing only the chosen site', async () => {
    expect(await page.locator('#site-select option').allTextContents()).toEqual([await page.locator('h1').textContent(), 'Cabin']);
    await page.getByLabel('Site', { exact: true }).selectOption(String(cabin.id));
    await page.waitForURL('**/?site=' + cabin.id);
    await page.locator('h1').filter({ hasText: 'Cabin' }).waitFor();
    await page.locator('#lock-list').filter({ hasText: 'No lock is registered' }).waitFor();
    expect(await page.locator('#site-meta').textContent()).toContain('Europe/Oslo');
    expect(await page.locator(`[data-lock="${a.deviceId}"]`).count()).toBe(0);
    await page.getByLabel('Site', { exact: true }).selectOption(String(a.site.id));
    await page.locator(`[data-lock="${a.deviceId}"]`).waitFor();
    await page.locator('#live[data-state="live"]').waitFor();
  });

  it('creates a weekly grant in the site time zone and shows the guest credential once', async () => {
    const local = new Date(Date.now() + tzOffsetMinutes('Europe/Berlin', Date.now()) * 60_000);
    const today = (local.getUTCDay() + 6) % 7;
    await page.getByText('Give someone access').click();
    await page.getByLabel('Name', { exact: true }).fill(label);
    await page.getByLabel('Who is it').selectOption('service');
    await page.getByLabel('Weekly').check();
    await page.getByLabel(DAY_LABELS[today], { exact: true }).check();
    await page.getByLabel('From', { exact: true }).fill('00:00');
    await page.getByLabel('Until', { exact: true }).fill('00:00');
    expect(await fitsWidth(page)).toBe(true);
    await page.getByRole('button', { name: 'Create access' }).click();
    const link = await page.locator('#g-link').inputValue();
    expect(link).toMatch(new RegExp('^' + h.base + '/guest#kw_guest_'));
    const token = link.split('#')[1];
    expect(await fitsWidth(page)).toBe(true);

    const grants = await expectOk(h.api('GET', `/v1/sites/${a.site.id}/grants`, { token: a.owner.token }));
    const g = grants.items.find((x: any) => x.label === label);
    expect(g).toMatchObject({ kind: 'service', type: 'weekly', timezone: 'Europe/Berlin', schedule: [{ days: [DAYS[today]], start: '00:00', end: '24:00' }] });
    grantId = g.id;
    // The page follows the grant to "active" (the lock acknowledged the GRANT_PUT) from the live stream.
    await page.locator(`li[data-grant="${grantId}"][data-status="active"]`).waitFor();
    // Escaped, never parsed: the label is text, not a <b> element.
    expect(await page.locator(`li[data-grant="${grantId}"] h3`).textContent()).toContain(label);
    expect(await page.locator(`li[data-grant="${grantId}"] h3 b`).count()).toBe(0);
    await screenshot(page, 'owner-03-grant-created');

    const creds = await expectOk(h.api('GET', '/v1/grant-access/credentials?count=2', { token }));
    savedCredential = creds.credentials[1];
    // The lock opens on the grant (a scanned chain value): the entry appears live, no reload.
    await page.evaluate(() => { (window as any).kwSameDocument = true; });
    expect(a.lock.scan(creds.credentials[0])).toBe(0);
    const entry = feedEntry('entry', label + ' (service provider) came in');
    await entry.waitFor();
    const text = (await entry.textContent())!;
    expect(text).not.toContain('access #');
    expect(text).toMatch(new RegExp(`clip:${a.deviceId}:\\d+`));
    await page.locator(`[data-lock="${a.deviceId}"] .bolt`).filter({ hasText: 'Unlocked' }).waitFor();
    a.lock.openDoor();
    a.lock.closeDoor();
    await page.locator(`[data-lock="${a.deviceId}"] .bolt`).filter({ hasText: 'Locked' }).waitFor();
    // The door and the relock fold into the same row: one row for the whole visit.
    await entry.filter({ hasText: 'door opened' }).filter({ hasText: 'locked again' }).waitFor();
    expect(await feedEntry('entry', label).count()).toBe(1);
    expect(await page.locator('#feed').textContent()).not.toMatch(/Bolt (locked|unlocked)|Camera clip$|via reveal|via barcode/);
    expect(await page.evaluate(() => (window as any).kwSameDocument)).toBe(true);
    await page.locator(`li[data-grant="${grantId}"]`).filter({ hasText: '1 entry so far' }).waitFor();
    await screenshot(page, 'owner-04-live-entry');
  });

  it('revokes the grant: it leaves the list, and the lock denies a saved credential with the reason shown', async () => {
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke access for ' + label }).click();
    await page.locator('#grant-status').filter({ hasText: 'being revoked' }).waitFor();
    await page.locator(`li[data-grant="${grantId}"]`).waitFor({ state: 'detached' });
    await feedEntry('access', 'Access for “' + label + '” revoked').waitFor();
    await waitUntil(() => !a.lock.grants.has(grantId), 3000, 'revoke reached the lock');
    expect(a.lock.scan(savedCredential)).not.toBe(0);
    const denial = feedEntry('problem', 'REVOKED');
    await denial.waitFor();
    expect(await denial.textContent()).toContain(label + ' (service provider): the lock said no');
    await screenshot(page, 'owner-05-revoked-denied');
  });

  it('unlocks and locks from anywhere, and says "may have" when the lock does not answer', async () => {
    const lock = page.locator(`[data-lock="${a.deviceId}"]`);
    await lock.getByRole('button', { name: 'Unlock' }).click();
    await lock.locator('.outcome').filter({ hasText: 'Unlocked: the lock confirmed it' }).waitFor();
    await lock.locator('.bolt').filter({ hasText: 'Unlocked' }).waitFor();
    await feedEntry('entry', 'You unlocked').waitFor();

    a.lock.answer = false;
    await lock.getByRole('button', { name: 'Lock', exact: true }).click();
    await lock.locator('.outcome').filter({ hasText: 'it may have locked' }).waitFor({ timeout: 5000 });
    await screenshot(page, 'owner-06-may-have-run');
    a.lock.answer = true;
    await lock.getByRole('button', { name: 'Lock', exact: true }).click();
    await lock.locator('.outcome').filter({ hasText: 'Locked: the lock confirmed it' }).waitFor();
  });

  it('lists deliveries live and blocks / unblocks one', async () => {
    const d = await bookDelivery(h, a);
    const item = page.locator(`li[data-delivery="${d.id}"]`);
    await item.waitFor();
    expect(await item.textContent()).toContain(d.trackingNumber);
    await item.getByRole('button', { name: 'Block delivery ' + d.trackingNumber }).click();
    await page.locator(`li[data-delivery="${d.id}"][data-status="blocked"]`).waitFor();
    await feedEntry('delivery', 'blocked by you').waitFor();
    expect((await expectOk(h.api('GET', '/v1/deliveries/' + d.id, { token: a.owner.token }))).status).toBe('blocked');
    await page.getByRole('button', { name: 'Unblock delivery ' + d.trackingNumber }).click();
    await page.locator(`li[data-delivery="${d.id}"][data-status="booked"]`).waitFor();
  });

  it('tells a delivery as one row with the courier and company by name, grouped under Today', async () => {
    const d = await bookDelivery(h, a);
    const r = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: a.courier.token, headers: { 'idempotency-key': 'feed-' + d.id } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    a.lock.openDoor();
    a.lock.closeDoor();
    const story = feedEntry('delivery', d.trackingNumber).filter({ hasText: 'door secured' });
    await story.waitFor();
    const text = (await story.textContent())!;
    expect(text).toMatch(new RegExp(`^Courier \\d+ \\(Parcels Inc \\d+\\) delivered ${d.trackingNumber}`));
    expect(text).toContain('door opened');
    expect(text).not.toContain('courier #');
    expect(await feedEntry('delivery', d.trackingNumber).count()).toBe(1);
    expect(await page.locator('#feed .day-head').first().textContent()).toBe('Today');
    await screenshot(page, 'owner-07-feed-delivery');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('filters the feed by person and by kind', async () => {
    await page.getByLabel('Who', { exact: true }).selectOption({ label: label + ' (service provider)' });
    await feedEntry('problem', 'REVOKED').waitFor();
    const titles = await page.locator('#feed li.entry .entry-title').allTextContents();
    expect(titles.length).toBeGreaterThanOrEqual(2);
    for (const t of titles) expect(t).toContain(label);
    await page.getByLabel('Who', { exact: true }).selectOption('');
    await page.getByLabel('What', { exact: true }).selectOption({ label: 'Alarms and denials' });
    const kinds = await page.locator('#feed li.entry').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.kind));
    expect(kinds.length).toBeGreaterThan(0);
    expect(new Set(kinds)).toEqual(new Set(['problem']));
    await screenshot(page, 'owner-08-feed-filtered');
    await page.getByLabel('What', { exact: true }).selectOption('');
  });

  it('pages the feed with "Load more"', async () => {
    for (let i = 0; i < 12; i++) a.lock.pressButton();
    await a.lock.drained();
    const all = await expectOk(h.api('GET', `/v1/sites/${a.site.id}/activity?limit=200`, { token: a.owner.token }));
    expect(all.items.length).toBeGreaterThan(45);
    await page.reload();
    await page.locator('#feed li.entry').first().waitFor();
    const oldest = async () => Math.min(...await page.locator('#feed li.entry').evaluateAll((lis) => lis.map((li) => Number((li as HTMLElement).dataset.id))));
    const before = await oldest();
    const first = await page.locator('#feed li.entry').count();
    // 40 rows per page fold into far fewer stories than rows.
    expect(first).toBeLessThan(40);
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitUntil(async () => (await oldest()) < before, 3000, 'second page');
    expect(await page.locator('#feed li.entry').count()).toBeGreaterThan(first);
    const ids = await page.locator('#feed li.entry').evaluateAll((lis) => lis.map((li) => Number((li as HTMLElement).dataset.id)));
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('shows battery %, clears a jam, and disables Unlock/Lock with the reason while a lock is offline or never connected', async () => {
    const lock = page.locator(`[data-lock="${a.deviceId}"]`);
    page.once('dialog', (d) => void d.accept('Front door'));
    await lock.getByRole('button', { name: /^Rename / }).click();
    await lock.locator('h3 .lock-name').filter({ hasText: /^Front door$/ }).waitFor();
    expect((await expectOk(h.api('GET', '/v1/devices/' + a.deviceId, { token: a.owner.token }))).name).toBe('Front door');
    await page.locator('#feed li.entry').first().filter({ hasText: 'Front door' }).waitFor();
    expect(await lock.locator('.battery').textContent()).toBe('95 %');
    a.lock.batteryMv = 4500;
    await a.lock.publishStatus();
    await lock.locator('.battery[data-low="true"]').filter({ hasText: '5 %' }).waitFor();
    expect(await lock.locator('.notes').textContent()).toContain('Battery low');
    a.lock.batteryMv = 5900;

    a.lock.openDoor();
    a.lock.alarm(AL_DOOR_AJAR);
    await lock.locator('.ajar').filter({ hasText: 'Door left open since' }).waitFor();
    await screenshot(page, 'owner-09a-door-left-open');
    a.lock.closeDoor();
    await lock.locator('.ajar').waitFor({ state: 'hidden' });

    a.lock.jamNext = true;
    a.lock.pressButton();
    const clear = lock.getByRole('button', { name: 'Clear jam' });
    await clear.click();
    await lock.locator('.outcome').filter({ hasText: 'Cleared: the lock confirmed it' }).waitFor();
    await a.lock.publishStatus();
    await clear.waitFor({ state: 'hidden' });
    await lock.locator('.battery[data-low="false"]').waitFor();

    await a.lock.disconnect();
    await lock.locator('.badge').filter({ hasText: 'Offline' }).waitFor();
    expect(await lock.getByRole('button', { name: 'Unlock' }).isDisabled()).toBe(true);
    expect(await lock.getByRole('button', { name: 'Lock', exact: true }).isDisabled()).toBe(true);
    expect(await lock.locator('.why').textContent()).toMatch(/^Not reachable since .+ \(disconnected\), so Unlock and Lock cannot reach it/);
    expect(((await lock.textContent())!.match(/Offline/g) ?? []).length).toBe(1);
    await screenshot(page, 'owner-09-lock-offline');
    expect(await seriousViolations(page)).toEqual([]);
    await a.lock.connect();
    await lock.locator('.badge').filter({ hasText: 'Online' }).waitFor();
    expect(await lock.getByRole('button', { name: 'Unlock' }).isEnabled()).toBe(true);
    expect(await lock.locator('.why').isHidden()).toBe(true);

    const fresh = await addLock(h, a.installer, cabin.id, 'door', {}, false);
    await page.getByLabel('Site', { exact: true }).selectOption(String(cabin.id));
    const never = page.locator(`[data-lock="${fresh.deviceId}"]`);
    await never.locator('.badge').filter({ hasText: 'Never connected' }).waitFor();
    expect(await never.getByRole('button', { name: 'Unlock' }).isDisabled()).toBe(true);
    expect(await never.locator('.why').textContent()).toContain('has not reached the relay yet');
    await screenshot(page, 'owner-10-lock-never-connected');
    await page.getByLabel('Site', { exact: true }).selectOption(String(a.site.id));
    await page.locator('#live[data-state="live"]').waitFor();
  });

  it('uses the desktop width (locks beside the feed) and keeps section headings clear of the sticky links', async () => {
    await page.setViewportSize(DESKTOP);
    const locks = (await page.locator('#locks').boundingBox())!;
    const activity = (await page.locator('#activity').boundingBox())!;
    expect(activity.x).toBeGreaterThanOrEqual(locks.x + locks.width);
    expect(Math.abs(activity.y - locks.y)).toBeLessThan(5);
    expect(activity.width).toBeGreaterThan(600);
    const entry = (await page.locator('#feed li.entry').first().boundingBox())!;
    expect(entry.width).toBeGreaterThan(activity.width - 2);
    expect(await fitsWidth(page)).toBe(true);
    await page.setViewportSize(PHONE);
    for (const [link, heading] of [['Activity', '#activity-h'], ['Access', '#access-h']]) {
      await page.locator('.tabs').getByRole('link', { name: link }).click();
      await waitUntil(async () => page.evaluate((id) => window.location.hash === id.replace('-h', ''), heading), 3000, link + ' followed');
      await waitUntil(async () => (await page.locator(heading).boundingBox())!.y < 150, 3000, link + ' scrolled to the top');
      const tabs = (await page.locator('.tabs').boundingBox())!;
      const h2 = (await page.locator(heading).boundingBox())!;
      expect(h2.y).toBeGreaterThanOrEqual(tabs.y + tabs.height);
    }
  });

  it("shows owner B only B's site; A's site, lock, grant and delivery are 404 by URL and by API", async () => {
    const ctxB = await phoneContext(browser, h.base);
    const pb = await ctxB.newPage();
    await pb.goto('/login');
    await pb.getByLabel('E-mail address').fill(b.owner.email);
    await pb.getByLabel('Password').fill(b.owner.password);
    await pb.getByRole('button', { name: 'Sign in' }).click();
    await pb.waitForURL('**/?site=' + b.site.id);
    await pb.locator('#live[data-state="live"]').waitFor();
    await pb.locator('#feed li').first().waitFor();
    // Something happens at A's door while B watches.
    a.lock.pressButton();
    await a.lock.drained();
    await new Promise((r) => setTimeout(r, 300));
    const body = (await pb.locator('body').textContent())!;
    expect(body).not.toContain(a.deviceId);
    expect(body).not.toContain('Dog walker');
    expect(body).toContain(b.deviceId);
    expect(await pb.locator('#site-select option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([String(b.site.id)]);

    const dA = (await expectOk(h.api('GET', '/v1/deliveries?siteId=' + a.site.id, { token: a.owner.token }))).items[0];
    for (const url of [`/v1/sites/${a.site.id}`, `/v1/sites/${a.site.id}/activity`, `/v1/sites/${a.site.id}/grants?all=true`, `/v1/sites/${a.site.id}/stream`,
      `/v1/devices/${a.deviceId}`, `/v1/grants/${grantId}`, `/v1/deliveries/${dA.id}`]) {
      expect(await fetchInPage(pb, 'GET', url), url).toBe(404);
    }
    expect(await fetchInPage(pb, 'POST', `/v1/devices/${a.deviceId}/unlock`)).toBe(404);
    expect(await fetchInPage(pb, 'POST', `/v1/deliveries/${dA.id}/block`)).toBe(404);
    expect(await fetchInPage(pb, 'DELETE', `/v1/grants/${grantId}`)).toBe(404);

    await pb.goto('/?site=' + a.site.id);
    await pb.locator('#page-status').filter({ hasText: 'KW_NOT_FOUND' }).waitFor();
    expect(await pb.locator('h1').textContent()).toBe('Site not found');
    expect(await pb.locator('#feed').count()).toBe(0);
    expect((await pb.locator('body').textContent())!).not.toContain(a.deviceId);
    await screenshot(pb, 'owner-07-other-owner-not-found');
    await ctxB.close();
  });

  it('logs out: the session ends, and going back shows the login page, not the cached site', async () => {
    // One more history entry of the signed-in page (a different URL, so it is pushed), for "back".
    await page.goto('/');
    await page.locator('#live[data-state="live"]').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    expect((await ctxA.cookies()).find((c) => c.name === 'kw_session')).toBeUndefined();
    await page.goBack();
    await page.waitForURL('**/login', { timeout: 5000 });
    await page.getByLabel('E-mail address').waitFor();
    expect((await page.locator('body').textContent())!).not.toContain(a.deviceId);
    // API refusals the page showed (401, 404, 504) are logged by Chromium as failed loads; anything else is a bug.
    expect(problems.filter((p) => !p.includes('Failed to load resource: the server responded'))).toEqual([]);
  });
});

/**
 * The lock card's settings in headless Chromium against a real relay and a scripted lock:
 * the owner sets the auto-lock delay, relock on close and the door-left-open alert; the card
 * says "Waiting" until the lock reports the signed settings and "On the lock" once it does. A
 * bad value is refused in the page with nothing sent; an offline lock gets the settings when
 * it is back; a never-connected lock cannot be configured and says why. Screenshots at 390×844
 * and 1280×800, and axe-core finds no serious violation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SETTING_RELOCK_ON_CLOSE } from '@keyway/shared';
import { countRows, addLock, expectOk, seedWorld, startRelay, waitUntil, type Harness, type World } from '../support/relay-harness';
import { seriousViolations } from './axe';
import { launchBrowser, phoneContext, screenshot, watchProblems } from './browser';

describe('lock settings on the owner page', () => {
  let h: Harness;
  let w: World;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let neverId = '';
  const card = () => page.locator(`[data-lock="${w.deviceId}"]`);
  const settings = async () => expectOk(h.api('GET', '/v1/devices/' + w.deviceId + '/settings', { token: w.owner.token }));
  const signedCount = () => countRows(h, 'commands', { device_id: w.deviceId, purpose: 'settings_set' });

  beforeAll(async () => {
    [h, browser] = await Promise.all([startRelay({ entryTimeoutMs: 1500 }), launchBrowser()]);
    w = await seedWorld(h, { timezone: 'Europe/Berlin' });
    neverId = (await addLock(h, w.installer, w.site.id, 'door', {}, false)).deviceId;
    page = await (await phoneContext(browser, h.base)).newPage();
    problems = watchProblems(page);
    await page.goto('/login');
    await page.getByLabel('E-mail address').fill(w.owner.email);
    await page.getByLabel('Password').fill(w.owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#live[data-state="live"]').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await w?.lock.close();
    await h?.close();
  });

  it('sends the owner\'s settings to the lock signed, and says when the lock holds them', async () => {
    const c = card();
    await c.getByText('Lock settings').click();
    await c.locator('.settings-state').filter({ hasText: 'factory settings' }).waitFor();
    expect(await c.getByLabel('Lock again after (seconds)').inputValue()).toBe('30');
    expect(await c.getByLabel('Alert me when the door is left open for (minutes)').inputValue()).toBe('2');
    await c.getByLabel('Lock again after (seconds)').fill('20');
    await c.getByLabel('Lock again a few seconds after the door closes').check();
    await c.getByLabel('Alert me when the door is left open for (minutes)').fill('5');
    await c.getByRole('button', { name: 'Save settings' }).click();
    await c.locator('.settings-state').filter({ hasText: 'On the lock.' }).waitFor();
    expect(w.lock.settings).toEqual({ revision: 1, autoLockS: 20, doorAjarS: 300, flags: SETTING_RELOCK_ON_CLOSE });
    expect(await settings()).toMatchObject({ autoLockS: 20, doorAjarS: 300, relockOnClose: true, state: 'applied' });
    await page.locator('#feed li.entry').filter({ hasText: 'You changed the lock\u2019s settings' })
      .filter({ hasText: 'locks again after 20 s and when the door closes · door-left-open alert after 5 min' }).waitFor();
    await screenshot(page, 'settings-01-applied');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('refuses a bad value in the page, sending nothing', async () => {
    const c = card();
    const before = await signedCount();
    for (const [label, value, text] of [
      ['Lock again after (seconds)', '2', 'whole seconds from 5 to 3600'],
      ['Lock again after (seconds)', '12.5', 'whole seconds from 5 to 3600'],
      ['Alert me when the door is left open for (minutes)', '0', 'whole minutes from 1 to 60'],
      ['Alert me when the door is left open for (minutes)', '61', 'whole minutes from 1 to 60']
    ] as const) {
      await c.getByLabel('Lock again after (seconds)').fill('20');
      await c.getByLabel('Alert me when the door is left open for (minutes)').fill('5');
      await c.getByLabel(label).fill(value);
      await c.getByRole('button', { name: 'Save settings' }).click();
      await c.locator('.lock-settings .notice[data-tone="error"]').filter({ hasText: text }).waitFor();
    }
    await screenshot(page, 'settings-02-bad-value');
    expect(await signedCount()).toBe(before);
    expect((await settings()).revision).toBe(1);
  });

  it('keeps settings saved while the lock is offline as waiting, and the lock gets them when it is back', async () => {
    const c = card();
    await w.lock.disconnect();
    await c.locator('.badge').filter({ hasText: 'Offline' }).waitFor();
    await c.getByLabel('Lock again after (seconds)').fill('45');
    await c.getByLabel('Alert me when the door is left open for (minutes)').fill('10');
    await c.getByLabel('Lock again a few seconds after the door closes').uncheck();
    await c.getByRole('button', { name: 'Save settings' }).click();
    await c.locator('.settings-state').filter({ hasText: 'The lock gets them when it is back online.' }).waitFor();
    expect(await c.getByRole('button', { name: 'Unlock' }).isDisabled()).toBe(true);
    await screenshot(page, 'settings-03-offline-waiting');
    expect(await seriousViolations(page)).toEqual([]);
    await w.lock.connect();
    await c.locator('.settings-state').filter({ hasText: 'On the lock.' }).waitFor({ timeout: 15_000 });
    expect(w.lock.settings).toEqual({ revision: 2, autoLockS: 45, doorAjarS: 600, flags: 0 });
  });

  it('a lock that never connected cannot be configured yet, and says why', async () => {
    const never = page.locator(`[data-lock="${neverId}"]`);
    await never.getByText('Lock settings').click();
    const save = never.getByRole('button', { name: 'Save settings' });
    await waitUntil(async () => save.isDisabled(), 3000, 'save disabled');
    expect(await never.locator('.lock-settings .settings-why').textContent()).toBe('Settings can be saved once this lock has reached the relay.');
    expect(await never.getByRole('button', { name: 'Unlock' }).isDisabled()).toBe(true);
    await screenshot(page, 'settings-04-never-connected');
    expect(await seriousViolations(page)).toEqual([]);
    expect(problems.filter((p) => !p.includes('Failed to load resource: the server responded'))).toEqual([]);
  });
});

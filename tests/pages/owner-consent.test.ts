/**
 * Owner consent from the owner page in headless Chromium, against the relay process and the real
 * firmware on simulated hardware (docs/protocol.md §11): the page makes this browser's Ed25519 key
 * with WebCrypto (private half not extractable, kept in IndexedDB), enrols it on the lock, which
 * needs install mode; the lock then shows owner-consent mode. The relay's own unlock is refused by
 * the lock itself, an unlock signed in the browser opens it, and a standing consent signed in the
 * browser is accepted by the lock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { allOnline, eventually, startE2E, type E2E } from '../support/e2e-world';
import { scaled } from '../support/time-scale';
import { launchBrowser, phoneContext, screenshot, watchProblems } from './browser';

describe('owner consent on the owner page', () => {
  let e: E2E;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let lockId = '';
  const card = () => page.locator(`[data-lock="${lockId}"]`);
  const consent = () => card().locator('details.owner-consent');
  const outcome = () => consent().locator('p.notice');

  beforeAll(async () => {
    [e, browser] = await Promise.all([startE2E(), launchBrowser()]);
    await allOnline(e);
    lockId = e.world.locks[0].deviceId;
    page = await (await phoneContext(browser, e.relay.base)).newPage();
    page.context().setDefaultTimeout(scaled(15_000));
    problems = watchProblems(page);
    await page.goto('/login');
    await page.getByLabel('E-mail address').fill(e.world.owner.email);
    await page.getByLabel('Password').fill(e.world.owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#live[data-state="live"]').waitFor();
  }, scaled(120_000));

  afterAll(async () => {
    await browser?.close();
    await e?.close();
  });

  it('enrols this browser\'s key only in install mode; then the lock obeys only what the browser signs', async () => {
    await consent().locator('summary').click();
    await consent().locator('.consent-mode[data-on="false"]').waitFor();
    // The key is made here, not extractable, and kept for the next visit.
    // (A string, so the test runner does not rewrite the browser's own dynamic import.)
    const props = await page.evaluate(`(async () => {
      const mod = await import('/app/owner-key.js');
      const k = await mod.deviceKey();
      let exported = 'exported';
      try {
        await crypto.subtle.exportKey('pkcs8', k.privateKey);
      } catch {
        exported = 'refused';
      }
      return { extractable: k.privateKey.extractable, algorithm: k.privateKey.algorithm.name, publicKeyLength: k.publicKey.length, exported };
    })()`);
    expect(props).toEqual({ extractable: false, algorithm: 'Ed25519', publicKeyLength: 32, exported: 'refused' });

    // Outside install mode the lock refuses the relay's enrolment on its own.
    await consent().getByRole('button', { name: 'Make this browser an owner key' }).click();
    await outcome().filter({ hasText: 'CONFIRMATION_REQUIRED' }).waitFor();
    // Someone inside holds the button for 5 s: install mode, and the enrolment goes through.
    await e.fleet.ask(lockId, 'button 5300');
    await eventually('install mode reported', async () => (await e.api(e.ownerToken, 'GET', '/v1/devices/' + lockId)).body.status?.flags?.installMode);
    await consent().getByRole('button', { name: 'Make this browser an owner key' }).click();
    await outcome().filter({ hasText: 'Enrolled' }).waitFor();
    await consent().locator('.consent-mode[data-on="true"]').waitFor();

    // The relay's own unlock: the lock itself refuses it.
    await card().getByRole('button', { name: 'Unlock', exact: true }).click();
    await card().locator('p.outcome').filter({ hasText: 'OWNER_SIGNATURE_REQUIRED' }).waitFor();
    expect((await e.fleet.ask(lockId, 'state')).unlocked).toBe(false);

    // Signed in this browser: the lock checks the signature and opens.
    await consent().getByRole('button', { name: 'Open the door with this browser\u2019s key' }).click();
    await outcome().filter({ hasText: 'Unlocked' }).waitFor();
    expect((await e.fleet.ask(lockId, 'state')).unlocked).toBe(true);

    // A standing consent for in-home deliveries, signed here and accepted by the lock.
    await consent().getByLabel('Delivery partner number').fill(String(e.world.backend.id));
    await consent().getByLabel('At most this many entries a week').fill('2');
    await consent().getByRole('button', { name: 'Sign and send consent' }).click();
    await outcome().filter({ hasText: 'Consent on the lock' }).waitFor();
    await screenshot(page, 'owner-consent');
    // Refused requests (401 before signing in, 409 from the lock's refusals) are logged by the browser; nothing else may be.
    expect(problems.filter((p) => !p.includes('Failed to load resource: the server responded'))).toEqual([]);
  }, scaled(120_000));
});

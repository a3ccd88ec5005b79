/**
 * The owner sees the camera's photos of a delivery in its feed story, live while the courier
 * is still inside (no reload), with the verdict against the lock's own log; a mismatch is shown
 * as such; the owner can delete them; a courier's browser session cannot fetch them.
 * Screenshots at 390x844 and 1280x800 in test-artifacts/pages/, axe-core finds nothing serious.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ACTOR_COURIER, EV_CAMERA, RC_OK, fromHex } from '@keyway/shared';
import { clipHash } from '@keyway/shared/node';
import { renderDoorwayFrame } from '@keyway/hardware';
import { bookDelivery, expectOk, seedWorld, startRelay, type Harness, type World } from '../support/relay-harness';
import { seriousViolations } from './axe';
import { fetchInPage, launchBrowser, phoneContext, screenshot, watchProblems } from './browser';

describe('owner page: camera photos', () => {
  let h: Harness;
  let a: World;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let problems: string[];
  let camera = '';
  const taken = new Map<number, Buffer[]>();

  const shots = (capture: number) => [1, 2, 3].map((i) => renderDoorwayFrame({ at: Date.now(), frame: i, frames: 3, capture }));
  const upload = (capture: number, frames: Buffer[]) =>
    expectOk(h.api('POST', '/v1/camera/clips', { token: camera, body: { capture, frames: frames.map((f) => f.toString('base64')) } }), 201);

  beforeAll(async () => {
    [h, browser] = await Promise.all([startRelay({ entryTimeoutMs: 3000 }), launchBrowser()]);
    a = await seedWorld(h, { timezone: 'Europe/Berlin' });
    camera = (await expectOk(h.api('POST', `/v1/devices/${a.deviceId}/camera`, { token: a.owner.token }), 201)).token;
    // The scripted lock's camera answers each capture with the hash of the frames it "took".
    a.lock.cameraClip = (capture) => {
      const f = shots(capture);
      taken.set(capture, f);
      return clipHash(fromHex(a.deviceId), capture, f);
    };
    ctx = await phoneContext(browser, h.base);
    page = await ctx.newPage();
    problems = watchProblems(page);
    await page.goto('/login');
    await page.getByLabel('E-mail address').fill(a.owner.email);
    await page.getByLabel('Password').fill(a.owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/?site=' + a.site.id);
    await page.locator('#live[data-state="live"]').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await a?.lock.close();
    await h?.close();
  });

  it('shows the photos live in the delivery while the courier is inside, verified against the lock log', async () => {
    const d = await bookDelivery(h, a);
    const r = await h.api('POST', `/v1/deliveries/${d.id}/entry`, { token: a.courier.token, headers: { 'idempotency-key': 'photos-' + d.id } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const capture = Number(/:(\d+)$/.exec(r.body.clip)![1]);
    const story = page.locator('#feed li.entry[data-kind="delivery"]').filter({ hasText: d.trackingNumber });
    // The lock logged the capture; the photos are on their way.
    await story.locator('.clip[data-status="awaiting"]').waitFor();
    await upload(capture, taken.get(capture)!);
    a.lock.openDoor();
    const clip = story.locator('.clip[data-status="verified"]');
    await clip.waitFor();
    expect(await clip.locator('.clip-head').textContent()).toMatch(/^3 photos match what the lock recorded/);
    const imgs = clip.locator('img');
    expect(await imgs.count()).toBe(3);
    await page.waitForFunction((sel) => Array.from(document.querySelectorAll(sel)).every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth === 320),
      '#feed .clip[data-status="verified"] img');
    expect(await imgs.first().getAttribute('alt')).toMatch(/^Photo 1 of 3 at the door, lock event #\d+$/);
    await screenshot(page, 'owner-photos-01-delivery-live');
    expect(await seriousViolations(page)).toEqual([]);
    a.lock.closeDoor();
    await story.filter({ hasText: 'door secured' }).waitFor();
    expect(await story.locator('.clip[data-status="verified"] img').count()).toBe(3);
  });

  it('shows photos that do not match the lock log as such', async () => {
    const capture = 900; // any number the lock names for a capture
    const real = shots(capture);
    a.lock.emit(EV_CAMERA, RC_OK, capture, ACTOR_COURIER, a.courier.id, clipHash(fromHex(a.deviceId), capture, real));
    await upload(capture, [real[0], real[2], real[1]]); // the same photos, out of order
    const bad = page.locator('#feed li.entry[data-kind="problem"]').filter({ hasText: 'Photos do not match what the lock recorded' });
    await bad.locator('.clip[data-status="mismatch"]').waitFor();
    expect(await bad.locator('.badge').first().textContent()).toContain('do NOT match');
    await screenshot(page, 'owner-photos-02-mismatch');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('a courier session cannot fetch the frames; the owner deletes them from the page', async () => {
    const url = (await page.locator('#feed .clip[data-status="verified"] img').first().getAttribute('src'))!;
    const courierCtx = await phoneContext(browser, h.base);
    const courierPage = await courierCtx.newPage();
    await courierPage.goto('/login');
    expect(await courierPage.evaluate(async (t) => (await fetch('/v1/auth/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: t }) })).status, a.courier.token)).toBe(200);
    expect(await fetchInPage(courierPage, 'GET', url)).toBe(403);
    expect(await fetchInPage(page, 'GET', url)).toBe(200);
    await courierCtx.close();

    page.once('dialog', (dlg) => void dlg.accept());
    const story = page.locator('#feed li.entry[data-kind="delivery"]');
    await story.getByRole('button', { name: 'Delete photos' }).click();
    await story.locator('.entry-clip[data-status="deleted"]').filter({ hasText: '3 photos deleted by you' }).waitFor();
    expect(await fetchInPage(page, 'GET', url)).toBe(404);
    await screenshot(page, 'owner-photos-03-deleted');
    expect(await seriousViolations(page)).toEqual([]);
    expect(problems.filter((p) => !/404|Failed to load resource/.test(p))).toEqual([]);
  });
});

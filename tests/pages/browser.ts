/**
 * Headless Debian Chromium driven by playwright-core for the page tests: one launch per
 * test file, phone-sized contexts (375 px), screenshots under test-artifacts/pages/, and a
 * watcher that collects console errors, page errors and CSP violations so a test can
 * insist there were none.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/pages/', import.meta.url));

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/** The two sizes every flow is checked and photographed at: a current phone and a laptop. */
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

/** A fresh profile (no cookies, no cache) at phone size. */
export async function phoneContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const ctx = await browser.newContext({ baseURL, viewport: PHONE, locale: 'en-US', timezoneId: 'UTC' });
  // Fail at the step that hangs, well inside vitest's per-test timeout.
  ctx.setDefaultTimeout(8000);
  return ctx;
}

/**
 * Screenshots of the page at phone and desktop size (`<name>-phone.png`, `<name>-desktop.png`),
 * failing when either size scrolls sideways; the page is left at phone size.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [label, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await page.setViewportSize(size);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    if (!(await fitsWidth(page))) throw new Error(`${name}: the page scrolls sideways at ${size.width} px`);
    await page.screenshot({ path: ARTIFACTS + name + '-' + label + '.png', fullPage: true });
  }
}

/**
 * What Chromium logs when the machine's network interfaces change under it (the multi-host tests
 * add a bridge and veth pairs in this namespace while other files run): it fails the loads in
 * flight, and a page cannot help that. A flow that needed such a load fails on its own steps.
 */
const NETWORK_CHANGED = 'net::ERR_NETWORK_CHANGED';

/** Console errors, uncaught exceptions and CSP reports seen on the page (expected 404s filtered by the caller). */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes(NETWORK_CHANGED)) problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  return problems;
}

/** True when nothing on the page is wider than the viewport (no sideways scrolling at 375 px). */
export function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

/** fetch() from inside the page, so the request carries that browser's session cookie and nothing else. */
export function fetchInPage(page: Page, method: string, url: string): Promise<number> {
  return page.evaluate(async ([m, u]) => (await fetch(u, { method: m, headers: m === 'GET' ? {} : { 'content-type': 'application/json' }, body: m === 'GET' ? undefined : '{}' })).status, [method, url] as const);
}

/**
 * The pixels of an image on the page as a scanner would see them: drawn onto a canvas at
 * `size`×`size` on white, returned as RGBA for a decoder (tests/support/qr-decode.ts).
 */
export async function imagePixels(page: Page, selector: string, size = 320): Promise<{ rgba: Uint8ClampedArray; width: number; height: number }> {
  const data = await page.locator(selector).evaluate(async (img: HTMLImageElement, s: number) => {
    await img.decode();
    const c = document.createElement('canvas');
    c.width = s;
    c.height = s;
    const g = c.getContext('2d')!;
    g.fillStyle = '#fff';
    g.fillRect(0, 0, s, s);
    g.drawImage(img, 0, 0, s, s);
    // As base64: a few hundred kB of pixels cross the DevTools protocol much faster than a JSON array.
    const px = g.getImageData(0, 0, s, s).data;
    let bin = '';
    for (let i = 0; i < px.length; i += 0x8000) bin += String.fromCharCode.apply(null, Array.from(px.subarray(i, i + 0x8000)));
    return btoa(bin);
  }, size);
  return { rgba: new Uint8ClampedArray(Buffer.from(data, 'base64')), width: size, height: size };
}

/**
 * The receipt page (/receipt) in Chromium: it checks the published receipt offline (the network
 * is cut after the page loads), says why a tampered one does not hold, and gives the same verdict
 * and fault name as shared/src/receipt-check.ts (what `keyway verify-receipt` runs) for every
 * changed byte of the receipt and of its events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { checkReceiptBundle } from '@keyway/shared';
import { buildVectors } from '../../scripts/protocol-vectors';
import { startRelay, type Harness } from '../support/relay-harness';
import { seriousViolations } from './axe';
import { launchBrowser, phoneContext, screenshot, watchProblems } from './browser';

const v = Object.fromEntries(buildVectors().map((x) => [x.name, x]));
const bundle = { receipt: v['receipt'].hex as string, lockKey: v['lock-key'].hex as string, events: ['event-1', 'event-2', 'event-3'].map((n) => v[n].hex as string) };

function flipHex(hex: string, byte: number): string {
  const b = Buffer.from(hex, 'hex');
  b[byte] ^= 0x01;
  return b.toString('hex');
}

describe('receipt page', () => {
  let h: Harness;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    [h, browser] = await Promise.all([startRelay(), launchBrowser()]);
    ctx = await phoneContext(browser, h.base);
    page = await ctx.newPage();
    problems = watchProblems(page);
    await page.goto('/receipt');
    await ctx.setOffline(true);
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('checks the published receipt offline and says what it proves', async () => {
    await page.getByLabel('or paste it').fill(JSON.stringify(bundle));
    await page.getByLabel('The lock\'s public key').fill(bundle.lockKey);
    await page.getByRole('button', { name: 'Check' }).click();
    await page.locator('#verdict[data-ok="true"]').waitFor();
    expect(await page.locator('#verdict').textContent()).toBe('This receipt holds.');
    const details = await page.locator('#details').textContent();
    expect(details).toContain('0123456789abcdef');
    expect(details).toContain('log event 3');
    expect(details).toContain('grant 7');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'receipt-holds');
  });

  it('explains why a tampered receipt does not hold', async () => {
    await page.getByLabel('or paste it').fill(JSON.stringify({ ...bundle, receipt: flipHex(bundle.receipt, 100) }));
    await page.getByRole('button', { name: 'Check' }).click();
    await page.locator('#verdict[data-ok="false"]').waitFor();
    expect(await page.locator('#details').textContent()).toContain('RECEIPT_BAD_SIGNATURE');
    await screenshot(page, 'receipt-refused');
  });

  it('agrees with the shared checker on every changed byte of the receipt and its events', async () => {
    const cases: Array<{ file: typeof bundle; key: string }> = [{ file: bundle, key: bundle.lockKey }];
    for (let i = 0; i < bundle.receipt.length / 2; i++) cases.push({ file: { ...bundle, receipt: flipHex(bundle.receipt, i) }, key: bundle.lockKey });
    for (let e = 0; e < bundle.events.length; e++) {
      for (let i = 0; i < bundle.events[e].length / 2; i++) {
        const events = bundle.events.slice();
        events[e] = flipHex(events[e], i);
        cases.push({ file: { ...bundle, events }, key: bundle.lockKey });
      }
    }
    cases.push({ file: { ...bundle, events: bundle.events.slice(1) }, key: bundle.lockKey });
    cases.push({ file: bundle, key: v['relay-key'].hex as string });
    // A string, so the test runner does not rewrite the page's import(); the module is already
    // loaded by the page, so this works offline.
    const page2 = (await page.evaluate(`(async (all) => {
      const m = await import('/app/receipt-check.js');
      const out = [];
      for (const c of all) {
        const r = await m.checkReceiptFile(c.file, c.key);
        out.push(r.ok ? 'ok' : r.fault);
      }
      return out;
    })(${JSON.stringify(cases)})`)) as string[];
    const shared = cases.map((c) => {
      const r = checkReceiptBundle(c.file, c.key);
      return r.ok ? 'ok' : r.fault;
    });
    expect(page2).toEqual(shared);
    expect(shared[0]).toBe('ok');
    expect(shared.slice(1).every((f) => f !== 'ok')).toBe(true);
    expect(problems).toEqual([]);
  });
});

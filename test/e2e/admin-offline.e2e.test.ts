/**
 * The admin page of a daemon whose backend is an upstream library system over SIP2, in Debian's
 * Chromium: a loan taken offline on a card the upstream does not know is refused on replay, the
 * admin sees it (card masked, the upstream's words) and marks it resolved with a note; the offline
 * loans show in the recent transactions, marked as such.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../daemon/main.ts';
import { baseData } from '../helpers/engine.ts';
import { loginInBrowser } from '../helpers/staff.ts';
import { startUpstreamDaemon, until, upstreamPair, type UpstreamPair } from '../integration/upstream/fixture.ts';
import { axeScan, chromiumAvailable, launchChromium, screenshot } from './harness.ts';

const run = chromiumAvailable() ? describe : describe.skip;

run('admin page in front of an upstream: offline transactions for staff (Chromium)', () => {
  let pair: UpstreamPair;
  let daemon: Daemon;
  let browser: Browser;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    pair = await upstreamPair({ data: baseData() });
    dir = mkdtempSync(join(tmpdir(), 'kiosk-b-e2e-'));
    daemon = await startUpstreamDaemon(pair, dir);
    await daemon.auth.createAccount('boss', 'a-long-admin-password', 'admin');
    await pair.stopUpstream();
    expect(await daemon.backend.checkout({ patron: '0100001', item: 'B2' })).toMatchObject({ ok: true });
    expect(await daemon.backend.checkout({ patron: '9999999', item: 'B4' })).toMatchObject({ ok: true });
    await pair.restartUpstream();
    await until(async () => (await daemon.backend.status()).offline?.queued === 0, 10_000, 'the replay');
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'en-GB', reducedMotion: 'reduce', bypassCSP: true });
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await daemon?.close();
    await pair?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the refused replay with the card masked and the upstream words, and passes axe', async () => {
    await loginInBrowser(page, daemon.http.url, 'boss', 'a-long-admin-password', '/admin');
    await page.locator('#connection[data-state="connected"]').waitFor({ timeout: 10_000 });
    const row = page.locator('#offline tbody tr');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.locator('td').allTextContents()).toEqual(expect.arrayContaining(['Loan', '9999***', 'B4', 'refused', 'unknown patron', 'This library card is not known. Please ask staff.']));
    expect(await page.locator('#offline-queued').textContent()).toBe('(0 waiting for the library system, 1 for staff)');
    expect(await page.locator('#transactions tbody tr[data-offline] td:nth-child(2)').allTextContents()).toEqual([
      'Loan (offline, refused by the library system)',
      'Loan (offline, confirmed by the library system)',
    ]);
    expect(await page.content()).not.toMatch(/9999999|0100001/);
    expect(await axeScan(page, 'admin-offline')).toEqual([]);
    await screenshot(page, 'admin-offline-refused');
  });

  it('marks it resolved with a note: the row goes, the transaction says so, the audit log has it', async () => {
    await page.getByLabel('Note for Loan of B4').fill('card mistyped; lent to 0100003 at the desk');
    await page.getByRole('button', { name: 'Mark resolved: Loan of B4' }).click();
    await expect.poll(() => page.locator('#announce').textContent(), { timeout: 5000 }).toBe('Loan of B4 marked resolved.');
    await expect.poll(() => page.locator('#offline-empty').isVisible(), { timeout: 5000 }).toBe(true);
    await expect
      .poll(() => page.locator('#transactions tbody tr[data-offline="refused"] td:nth-child(2)').textContent(), { timeout: 5000 })
      .toBe('Loan (offline, refused by the library system, resolved by staff)');
    await expect.poll(() => page.locator('#audit tbody tr td:nth-child(3)').first().textContent(), { timeout: 5000 }).toBe('offline.resolve');
  });
});

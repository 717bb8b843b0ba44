/**
 * The admin page in Debian's Chromium against the whole daemon (demo library, simulated devices):
 * an admin logs in through /login, sees every device with its state, watches a device fail and come
 * back live when the simulator unplugs it, and sees a loan appear with the patron's card masked.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeScan, chromiumAvailable, launchChromium, screenshot, startE2eKiosk, type AxeViolation, type E2eKiosk } from './harness.ts';
import { loginInBrowser } from '../helpers/staff.ts';

const run = chromiumAvailable() ? describe : describe.skip;

run('admin page (Chromium)', () => {
  let k: E2eKiosk;
  let browser: Browser;
  let page: Page;
  const axe: AxeViolation[] = [];

  beforeAll(async () => {
    k = await startE2eKiosk();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'en-GB', reducedMotion: 'reduce', bypassCSP: true });
    // bypassCSP: the pages' Content-Security-Policy would (rightly) refuse the injected axe-core script.
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await k?.close();
  });

  it('asks for a login first, and the login page passes axe', async () => {
    await page.goto(`${k.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/admin');
    axe.push(...(await axeScan(page, 'login')));
    // A wrong password is said in words next to the form, and focus goes back to the password.
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toBe('The user name or password is not correct.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    await screenshot(page, 'admin-login-refused');
  });

  it('logs in as admin and lists every device with its state', async () => {
    await loginInBrowser(page, k.url, 'admin', 'admin', '/admin');
    expect(new URL(page.url()).pathname).toBe('/admin');
    await page.locator('#connection[data-state="connected"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#user').textContent()).toBe('admin');
    for (const id of ['pad', 'scanner', 'printer', 'tablet']) {
      await expect.poll(() => page.locator(`#devices tr[data-device="${id}"] .state`).textContent(), { timeout: 10_000 }).toBe('ready');
    }
    await expect.poll(() => page.locator('#backend').textContent()).toBe('Backend embedded: online');
  });

  it('shows a device failing and recovering live, with its last error', { timeout: 60_000 }, async () => {
    const state = page.locator('#devices tr[data-device="printer"] .state');
    k.sim.unplug('printer');
    await expect.poll(() => state.textContent(), { timeout: 10_000 }).not.toBe('ready');
    const failed = await state.textContent();
    expect(['offline', 'degraded', 'connecting']).toContain(failed);
    const row = page.locator('#devices tr[data-device="printer"]');
    expect((await row.locator('td').nth(3).textContent())?.length).toBeGreaterThan(0); // the reason
    // Said for screen readers too.
    await expect.poll(() => page.locator('#announce').textContent(), { timeout: 5000 }).toMatch(/^printer(\.drawer)? is now (offline|connecting|degraded)/);
    await screenshot(page, 'admin-device-failed');
    await k.sim.replug('printer');
    // The device manager retries with backoff: the page follows without a reload.
    await expect.poll(() => state.textContent(), { timeout: 40_000 }).toBe('ready');
    // The last error stays for the admin after the recovery.
    expect((await row.locator('td').nth(5).textContent())?.length).toBeGreaterThan(0);
  });

  it('shows a new loan at once with the patron card masked, and counts it in this hour', async () => {
    const item = (
      k.daemon.db
        .prepare(
          `SELECT barcode FROM items i WHERE kit_id IS NULL AND access_p = '' AND status_q = '' AND restriction_u = ''
           AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.item_id = i.id) AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.bib_id = i.bib_id) ORDER BY barcode LIMIT 1`,
        )
        .get() as { barcode: string }
    ).barcode;
    const r = await k.daemon.backend.checkout({ patron: '0100001', item });
    expect(r.ok).toBe(true);
    const tx = page.locator('#transactions tbody tr').first();
    await expect.poll(() => tx.locator('td').nth(4).textContent(), { timeout: 10_000 }).toBe(item);
    expect(await tx.locator('td.card').textContent()).toBe('0100***');
    expect(await tx.locator('td').nth(1).textContent()).toBe('Loan');
    expect(await page.content()).not.toContain('0100001');
    const total = page.locator('#today tfoot td').first();
    expect(Number(await total.textContent())).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'admin-page');
  });

  it('lists the login in the audit log and passes axe', async () => {
    await expect.poll(() => page.locator('#audit tbody tr td:nth-child(3)').allTextContents()).toContain('auth.login');
    // In the site's time zone, as the sessions table: the login's audit row and the session it
    // opened show the same hour and minute (the browser here runs on another zone than the site).
    // After a reload the audit list arrives before the snapshot that says the zone, and no new
    // audit row redraws it.
    await page.reload();
    await page.locator('#sessions tbody tr').first().waitFor();
    await page.locator('#audit tbody tr').first().waitFor();
    const loginAt = (await page.locator('#audit tbody tr', { hasText: 'auth.login' }).first().locator('td').first().innerText()).slice(0, -3);
    const created = (await page.locator('#sessions tbody tr td:nth-child(4)').allInnerTexts()).map((t) => t.slice(0, -3));
    expect(created).toContain(loginAt);
    axe.push(...(await axeScan(page, 'admin')));
    expect(axe, JSON.stringify(axe, null, 1)).toEqual([]);
  });

  it('logs out: back to the login page, and /admin asks for a login again', async () => {
    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.getByRole('button', { name: 'Log out' }).click()]);
    await page.goto(`${k.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/login');
  });
});

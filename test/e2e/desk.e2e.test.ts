/**
 * The staff desk page (/staff/desk) in Debian's Chromium against the whole daemon (demo library,
 * simulated tablet and printer with drawer): a staff member logs in, finds a member, pays a fee in
 * cash (the change is shown, the receipt printed, the drawer opens in the simulator), has the
 * enrolment form signed on the tablet and sees the signed PDF in the member's documents.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeScan, chromiumAvailable, launchChromium, screenshot, startE2eKiosk, type AxeViolation, type E2eKiosk } from './harness.ts';
import { loginInBrowser } from '../helpers/staff.ts';

const run = chromiumAvailable() ? describe : describe.skip;

run('staff desk page (Chromium)', () => {
  let k: E2eKiosk;
  let browser: Browser;
  let page: Page;
  const axe: AxeViolation[] = [];

  beforeAll(async () => {
    k = await startE2eKiosk();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 }, locale: 'en-GB', reducedMotion: 'reduce', bypassCSP: true }); // the page's CSP would block axe's injected script
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await k?.close();
  });

  it('logs in and finds a member by name', async () => {
    await loginInBrowser(page, k.url, 'staff', 'staff', '/staff/desk');
    expect(new URL(page.url()).pathname).toBe('/staff/desk');
    await expect.poll(() => page.locator('#user').textContent()).toBe('staff');
    await page.getByLabel('Card number or name').fill('horvat');
    await page.getByRole('button', { name: 'Find' }).click();
    // Accents and case are ignored: Horváth is found too; staff pick the one they mean.
    await expect.poll(() => page.locator('#results button').allTextContents()).toEqual(['Horvat Marko · 0100002', 'Horváth Lőrinc · 0100013']);
    await page.getByRole('button', { name: 'Horvat Marko · 0100002' }).click();
    await expect.poll(() => page.locator('#patron-h').textContent()).toBe('Horvat Marko');
    axe.push(...(await axeScan(page, 'desk')));
  });

  it('pays the fee in cash: change shown, receipt printed, drawer open', async () => {
    k.sim.printer.clearReceipts();
    await page.getByLabel('Cash tendered').fill('20');
    await expect.poll(() => page.locator('#change').textContent()).toBe('€7.60');
    await page.getByRole('button', { name: 'Pay selected fees' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toBe('Paid €12.40 (cash) · change €7.60 · receipt printed · drawer opened.');
    expect(k.sim.printer.drawerOpen()).toBe(true);
    expect(k.sim.printer.receipts()[0]!.text).toContain('Vračilo: 7,60 €');
    await expect.poll(() => page.locator('#fees').textContent()).toContain('No open fees.');
    await screenshot(page, 'desk-paid');
  });

  it('has the enrolment form signed on the tablet and lists the signed PDF', async () => {
    await page.getByRole('button', { name: 'Sign enrolment form' }).click();
    await expect.poll(() => page.locator('#signing-status').textContent()).toContain('On the tablet');
    await expect.poll(() => page.locator('#signing-pages').textContent()).toContain('Priimek in ime: Horvat Marko');
    await expect.poll(() => k.sim.tablet.state().page !== null).toBe(true);
    await k.sim.tablet.signAndConfirm();
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 10_000 }).toMatch(/^Signed document \d+ stored/);
    const link = page.getByRole('link', { name: 'PDF' }).first();
    const href = await link.getAttribute('href');
    const pdf = await page.request.get(`${k.url}${href}`);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    await screenshot(page, 'desk-signed');
  });

  it('passes axe', () => {
    expect(axe.filter((v) => v.impact === 'critical' || v.impact === 'serious')).toEqual([]);
  });
});

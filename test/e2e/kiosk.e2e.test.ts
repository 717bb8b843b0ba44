/**
 * The kiosk end to end, as patrons use it: real Chromium on the built UI, the real daemon with the
 * demo library, the simulated pad, scanner and printer (real drivers, real bytes). Screenshots of the
 * main screens go to test-results/screenshots/; every screen passed is scanned with axe-core (WCAG
 * A/AA) and must have no violations.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  axeScan,
  checkScreen,
  chromiumAvailable,
  ensureUiBuilt,
  itemRow,
  launchChromium,
  loginWithCard,
  openKiosk,
  screenshot,
  startE2eKiosk,
  waitOutcome,
  type AxeViolation,
  type E2eKiosk,
} from './harness.ts';

const T = 60_000;
let kiosk: E2eKiosk;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  await ensureUiBuilt();
  kiosk = await startE2eKiosk();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await kiosk?.close();
});

async function page(): Promise<Page> {
  const p = await openKiosk(browser, kiosk);
  pages.push(p);
  return p;
}

/** The patron walks off: the daemon's session is ended (as the idle timer would), the pad cleared. */
async function leave(p: Page): Promise<void> {
  await p.close();
  await kiosk.reset();
}

afterEach(async ({ task }) => {
  // A failed test shows what was on screen, and must not leave its patron's session for the next one.
  for (const [n, p] of pages.splice(0).entries()) {
    if (p.isClosed()) continue;
    if (task.result?.state === 'fail') await screenshot(p, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}-${n}`);
    await p.close();
  }
  await kiosk?.reset();
});

/** A due date (YYYY-MM-DD) as the receipt prints it in any of the kiosk locales: 23/03/2026, 23. 03. 2026, 2026. 03. 23. … */
function receiptDate(iso: string): RegExp {
  const [y, m, d] = iso.split('-');
  return new RegExp(`${d}\\D{1,3}${m}\\D{1,3}${y}|${y}\\D{1,3}${m}\\D{1,3}${d}`);
}

async function dueDates(card: string): Promise<Map<string, string>> {
  const info = await kiosk.daemon.backend.patronInformation(card);
  if (!info.ok) throw new Error(`patron ${card}: ${info.reason}`);
  return new Map(info.patron.loans.map((l) => [l.barcode, l.dueDate ?? '']));
}

describe.skipIf(!chromiumAvailable())('the kiosk in Chromium', () => {
  it('a patron borrows 3 items, one a complete 3-part kit, and gets a printed receipt listing them with due dates', async () => {
    const axe: AxeViolation[] = [];
    const p = await page();
    await checkScreen(p, 'attract', 'attract', axe);
    await loginWithCard(p, kiosk.sim, '0100014', '1234', { shots: 'borrow', axe });
    await checkScreen(p, 'menu', 'menu', axe);
    await p.getByRole('button', { name: 'Borrow', exact: true }).click();
    await checkScreen(p, 'borrow', null, axe);
    await kiosk.sim.placeItem('30100000001');
    await kiosk.sim.placeItem('30100000003');
    await kiosk.sim.placeKit('K003');
    const outcomes = await Promise.all(['30100000001', '30100000003', 'kit:K003'].map((r) => waitOutcome(p, r)));
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done']);
    expect(outcomes[2]!.text).toContain('3 parts');
    // The live region told a screen-reader user about the last one.
    await expect.poll(() => p.locator('[data-live="polite"]').innerText()).toMatch(/Borrowed/);
    await checkScreen(p, 'borrow', 'borrow', axe);

    await p.getByRole('button', { name: 'Finish' }).click();
    await checkScreen(p, 'receipt', 'receipt', axe);
    // Sarah has an e-mail address, but this kiosk has no SMTP: no button that could only fail.
    expect(await p.getByRole('button', { name: 'Send by e-mail' }).count()).toBe(0);
    const before = kiosk.sim.printer.receipts().length;
    await p.getByRole('button', { name: 'Print receipt' }).click();
    await checkScreen(p, 'goodbye', 'goodbye', axe);
    await expect.poll(() => kiosk.sim.printer.receipts().length, { timeout: 10_000 }).toBeGreaterThan(before);
    const text = kiosk.sim.printer.receipts().at(-1)!.text;
    const due = await dueDates('0100014');
    for (const [barcode, title] of [
      ['30100000001', 'Poezije'],
      ['30100000003', 'Krst pri Savici'],
      ['30100000921', 'Colloquial Hungarian'],
    ] as const) {
      expect(text).toContain(title);
      expect(text).toMatch(receiptDate(due.get(barcode)!));
    }
    // Goodbye goes back to the attract screen by itself; the patron's data is gone.
    await p.locator('[data-screen="attract"]').waitFor({ timeout: 10_000 });
    expect(await p.locator('main').innerText()).not.toContain('Poezije');
    expect(axe).toEqual([]);
    await leave(p);
  }, T);

  it('an incomplete kit waits with the missing part named, and is lent once the part is added', async () => {
    const axe: AxeViolation[] = [];
    const p = await page();
    await loginWithCard(p, kiosk.sim, '0100008');
    await p.getByRole('button', { name: 'Borrow', exact: true }).click();
    await kiosk.sim.placeKit('K004', [1, 2]);
    const waiting = p.locator('.kit-waiting[data-kit="K004"]');
    await waiting.waitFor({ timeout: 10_000 });
    // The parts arrive one by one; once both are seen, only part 3 is missing.
    await expect.poll(() => waiting.locator('.missing-parts li').count(), { timeout: 10_000 }).toBe(1);
    expect(await waiting.innerText()).toMatch(/Part 3 of 3: .+/);
    const missingTitle = (await waiting.locator('.missing-parts li').innerText()).replace(/^Part 3 of 3: /, '');
    expect(missingTitle.length).toBeGreaterThan(0);
    await screenshot(p, 'borrow-kit-incomplete');
    axe.push(...(await axeScan(p, 'borrow-kit-incomplete')));
    // Nothing was lent while the kit was incomplete.
    expect(await itemRow(p, 'kit:K004').count()).toBe(0);
    expect((await dueDates('0100008')).has('30100000931')).toBe(false);
    await kiosk.sim.placeKit('K004', [3]);
    const lent = await waitOutcome(p, 'kit:K004');
    expect(lent.status).toBe('done');
    expect(await waiting.count()).toBe(0);
    expect((await dueDates('0100008')).has('30100000933')).toBe(true);
    expect(axe).toEqual([]);
    await leave(p);
  }, T);

  it('a blocked patron is told why, on the menu and when an item is refused', async () => {
    const axe: AxeViolation[] = [];
    const p = await page();
    await loginWithCard(p, kiosk.sim, '0100002'); // Marko: an unpaid late fee blocks loans
    // Marko's own language is Slovenian; the kiosk follows it.
    const block = p.locator('[data-blocks]');
    await expect.poll(() => block.getAttribute('data-blocks')).toContain('debt_block');
    expect(await block.innerText()).toMatch(/poravnajte neporavnane terjatve \([^)]*12[.,]40/);
    await p.getByRole('button', { name: 'English' }).click();
    expect(await block.innerText()).toMatch(/Please settle your outstanding fees \([^)]*12[.,]40/);
    await screenshot(p, 'menu-blocked');
    axe.push(...(await axeScan(p, 'menu-blocked')));
    await p.getByRole('button', { name: 'Borrow', exact: true }).click();
    await kiosk.sim.placeItem('30100000004');
    const o = await waitOutcome(p, '30100000004');
    expect(o.status).toBe('refused');
    expect(o.text).toContain('Not borrowed');
    expect(o.text).toMatch(/settle your outstanding fees/);
    await expect.poll(() => p.locator('[data-live="assertive"]').innerText()).toMatch(/Not borrowed/);
    await screenshot(p, 'borrow-refused');
    axe.push(...(await axeScan(p, 'borrow-refused')));
    expect(axe).toEqual([]);
    await leave(p);
  }, T);

  it('a renewal is refused because another patron reserved the item; the other loan is renewed', async () => {
    const axe: AxeViolation[] = [];
    const p = await page();
    await p.getByRole('button', { name: 'English' }).click(); // chosen on screen: wins over the patron's Slovenian
    await loginWithCard(p, kiosk.sim, '0100009');
    expect(await p.locator('h1').innerText()).toBe('Hello, Mojca');
    await p.getByRole('button', { name: 'Renew', exact: true }).click();
    await p.locator('.loan-list li[data-barcode="30100000051"]').waitFor({ timeout: 10_000 });
    await checkScreen(p, 'renew', 'renew', axe);
    await p.getByRole('button', { name: 'Renew all' }).click();
    const reserved = p.locator('.loan-list li[data-barcode="30100000051"]');
    await expect.poll(() => reserved.getAttribute('data-status'), { timeout: 10_000 }).toBe('refused');
    expect(await reserved.innerText()).toContain('Not renewed: This item is reserved by another reader and cannot be renewed.');
    const other = p.locator('.loan-list li[data-barcode="30100000019"]');
    expect(await other.getAttribute('data-status')).toBe('done');
    expect(await other.innerText()).toMatch(/Renewed — now due \d{1,2} \w+ \d{4}/);
    await checkScreen(p, 'renew', 'renew-results', axe);
    // My account: loans, holds, fees.
    await p.getByRole('button', { name: 'Back' }).click();
    await p.getByRole('button', { name: 'My account' }).click();
    await p.locator('#acc-loans').waitFor({ timeout: 10_000 });
    await checkScreen(p, 'account', 'account', axe);
    expect(await p.locator('main').innerText()).toContain('Loans');
    expect(axe).toEqual([]);
    await leave(p);
  }, T);

  it('a hold-shelf patron sees where her reservation waits (my account)', async () => {
    const p = await page();
    await loginWithCard(p, kiosk.sim, '0100004'); // Eszter: a hold waiting at 01-DESK; Hungarian
    await p.getByRole('button', { name: 'Olvasói fiók' }).click();
    const holds = p.locator('section[aria-labelledby="acc-holds"]');
    await holds.locator('li').first().waitFor({ timeout: 10_000 });
    expect(await holds.innerText()).toMatch(/Átvehető: 01-DESK/);
    await screenshot(p, 'account-hu');
    expect(await axeScan(p, 'account-hu')).toEqual([]);
    await leave(p);
  }, T);

  it('fees are worded in the patron\'s language, with the item and the amount in the local format', async () => {
    const p = await page();
    await loginWithCard(p, kiosk.sim, '0100003'); // Jānis: Latvian, a late fee for Dracula
    await p.getByRole('button', { name: 'Mans konts' }).click();
    const fees = p.locator('section[aria-labelledby="acc-fees"]');
    await fees.locator('li').first().waitFor({ timeout: 10_000 });
    expect(await fees.locator('li').first().innerText()).toMatch(/^Kavējuma nauda: Dracula\s+0,60\s€$/);
    await leave(p);
  }, T);

  it('a return without logging in: an item with a hold is routed to the hold shelf, an incomplete kit to staff', async () => {
    const axe: AxeViolation[] = [];
    const p = await page();
    await p.getByRole('button', { name: /Return items/ }).click();
    await checkScreen(p, 'return', null, axe);
    // A tag this library does not know: the kiosk says so, and no longer also says the pad is empty.
    await kiosk.sim.placeItem('99900000001');
    await p.locator('.message-warn', { hasText: 'cannot be used' }).waitFor({ timeout: 10_000 });
    expect(await p.locator('.screen.items .empty').count()).toBe(0);
    kiosk.sim.removeItem('99900000001');
    await p.locator('.screen.items .empty').waitFor({ timeout: 10_000 });
    await kiosk.sim.placeItem('30100000051'); // on loan to 0100009; its title is reserved by 0200002
    const o = await waitOutcome(p, '30100000051');
    expect(o.status).toBe('done');
    expect(o.text).toContain('Returned');
    expect(o.text).toContain('Reserved for another reader: put it on the hold shelf');
    // A kit with a part missing is not returned: the patron is sent to staff.
    await kiosk.sim.placeKit('K001', [1, 2]);
    const kit = p.locator('.kit-waiting[data-kit="K001"]');
    await kit.waitFor({ timeout: 10_000 });
    expect(await kit.innerText()).toMatch(/Part 3 of 3/);
    expect(await kit.innerText()).toContain('please take the set to staff');
    expect(await itemRow(p, 'kit:K001').count()).toBe(0);
    await checkScreen(p, 'return', 'return', axe);
    expect(axe).toEqual([]);
    await leave(p);
  }, T);

  it('the RFID reader unplugged mid-session: the kiosk says so and takes typed and scanned barcodes', async () => {
    const axe: AxeViolation[] = [];
    const p = await page();
    await loginWithCard(p, kiosk.sim, '0100012');
    await p.getByRole('button', { name: 'Borrow', exact: true }).click();
    await kiosk.sim.placeItem('30100000005');
    expect((await waitOutcome(p, '30100000005')).status).toBe('done');
    kiosk.sim.clearPad();
    kiosk.sim.unplug('pad');
    try {
      const banner = p.locator('.device-banner [data-device="rfid"]');
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.innerText()).toContain('The RFID reader is not working');
      // Barcode entry is offered; a typed barcode is processed (its tag cannot be released, so: see the desk).
      await p.locator('#barcode').fill('30100000006');
      await p.getByRole('button', { name: 'Add' }).click();
      const typed = await waitOutcome(p, '30100000006');
      expect(['done', 'security_failed']).toContain(typed.status);
      if (typed.status === 'security_failed') expect(typed.text).toContain('Please show this item at the desk');
      // The scanner still works.
      await kiosk.sim.scan('30100000007');
      const scanned = await waitOutcome(p, '30100000007');
      expect(['done', 'security_failed']).toContain(scanned.status);
      await checkScreen(p, 'borrow', 'borrow-reader-offline', axe);
    } finally {
      await kiosk.sim.replug('pad');
    }
    await p.locator('.device-banner [data-device="rfid"]').waitFor({ state: 'detached', timeout: 20_000 });
    expect(await p.locator('#barcode').count()).toBe(0);
    expect(axe).toEqual([]);
    await leave(p);
  }, T);

  it('a forbidden item says ask staff; the printer out of paper: the kiosk says so and offers no printed receipt', async () => {
    const axe: AxeViolation[] = [];
    const p = await page();
    await loginWithCard(p, kiosk.sim, '0100014');
    await p.getByRole('button', { name: 'Borrow', exact: true }).click();
    // An item that may not be lent (lost in stock, loans blocked): refused, with the reason and "ask staff".
    await kiosk.sim.placeItem('30100000009');
    const forbidden = await waitOutcome(p, '30100000009');
    expect(forbidden.status).toBe('refused');
    expect(forbidden.text).toContain('Not borrowed');
    expect(forbidden.text).toContain('This item cannot be borrowed.');
    expect(forbidden.text).toContain('Please ask staff.');
    await kiosk.sim.placeItem('30100000014');
    expect((await waitOutcome(p, '30100000014')).status).toBe('done');
    kiosk.sim.printer.paperOut();
    try {
      const banner = p.locator('.device-banner [data-device="printer"]');
      await banner.waitFor({ timeout: 20_000 });
      expect(await banner.innerText()).toContain('The printer is not working');
      await p.getByRole('button', { name: 'Finish' }).click();
      await p.locator('[data-screen="receipt"]').waitFor();
      expect(await p.getByRole('button', { name: 'Print receipt' }).count()).toBe(0);
      expect(await p.locator('main').innerText()).toContain('The printer is not working.');
      await checkScreen(p, 'receipt', 'receipt-printer-offline', axe);
      await p.getByRole('button', { name: 'No receipt' }).click();
      await p.locator('[data-screen="goodbye"]').waitFor();
    } finally {
      kiosk.sim.printer.paperIn();
    }
    expect(axe).toEqual([]);
    await leave(p);
  }, T);

  it('the same borrowing in Slovenian: screens, due dates and the receipt', async () => {
    const axe: AxeViolation[] = [];
    const p = await page();
    await loginWithCard(p, kiosk.sim, '0100001'); // Ana's language is Slovenian
    expect(await p.locator('h1').innerText()).toBe('Pozdravljeni, Ana');
    expect(await p.evaluate(() => document.documentElement.lang)).toBe('sl');
    await checkScreen(p, 'menu', 'menu-sl', axe);
    await p.getByRole('button', { name: 'Izposoja', exact: true }).click();
    await kiosk.sim.placeItem('30100000008');
    await kiosk.sim.placeKit('K005');
    const [book, kit] = await Promise.all([waitOutcome(p, '30100000008'), waitOutcome(p, 'kit:K005')]);
    expect(book.status).toBe('done');
    expect(kit.status).toBe('done');
    // "Izposojeno — rok vrnitve 16. december 2026": the date in Slovenian.
    expect(book.text).toMatch(/Izposojeno — rok vrnitve \d{1,2}\. [a-zč]+ \d{4}/);
    await checkScreen(p, 'borrow', 'borrow-sl', axe);
    await p.getByRole('button', { name: 'Končaj' }).click();
    await p.getByRole('button', { name: 'Natisni potrdilo' }).click();
    await checkScreen(p, 'goodbye', 'goodbye-sl', axe);
    expect(await p.locator('h1').innerText()).toBe('Hvala, Ana!');
    await expect.poll(() => kiosk.sim.printer.receipts().at(-1)?.text ?? '', { timeout: 10_000 }).toContain('Kekec');
    const text = kiosk.sim.printer.receipts().at(-1)!.text;
    const due = await dueDates('0100001');
    expect(text).toMatch(receiptDate(due.get('30100000008')!));
    expect(axe).toEqual([]);
    await leave(p);
  }, T);

  it('the screens pass axe in high-contrast and large-text modes too', async () => {
    const axe: AxeViolation[] = [];
    const p = await page();
    await p.getByRole('button', { name: 'High contrast' }).click();
    await p.getByRole('button', { name: 'Large text' }).click();
    expect(await p.evaluate(() => document.documentElement.className)).toMatch(/high-contrast.*large-text|large-text.*high-contrast/);
    await checkScreen(p, 'attract', 'attract-high-contrast', axe);
    await p.getByRole('button', { name: /Borrow, renew/ }).click();
    await checkScreen(p, 'identify', 'identify-high-contrast', axe);
    // A card number that is not known.
    await p.locator('#card-number').fill('9999999');
    await p.keyboard.press('Enter');
    await p.locator('[data-screen="identify"] [role="alert"]', { hasText: 'not known' }).waitFor({ timeout: 10_000 });
    await checkScreen(p, 'identify', 'identify-unknown-card', axe);
    await p.getByRole('button', { name: 'Cancel' }).click();
    await p.locator('[data-screen="attract"]').waitFor();
    expect(axe).toEqual([]);
    await leave(p);
  }, T);

  it('works with the keyboard alone', async () => {
    const p = await page();
    await p.keyboard.press('Tab'); // the first control: the language buttons
    let reached = false;
    for (let n = 0; n < 15 && !reached; n++) {
      reached = (await p.evaluate(() => document.activeElement?.textContent ?? '')).includes('Return items');
      if (!reached) await p.keyboard.press('Tab');
    }
    expect(reached).toBe(true);
    // Focus is visible: an outline is drawn on the focused control.
    expect(await p.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    await p.keyboard.press('Enter');
    await p.locator('[data-screen="return"]').waitFor({ timeout: 5000 });
    await p.keyboard.press('Tab');
    for (let n = 0; n < 15; n++) {
      if ((await p.evaluate(() => document.activeElement?.textContent ?? '')) === 'Back') break;
      await p.keyboard.press('Tab');
    }
    await p.keyboard.press('Enter');
    await p.locator('[data-screen="attract"]').waitFor({ timeout: 5000 });
    await leave(p);
  }, T);
});

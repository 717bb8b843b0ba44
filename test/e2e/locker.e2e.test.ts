/**
 * Locker pickup end to end (issue 6; domain.md §8.3): real Chromium on the built kiosk UI, the real
 * daemon with the demo library and its locker wall L1 (the Kerong KR-CU driver talking to its board
 * simulator), staff working through the locker HTTP API with a staff login, the pickup code read
 * from the SMS the logging sender captured. The daemon runs on a manual clock so that the second
 * test can let a loaded compartment run out of time.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../daemon/clock.ts';
import type { LogSmsSender } from '../../daemon/lockers/notify.ts';
import type { Daemon } from '../../daemon/main.ts';
import { createI18n } from '../../kiosk-ui/i18n/index.ts';
import { loginCookie } from '../helpers/staff.ts';
import { axeScan, chromiumAvailable, ensureUiBuilt, launchChromium, loginWithCard, openKiosk, screenshot, type AxeViolation, type E2eKiosk, startE2eKiosk } from './harness.ts';

const T = 90_000;
let daemon: Daemon;
let kiosk: E2eKiosk;
let clock: ManualClock;
let browser: Browser;
let staff: string;
const pages: Page[] = [];
const en = createI18n('en');

beforeAll(async () => {
  await ensureUiBuilt();
  clock = new ManualClock(new Date());
  kiosk = await startE2eKiosk({ clock });
  daemon = kiosk.daemon;
  staff = await loginCookie(daemon.http.url, 'staff', 'staff');
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await kiosk?.close();
});

afterEach(async ({ task }) => {
  for (const [n, p] of pages.splice(0).entries()) {
    if (p.isClosed()) continue;
    if (task.result?.state === 'fail') await screenshot(p, `failed-locker-${task.name.slice(0, 40).replace(/\W+/g, '-')}-${n}`);
    await p.close();
  }
  await kiosk?.reset();
});

async function page(): Promise<Page> {
  const p = await openKiosk(browser, kiosk);
  pages.push(p);
  return p;
}

async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The staff locker API (a staff login; every action audited). */
async function staffApi(path: string, body?: unknown): Promise<{ status: number; ok: boolean; data: any; error?: { code: string; message: string } }> {
  const res = await fetch(new URL(`/api/lockers${path}`, daemon.http.url), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', cookie: staff },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const b = (await res.json()) as { ok: boolean; data?: unknown; error?: { code: string; message: string } };
  return { status: res.status, ok: b.ok, data: b.data, ...(b.error ? { error: b.error } : {}) };
}

function door(board: number, lock: number): { open: boolean } {
  const d = daemon.simulator!.locker.state().doors.find((x: { board: number; lock: number }) => x.board === board && x.lock === lock);
  if (!d) throw new Error(`no door ${board}/${lock} in the simulator`);
  return d;
}

/**
 * Staff finish processing the copies (they get one compartment), load it (the door opens in the
 * simulator) and shut the door: the copies wait (W) and the patron gets the SMS with the code.
 * Returns the compartment, its door address and the code as the SMS gives it ("1234 5678").
 */
async function loadLocker(items: string[], mobile: string): Promise<{ number: string; board: number; lock: number; code: string }> {
  let number = '';
  for (const item of items) {
    const r = await staffApi('/finish-processing', { item });
    expect(r, `finish processing ${item}`).toMatchObject({ status: 200, ok: true });
    number ||= r.data.compartment;
    expect(r.data.compartment).toBe(number); // the patron's copies share one compartment
  }
  const banks = await staffApi('/banks');
  const c = banks.data[0].compartments.find((x: { number: string }) => x.number === number) as { board: number; lock: number };
  const sms = daemon.lockers!.smsSender as LogSmsSender;
  const before = sms.sent.length;
  expect(await staffApi(`/banks/L1/compartments/${number}/load`, {})).toMatchObject({ status: 200, ok: true, data: { assignment: { state: 'loading' } } });
  await waitFor('the door to open for loading', () => door(c.board, c.lock).open);
  daemon.simulator!.locker.closeDoor(c.board, c.lock);
  const notice = await waitFor('the SMS with the pickup code', () => sms.sent.slice(before).find((m) => m.to === mobile));
  const code = /(\d{4} \d{4})/.exec(notice.text)?.[1];
  if (!code) throw new Error(`no pickup code in the SMS: ${notice.text}`);
  return { number, board: c.board, lock: c.lock, code };
}

/** The patron types the code on the kiosk's number pad and presses Open. */
async function typeCode(p: Page, code: string): Promise<void> {
  await p.getByRole('button', { name: /Collect from a locker/ }).click();
  await p.locator('[data-screen="pickup"] [data-phase="entry"] #pickup-code').waitFor({ timeout: 8000 });
  for (const d of code.replace(/\D/g, '')) await p.locator('.keypad .key', { hasText: new RegExp(`^${d}$`) }).click();
  await p.getByRole('button', { name: 'Open', exact: true }).click();
}

/** A due date (YYYY-MM-DD) as the receipt prints it in any of the kiosk locales. */
function receiptDate(iso: string): RegExp {
  const [y, m, d] = iso.split('-');
  return new RegExp(`${d}\\D{1,3}${m}\\D{1,3}${y}|${y}\\D{1,3}${m}\\D{1,3}${d}`);
}

describe.skipIf(!chromiumAvailable())('locker pickup at the kiosk in Chromium', () => {
  it('a patron collects two holds with the pickup code (after a jammed door): the door opens, both loans are recorded with due dates, a receipt, and the code cannot be used again', async () => {
    const axe: AxeViolation[] = [];
    // The demo patron 0100009 (Mojca) has two copies reserved for the locker wall.
    const L = await loadLocker(['30100000040', '30100000041'], '+38640222333');
    expect(door(L.board, L.lock).open).toBe(false);

    const p = await page();

    // First the door jams: nothing is lent, the patron reads that staff know, staff have the alert.
    daemon.simulator!.locker.jam(L.board, L.lock, true);
    await typeCode(p, L.code);
    const jammed = p.locator('[data-screen="pickup"] [data-phase="failed"]');
    await jammed.waitFor({ timeout: 15_000 });
    expect(await jammed.getAttribute('data-error')).toBe('door_failed');
    await expect.poll(() => p.locator('h1').innerText()).toBe('The door did not open');
    expect(await jammed.innerText()).toContain('Staff have been alerted');
    expect(await jammed.innerText()).toContain(`Compartment ${L.number}`);
    axe.push(...(await axeScan(p, 'locker-door-failed')));
    expect(daemon.lockers!.alerts()).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'door_failed', bank: 'L1', compartment: L.number })]));
    const none = await daemon.backend.itemInformation('30100000040');
    expect(none.ok && none.item.status).not.toBe('C');

    // Staff free the door; the same code still works.
    daemon.simulator!.locker.jam(L.board, L.lock, false);
    await p.getByRole('button', { name: 'Back' }).click();
    await p.locator('[data-screen="attract"]').waitFor({ timeout: 8000 });
    await typeCode(p, L.code);
    await p.locator('[data-screen="pickup"] [data-phase="open"]').waitFor({ timeout: 15_000 });
    await screenshot(p, 'locker-open');
    axe.push(...(await axeScan(p, 'locker-open')));

    // The screen says which compartment is open, and the door stands open in the simulator.
    await expect.poll(() => p.locator('h1').innerText()).toBe(`Compartment ${L.number} is open: take your items`);
    expect(await p.locator(`[data-compartment="${L.number}"]`).count()).toBe(1);
    expect(door(L.board, L.lock).open).toBe(true);

    // Both loans are in the library system, and the screen gives each due date.
    const info = await daemon.backend.patronInformation('0100009');
    if (!info.ok) throw new Error(info.reason);
    const due = new Map(info.patron.loans.map((l) => [l.barcode, l.dueDate]));
    for (const b of ['30100000040', '30100000041']) {
      expect(due.get(b), `loan of ${b}`).toMatch(/^\d{4}-\d{2}-\d{2}/);
      const row = p.locator(`.item-list li[data-barcode="${b}"]`);
      expect(await row.getAttribute('data-status')).toBe('done');
      expect(await row.innerText()).toContain(`Borrowed — due ${en.date(due.get(b)!)}`);
    }
    const items = await Promise.all(['30100000040', '30100000041'].map((b) => daemon.backend.itemInformation(b)));
    expect(items.map((i) => i.ok && i.item.status)).toEqual(['C', 'C']);

    // The patron takes the books and shuts the door; a printed receipt lists the loans and the compartment.
    daemon.simulator!.locker.closeDoor(L.board, L.lock);
    await p.getByRole('button', { name: 'Done', exact: true }).click();
    await p.locator('[data-screen="receipt"]').waitFor({ timeout: 8000 });
    const printed = kiosk.sim.printer.receipts().length;
    await p.getByRole('button', { name: 'Print receipt' }).click();
    await p.locator('[data-screen="goodbye"]').waitFor({ timeout: 10_000 });
    expect(await p.locator('main').innerText()).toContain('Items borrowed: 2');
    await expect.poll(() => kiosk.sim.printer.receipts().length, { timeout: 10_000 }).toBeGreaterThan(printed);
    const receipt = kiosk.sim.printer.receipts().at(-1)!.text;
    for (const b of ['30100000040', '30100000041']) {
      const title = info.patron.loans.find((l) => l.barcode === b)!.title;
      expect(receipt).toContain(title.slice(0, 15));
      expect(receipt).toMatch(receiptDate(due.get(b)!.slice(0, 10)));
    }
    expect(receipt).toContain(`Collected from locker compartment ${L.number}`);
    await p.getByRole('button', { name: 'Done', exact: true }).click();
    await p.locator('[data-screen="attract"]').waitFor({ timeout: 8000 });

    // The same code a second time: refused, the door stays shut, nothing is lent twice.
    await typeCode(p, L.code);
    const failed = p.locator('[data-screen="pickup"] [data-phase="failed"]');
    await failed.waitFor({ timeout: 10_000 });
    expect(await failed.getAttribute('data-error')).toBe('code_used');
    await expect.poll(() => p.locator('h1').innerText()).toBe('This code has already been used');
    expect(await failed.innerText()).toContain('If that was not you, please ask staff.');
    axe.push(...(await axeScan(p, 'locker-code-used')));
    await screenshot(p, 'locker-code-used');
    expect(door(L.board, L.lock).open).toBe(false);
    const after = await daemon.backend.patronInformation('0100009');
    if (!after.ok) throw new Error(after.reason);
    expect(after.patron.loans.filter((l) => l.barcode === '30100000040' || l.barcode === '30100000041')).toHaveLength(2);
    expect(axe).toEqual([]);
  }, T);

  it('a locker hold not collected in time is released to the next patron in the queue; its code then says the time has passed', async () => {
    // Sarah (0100014) reserves a free copy for the locker wall; James (0100012) queues for the title.
    const item = '30100000251';
    const first = await daemon.backend.placeHold({ patron: '0100014', item, pickupPlace: 'PAK1' });
    expect(first, JSON.stringify(first)).toMatchObject({ ok: true, hold: { status: 'O' } });
    const second = await daemon.backend.placeHold({ patron: '0100012', bibId: 'SI-100187' });
    expect(second).toMatchObject({ ok: true, hold: { status: 'R' } });
    const L = await loadLocker([item], '+447700900789');
    const sarah = await daemon.backend.patronInformation('0100014');
    if (!sarah.ok) throw new Error(sarah.reason);
    expect(sarah.patron.holds.find((h) => h.itemBarcode === item)).toMatchObject({ status: 'W', pickupPlace: 'PAK1' });
    const balanceBefore = sarah.patron.balance;

    // 73 hours later (the bank holds for 72): the daemon's own expiry job releases the copy.
    clock.advanceMs(73 * 3_600_000);
    const james = await waitFor(
      'the copy to pass to the next patron',
      async () => {
        const j = await daemon.backend.patronInformation('0100012');
        const h = j.ok ? j.patron.holds.find((x) => x.bibId === 'SI-100187') : undefined;
        return h && h.status !== 'R' ? h : null;
      },
      20_000,
    );
    expect(james).toMatchObject({ status: 'O', itemBarcode: item });
    const later = await daemon.backend.patronInformation('0100014');
    if (!later.ok) throw new Error(later.reason);
    expect(later.patron.holds.find((h) => h.itemBarcode === item)).toBeUndefined();
    // COBISS charges the unclaimed pickup (preset unclaimedFee 1.00).
    expect(later.patron.balance).toBeCloseTo(balanceBefore + 1, 2);
    // Staff (logged in again: three days have passed) are told to empty the compartment.
    staff = await loginCookie(daemon.http.url, 'staff', 'staff');
    expect((await staffApi('/to-empty')).data).toEqual(expect.arrayContaining([expect.objectContaining({ bank: 'L1', compartment: L.number, reason: 'expired' })]));

    // Sarah comes with her code after all: the kiosk says the time has passed, and the door stays shut.
    const p = await page();
    await typeCode(p, L.code);
    const failed = p.locator('[data-screen="pickup"] [data-phase="failed"]');
    await failed.waitFor({ timeout: 10_000 });
    expect(await failed.getAttribute('data-error')).toBe('hold_expired');
    await expect.poll(() => p.locator('h1').innerText()).toBe('The pickup time has passed');
    await screenshot(p, 'locker-expired');
    expect(door(L.board, L.lock).open).toBe(false);
    const info = await daemon.backend.itemInformation(item);
    expect(info.ok && info.item.status).not.toBe('C');
  }, T);

  it('after card and PIN the menu offers what waits in the locker, and opens it without a code', async () => {
    const item = '30100000254';
    expect(await daemon.backend.placeHold({ patron: '0100001', item, pickupPlace: 'PAK1' })).toMatchObject({ ok: true, hold: { status: 'O' } });
    const L = await loadLocker([item], '+38640111222');
    const p = await page();
    // English chosen on screen wins over the patron's own Slovenian.
    await p.getByRole('button', { name: 'English' }).click();
    await loginWithCard(p, kiosk.sim, '0100001');
    const offer = p.getByRole('button', { name: /Collect from a locker/ });
    await offer.waitFor({ timeout: 8000 });
    expect(await offer.innerText()).toContain('Items waiting: 1');
    await offer.click();
    await p.locator('[data-screen="pickup"] [data-phase="open"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => p.locator('h1').innerText()).toBe(`Compartment ${L.number} is open: take your items`);
    expect(door(L.board, L.lock).open).toBe(true);
    const loans = await daemon.backend.patronInformation('0100001');
    if (!loans.ok) throw new Error(loans.reason);
    const loan = loans.patron.loans.find((l) => l.barcode === item);
    expect(loan?.dueDate).toBeTruthy();
    expect(await p.locator(`.item-list li[data-barcode="${item}"]`).innerText()).toContain(`Borrowed — due ${en.date(loan!.dueDate)}`);
    daemon.simulator!.locker.closeDoor(L.board, L.lock);
    // Back on the menu nothing waits any more.
    await p.getByRole('button', { name: 'Back' }).click();
    await p.locator('[data-screen="menu"]').waitFor({ timeout: 8000 });
    expect(await p.getByRole('button', { name: /Collect from a locker/ }).count()).toBe(0);
  }, T);

  it('one of two compartments does not open: the screen and the printed receipt give each its own outcome', async () => {
    // James (0100012) has two copies in two compartments: the first was opened for loading before
    // the second was finished, so the second took a compartment of its own (001:L4419).
    const [a, b] = ['30100000046', '30100000049'];
    for (const item of [a, b]) expect(await daemon.backend.placeHold({ patron: '0100012', item, pickupPlace: 'PAK1' })).toMatchObject({ ok: true, hold: { status: 'O' } });
    const sim = daemon.simulator!.locker;
    const banks = (await staffApi('/banks')).data[0].compartments as Array<{ number: string; board: number; lock: number }>;
    const doorOf = (n: string) => banks.find((c) => c.number === n)!;
    const first = (await staffApi('/finish-processing', { item: a })).data.compartment as string;
    expect(await staffApi(`/banks/L1/compartments/${first}/load`, {})).toMatchObject({ ok: true });
    const second = (await staffApi('/finish-processing', { item: b })).data.compartment as string;
    expect(second).not.toBe(first);
    const sms = daemon.lockers!.smsSender as LogSmsSender;
    const before = sms.sent.length;
    sim.closeDoor(doorOf(first).board, doorOf(first).lock);
    expect(await staffApi(`/banks/L1/compartments/${second}/load`, {})).toMatchObject({ ok: true });
    await waitFor('the second door to open for loading', () => door(doorOf(second).board, doorOf(second).lock).open);
    sim.closeDoor(doorOf(second).board, doorOf(second).lock);
    await waitFor('both notices', () => sms.sent.slice(before).filter((m) => m.to === '+447700900456').length === 2);

    // The second door jams.
    sim.jam(doorOf(second).board, doorOf(second).lock, true);
    const p = await page();
    await loginWithCard(p, kiosk.sim, '0100012');
    const offer = p.getByRole('button', { name: /Collect from a locker/ });
    await offer.waitFor({ timeout: 8000 });
    expect(await offer.innerText()).toContain('Items waiting: 2');
    await offer.click();
    await p.locator('[data-screen="pickup"] [data-phase="open"]').waitFor({ timeout: 15_000 });
    await screenshot(p, 'locker-one-door-failed');
    const axe = await axeScan(p, 'locker-one-door-failed');

    // Not "open" above the jammed door: each compartment says what happened to it.
    await expect.poll(() => p.locator('h1').innerText()).toBe('Collect from a locker');
    const opened = p.locator(`[data-compartment="${first}"]`);
    const jammed = p.locator(`[data-compartment="${second}"]`);
    expect(await opened.getAttribute('data-opened')).toBe('true');
    expect(await opened.locator('h2').innerText()).toBe(`Compartment ${first} is open: take your items`);
    expect(await jammed.getAttribute('data-opened')).toBe('false');
    expect(await jammed.locator('h2').innerText()).toBe(`Compartment ${second} did not open`);
    expect(await jammed.getByRole('alert').innerText()).toContain('Nothing from this compartment has been lent to you');
    expect(await opened.locator(`.item-list li[data-barcode="${a}"]`).getAttribute('data-status')).toBe('done');
    expect(await jammed.locator(`.item-list li[data-barcode="${b}"]`).getAttribute('data-status')).toBe('refused');
    expect(door(doorOf(first).board, doorOf(first).lock).open).toBe(true);
    expect(door(doorOf(second).board, doorOf(second).lock).open).toBe(false);
    expect(daemon.lockers!.alerts()).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'door_failed', compartment: second })]));
    const status = await Promise.all([a, b].map((x) => daemon.backend.itemInformation(x)));
    expect(status.map((i) => i.ok && i.item.status)).toEqual(['C', 'W']);

    // The printed receipt: James by card and name, the one loan, and each compartment's outcome.
    sim.closeDoor(doorOf(first).board, doorOf(first).lock);
    await p.getByRole('button', { name: 'Done', exact: true }).click();
    await p.locator('[data-screen="receipt"]').waitFor({ timeout: 8000 });
    const printed = kiosk.sim.printer.receipts().length;
    await p.getByRole('button', { name: 'Print receipt' }).click();
    await expect.poll(() => kiosk.sim.printer.receipts().length, { timeout: 10_000 }).toBeGreaterThan(printed);
    const receipt = kiosk.sim.printer.receipts().at(-1)!.text.replace(/\s+/g, ' ');
    expect(receipt).toContain('0100012');
    expect(receipt).toContain(`Collected from locker compartment ${first}`);
    expect(receipt).not.toContain(`Collected from locker compartment ${second}`);
    expect(receipt).toContain(`Locker compartment ${second}`);
    expect(receipt).toContain('did not open: nothing from it was lent');
    sim.jam(doorOf(second).board, doorOf(second).lock, false);
    expect(axe).toEqual([]);
  }, T);
});

/**
 * The staff desk end to end in Debian's Chromium: a staff member logs in, pairs the desk with the
 * pad's one-time code, sees items placed on the simulated pad appear with their tag data, checks
 * one out for a demo patron (the simulated tag's security bit is cleared), and programs a blank tag
 * (read back from the simulated tag's memory).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { detectAndDecode } from '../../protocols/iso28560/index.ts';
import { axeScan, chromiumAvailable, launchChromium, screenshot, startE2eKiosk, type AxeViolation, type E2eKiosk } from './harness.ts';
import { loginInBrowser } from '../helpers/staff.ts';

const run = chromiumAvailable() ? describe : describe.skip;

run('staff desk in Chromium', () => {
  let k: E2eKiosk;
  let browser: Browser;
  let page: Page;
  const violations: AxeViolation[] = [];

  beforeAll(async () => {
    k = await startE2eKiosk();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', reducedMotion: 'reduce' });
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await k?.close();
  });

  const row = (sel: string) => page.locator(`#tags tbody tr${sel}`);

  it('logs in, is asked for the pairing code, and pairs', async () => {
    await page.goto(`${k.url}/staff`);
    await page.waitForURL(/\/login\?next=%2Fstaff/);
    await loginInBrowser(page, k.url, 'staff', 'staff', '/staff');
    expect(new URL(page.url()).pathname).toBe('/staff');
    await page.getByRole('heading', { name: 'Pair this desk with the RFID pad' }).waitFor();
    expect(await page.getByRole('link', { name: 'Desk devices' }).getAttribute('href')).toBe('/staff/desk');
    violations.push(...(await axeScan(page, 'staff-pair')));
    await screenshot(page, 'staff-pair');

    // A wrong code first: refused with a message, nothing shown of the pad.
    await page.getByLabel('Pairing code').fill('AAAA-AAAA');
    await page.getByLabel('Name of this desk').fill('Loans desk');
    await page.getByRole('button', { name: 'Pair' }).click();
    await expect.poll(() => page.locator('#pair-message').innerText()).toMatch(/not the code the pad shows/);
    expect(await page.locator('#desk').isHidden()).toBe(true);

    await page.getByLabel('Pairing code').fill(k.daemon.pairing.currentCode().code);
    await page.getByRole('button', { name: 'Pair' }).click();
    await page.locator('#pairing-info').getByText('as desk “Loans desk”').waitFor({ timeout: 10_000 });
    expect(k.daemon.pairing.live().map((p) => p.desk)).toEqual(['Loans desk']);
  });

  it('shows items placed on the pad with their decoded tag data and security state', async () => {
    await k.sim.placeItem('30100000001');
    const r = row('[data-barcode="30100000001"][data-security="secured"]');
    await r.waitFor({ timeout: 10_000 });
    const text = await r.innerText();
    expect(text).toContain('ISO 28560-3');
    expect(text).toContain('owner SI-50000');
    expect(text).toContain('AFI 0x07');
    expect(await r.getAttribute('data-condition')).toBe('item');
  });

  it('checks the item out for a demo patron; the tag on the pad is unsecured', async () => {
    await page.getByLabel('Patron card for check-out').fill('0100001');
    await row('[data-barcode="30100000001"]').getByRole('button', { name: 'Check out' }).click();
    await row('[data-barcode="30100000001"][data-security="unsecured"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#log').innerText()).toMatch(/Checked out 30100000001 .*due \d{4}-\d{2}-\d{2}/);
    // The simulated tag itself: AFI now the "unsecured" value.
    const tag = k.sim.listPad().find((t) => t.barcode === '30100000001')!;
    expect(tag.secured).toBe(false);
    expect(k.sim.sim('rfid').pad.getTag(tag.uid)!.afi).toBe(0xc2);
    const info = await k.daemon.backend.itemInformation('30100000001');
    expect(info.ok && info.item.status).toBe('C');
    expect(info.ok && info.item.patronBarcode).toBe('0100001');
    await screenshot(page, 'staff-checked-out');
  });

  it('programs a blank tag and reads it back', async () => {
    const pad = k.sim.sim('rfid').pad;
    const uid = pad.placeTag({ label: 'blank sticker' });
    const blank = row(`[data-uid="${uid}"][data-condition="blank"]`);
    await blank.waitFor({ timeout: 10_000 });
    expect(await blank.innerText()).toContain('unprogrammed (all zero)');
    await blank.getByRole('button', { name: 'Program', exact: true }).click();
    await page.getByLabel('Barcode').fill('30100000003');
    await page.getByLabel('Data model').selectOption('iso28560-3');
    violations.push(...(await axeScan(page, 'staff-program')));
    await page.getByRole('button', { name: 'Write tag' }).click();
    const done = row(`[data-uid="${uid}"][data-condition="item"][data-barcode="30100000003"]`);
    await done.waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('#log').innerText()).toMatch(/Tag [0-9A-F]{16} programmed: 30100000003, ISO 28560-3, part 1 of 1, owner SI-50000 \(read back from the tag\)/);

    // What is in the simulated tag's memory now decodes as the item, owned by this library.
    const mem = pad.getTag(uid)!.memory;
    const decoded = detectAndDecode(mem);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(decoded.tag.model).toBe('iso28560-3');
      expect(decoded.tag.primaryItemId).toBe('30100000003');
      expect(decoded.tag.ownerLibrary).toBe('SI-50000');
      expect(decoded.tag.quirks).toEqual([]);
    }
    // The item is on the shelf: the new tag is secured for the gate.
    expect(pad.getTag(uid)!.afi).toBe(0x07);
    await done.locator('[data-security="secured"], .badge.secured').first().waitFor({ timeout: 5000 }).catch(() => undefined);
    expect(await done.getAttribute('data-security')).toBe('secured');
    await screenshot(page, 'staff-programmed');
  });

  it('converts a tag to ISO 28560-2 and audits every action', async () => {
    const r = row('[data-barcode="30100000003"]');
    await r.getByLabel(/Convert tag/).selectOption('iso28560-2');
    await r.getByRole('button', { name: 'Convert' }).click();
    await row('[data-barcode="30100000003"]').getByText('ISO 28560-2').waitFor({ timeout: 15_000 });
    const uid = (await r.getAttribute('data-uid'))!;
    const t = k.sim.sim('rfid').pad.getTag(uid)!;
    const decoded = detectAndDecode(t.memory, { dsfid: t.dsfid });
    expect(decoded.ok && decoded.tag.model).toBe('iso28560-2');
    expect(decoded.ok && decoded.tag.primaryItemId).toBe('30100000003');
    const actions = k.daemon.audit.recent(100).map((a) => `${a.actor} ${a.action} ${a.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining(['staff pairing.pair refused', 'staff pairing.pair ok', 'staff staff.item.checkout ok', 'staff staff.tag.program ok', 'staff staff.tag.convert ok']),
    );
    expect(violations).toEqual([]);
  });
});

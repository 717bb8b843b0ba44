/**
 * The idle timeout and the out-of-order screen in Chromium, each on a daemon of its own: a short
 * idle timeout (10 s + 3 s warning, the smallest the config allows), and a daemon whose library
 * system (an upstream SIP2 server) cannot be reached, with offline mode off.
 */
import { createServer } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  borrowOne,
  axeScan,
  checkScreen,
  chromiumAvailable,
  ensureUiBuilt,
  launchChromium,
  loginWithCard,
  openKiosk,
  screenshot,
  startE2eKiosk,
  waitOutcome,
  type E2eKiosk,
} from './harness.ts';

let browser: Browser;

beforeAll(async () => {
  await ensureUiBuilt();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!chromiumAvailable())('idle timeout', () => {
  let kiosk: E2eKiosk;
  beforeAll(async () => {
    kiosk = await startE2eKiosk({ kiosk: { idleTimeoutS: 10, warningS: 3 } });
  }, 60_000);
  afterAll(async () => {
    await kiosk?.close();
  });

  it('warns with a visible countdown, ends the session, and the next patron sees none of it', async () => {
    const p = await openKiosk(browser, kiosk);
    await borrowOne(p, kiosk.sim, '0100014', '30100000010');
    const touched = Date.now();
    // No touch for idleTimeoutS: the warning, counting down.
    const dialog = p.getByRole('alertdialog');
    await dialog.waitFor({ timeout: 15_000 });
    const shownAfterS = (Date.now() - touched) / 1000;
    expect(shownAfterS).toBeGreaterThan(8);
    const countdown = p.locator('.countdown');
    const first = Number(await countdown.getAttribute('data-seconds'));
    expect(first).toBeLessThanOrEqual(3);
    expect(await countdown.innerText()).toMatch(/Your session ends in \d seconds/);
    await screenshot(p, 'idle-warning');
    expect(await axeScan(p, 'idle-warning')).toEqual([]);
    // The focus is on "Continue" so a keyboard user can keep the session.
    expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Continue');
    await expect.poll(async () => Number(await countdown.getAttribute('data-seconds')), { timeout: 3000 }).toBeLessThan(first);
    // Then the session ends: back to attract, the patron's data gone.
    await p.locator('[data-screen="attract"]').waitFor({ timeout: 6000 });
    expect(await p.locator('main').innerText()).not.toMatch(/Sarah|30100000010/);
    expect(kiosk.station.view()).toBeNull();

    // The next patron: a full idle time, no warning left over, no previous rows.
    kiosk.sim.clearPad();
    await loginWithCard(p, kiosk.sim, '0100008');
    await p.getByRole('button', { name: 'Borrow', exact: true }).click();
    expect(await p.locator('.item-list li').count()).toBe(0);
    expect(await dialog.count()).toBe(0);
    await p.waitForTimeout(5000);
    expect(await dialog.count()).toBe(0);
    expect(await p.locator('[data-screen="borrow"]').count()).toBe(1);
    await p.close();
    await kiosk.reset();
  }, 60_000);

  it('"Continue" on the warning keeps the session', async () => {
    const p = await openKiosk(browser, kiosk);
    await loginWithCard(p, kiosk.sim, '0100012');
    const dialog = p.getByRole('alertdialog');
    await dialog.waitFor({ timeout: 15_000 });
    await p.getByRole('button', { name: 'Continue' }).click();
    expect(await dialog.count()).toBe(0);
    await p.waitForTimeout(4000);
    expect(await p.locator('[data-screen="menu"]').count()).toBe(1);
    await p.close();
    await kiosk.reset();
  }, 60_000);

  it('taking every item off the pad and walking away ends the session sooner', async () => {
    const p = await openKiosk(browser, kiosk);
    await loginWithCard(p, kiosk.sim, '0100001');
    await p.getByRole('button', { name: 'Izposoja', exact: true }).click();
    await kiosk.sim.placeItem('30100000011');
    expect((await waitOutcome(p, '30100000011')).status).toBe('done');
    const left = Date.now();
    kiosk.sim.clearPad();
    await p.getByRole('alertdialog').waitFor({ timeout: 8000 });
    await p.locator('[data-screen="attract"]').waitFor({ timeout: 8000 });
    // warningS without a touch, then warningS of countdown: well before the 10 s idle time and its warning.
    expect((Date.now() - left) / 1000).toBeLessThan(10);
    await p.close();
    await kiosk.reset();
  }, 60_000);
});

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!chromiumAvailable())('out of order', () => {
  let kiosk: E2eKiosk;
  beforeAll(async () => {
    const port = await closedPort();
    kiosk = await startE2eKiosk({
      configYaml: [
        'backend:',
        '  kind: sip2-upstream',
        '  host: 127.0.0.1',
        `  port: ${port}`,
        '  connectTimeoutMs: 300',
        '  timeoutMs: 500',
        '  offline: {enabled: false}',
        '',
      ].join('\n'),
    });
  }, 60_000);
  afterAll(async () => {
    await kiosk?.close();
  });

  it('says "out of order" when the library system cannot be reached and offline mode is off', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1024 } });
    const p = await context.newPage();
    await p.goto(kiosk.url);
    await checkScreen(p, 'outOfOrder', 'out-of-order', []);
    expect(await p.locator('h1').innerText()).toBe('Out of order');
    expect(await p.locator('main').innerText()).toContain('cannot reach the library system');
    expect(await axeScan(p, 'out-of-order')).toEqual([]);
    // Nothing to press that would fail: no menu, no return button.
    expect(await p.locator('main button').count()).toBe(0);
    // A card on the pad does not start a session.
    await kiosk.sim.placeCard('0100001');
    await p.waitForTimeout(1500);
    expect(await p.locator('[data-screen="outOfOrder"]').count()).toBe(1);
    await context.close();
  }, 60_000);
});

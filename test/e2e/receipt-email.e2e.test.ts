/**
 * An e-mailed receipt end to end: the kiosk's configuration names an SMTP server (a real one on
 * 127.0.0.1, smtp-server), so the receipt screen offers "Send by e-mail" to a patron with an
 * address; the patron borrows in Chromium, taps it, the goodbye screen says it was sent, and the
 * message that reached the SMTP server is addressed to the patron and lists the loan.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeScan, borrowOne, chromiumAvailable, ensureUiBuilt, launchChromium, openKiosk, type E2eKiosk, startE2eKiosk } from './harness.ts';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.ts';

describe.skipIf(!chromiumAvailable())('an e-mailed receipt at the kiosk in Chromium', () => {
  let kiosk: E2eKiosk;
  let browser: Browser;
  let smtp: TestSmtp;

  beforeAll(async () => {
    await ensureUiBuilt();
    smtp = await startSmtpServer();
    kiosk = await startE2eKiosk({ kiosk: { smtp: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'kiosk@library.example' } } });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await kiosk?.close();
    await smtp?.close();
  });

  it('offers "Send by e-mail", sends the receipt to the patron and says so', async () => {
    const p = await openKiosk(browser, kiosk);
    await borrowOne(p, kiosk.sim, '0100014', '30100000001');
    await p.getByRole('button', { name: 'Finish' }).click();
    await p.locator('[data-screen="receipt"]').waitFor({ timeout: 10_000 });
    expect(await axeScan(p, 'receipt-email')).toEqual([]);
    await p.getByRole('button', { name: 'Send by e-mail' }).click();
    await p.locator('[data-screen="goodbye"]').waitFor({ timeout: 10_000 });
    expect(await p.locator('main').innerText()).toContain('Your receipt has been sent by e-mail.');
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.recipients[0]).toEqual(['sarah.mitchell@example.org']);
    expect(smtp.mails[0]).toMatch(/^From: kiosk@library\.example/m);
    expect(smtp.mails[0]).toMatch(/^To: sarah\.mitchell@example\.org/m);
    expect(smtp.mails[0]).toContain('Poezije');
    // Nothing was printed: the patron chose e-mail.
    expect(kiosk.sim.printer.receipts()).toHaveLength(0);
    await p.close();
    await kiosk.reset();
  }, 60_000);
});

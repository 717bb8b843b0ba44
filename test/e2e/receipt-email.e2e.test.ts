/**
 * An e-mailed receipt end to end: the kiosk's configuration names an SMTP server (a real one on
 * 127.0.0.1, smtp-server), so the receipt screen offers "Send by e-mail" to a patron with an
 * address; the patron borrows in Chromium, taps it, the goodbye screen says it was sent, and the
 * message that reached the SMTP server is addressed to the patron and lists the loan.
 */
import type { Browser } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeScan, chromiumAvailable, ensureUiBuilt, launchChromium, loginWithCard, openKiosk, waitOutcome, type E2eKiosk, startE2eKiosk } from './harness.ts';

describe.skipIf(!chromiumAvailable())('an e-mailed receipt at the kiosk in Chromium', () => {
  let kiosk: E2eKiosk;
  let browser: Browser;
  let smtp: SMTPServer;
  const received: Array<{ to: string[]; data: string }> = [];

  beforeAll(async () => {
    await ensureUiBuilt();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, cb) {
        let data = '';
        stream.on('data', (d: Buffer) => (data += d.toString()));
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const port = (smtp.server.address() as { port: number }).port;
    kiosk = await startE2eKiosk({ kiosk: { smtp: { host: '127.0.0.1', port, secure: false, from: 'kiosk@library.example' } } });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await kiosk?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  it('offers "Send by e-mail", sends the receipt to the patron and says so', async () => {
    const p = await openKiosk(browser, kiosk);
    await loginWithCard(p, kiosk.sim, '0100014');
    await p.getByRole('button', { name: 'Borrow', exact: true }).click();
    await kiosk.sim.placeItem('30100000001');
    expect((await waitOutcome(p, '30100000001')).status).toBe('done');
    await p.getByRole('button', { name: 'Finish' }).click();
    await p.locator('[data-screen="receipt"]').waitFor({ timeout: 10_000 });
    expect(await axeScan(p, 'receipt-email')).toEqual([]);
    await p.getByRole('button', { name: 'Send by e-mail' }).click();
    await p.locator('[data-screen="goodbye"]').waitFor({ timeout: 10_000 });
    expect(await p.locator('main').innerText()).toContain('Your receipt has been sent by e-mail.');
    expect(received).toHaveLength(1);
    expect(received[0]!.to).toEqual(['sarah.mitchell@example.org']);
    expect(received[0]!.data).toMatch(/^From: kiosk@library\.example/m);
    expect(received[0]!.data).toMatch(/^To: sarah\.mitchell@example\.org/m);
    expect(received[0]!.data).toContain('Poezije');
    // Nothing was printed: the patron chose e-mail.
    expect(kiosk.sim.printer.receipts()).toHaveLength(0);
    await p.close();
    await kiosk.reset();
  }, 60_000);
});

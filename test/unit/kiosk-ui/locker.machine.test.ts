/**
 * Locker pickup at the kiosk (domain.md §8.3), as a patron meets it: the screen-flow machine on
 * XState's SimulatedClock, the test playing the daemon. With the code from the notification (typed
 * or its QR scanned) from the attract screen, or after card + PIN from the menu when something is
 * waiting; every refusal has its own screen; the idle timer ends a pickup like any session.
 */
import { describe, expect, it } from 'vitest';
import { lockerFailureCodes, type ItemOutcome, type LockerPickupResult } from '../../../protocols/kiosk-api/events.ts';
import { catalogues, createI18n, languages } from '../../../kiosk-ui/i18n/index.ts';
import type { MessageKey } from '../../../kiosk-ui/i18n/en.ts';
import { GOODBYE_MS, hasReceiptContent, isPickupQr, lockerItemsWaiting, pickupCodeFrom } from '../../../kiosk-ui/machines/kiosk.machine.ts';
import { screenOf } from '../../../kiosk-ui/machines/screen.ts';
import { outcomeLines } from '../../../kiosk-ui/views/common.tsx';
import { kioskState, login, outcome, startKiosk, uiConfig } from './fixtures.ts';

const lockerConfig = { ...uiConfig, locker: true };
const withLocker = () => startKiosk({ state: kioskState({ config: lockerConfig }), config: lockerConfig });

function twoHolds(over: Partial<LockerPickupResult> = {}): LockerPickupResult {
  return {
    compartments: [
      {
        bank: 'L1',
        bankName: 'Locker wall, main entrance',
        number: '07',
        opened: true,
        items: [outcome('30100000001', { title: 'Poezije', dueDate: '2026-03-23' }), outcome('30100000003', { title: 'Krst pri Savici', dueDate: '2026-03-23' })],
      },
    ],
    patron: { displayName: 'Ana', hasEmail: true },
    ...over,
  };
}

const failure = (code: string, details?: Record<string, unknown>) => ({ ok: false as const, error: { code, messageKey: `locker.${code}`, ...(details ? { details } : {}) } });

describe('collecting with a pickup code', () => {
  it('code on the keypad → the door opens → compartment 07 with both loans and due dates → printed receipt → goodbye', () => {
    const k = withLocker();
    k.send({ type: 'start.pickup' });
    expect(screenOf(k.snap())).toBe('pickup');
    expect(k.snap().matches({ session: { flow: { pickup: 'entry' } } })).toBe(true);

    // People type the code the way the message groups it; the daemon gets the bare code.
    k.send({ type: 'pickup.submit', code: ' 4821-7730 ' });
    expect(k.snap().matches({ session: { flow: { pickup: 'opening' } } })).toBe(true);
    const cmd = k.last('lockerPickup')!;
    expect(cmd).toEqual({ type: 'lockerPickup', seq: k.ctx().seq, code: '48217730', language: 'en' });
    // The one-time code is never kept in the machine, like a PIN.
    expect(JSON.stringify(k.ctx())).not.toContain('48217730');

    k.send({ type: 'lockerPickup.result', seq: cmd.seq, result: { ok: true, data: twoHolds() } });
    expect(k.snap().matches({ session: { flow: { pickup: 'open' } } })).toBe(true);
    expect(k.ctx().pickup?.compartments.map((c) => c.number)).toEqual(['07']);
    // The collected items are this session's loans: what the patron reads for each is the due date.
    const i = createI18n('en');
    const loans = k.ctx().rows.filter((r) => r.mode === 'checkout');
    expect(loans.map((r) => [r.barcode, outcomeLines(i, r).headline])).toEqual([
      ['30100000001', 'Borrowed — due 23 March 2026'],
      ['30100000003', 'Borrowed — due 23 March 2026'],
    ]);
    expect(i.t('pickup.openTitle', { number: '07' })).toBe('Compartment 07 is open: take your items');
    expect(k.cues).toEqual(['success']);
    expect(hasReceiptContent(k.ctx())).toBe(true);

    k.send({ type: 'finish' });
    expect(screenOf(k.snap())).toBe('receipt');
    k.send({ type: 'receipt.choose', kind: 'print' });
    const r = k.last('receipt')!;
    expect(r.kind).toBe('print');
    k.send({ type: 'receipt.result', seq: r.seq, result: { ok: true, data: { printed: true, emailed: false, reprintPending: false } } });
    expect(screenOf(k.snap())).toBe('goodbye');
    k.clock.increment(GOODBYE_MS);
    expect(k.snap().matches('attract')).toBe(true);
    // Leaving ends the daemon's session and forgets the pickup.
    expect(k.last('end')).toBeDefined();
    expect(k.ctx().pickup).toBeNull();
    expect(k.ctx().rows).toEqual([]);
  });

  it('the QR code of the notification held to the scanner on the attract screen opens the locker at once', () => {
    const k = withLocker();
    k.send({ type: 'scan.read', data: 'https://library.example/locker?code=48217730', symbology: 'qr' });
    expect(k.snap().matches({ session: { flow: { pickup: 'opening' } } })).toBe(true);
    const cmd = k.last('lockerPickup')!;
    expect(cmd.code).toBe('48217730');
    // Sent in the new session, so its answer is not dropped as stale.
    expect(cmd.seq).toBe(k.ctx().seq);
    expect(k.all('identify')).toEqual([]);
    k.send({ type: 'lockerPickup.result', seq: cmd.seq, result: { ok: true, data: twoHolds() } });
    expect(k.snap().matches({ session: { flow: { pickup: 'open' } } })).toBe(true);
  });

  it('the bare 8-digit code of the notice\'s QR on the attract screen opens the locker too', () => {
    const k = withLocker();
    k.send({ type: 'scan.read', data: '48217730', symbology: 'qr' });
    expect(k.last('lockerPickup')?.code).toBe('48217730');
  });

  it('a scanned card number on the attract screen still identifies the patron', () => {
    const k = withLocker();
    k.send({ type: 'scan.read', data: '0100001', symbology: 'code128' });
    expect(k.last('identify')?.identifier).toBe('0100001');
    expect(k.all('lockerPickup')).toEqual([]);
  });

  it('on the code screen a scanned QR is taken as the code', () => {
    const k = withLocker();
    k.send({ type: 'start.pickup' });
    k.send({ type: 'scan.read', data: 'PICKUP:48217730', symbology: 'qr' });
    expect(k.last('lockerPickup')?.code).toBe('48217730');
  });

  it('an empty or nonsense code is not sent', () => {
    const k = withLocker();
    k.send({ type: 'start.pickup' });
    k.send({ type: 'pickup.submit', code: '   ' });
    k.send({ type: 'pickup.submit', code: '12#4' });
    expect(k.all('lockerPickup')).toEqual([]);
    expect(k.snap().matches({ session: { flow: { pickup: 'entry' } } })).toBe(true);
  });

  it('is not offered where no locker bank is configured', () => {
    const k = startKiosk();
    k.send({ type: 'start.pickup' });
    expect(k.snap().matches('attract')).toBe(true);
    k.send({ type: 'scan.read', data: 'https://library.example/locker?code=48217730', symbology: 'qr' });
    expect(k.all('lockerPickup')).toEqual([]);
  });

  it('cancel on the code screen goes back to the attract screen and ends the session', () => {
    const k = withLocker();
    k.send({ type: 'start.pickup' });
    k.send({ type: 'cancel' });
    expect(k.snap().matches('attract')).toBe(true);
    expect(k.last('end')).toBeDefined();
  });

  it('an item the locker service could not lend is shown as not borrowed with its reason', () => {
    const k = withLocker();
    k.send({ type: 'start.pickup' });
    k.send({ type: 'pickup.submit', code: '48217730' });
    const refused: ItemOutcome = outcome('30100000003', { status: 'refused', dueDate: null, messageKey: 'locker.item_not_lent', details: { message: 'Item is damaged' } });
    const data = twoHolds();
    data.compartments[0]!.items[1] = refused;
    k.send({ type: 'lockerPickup.result', seq: k.last('lockerPickup')!.seq, result: { ok: true, data } });
    const row = k.ctx().rows.find((r) => r.barcode === '30100000003')!;
    const l = outcomeLines(createI18n('en'), row);
    expect(l.headline).toBe('Not borrowed');
    expect(l.detail).toEqual(['Item is damaged']);
  });
});

describe('every refusal has its screen', () => {
  const cases: Array<[string, boolean]> = [
    ['code_unknown', true],
    ['code_used', true],
    ['hold_expired', false],
    ['nothing_ready', false],
    ['door_failed', false],
    ['locker_offline', false],
    ['patron_refused', false],
    ['code_other_patron', false],
    ['locker_unavailable', false],
  ];
  for (const [code, retry] of cases) {
    it(`${code}: the failure screen${retry ? ', and the code can be entered again' : ''}`, () => {
      const k = withLocker();
      k.send({ type: 'start.pickup' });
      k.send({ type: 'pickup.submit', code: '48217730' });
      const cmd = k.last('lockerPickup')!;
      k.send({ type: 'lockerPickup.result', seq: cmd.seq, result: failure(code, code === 'door_failed' ? { compartment: '07', message: 'jammed' } : undefined) });
      expect(k.snap().matches({ session: { flow: { pickup: 'failed' } } })).toBe(true);
      expect(k.ctx().pickupError?.code).toBe(code);
      expect(k.cues).toEqual(['failure']);
      // Nothing was lent: no receipt content.
      expect(hasReceiptContent(k.ctx())).toBe(false);
      k.send({ type: 'pickup.retry' });
      expect(k.snap().matches({ session: { flow: { pickup: retry ? 'entry' : 'failed' } } })).toBe(true);
      if (retry) expect(k.ctx().pickupError).toBeNull();
      k.send({ type: 'back' });
      expect(k.snap().matches('attract')).toBe(true);
    });
  }

  it('a door that did not open tells the patron that staff have been alerted, in every language', () => {
    const texts = languages.map((l) => createI18n(l).t('pickup.fail.door_failed.body'));
    expect(texts[0]).toBe('Nothing has been lent to you. Staff have been alerted and will help you.');
    expect(new Set(texts).size).toBe(4);
  });

  it('every failure code has a title and an explanation in en, sl, lv and hu', () => {
    for (const lang of languages) {
      const c = catalogues[lang] as Record<string, string>;
      for (const code of lockerFailureCodes) {
        for (const part of ['title', 'body']) {
          const key = `pickup.fail.${code}.${part}`;
          expect(c[key]?.length, `${lang} ${key}`).toBeGreaterThan(5);
          if (lang !== 'en' && part === 'title') expect(c[key], `${lang} ${key}`).not.toBe((catalogues.en as Record<string, string>)[key]);
        }
      }
      expect(createI18n(lang).t('pickup.openTitle' as MessageKey, { number: '07' })).toContain('07');
    }
  });
});

describe('from the menu after card + PIN', () => {
  it('asks what is waiting, offers the pickup, opens the patron\'s compartment without a code', () => {
    const k = withLocker();
    login(k);
    const ask = k.last('lockerWaiting')!;
    expect(ask.seq).toBe(k.ctx().seq);
    k.send({ type: 'lockerWaiting.result', seq: ask.seq, result: { ok: true, data: { compartments: [{ bank: 'L1', number: '07', items: 2, expiresAt: '2026-03-05T10:00:00Z' }] } } });
    expect(lockerItemsWaiting(k.ctx())).toBe(2);
    k.send({ type: 'menu.pickup' });
    expect(k.snap().matches({ session: { flow: { pickup: 'opening' } } })).toBe(true);
    const cmd = k.last('lockerPickup')!;
    expect(cmd.code).toBeNull();
    k.send({ type: 'lockerPickup.result', seq: cmd.seq, result: { ok: true, data: twoHolds() } });
    expect(k.snap().matches({ session: { flow: { pickup: 'open' } } })).toBe(true);
    // Back to the menu to borrow more; nothing is waiting any more.
    k.send({ type: 'back' });
    expect(k.snap().matches({ session: { flow: 'menu' } })).toBe(true);
    expect(lockerItemsWaiting(k.ctx())).toBe(0);
    expect(k.ctx().patron?.displayName).toBe('Ana');
  });

  it('does not ask when no locker is configured, and a refusal goes back to the menu', () => {
    const plain = startKiosk();
    login(plain);
    expect(plain.all('lockerWaiting')).toEqual([]);

    const k = withLocker();
    login(k);
    k.send({ type: 'menu.pickup' });
    const cmd = k.last('lockerPickup')!;
    k.send({ type: 'lockerPickup.result', seq: cmd.seq, result: failure('patron_refused', { message: 'Please settle your outstanding fees (12,40 €) before borrowing.' }) });
    expect(k.ctx().pickupError?.details?.message).toContain('12,40');
    k.send({ type: 'back' });
    expect(k.snap().matches({ session: { flow: 'menu' } })).toBe(true);
  });
});

describe('idle timeout', () => {
  it('a patron who walks away from the code screen: warning, then the session ends', () => {
    const k = withLocker();
    k.send({ type: 'start.pickup' });
    k.advanceS(60);
    expect(k.ctx().warningRemainingS).toBe(15);
    k.advanceS(15);
    expect(k.snap().matches('attract')).toBe(true);
    expect(k.last('end')).toBeDefined();
  });

  it('a patron who took the items and left: the session ends; a late answer of it is dropped', () => {
    const k = withLocker();
    k.send({ type: 'start.pickup' });
    k.send({ type: 'pickup.submit', code: '48217730' });
    const cmd = k.last('lockerPickup')!;
    k.advanceS(75);
    expect(k.snap().matches('attract')).toBe(true);
    k.send({ type: 'lockerPickup.result', seq: cmd.seq, result: { ok: true, data: twoHolds() } });
    expect(k.snap().matches('attract')).toBe(true);
    expect(k.ctx().pickup).toBeNull();
  });

  it('the open-compartment screen times out like any other', () => {
    const k = withLocker();
    k.send({ type: 'start.pickup' });
    k.send({ type: 'pickup.submit', code: '48217730' });
    k.send({ type: 'lockerPickup.result', seq: k.last('lockerPickup')!.seq, result: { ok: true, data: twoHolds() } });
    k.advanceS(75);
    expect(k.snap().matches('attract')).toBe(true);
    expect(k.ctx().rows).toEqual([]);
  });
});

describe('reading the code', () => {
  it('takes the code out of a link, a prefix or grouped digits; refuses what is not a code', () => {
    expect(pickupCodeFrom('48217730')).toBe('48217730');
    expect(pickupCodeFrom(' 4821 7730 ')).toBe('48217730');
    expect(pickupCodeFrom('4821-7730')).toBe('48217730');
    expect(pickupCodeFrom('https://lib.example/pickup?bank=L1&code=48217730')).toBe('48217730');
    expect(pickupCodeFrom('LOCKER:48217730')).toBe('48217730');
    expect(pickupCodeFrom('')).toBeNull();
    expect(pickupCodeFrom('12#4')).toBeNull();
    expect(isPickupQr('https://lib.example/pickup?code=48217730')).toBe(true);
    expect(isPickupQr('pickup:48217730')).toBe(true);
    // A card or item barcode is not a pickup QR.
    expect(isPickupQr('0100001')).toBe(false);
    expect(isPickupQr('30100000001')).toBe(false);
    expect(isPickupQr('48217730', 'code128')).toBe(false);
    expect(isPickupQr('48217730', 'qr')).toBe(true);
  });
});

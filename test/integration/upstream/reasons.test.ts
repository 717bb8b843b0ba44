/**
 * Reading reason codes back from upstream screen messages: our catalogue exactly (every language,
 * placeholders as details), and other servers' wording (Koha C4/SIP/ILS.pm, FOLIO edge-sip2).
 */
import { describe, expect, it } from 'vitest';
import { reasonCodes, reasonText } from '../../../protocols/kiosk-api/reasons.ts';
import { reasonFromCatalogue, reasonFromText } from '../../../daemon/circulation/sip2-upstream/index.ts';
import { parseDueDate, routingFrom, splitName } from '../../../daemon/circulation/sip2-upstream/mapping.ts';
import { DIALECTS } from '../../../daemon/circulation/sip2-upstream/dialects.ts';

describe('reason codes from screen messages', () => {
  it('every catalogue text in every language comes back as its own reason, with its placeholders', () => {
    const details = { limit: 7, amount: '2.50 EUR', missing: '3/3 K3', currency: 'EUR' };
    for (const lang of ['en', 'sl', 'lv', 'hu'] as const) {
      for (const code of reasonCodes) {
        expect(reasonFromCatalogue(reasonText(code, lang, details))?.reason, `${lang} ${code}`).toBe(code);
      }
    }
    expect(reasonFromCatalogue('Jūs esat sasniedzis 3 šāda veida izdevumu limitu.')).toEqual({ reason: 'too_many_items_of_type', details: { limit: 3 } });
    expect(reasonFromCatalogue('Dosegli ste omejitev 15 izposojenih enot.')).toEqual({ reason: 'too_many_items', details: { limit: 15 } });
  });

  it("other servers' words: Koha and FOLIO messages map to the closest reason", () => {
    const koha: Array<[string, Parameters<typeof reasonFromText>[1], string]> = [
      ['Invalid Patron', 'checkout', 'unknown_patron'],
      ['Patron Blocked', 'checkout', 'patron_blocked'],
      ['Invalid Item', 'checkout', 'unknown_item'],
      ['Item checked out to another patron', 'checkout', 'item_on_loan'],
      ['Invalid Item', 'checkin', 'unknown_item'],
      ['Item not checked out', 'checkin', 'not_on_loan'],
      ['Item lost, return not allowed', 'checkout', 'item_lost'],
      ['Invalid patron barcode.', 'fee', 'unknown_patron'],
      ['Renewals not allowed.', 'renew', 'not_renewable'],
      ['Item not checked out to Ana Novak', 'renew', 'not_your_loan'],
      ['No such hold on patron record.', 'hold', 'hold_not_found'],
      ['No such outstanding hold.', 'hold', 'hold_not_found'],
      ['Excessive fees blocking placement of hold.', 'hold', 'debt_block'],
      ['Invalid patron password.', 'hold', 'wrong_pin'],
      ['Your library card number cannot be located. Please see a staff member for assistance.', 'patron', 'unknown_patron'],
      ['There are unresolved issues with your account. Please see a staff member for assistance.', 'patron', 'patron_blocked'],
    ];
    for (const [text, op, reason] of koha) expect(reasonFromText([text], op, false)?.reason, text).toBe(reason);
    expect(reasonFromText(['Something nobody expected'], 'checkout', false)).toBeNull();
  });
});

describe('SIP2 fields to backend data', () => {
  it('due dates in the forms servers send; names in both orders', () => {
    expect(parseDueDate('20260323    235959', 'Europe/Ljubljana')).toBe('2026-03-23');
    expect(parseDueDate('20260323   Z225959', 'Europe/Ljubljana')).toBe('2026-03-23');
    expect(parseDueDate('2026-03-23 23:59', 'Europe/Ljubljana')).toBe('2026-03-23');
    expect(parseDueDate('', 'Europe/Ljubljana')).toBeNull();
    expect(splitName('Novak, Ana')).toEqual({ firstName: 'Ana', lastName: 'Novak' });
    expect(splitName('Ana Marija Novak')).toEqual({ firstName: 'Ana Marija', lastName: 'Novak' });
  });

  it('check-in routing from alert, CV, CT, CY, DA (CV 00 = no alert, Koha cv_send_00_on_success)', () => {
    const base = { code: '10' as const, resensitize: true, magneticMedia: false, transactionDate: null, institutionId: 'X', itemIdentifier: 'B1', permanentLocation: 'MAIN' };
    const tz = 'Europe/Ljubljana';
    expect(routingFrom({ ...base, ok: true, alert: true, alertType: '01', holdPatronId: 'P2', holdPatronName: 'Horvat, M.', destinationLocation: 'BRANCH' }, DIALECTS.koha, tz)).toMatchObject({
      destination: 'hold_shelf',
      forPatron: 'P2',
      forPatronName: 'Horvat, M.',
      pickupPlace: 'BRANCH',
    });
    expect(routingFrom({ ...base, ok: true, alert: true, alertType: '04', destinationLocation: 'BRANCH' }, DIALECTS.koha, tz)).toMatchObject({ destination: 'other_department', department: 'BRANCH' });
    expect(routingFrom({ ...base, ok: true, alert: false, alertType: '00' }, DIALECTS.koha, tz)).toMatchObject({ destination: 'shelf' });
    expect(routingFrom({ ...base, ok: true, alert: true, screenMessage: ['Check the item'] }, DIALECTS.generic, tz)).toMatchObject({ destination: 'staff', note: 'Check the item' });
  });
});

/**
 * The kiosk's languages: every UI string and every refusal reason in en, sl, lv and hu; dates and
 * money in each locale's own format; outcome lines (what a patron reads for each item).
 */
import { describe, expect, it } from 'vitest';
import { reasonCodes } from '../../../protocols/kiosk-api/reasons.ts';
import { catalogues, createI18n, languages } from '../../../kiosk-ui/i18n/index.ts';
import { outcomeLines } from '../../../kiosk-ui/views/common.tsx';
import type { ItemRow } from '../../../kiosk-ui/machines/kiosk.machine.ts';
import { outcome } from './fixtures.ts';

describe('translations', () => {
  it('every language has every UI string, filled in (not left in English)', () => {
    const keys = Object.keys(catalogues.en);
    for (const lang of languages) {
      const c = catalogues[lang] as Record<string, string>;
      expect(Object.keys(c).sort()).toEqual([...keys].sort());
      for (const k of keys) expect(c[k]?.trim().length, `${lang} ${k}`).toBeGreaterThan(0);
      if (lang !== 'en') {
        const same = keys.filter((k) => c[k] === (catalogues.en as Record<string, string>)[k] && !/^(pin\.label|pin\.submit|idle\.|app\.)/.test(k));
        expect(same.length, `${lang}: ${same.join(', ')}`).toBeLessThan(3);
      }
    }
  });

  it('every refusal reason has a patron-facing text in every language, with its details filled in', () => {
    for (const lang of languages) {
      const i = createI18n(lang);
      for (const code of reasonCodes) expect(i.reason(code).length, `${lang} ${code}`).toBeGreaterThan(5);
      expect(i.reason('too_many_items', { limit: 12 })).toContain('12');
    }
  });

  it('formats due dates and money in the locale\'s way', () => {
    expect(createI18n('en').date('2026-03-23')).toBe('23 March 2026');
    expect(createI18n('sl').date('2026-03-23')).toBe('23. marec 2026');
    expect(createI18n('hu').date('2026-03-23')).toBe('2026. március 23.');
    expect(createI18n('lv').date('2026-03-23')).toMatch(/2026\. gada 23\. mart/);
    // A calendar day stays that day in every time zone.
    expect(createI18n('en').date('2026-01-01')).toBe('1 January 2026');
    expect(createI18n('sl').money(12.4, 'EUR').replace(/\s/g, ' ')).toBe('12,40 €');
    expect(createI18n('en').money(12.4, 'EUR')).toBe('€12.40');
    expect(createI18n('hu').money(1200, 'HUF').replace(/\s/g, ' ')).toMatch(/^1 ?200(,00)? Ft$/);
    // An amount inside a refusal (the engine's "12.40 EUR") takes the same local form.
    expect(createI18n('sl').reason('debt_block', { amount: '12.40 EUR' }).replace(/\s/g, ' ')).toBe('Najprej poravnajte neporavnane terjatve (12,40 €).');
    expect(createI18n('en').reason('debt_block', { amount: '12.40 EUR' })).toBe('Please settle your outstanding fees (€12.40) first.');
  });

  it('an error code that is not a reason gets the kiosk\'s own text', () => {
    const i = createI18n('en');
    expect(i.error({ code: 'printer_paper_out' })).toBe('The receipt could not be printed. Staff can print it for you.');
    expect(i.error({ code: 'unknown_patron' })).toBe('This library card is not known. Please ask staff.');
    expect(i.error({ code: 'something_new' })).toBe('Something went wrong. Please ask staff.');
  });
});

describe('what a patron reads for each item', () => {
  const i = createI18n('en');
  const row = (mode: ItemRow['mode'], o: ReturnType<typeof outcome>): ItemRow => ({ ref: o.barcode, mode, barcode: o.barcode, title: o.title, status: o.status, outcome: o, error: null });

  it('a loan gives its due date', () => {
    expect(outcomeLines(i, row('checkout', outcome('B1'))).headline).toBe('Borrowed — due 23 March 2026');
  });

  it('a conditional or forbidden item says "please ask staff" with the reason', () => {
    const conditional = outcomeLines(i, row('checkout', outcome('B1', { status: 'refused', reason: 'ask_staff', dueDate: null })));
    expect(conditional.headline).toBe('Not borrowed');
    expect(conditional.detail.join(' ')).toContain('This item can only be lent by staff. Please ask at the desk.');
    const forbidden = outcomeLines(i, row('checkout', outcome('B1', { status: 'refused', reason: 'item_not_loanable', dueDate: null })));
    expect(forbidden.detail).toEqual(['This item cannot be borrowed.', 'Please ask staff.']);
  });

  it('done but the tag would alarm: the patron is sent to the desk', () => {
    expect(outcomeLines(i, row('checkout', outcome('B1', { status: 'security_failed' }))).headline).toContain('Please show this item at the desk');
  });

  it('a return says where the item goes, and any late fee', () => {
    const l = outcomeLines(
      i,
      row('checkin', outcome('B2', { dueDate: null, routing: { destination: 'hold_shelf', department: '01', pickupPlace: '01-DESK', forPatronName: 'H., M.' }, fine: { amount: 0.6, currency: 'EUR' } })),
    );
    expect(l.headline).toBe('Returned');
    expect(l.detail).toEqual(['Reserved for another reader: put it on the hold shelf (01-DESK).', 'A late fee of €0.60 has been charged.']);
  });
});

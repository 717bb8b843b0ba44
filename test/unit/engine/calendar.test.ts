import { describe, expect, it } from 'vitest';
import { Calendar, easterSunday, nationalHolidays } from '../../../daemon/circulation/calendar.ts';
import { addMonths, addPeriod, localDate, parsePeriod } from '../../../daemon/circulation/dates.ts';

describe('dates', () => {
  it('reads the local date of an instant in the library time zone', () => {
    // 23:30 UTC on 1 March is already 2 March in Ljubljana (UTC+1).
    expect(localDate(new Date('2026-03-01T23:30:00Z'), 'Europe/Ljubljana')).toBe('2026-03-02');
    expect(localDate(new Date('2026-03-01T23:30:00Z'), 'UTC')).toBe('2026-03-01');
  });

  it('adds months the way a loan period of 1m is read', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2026-11-15', 2)).toBe('2027-01-15');
  });

  it('parses COBISS period syntax and refuses nonsense', () => {
    expect(parsePeriod('14d')).toEqual({ amount: 14, unit: 'd', workingDays: false });
    expect(parsePeriod('*5d')).toEqual({ amount: 5, unit: 'd', workingDays: true });
    expect(parsePeriod('1m')).toEqual({ amount: 1, unit: 'm', workingDays: false });
    expect(parsePeriod('5 days')).toBeNull();
    expect(parsePeriod('*1m')).toBeNull();
  });

  it('counts working-day periods over closed days', () => {
    const closed = (d: string) => d === '2026-03-07' || d === '2026-03-08'; // a weekend
    expect(addPeriod('2026-03-05', parsePeriod('*3d')!, closed)).toBe('2026-03-10');
  });
});

describe('calendar', () => {
  it('computes Easter', () => {
    expect(easterSunday(2024)).toBe('2024-03-31');
    expect(easterSunday(2025)).toBe('2025-04-20');
    expect(easterSunday(2026)).toBe('2026-04-05');
  });

  it('knows the national holidays of Slovenia, Latvia and Hungary', () => {
    const si = nationalHolidays('SI', 2026);
    expect(si.get('2026-02-08')).toBe('Prešernov dan');
    expect(si.has('2026-04-06')).toBe(true); // Easter Monday
    const lv = nationalHolidays('LV', 2028);
    // 18 November 2028 is a Saturday: the following Monday is a holiday too.
    expect(lv.has('2028-11-18')).toBe(true);
    expect(lv.has('2028-11-20')).toBe(true);
    expect(nationalHolidays('LV', 2026).has('2026-06-24')).toBe(true);
    const hu = nationalHolidays('HU', 2026);
    expect(hu.has('2026-05-25')).toBe(true); // Whit Monday
    expect(hu.has('2026-04-03')).toBe(true); // Good Friday
  });

  it('moves a date on a closed day to the next open day, per department', () => {
    const cal = new Calendar(
      { closedWeekdays: ['SUN'], nationalHolidays: 'SI', fineOnClosedDays: false },
      new Map([
        ['', new Map([['2026-04-07', { closed: true, fineCharged: false, noFine: false, note: 'Inventory' }]])],
        ['02', new Map([['2026-04-08', { closed: true, fineCharged: false, noFine: false, note: 'Move' }]])],
      ]),
    );
    // Sunday 5 April (Easter) → Monday 6 April (Easter Monday) → Tuesday 7 (closed library-wide) → 8.
    expect(cal.nextOpenDay('2026-04-05')).toBe('2026-04-08');
    expect(cal.nextOpenDay('2026-04-05', '02')).toBe('2026-04-09');
    expect(cal.nextOpenDay('2026-04-09')).toBe('2026-04-09');
    expect(cal.describe('2026-04-06')).toEqual({ closed: true, reason: 'velikonočni ponedeljek' });
  });

  it('charges fines on open days, and on closed days only when flagged', () => {
    const cal = new Calendar(
      { closedWeekdays: ['SUN'], nationalHolidays: null, fineOnClosedDays: false },
      new Map([
        [
          '',
          new Map([
            ['2026-03-15', { closed: true, fineCharged: true, noFine: false, note: null }], // a Sunday, blue
            ['2026-03-10', { closed: false, fineCharged: false, noFine: true, note: 'after the flood' }], // green
          ]),
        ],
      ]),
    );
    expect(cal.isFineDay('2026-03-09')).toBe(true);
    expect(cal.isFineDay('2026-03-10')).toBe(false);
    expect(cal.isFineDay('2026-03-08')).toBe(false); // an ordinary Sunday
    expect(cal.isFineDay('2026-03-15')).toBe(true);
  });
});

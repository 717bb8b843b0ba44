import { describe, expect, it } from 'vitest';
import {
  formatSipDate,
  formatSipDateAt,
  isBlankSipDate,
  parseSipDate,
  sipDateFromInstant,
  sipDateToInstant,
  sipDateUtcFromInstant,
  sipEndOfDay,
} from '../../../protocols/sip2/index.ts';

// 2024-03-15T13:25:30Z is 14:25:30 in Ljubljana (CET, UTC+1).
const WINTER = new Date('2024-03-15T13:25:30Z');
// 2024-07-01T10:00:00Z is 12:00:00 in Ljubljana (CEST, UTC+2).
const SUMMER = new Date('2024-07-01T10:00:00Z');

describe('formatting from an instant and a time zone', () => {
  it('local time in Europe/Ljubljana, winter and summer offsets', () => {
    expect(formatSipDateAt(WINTER, 'Europe/Ljubljana')).toBe('20240315    142530');
    expect(formatSipDateAt(SUMMER, 'Europe/Ljubljana')).toBe('20240701    120000');
  });

  it('other zones (Budapest, Riga, New York across the date line)', () => {
    expect(formatSipDateAt(WINTER, 'Europe/Budapest')).toBe('20240315    142530');
    expect(formatSipDateAt(WINTER, 'Europe/Riga')).toBe('20240315    152530');
    expect(formatSipDateAt(new Date('2024-03-15T02:00:00Z'), 'America/New_York')).toBe('20240314    220000');
  });

  it('accepts epoch milliseconds', () => {
    expect(formatSipDateAt(WINTER.getTime(), 'UTC')).toBe('20240315    132530');
  });

  it('UTC form has Z in the rightmost zone position', () => {
    expect(formatSipDate(sipDateUtcFromInstant(WINTER))).toBe('20240315   Z132530');
  });

  it('midnight is 00, never 24', () => {
    expect(formatSipDateAt(new Date('2024-03-14T23:00:00Z'), 'Europe/Ljubljana')).toBe('20240315    000000');
  });

  it('null → 18 spaces, or 18 zeros where the field wants that', () => {
    expect(formatSipDate(null)).toBe(' '.repeat(18));
    expect(formatSipDate(null, '0')).toBe('0'.repeat(18));
  });

  it('an unknown IANA zone is a configuration error (RangeError)', () => {
    expect(() => formatSipDateAt(WINTER, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('sipEndOfDay (a due date or pickup deadline that is a day)', () => {
  it('is the last second of that day, local time, on the wire', () => {
    expect(formatSipDate(sipEndOfDay('2026-03-02'))).toBe('20260302    235959');
  });

  it('refuses anything that is not YYYY-MM-DD', () => {
    expect(sipEndOfDay('2026-3-2')).toBeNull();
    expect(sipEndOfDay('2026-03-02T10:00')).toBeNull();
  });
});

describe('sipDateFromInstant hands out copies', () => {
  it('a caller changing its date does not change the next caller\'s', () => {
    const a = sipDateFromInstant(WINTER, 'Europe/Ljubljana');
    a.hour = 23;
    expect(sipDateFromInstant(WINTER, 'Europe/Ljubljana').hour).toBe(14);
  });
});

describe('parseSipDate (lenient)', () => {
  it('parses the 18-char local form', () => {
    expect(parseSipDate('20240315    142530')).toEqual({ year: 2024, month: 3, day: 15, hour: 14, minute: 25, second: 30, zone: 'local' });
  });

  it('parses military zone letters, wherever the sender put them in the zone', () => {
    expect(parseSipDate('20240315   Z142530')?.zone).toBe('Z');
    expect(parseSipDate('20240315Z   142530')?.zone).toBe('Z');
    expect(parseSipDate('20240315   q142530')?.zone).toBe('Q');
  });

  it('blank, zeros, garbage and impossible dates → null', () => {
    expect(parseSipDate('')).toBeNull();
    expect(parseSipDate(' '.repeat(18))).toBeNull();
    expect(parseSipDate('0'.repeat(18))).toBeNull();
    expect(parseSipDate('tomorrow')).toBeNull();
    expect(parseSipDate('20240230    120000')).toBeNull(); // 30 February
    expect(parseSipDate('20230229    120000')).toBeNull(); // not a leap year
    expect(parseSipDate('20240315    246000')).toBeNull();
    expect(parseSipDate('20240315 XX 142530')).toBeNull();
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseSipDate('20240229    120000')?.day).toBe(29);
  });

  it('accepts YYYYMMDD and ISO forms some ACSs put in AH', () => {
    expect(parseSipDate('20240405')).toMatchObject({ year: 2024, month: 4, day: 5, hour: 0, zone: 'local' });
    expect(parseSipDate('2024-04-05')).toMatchObject({ year: 2024, month: 4, day: 5, zone: 'local' });
    expect(parseSipDate('2024-04-05T23:59:00Z')).toMatchObject({ hour: 23, minute: 59, zone: 'Z' });
  });

  it('isBlankSipDate', () => {
    expect(isBlankSipDate(' '.repeat(18))).toBe(true);
    expect(isBlankSipDate('0'.repeat(18))).toBe(true);
    expect(isBlankSipDate('20240315    142530')).toBe(false);
  });
});

describe('sipDateToInstant', () => {
  it('resolves local dates in the ACS time zone, both DST offsets', () => {
    expect(sipDateToInstant(parseSipDate('20240315    142530'), 'Europe/Ljubljana')?.toISOString()).toBe('2024-03-15T13:25:30.000Z');
    expect(sipDateToInstant(parseSipDate('20240701    120000'), 'Europe/Ljubljana')?.toISOString()).toBe('2024-07-01T10:00:00.000Z');
  });

  it('round-trips instant → SIP local date → instant', () => {
    for (const iso of ['2024-01-01T00:00:00Z', '2024-03-31T00:59:59Z', '2024-03-31T01:00:00Z', '2024-10-27T02:00:00Z', '2024-12-31T23:59:59Z']) {
      const instant = new Date(iso);
      expect(sipDateToInstant(sipDateFromInstant(instant, 'Europe/Ljubljana'), 'Europe/Ljubljana')?.toISOString()).toBe(
        instant.toISOString(),
      );
    }
  });

  it('DST changes: a repeated wall time is the earlier instant, a skipped one lands after the gap', () => {
    // 27 Oct 2024 02:30 happens twice in Ljubljana (CEST 00:30Z, then CET 01:30Z).
    expect(sipDateToInstant(parseSipDate('20241027    023000'), 'Europe/Ljubljana')?.toISOString()).toBe('2024-10-27T00:30:00.000Z');
    // 31 Mar 2024 02:30 does not exist (clocks jump 02:00 → 03:00); read with the winter offset.
    expect(sipDateToInstant(parseSipDate('20240331    023000'), 'Europe/Ljubljana')?.toISOString()).toBe('2024-03-31T01:30:00.000Z');
  });

  it('UTC and military zones ignore the configured zone', () => {
    expect(sipDateToInstant(parseSipDate('20240315   Z142530'), 'Europe/Ljubljana')?.toISOString()).toBe('2024-03-15T14:25:30.000Z');
    expect(sipDateToInstant(parseSipDate('20240315   A142530'), 'UTC')?.toISOString()).toBe('2024-03-15T13:25:30.000Z');
    expect(sipDateToInstant(parseSipDate('20240315   N142530'), 'UTC')?.toISOString()).toBe('2024-03-15T15:25:30.000Z');
  });

  it('null stays null', () => {
    expect(sipDateToInstant(null, 'UTC')).toBeNull();
  });
});

describe('local time across offset changes (the 15-minute offset memo)', () => {
  // Reference: the wall clock straight from Intl, minute by minute, around DST changes, including
  // a zone with a 30-minute DST shift and one with a 45-minute offset.
  const reference = (ms: number, timeZone: string): string => {
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(ms));
    const get = (t: string) => parts.find((p) => p.type === t)!.value;
    return `${get('year')}${get('month')}${get('day')}    ${get('hour')}${get('minute')}${get('second')}`;
  };
  const cases: Array<[string, string]> = [
    ['Europe/Ljubljana', '2026-03-29T00:00:00Z'],
    ['Europe/Ljubljana', '2026-10-25T00:00:00Z'],
    ['America/New_York', '2026-03-08T06:00:00Z'],
    ['Australia/Lord_Howe', '2026-04-04T14:00:00Z'],
    ['Asia/Kathmandu', '2026-06-01T00:00:00Z'],
  ];
  it.each(cases)('%s around %s, every 7 minutes 13 seconds for 4 hours', (zone, from) => {
    const start = Date.parse(from);
    for (let ms = start; ms < start + 4 * 3_600_000; ms += 433_000) {
      expect(formatSipDateAt(ms, zone), new Date(ms).toISOString()).toBe(reference(ms, zone));
    }
  });
});

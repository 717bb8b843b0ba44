import { describe, expect, it } from 'vitest';
import { clockFromSpec } from '../../../daemon/clock.ts';

describe('--clock', () => {
  it('takes an ISO date-time with its offset, and a plain date', () => {
    const c = clockFromSpec('fixed:2024-06-01T10:00:00+02:00');
    expect('now' in c && c.now().toISOString()).toBe('2024-06-01T08:00:00.000Z');
    expect('now' in clockFromSpec('fixed:2024-06-01')).toBe(true);
  });

  it('refuses a day that does not exist and a time without its offset, saying which', () => {
    expect(clockFromSpec('2024-02-30T10:00:00Z')).toEqual({ error: 'clock "2024-02-30T10:00:00Z": 2024-02-30 is not a day of the calendar' });
    expect(clockFromSpec('fixed:2024-06-01T10:00:00')).toEqual({
      error: 'clock "fixed:2024-06-01T10:00:00": give the time\'s offset from UTC, e.g. 2024-06-01T10:00:00+01:00 or 2024-06-01T10:00:00Z',
    });
    expect(clockFromSpec('tomorrow')).toMatchObject({ error: expect.stringContaining('is not an ISO date-time') });
  });
});

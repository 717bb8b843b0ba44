/**
 * Plain calendar dates ("YYYY-MM-DD") as the library counts them: due dates, closed days and fine
 * days are dates in the library's time zone, not instants. Arithmetic is done on UTC midnights so it
 * is free of DST jumps.
 */
export type PlainDate = string;

const DAY_MS = 86_400_000;
const dtfCache = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = dtfCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    dtfCache.set(timeZone, f);
  }
  return f;
}

export interface LocalParts {
  date: PlainDate;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock date and time of an instant in a time zone. */
let lastParts: { key: string; value: LocalParts } | null = null;

export function localParts(instant: Date, timeZone: string): LocalParts {
  // Intl formatting is the slowest step of a checkout; the same second is asked for repeatedly.
  const key = `${timeZone}|${Math.floor(instant.getTime() / 1000)}`;
  if (lastParts?.key === key) return lastParts.value;
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  const value = {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
  lastParts = { key, value };
  return value;
}

export function localDate(instant: Date, timeZone: string): PlainDate {
  return localParts(instant, timeZone).date;
}

export function isPlainDate(s: unknown): s is PlainDate {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function toUtc(d: PlainDate): number {
  return Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)));
}

function fromUtc(ms: number): PlainDate {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(d: PlainDate, n: number): PlainDate {
  return fromUtc(toUtc(d) + n * DAY_MS);
}

/** Calendar months; the 31st plus one month is the last day of the next month. */
export function addMonths(d: PlainDate, n: number): PlainDate {
  const y = Number(d.slice(0, 4));
  const m = Number(d.slice(5, 7)) - 1 + n;
  const day = Number(d.slice(8, 10));
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return fromUtc(Date.UTC(y, m, Math.min(day, last)));
}

/** Whole days from a to b (positive when b is later). */
export function daysBetween(a: PlainDate, b: PlainDate): number {
  return Math.round((toUtc(b) - toUtc(a)) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(d: PlainDate): number {
  return new Date(toUtc(d)).getUTCDay();
}

export const WEEKDAY_CODES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
export type WeekdayCode = (typeof WEEKDAY_CODES)[number];

/** A COBISS time-parameter value: `14d`, `3w`, `1m`, `1y`, or `*5d` (working days). `0d` = none. */
export interface Period {
  amount: number;
  unit: 'd' | 'w' | 'm' | 'y';
  workingDays: boolean;
}

export const PERIOD_PATTERN = /^(\*)?(\d{1,4})([dwmy])$/;

export function parsePeriod(s: string): Period | null {
  const m = PERIOD_PATTERN.exec(s.trim());
  if (!m) return null;
  const unit = m[3] as Period['unit'];
  if (m[1] && unit !== 'd') return null;
  return { amount: Number(m[2]), unit, workingDays: Boolean(m[1]) };
}

export function isZeroPeriod(p: Period): boolean {
  return p.amount === 0;
}

/**
 * Adds a period to a date. Working-day periods (`*5d`) skip the days `isClosed` reports; the final
 * closed-day shift of a due date is applied by the caller (Calendar.nextOpenDay).
 */
export function addPeriod(d: PlainDate, p: Period, isClosed?: (d: PlainDate) => boolean): PlainDate {
  switch (p.unit) {
    case 'd':
      if (p.workingDays && isClosed) {
        let cur = d;
        let left = p.amount;
        while (left > 0) {
          cur = addDays(cur, 1);
          if (!isClosed(cur)) left--;
        }
        return cur;
      }
      return addDays(d, p.amount);
    case 'w':
      return addDays(d, p.amount * 7);
    case 'm':
      return addMonths(d, p.amount);
    case 'y':
      return addMonths(d, p.amount * 12);
  }
}

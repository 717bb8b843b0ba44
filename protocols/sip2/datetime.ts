/**
 * SIP2 date/time values (reference §2): 18 characters `YYYYMMDDZZZZHHMMSS`.
 *
 * `ZZZZ` is four spaces for local time (preferred), or a military zone letter in the rightmost
 * position (`   Z` = UTC). The codec is pure, so it never reads the clock or the host time zone:
 * callers pass the instant and the IANA time zone in, and the zone offset comes from `Intl`.
 */

export interface SipDateTime {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
  /** 0–23 */
  hour: number;
  minute: number;
  second: number;
  /**
   * `'local'` for the four-space zone (the ACS's local time), otherwise the single military zone
   * letter from the rightmost zone position: `'Z'` = UTC, `'A'`–`'M'` east, `'N'`–`'Y'` west.
   */
  zone: string;
}

/** Width of every SIP2 date field. */
export const SIP_DATE_LENGTH = 18;

function pad(value: number, width: number): string {
  const n = Number.isFinite(value) ? Math.max(0, Math.trunc(value)) : 0;
  const text = String(n);
  // Never let a wrong number shift the rest of the fixed part: keep exactly `width` digits.
  return text.length >= width ? text.slice(text.length - width) : text.padStart(width, '0');
}

/**
 * The 18-char wire form of a date. `null` is written as 18 `blank` characters: spaces for an
 * unknown date (e.g. `nb due date`), zeros for `98`'s "date/time sync unsupported".
 */
export function formatSipDate(date: SipDateTime | null | undefined, blank: ' ' | '0' = ' '): string {
  if (date == null) return blank.repeat(SIP_DATE_LENGTH);
  const zone = date.zone === 'local' || date.zone === '' ? '    ' : `   ${zoneLetter(date.zone)}`;
  return (
    pad(date.year, 4) +
    pad(date.month, 2) +
    pad(date.day, 2) +
    zone +
    pad(date.hour, 2) +
    pad(date.minute, 2) +
    pad(date.second, 2)
  );
}

function zoneLetter(zone: string): string {
  const upper = zone.toUpperCase();
  return upper === 'UTC' || upper === 'GMT' ? 'Z' : upper.slice(0, 1);
}

/** True for the "no date" forms senders use: empty, all spaces, all zeros. */
export function isBlankSipDate(text: string | null | undefined): boolean {
  if (text == null) return true;
  return /^[ 0]*$/.test(text);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, month: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function build(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  zone: string,
): SipDateTime | null {
  if (month < 1 || month > 12) return null;
  if (day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return { year, month, day, hour, minute, second, zone };
}

const SIP_FORM = /^(\d{4})(\d{2})(\d{2})(.{4})(\d{2})(\d{2})(\d{2})$/;
const ISO_FORM = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z)?)?$/;

function parseZone(zone: string): string | null {
  if (/^ {4}$/.test(zone) || zone === '0000') return 'local';
  const letter = /^ *([A-Za-z]) *$/.exec(zone)?.[1];
  if (letter === undefined) return null;
  const upper = letter.toUpperCase();
  // 'J' is the military "local time" letter.
  return upper === 'J' ? 'local' : upper;
}

/**
 * Parse a SIP2 date leniently. Returns `null` for blank dates (spaces/zeros) and for anything
 * unparsable — callers never reject a message because of a date (reference §2).
 *
 * Accepted: the 18-char form (zone of four spaces, or one letter anywhere in the zone; `0000` is
 * taken as local), an 8-digit `YYYYMMDD` (midnight, local), and ISO-style `YYYY-MM-DD[ HH:MM[:SS]][Z]`
 * which some ACSs put in the free-format due date `AH`.
 */
export function parseSipDate(text: string | null | undefined): SipDateTime | null {
  if (text == null || isBlankSipDate(text)) return null;
  const sip = SIP_FORM.exec(text);
  if (sip) {
    const zone = parseZone(sip[4] ?? '');
    if (zone === null) return null;
    return build(Number(sip[1]), Number(sip[2]), Number(sip[3]), Number(sip[5]), Number(sip[6]), Number(sip[7]), zone);
  }
  const trimmed = text.trim();
  if (/^\d{8}$/.test(trimmed)) {
    return build(Number(trimmed.slice(0, 4)), Number(trimmed.slice(4, 6)), Number(trimmed.slice(6, 8)), 0, 0, 0, 'local');
  }
  const iso = ISO_FORM.exec(trimmed);
  if (iso) {
    return build(
      Number(iso[1]),
      Number(iso[2]),
      Number(iso[3]),
      Number(iso[4] ?? 0),
      Number(iso[5] ?? 0),
      Number(iso[6] ?? 0),
      iso[7] === 'Z' ? 'Z' : 'local',
    );
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Instants and time zones (Intl only; no Date.now, no host time zone)

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    // Throws RangeError for an unknown zone: that is a configuration error, surfaced at first use.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(epochMs: number, timeZone: string): WallClock {
  // Fast path: a zone's offset is constant over a 15-minute window unless a transition falls in
  // it (checked at both ends), so the wall clock is plain UTC arithmetic on epoch + offset.
  // Intl.formatToParts costs ~10 µs; a SIP2 server formats two or three dates per message.
  const offset = windowOffset(epochMs, timeZone);
  if (offset !== null) {
    const d = new Date(epochMs + offset);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    };
  }
  return intlWallClock(epochMs, timeZone);
}

const WINDOW_MS = 15 * 60_000;
/** Memo of zone offsets per window (a pure function of its key, so no hidden state leaks out). */
const windowOffsets = new Map<string, number | null>();

function windowOffset(epochMs: number, timeZone: string): number | null {
  const start = Math.floor(epochMs / WINDOW_MS) * WINDOW_MS;
  const key = `${timeZone}|${start}`;
  let offset = windowOffsets.get(key);
  if (offset === undefined) {
    const a = utcMs(intlWallClock(start, timeZone)) - start;
    const end = start + WINDOW_MS - 1000;
    const b = utcMs(intlWallClock(end, timeZone)) - end;
    offset = a === b ? a : null;
    if (windowOffsets.size >= 512) windowOffsets.clear();
    windowOffsets.set(key, offset);
  }
  return offset;
}

function intlWallClock(epochMs: number, timeZone: string): WallClock {
  const parts = formatterFor(timeZone).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour') % 24,
    minute: get('minute'),
    second: get('second'),
  };
}

function utcMs(w: WallClock): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, 0);
  return d.getTime();
}

/** Offset of `timeZone` from UTC at `epochMs`, in milliseconds (east positive). */
function offsetMs(epochMs: number, timeZone: string): number {
  const whole = Math.floor(epochMs / 1000) * 1000;
  return utcMs(intlWallClock(whole, timeZone)) - whole;
}

function toEpochMs(instant: Date | number): number {
  return typeof instant === 'number' ? instant : instant.getTime();
}

/** The SIP2 local-time form (four-space zone) of `instant` as seen in the IANA `timeZone`. */
export function sipDateFromInstant(instant: Date | number, timeZone: string): SipDateTime {
  const second = Math.floor(toEpochMs(instant) / 1000);
  // A SIP2 server stamps every reply with the time: within one second the answer is the same.
  if (second !== lastSecond || timeZone !== lastZone) {
    lastLocal = { ...wallClock(second * 1000, timeZone), zone: 'local' };
    lastSecond = second;
    lastZone = timeZone;
  }
  // A copy the caller may change, written out (object spread costs several times the object).
  const l = lastLocal;
  return { year: l.year, month: l.month, day: l.day, hour: l.hour, minute: l.minute, second: l.second, zone: 'local' };
}

/**
 * The last second of a calendar day (`YYYY-MM-DD`), in the ACS's local time: how SIP2 carries a
 * due date, a hold's pickup deadline or an expiry that is a day, not an instant. Null if `day` is
 * not a date of that form.
 */
export function sipEndOfDay(day: string): SipDateTime | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: 23, minute: 59, second: 59, zone: 'local' };
}

let lastSecond = NaN;
let lastZone = '';
let lastLocal: SipDateTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, zone: 'local' };

/** The SIP2 UTC form (`   Z` zone) of `instant`. */
export function sipDateUtcFromInstant(instant: Date | number): SipDateTime {
  const d = new Date(toEpochMs(instant));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    zone: 'Z',
  };
}

/** Shorthand: the 18-char local-time string for `instant` in `timeZone`, e.g. `20240315    142530`. */
export function formatSipDateAt(instant: Date | number, timeZone: string): string {
  return formatSipDate(sipDateFromInstant(instant, timeZone));
}

const MILITARY_OFFSET_HOURS: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = { Z: 0 };
  'ABCDEFGHI'.split('').forEach((l, i) => (table[l] = i + 1));
  'KLM'.split('').forEach((l, i) => (table[l] = i + 10));
  'NOPQRSTUVWXY'.split('').forEach((l, i) => (table[l] = -(i + 1)));
  return table;
})();

/**
 * The instant at which `timeZone`'s wall clock shows `wallAsUtc` (wall time encoded as if UTC).
 * Like Temporal's "compatible" disambiguation: a repeated wall time (autumn DST change) resolves to
 * the earlier instant, a skipped one (spring) to the instant after the gap.
 */
function resolveWallTime(wallAsUtc: number, timeZone: string): number {
  const day = 86_400_000;
  const before = wallAsUtc - offsetMs(wallAsUtc - day, timeZone);
  const after = wallAsUtc - offsetMs(wallAsUtc + day, timeZone);
  const shows = (t: number): boolean => utcMs(wallClock(t, timeZone)) === wallAsUtc;
  const candidates = [before, after].filter(shows);
  if (candidates.length > 0) return Math.min(...candidates);
  return before;
}

/**
 * The instant a SIP2 date denotes. Local-time dates are resolved in `timeZone` (the ACS's zone);
 * military-zone dates use the letter's fixed offset. Returns `null` for `null` or an unknown zone
 * letter. A wall time repeated at a DST change resolves to the earlier instant; one skipped by a DST
 * change, to the instant after the gap.
 */
export function sipDateToInstant(date: SipDateTime | null | undefined, timeZone: string): Date | null {
  if (date == null) return null;
  const asUtc = utcMs(date);
  if (date.zone === 'local' || date.zone === '') return new Date(resolveWallTime(asUtc, timeZone));
  const hours = MILITARY_OFFSET_HOURS[date.zone.toUpperCase()];
  if (hours === undefined) return null;
  return new Date(asUtc - hours * 3_600_000);
}

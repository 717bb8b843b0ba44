/**
 * Pure policy lookups over a preset: time parameters with inheritance, the pq loan-mode table,
 * category-dependent counts, fine rates with their history, and the fine computation itself.
 */
import type { Policy, TimeParameters } from '../../config/schema.ts';
import type { Calendar } from './calendar.ts';
import { addDays, daysBetween, parsePeriod, type Period, type PlainDate } from './dates.ts';
import type { LoanMode } from './backend.ts';

/** domain.md §4.2: the default pq table (001:L222-231). Columns q = "",1..14,+,-; cells "YZ". */
export const PQ_COLUMNS = ['', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '+', '-'] as const;
const row = (first: string, q6: string): string[] =>
  PQ_COLUMNS.map((q) => (q === '' ? first : q === '6' ? q6 : '22'));
export const DEFAULT_PQ_TABLE: Record<string, string[]> = {
  '': row('00', '11'),
  '1': row('00', '11'),
  '2': row('00', '11'),
  '3': row('00', '11'),
  '4': row('10', '11'),
  '5': row('11', '11'),
  '6': row('11', '11'),
  '7': row('22', '22'),
  '8': row('33', '11'),
};

const MODE_BY_DIGIT: Record<string, LoanMode> = {
  '0': 'unconditional',
  '1': 'conditional',
  '2': 'forbidden',
  // '3' is undefined in the source (domain.md §4.3): treated as staff-only like a conditional loan.
  '3': 'undefined',
};

/**
 * The loan mode of a copy for a home or reading-room loan. Y (first digit) is the home loan and Z the
 * reading-room loan (domain.md §4.3 inference). Unknown p or q values are forbidden: a value the
 * table does not know must not become an unconditional loan.
 */
export function loanMode(policy: Policy, accessP: string, statusQ: string, mode: 'home' | 'reading_room'): LoanMode {
  const table = policy.pqTable ?? DEFAULT_PQ_TABLE;
  const r = table[accessP];
  const col = PQ_COLUMNS.indexOf(statusQ as (typeof PQ_COLUMNS)[number]);
  if (!r || col < 0) return 'forbidden';
  const cell = r[col] ?? '22';
  return MODE_BY_DIGIT[mode === 'home' ? cell[0]! : cell[1]!] ?? 'forbidden';
}

export type TimeParameterName = keyof TimeParameters;

/**
 * A time parameter for a material type in a department, following the table's inheritance: the
 * department's row for the type, then for its parent types, then the library's rows, then the
 * department's default row, then the library default (domain.md §3.1: an empty sub-type cell
 * inherits the base type's value). Returns null when nothing is set anywhere.
 */
export function timeParameter(
  policy: Policy,
  name: TimeParameterName,
  materialType: string,
  department: string | null,
  parentOf: (type: string) => string | null,
): Period | null {
  const chain: string[] = [];
  for (let t: string | null = materialType; t && !chain.includes(t); t = parentOf(t)) chain.push(t);
  const tp = policy.timeParameters;
  const dept = department ? tp.departments[department] : undefined;
  const candidates: Array<TimeParameters | undefined> = [
    ...chain.map((t) => dept?.materialTypes[t]),
    ...chain.map((t) => tp.materialTypes[t]),
    dept?.default,
    tp.default,
  ];
  for (const c of candidates) {
    const v = c?.[name];
    if (v !== undefined) return parsePeriod(v);
  }
  return null;
}

export function countFor(
  byCategory: { default: number | null; categories: Record<string, number | null> } | null,
  category: string,
): number | null {
  if (!byCategory) return null;
  return category in byCategory.categories ? (byCategory.categories[category] ?? null) : byCategory.default;
}

export function toMinor(amount: number): number {
  return Math.round(amount * 100);
}

export function fromMinor(minor: number): number {
  return minor / 100;
}

export function formatMoney(minor: number, currency: string, locale = 'en'): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(fromMinor(minor));
}

/** The daily fine in minor units on a date, from the rate that was valid then (001:L5156). */
export function fineRateOn(policy: Policy, date: PlainDate, materialType: string, parentOf: (t: string) => string | null): number {
  let rate: Policy['fines']['rates'][number] | undefined;
  for (const r of policy.fines.rates) if (r.from <= date && (!rate || r.from >= rate.from)) rate = r;
  if (!rate) return 0;
  for (let t: string | null = materialType; t; t = parentOf(t)) {
    const v = rate.materialTypes[t];
    if (v !== undefined) return toMinor(v);
  }
  return toMinor(rate.perDay);
}

export interface FineComputation {
  /** Calendar days after the due date up to the return date. */
  daysLate: number;
  /** Days that count for the fine (calendar flags applied). */
  chargedDays: number;
  amountMinor: number;
  graceApplied: boolean;
}

/**
 * Overdue fine for one loan (a kit: once, on its lead unit). Days after the due date up to and
 * including the return day are counted when the calendar says fines run that day (closed days only
 * when flagged). Grace is all-or-nothing: returned within the grace period, no fine; after it, every
 * overdue day is charged (001:L5169).
 */
export function computeFine(args: {
  policy: Policy;
  calendar: Calendar;
  dueDate: PlainDate;
  returnDate: PlainDate;
  materialType: string;
  department: string | null;
  parentOf: (t: string) => string | null;
  readingRoom?: boolean;
}): FineComputation {
  const { policy, calendar, dueDate, returnDate, department } = args;
  const daysLate = Math.max(0, daysBetween(dueDate, returnDate));
  if (daysLate === 0) return { daysLate, chargedDays: 0, amountMinor: 0, graceApplied: false };
  if (daysLate <= policy.fines.graceDays) return { daysLate, chargedDays: 0, amountMinor: 0, graceApplied: true };
  const cap = policy.fines.maxDaysPerItem;
  let chargedDays = 0;
  let amountMinor = 0;
  for (let i = 1; i <= daysLate; i++) {
    if (cap !== null && chargedDays >= cap) break;
    const day = addDays(dueDate, i);
    if (!calendar.isFineDay(day, department)) continue;
    chargedDays++;
    amountMinor += args.readingRoom
      ? toMinor(policy.fines.readingRoomPerDay ?? 0)
      : fineRateOn(policy, day, args.materialType, args.parentOf);
  }
  return { daysLate, chargedDays, amountMinor, graceApplied: false };
}

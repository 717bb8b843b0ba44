/**
 * Formatting for receipts: dates and amounts per locale, name shortening, section headings. Pure:
 * locale data comes from the runtime's ICU (Node ships full ICU), the time zone from the receipt.
 */
import type { PatronNameStyle, Receipt, ReceiptSection } from './receipt.ts';
import { type ReceiptLanguage, RECEIPT_LOCALES, RECEIPT_TEXTS, type ReceiptTexts, receiptLanguage } from './texts.ts';

export interface ReceiptFormat {
  language: ReceiptLanguage;
  locale: string;
  texts: ReceiptTexts;
  timeZone: string;
}

export function receiptFormat(receipt: Pick<Receipt, 'language' | 'timeZone'>, locale?: string): ReceiptFormat {
  const language = receiptLanguage(receipt.language);
  return {
    language,
    locale: locale ?? RECEIPT_LOCALES[language],
    texts: RECEIPT_TEXTS[language],
    timeZone: receipt.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}

/** No-break spaces from Intl output become plain spaces: every code page has a space. */
const plainSpaces = (s: string): string => s.replace(/[\u00a0\u202f\u2007]/g, ' ');

const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A date in the receipt's locale, two-digit day and month: en 12/03/2026, sl 12. 03. 2026,
 * lv 12.03.2026, hu 2026. 03. 12. A plain "YYYY-MM-DD" is printed as that calendar day; an instant is
 * printed as its day in the receipt's time zone.
 */
export function formatReceiptDate(value: string, format: ReceiptFormat): string {
  const plain = PLAIN_DATE.exec(value);
  const date = plain ? new Date(Date.UTC(Number(plain[1]), Number(plain[2]) - 1, Number(plain[3]))) : new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return plainSpaces(
    new Intl.DateTimeFormat(format.locale, {
      day: '2-digit',
      month: '2-digit',
      year: 'numeric',
      timeZone: plain ? 'UTC' : format.timeZone,
    }).format(date),
  );
}

/** Date and time of an instant in the receipt's zone, e.g. "12. 03. 2026 16:05". */
export function formatReceiptDateTime(value: string, format: ReceiptFormat): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const time = new Intl.DateTimeFormat(format.locale, {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: format.timeZone,
  }).format(date);
  return `${formatReceiptDate(value, format)} ${plainSpaces(time)}`;
}

export function formatReceiptAmount(amount: number, currency: string, format: ReceiptFormat): string {
  return plainSpaces(new Intl.NumberFormat(format.locale, { style: 'currency', currency }).format(amount));
}

/**
 * Shorten "Surname Firstname Middle" to fit `maxLength` characters: first the given names become
 * initials ("Kovačič J. M."), then the surname is cut. The first word is taken as the surname, as
 * the default form prints "surname and first name" (domain.md §9.1).
 */
export function shortenName(name: string, maxLength: number, style: PatronNameStyle = 'full'): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (style === 'hidden' || words.length === 0 || maxLength <= 0) return '';
  const full = words.join(' ');
  if (style === 'full' && full.length <= maxLength) return full;
  const [surname = '', ...given] = words;
  const initials = [surname, ...given.map((g) => `${[...g][0] ?? ''}.`)].join(' ');
  if (initials.length <= maxLength) return initials;
  const first = given[0] ? ` ${[...given[0]][0] ?? ''}.` : '';
  if (surname.length + first.length <= maxLength) return surname + first;
  return [...surname].slice(0, Math.max(1, maxLength - 1)).join('') + '.';
}

/** "part 2/3" in the receipt language. */
export function partLabel(unit: number, unitCount: number, texts: ReceiptTexts): string {
  return `${texts.part} ${unit}/${unitCount}`;
}

export function sectionHeading(section: ReceiptSection, texts: ReceiptTexts): string {
  if (section.heading !== undefined) return section.heading;
  switch (section.kind) {
    case 'loans':
      return texts.loans;
    case 'renewals':
      return texts.renewals;
    case 'on-loan':
      return texts.onLoan;
    case 'returns':
      return texts.returns;
    case 'held':
      return texts.held;
    case 'lost':
      return texts.lost;
    case 'not-processed':
      return texts.notProcessed;
    case 'fees':
      return texts.fees;
    case 'note':
      return '';
  }
}

/** Number of physical units a section lists (kit units count individually). */
export function sectionUnitCount(section: ReceiptSection): number {
  switch (section.kind) {
    case 'loans':
    case 'renewals':
    case 'on-loan':
    case 'returns':
    case 'held':
      return section.items.reduce((n, item) => n + 1 + (item.kit?.parts.length ?? 0), 0);
    case 'lost':
    case 'not-processed':
      return section.items.length;
    case 'fees':
    case 'note':
      return 0;
  }
}


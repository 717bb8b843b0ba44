/**
 * The kiosk's languages: UI strings per language, refusal reasons from the shared catalogue
 * (protocols/kiosk-api/reasons.ts, so the kiosk says exactly what the SIP2 bridge and receipts say),
 * and dates and money in the locale's own format (Intl).
 */
import { reasonCodes, reasonText, type ReasonCode } from '../../protocols/kiosk-api/reasons.ts';
import type { UiConfig, UiLanguage } from '../../protocols/kiosk-api/events.ts';
import { en, type MessageKey, type Messages } from './en.ts';
import { hu } from './hu.ts';
import { lv } from './lv.ts';
import { sl } from './sl.ts';

/** The kiosk languages; kept equal to kioskLanguages in the contract (type-checked below). */
export const languages = ['en', 'sl', 'lv', 'hu'] as const satisfies readonly UiLanguage[];
const everyLanguage: [Exclude<UiLanguage, (typeof languages)[number]>] extends [never] ? true : false = true;
void everyLanguage;

export const catalogues: Record<UiLanguage, Messages> = { en, sl, lv, hu };

/** Each language's name in itself, for the language buttons. */
export const languageNames: Record<UiLanguage, string> = { en: 'English', sl: 'Slovenščina', lv: 'Latviešu', hu: 'Magyar' };

const defaultLocales: Record<UiLanguage, string> = { en: 'en-GB', sl: 'sl-SI', lv: 'lv-LV', hu: 'hu-HU' };

export type Vars = Record<string, string | number>;

export function fill(template: string, vars: Vars = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (vars[k] === undefined ? m : String(vars[k])));
}

export function isReasonCode(code: string): code is ReasonCode {
  return (reasonCodes as readonly string[]).includes(code);
}

export interface I18n {
  language: UiLanguage;
  locale: string;
  t(key: MessageKey, vars?: Vars): string;
  /** Whether `key` is one of the kiosk's texts (for keys made from data, such as `fee.<kind>`). */
  has(key: string): key is MessageKey;
  /** A calendar date (YYYY-MM-DD, a due date) or a timestamp, in the locale's long form. */
  date(value: string | null | undefined): string;
  money(amount: number, currency?: string): string;
  /** A refusal reason in this language, {placeholders} filled from the details. */
  reason(code: ReasonCode, details?: Record<string, unknown>): string;
  /** An error envelope's code: a reason if it is one, else the kiosk's own text. */
  error(e: { code: string; details?: Record<string, unknown> } | null | undefined): string;
}

export function createI18n(language: UiLanguage, config?: Pick<UiConfig, 'locale' | 'currency'>): I18n {
  const messages = catalogues[language] ?? en;
  const locale = config?.locale?.[language] ?? defaultLocales[language];
  const dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' });
  const stampFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'long' });
  const t = (key: MessageKey, vars?: Vars) => fill(messages[key] ?? en[key], vars);
  const money = (amount: number, currency?: string) =>
    new Intl.NumberFormat(locale, { style: 'currency', currency: currency ?? config?.currency ?? 'EUR' }).format(amount);
  // The engine writes amounts in refusals as "12.40 EUR" (as SIP2 AF carries them); on screen they
  // take the locale's form, like every other amount here ("12,40 €").
  const localAmounts = (details: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(details).map(([k, v]) => {
        const m = typeof v === 'string' ? /^(\d+\.\d{2}) ([A-Z]{3})$/.exec(v) : null;
        return [k, m ? money(Number(m[1]), m[2]) : v];
      }),
    );
  const reason = (code: ReasonCode, details: Record<string, unknown> = {}) => reasonText(code, language, localAmounts(details));
  return {
    language,
    locale,
    t,
    has: (key: string): key is MessageKey => key in en,
    date(value) {
      if (!value) return '';
      // A plain date is a calendar day: format it as such, never shifted by a time zone.
      const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (plain) return dateFmt.format(new Date(Date.UTC(Number(plain[1]), Number(plain[2]) - 1, Number(plain[3]))));
      const d = new Date(value);
      return Number.isNaN(d.getTime()) ? value : stampFmt.format(d);
    },
    money,
    reason,
    error(e) {
      if (!e) return '';
      if (isReasonCode(e.code)) return reason(e.code, e.details ?? {});
      if (e.code.startsWith('printer_') && e.code !== 'printer_offline') return t('error.printer');
      const key = `error.${e.code}` as MessageKey;
      return key in messages ? t(key) : t('error.generic');
    },
  };
}

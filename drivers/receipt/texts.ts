/**
 * Printed receipt texts per language. The kiosk ships en, sl, lv, hu (DESIGN.md); the Slovenian footer
 * is the default form's "Hvala za obisk in nasvidenje!" (domain.md §9.1, content kind 4).
 *
 * Labels stay short: a thermal receipt has 32 (58 mm) or 42 (80 mm) columns, and "Due" plus a date
 * has to fit beside a barcode. Only characters of the language's code page are used (CP852 for sl/hu,
 * CP775 for lv, CP437 for en), so nothing turns into "?" on paper; dashes are ASCII hyphens because
 * an en dash exists in none of the DOS pages.
 */

export const RECEIPT_LANGUAGES = ['en', 'sl', 'lv', 'hu'] as const;
export type ReceiptLanguage = (typeof RECEIPT_LANGUAGES)[number];

export interface ReceiptTexts {
  /** Title printed under the library name when the receipt has none of its own. */
  title: string;
  card: string;
  date: string;
  loans: string;
  onLoan: string;
  renewals: string;
  returns: string;
  held: string;
  lost: string;
  notProcessed: string;
  fees: string;
  total: string;
  /** Label before the due date of a loan. */
  due: string;
  /** Label before the date a held (B) item is held until. */
  heldUntil: string;
  /** Label before the date an item was recorded lost. */
  lostSince: string;
  kit: string;
  /** "part 2/3" of a kit. */
  part: string;
  items: string;
  thankYou: string;
}

export const RECEIPT_TEXTS: Readonly<Record<ReceiptLanguage, ReceiptTexts>> = {
  en: {
    title: 'Receipt',
    card: 'Card',
    date: 'Date',
    loans: 'Borrowed',
    onLoan: 'Items on loan',
    renewals: 'Renewed',
    returns: 'Returned',
    held: 'Returned with hold',
    lost: 'Lost items',
    notProcessed: 'Not processed - please ask staff',
    fees: 'Fees',
    total: 'Total',
    due: 'Due',
    heldUntil: 'Held until',
    lostSince: 'Lost since',
    kit: 'Kit',
    part: 'part',
    items: 'Items',
    thankYou: 'Thank you for your visit',
  },
  sl: {
    title: 'Potrdilo',
    card: 'Izkaznica',
    date: 'Datum',
    loans: 'Izposojeno',
    onLoan: 'Gradivo na izposoji',
    renewals: 'Podaljšano',
    returns: 'Vrnjeno',
    held: 'Zadržano gradivo',
    lost: 'Izgubljeno gradivo',
    notProcessed: 'Ni obdelano - obrnite se na osebje',
    fees: 'Terjatve',
    total: 'Skupaj',
    due: 'Rok vrnitve',
    heldUntil: 'Zadržano do',
    lostSince: 'Izgubljeno od',
    kit: 'Komplet',
    part: 'enota',
    items: 'Število enot',
    thankYou: 'Hvala za obisk in nasvidenje!',
  },
  lv: {
    title: 'Kvīts',
    card: 'Lasītāja karte',
    date: 'Datums',
    loans: 'Izsniegts',
    onLoan: 'Izsniegtie izdevumi',
    renewals: 'Pagarināts',
    returns: 'Nodots',
    held: 'Aizturētie izdevumi',
    lost: 'Nozaudētie izdevumi',
    notProcessed: 'Nav apstrādāts - vērsieties pie bibliotekāra',
    fees: 'Maksājumi',
    total: 'Kopā',
    due: 'Atdot līdz',
    heldUntil: 'Aizturēts līdz',
    lostSince: 'Nozaudēts kopš',
    kit: 'Komplekts',
    part: 'daļa',
    items: 'Eksemplāri',
    thankYou: 'Paldies par apmeklējumu!',
  },
  hu: {
    title: 'Bizonylat',
    card: 'Olvasójegy',
    date: 'Dátum',
    loans: 'Kölcsönzés',
    onLoan: 'Önnél lévő dokumentumok',
    renewals: 'Hosszabbítás',
    returns: 'Visszahozva',
    held: 'Visszatartott dokumentumok',
    lost: 'Elveszett dokumentumok',
    notProcessed: 'Nem sikerült - kérjen segítséget',
    fees: 'Díjak',
    total: 'Összesen',
    due: 'Lejárat',
    heldUntil: 'Visszatartva',
    lostSince: 'Elveszett',
    kit: 'Készlet',
    part: 'rész',
    items: 'Darab',
    thankYou: 'Köszönjük látogatását!',
  },
};

/** Locale used for dates and amounts per receipt language (European day-first formats for English too). */
export const RECEIPT_LOCALES: Readonly<Record<ReceiptLanguage, string>> = {
  en: 'en-GB',
  sl: 'sl-SI',
  lv: 'lv-LV',
  hu: 'hu-HU',
};

/** The receipt language for a BCP 47 tag ("sl-SI" → sl); unknown languages print in English. */
export function receiptLanguage(tag: string): ReceiptLanguage {
  const base = tag.toLowerCase().split(/[-_]/)[0] ?? 'en';
  return (RECEIPT_LANGUAGES as readonly string[]).includes(base) ? (base as ReceiptLanguage) : 'en';
}

/**
 * The kiosk's receipt document (our model, independent of any printer): what a patron takes home
 * after a session, following the default loan-receipt form of domain.md §9.1:
 *  - header: library (or parent institution) name, department, contact lines;
 *  - member data: card number + surname and first name (the name may be shortened);
 *  - body: loans, returns, renewals; items returned with hold (B) and lost items (L) in **separate
 *    tables**; kits lead-first with the other units indented and "part n/m"; unpaid claims (fees);
 *  - a barcode or QR code (e.g. a link to the patron's account, or a session number);
 *  - footer: "thank you for your visit" in the receipt language.
 *
 * Renderers: `renderReceiptEscPos` (thermal printer bytes, ./escpos.ts), `renderReceiptHtml` and
 * `renderReceiptSvg` (on-screen and e-mail previews, ./preview.ts). All share `layoutReceipt`
 * (./layout.ts), so the preview shows the same lines the printer gets.
 *
 * Dates: due dates and similar are calendar dates ("YYYY-MM-DD", as the circulation engine keeps
 * them) and print without any time-zone shift; `printedAt` is an instant, printed in `timeZone`.
 * The model never reads a clock: the caller passes `printedAt`.
 */
export { RECEIPT_LANGUAGES, RECEIPT_LOCALES, RECEIPT_TEXTS, receiptLanguage } from './texts.ts';
export type { ReceiptLanguage, ReceiptTexts } from './texts.ts';

export interface ReceiptHeader {
  /** Library or parent institution name (printed large). */
  libraryName: string;
  /** Department name (`%oddelek knjižnice%`). */
  department?: string;
  /** Address, phone, e-mail, opening hours… one line each. */
  lines?: string[];
}

export interface ReceiptPatron {
  cardNumber: string;
  /** As the library prints it, usually "Surname Firstname". May be shortened to fit (see `patronName`). */
  name?: string;
}

export interface ReceiptItem {
  title: string;
  /** Item barcode (inventory number, IN/CN). */
  barcode: string;
  /** Extra data, column 7 of the form table: author, call number or inventory/volume number. */
  extra?: string;
}

/** Another unit of a kit, printed indented under the lead unit (domain.md §9.1, §7). */
export interface KitPart {
  barcode: string;
  /** Unit number n of m. */
  unit: number;
  /** Part label, e.g. "CD 2" or "booklet". */
  label?: string;
}

/** Kit data on the lead unit: kit number, the lead's own unit number, the unit count and the other units. */
export interface KitInfo {
  kitNumber?: string;
  unit: number;
  unitCount: number;
  label?: string;
  parts: KitPart[];
}

export interface LoanLine extends ReceiptItem {
  /** Calendar date "YYYY-MM-DD" (or an ISO instant, printed as its date in the receipt's time zone). */
  dueDate: string;
  kit?: KitInfo;
}

export interface ReturnLine extends ReceiptItem {
  kit?: KitInfo;
}

/** An item returned with hold (status B: hold, quarantine, returned in another department, incomplete kit). */
export interface HeldLine extends ReceiptItem {
  /** Until when it is held, if known. */
  heldUntil?: string;
  /** Why, in the receipt language (e.g. "quarantine", "returned in another department"). */
  reason?: string;
  kit?: KitInfo;
}

/** An item with status L: lost, still on the member's record. */
export interface LostLine extends ReceiptItem {
  since?: string;
}

/** An item the kiosk could not process (data from the backend: the screen message, e.g. "reserved for another member"). */
export interface NotProcessedLine {
  title?: string;
  barcode: string;
  message: string;
}

export interface FeeLine {
  description: string;
  /** Amount in major units (12.5 = 12.50), like the config's money values. */
  amount: number;
  barcode?: string;
}

export type ReceiptSection =
  | { kind: 'loans'; items: LoanLine[]; heading?: string }
  | { kind: 'renewals'; items: LoanLine[]; heading?: string }
  /** Everything currently on loan (an e-mailed receipt always lists all items, domain.md §9.1). */
  | { kind: 'on-loan'; items: LoanLine[]; heading?: string }
  | { kind: 'returns'; items: ReturnLine[]; heading?: string }
  | { kind: 'held'; items: HeldLine[]; heading?: string }
  | { kind: 'lost'; items: LostLine[]; heading?: string }
  | { kind: 'not-processed'; items: NotProcessedLine[]; heading?: string }
  | { kind: 'fees'; items: FeeLine[]; currency: string; heading?: string }
  | { kind: 'note'; lines: string[]; heading?: string };

export type ReceiptSectionKind = ReceiptSection['kind'];

export type ReceiptCode =
  | {
      kind: 'barcode';
      /** Linear symbologies every ESC/POS printer has. */
      symbology: 'code128' | 'code39' | 'code93' | 'codabar' | 'ean13' | 'itf';
      /** ASCII only. */
      data: string;
      caption?: string;
    }
  | { kind: 'qr'; data: string; caption?: string };

export interface ReceiptFooter {
  lines?: string[];
  /** Print the "thank you for your visit" line. Default true. */
  thankYou?: boolean;
}

export interface Receipt {
  /** BCP 47 tag; en, sl, lv, hu have texts, others print in English. */
  language: string;
  /** When the receipt was made (ISO instant), printed as the receipt date. */
  printedAt: string;
  /** IANA zone for `printedAt`. Default: the process's zone. */
  timeZone?: string;
  /** Overrides the default title ("Receipt" in the receipt language); null prints none. */
  title?: string | null;
  header: ReceiptHeader;
  patron?: ReceiptPatron;
  sections: ReceiptSection[];
  code?: ReceiptCode;
  footer?: ReceiptFooter;
}

export type PatronNameStyle = 'full' | 'initials' | 'hidden';

export {
  formatReceiptAmount,
  formatReceiptDate,
  formatReceiptDateTime,
  partLabel,
  receiptFormat,
  sectionHeading,
  sectionUnitCount,
  shortenName,
} from './format.ts';
export type { ReceiptFormat } from './format.ts';
export { layoutReceipt } from './layout.ts';
export type { LayoutBlock, LayoutOptions, LayoutLine } from './layout.ts';
export { renderReceiptEscPos, receiptCodePageCandidates } from './escpos.ts';
export type { EscPosRenderOptions } from './escpos.ts';
export { renderReceiptHtml, renderReceiptSvg, renderReceiptText } from './preview.ts';

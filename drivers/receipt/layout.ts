/**
 * Lays a receipt out for a paper width in font-A columns: every text line is final (wrapped, padded,
 * right-hand dates aligned), so the ESC/POS renderer only styles and encodes, and the text/SVG previews
 * show exactly the printed lines.
 *
 * Body rules (domain.md §9.1): held (B) and lost (L) items are separate tables; kits print lead-first,
 * the other units indented with their unit number and unit count ("part 2/3") and part label.
 */
import {
  type ReceiptFormat,
  formatReceiptAmount,
  formatReceiptDate,
  formatReceiptDateTime,
  partLabel,
  receiptFormat,
  sectionHeading,
  sectionUnitCount,
  shortenName,
} from './format.ts';
import type { KitInfo, PatronNameStyle, Receipt, ReceiptCode, ReceiptSection } from './receipt.ts';

export type LayoutAlign = 'left' | 'center' | 'right';

export interface LayoutLine {
  text: string;
  align: LayoutAlign;
  bold: boolean;
  /** Character height multiplier (the library name prints double height). */
  height: 1 | 2;
}

export type LayoutBlock =
  | ({ type: 'line' } & LayoutLine)
  | { type: 'rule' }
  | { type: 'blank' }
  | { type: 'barcode'; symbology: Extract<ReceiptCode, { kind: 'barcode' }>['symbology']; data: string }
  | { type: 'qr'; data: string };

export interface LayoutOptions {
  /** Paper width in font-A characters: 42 on 80 mm paper, 32 on 58 mm. Default 42. */
  columns?: number;
  /** How the patron's name is printed. Default 'full' (shortened only when it does not fit). */
  patronName?: PatronNameStyle;
  /** Locale override for dates and amounts (default per language, e.g. sl-SI). */
  locale?: string;
}

const INDENT = '  ';

/** Word-wrap to `width` characters; words longer than the width are cut. */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      let w = word;
      while ([...w].length > width) {
        if (line) {
          out.push(line);
          line = '';
        }
        out.push([...w].slice(0, width).join(''));
        w = [...w].slice(width).join('');
      }
      if (!w) continue;
      if (!line) line = w;
      else if ([...line].length + 1 + [...w].length <= width) line += ' ' + w;
      else {
        out.push(line);
        line = w;
      }
    }
    out.push(line);
  }
  return out;
}

const len = (s: string): number => [...s].length;

/** Wrap keeping the leading indent of `text` on every line. */
function wrapIndented(text: string, columns: number): string[] {
  const indent = /^ */.exec(text)?.[0] ?? '';
  if (len(text) <= columns) return [text];
  return wrapText(text.slice(indent.length), Math.max(1, columns - indent.length)).map((l) => indent + l);
}

/** `left` and `right` on one line (right-aligned), or on two lines when they do not fit together. */
function row(left: string, right: string, columns: number): string[] {
  const lines = wrapIndented(left, columns);
  if (!right) return lines;
  const last = lines[lines.length - 1] ?? '';
  if (len(last) + 1 + len(right) <= columns) {
    lines[lines.length - 1] = last + ' '.repeat(columns - len(last) - len(right)) + right;
    return lines;
  }
  return [...lines, ' '.repeat(Math.max(0, columns - len(right))) + right];
}

export function layoutReceipt(receipt: Receipt, options: LayoutOptions = {}): LayoutBlock[] {
  const columns = options.columns ?? 42;
  const fmt = receiptFormat(receipt, options.locale);
  const t = fmt.texts;
  const blocks: LayoutBlock[] = [];
  const line = (text: string, style: Partial<LayoutLine> = {}): void => {
    blocks.push({ type: 'line', text, align: style.align ?? 'left', bold: style.bold ?? false, height: style.height ?? 1 });
  };
  const lines = (texts: string[], style: Partial<LayoutLine> = {}): void => texts.forEach((s) => line(s, style));

  // Header: library name large, department, contact lines, title.
  lines(wrapText(receipt.header.libraryName, columns), { align: 'center', bold: true, height: 2 });
  if (receipt.header.department) lines(wrapText(receipt.header.department, columns), { align: 'center' });
  for (const l of receipt.header.lines ?? []) lines(wrapText(l, columns), { align: 'center' });
  const title = receipt.title === undefined ? t.title : receipt.title;
  if (title) {
    blocks.push({ type: 'blank' });
    lines(wrapText(title, columns), { align: 'center', bold: true });
  }
  blocks.push({ type: 'blank' });

  // Member data: card number + name (domain.md §9.1 content kind 2).
  if (receipt.patron) {
    const prefix = `${t.card} ${receipt.patron.cardNumber}`;
    const style = options.patronName ?? 'full';
    const name = receipt.patron.name ?? '';
    const inline = shortenName(name, columns - len(prefix) - 1, style);
    const full = shortenName(name, columns, style);
    if (!name || style === 'hidden') line(prefix);
    else if (inline === full) line(`${prefix} ${inline}`);
    else {
      line(prefix);
      line(full);
    }
  }
  line(`${t.date}: ${formatReceiptDateTime(receipt.printedAt, fmt)}`);

  for (const section of receipt.sections) {
    blocks.push({ type: 'blank' });
    layoutSection(section, fmt, columns, blocks, line);
  }

  if (receipt.code) {
    blocks.push({ type: 'blank' });
    if (receipt.code.kind === 'qr') blocks.push({ type: 'qr', data: receipt.code.data });
    else blocks.push({ type: 'barcode', symbology: receipt.code.symbology, data: receipt.code.data });
    if (receipt.code.caption) lines(wrapText(receipt.code.caption, columns), { align: 'center' });
  }

  const footerLines = receipt.footer?.lines ?? [];
  const thankYou = receipt.footer?.thankYou ?? true;
  if (footerLines.length > 0 || thankYou) blocks.push({ type: 'blank' });
  for (const l of footerLines) lines(wrapText(l, columns), { align: 'center' });
  if (thankYou) lines(wrapText(t.thankYou, columns), { align: 'center', bold: true });
  return blocks;
}

function layoutSection(
  section: ReceiptSection,
  fmt: ReceiptFormat,
  columns: number,
  blocks: LayoutBlock[],
  line: (text: string, style?: Partial<LayoutLine>) => void,
): void {
  const t = fmt.texts;
  const heading = sectionHeading(section, t);
  const units = sectionUnitCount(section);
  const date = (value: string): string => formatReceiptDate(value, fmt);
  const emit = (texts: string[]): void => texts.forEach((s) => line(s));
  const title = (text: string): void => emit(wrapText(text, columns));
  const extra = (text: string | undefined): void => {
    if (text) emit(wrapText(text, columns - INDENT.length).map((s) => INDENT + s));
  };
  const kit = (info: KitInfo | undefined): void => {
    if (!info) return;
    const lead = [t.kit, info.kitNumber, partLabel(info.unit, info.unitCount, t), info.label].filter(Boolean).join(' ');
    emit(wrapText(lead, columns - INDENT.length).map((s) => INDENT + s));
    for (const part of [...info.parts].sort((a, b) => a.unit - b.unit)) {
      const text = [part.barcode, partLabel(part.unit, info.unitCount, t), part.label].filter(Boolean).join(' ');
      emit(wrapText(text, columns - 2 * INDENT.length).map((s) => INDENT + INDENT + s));
    }
  };

  if (heading) {
    line(units > 0 ? `${heading} (${units})` : heading, { bold: true });
    blocks.push({ type: 'rule' });
  }
  switch (section.kind) {
    case 'loans':
    case 'renewals':
    case 'on-loan':
      for (const item of section.items) {
        title(item.title);
        extra(item.extra);
        emit(row(INDENT + item.barcode, `${t.due} ${date(item.dueDate)}`, columns));
        kit(item.kit);
      }
      break;
    case 'returns':
      for (const item of section.items) {
        title(item.title);
        extra(item.extra);
        emit(row(INDENT + item.barcode, '', columns));
        kit(item.kit);
      }
      break;
    case 'held':
      for (const item of section.items) {
        title(item.title);
        extra(item.extra);
        emit(row(INDENT + item.barcode, item.heldUntil ? `${t.heldUntil} ${date(item.heldUntil)}` : '', columns));
        extra(item.reason);
        kit(item.kit);
      }
      break;
    case 'lost':
      for (const item of section.items) {
        title(item.title);
        extra(item.extra);
        emit(row(INDENT + item.barcode, item.since ? `${t.lostSince} ${date(item.since)}` : '', columns));
      }
      break;
    case 'not-processed':
      for (const item of section.items) {
        if (item.title) title(item.title);
        emit(row(INDENT + item.barcode, '', columns));
        extra(item.message);
      }
      break;
    case 'fees': {
      for (const item of section.items) {
        emit(row(item.description, formatReceiptAmount(item.amount, section.currency, fmt), columns));
        if (item.barcode) extra(item.barcode);
      }
      blocks.push({ type: 'rule' });
      // Sum in cents so 0.1 + 0.2 prints 0.30.
      const cents = section.items.reduce((n, item) => n + Math.round(item.amount * 100), 0);
      for (const s of row(t.total, formatReceiptAmount(cents / 100, section.currency, fmt), columns)) line(s, { bold: true });
      break;
    }
    case 'note':
      for (const l of section.lines) title(l);
      break;
  }
}

/**
 * The signed documents of domain.md §9.3: the tablet text (member attributes, declaration, `<page>`,
 * `<fontsize=nn>`) filled for one member, the language rule, and the PDF that is archived with the
 * member's record: the same text the member read on the tablet, then the signature as a grayscale
 * image, when and on which tablet it was signed.
 */
import type { Stroke, TabletPage, TabletVariables } from '../../protocols/signature/index.ts';
import { renderTabletText } from '../../protocols/signature/index.ts';
import { A4, type PdfGrayImage, type PdfOp, type PdfPage, textWidth, wrapText, writePdf } from '../../protocols/pdf/index.ts';
import { RgbBitmap, WHITE, BLACK } from '../../drivers/signature/raster.ts';
import { formatReceiptDate, formatReceiptDateTime, receiptFormat } from '../../drivers/receipt/format.ts';
import type { DeskConfig, DeskLanguage } from './config.ts';
import { deskTexts } from './texts.ts';

export type DocumentKind = 'enrolment' | 'loan_receipt';

/** Attributes staff record at the desk, beyond what the circulation store keeps. */
export const MEMBER_ATTRIBUTES = ['gender', 'birthDate', 'address', 'postcode', 'city', 'country', 'citizenship', 'phone', 'guardian'] as const;
export type MemberAttribute = (typeof MEMBER_ATTRIBUTES)[number];

export interface MemberData {
  card: string;
  surname: string;
  name: string;
  category: string;
  email: string | null;
  membershipExpires: string | null;
  attributes: Partial<Record<MemberAttribute, string>>;
}

/**
 * domain.md §9.3: the foreign language (English) when the category is "foreign citizens" (COBISS 013),
 * or the citizenship or the country of residence is not the home country; otherwise the home language.
 * Unknown citizenship or country does not count as foreign.
 */
export function documentLanguage(member: Pick<MemberData, 'category' | 'attributes'>, rule: DeskConfig['language']): { language: DeskLanguage; why: string } {
  const home = rule.homeCountry.toUpperCase();
  if (rule.foreignCategories.includes(member.category)) return { language: rule.foreign, why: `member category ${member.category}` };
  const citizenship = member.attributes.citizenship?.trim().toUpperCase();
  if (citizenship && citizenship !== home) return { language: rule.foreign, why: `citizenship ${citizenship}` };
  const country = member.attributes.country?.trim().toUpperCase();
  if (country && country !== home) return { language: rule.foreign, why: `country of residence ${country}` };
  return { language: rule.home, why: `citizenship and residence ${home} or not recorded` };
}

export function templateFor(config: DeskConfig, kind: DocumentKind, language: DeskLanguage): string {
  const set = kind === 'enrolment' ? config.tablet.enrolment : config.tablet.loanReceipt;
  return set[language] ?? set.en;
}

export interface LoanForText {
  barcode: string;
  title: string;
  dueDate: string | null;
}

export interface TextContext {
  library: string;
  department: string;
  language: DeskLanguage;
  timeZone: string;
  now: Date;
}

export function templateVariables(member: MemberData, ctx: TextContext, extra: Record<string, string> = {}): TabletVariables {
  const fmt = receiptFormat({ language: ctx.language, timeZone: ctx.timeZone });
  const date = (v: string | null | undefined) => (v ? formatReceiptDate(v, fmt) : '');
  return {
    library: ctx.library,
    department: ctx.department,
    date: formatReceiptDate(ctx.now.toISOString(), fmt),
    card: member.card,
    surname: member.surname,
    name: member.name,
    category: member.category,
    email: member.email ?? '',
    membershipExpires: date(member.membershipExpires),
    ...Object.fromEntries(MEMBER_ATTRIBUTES.map((a) => [a, a === 'birthDate' ? date(member.attributes[a]) : (member.attributes[a] ?? '')])),
    ...extra,
  };
}

/** A line holding only `%loans%` becomes one line per loan (the values are escaped: `%` stays text). */
export function expandLoans(template: string, loans: readonly LoanForText[], ctx: TextContext): string {
  const fmt = receiptFormat({ language: ctx.language, timeZone: ctx.timeZone });
  const t = deskTexts(ctx.language);
  const lines = loans.length
    ? loans.map((l) => `${l.barcode}  ${l.title}${l.dueDate ? `  - ${formatReceiptDate(l.dueDate, fmt)}` : ''}`.replace(/%/g, '%%'))
    : [t.noLoans];
  return template
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .flatMap((line) => (/^\s*%loans%\s*$/i.test(line) ? lines : [line]))
    .join('\n');
}

export function tabletPages(template: string, vars: TabletVariables): TabletPage[] {
  return renderTabletText(template, vars);
}

/** The signature on white, 8-bit gray, pen width following pressure (as the PNG rendering does). */
export function signatureGray(strokes: readonly Stroke[], width: number, height: number): PdfGrayImage {
  const w = Math.max(1, Math.round(width));
  const h = Math.max(1, Math.round(height));
  const bitmap = new RgbBitmap(w, h, WHITE);
  const pen = (p: { pressure: number }) => 1.5 + 3 * Math.max(0, Math.min(1, p.pressure));
  for (const stroke of strokes) {
    const pts = stroke.points;
    if (pts.length === 1 && pts[0]) bitmap.drawSegment(pts[0].x, pts[0].y, pts[0].x, pts[0].y, pen(pts[0]), BLACK);
    for (let k = 1; k < pts.length; k++) {
      const a = pts[k - 1]!;
      const b = pts[k]!;
      bitmap.drawSegment(a.x, a.y, b.x, b.y, (pen(a) + pen(b)) / 2, BLACK);
    }
  }
  const pixels = new Uint8Array(w * h);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bitmap.data[i * 3] ?? 255;
  return { width: w, height: h, pixels };
}

export interface SignedPdfInput {
  kind: DocumentKind;
  title: string;
  library: string;
  card: string;
  language: DeskLanguage;
  timeZone: string;
  pages: readonly TabletPage[];
  signature: { strokes: readonly Stroke[]; width: number; height: number };
  signedAt: Date;
  device: string;
}

const MARGIN = 56;
const BODY_SIZE = 11;
const SIGNATURE_WIDTH = 240;

/** The archived PDF: the tablet's text page after page, the signature box, and who/when/where. */
export function composeSignedPdf(input: SignedPdfInput): Uint8Array {
  const t = deskTexts(input.language);
  const fmt = receiptFormat({ language: input.language, timeZone: input.timeZone });
  const usable = A4.width - 2 * MARGIN;
  const top = A4.height - MARGIN;
  const bottom = MARGIN + 24; // room for the footer
  const pages: PdfOp[][] = [];
  let ops: PdfOp[] = [];
  let y = top;
  const newPage = () => {
    ops = [];
    pages.push(ops);
    ops.push({ kind: 'text', x: MARGIN, y: top, size: 9, font: 'Helvetica-Bold', text: input.library });
    ops.push({ kind: 'line', x1: MARGIN, y1: top - 5, x2: A4.width - MARGIN, y2: top - 5, width: 0.5, gray: 0.4 });
    y = top - 28;
  };
  newPage();

  input.pages.forEach((page, pageIndex) => {
    if (pageIndex > 0) y -= BODY_SIZE; // the tablet's page break: a gap
    for (const block of page.blocks) {
      const size = Math.min(36, Math.max(6, block.fontSize ?? BODY_SIZE));
      const font = size >= 14 ? 'Helvetica-Bold' : 'Helvetica';
      const leading = size * 1.35;
      const lines = block.lines.flatMap((l) => (l === '' ? [''] : wrapText(l, usable, size, font)));
      // `<fontsize=nn>` passages are kept on one page (§9.3); unsized text flows.
      if (block.fontSize !== null && y - lines.length * leading < bottom && lines.length * leading <= top - bottom - 28) newPage();
      for (const line of lines) {
        if (y - leading < bottom) newPage();
        y -= leading;
        if (line !== '') ops.push({ kind: 'text', x: MARGIN, y, size, font, text: line });
      }
      y -= size * 0.5;
    }
  });

  // The signature: the box as the tablet had it, scaled to SIGNATURE_WIDTH points.
  const image = signatureGray(input.signature.strokes, input.signature.width, input.signature.height);
  const boxW = SIGNATURE_WIDTH;
  const boxH = Math.min(120, (boxW * image.height) / image.width);
  const needed = 20 + boxH + 30;
  if (y - needed < bottom) newPage();
  y -= 20;
  ops.push({ kind: 'text', x: MARGIN, y, size: BODY_SIZE, font: 'Helvetica-Bold', text: `${t.signature}:` });
  y -= boxH + 8;
  ops.push({ kind: 'image', image, x: MARGIN, y, width: boxW, height: boxH });
  ops.push({ kind: 'rect', x: MARGIN, y, width: boxW, height: boxH, lineWidth: 0.5, gray: 0.6 });
  y -= 14;
  ops.push({
    kind: 'text',
    x: MARGIN,
    y,
    size: 9,
    text: `${t.signedOn}: ${formatReceiptDateTime(input.signedAt.toISOString(), fmt)} - ${t.device}: ${input.device}`,
  });

  const count = pages.length;
  const pdfPages: PdfPage[] = pages.map((p, k) => {
    const footer = `${input.title} - ${input.card} - ${k + 1}/${count}`;
    p.push({ kind: 'text', x: A4.width - MARGIN - textWidth(footer, 8), y: MARGIN, size: 8, text: footer });
    return { width: A4.width, height: A4.height, ops: p };
  });
  return writePdf({
    pages: pdfPages,
    info: {
      title: `${input.title} ${input.card}`,
      author: input.library,
      subject: input.kind === 'enrolment' ? 'enrolment form' : 'loan receipt',
      creator: 'open-kiosk staff desk',
      creationDate: input.signedAt,
    },
  });
}

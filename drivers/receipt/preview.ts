/**
 * Receipt previews:
 *  - `renderReceiptText` / `renderReceiptSvg`: the ESC/POS bytes decoded again with our EscPosDecoder
 *    and rendered by protocols/escpos — the preview is what the paper shows, code pages included
 *    (the simulator panel and admin page use the SVG);
 *  - `renderReceiptHtml`: a self-contained HTML document for the kiosk screen and for e-mailed
 *    receipts (inline styles only, as mail clients drop style sheets). It is built from the model, not
 *    from the paper layout, so it reflows on a phone.
 *
 * QR codes and barcodes appear in the previews as their payload (a link for URLs); drawing the symbol
 * itself would need a QR encoder, which the project does not have yet.
 */
import { type CodePageTableName, decodeEscPos, renderSvg, renderText } from '../../protocols/escpos/index.ts';
import { type EscPosRenderOptions, renderReceiptEscPos } from './escpos.ts';
import {
  formatReceiptAmount,
  formatReceiptDate,
  formatReceiptDateTime,
  partLabel,
  receiptFormat,
  sectionHeading,
  sectionUnitCount,
  shortenName,
} from './format.ts';
import type { LayoutOptions } from './layout.ts';
import type { KitInfo, Receipt, ReceiptSection } from './receipt.ts';

function decoded(receipt: Receipt, options: EscPosRenderOptions) {
  const table: CodePageTableName = options.codePageTable ?? 'epson';
  return decodeEscPos(renderReceiptEscPos(receipt, options), { codePageTable: table });
}

/** Plain text of the printed receipt, one line per paper line (barcodes and cuts as [markers]). */
export function renderReceiptText(receipt: Receipt, options: EscPosRenderOptions = {}): string {
  return renderText(decoded(receipt, options), { columns: options.columns ?? 42 });
}

/** SVG picture of the printed receipt. */
export function renderReceiptSvg(receipt: Receipt, options: EscPosRenderOptions = {}): string {
  return renderSvg(decoded(receipt, options), { columns: options.columns ?? 42 });
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const CELL = 'padding:2px 6px;vertical-align:top;border-bottom:1px solid #eee';
const CELL_RIGHT = `${CELL};text-align:right;white-space:nowrap`;
const MUTED = 'color:#555;font-size:90%';

/** A standalone HTML document (UTF-8) for the screen or an e-mail body. */
export function renderReceiptHtml(receipt: Receipt, options: LayoutOptions = {}): string {
  const fmt = receiptFormat(receipt, options.locale);
  const t = fmt.texts;
  const date = (v: string): string => escapeHtml(formatReceiptDate(v, fmt));
  const parts: string[] = [];
  const h = receipt.header;

  parts.push(`<h1 style="font-size:130%;margin:0">${escapeHtml(h.libraryName)}</h1>`);
  if (h.department) parts.push(`<div>${escapeHtml(h.department)}</div>`);
  for (const l of h.lines ?? []) parts.push(`<div style="${MUTED}">${escapeHtml(l)}</div>`);
  const title = receipt.title === undefined ? t.title : receipt.title;
  if (title) parts.push(`<h2 style="font-size:115%;margin:12px 0 4px">${escapeHtml(title)}</h2>`);

  const meta: string[] = [];
  if (receipt.patron) {
    const name = receipt.patron.name ? shortenName(receipt.patron.name, 80, options.patronName ?? 'full') : '';
    meta.push(`${escapeHtml(t.card)} ${escapeHtml(receipt.patron.cardNumber)}${name ? ' ' + escapeHtml(name) : ''}`);
  }
  meta.push(`${escapeHtml(t.date)}: ${escapeHtml(formatReceiptDateTime(receipt.printedAt, fmt))}`);
  parts.push(`<p style="margin:4px 0">${meta.join('<br>')}</p>`);

  const kitRows = (kit: KitInfo | undefined, columns: number): string => {
    if (!kit) return '';
    const lead = [t.kit, kit.kitNumber, partLabel(kit.unit, kit.unitCount, t), kit.label].filter(Boolean).join(' ');
    const rows = [`<tr><td colspan="${columns}" style="${CELL};padding-left:20px;${MUTED}">${escapeHtml(lead)}</td></tr>`];
    for (const p of [...kit.parts].sort((a, b) => a.unit - b.unit)) {
      const text = [p.barcode, partLabel(p.unit, kit.unitCount, t), p.label].filter(Boolean).join(' ');
      rows.push(`<tr><td colspan="${columns}" style="${CELL};padding-left:36px;${MUTED}">${escapeHtml(text)}</td></tr>`);
    }
    return rows.join('');
  };
  const itemCell = (title: string | undefined, barcode: string, extra?: string): string =>
    `<td style="${CELL}">${title ? escapeHtml(title) + '<br>' : ''}<span style="${MUTED}">${escapeHtml(barcode)}${extra ? ' · ' + escapeHtml(extra) : ''}</span></td>`;

  const sectionHtml = (section: ReceiptSection): string => {
    const heading = sectionHeading(section, t);
    const units = sectionUnitCount(section);
    const head = heading ? `<h3 style="font-size:105%;margin:14px 0 4px">${escapeHtml(heading)}${units ? ` (${units})` : ''}</h3>` : '';
    const table = (rows: string[]): string =>
      `<table style="border-collapse:collapse;width:100%" data-section="${section.kind}">${rows.join('')}</table>`;
    switch (section.kind) {
      case 'loans':
      case 'renewals':
      case 'on-loan':
        return head + table(section.items.map((i) => `<tr>${itemCell(i.title, i.barcode, i.extra)}<td style="${CELL_RIGHT}">${escapeHtml(t.due)} ${date(i.dueDate)}</td></tr>${kitRows(i.kit, 2)}`));
      case 'returns':
        return head + table(section.items.map((i) => `<tr>${itemCell(i.title, i.barcode, i.extra)}</tr>${kitRows(i.kit, 1)}`));
      case 'held':
        return (
          head +
          table(
            section.items.map(
              (i) =>
                `<tr>${itemCell(i.title, i.barcode, i.reason ?? i.extra)}<td style="${CELL_RIGHT}">${i.heldUntil ? `${escapeHtml(t.heldUntil)} ${date(i.heldUntil)}` : ''}</td></tr>${kitRows(i.kit, 2)}`,
            ),
          )
        );
      case 'lost':
        return head + table(section.items.map((i) => `<tr>${itemCell(i.title, i.barcode, i.extra)}<td style="${CELL_RIGHT}">${i.since ? `${escapeHtml(t.lostSince)} ${date(i.since)}` : ''}</td></tr>`));
      case 'not-processed':
        return head + table(section.items.map((i) => `<tr>${itemCell(i.title, i.barcode)}<td style="${CELL}">${escapeHtml(i.message)}</td></tr>`));
      case 'fees': {
        const cents = section.items.reduce((n, i) => n + Math.round(i.amount * 100), 0);
        const rows = section.items.map(
          (i) => `<tr>${itemCell(i.description, i.barcode ?? '')}<td style="${CELL_RIGHT}">${escapeHtml(formatReceiptAmount(i.amount, section.currency, fmt))}</td></tr>`,
        );
        rows.push(`<tr><td style="${CELL};font-weight:bold">${escapeHtml(t.total)}</td><td style="${CELL_RIGHT};font-weight:bold">${escapeHtml(formatReceiptAmount(cents / 100, section.currency, fmt))}</td></tr>`);
        return head + table(rows);
      }
      case 'note':
        return head + section.lines.map((l) => `<p style="margin:4px 0">${escapeHtml(l)}</p>`).join('');
    }
  };
  for (const section of receipt.sections) parts.push(sectionHtml(section));

  if (receipt.code) {
    const data = receipt.code.data;
    const shown = /^https?:\/\//.test(data) ? `<a href="${escapeHtml(data)}">${escapeHtml(data)}</a>` : `<code>${escapeHtml(data)}</code>`;
    parts.push(`<p style="text-align:center;margin:12px 0 4px">${shown}</p>`);
    if (receipt.code.caption) parts.push(`<p style="text-align:center;${MUTED};margin:0">${escapeHtml(receipt.code.caption)}</p>`);
  }
  for (const l of receipt.footer?.lines ?? []) parts.push(`<p style="text-align:center;margin:4px 0">${escapeHtml(l)}</p>`);
  if (receipt.footer?.thankYou ?? true) parts.push(`<p style="text-align:center;font-weight:bold;margin:12px 0">${escapeHtml(t.thankYou)}</p>`);

  return [
    '<!DOCTYPE html>',
    `<html lang="${escapeHtml(fmt.language)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
    `<title>${escapeHtml(title || h.libraryName)}</title></head>`,
    `<body style="font-family:system-ui,sans-serif;max-width:32em;margin:0 auto;padding:12px;color:#000;background:#fff">`,
    ...parts,
    '</body></html>',
  ].join('\n');
}

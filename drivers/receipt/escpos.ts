/**
 * Receipt → ESC/POS bytes, through `@point-of-sale/receipt-printer-encoder` (devices.md §4.3: the one
 * encoder that prints Latvian correctly). The encoder's `codepage('auto')` switches `ESC t` per run of
 * text; we hand it the candidates in our order, so a receipt stays on its language's page — CP852 for
 * Slovenian and Hungarian, CP775 for Latvian, CP437 for English (protocols/escpos LANGUAGE_CODE_PAGES)
 * — and only characters that page lacks (a foreign patron name, "€") switch to another page the printer
 * has. Characters no page has print as "?".
 *
 * QR payloads with non-ASCII text are sent as UTF-8 with our own `qrCode` helper (phones read UTF-8;
 * the encoder sends ISO 8859-1).
 */
import ReceiptPrinterEncoder, { type ReceiptPrinterEncoderOptions } from '@point-of-sale/receipt-printer-encoder';
import {
  type CodePage,
  type CodePageTableName,
  align as alignCommand,
  escTValueFor,
  LANGUAGE_CODE_PAGES,
  qrCode,
} from '../../protocols/escpos/index.ts';
import { type LayoutOptions, layoutReceipt } from './layout.ts';
import type { Receipt } from './receipt.ts';
import { receiptLanguage } from './texts.ts';

type EncoderCodepage = NonNullable<ReceiptPrinterEncoderOptions['codepageCandidates']>[number];

export interface EscPosRenderOptions extends LayoutOptions {
  /** Vendor numbering of `ESC t` (must match the printer). Default 'epson'. */
  codePageTable?: CodePageTableName;
  /** Lines fed before the cut so the last line clears the cutter. Default 4. */
  feedBeforeCut?: number;
  /** Default 'partial' (the receipt stays hanging, as most kiosk printers are set up). */
  cut?: 'full' | 'partial' | 'none';
  /** QR module size in dots. Default 6. */
  qrModuleSize?: number;
  /** Barcode height in dots. Default 60. */
  barcodeHeightDots?: number;
}

/**
 * Code pages the encoder may switch to, best first: the language's pages, then every other page we
 * know for any kiosk language, then the Western defaults — all filtered to the ones the printer has.
 */
export function receiptCodePageCandidates(language: string, table: CodePageTableName = 'epson'): CodePage[] {
  const own = LANGUAGE_CODE_PAGES[receiptLanguage(language)] ?? [];
  const others = Object.values(LANGUAGE_CODE_PAGES).flat();
  const ordered = [...own, 'cp437' as const, ...others, 'cp858' as const, 'windows1252' as const];
  return [...new Set(ordered)].filter((page) => escTValueFor(page, table) !== null);
}

const printableAscii = (s: string): boolean => /^[\x20-\x7e]+$/.test(s);

export function renderReceiptEscPos(receipt: Receipt, options: EscPosRenderOptions = {}): Uint8Array {
  const columns = options.columns ?? 42;
  const table = options.codePageTable ?? 'epson';
  const encoder = new ReceiptPrinterEncoder({
    language: 'esc-pos',
    columns,
    codepageMapping: table,
    // Our CodePage names are the encoder's names for the same pages.
    codepageCandidates: receiptCodePageCandidates(receipt.language, table) as EncoderCodepage[],
    feedBeforeCut: options.feedBeforeCut ?? 4,
  });
  encoder.initialize().codepage('auto');

  for (const block of layoutReceipt(receipt, options)) {
    switch (block.type) {
      case 'line':
        encoder.align(block.align);
        if (block.bold) encoder.bold(true);
        if (block.height !== 1) encoder.height(block.height);
        encoder.line(block.text);
        if (block.height !== 1) encoder.height(1);
        if (block.bold) encoder.bold(false);
        encoder.align('left');
        break;
      case 'rule':
        encoder.rule({ style: 'single' });
        break;
      case 'blank':
        encoder.newline();
        break;
      case 'barcode':
        if (!printableAscii(block.data)) {
          // A barcode cannot carry it; print the value so staff can still type it in.
          encoder.align('center').line(block.data).align('left');
          break;
        }
        encoder
          .align('center')
          .barcode(block.data, block.symbology, { height: options.barcodeHeightDots ?? 60, text: 'below' })
          .align('left');
        break;
      case 'qr':
        if (printableAscii(block.data)) {
          encoder
            .align('center')
            .qrcode(block.data, { model: 2, size: options.qrModuleSize ?? 6, errorlevel: 'm' })
            .align('left');
        } else {
          encoder
            .raw(alignCommand('center'))
            .raw(qrCode(block.data, { moduleSize: options.qrModuleSize ?? 6, errorCorrection: 'M', encoding: 'utf8' }))
            .raw(alignCommand('left'))
            .newline();
        }
        break;
    }
  }
  const cut = options.cut ?? 'partial';
  if (cut !== 'none') encoder.cut(cut);
  return encoder.encode();
}

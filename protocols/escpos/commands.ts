/**
 * ESC/POS encoder helpers for the receipt subset (devices.md §4.1, bytes as emitted by
 * `@point-of-sale/receipt-printer-encoder` `src/languages/esc-pos.js`, checked against the Epson and
 * Bixolon manuals). Whole receipts are built by the printer driver with that encoder; these helpers
 * cover what the driver sends on its own (drawer kick, status polls, a code-page switch) and let
 * tests and the simulator build byte streams without it.
 *
 * Every helper returns a fresh Uint8Array; `concatBytes` joins them.
 */
import { type CodePage, type CodePageTableName, escTValueFor } from './code-pages.ts';

export const ESC = 0x1b;
export const GS = 0x1d;
export const FS = 0x1c;
export const DLE = 0x10;
export const EOT = 0x04;
export const LF = 0x0a;
export const CR = 0x0d;

export type Alignment = 'left' | 'center' | 'right';
export type CutKind = 'full' | 'partial';
export type DrawerPin = 2 | 5;
export type HriPosition = 'none' | 'above' | 'below' | 'both';
export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

/** Linear barcode symbologies of `GS k`. */
export type BarcodeSymbology =
  | 'upca'
  | 'upce'
  | 'ean13'
  | 'ean8'
  | 'code39'
  | 'itf'
  | 'codabar'
  | 'code93'
  | 'code128'
  | 'gs1-128'
  | 'gs1-databar-omni'
  | 'gs1-databar-truncated'
  | 'gs1-databar-limited'
  | 'gs1-databar-expanded'
  | 'code128-auto';

/**
 * `GS k m`: function A (m = 0…6, data terminated by NUL) and function B (m = 65…79, length byte first).
 * devices.md §4.1: "0x49 = Code128 …, 0x48 = Code93 … 04 = Code39, 06 = Codabar, 02 = EAN-13".
 */
export const BARCODE_FUNCTION_A: Readonly<Record<number, BarcodeSymbology>> = {
  0: 'upca', 1: 'upce', 2: 'ean13', 3: 'ean8', 4: 'code39', 5: 'itf', 6: 'codabar',
};
export const BARCODE_FUNCTION_B: Readonly<Record<number, BarcodeSymbology>> = {
  65: 'upca', 66: 'upce', 67: 'ean13', 68: 'ean8', 69: 'code39', 70: 'itf', 71: 'codabar',
  72: 'code93', 73: 'code128', 74: 'gs1-128', 75: 'gs1-databar-omni', 76: 'gs1-databar-truncated',
  77: 'gs1-databar-limited', 78: 'gs1-databar-expanded', 79: 'code128-auto',
};

export function concatBytes(...parts: ReadonlyArray<Uint8Array | readonly number[]>): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function byteParam(name: string, value: number, min = 0, max = 255): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer ${min}…${max}, got ${value}`);
  }
  return value;
}

/** `ESC @` (1B 40): initialise the printer (clears styles, code page 0, left alignment). */
export function initialize(): Uint8Array {
  return Uint8Array.of(ESC, 0x40);
}

/** `FS .` (1C 2E): cancel Kanji mode; needed on Chinese clones before single-byte code pages (§4.1). */
export function cancelKanji(): Uint8Array {
  return Uint8Array.of(FS, 0x2e);
}

/** `ESC M n` (1B 4D n): font A (0), B (1), C (2). */
export function selectFont(font: 'A' | 'B' | 'C'): Uint8Array {
  return Uint8Array.of(ESC, 0x4d, font.charCodeAt(0) - 0x41);
}

/** `ESC t n` (1B 74 n): select a character code table by its raw number. */
export function selectCodeTable(n: number): Uint8Array {
  return Uint8Array.of(ESC, 0x74, byteParam('ESC t n', n));
}

/** `ESC t n` for a code page on a vendor's printer; throws when the printer does not have it. */
export function selectCodePage(codePage: CodePage, table: CodePageTableName = 'epson'): Uint8Array {
  const n = escTValueFor(codePage, table);
  if (n === null) throw new RangeError(`${table} printers have no ESC t value for ${codePage}`);
  return selectCodeTable(n);
}

/** `ESC E n` (1B 45 n): emphasised (bold). */
export function bold(on: boolean): Uint8Array {
  return Uint8Array.of(ESC, 0x45, on ? 1 : 0);
}

/** `ESC - n` (1B 2D n): underline off (0), one dot (1), two dots (2). */
export function underline(mode: boolean | 0 | 1 | 2): Uint8Array {
  const n = mode === true ? 1 : mode === false ? 0 : mode;
  return Uint8Array.of(ESC, 0x2d, n);
}

/** `ESC 4 n` (1B 34 n): italic, as the receipt encoder emits it (not every printer has it). */
export function italic(on: boolean): Uint8Array {
  return Uint8Array.of(ESC, 0x34, on ? 1 : 0);
}

/** `GS B n` (1D 42 n): white-on-black (reverse) printing. */
export function invert(on: boolean): Uint8Array {
  return Uint8Array.of(GS, 0x42, on ? 1 : 0);
}

/** `GS ! n` (1D 21 n): character size, n = (width-1) << 4 | (height-1), each 1…8 (§4.1). */
export function textSize(width: number, height: number = width): Uint8Array {
  byteParam('width', width, 1, 8);
  byteParam('height', height, 1, 8);
  return Uint8Array.of(GS, 0x21, ((width - 1) << 4) | (height - 1));
}

/** `ESC a n` (1B 61 n): 0 left, 1 centre, 2 right (§4.1). Effective at the start of a line. */
export function align(value: Alignment): Uint8Array {
  return Uint8Array.of(ESC, 0x61, value === 'left' ? 0 : value === 'center' ? 1 : 2);
}

/** `LF` (0A): print the line buffer and feed one line. */
export function lineFeed(): Uint8Array {
  return Uint8Array.of(LF);
}

/** `ESC d n` (1B 64 n): print and feed n lines. */
export function feedLines(n: number): Uint8Array {
  return Uint8Array.of(ESC, 0x64, byteParam('lines', n));
}

export interface BarcodeOptions {
  /** `GS H n`: where the human-readable text goes. Default none. */
  hri?: HriPosition;
  /** `GS h n`: bar height in dots, 1…255. Default 60 (the receipt encoder's default). */
  heightDots?: number;
  /** `GS w n`: module width, 2…6 on Epson. Default 3. */
  moduleWidth?: number;
}

const HRI_VALUES: Readonly<Record<HriPosition, number>> = { none: 0, above: 1, below: 2, both: 3 };

/**
 * Barcode: `GS H n`, `GS h n`, `GS w n`, then `GS k m len data` (function B). Code 128 data without a
 * code-set prefix gets "{B", as the receipt encoder does. Data must be ASCII.
 */
export function barcode(data: string, symbology: BarcodeSymbology, options: BarcodeOptions = {}): Uint8Array {
  const m = Number(Object.entries(BARCODE_FUNCTION_B).find(([, s]) => s === symbology)?.[0]);
  let payload = data;
  if (symbology === 'code128' && !payload.startsWith('{')) payload = '{B' + payload;
  if (!/^[\x20-\x7e]*$/.test(payload)) throw new RangeError('barcode data must be printable ASCII');
  if (payload.length > 255) throw new RangeError('barcode data longer than 255 bytes');
  const bytes = Array.from(payload, (c) => c.charCodeAt(0));
  return concatBytes(
    [GS, 0x48, HRI_VALUES[options.hri ?? 'none']],
    [GS, 0x68, byteParam('heightDots', options.heightDots ?? 60, 1, 255)],
    [GS, 0x77, byteParam('moduleWidth', options.moduleWidth ?? 3, 1, 6)],
    [GS, 0x6b, m, bytes.length],
    bytes,
  );
}

export interface QrCodeOptions {
  /** QR model 1 or 2. Default 2. */
  model?: 1 | 2;
  /** Module size in dots, 1…16. Default 6. */
  moduleSize?: number;
  /** Error correction level. Default M. */
  errorCorrection?: QrErrorCorrection;
  /** How the payload string becomes bytes. Default UTF-8 (phones read it); the receipt encoder uses ISO 8859-1. */
  encoding?: 'utf8' | 'latin1';
}

/** `GS ( k pL pH cn fn …` with cn = 0x31 (QR). pL pH = number of bytes after pH, little-endian. */
function qrFunction(fn: number, params: readonly number[] | Uint8Array): Uint8Array {
  const length = params.length + 2;
  if (length > 0xffff) throw new RangeError('QR payload too long');
  return concatBytes([GS, 0x28, 0x6b, length & 0xff, length >> 8, 0x31, fn], params);
}

/**
 * QR code, the function sequence of §4.1: model `…31 41 32 00`, size `…31 43 n`, error correction
 * `…31 45 30..33`, store `…31 50 30 data` (pL pH = len + 3), print `…31 51 30`.
 */
export function qrCode(data: string, options: QrCodeOptions = {}): Uint8Array {
  const model = options.model ?? 2;
  const ec = { L: 0x30, M: 0x31, Q: 0x32, H: 0x33 }[options.errorCorrection ?? 'M'];
  const payload =
    options.encoding === 'latin1'
      ? Uint8Array.from(data, (c) => (c.charCodeAt(0) <= 0xff ? c.charCodeAt(0) : 0x3f))
      : new TextEncoder().encode(data);
  return concatBytes(
    qrFunction(0x41, [model === 1 ? 0x31 : 0x32, 0x00]),
    qrFunction(0x43, [byteParam('moduleSize', options.moduleSize ?? 6, 1, 16)]),
    qrFunction(0x45, [ec]),
    qrFunction(0x50, concatBytes([0x30], payload)),
    qrFunction(0x51, [0x30]),
  );
}

/**
 * `GS V m` (1D 56 00 full / 1D 56 01 partial); with a feed, `GS V 41 n` / `GS V 42 n`
 * (feed n lines' worth, then cut) (§4.1).
 */
export function cut(kind: CutKind = 'full', feedBeforeCut?: number): Uint8Array {
  if (feedBeforeCut === undefined) return Uint8Array.of(GS, 0x56, kind === 'full' ? 0x00 : 0x01);
  return Uint8Array.of(GS, 0x56, kind === 'full' ? 0x41 : 0x42, byteParam('feed', feedBeforeCut));
}

export interface DrawerKickOptions {
  /** Drawer connector pin: 2 (m = 0) or 5 (m = 1). Default 2. */
  pin?: DrawerPin;
  /** Pulse on time in ms (2 ms units, 0…510). Default 50. */
  onMs?: number;
  /** Pulse off time in ms (2 ms units, 0…510). Default 500. */
  offMs?: number;
}

/**
 * Cash drawer kick `ESC p m t1 t2` (1B 70 m t1 t2): m = 0 pin 2, 1 pin 5; on = t1 × 2 ms,
 * off = t2 × 2 ms. Default is the typical `1B 70 00 19 FA` (50 ms on / 500 ms off), §4.1.
 */
export function drawerKick(options: DrawerKickOptions = {}): Uint8Array {
  const pin = options.pin ?? 2;
  const t1 = Math.round((options.onMs ?? 50) / 2);
  const t2 = Math.round((options.offMs ?? 500) / 2);
  return Uint8Array.of(ESC, 0x70, pin === 5 ? 1 : 0, byteParam('onMs / 2', t1), byteParam('offMs / 2', t2));
}

/** Real-time status request `DLE EOT n` (10 04 n), n = 1 printer, 2 offline cause, 3 error, 4 paper sensor (§4.2). */
export function statusRequest(n: 1 | 2 | 3 | 4): Uint8Array {
  return Uint8Array.of(DLE, EOT, n);
}

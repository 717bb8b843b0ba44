/**
 * AIM symbology identifiers (ISO/IEC 15424): `]` + code character + modifier character, sent by a
 * scanner in front of the data ("]C0" Code 128, "]E0" EAN-13, "]F0" Codabar, "]A0" Code 39,
 * "]Q1" QR, "]d1" Data Matrix — devices.md §3; decoding table as in NielsLeenheer/BarcodeParser
 * `src/aim.js`, GS1 variants from the GS1 General Specifications).
 */

/** Symbology names used across scanner codecs (and matching the ESC/POS barcode names where both exist). */
export type ScanSymbology =
  | 'code39'
  | 'telepen'
  | 'code128'
  | 'gs1-128'
  | 'code-one'
  | 'ean13'
  | 'ean8'
  | 'upca'
  | 'upce'
  | 'ean-addon'
  | 'codabar'
  | 'code93'
  | 'code11'
  | 'itf'
  | 'code16k'
  | 'pdf417'
  | 'msi'
  | 'anker'
  | 'codablock'
  | 'plessey'
  | 'qr'
  | 'gs1-qr'
  | 'straight-2of5'
  | 'code49'
  | 'maxicode'
  | 'datamatrix'
  | 'gs1-datamatrix'
  | 'gs1-databar'
  | 'aztec'
  | 'other'
  | 'non-barcode'
  | 'unknown';

export interface AimIdentifier {
  /** The three characters as received, e.g. "]C0". */
  identifier: string;
  /** Code character: which symbology family ("C" = Code 128). */
  codeChar: string;
  /** Modifier character: options such as check digit handling or GS1 mode. */
  modifier: string;
  symbology: ScanSymbology;
  /** True for the GS1 variants (]C1, ]e0, ]d2, ]Q3): data holds GS1 element strings. */
  gs1: boolean;
}

/** Code character → family, with the modifiers that change the symbology. */
const AIM_FAMILIES: Readonly<Record<string, { symbology: ScanSymbology; byModifier?: Readonly<Record<string, ScanSymbology>> }>> = {
  A: { symbology: 'code39' },
  B: { symbology: 'telepen' },
  // ]C1: FNC1 in the first position = GS1-128.
  C: { symbology: 'code128', byModifier: { '1': 'gs1-128' } },
  D: { symbology: 'code-one' },
  // ]E0 EAN-13 (UPC-A and UPC-E arrive expanded to 13 digits), ]E1/]E2 add-on only,
  // ]E3 EAN-13 with add-on, ]E4 EAN-8.
  E: { symbology: 'ean13', byModifier: { '1': 'ean-addon', '2': 'ean-addon', '4': 'ean8' } },
  F: { symbology: 'codabar' },
  G: { symbology: 'code93' },
  H: { symbology: 'code11' },
  I: { symbology: 'itf' },
  K: { symbology: 'code16k' },
  L: { symbology: 'pdf417' },
  M: { symbology: 'msi' },
  N: { symbology: 'anker' },
  O: { symbology: 'codablock' },
  P: { symbology: 'plessey' },
  // ]Q3: QR Code with FNC1 in the first position = GS1 QR Code.
  Q: { symbology: 'qr', byModifier: { '3': 'gs1-qr' } },
  R: { symbology: 'straight-2of5' },
  S: { symbology: 'straight-2of5' },
  T: { symbology: 'code49' },
  U: { symbology: 'maxicode' },
  X: { symbology: 'other' },
  Z: { symbology: 'non-barcode' },
  // ]d2: Data Matrix ECC 200 with FNC1 in the first position = GS1 DataMatrix.
  d: { symbology: 'datamatrix', byModifier: { '2': 'gs1-datamatrix' } },
  e: { symbology: 'gs1-databar' },
  z: { symbology: 'aztec' },
};

const GS1_SYMBOLOGIES: ReadonlySet<ScanSymbology> = new Set(['gs1-128', 'gs1-qr', 'gs1-datamatrix', 'gs1-databar']);

/**
 * Parse a three-character AIM identifier. Returns null when the text is not one (wrong length, no
 * leading "]", or a modifier outside 0–9/A–Z/a–z). An unlisted code character gives symbology 'unknown'.
 */
export function parseAimIdentifier(text: string): AimIdentifier | null {
  if (text.length !== 3 || text[0] !== ']') return null;
  const codeChar = text[1] ?? '';
  const modifier = text[2] ?? '';
  if (!/^[A-Za-z]$/.test(codeChar) || !/^[0-9A-Za-z]$/.test(modifier)) return null;
  const family = AIM_FAMILIES[codeChar];
  const symbology: ScanSymbology = family ? (family.byModifier?.[modifier] ?? family.symbology) : 'unknown';
  return { identifier: text, codeChar, modifier, symbology, gs1: GS1_SYMBOLOGIES.has(symbology) };
}

/** Split an AIM prefix off scanned text: `"]C0123"` → aim ]C0 + `"123"`. Text without a valid prefix is returned whole. */
export function splitAimPrefix(text: string): { aim: AimIdentifier | null; data: string } {
  const aim = parseAimIdentifier(text.slice(0, 3));
  return aim ? { aim, data: text.slice(3) } : { aim: null, data: text };
}

/**
 * Honeywell Code IDs, sent by Honeywell scanners in HID POS report byte 61 (devices.md §3: 'j' Code 128,
 * 'b' Code 39, 'a' Codabar, 'd' EAN-13, 's' QR; the others from NielsLeenheer/WebHidBarcodeScanner).
 */
export const HONEYWELL_CODE_IDS: Readonly<Record<string, ScanSymbology>> = {
  a: 'codabar',
  b: 'code39',
  c: 'upca',
  d: 'ean13',
  D: 'ean8',
  E: 'upce',
  e: 'itf',
  g: 'msi',
  h: 'code11',
  i: 'code93',
  I: 'gs1-128',
  j: 'code128',
  r: 'pdf417',
  s: 'qr',
  w: 'datamatrix',
  y: 'gs1-databar',
  z: 'aztec',
};

/**
 * ESC/POS character code tables (`ESC t n`, bytes `1B 74 n`) and the text codecs behind them.
 *
 * Printers number their code tables differently, so the `ESC t` value depends on the vendor.
 * The tables below are facts taken from the per-vendor code-page mappings that
 * `@point-of-sale/receipt-printer-encoder` ships (NielsLeenheer/ReceiptPrinterEncoder
 * `generated/mapping.js`), restricted to the pages iconv-lite can decode. devices.md §4.1:
 * Epson, Star, Xprinter and Bixolon use n = 0x12 (18) for CP852, Citizen uses n = 0x06;
 * the encoder's `codepage('auto')` picked `ESC t 0x21` (33, CP775) for Latvian on Epson (§4.3).
 */
import iconv from 'iconv-lite';

/** iconv-lite names of the single-byte code pages a receipt printer can be switched to. */
export type CodePage =
  | 'cp437'
  | 'cp737'
  | 'cp720'
  | 'cp775'
  | 'cp850'
  | 'cp852'
  | 'cp855'
  | 'cp857'
  | 'cp858'
  | 'cp860'
  | 'cp861'
  | 'cp862'
  | 'cp863'
  | 'cp864'
  | 'cp865'
  | 'cp866'
  | 'cp869'
  | 'cp1125'
  | 'iso88591'
  | 'iso88592'
  | 'iso88597'
  | 'iso885915'
  | 'windows1250'
  | 'windows1251'
  | 'windows1252'
  | 'windows1253'
  | 'windows1254'
  | 'windows1255'
  | 'windows1256'
  | 'windows1257'
  | 'windows1258'
  | 'rk1048';

/** Which vendor's numbering `ESC t n` follows. */
export type CodePageTableName = 'epson' | 'star' | 'citizen' | 'bixolon' | 'xprinter';

/** `ESC t n` value → code page, per vendor. Pages iconv-lite cannot decode (Katakana, Thai, TCVN…) are left out. */
export const ESC_T_TABLES: Readonly<Record<CodePageTableName, Readonly<Record<number, CodePage>>>> = {
  epson: {
    0: 'cp437', 2: 'cp850', 3: 'cp860', 4: 'cp863', 5: 'cp865', 13: 'cp857', 14: 'cp737',
    15: 'iso88597', 16: 'windows1252', 17: 'cp866', 18: 'cp852', 19: 'cp858', 32: 'cp720',
    33: 'cp775', 34: 'cp855', 35: 'cp861', 36: 'cp862', 37: 'cp864', 38: 'cp869',
    // 39 is Epson's ISO 8859-2 (devices.md §4.1 "Epson also has … 0x27 ISO 8859-2").
    39: 'iso88592', 40: 'iso885915', 44: 'cp1125', 45: 'windows1250', 46: 'windows1251',
    47: 'windows1253', 48: 'windows1254', 49: 'windows1255', 50: 'windows1256',
    51: 'windows1257', 52: 'windows1258', 53: 'rk1048',
  },
  // Star printers in ESC/POS emulation: no Baltic page at all.
  star: {
    0: 'cp437', 2: 'cp850', 3: 'cp860', 4: 'cp863', 5: 'cp865', 16: 'windows1252', 17: 'cp866',
    18: 'cp852', 19: 'cp858',
  },
  citizen: {
    0: 'cp437', 2: 'cp858', 3: 'cp860', 4: 'cp863', 5: 'cp865', 6: 'cp852', 7: 'cp866', 8: 'cp857',
    16: 'windows1252', 32: 'windows1258', 40: 'cp864',
  },
  bixolon: {
    0: 'cp437', 2: 'cp850', 3: 'cp860', 4: 'cp863', 5: 'cp865', 16: 'windows1252', 17: 'cp866',
    18: 'cp852', 19: 'cp858', 21: 'cp862', 22: 'cp864', 24: 'windows1253', 25: 'windows1254',
    26: 'windows1257', 28: 'windows1251', 29: 'cp737', 30: 'cp775', 33: 'windows1255', 37: 'cp857',
    38: 'iso88597', 40: 'windows1256', 41: 'windows1258', 47: 'windows1250',
  },
  xprinter: {
    0: 'cp437', 2: 'cp850', 3: 'cp860', 4: 'cp863', 5: 'cp865', 6: 'iso88591', 7: 'windows1253',
    11: 'windows1255', 16: 'windows1252', 17: 'cp866', 18: 'cp852', 19: 'cp858', 22: 'cp864',
    23: 'windows1251', 24: 'cp737', 25: 'windows1257', 33: 'windows1256',
  },
};

/**
 * Code pages to try for each kiosk language, best first. The kiosk UI ships en, sl, lv, hu (DESIGN.md);
 * neighbours that share a page are listed so a site can add them without code changes.
 * The DOS pages come first because every listed vendor has CP852 and most have CP775; the Windows
 * pages are the fallback for printers that lack them (e.g. Xprinter has windows1257 but no CP775).
 */
export const LANGUAGE_CODE_PAGES: Readonly<Record<string, readonly CodePage[]>> = {
  en: ['cp437', 'cp858', 'cp850', 'windows1252'],
  sl: ['cp852', 'windows1250', 'iso88592'],
  hr: ['cp852', 'windows1250', 'iso88592'],
  hu: ['cp852', 'windows1250', 'iso88592'],
  cs: ['cp852', 'windows1250', 'iso88592'],
  sk: ['cp852', 'windows1250', 'iso88592'],
  pl: ['cp852', 'windows1250', 'iso88592'],
  lv: ['cp775', 'windows1257'],
  lt: ['cp775', 'windows1257'],
  et: ['cp775', 'windows1257'],
  de: ['cp858', 'cp850', 'windows1252'],
};

/** The `ESC t` value for a code page on a vendor's printer, or null when the printer lacks the page. */
export function escTValueFor(codePage: CodePage, table: CodePageTableName = 'epson'): number | null {
  for (const [n, page] of Object.entries(ESC_T_TABLES[table])) {
    if (page === codePage) return Number(n);
  }
  return null;
}

/** The code page selected by `ESC t n` on a vendor's printer, or null when we cannot decode it. */
export function codePageForEscT(n: number, table: CodePageTableName = 'epson'): CodePage | null {
  return ESC_T_TABLES[table][n] ?? null;
}

export interface CodePageChoice {
  codePage: CodePage;
  /** Value for `ESC t n`. */
  escT: number;
}

/**
 * Pick the code page for a language on a vendor's printer: the first preferred page the printer has.
 * Unknown languages fall back to English (CP437). Returns null only when the printer has none of them.
 */
export function codePageForLanguage(language: string, table: CodePageTableName = 'epson'): CodePageChoice | null {
  const base = language.toLowerCase().split(/[-_]/)[0] ?? 'en';
  const candidates = LANGUAGE_CODE_PAGES[base] ?? LANGUAGE_CODE_PAGES['en'] ?? [];
  for (const codePage of candidates) {
    const escT = escTValueFor(codePage, table);
    if (escT !== null) return { codePage, escT };
  }
  return null;
}

/** Encode text for the printer. Characters missing from the page become `?`, as the receipt encoder does. */
export function encodeText(text: string, codePage: CodePage): Uint8Array {
  return new Uint8Array(iconv.encode(text, codePage));
}

/** Decode printer bytes in a code page. */
export function decodeText(bytes: Uint8Array, codePage: CodePage): string {
  return iconv.decode(bytes, codePage);
}

/** True when every character of `text` survives a round trip through the code page. */
export function canEncode(text: string, codePage: CodePage): boolean {
  return decodeText(encodeText(text, codePage), codePage) === text;
}

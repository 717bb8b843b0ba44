/**
 * Text for the PDF's standard fonts (Helvetica, Helvetica-Bold: two of the 14 fonts every PDF reader
 * has, so nothing is embedded).
 *
 * Choice (no font embedding): a single-byte encoding built on WinAnsiEncoding with a /Differences
 * array. WinAnsi already has the Latin-1 letters (ä ö ü é …) and š ž Š Ž; the Slovenian, Croatian,
 * Latvian and Hungarian letters it lacks (č ć đ, ā ē ī ū ģ ķ ļ ņ, ő ű and their capitals) are put into
 * code points that WinAnsi leaves undefined or uses for rarely printed signs (ƒ ˆ ‰ ‹ Œ ˜ › œ Ÿ ¤ ¦ ¨
 * ª ¯ ² ³ ´ ¸ ¹ º ¼). The Adobe core fonts carry these glyphs (Ccaron, Dcroat, Gcommaaccent,
 * Ohungarumlaut …) and readers map the glyph names back to Unicode through the Adobe Glyph List, so
 * the text is both drawn and extractable (copy, search, pdftotext). The displaced signs and anything
 * else outside the encoding are transliterated (Œ → OE, ² → 2, ŗ → r by dropping the accent), and
 * what still has no form becomes "?".
 *
 * Widths are the Adobe font metrics (AFM) of Helvetica and Helvetica-Bold for ASCII; an accented
 * letter takes its base letter's width (as in the AFM, except the accented i, which is 278). They are
 * used only to wrap and align lines; readers take the metrics from their own copy of the font.
 */

/** A WinAnsi code point given a glyph the encoding lacks: [code, glyph name, character]. */
export const EXTRA_GLYPHS: ReadonlyArray<readonly [number, string, string]> = [
  [0x81, 'Ccaron', 'Č'],
  [0x8d, 'ccaron', 'č'],
  [0x8f, 'Cacute', 'Ć'],
  [0x90, 'cacute', 'ć'],
  [0x9d, 'Dcroat', 'Đ'],
  [0x83, 'dcroat', 'đ'],
  [0x88, 'Amacron', 'Ā'],
  [0x89, 'amacron', 'ā'],
  [0x8b, 'Emacron', 'Ē'],
  [0x8c, 'emacron', 'ē'],
  [0x98, 'Imacron', 'Ī'],
  [0x9b, 'imacron', 'ī'],
  [0x9c, 'Umacron', 'Ū'],
  [0x9f, 'umacron', 'ū'],
  [0xa4, 'Gcommaaccent', 'Ģ'],
  [0xa6, 'gcommaaccent', 'ģ'],
  [0xa8, 'Kcommaaccent', 'Ķ'],
  [0xaa, 'kcommaaccent', 'ķ'],
  [0xaf, 'Lcommaaccent', 'Ļ'],
  [0xb2, 'lcommaaccent', 'ļ'],
  [0xb3, 'Ncommaaccent', 'Ņ'],
  [0xb4, 'ncommaaccent', 'ņ'],
  [0xb8, 'Ohungarumlaut', 'Ő'],
  [0xb9, 'ohungarumlaut', 'ő'],
  [0xba, 'Uhungarumlaut', 'Ű'],
  [0xbc, 'uhungarumlaut', 'ű'],
];

/** WinAnsiEncoding 0x80–0x9F (PDF 1.4 Appendix D); 0xA0–0xFF equal Latin-1. */
const WIN_ANSI_HIGH: Readonly<Record<number, string>> = {
  0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ', 0x89: '‰',
  0x8a: 'Š', 0x8b: '‹', 0x8c: 'Œ', 0x8e: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•',
  0x96: '–', 0x97: '—', 0x98: '˜', 0x99: '™', 0x9a: 'š', 0x9b: '›', 0x9c: 'œ', 0x9e: 'ž', 0x9f: 'Ÿ',
};

/** Signs whose code point was given away, and other common characters, written another way. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  'ƒ': 'f', 'ˆ': '^', '‰': '%o', '‹': '<', 'Œ': 'OE', '˜': '~', '›': '>', 'œ': 'oe', 'Ÿ': 'Y', '¤': '?', '¦': '|',
  '¨': '"', 'ª': 'a', '¯': '-', '²': '2', '³': '3', '´': "'", '¸': ',', '¹': '1', 'º': 'o', '¼': '1/4',
  'ł': 'l', 'Ł': 'L', 'ı': 'i', '\u00a0': ' ', '\u202f': ' ', '\u2007': ' ', '\t': ' ',
  '−': '-', '‐': '-', '‑': '-', '→': '->', '←': '<-', '≤': '<=', '≥': '>=',
};

const encodeTable = new Map<string, number>();
const decodeTable = new Map<number, string>();
(() => {
  for (let c = 0x20; c < 0x7f; c++) encodeTable.set(String.fromCharCode(c), c);
  for (const [code, ch] of Object.entries(WIN_ANSI_HIGH)) encodeTable.set(ch, Number(code));
  for (let c = 0xa0; c <= 0xff; c++) encodeTable.set(String.fromCharCode(c), c);
  // The extras take over their code points: the sign that was there is no longer encodable directly.
  for (const [code, , ch] of EXTRA_GLYPHS) {
    for (const [k, v] of encodeTable) if (v === code) encodeTable.delete(k);
    encodeTable.set(ch, code);
  }
  for (const [ch, code] of encodeTable) decodeTable.set(code, ch);
})();

/** The /Differences array of the font encoding (PDF 1.4 §5.5.5). */
export function differencesArray(): string {
  const sorted = [...EXTRA_GLYPHS].sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let next = -1;
  for (const [code, name] of sorted) {
    if (code !== next) parts.push(String(code));
    parts.push(`/${name}`);
    next = code + 1;
  }
  return `[${parts.join(' ')}]`;
}

function encodeChar(ch: string, out: number[]): void {
  const direct = encodeTable.get(ch);
  if (direct !== undefined) {
    out.push(direct);
    return;
  }
  const translit = TRANSLITERATIONS[ch];
  if (translit !== undefined && translit !== ch) {
    for (const c of translit) encodeChar(c, out);
    return;
  }
  // Drop the accents: ŗ → r, ș → s (a letter is better than a question mark).
  const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
  if (base !== ch && base.length > 0) {
    for (const c of base) {
      const code = encodeTable.get(c);
      out.push(code ?? 0x3f);
    }
    return;
  }
  out.push(0x3f);
}

/** Bytes of `text` in the document's font encoding. */
export function encodeText(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text.normalize('NFC')) {
    if (ch === '\n' || ch === '\r') continue;
    encodeChar(ch, out);
  }
  return Uint8Array.from(out);
}

/** The text the bytes stand for (what a reader extracts). */
export function decodeText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += decodeTable.get(b) ?? '\ufffd';
  return s;
}

// Helvetica and Helvetica-Bold advance widths, 1/1000 em, for 0x20–0x7E (Adobe AFM).
// prettier-ignore
const HELVETICA = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
// prettier-ignore
const HELVETICA_BOLD = [
  278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
  975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
  333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
  611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

const SPECIAL_WIDTHS: Readonly<Record<string, number>> = {
  '€': 556, '…': 1000, '–': 556, '—': 1000, '‘': 222, '’': 222, '“': 333, '”': 333, '„': 333, '‚': 222,
  '•': 350, '™': 1000, 'ß': 611, 'æ': 889, 'Æ': 1000, 'ø': 611, 'Ø': 778, '°': 400, '§': 556, '©': 737,
  '®': 737, '«': 556, '»': 556, '×': 584, '÷': 584, '±': 584, '·': 278, 'Ð': 722, 'ð': 556, 'þ': 556, 'Þ': 667,
};

export type StandardFont = 'Helvetica' | 'Helvetica-Bold';

function charWidth(code: number, font: StandardFont): number {
  const table = font === 'Helvetica-Bold' ? HELVETICA_BOLD : HELVETICA;
  if (code >= 0x20 && code < 0x7f) return table[code - 0x20] ?? 556;
  const ch = decodeTable.get(code);
  if (!ch) return 556;
  const special = SPECIAL_WIDTHS[ch];
  if (special !== undefined) return special;
  const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
  if (base === 'i' || base === 'ı') return 278;
  if (base === 'Đ' || base === 'đ') return base === 'Đ' ? 722 : 556;
  const b = base.charCodeAt(0);
  if (base.length === 1 && b >= 0x20 && b < 0x7f) return table[b - 0x20] ?? 556;
  return 556;
}

/** Width of `text` at `size` points, in points. */
export function textWidth(text: string, size: number, font: StandardFont = 'Helvetica'): number {
  let units = 0;
  for (const code of encodeText(text)) units += charWidth(code, font);
  return (units * size) / 1000;
}

/**
 * Word-wrap to `maxWidth` points. Words longer than a line are cut; spaces inside a line are kept as
 * given, so indentation survives.
 */
export function wrapText(text: string, maxWidth: number, size: number, font: StandardFont = 'Helvetica'): string[] {
  if (textWidth(text, size, font) <= maxWidth) return [text];
  const indent = /^\s*/.exec(text)?.[0] ?? '';
  const words = text.slice(indent.length).split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = indent;
  const fits = (s: string): boolean => textWidth(s, size, font) <= maxWidth;
  for (let word of words) {
    const candidate = line.trim() === '' ? line + word : `${line} ${word}`;
    if (fits(candidate)) {
      line = candidate;
      continue;
    }
    if (line.trim() !== '') lines.push(line);
    line = indent;
    while (!fits(line + word) && [...word].length > 1) {
      const chars = [...word];
      let n = chars.length - 1;
      while (n > 1 && !fits(line + chars.slice(0, n).join(''))) n--;
      lines.push(line + chars.slice(0, n).join(''));
      word = chars.slice(n).join('');
    }
    line = line + word;
  }
  if (line.trim() !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * A small bitmap font for drawing text on signature tablet screens (the Wacom STU shows only images,
 * so the kiosk draws its pages itself). Glyphs are 5 × 7 dots with two descender rows, drawn for this
 * project; accented letters are composed from a base letter and a mark (Unicode NFD), which covers
 * Slovenian, Latvian, Hungarian and most other Latin-script languages: č š ž ć, ā ē ī ū ļ ņ ķ ģ,
 * ő ű á é í ó ö ú ü, …
 *
 * Cell: 6 × 13 dots at scale 1 — 3 rows above the cap height for marks, 7 glyph rows, 2 descender
 * rows, 1 row and 1 column of spacing.
 */

export const GLYPH_WIDTH = 5;
export const CELL_WIDTH = 6;
export const CELL_HEIGHT = 13;
/** Rows above the glyph box reserved for marks on capitals. */
export const MARK_ROWS = 3;

/** Rows top to bottom; 7 rows, or 9 for letters with descenders. '#' is ink. */
const GLYPHS: Readonly<Record<string, string>> = {
  ' ': '..... ..... ..... ..... ..... ..... .....',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '"': '.#.#. .#.#. ..... ..... ..... ..... .....',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  $: '..#.. .#### #.#.. .###. ..#.# ####. ..#..',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#',
  "'": '..#.. ..#.. ..... ..... ..... ..... .....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  ',': '..... ..... ..... ..... .##.. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  '/': '..... ....# ...#. ..#.. .#... #.... .....',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. ..#.. .#...',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '@': '.###. #...# ....# .##.# #.#.# #.#.# .###.',
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  '\\': '..... #.... .#... ..#.. ...#. ....# .....',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '^': '..#.. .#.#. #...# ..... ..... ..... .....',
  _: '..... ..... ..... ..... ..... ..... #####',
  '`': '.#... ..#.. ..... ..... ..... ..... .....',
  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# #...# .#### ....# #...# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #...# #...#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# #...# ####. #.... #....',
  q: '..... ..... .#### #...# #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .###. #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',
  '{': '...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '}': '.#... ..#.. ..#.. ...#. ..#.. ..#.. .#...',
  '~': '..... ..... .#... #.#.# ...#. ..... .....',
  // Dotless i and j: bases for marks above i and j (í, ī, ï).
  ı: '..... ..... .##.. ..#.. ..#.. ..#.. .###.',
  ȷ: '..... ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..',
};

/** Combining marks drawn above the base letter (bottom row nearest the letter). */
const MARKS_ABOVE: Readonly<Record<string, string>> = {
  '\u0300': '.#... ..#..', // grave
  '\u0301': '...#. ..#..', // acute
  '\u0302': '..#.. .#.#.', // circumflex
  '\u0303': '.##.# #..#.', // tilde
  '\u0304': '#####', // macron (ā ē ī ū)
  '\u0306': '#...# .###.', // breve
  '\u0307': '..#..', // dot above (ż ė)
  '\u0308': '.#.#.', // diaeresis (ö ü)
  '\u030a': '..#.. .#.#. ..#..', // ring (å ů)
  '\u030b': '..#.# .#.#.', // double acute (ő ű)
  '\u030c': '.#.#. ..#..', // caron (č š ž)
};

/** Combining marks drawn below the baseline. */
const MARKS_BELOW: Readonly<Record<string, string>> = {
  '\u0326': '..#.. .#...', // comma below (ș ț)
  '\u0327': '..#.. .#...', // cedilla; Latvian ļ ņ ķ use it as a comma below
  '\u0328': '..#.. ...##', // ogonek (ą ę ų)
};

/** Letters without a decomposition, and punctuation the font lacks, drawn as look-alikes. */
const FALLBACKS: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ø: 'o',
  Ø: 'O',
  '\u2013': '-',
  '\u2014': '-',
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': ',',
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u2026': '...',
  '\u00a0': ' ',
  '\u00ab': '<',
  '\u00bb': '>',
  '\u20ac': 'EUR',
  '\u00b7': '.',
  '\u2022': '*',
};

const rows = (art: string): boolean[][] => art.split(' ').map((r) => [...r].map((c) => c === '#'));

const GLYPH_BITS = new Map<string, boolean[][]>(Object.entries(GLYPHS).map(([c, art]) => [c, rows(art)]));
const ABOVE_BITS = new Map<string, boolean[][]>(Object.entries(MARKS_ABOVE).map(([c, art]) => [c, rows(art)]));
const BELOW_BITS = new Map<string, boolean[][]>(Object.entries(MARKS_BELOW).map(([c, art]) => [c, rows(art)]));

/** A drawable character: rows of 5 dots from MARK_ROWS above the glyph box to the descender (12 rows). */
export type GlyphBitmap = boolean[][];

const TOTAL_ROWS = CELL_HEIGHT - 1;

function blank(): GlyphBitmap {
  return Array.from({ length: TOTAL_ROWS }, () => new Array<boolean>(GLYPH_WIDTH).fill(false));
}

function stamp(target: GlyphBitmap, bits: boolean[][], top: number): void {
  bits.forEach((row, r) => {
    const y = top + r;
    if (y < 0 || y >= TOTAL_ROWS) return;
    row.forEach((on, x) => {
      if (on && x < GLYPH_WIDTH) (target[y] as boolean[])[x] = true;
    });
  });
}

const cache = new Map<string, GlyphBitmap>();

/** The bitmap for one character (a grapheme of base + marks), or null when the font cannot draw it. */
export function glyphFor(char: string): GlyphBitmap | null {
  const hit = cache.get(char);
  if (hit) return hit;
  const decomposed = char.normalize('NFD');
  let base = decomposed[0] ?? ' ';
  const marks = [...decomposed.slice(1)];
  if (marks.some((m) => ABOVE_BITS.has(m))) {
    if (base === 'i') base = 'ı';
    if (base === 'j') base = 'ȷ';
  }
  const baseBits = GLYPH_BITS.get(base);
  if (!baseBits) return null;
  const out = blank();
  stamp(out, baseBits, MARK_ROWS);
  const firstInk = baseBits.findIndex((row) => row.some(Boolean));
  const hasDescender = baseBits.length > 7 && baseBits.slice(7).some((row) => row.some(Boolean));
  let aboveBottom = MARK_ROWS + Math.max(0, firstInk) - 2;
  for (const mark of marks) {
    const above = ABOVE_BITS.get(mark);
    const below = BELOW_BITS.get(mark);
    if (above) {
      stamp(out, above, aboveBottom - above.length + 1);
      aboveBottom -= above.length;
    } else if (below) {
      // ģ: the descender is in the way, so the comma goes above (as Latvian prints it).
      if (hasDescender) stamp(out, [[false, false, true, false, false], [false, false, true, false, false]], aboveBottom - 1);
      else stamp(out, below, MARK_ROWS + 7);
    } else return null;
  }
  cache.set(char, out);
  return out;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Split text into drawable characters, replacing what the font cannot draw (look-alike or "?"). */
export function fontCharacters(text: string): string[] {
  const out: string[] = [];
  // Graphemes, so a base letter with a combining mark that has no precomposed form stays together.
  for (const { segment: ch } of graphemes.segment(text.normalize('NFC'))) {
    if (glyphFor(ch)) out.push(ch);
    else {
      const fallback = FALLBACKS[ch];
      if (fallback !== undefined) out.push(...fallback);
      else if (/\s/.test(ch)) out.push(' ');
      else out.push('?');
    }
  }
  return out;
}

/**
 * ISO/IEC 15962 compaction schemes as used by ISO 28560-2 (reference devices.md §1.4), plus the
 * ISIL compaction of ISO 28560-2 (application-defined scheme for OID 3 and 11).
 *
 * Scheme numbers are the 3 bits 6–4 of the precursor:
 *   0 application-defined · 1 unsigned big-endian integer · 2 numeric (4-bit BCD, pad 0xF)
 *   3 5-bit (0x41–0x5F, zero pad) · 4 6-bit (0x20–0x5F, pad "100000") · 5 7-bit (pad 1s)
 *   6 octets (ISO/IEC 8859-1) · 7 UTF-8
 *
 * Padding rules checked against the worked dp2 vector in the reference: the 6-bit "QA268.L55" ends in
 * pad bits "10", the ISIL "US-InU-Mu" ends in a pad bit "1".
 */

export const COMPACTION = {
  applicationDefined: 0,
  integer: 1,
  numeric: 2,
  fiveBit: 3,
  sixBit: 4,
  sevenBit: 5,
  octet: 6,
  utf8: 7,
} as const;
export type CompactionScheme = (typeof COMPACTION)[keyof typeof COMPACTION];

export const COMPACTION_NAMES: readonly string[] = [
  'application-defined',
  'integer',
  'numeric',
  '5-bit',
  '6-bit',
  '7-bit',
  'octets',
  'utf-8',
];

class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  write(value: number, width: number): void {
    for (let bit = width - 1; bit >= 0; bit--) {
      this.current = (this.current << 1) | ((value >> bit) & 1);
      this.used++;
      if (this.used === 8) {
        this.bytes.push(this.current);
        this.current = 0;
        this.used = 0;
      }
    }
  }

  /** Bits still free in the current byte (0 when byte-aligned). */
  get freeBits(): number {
    return this.used === 0 ? 0 : 8 - this.used;
  }

  finish(): Uint8Array {
    if (this.used !== 0) throw new Error('BitWriter: pad to a byte boundary first');
    return Uint8Array.from(this.bytes);
  }
}

class BitReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length * 8 - this.pos;
  }

  read(width: number): number {
    let v = 0;
    for (let i = 0; i < width; i++) {
      const byte = this.bytes[(this.pos >> 3)] ?? 0;
      v = (v << 1) | ((byte >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
}

// ---------------------------------------------------------------- integer (1)

export function compactInteger(text: string): Uint8Array | undefined {
  if (!/^[1-9][0-9]*$/.test(text)) return undefined;
  let v = BigInt(text);
  const out: number[] = [];
  while (v > 0n) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Uint8Array.from(out);
}

export function expandInteger(data: Uint8Array): string {
  let v = 0n;
  for (const b of data) v = (v << 8n) | BigInt(b);
  return v.toString();
}

// ---------------------------------------------------------------- numeric (2)

export function compactNumeric(text: string): Uint8Array | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const out = new Uint8Array(Math.ceil(text.length / 2)).fill(0xff);
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    const at = i >> 1;
    out[at] = i % 2 === 0 ? (d << 4) | 0x0f : ((out[at] ?? 0) & 0xf0) | d;
  }
  return out;
}

export function expandNumeric(data: Uint8Array): string {
  let out = '';
  for (const b of data) {
    for (const nibble of [b >> 4, b & 0x0f]) {
      if (nibble === 0x0f) return out; // pad
      out += nibble <= 9 ? String(nibble) : '\uFFFD';
    }
  }
  return out;
}

// ---------------------------------------------------------------- 5/6/7-bit (3, 4, 5)

export function compactFiveBit(text: string): Uint8Array | undefined {
  if (text.length === 0 || !/^[\x41-\x5f]+$/.test(text)) return undefined;
  const w = new BitWriter();
  for (const c of text) w.write(c.charCodeAt(0) & 0x1f, 5);
  w.write(0, w.freeBits); // zero pad; 00000 is never a character
  return w.finish();
}

export function expandFiveBit(data: Uint8Array): string {
  const r = new BitReader(data);
  let out = '';
  while (r.remaining >= 5) {
    const v = r.read(5);
    if (v === 0) break;
    out += String.fromCharCode(v | 0x40);
  }
  return out;
}

export function compactSixBit(text: string): Uint8Array | undefined {
  // A trailing space would be indistinguishable from the "100000" pad.
  if (text.length === 0 || !/^[\x20-\x5f]+$/.test(text) || text.endsWith(' ')) return undefined;
  const w = new BitWriter();
  for (const c of text) w.write(c.charCodeAt(0) & 0x3f, 6);
  const free = w.freeBits;
  if (free > 0) w.write(1 << (free - 1), free); // leading bits of 100000
  return w.finish();
}

export function expandSixBit(data: Uint8Array): string {
  const r = new BitReader(data);
  let out = '';
  while (r.remaining >= 6) {
    const v = r.read(6);
    if (r.remaining === 0 && v === 0x20) break; // a whole pad character
    out += String.fromCharCode(v < 0x20 ? v | 0x40 : v);
  }
  return out;
}

export function compactSevenBit(text: string): Uint8Array | undefined {
  if (text.length === 0 || !/^[\x00-\x7e]+$/.test(text)) return undefined;
  const w = new BitWriter();
  for (const c of text) w.write(c.charCodeAt(0), 7);
  const free = w.freeBits;
  if (free > 0) w.write((1 << free) - 1, free);
  return w.finish();
}

export function expandSevenBit(data: Uint8Array): string {
  const r = new BitReader(data);
  let out = '';
  while (r.remaining >= 7) {
    const v = r.read(7);
    if (r.remaining === 0 && v === 0x7f) break; // a whole pad character
    out += String.fromCharCode(v);
  }
  return out;
}

// ---------------------------------------------------------------- octets / UTF-8 (6, 7)

export function compactOctets(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return undefined;
    out[i] = c;
  }
  return out;
}

export function expandOctets(data: Uint8Array): string {
  let out = '';
  for (const b of data) out += String.fromCharCode(b);
  return out;
}

export function compactUtf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function expandUtf8(data: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(data);
}

// ---------------------------------------------------------------- ISIL (application-defined for OID 3/11)

/*
 * ISIL compaction (ISO 28560-2): three character sets with latch (switch until further notice) and
 * shift (next character only) codes; starts in upper case; padded with 1 bits.
 *   upper (5-bit): 0 '-', 1–26 A–Z, 27 ':', 28 latch lower, 29 shift lower, 30 latch digit, 31 shift digit
 *   lower (5-bit): 0 '-', 1–26 a–z, 27 '/', 28 latch upper, 29 shift upper, 30 latch digit, 31 shift digit
 *   digit (4-bit): 0–9, 10 '-', 11 ':', 12 latch upper, 13 shift upper, 14 latch lower, 15 shift lower
 */
type IsilSet = 'upper' | 'lower' | 'digit';

const ISIL_WIDTH: Record<IsilSet, number> = { upper: 5, lower: 5, digit: 4 };

function isilCode(set: IsilSet, ch: string): number | undefined {
  const c = ch.charCodeAt(0);
  switch (set) {
    case 'upper':
      if (ch === '-') return 0;
      if (ch === ':') return 27;
      if (c >= 0x41 && c <= 0x5a) return c - 0x40;
      return undefined;
    case 'lower':
      if (ch === '-') return 0;
      if (ch === '/') return 27;
      if (c >= 0x61 && c <= 0x7a) return c - 0x60;
      return undefined;
    case 'digit':
      if (ch === '-') return 10;
      if (ch === ':') return 11;
      if (c >= 0x30 && c <= 0x39) return c - 0x30;
      return undefined;
  }
}

/** Code (in `from`'s table) that latches or shifts to `to`. */
function isilSwitch(from: IsilSet, to: IsilSet, shift: boolean): number {
  if (from === 'digit') return (to === 'upper' ? 12 : 14) + (shift ? 1 : 0);
  if (to === 'digit') return shift ? 31 : 30;
  return shift ? 29 : 28; // upper <-> lower
}

function isilSetsOf(ch: string): IsilSet[] {
  return (['upper', 'lower', 'digit'] as const).filter((s) => isilCode(s, ch) !== undefined);
}

export function compactIsil(text: string): Uint8Array | undefined {
  if (text.length === 0) return undefined;
  for (const ch of text) if (isilSetsOf(ch).length === 0) return undefined;
  const w = new BitWriter();
  let set: IsilSet = 'upper';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    const code = isilCode(set, ch);
    if (code !== undefined) {
      w.write(code, ISIL_WIDTH[set]);
      continue;
    }
    // Prefer a set that also holds the next character, so a run costs one latch.
    const candidates = isilSetsOf(ch);
    const next = text[i + 1];
    const target = (next !== undefined && candidates.find((s) => isilCode(s, next) !== undefined)) || candidates[0];
    if (target === undefined) return undefined;
    const nextFitsCurrent = next === undefined || isilCode(set, next) !== undefined;
    const nextFitsTarget = next !== undefined && isilCode(target, next) !== undefined;
    const shift = nextFitsCurrent || !nextFitsTarget;
    w.write(isilSwitch(set, target, shift), ISIL_WIDTH[set]);
    w.write(isilCode(target, ch) ?? 0, ISIL_WIDTH[target]);
    if (!shift) set = target;
  }
  const free = w.freeBits;
  if (free > 0) w.write((1 << free) - 1, free);
  return w.finish();
}

export function expandIsil(data: Uint8Array): string {
  const r = new BitReader(data);
  let latched: IsilSet = 'upper';
  let shifted: IsilSet | undefined;
  let out = '';
  for (;;) {
    const set: IsilSet = shifted ?? latched;
    const width = ISIL_WIDTH[set];
    if (r.remaining < width) break;
    const v = r.read(width);
    shifted = undefined;
    if (set === 'digit') {
      if (v <= 9) out += String(v);
      else if (v === 10) out += '-';
      else if (v === 11) out += ':';
      else if (v === 12) latched = 'upper';
      else if (v === 13) shifted = 'upper';
      else if (v === 14) latched = 'lower';
      else shifted = 'lower';
    } else {
      if (v === 0) out += '-';
      else if (v <= 26) out += String.fromCharCode(v + (set === 'upper' ? 0x40 : 0x60));
      else if (v === 27) out += set === 'upper' ? ':' : '/';
      else if (v === 28) latched = set === 'upper' ? 'lower' : 'upper';
      else if (v === 29) shifted = set === 'upper' ? 'lower' : 'upper';
      else if (v === 30) latched = 'digit';
      else shifted = 'digit';
    }
  }
  return out;
}

// ---------------------------------------------------------------- selection

export interface Compacted {
  scheme: CompactionScheme;
  bytes: Uint8Array;
}

/**
 * Picks the shortest encoding among the ISO/IEC 15962 schemes that can represent `text`
 * (ties go to the lower scheme number, so "1203" is an integer, like dp2's vector).
 */
export function compactBest(text: string): Compacted {
  const candidates: Array<[CompactionScheme, Uint8Array | undefined]> = [
    [COMPACTION.integer, compactInteger(text)],
    [COMPACTION.numeric, compactNumeric(text)],
    [COMPACTION.fiveBit, compactFiveBit(text)],
    [COMPACTION.sixBit, compactSixBit(text)],
    [COMPACTION.sevenBit, compactSevenBit(text)],
    [COMPACTION.octet, compactOctets(text)],
    [COMPACTION.utf8, compactUtf8(text)],
  ];
  let best: Compacted | undefined;
  for (const [scheme, bytes] of candidates) {
    if (bytes && (!best || bytes.length < best.bytes.length)) best = { scheme, bytes };
  }
  return best ?? { scheme: COMPACTION.utf8, bytes: compactUtf8(text) };
}

/** Encodes `text` with a given scheme; undefined if the scheme cannot represent it. */
export function compactWith(scheme: CompactionScheme, text: string): Uint8Array | undefined {
  switch (scheme) {
    case COMPACTION.integer:
      return compactInteger(text);
    case COMPACTION.numeric:
      return compactNumeric(text);
    case COMPACTION.fiveBit:
      return compactFiveBit(text);
    case COMPACTION.sixBit:
      return compactSixBit(text);
    case COMPACTION.sevenBit:
      return compactSevenBit(text);
    case COMPACTION.octet:
      return compactOctets(text);
    case COMPACTION.utf8:
      return compactUtf8(text);
    default:
      return undefined;
  }
}

/** Decodes a character-string element (schemes 1–7). Scheme 0 has no generic meaning: hex is returned. */
export function expand(scheme: CompactionScheme, data: Uint8Array): string {
  switch (scheme) {
    case COMPACTION.integer:
      return expandInteger(data);
    case COMPACTION.numeric:
      return expandNumeric(data);
    case COMPACTION.fiveBit:
      return expandFiveBit(data);
    case COMPACTION.sixBit:
      return expandSixBit(data);
    case COMPACTION.sevenBit:
      return expandSevenBit(data);
    case COMPACTION.octet:
      return expandOctets(data);
    case COMPACTION.utf8:
      return expandUtf8(data);
    default:
      return Array.from(data, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
  }
}

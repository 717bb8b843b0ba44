/**
 * Character sets (reference §1): a per-account setting. The spec's default is code page 850, but
 * sites use ASCII, ISO-8859-x, Windows code pages or UTF-8; our default is UTF-8. Legacy single-byte
 * code pages come from iconv-lite. Characters a code page cannot hold are sent as `?` (iconv-lite's
 * default); the checksum is always computed over the bytes actually produced.
 */
import iconv from 'iconv-lite';

export const DEFAULT_CHARSET = 'utf-8';

const known = new Map<string, boolean>();

/** True if `charset` (e.g. `utf-8`, `cp850`, `IBM850`, `cp852`, `iso-8859-2`, `windows-1250`) is usable. */
export function isSupportedCharset(charset: string): boolean {
  let ok = known.get(charset);
  if (ok === undefined) known.set(charset, (ok = iconv.encodingExists(charset)));
  return ok;
}

/** UTF-8 under any of its spellings: encoded and decoded by the runtime, without iconv-lite's stream layer. */
export function isUtf8(charset: string): boolean {
  return charset === 'utf-8' || charset === 'UTF-8' || /^utf-?8$/i.test(charset);
}

/** Thrown by the encoding side only, for a charset name no code page matches (a configuration bug). */
export class Sip2CharsetError extends Error {
  readonly code = 'SIP2_UNSUPPORTED_CHARSET';
  constructor(readonly charset: string) {
    super(`Unsupported SIP2 character set: ${JSON.stringify(charset)}`);
    this.name = 'Sip2CharsetError';
  }
}

const utf8Encoder = new TextEncoder();

/** Text → wire bytes in `charset`. Unrepresentable characters become `?`. Throws Sip2CharsetError. */
export function encodeCharset(text: string, charset: string = DEFAULT_CHARSET): Uint8Array {
  // A lone surrogate becomes U+FFFD (EF BF BD), as iconv-lite's UTF-8 encoder makes it.
  if (isUtf8(charset)) return utf8Encoder.encode(text);
  if (!isSupportedCharset(charset)) throw new Sip2CharsetError(charset);
  // Copy out of Buffer so callers get a plain Uint8Array that compares cleanly in tests.
  return Uint8Array.from(iconv.encode(text, charset));
}

/** Wire bytes → text. Invalid UTF-8 sequences decode as U+FFFD. Throws Sip2CharsetError. */
export function decodeCharset(bytes: Uint8Array, charset: string = DEFAULT_CHARSET): string {
  // A byte-order mark is kept (U+FEFF), as with iconv-lite's stripBOM: false.
  if (isUtf8(charset)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (!isSupportedCharset(charset)) throw new Sip2CharsetError(charset);
  return iconv.decode(bytes, charset, { stripBOM: false });
}

/** String.prototype.isWellFormed (ES2024, in Node 20): false when an unpaired surrogate is present. */
type WellFormedString = string & { isWellFormed(): boolean };

/** Whether `text` survives `charset` unchanged (UTF-8 holds everything but an unpaired surrogate). */
export function representable(text: string, charset: string, bytes: Uint8Array): boolean {
  if (isUtf8(charset)) return (text as WellFormedString).isWellFormed();
  return decodeCharset(bytes, charset) === text;
}

// Letters that do not decompose into base letter + combining mark under NFD.
const ASCII_FALLBACK: Readonly<Record<string, string>> = {
  Đ: 'D', đ: 'd', Ł: 'L', ł: 'l', Ø: 'O', ø: 'o', ß: 'ss', Æ: 'AE', æ: 'ae', Œ: 'OE', œ: 'oe',
  Þ: 'Th', þ: 'th', Ð: 'D', ð: 'd', Ħ: 'H', ħ: 'h', ı: 'i', Ŀ: 'L', ŀ: 'l',
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201C': '"', '\u201D': '"', '\u201E': '"',
  '\u2013': '-', '\u2014': '-', '\u2026': '...', '\u00A0': ' ', '\u20AC': 'EUR',
};

/**
 * Best-effort ASCII for terminals that only show ASCII (Evergreen/Koha `encoding=ascii`):
 * `Žiga Čebašek` → `Ziga Cebasek`, `Łódź` → `Lodz`. Anything left over becomes `?`.
 */
export function transliterateToAscii(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFD')) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x80) out += ch;
    else if (/\p{M}/u.test(ch)) continue;
    else out += ASCII_FALLBACK[ch] ?? '?';
  }
  return out;
}

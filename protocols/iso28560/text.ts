/** ASCII field helpers for the fixed-layout models (ISO 28560-3, 3M 501). */

export interface AsciiField {
  text: string;
  /** Some byte was outside printable ASCII 0x20–0x7E (replaced by U+FFFD). */
  nonPrintable: boolean;
  /** Non-zero bytes after the first NUL (ignored). */
  dataAfterNul: boolean;
}

/** Reads a NUL-terminated / NUL-padded ASCII field. */
export function readAsciiField(bytes: Uint8Array, start: number, end: number): AsciiField {
  let text = '';
  let nonPrintable = false;
  let dataAfterNul = false;
  let i = start;
  const stop = Math.min(end, bytes.length);
  for (; i < stop; i++) {
    const b = bytes[i] ?? 0;
    if (b === 0) break;
    if (b < 0x20 || b > 0x7e) {
      nonPrintable = true;
      text += '\uFFFD';
    } else {
      text += String.fromCharCode(b);
    }
  }
  for (; i < stop; i++) if ((bytes[i] ?? 0) !== 0) dataAfterNul = true;
  return { text, nonPrintable, dataAfterNul };
}

export function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** Writes `text` (ASCII) at `start`, NUL-padding up to `end`. Caller validates the length. */
export function writeAsciiField(target: Uint8Array, start: number, end: number, text: string): void {
  for (let i = start; i < end; i++) {
    const k = i - start;
    target[i] = k < text.length ? text.charCodeAt(k) & 0x7f : 0;
  }
}

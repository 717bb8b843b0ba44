/**
 * Small byte helpers shared by the RFID codecs (kept next to the CRCs so that every codec folder
 * depends on one leaf module only). Pure functions over Uint8Array; Node's Buffer works as input.
 */

/**
 * Parses hex text such as "D6 00 05 FE" or "d60005fe" (whitespace, ':' and '-' ignored).
 * Throws RangeError on odd length or non-hex characters: this is for literals in code and tests,
 * not for untrusted input.
 */
export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:-]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new RangeError(`not a hex byte string: ${JSON.stringify(hex)}`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Uppercase hex; `separator` defaults to a space ("D6 00 05"). */
export function bytesToHex(bytes: Uint8Array, separator = ' '): string {
  const parts: string[] = [];
  for (const b of bytes) parts.push(b.toString(16).toUpperCase().padStart(2, '0'));
  return parts.join(separator);
}

export function concatBytes(...chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A copy (never a view) of `bytes[start, end)`, so callers may keep it after the source changes. */
export function copyBytes(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes, start, end) as Uint8Array;
}

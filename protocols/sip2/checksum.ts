/**
 * SIP2 error detection (reference §3): `AY<digit>AZ<4 hex>` before the terminator.
 *
 * The checksum is over the BYTES on the wire (after charset encoding), from the first byte of the
 * message up to and including the letters `AZ`: sum them, keep the low 16 bits, take the two's
 * complement. Summing characters instead of bytes breaks on non-ASCII text (php-sip2 issue #8).
 */
import { DEFAULT_CHARSET, encodeCharset, isSupportedCharset } from './charset.ts';

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
const PIPE = 0x7c;
const A = 0x41;
const Y = 0x59;
const Z = 0x5a;

/** The 16-bit checksum value of `bytes` (which must already end with `AZ`). */
export function checksumValue(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return -(sum & 0xffff) & 0xffff;
}

/** The 4 uppercase hex digits for `bytes` (which must already end with `AZ`). `0000` is legal. */
export function computeChecksum(bytes: Uint8Array | string, charset: string = DEFAULT_CHARSET): string {
  const data = typeof bytes === 'string' ? encodeCharset(bytes, charset) : bytes;
  return checksumValue(data).toString(16).toUpperCase().padStart(4, '0');
}

/** The next SC sequence number: 0–9, wrapping 9 → 0 (reference §3). */
export function nextSequenceNumber(current: number): number {
  return (((Math.trunc(current) + 1) % 10) + 10) % 10;
}

/** Where the error-detection trailer sits in a message's bytes. */
export interface Sip2Trailer {
  /** The `AY` digit, or null when the message has only `AZ` (always so for `96`/`97`). */
  sequenceNumber: number | null;
  /** The 4 hex digits as received (either case). */
  checksum: string;
  /** Index of the first trailer byte (`A` of `AY`, or of `AZ` when there is no `AY`). */
  start: number;
  /** Index just after the letters `AZ`: the checksum covers bytes [0, checksumEnd). */
  checksumEnd: number;
  /**
   * True when the trailer sits where the spec puts it: right after a `|` (or after a fixed part
   * with no ID'd fields), with nothing after the hex digits. False for tolerated forms such as a
   * trailing `|` — and for a field value that merely ends in "AZ" + 4 hex digits (a title like
   * "Flight AZ1234"), which the decoder must not mistake for a checksum.
   */
  delimited: boolean;
}

function isHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

/** Length of `bytes` without trailing CR/LF/NUL (the terminator and stray padding). */
export function contentEnd(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > 0) {
    const b = bytes[end - 1];
    if (b === CR || b === LF || b === NUL) end--;
    else break;
  }
  return end;
}

/**
 * Find `[AY<d>]AZ<hhhh>` at the end of a message (before `end`, default: the content end without
 * terminators). Tolerates a stray `|` between `AY<d>` and `AZ` and after the checksum. Returns
 * null when the message has no checksum.
 */
export function findTrailer(bytes: Uint8Array, end: number = contentEnd(bytes)): Sip2Trailer | null {
  let e = end;
  while (e > 0 && bytes[e - 1] === PIPE) e--;
  const az = e - 6;
  if (az < 0 || bytes[az] !== A || bytes[az + 1] !== Z) return null;
  for (let i = az + 2; i < e; i++) if (!isHex(bytes[i])) return null;
  const checksum = String.fromCharCode(bytes[az + 2]!, bytes[az + 3]!, bytes[az + 4]!, bytes[az + 5]!);
  let ay = az - 3;
  const pipeBeforeAz = ay >= 0 && bytes[az - 1] === PIPE;
  if (pipeBeforeAz) ay = az - 4;
  if (ay >= 0 && bytes[ay] === A && bytes[ay + 1] === Y && isDigit(bytes[ay + 2])) {
    return {
      sequenceNumber: (bytes[ay + 2] ?? 0x30) - 0x30,
      checksum,
      start: ay,
      checksumEnd: az + 2,
      delimited: !pipeBeforeAz && isDelimitedAt(bytes, ay, e === end),
    };
  }
  return { sequenceNumber: null, checksum, start: az, checksumEnd: az + 2, delimited: isDelimitedAt(bytes, az, e === end) };
}

/** The trailer starting at `start` follows a `|` (or a fixed part with no ID'd fields), and nothing follows it. */
function isDelimitedAt(bytes: Uint8Array, start: number, endsMessage: boolean): boolean {
  return endsMessage && (bytes[start - 1] === PIPE || !bytes.subarray(0, start).includes(PIPE));
}

export type ChecksumStatus = 'valid' | 'invalid' | 'absent';

export interface ChecksumVerification {
  status: ChecksumStatus;
  /** The checksum the bytes call for (uppercase), when a trailer is present. */
  expected: string | null;
  /** The checksum as received, when a trailer is present. */
  received: string | null;
  sequenceNumber: number | null;
}

/**
 * Check the `AZ` checksum of one message (terminator optional). Pass the bytes as received; a
 * string is encoded with `charset` first, which is only exact if the sender used that charset.
 */
export function verifyChecksum(message: Uint8Array | string, charset: string = DEFAULT_CHARSET): ChecksumVerification {
  const bytes =
    typeof message === 'string'
      ? isSupportedCharset(charset)
        ? encodeCharset(message, charset)
        : new TextEncoder().encode(message)
      : message;
  const trailer = findTrailer(bytes);
  if (trailer === null) return { status: 'absent', expected: null, received: null, sequenceNumber: null };
  const expected = computeChecksum(bytes.subarray(0, trailer.checksumEnd));
  const received = trailer.checksum;
  // Verify as the spec words it: byte sum + received value ≡ 0 (mod 2^16); hex case is irrelevant.
  const valid = Number.parseInt(received, 16) === Number.parseInt(expected, 16);
  return { status: valid ? 'valid' : 'invalid', expected, received, sequenceNumber: trailer.sequenceNumber };
}

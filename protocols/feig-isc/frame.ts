/**
 * FEIG OBID ISC "standard protocol" frame layer (FEIG CPR/ISC system manuals, e.g. H20800-16e-ID-B;
 * reference devices.md §2.2).
 *
 *   standard  host → reader:  LEN | COM-ADR | CMD | DATA… | CRC_lo CRC_hi
 *             reader → host:  LEN | COM-ADR | CMD | STATUS | DATA… | CRC_lo CRC_hi
 *   advanced  0x02 | ALEN_hi ALEN_lo | COM-ADR | CMD | [STATUS] | DATA… | CRC_lo CRC_hi
 *
 * LEN (5…255) and ALEN (up to 65535) count every byte of the frame, themselves, STX and CRC
 * included. A standard LEN can never be 2, so a leading 0x02 always means the advanced form. The
 * CRC is CRC-16/MCRF4XX (poly 0x8408 reflected, preset 0xFFFF, no final XOR) over bytes 1…n−2,
 * sent LSB first. COM-ADR 0xFF reaches any reader. The reader does not answer a frame with a bad CRC.
 * Link: 8 data bits, even parity by default, 1 stop (Biblio-RFID uses 38400 8E1); ≥ 5 ms before a
 * request, ≤ 12 ms between characters of a frame.
 */

import { FrameSplitter, copyBytes, crc16Mcrf4xx, type FrameProbe } from '../crc/index.ts';

export const FEIG_STX = 0x02;
export const FEIG_BROADCAST_ADDRESS = 0xff;
export const FEIG_MAX_STANDARD_LENGTH = 255;
export const FEIG_MIN_STANDARD_LENGTH = 5;

export type FeigDirection = 'request' | 'response';

export interface FeigFrame {
  address: number;
  command: number;
  /** Present in reader → host frames only. */
  status?: number;
  data: Uint8Array;
  /** Sent with the 0x02 / ALEN header. */
  advanced: boolean;
}

export interface FeigFrameError {
  code: 'too-short' | 'bad-length' | 'bad-crc';
  message: string;
}

export type FeigFrameResult = { ok: true; frame: FeigFrame } | { ok: false; error: FeigFrameError };

export interface FeigEncodeFrameOptions {
  /** Force the advanced (0x02 ALEN) header; it is used anyway when the frame exceeds 255 bytes. */
  advanced?: boolean;
}

function checkByte(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be 0–255: ${v}`);
  return v;
}

/** Builds a complete frame. Include `status` for reader → host frames. */
export function encodeFeigFrame(
  frame: { address: number; command: number; status?: number; data?: Uint8Array },
  options: FeigEncodeFrameOptions = {},
): Uint8Array {
  const data = frame.data ?? new Uint8Array(0);
  const head = frame.status === undefined ? 2 : 3;
  const standardLength = 1 + head + data.length + 2;
  const advanced = options.advanced === true || standardLength > FEIG_MAX_STANDARD_LENGTH;
  const length = advanced ? standardLength + 2 : standardLength;
  if (length > 0xffff) throw new RangeError(`FEIG frame of ${length} bytes is too long`);
  const out = new Uint8Array(length);
  let at = 0;
  if (advanced) {
    out[at++] = FEIG_STX;
    out[at++] = length >> 8;
    out[at++] = length & 0xff;
  } else {
    out[at++] = length;
  }
  out[at++] = checkByte('address', frame.address);
  out[at++] = checkByte('command', frame.command);
  if (frame.status !== undefined) out[at++] = checkByte('status', frame.status);
  out.set(data, at);
  const crc = crc16Mcrf4xx(out, 0, length - 2);
  out[length - 2] = crc & 0xff;
  out[length - 1] = crc >> 8;
  return out;
}

/** Checks and unwraps exactly one frame. `direction` says whether a STATUS byte is present. */
export function decodeFeigFrame(bytes: Uint8Array, direction: FeigDirection): FeigFrameResult {
  const advanced = bytes[0] === FEIG_STX;
  const headerBytes = advanced ? 3 : 1;
  const head = direction === 'response' ? 3 : 2;
  const minimum = headerBytes + head + 2;
  if (bytes.length < minimum) {
    return { ok: false, error: { code: 'too-short', message: `${bytes.length} bytes, need ${minimum}` } };
  }
  const declared = advanced ? ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0) : (bytes[0] ?? 0);
  if (declared !== bytes.length) {
    return { ok: false, error: { code: 'bad-length', message: `length field ${declared}, frame has ${bytes.length}` } };
  }
  const stored = (bytes[bytes.length - 2] ?? 0) | ((bytes[bytes.length - 1] ?? 0) << 8);
  const computed = crc16Mcrf4xx(bytes, 0, bytes.length - 2);
  if (stored !== computed) {
    return {
      ok: false,
      error: {
        code: 'bad-crc',
        message: `CRC 0x${stored.toString(16).toUpperCase()}, computed 0x${computed.toString(16).toUpperCase()}`,
      },
    };
  }
  let at = headerBytes;
  const address = bytes[at++] ?? 0;
  const command = bytes[at++] ?? 0;
  const frame: FeigFrame = { address, command, data: new Uint8Array(0), advanced };
  if (direction === 'response') frame.status = bytes[at++] ?? 0;
  frame.data = copyBytes(bytes, at, bytes.length - 2);
  return { ok: true, frame };
}

/** Splitter probe. FEIG frames have no sync byte: the length field and the CRC must agree. */
export function probeFeigFrame(buf: Uint8Array, offset: number): FrameProbe {
  const avail = buf.length - offset;
  const b0 = buf[offset] ?? 0;
  let length: number;
  if (b0 === FEIG_STX) {
    if (avail < 3) return { status: 'incomplete' };
    length = ((buf[offset + 1] ?? 0) << 8) | (buf[offset + 2] ?? 0);
    if (length < 3 + 2 + 2) return { status: 'invalid', reason: 'bad-length' };
  } else {
    if (b0 < FEIG_MIN_STANDARD_LENGTH) return { status: 'invalid', reason: 'bad-length' };
    length = b0;
  }
  if (avail < length) return { status: 'incomplete' };
  const stored = (buf[offset + length - 2] ?? 0) | ((buf[offset + length - 1] ?? 0) << 8);
  if (crc16Mcrf4xx(buf, offset, offset + length - 2) !== stored) return { status: 'invalid', reason: 'bad-crc' };
  return { status: 'complete', length };
}

/**
 * Splits a FEIG byte stream (either direction) into frames. Without a sync byte, resynchronisation
 * relies on the CRC: see FrameSplitter. Call `flush()` after the 12 ms inter-character gap expires.
 */
export class FeigFrameSplitter extends FrameSplitter {
  constructor(options: { lookaheadWindow?: number; maxBufferBytes?: number } = {}) {
    super({ probe: probeFeigFrame, ...options });
  }
}

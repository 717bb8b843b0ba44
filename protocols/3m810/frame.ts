/**
 * 3M 210/810 pad frame layer (3M RFID Reader Protocol Specification v1.0.0; reference devices.md §2.1).
 *
 *   D6 | LEN_hi LEN_lo | CMD | fields… | BCC_hi BCC_lo
 *
 * LEN counts the bytes after the length field, the 2 BCC bytes included. BCC is CRC-16/GENIBUS over
 * every byte except the leading 0xD6 (so over LEN, CMD and the fields), sent MSB first. The reader
 * also uses frames starting 0xD5 with the same length and BCC rules (hardware probe).
 * Link: 19200 baud 8N1, no flow control; the host waits for the whole response before sending.
 */

import { FrameSplitter, crc16Genibus, copyBytes, type FrameProbe } from '../crc/index.ts';

export const THREEM_SOF = 0xd6;
export const THREEM_SOF_ALT = 0xd5;
export type ThreeMStart = typeof THREEM_SOF | typeof THREEM_SOF_ALT;

/** Largest LEN the decoder and splitter accept (real frames are far smaller). */
export const THREEM_MAX_LEN = 1024;

export interface ThreeMFrame {
  start: ThreeMStart;
  /** CMD and the fields after it; LEN and BCC stripped. */
  body: Uint8Array;
}

export interface ThreeMFrameError {
  code: 'too-short' | 'bad-start' | 'bad-length' | 'bad-crc';
  message: string;
}

export type ThreeMFrameResult = { ok: true; frame: ThreeMFrame } | { ok: false; error: ThreeMFrameError };

/** Builds a complete frame around `body` (CMD + fields). */
export function encodeThreeMFrame(body: Uint8Array, start: ThreeMStart = THREEM_SOF): Uint8Array {
  const len = body.length + 2;
  if (body.length < 1 || len > THREEM_MAX_LEN) throw new RangeError(`3M frame body of ${body.length} bytes`);
  const out = new Uint8Array(3 + len);
  out[0] = start;
  out[1] = len >> 8;
  out[2] = len & 0xff;
  out.set(body, 3);
  const crc = crc16Genibus(out, 1, 3 + body.length);
  out[3 + body.length] = crc >> 8;
  out[4 + body.length] = crc & 0xff;
  return out;
}

/** Checks and unwraps one complete frame (exactly one: trailing bytes are an error). */
export function decodeThreeMFrame(bytes: Uint8Array): ThreeMFrameResult {
  if (bytes.length < 6) return { ok: false, error: { code: 'too-short', message: `${bytes.length} bytes` } };
  const start = bytes[0];
  if (start !== THREEM_SOF && start !== THREEM_SOF_ALT) {
    return { ok: false, error: { code: 'bad-start', message: `start byte 0x${hex(start ?? 0)}` } };
  }
  const len = ((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0);
  if (len !== bytes.length - 3) {
    return { ok: false, error: { code: 'bad-length', message: `LEN ${len} but ${bytes.length - 3} bytes follow` } };
  }
  const stored = ((bytes[bytes.length - 2] ?? 0) << 8) | (bytes[bytes.length - 1] ?? 0);
  const computed = crc16Genibus(bytes, 1, bytes.length - 2);
  if (stored !== computed) {
    return {
      ok: false,
      error: { code: 'bad-crc', message: `BCC 0x${hex(stored, 4)}, computed 0x${hex(computed, 4)}` },
    };
  }
  return { ok: true, frame: { start, body: copyBytes(bytes, 3, bytes.length - 2) } };
}

/** Splitter probe: frames start with D6/D5 and end with a valid GENIBUS BCC. */
export function probeThreeMFrame(buf: Uint8Array, offset: number): FrameProbe {
  const b0 = buf[offset];
  if (b0 !== THREEM_SOF && b0 !== THREEM_SOF_ALT) return { status: 'invalid', reason: 'no-sync' };
  if (buf.length - offset < 3) return { status: 'incomplete' };
  const len = ((buf[offset + 1] ?? 0) << 8) | (buf[offset + 2] ?? 0);
  if (len < 3 || len > THREEM_MAX_LEN) return { status: 'invalid', reason: 'bad-length' };
  const total = 3 + len;
  if (buf.length - offset < total) return { status: 'incomplete' };
  const stored = ((buf[offset + total - 2] ?? 0) << 8) | (buf[offset + total - 1] ?? 0);
  if (crc16Genibus(buf, offset + 1, offset + total - 2) !== stored) return { status: 'invalid', reason: 'bad-crc' };
  return { status: 'complete', length: total };
}

/**
 * Splits a 3M byte stream (either direction) into frames, resynchronising on D6/D5 after garbage.
 * `push()` returns `{type:'frame'|'garbage', bytes}` events; call `flush()` after a read timeout.
 */
export class ThreeMFrameSplitter extends FrameSplitter {
  constructor(options: { lookaheadWindow?: number; maxBufferBytes?: number } = {}) {
    super({ probe: probeThreeMFrame, ...options });
  }
}

function hex(n: number, width = 2): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/**
 * Splits an incoming SIP2 byte stream into messages (reference §1): the terminator is CR, but many
 * devices send CRLF or a bare LF, so all three end a message. Pure and synchronous: feed it the
 * chunks a socket delivers, in order; it returns what is complete. A message is delivered as soon
 * as its CR arrives (never held back waiting to see whether an LF follows); the LF of a CRLF, even
 * in the next chunk, then ends an empty line, and empty lines are skipped.
 *
 * Lines longer than `maxLength` are not buffered: the framer reports them once and discards bytes
 * until the next terminator, so a peer that never sends CR cannot grow memory without bound.
 */

const CR = 0x0d;
const LF = 0x0a;

/** Default cap per message, terminator excluded. A `64` listing hundreds of titled items stays below it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

export interface Sip2FramerOptions {
  /** Longest accepted message in bytes, terminator excluded. Default 65 536. */
  maxLength?: number;
}

export type Sip2Frame =
  /** One complete message, terminator stripped; pass `bytes` to decode(). */
  | { type: 'message'; bytes: Uint8Array }
  /**
   * A line exceeded `maxLength`. Reported once, when the limit is crossed; the rest of the line is
   * dropped up to its terminator. `length` is how many bytes had arrived at that point.
   */
  | { type: 'oversized'; length: number; maxLength: number };

export class Sip2Framer {
  readonly maxLength: number;
  private chunks: Uint8Array[] = [];
  private length = 0;
  private discarding = false;

  constructor(options: Sip2FramerOptions = {}) {
    const max = options.maxLength ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxLength must be a positive integer, got ${max}`);
    this.maxLength = max;
  }

  /** Bytes held for a message whose terminator has not arrived yet. */
  get bufferedLength(): number {
    return this.length;
  }

  /** Feed the next chunk; returns the frames it completes (possibly none), in order. */
  push(chunk: Uint8Array): Sip2Frame[] {
    const frames: Sip2Frame[] = [];
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== CR && b !== LF) continue;
      // Every CR or LF ends a line. The LF of a CRLF (even one split across chunks) thus ends an
      // empty line, and empty lines produce no frame.
      this.append(chunk.subarray(from, i), frames);
      this.finishLine(frames);
      from = i + 1;
    }
    this.append(chunk.subarray(from), frames);
    return frames;
  }

  /** Forget any partial message (e.g. after the connection was reset). */
  reset(): void {
    this.chunks = [];
    this.length = 0;
    this.discarding = false;
  }

  private append(part: Uint8Array, frames: Sip2Frame[]): void {
    if (part.length === 0 || this.discarding) return;
    if (this.length + part.length > this.maxLength) {
      frames.push({ type: 'oversized', length: this.length + part.length, maxLength: this.maxLength });
      this.chunks = [];
      this.length = 0;
      this.discarding = true;
      return;
    }
    // Copy: the caller may reuse its buffer (sockets do).
    this.chunks.push(part.slice());
    this.length += part.length;
  }

  private finishLine(frames: Sip2Frame[]): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.length === 0) return; // blank line: nothing to decode
    const bytes = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      bytes.set(c, offset);
      offset += c.length;
    }
    this.chunks = [];
    this.length = 0;
    frames.push({ type: 'message', bytes });
  }
}

/** Convenience: a framer with the given options. */
export function createSip2Framer(options: Sip2FramerOptions = {}): Sip2Framer {
  return new Sip2Framer(options);
}

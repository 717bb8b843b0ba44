/**
 * Streaming splitter for length-prefixed, CRC-terminated serial frames (3M 210/810, FEIG ISC).
 *
 * A protocol supplies a `probe` that says, for a buffer position, whether a whole CRC-valid frame
 * starts there, whether more bytes are needed to tell, or whether no frame can start there. The
 * splitter turns a byte stream into frames and "garbage" runs, and resynchronises:
 *
 *  - a position where no frame can start (wrong sync byte, impossible length, CRC mismatch) loses
 *    one byte and the search continues at the next;
 *  - when the position at the head says "need more bytes" (e.g. a noise byte that reads as a long
 *    length) but a chain of complete, CRC-valid frames starts later and ends exactly at the end of
 *    the buffered data, the bytes before it are garbage. Requiring the chain to end at the buffer end
 *    keeps a valid-looking byte run inside a half-received long frame from being mistaken for a
 *    frame: these are request/response protocols, so the line is quiet after a frame.
 *  - `flush()` drops whatever is pending; drivers call it on an inter-character timeout (FEIG:
 *    12 ms between characters of a frame, reference devices.md §2.2).
 *
 * Garbage runs are coalesced into one event per run, carrying the reason for the first byte.
 * Pure: no timers, no I/O.
 */

import { concatBytes, copyBytes } from './bytes.ts';

export type GarbageReason = 'no-sync' | 'bad-length' | 'bad-crc' | 'resync' | 'overflow' | 'flushed';

export type FrameProbe =
  | { status: 'complete'; length: number }
  | { status: 'incomplete' }
  | { status: 'invalid'; reason: GarbageReason };

export type SplitterEvent =
  | { type: 'frame'; bytes: Uint8Array }
  | { type: 'garbage'; bytes: Uint8Array; reason: GarbageReason };

export interface FrameSplitterOptions {
  /** Inspects `buf` at `offset` (bytes after `buf.length` have not arrived yet). */
  probe(buf: Uint8Array, offset: number): FrameProbe;
  /** How many start positions to try when looking for a later frame. Default 1024. */
  lookaheadWindow?: number;
  /** Pending bytes beyond this are dropped as 'overflow'. Default 70000. */
  maxBufferBytes?: number;
}

export class FrameSplitter {
  private buf: Uint8Array = new Uint8Array(0);
  private garbage: Uint8Array[] = [];
  private garbageReason: GarbageReason | undefined;
  private readonly probe: FrameSplitterOptions['probe'];
  private readonly lookaheadWindow: number;
  private readonly maxBufferBytes: number;

  constructor(options: FrameSplitterOptions) {
    this.probe = options.probe;
    this.lookaheadWindow = options.lookaheadWindow ?? 1024;
    this.maxBufferBytes = options.maxBufferBytes ?? 70000;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  /** Feeds received bytes; returns the frames and garbage runs completed by them, in stream order. */
  push(chunk: Uint8Array): SplitterEvent[] {
    const events: SplitterEvent[] = [];
    this.buf = this.buf.length === 0 ? copyBytes(chunk) : concatBytes(this.buf, chunk);
    if (this.buf.length > this.maxBufferBytes) this.discard(this.buf.length - this.maxBufferBytes, 'overflow');

    while (this.buf.length > 0) {
      const head = this.probe(this.buf, 0);
      if (head.status === 'complete') {
        this.emitGarbage(events);
        events.push({ type: 'frame', bytes: copyBytes(this.buf, 0, head.length) });
        this.buf = this.buf.subarray(head.length);
      } else if (head.status === 'invalid') {
        this.discard(1, head.reason);
      } else {
        const resyncAt = this.findResync();
        if (resyncAt === undefined) break;
        this.discard(resyncAt, 'resync');
      }
    }
    this.emitGarbage(events);
    return events;
  }

  /** Drops everything pending (call on an inter-character timeout or when the port is reopened). */
  flush(): SplitterEvent[] {
    const events: SplitterEvent[] = [];
    if (this.buf.length > 0) this.discard(this.buf.length, 'flushed');
    this.emitGarbage(events);
    return events;
  }

  private findResync(): number | undefined {
    const last = Math.min(this.buf.length - 1, this.lookaheadWindow);
    for (let start = 1; start <= last; start++) {
      let at = start;
      for (;;) {
        const p = this.probe(this.buf, at);
        if (p.status !== 'complete') break;
        at += p.length;
        if (at === this.buf.length) return start;
      }
    }
    return undefined;
  }

  private discard(count: number, reason: GarbageReason): void {
    this.garbage.push(copyBytes(this.buf, 0, count));
    this.garbageReason ??= reason;
    this.buf = this.buf.subarray(count);
  }

  private emitGarbage(events: SplitterEvent[]): void {
    if (this.garbage.length === 0 || this.garbageReason === undefined) return;
    events.push({ type: 'garbage', bytes: concatBytes(...this.garbage), reason: this.garbageReason });
    this.garbage = [];
    this.garbageReason = undefined;
  }
}

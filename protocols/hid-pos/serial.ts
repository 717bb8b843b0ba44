/**
 * Line parser for scanners on a serial port (USB CDC-ACM `/dev/ttyACM0` or RS-232), devices.md §3:
 * each scan is `[prefix][AIM id]data<suffix>`, with prefix, AIM identifier and suffix set by scanning
 * configuration barcodes. Bytes may arrive in any chunking.
 *
 * Tolerances (choices, since scanners are often configured slightly differently from the kiosk):
 *  - suffix CR: an LF right after the CR is dropped (the scanner sends CR LF);
 *  - suffix LF: a CR right before the LF is dropped;
 *  - empty lines are ignored.
 */
import { type AimIdentifier, splitAimPrefix } from './aim.ts';
import { type BarcodeScan, bytesToScanText, makeScan } from './report.ts';

export type ScanSuffix = 'CR' | 'LF' | 'CRLF' | 'TAB';

export interface SerialScanParserOptions {
  /** Terminator after each scan. Default CR (the usual factory setting). */
  suffix?: ScanSuffix;
  /** The scanner sends an AIM identifier before the data. Default false. */
  aimPrefix?: boolean;
  /** A configured prefix in front of every scan (before the AIM identifier). Lines without it are ignored. */
  prefix?: string;
  /** Longest line kept; longer input is discarded up to the next terminator. Default 4096 bytes. */
  maxLineBytes?: number;
}

export type SerialScanEvent =
  | { type: 'scan'; scan: BarcodeScan }
  | { type: 'ignored'; reason: 'missing-prefix'; text: string }
  | { type: 'overflow'; discardedBytes: number };

const CR = 0x0d;
const LF = 0x0a;
const TAB = 0x09;

export class SerialScanParser {
  readonly #suffix: ScanSuffix;
  readonly #aimPrefix: boolean;
  readonly #prefix: string;
  readonly #max: number;
  #line: number[] = [];
  #overflowed = 0;
  /** CRLF mode: a CR was seen and the next byte decides. */
  #pendingCr = false;
  /** CR mode: the previous byte ended a line, so an LF now is the second half of CR LF. */
  #justEnded = false;

  constructor(options: SerialScanParserOptions = {}) {
    this.#suffix = options.suffix ?? 'CR';
    this.#aimPrefix = options.aimPrefix ?? false;
    this.#prefix = options.prefix ?? '';
    this.#max = options.maxLineBytes ?? 4096;
  }

  /** Drop a partial line (e.g. after the port was reopened). */
  reset(): void {
    this.#line = [];
    this.#overflowed = 0;
    this.#pendingCr = false;
    this.#justEnded = false;
  }

  feed(chunk: Uint8Array | string): SerialScanEvent[] {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    const events: SerialScanEvent[] = [];
    for (const b of bytes) {
      const justEnded = this.#justEnded;
      this.#justEnded = false;
      switch (this.#suffix) {
        case 'CR':
          if (b === CR) this.#endLine(events);
          else if (!(b === LF && justEnded)) this.#add(b);
          break;
        case 'LF':
          if (b === LF) {
            if (this.#line[this.#line.length - 1] === CR) this.#line.pop();
            this.#endLine(events);
          } else this.#add(b);
          break;
        case 'TAB':
          if (b === TAB) this.#endLine(events);
          else this.#add(b);
          break;
        case 'CRLF':
          if (this.#pendingCr) {
            this.#pendingCr = false;
            if (b === LF) {
              this.#endLine(events);
              break;
            }
            this.#add(CR);
          }
          if (b === CR) this.#pendingCr = true;
          else this.#add(b);
          break;
      }
    }
    return events;
  }

  #add(b: number): void {
    if (this.#line.length >= this.#max) this.#overflowed++;
    else this.#line.push(b);
  }

  #endLine(events: SerialScanEvent[]): void {
    this.#justEnded = true;
    const line = Uint8Array.from(this.#line);
    const overflowed = this.#overflowed;
    this.#line = [];
    this.#overflowed = 0;
    if (overflowed > 0) {
      events.push({ type: 'overflow', discardedBytes: line.length + overflowed });
      return;
    }
    if (line.length === 0) return;

    let bytes = line;
    if (this.#prefix) {
      const prefixBytes = new TextEncoder().encode(this.#prefix);
      const hasPrefix = prefixBytes.every((p, k) => bytes[k] === p);
      if (!hasPrefix) {
        events.push({ type: 'ignored', reason: 'missing-prefix', text: bytesToScanText(bytes) });
        return;
      }
      bytes = bytes.slice(prefixBytes.length);
    }
    let aim: AimIdentifier | null = null;
    if (this.#aimPrefix) {
      const split = splitAimPrefix(String.fromCharCode(...bytes.subarray(0, 3)));
      if (split.aim) {
        aim = split.aim;
        bytes = bytes.slice(3);
      }
    }
    if (bytes.length === 0 && !aim) return;
    events.push({ type: 'scan', scan: makeScan(bytes, aim, null) });
  }
}

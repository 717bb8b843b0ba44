/**
 * A simulated keyboard-wedge scanner: it "types" barcodes as Linux input events (24-byte
 * `struct input_event` records by default) into a stream the driver reads instead of
 * /dev/input/eventN (`openInput`), or into a file (`writeScansToFile`) for the path-based reader.
 * Records are written in uneven chunks, so the driver's record reassembly is exercised. Event times
 * come from the simulator's own counter, not the wall clock.
 */
import { writeFileSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import type { ScanSymbology } from '../../protocols/hid-pos/index.ts';
import { type InputEventSize, INPUT_EVENT_SIZE_64, typeText } from './evdev.ts';
import { AIM_FOR_SYMBOLOGY, scannerPayload } from './symbology-ids.ts';

export interface KeyboardWedgeSimulatorOptions {
  recordSize?: InputEventSize;
  /** Between keys of a scan. Default 8 ms. */
  interKeyMs?: number;
  /** Event time of the first key, ms since the epoch. Default 2026-01-01T00:00:00Z. */
  startMs?: number;
  terminator?: 'enter' | 'tab';
  /** Typed before every scan. */
  prefix?: string;
  /** Type the AIM identifier before the data. */
  aimPrefix?: boolean;
}

export class KeyboardWedgeSimulator {
  readonly #options: Required<KeyboardWedgeSimulatorOptions>;
  #clockMs: number;
  #stream: PassThrough | null = null;
  #plugged = true;

  constructor(options: KeyboardWedgeSimulatorOptions = {}) {
    this.#options = {
      recordSize: options.recordSize ?? INPUT_EVENT_SIZE_64,
      interKeyMs: options.interKeyMs ?? 8,
      startMs: options.startMs ?? Date.UTC(2026, 0, 1),
      terminator: options.terminator ?? 'enter',
      prefix: options.prefix ?? '',
      aimPrefix: options.aimPrefix ?? false,
    };
    this.#clockMs = this.#options.startMs;
  }

  /** Pass as the driver's `openInput` dependency. */
  readonly openInput = (path: string): Readable => {
    if (!this.#plugged) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    this.#stream = new PassThrough();
    return this.#stream;
  };

  /** The records one scan produces (advances the simulator's event clock). */
  records(code: string, symbology: ScanSymbology = 'code128', interKeyMs = this.#options.interKeyMs): Uint8Array {
    const aim = this.#options.aimPrefix ? (AIM_FOR_SYMBOLOGY[symbology] ?? ']X0') : '';
    const text = this.#options.prefix + aim + scannerPayload(code, symbology);
    const bytes = typeText(text, {
      startMs: this.#clockMs,
      interKeyMs,
      recordSize: this.#options.recordSize,
      terminator: this.#options.terminator,
    });
    // Next scan half a second later.
    this.#clockMs += (text.length + 1) * interKeyMs + 500;
    return bytes;
  }

  /** Scan a code into the open stream; resolves after the last chunk. */
  async scan(code: string, symbology: ScanSymbology = 'code128'): Promise<void> {
    await this.#write(this.records(code, symbology));
  }

  /** A person typing `text` and Enter at `interKeyMs` per key (e.g. 150 ms: far slower than a scanner). */
  async typeByHand(text: string, interKeyMs = 150): Promise<void> {
    const bytes = typeText(text, { startMs: this.#clockMs, interKeyMs, recordSize: this.#options.recordSize, terminator: this.#options.terminator });
    this.#clockMs += (text.length + 1) * interKeyMs + 500;
    await this.#write(bytes);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const stream = this.#stream;
    if (!stream || stream.destroyed) throw new Error('the driver has not opened the input device');
    // Uneven chunks that cut records in the middle (a 24-byte record never arrives whole here).
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(bytes.length - at, 37 + (at % 50));
      stream.write(Buffer.from(bytes.subarray(at, at + n)));
      at += n;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The device disappears: reads fail with ENODEV, as evdev does for an unplugged keyboard. */
  unplug(): void {
    this.#plugged = false;
    this.#stream?.destroy(Object.assign(new Error('ENODEV: no such device, read'), { code: 'ENODEV' }));
    this.#stream = null;
  }

  replug(): void {
    this.#plugged = true;
  }

  /** Write scans as an input-event file, for drivers reading `path` directly. */
  writeScansToFile(path: string, codes: ReadonlyArray<string | { code: string; symbology: ScanSymbology }>): void {
    const parts = codes.map((c) => (typeof c === 'string' ? this.records(c) : this.records(c.code, c.symbology)));
    writeFileSync(path, Buffer.concat(parts));
  }
}

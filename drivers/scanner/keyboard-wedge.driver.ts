/**
 * Keyboard-wedge barcode scanner read from its Linux input event device (`/dev/input/eventN`, or the
 * stable `/dev/input/by-id/usb-…-event-kbd` link). node-hid cannot open keyboards (the OS owns them,
 * devices.md §3), but evdev can be read by a user in the `input` group.
 *
 * The events are decoded by ./evdev.ts: `struct input_event` records, US keymap with Shift/Caps Lock,
 * Enter (or Tab) ends a scan, and a gap longer than `maxInterKeyMs` between keys means a person is
 * typing, not a scanner. An optional prefix and AIM identifier are taken off as for serial scanners.
 *
 * Limitation: without `EVIOCGRAB` (an ioctl plain Node cannot issue) the keystrokes also reach the
 * focused window, e.g. the kiosk browser. Configure the scanner with a prefix the UI ignores, or
 * keep the browser from having a focused text field.
 *
 * The device is opened non-blocking and polled (EAGAIN = no key yet), so `close()` never waits on a
 * read stuck in the thread pool. Tests pass a stream of synthetic records instead (`deps.openInput`),
 * or point `path` at a file of records.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { makeScan, splitAimPrefix } from '../../protocols/hid-pos/index.ts';
import { Device, DeviceError, type DriverClock } from '../device.ts';
import { INPUT_EVENT_SIZE_32, INPUT_EVENT_SIZE_64, InputEventParser, KeyboardScanAssembler } from './evdev.ts';
import { type ScannerEvents, scanEvent } from './index.ts';

export const keyboardWedgeScannerConfigSchema = z
  .object({
    id: z.string().min(1),
    model: z.string().min(1).default('keyboard-wedge barcode scanner'),
    /** /dev/input/eventN or /dev/input/by-id/…-event-kbd */
    path: z.string().min(1),
    /** `struct input_event` size: 24 on 64-bit Linux, 16 with a 32-bit time_t. */
    recordSize: z.union([z.literal(INPUT_EVENT_SIZE_64), z.literal(INPUT_EVENT_SIZE_32)]).default(INPUT_EVENT_SIZE_64),
    terminator: z.enum(['enter', 'tab']).default('enter'),
    /** Longest gap between the keys of one scan; null accepts typing at any speed. */
    maxInterKeyMs: z.number().positive().nullable().default(50),
    minLength: z.number().int().positive().default(1),
    aimPrefix: z.boolean().default(false),
    prefix: z.string().optional(),
    pollIntervalMs: z.number().int().positive().default(8),
  })
  .strict();

export type KeyboardWedgeScannerConfig = z.output<typeof keyboardWedgeScannerConfigSchema>;
export type KeyboardWedgeScannerConfigInput = z.input<typeof keyboardWedgeScannerConfigSchema>;

export interface KeyboardWedgeScannerDeps {
  /** Opens the event stream; default: the non-blocking polling reader below. */
  openInput?: (path: string) => Readable | Promise<Readable>;
  clock?: DriverClock;
}

/**
 * Reads a device file without blocking a libuv thread: O_NONBLOCK reads, retried every
 * `pollIntervalMs` on EAGAIN. A regular file (test fixtures) ends at EOF.
 */
export class PollingFileReader extends Readable {
  #handle: FileHandle | null;
  #timer: NodeJS.Timeout | null = null;
  #busy = false;

  /** Opens the file first, so a missing device or a permission problem rejects here. */
  static async open(path: string, pollIntervalMs = 8): Promise<PollingFileReader> {
    return new PollingFileReader(await fsp.open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK), pollIntervalMs);
  }

  private constructor(
    handle: FileHandle,
    private readonly pollIntervalMs: number,
  ) {
    super({ highWaterMark: 4096 });
    this.#handle = handle;
  }

  override _read(size: number): void {
    void this.#readOnce(Math.max(size, 24 * 16));
  }

  async #readOnce(size: number): Promise<void> {
    const handle = this.#handle;
    if (!handle || this.destroyed) return;
    this.#busy = true;
    try {
      const buffer = Buffer.alloc(size);
      const { bytesRead } = await handle.read(buffer, 0, size, null);
      this.#busy = false;
      if (bytesRead === 0) this.push(null);
      else this.push(buffer.subarray(0, bytesRead));
    } catch (err) {
      this.#busy = false;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        this.#timer = setTimeout(() => void this.#readOnce(size), this.pollIntervalMs);
      } else this.destroy(err as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#timer) clearTimeout(this.#timer);
    const finish = async (): Promise<void> => {
      while (this.#busy) await new Promise((r) => setTimeout(r, 1));
      await this.#handle?.close().catch(() => {});
      this.#handle = null;
    };
    finish().then(() => callback(error), () => callback(error));
  }
}

export class KeyboardWedgeScanner extends Device<ScannerEvents> {
  readonly config: KeyboardWedgeScannerConfig;
  readonly #openInput: (path: string) => Readable | Promise<Readable>;
  #input: Readable | null = null;

  constructor(config: KeyboardWedgeScannerConfigInput, deps: KeyboardWedgeScannerDeps = {}) {
    const parsed = keyboardWedgeScannerConfigSchema.parse(config);
    super(parsed.id, 'scanner', parsed.model, deps.clock);
    this.config = parsed;
    this.#openInput = deps.openInput ?? ((path) => PollingFileReader.open(path, parsed.pollIntervalMs));
  }

  async open(): Promise<void> {
    if (this.#input) return;
    this.setState('connecting', `opening ${this.config.path}`);
    let input: Readable;
    try {
      input = await this.#openInput(this.config.path);
    } catch (err) {
      this.setState('offline', `cannot open ${this.config.path}`, err);
      throw new DeviceError('open_failed', `cannot open ${this.config.path}: ${(err as Error).message}`);
    }
    this.#input = input;
    const parser = new InputEventParser(this.config.recordSize);
    const keys = new KeyboardScanAssembler({
      terminator: this.config.terminator,
      maxInterKeyMs: this.config.maxInterKeyMs,
      minLength: this.config.minLength,
    });
    input.on('data', (chunk: Buffer) => {
      for (const event of parser.push(new Uint8Array(chunk))) {
        const out = keys.push(event);
        if (out?.type === 'scan') this.#emitScan(out.text);
      }
    });
    input.on('error', (err) => {
      if (this.#input !== input) return;
      this.#input = null;
      // ENODEV: the scanner was unplugged.
      this.setState('offline', (err as NodeJS.ErrnoException).code === 'ENODEV' ? 'unplugged' : 'input error', err);
    });
    input.on('end', () => {
      if (this.#input !== input) return;
      this.#input = null;
      this.setState('offline', 'input ended');
    });
    this.setState('ready', null);
  }

  async close(): Promise<void> {
    const input = this.#input;
    this.#input = null;
    if (input && !input.destroyed) {
      await new Promise<void>((resolve) => {
        input.once('close', () => resolve());
        input.destroy();
      });
    }
    this.setState('offline', 'closed');
  }

  #emitScan(typed: string): void {
    let text = typed;
    const prefix = this.config.prefix;
    if (prefix !== undefined) {
      if (!text.startsWith(prefix)) return;
      text = text.slice(prefix.length);
    }
    const { aim, data } = this.config.aimPrefix ? splitAimPrefix(text) : { aim: null, data: text };
    if (data === '' && !aim) return;
    this.emit('scan', scanEvent(makeScan(new TextEncoder().encode(data), aim, null), this.id, 'keyboard-wedge'));
  }
}

/**
 * Serial barcode scanner: USB CDC-ACM (/dev/ttyACM0) or RS-232 (devices.md §3). Each scan is
 * `[prefix][AIM id]data<suffix>`; prefix, AIM identifier and suffix (CR, LF, CRLF or TAB) are set on
 * the scanner by scanning configuration barcodes and must match this config. Lines are cut and
 * parsed by protocols/hid-pos `SerialScanParser` (any chunking).
 */
import { z } from 'zod';
import { SerialScanParser } from '../../protocols/hid-pos/index.ts';
import type { SerialPortStream } from '@serialport/stream';
import { Device, DeviceError, type DriverClock } from '../device.ts';
import { type BindingInterface, closeSerialPort, openSerialPort, writeSerial } from '../printer/serial-port.ts';
import { type ScannerEvents, scanEvent } from './index.ts';

export const serialScannerConfigSchema = z
  .object({
    id: z.string().min(1),
    model: z.string().min(1).default('serial barcode scanner'),
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(9600),
    suffix: z.enum(['CR', 'LF', 'CRLF', 'TAB']).default('CR'),
    /** The scanner is set to send AIM identifiers before the data. */
    aimPrefix: z.boolean().default(false),
    /** A configured prefix in front of every scan; lines without it are ignored. */
    prefix: z.string().optional(),
    maxLineBytes: z.number().int().positive().default(4096),
    /**
     * Bytes that make the scanner read (serial "trigger" command), e.g. "\u0016T\r" on Honeywell
     * scanners in serial mode. Without it `trigger()` is refused: most kiosk scanners run presentation mode.
     */
    triggerCommand: z.string().min(1).optional(),
  })
  .strict();

export type SerialScannerConfig = z.output<typeof serialScannerConfigSchema>;
export type SerialScannerConfigInput = z.input<typeof serialScannerConfigSchema>;

export interface SerialScannerDeps {
  /** serialport binding; default native (a simulator's `line.binding` in tests). */
  binding?: BindingInterface;
  clock?: DriverClock;
}

export class SerialScanner extends Device<ScannerEvents> {
  readonly config: SerialScannerConfig;
  readonly #binding: BindingInterface | undefined;
  readonly #parser: SerialScanParser;
  #port: SerialPortStream | null = null;

  constructor(config: SerialScannerConfigInput, deps: SerialScannerDeps = {}) {
    const parsed = serialScannerConfigSchema.parse(config);
    super(parsed.id, 'scanner', parsed.model, deps.clock);
    this.config = parsed;
    this.#binding = deps.binding;
    this.#parser = new SerialScanParser({
      suffix: parsed.suffix,
      aimPrefix: parsed.aimPrefix,
      maxLineBytes: parsed.maxLineBytes,
      ...(parsed.prefix !== undefined ? { prefix: parsed.prefix } : {}),
    });
  }

  async open(): Promise<void> {
    if (this.#port?.isOpen) return;
    this.setState('connecting', `opening ${this.config.path}`);
    let port: SerialPortStream;
    try {
      port = await openSerialPort({
        path: this.config.path,
        baudRate: this.config.baudRate,
        ...(this.#binding ? { binding: this.#binding } : {}),
      });
    } catch (err) {
      this.setState('offline', `cannot open ${this.config.path}`, err);
      throw new DeviceError('open_failed', `cannot open ${this.config.path}: ${(err as Error).message}`);
    }
    this.#port = port;
    this.#parser.reset();
    port.on('data', (chunk: Buffer) => {
      for (const event of this.#parser.feed(new Uint8Array(chunk))) {
        if (event.type === 'scan') this.emit('scan', scanEvent(event.scan, this.id, 'serial'));
      }
    });
    port.on('error', () => {});
    port.on('close', (err: Error | null) => {
      if (this.#port !== port) return;
      this.#port = null;
      this.setState('offline', err ? 'unplugged' : 'closed', err ?? undefined);
    });
    this.setState('ready', null);
  }

  /** Ask the scanner to read now (the configured trigger command). */
  async trigger(): Promise<void> {
    const command = this.config.triggerCommand;
    if (command === undefined) throw new DeviceError('not_configured', 'no trigger command is configured for this scanner');
    const port = this.#port;
    if (!port?.isOpen) throw new DeviceError('offline', 'the scanner is not connected');
    await writeSerial(port, Buffer.from(command, 'latin1'));
  }

  async close(): Promise<void> {
    const port = this.#port;
    this.#port = null;
    if (port) await closeSerialPort(port);
    this.setState('offline', 'closed');
  }
}

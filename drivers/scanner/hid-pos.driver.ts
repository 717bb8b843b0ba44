/**
 * USB HID POS barcode scanner (HID usage page 0x8C, usage 0x02), devices.md §3: the scanner sends
 * vendor input reports 0x02 (length, AIM identifier, up to 56 data bytes, vendor code id, a
 * "more reports follow" flag) instead of keystrokes, so scans are fast, independent of the keyboard
 * layout and carry their symbology. Long barcodes arrive as several reports; protocols/hid-pos
 * `HidPosScanAssembler` puts them back together.
 *
 * The device is reached through a `HidTransport` (node-hid by default, a simulator in tests).
 * An unplugged scanner reports an error on the transport: the driver goes offline "unplugged" and
 * reopening is the daemon's job.
 */
import { z } from 'zod';
import { HID_POS_USAGE_PAGE, HidPosScanAssembler } from '../../protocols/hid-pos/index.ts';
import { Device, DeviceError, type DriverClock } from '../device.ts';
import { type HidTransport, type HidTransportFactory, nodeHidTransport } from './hid-transport.ts';
import { type ScannerEvents, scanEvent } from './index.ts';

export const hidPosScannerConfigSchema = z
  .object({
    id: z.string().min(1),
    model: z.string().min(1).default('HID POS barcode scanner'),
    /** Which HID device: a hidraw path, or vendor/product ids (usage page 0x8C by default). */
    device: z
      .object({
        path: z.string().min(1).optional(),
        vendorId: z.number().int().min(0).max(0xffff).optional(),
        productId: z.number().int().min(0).max(0xffff).optional(),
        usagePage: z.number().int().min(0).max(0xffff).default(HID_POS_USAGE_PAGE),
      })
      .strict()
      .prefault({}),
    /** Longest scan kept (protects against a stuck more-flag). */
    maxScanBytes: z.number().int().positive().default(8192),
  })
  .strict();

export type HidPosScannerConfig = z.output<typeof hidPosScannerConfigSchema>;
export type HidPosScannerConfigInput = z.input<typeof hidPosScannerConfigSchema>;

export interface HidPosScannerDeps {
  /** Default: node-hid with `config.device` as the selector. */
  transport?: HidTransportFactory;
  clock?: DriverClock;
}

export class HidPosScanner extends Device<ScannerEvents> {
  readonly config: HidPosScannerConfig;
  readonly #factory: HidTransportFactory;
  readonly #assembler: HidPosScanAssembler;
  #transport: HidTransport | null = null;

  constructor(config: HidPosScannerConfigInput, deps: HidPosScannerDeps = {}) {
    const parsed = hidPosScannerConfigSchema.parse(config);
    super(parsed.id, 'scanner', parsed.model, deps.clock);
    this.config = parsed;
    const { path, vendorId, productId, usagePage } = parsed.device;
    this.#factory =
      deps.transport ??
      nodeHidTransport(path !== undefined ? { path } : { usagePage, ...(vendorId !== undefined ? { vendorId } : {}), ...(productId !== undefined ? { productId } : {}) });
    this.#assembler = new HidPosScanAssembler({ maxScanBytes: parsed.maxScanBytes });
  }

  async open(): Promise<void> {
    if (this.#transport) return;
    this.setState('connecting', 'opening HID device');
    let transport: HidTransport;
    try {
      transport = await this.#factory();
    } catch (err) {
      this.setState('offline', 'cannot open HID device', err);
      throw new DeviceError('open_failed', `cannot open the HID POS scanner: ${(err as Error).message}`);
    }
    this.#transport = transport;
    this.#assembler.reset();
    transport.on('data', (report) => this.#onReport(report));
    transport.on('error', (err) => {
      if (this.#transport !== transport) return;
      this.#transport = null;
      this.#assembler.reset();
      this.setState('offline', 'unplugged', err);
      void transport.close().catch(() => {});
    });
    this.setState('ready', null);
  }

  async close(): Promise<void> {
    const transport = this.#transport;
    this.#transport = null;
    if (transport) await transport.close().catch(() => {});
    this.setState('offline', 'closed');
  }

  #onReport(report: Uint8Array): void {
    const event = this.#assembler.push(report);
    if (event.type === 'scan') this.emit('scan', scanEvent(event.scan, this.id, 'hid-pos', event.truncated === true));
  }
}

/**
 * The seam between HID drivers and node-hid (devices.md §6.2.3): node-hid has no mock, so drivers talk
 * to this interface, the real implementation wraps `HIDAsync`, and simulators implement it in memory
 * (HID POS scanner reports, Wacom STU pen and feature reports). Used by the HID POS scanner and the
 * Wacom STU signature tablet drivers.
 *
 * Report buffers include the report ID in byte 0, as node-hid gives them for numbered reports.
 */
import { TypedEmitter } from '../device.ts';

export interface HidTransportEvents {
  /** An input report (byte 0 = report ID). */
  data: [Uint8Array];
  /** The device failed or was unplugged; the transport is unusable afterwards. */
  error: [Error];
}

export interface HidTransport {
  on<K extends keyof HidTransportEvents>(event: K, listener: (...args: HidTransportEvents[K]) => void): unknown;
  off<K extends keyof HidTransportEvents>(event: K, listener: (...args: HidTransportEvents[K]) => void): unknown;
  /** Output report, byte 0 = report ID. */
  write(report: Uint8Array): Promise<void>;
  /** Feature report, byte 0 = report ID. */
  sendFeatureReport(report: Uint8Array): Promise<void>;
  /** Feature report `reportId`; the reply has the report ID in byte 0. */
  getFeatureReport(reportId: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens the device; called by a driver's `open()` (and again after an unplug). */
export type HidTransportFactory = () => Promise<HidTransport>;

export interface HidDeviceSelector {
  /** hidraw path from node-hid's device list; wins over the other fields. */
  path?: string;
  vendorId?: number;
  productId?: number;
  /** HID usage page, e.g. 0x8C for HID POS barcode scanners (devices.md §3). */
  usagePage?: number;
  usage?: number;
  serialNumber?: string;
}

interface NodeHidDevice {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  serialNumber?: string | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
}

interface NodeHidAsync {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  write(values: number[] | Buffer): Promise<number>;
  sendFeatureReport(data: number[] | Buffer): Promise<number>;
  getFeatureReport(reportId: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

interface NodeHidModule {
  devicesAsync(): Promise<NodeHidDevice[]>;
  HIDAsync: { open(path: string, options?: { nonExclusive?: boolean }): Promise<NodeHidAsync> };
}

class NodeHidTransport extends TypedEmitter<HidTransportEvents> implements HidTransport {
  #closed = false;
  constructor(private readonly device: NodeHidAsync) {
    super();
    device.on('data', (data) => this.emit('data', new Uint8Array(data)));
    device.on('error', (err) => {
      if (!this.#closed) this.emit('error', err);
    });
  }

  async write(report: Uint8Array): Promise<void> {
    await this.device.write(Buffer.from(report));
  }

  async sendFeatureReport(report: Uint8Array): Promise<void> {
    await this.device.sendFeatureReport(Buffer.from(report));
  }

  async getFeatureReport(reportId: number, length: number): Promise<Uint8Array> {
    return new Uint8Array(await this.device.getFeatureReport(reportId, length));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.device.close();
  }
}

/** Does a node-hid device list entry match the selector? */
export function matchesHidSelector(device: NodeHidDevice, selector: HidDeviceSelector): boolean {
  if (selector.path !== undefined) return device.path === selector.path;
  return (
    (selector.vendorId === undefined || device.vendorId === selector.vendorId) &&
    (selector.productId === undefined || device.productId === selector.productId) &&
    (selector.usagePage === undefined || device.usagePage === selector.usagePage) &&
    (selector.usage === undefined || device.usage === selector.usage) &&
    (selector.serialNumber === undefined || device.serialNumber === selector.serialNumber)
  );
}

/**
 * The real transport: finds the device in node-hid's list and opens it with `HIDAsync`. node-hid is
 * loaded on first use (it is a native addon needing libusb and libudev, devices.md §6.3).
 */
export function nodeHidTransport(selector: HidDeviceSelector): HidTransportFactory {
  return async () => {
    const hid = (await import('node-hid')) as unknown as NodeHidModule;
    let path = selector.path;
    if (path === undefined) {
      const found = (await hid.devicesAsync()).find((d) => d.path !== undefined && matchesHidSelector(d, selector));
      if (!found?.path) throw new Error(`no HID device matches ${JSON.stringify(selector)}`);
      path = found.path;
    }
    return new NodeHidTransport(await hid.HIDAsync.open(path));
  };
}

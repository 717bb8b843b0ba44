/**
 * The device end of a simulated serial line, built on `@serialport/binding-mock` (devices.md §6.2.1).
 * The mock has no "on write" hook, so its port is wrapped: bytes the host writes reach the simulated
 * device's handler, and the device answers with `send()` (the mock's `emitData`). The wrapper also
 * pulls the plug: a pending read then fails with a non-canceled error, which node-serialport treats as
 * a disconnect (`close` with `err.disconnected`), and opening fails until the line is plugged back in.
 *
 * Each line needs its own path: the mock keeps ports in one process-wide table.
 */
import { createRequire } from 'node:module';
import type { BindingInterface, SerialBindingPort, SerialOpenOptions, SerialPortInfo } from './serial-port.ts';

/** The parts of @serialport/binding-mock used here (its types are not visible to TypeScript, see serial-port.ts). */
interface MockPortBinding extends SerialBindingPort {
  emitData(data: Buffer | string): void;
}
interface MockBindingModule {
  MockBinding: {
    createPort(path: string, options?: { echo?: boolean; record?: boolean; maxReadSize?: number }): void;
    open(options: SerialOpenOptions): Promise<MockPortBinding>;
  };
}
const { MockBinding } = createRequire(import.meta.url)('@serialport/binding-mock') as MockBindingModule;

export type HostDataHandler = (bytes: Uint8Array) => void;

export class SimulatedSerialLine {
  readonly path: string;
  readonly binding: BindingInterface;
  #plugged = true;
  #port: SimulatedPort | null = null;
  #handler: HostDataHandler;
  /** Everything the host wrote since the line was made, for byte-level assertions. */
  #written: Uint8Array[] = [];

  constructor(path: string, onHostData: HostDataHandler = () => {}) {
    this.path = path;
    this.#handler = onHostData;
    const line = this;
    this.binding = {
      async list(): Promise<SerialPortInfo[]> {
        return line.#plugged
          ? [{ path, manufacturer: 'Simulator', serialNumber: undefined, pnpId: undefined, locationId: undefined, productId: undefined, vendorId: undefined }]
          : [];
      },
      async open(options: SerialOpenOptions): Promise<SerialBindingPort> {
        if (options.path !== path || !line.#plugged) {
          throw Object.assign(new Error(`Error: No such file or directory, cannot open ${options.path}`), { code: 'ENOENT' });
        }
        // A fresh mock port per open: no stale bytes from before an unplug.
        MockBinding.createPort(path, { echo: false, record: false });
        const inner = await MockBinding.open({ ...options, lock: false });
        const port = new SimulatedPort(inner, line);
        line.#port = port;
        return port;
      },
    };
  }

  set onHostData(handler: HostDataHandler) {
    this.#handler = handler;
  }

  /** The host has the port open. */
  get isOpen(): boolean {
    return this.#port?.isOpen ?? false;
  }

  get plugged(): boolean {
    return this.#plugged;
  }

  get written(): Uint8Array {
    return Buffer.concat(this.#written);
  }

  clearWritten(): void {
    this.#written = [];
  }

  /** Device → host. Dropped when the host has no open port (as on a real line). */
  send(bytes: Uint8Array | string): void {
    const port = this.#port;
    if (!port?.isOpen || !this.#plugged) return;
    port.inner.emitData(Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes));
  }

  /** Pull the cable: the host sees a disconnect, reopening fails until `replug()`. */
  unplug(): void {
    this.#plugged = false;
    this.#port?.disconnect();
  }

  replug(): void {
    this.#plugged = true;
  }

  /** @internal from the port wrapper. */
  hostWrote(bytes: Uint8Array): void {
    this.#written.push(bytes);
    this.#handler(bytes);
  }

  /** @internal */
  portClosed(port: SimulatedPort): void {
    if (this.#port === port) this.#port = null;
  }
}

class SimulatedPort implements SerialBindingPort {
  readonly inner: MockPortBinding;
  readonly #line: SimulatedSerialLine;
  #unplugged: Promise<never>;
  #pull: (err: Error) => void = () => {};

  constructor(inner: MockPortBinding, line: SimulatedSerialLine) {
    this.inner = inner;
    this.#line = line;
    this.#unplugged = new Promise<never>((_, reject) => {
      this.#pull = reject;
    });
    // Nobody may be reading when the plug is pulled; avoid an unhandled rejection.
    this.#unplugged.catch(() => {});
  }

  get openOptions(): Required<SerialOpenOptions> {
    return this.inner.openOptions;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  disconnect(): void {
    this.#pull(Object.assign(new Error('device disconnected'), { code: 'EIO' }));
  }

  async close(): Promise<void> {
    this.#line.portClosed(this);
    if (this.inner.isOpen) await this.inner.close();
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.#line.plugged) return Promise.reject(Object.assign(new Error('device disconnected'), { code: 'EIO' }));
    return Promise.race([this.inner.read(buffer, offset, length), this.#unplugged]);
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.#line.plugged) throw Object.assign(new Error('device disconnected'), { code: 'EIO' });
    await this.inner.write(buffer);
    const copy = Uint8Array.from(buffer);
    // The device handles the bytes after the write resolved, as a real device would.
    setImmediate(() => {
      if (this.#line.plugged) this.#line.hostWrote(copy);
    });
  }

  update(options: { baudRate: number }): Promise<void> {
    return this.inner.update(options);
  }

  set(options: Parameters<SerialBindingPort['set']>[0]): Promise<void> {
    return this.inner.set(options);
  }

  get(): Promise<{ cts: boolean; dsr: boolean; dcd: boolean }> {
    return this.inner.get();
  }

  getBaudRate(): Promise<{ baudRate: number }> {
    return this.inner.getBaudRate();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  drain(): Promise<void> {
    return this.inner.drain();
  }
}

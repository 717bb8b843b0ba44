/**
 * Byte transports to an ESC/POS printer (devices.md §4.2 "Transports"): a serial port, a USB
 * printer-class device file (`/dev/usb/lp0`, bidirectional on Linux's usblp) and raw TCP (port 9100).
 * Each gives the driver the same things: open, write (resolves when the bytes are handed over), a
 * `data` event for the back channel (DLE EOT replies) and a `close` event with the error when the
 * printer went away.
 */
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { SerialPortStream } from '@serialport/stream';
import { TypedEmitter } from '../device.ts';
import { type SerialLinkOptions, closeSerialPort, openSerialPort, writeSerial } from './serial-port.ts';

export interface PrinterTransportEvents {
  data: [Uint8Array];
  /** The link closed by itself (unplugged, connection reset); null when `close()` was called. */
  close: [Error | null];
}

export interface PrinterTransport extends TypedEmitter<PrinterTransportEvents> {
  /** "serial /dev/ttyUSB0", "tcp 192.0.2.7:9100", "file /dev/usb/lp0" — for logs and the admin page. */
  readonly description: string;
  readonly isOpen: boolean;
  /** The printer can answer (status queries are possible). */
  readonly bidirectional: boolean;
  open(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export class SerialPrinterTransport extends TypedEmitter<PrinterTransportEvents> implements PrinterTransport {
  readonly bidirectional = true;
  #port: SerialPortStream | null = null;

  constructor(private readonly options: SerialLinkOptions) {
    super();
  }

  get description(): string {
    return `serial ${this.options.path}`;
  }

  get isOpen(): boolean {
    return this.#port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const port = await openSerialPort(this.options);
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.emit('data', new Uint8Array(chunk)));
    port.on('error', () => {
      // Errors also arrive as a failed write or a 'close' with the disconnect error.
    });
    port.on('close', (err: Error | null) => {
      if (this.#port !== port) return;
      this.#port = null;
      this.emit('close', err ?? null);
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    const port = this.#port;
    if (!port?.isOpen) throw new Error('serial port is not open');
    await writeSerial(port, bytes);
  }

  async close(): Promise<void> {
    const port = this.#port;
    this.#port = null;
    if (port) await closeSerialPort(port);
  }
}

export interface TcpTransportOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
}

export class TcpPrinterTransport extends TypedEmitter<PrinterTransportEvents> implements PrinterTransport {
  readonly bidirectional = true;
  #socket: Socket | null = null;

  constructor(private readonly options: TcpTransportOptions) {
    super();
  }

  get description(): string {
    return `tcp ${this.options.host}:${this.options.port}`;
  }

  get isOpen(): boolean {
    return this.#socket !== null && !this.#socket.destroyed;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const socket = new Socket();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${this.description} timed out`));
      }, this.options.connectTimeoutMs ?? 3000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.connect(this.options.port, this.options.host, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    socket.setNoDelay(true);
    // Printers drop idle connections silently; keep-alive notices a dead peer.
    socket.setKeepAlive(true, 10_000);
    this.#socket = socket;
    let failure: Error | null = null;
    socket.on('data', (chunk: Buffer) => this.emit('data', new Uint8Array(chunk)));
    socket.on('error', (err) => {
      failure = err;
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.emit('close', failure ?? new Error('connection closed by the printer'));
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.destroyed) throw new Error('not connected');
    await new Promise<void>((resolve, reject) => socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 200).unref();
    });
  }
}

export interface DeviceFileTransportOptions {
  /** E.g. /dev/usb/lp0 (Linux usblp). */
  path: string;
  /** How often the back channel is read, ms. Default 20. */
  pollIntervalMs?: number;
}

/**
 * A printer-class device file. It is opened non-blocking: a blocking read on usblp would hold a libuv
 * thread until the printer says something, and `close()` could not interrupt it. So the back channel
 * is polled (EAGAIN = nothing yet), and a write that finds the printer busy (EAGAIN) is retried.
 * EIO/ENODEV means the printer went away. A file that cannot be opened for reading (or a plain file)
 * works write-only: then status queries are impossible (`bidirectional` false).
 */
export class DeviceFilePrinterTransport extends TypedEmitter<PrinterTransportEvents> implements PrinterTransport {
  #handle: FileHandle | null = null;
  #bidirectional = false;
  #timer: NodeJS.Timeout | null = null;
  #reading = false;

  constructor(private readonly options: DeviceFileTransportOptions) {
    super();
  }

  get description(): string {
    return `file ${this.options.path}`;
  }

  get isOpen(): boolean {
    return this.#handle !== null;
  }

  get bidirectional(): boolean {
    return this.#bidirectional;
  }

  async open(): Promise<void> {
    if (this.#handle) return;
    const { O_RDWR, O_WRONLY, O_NONBLOCK, O_NOCTTY } = fsConstants;
    try {
      this.#handle = await fsp.open(this.options.path, O_RDWR | O_NONBLOCK | O_NOCTTY);
      const stat = await this.#handle.stat();
      this.#bidirectional = stat.isCharacterDevice();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      this.#handle = await fsp.open(this.options.path, O_WRONLY | O_NONBLOCK | O_NOCTTY);
      this.#bidirectional = false;
    }
    if (this.#bidirectional) this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#poll(), this.options.pollIntervalMs ?? 20);
  }

  async #poll(): Promise<void> {
    const handle = this.#handle;
    if (!handle) return;
    this.#reading = true;
    try {
      const buffer = Buffer.alloc(256);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        this.emit('data', Uint8Array.from(buffer.subarray(0, bytesRead)));
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
        this.#reading = false;
        await this.#lost(err as Error);
        return;
      }
    }
    this.#reading = false;
    if (this.#handle === handle) this.#schedule();
  }

  async #lost(err: Error): Promise<void> {
    const handle = this.#handle;
    if (!handle) return;
    this.#handle = null;
    if (this.#timer) clearTimeout(this.#timer);
    await handle.close().catch(() => {});
    this.emit('close', err);
  }

  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    let busyMs = 0;
    while (at < bytes.length) {
      const handle = this.#handle;
      if (!handle) throw new Error('device file is not open');
      try {
        const { bytesWritten } = await handle.write(bytes, at, bytes.length - at, null);
        at += bytesWritten;
        busyMs = 0;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
          await this.#lost(err as Error);
          throw err;
        }
        // The printer's buffer is full (paper feeding); give it time, but not forever.
        busyMs += 10;
        if (busyMs > 30_000) throw new Error('printer did not accept data for 30 s');
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // Let a read in flight finish before closing the descriptor under it.
    while (this.#reading) await new Promise((r) => setTimeout(r, 1));
    if (handle) await handle.close().catch(() => {});
  }
}

export type PrinterTransportConfig =
  | ({ kind: 'serial' } & Omit<SerialLinkOptions, 'binding'>)
  | ({ kind: 'tcp' } & TcpTransportOptions)
  | ({ kind: 'device-file' } & DeviceFileTransportOptions);

export function createPrinterTransport(config: PrinterTransportConfig, deps: { binding?: SerialLinkOptions['binding'] } = {}): PrinterTransport {
  switch (config.kind) {
    case 'serial': {
      const { kind: _kind, ...serial } = config;
      return new SerialPrinterTransport({ ...serial, ...(deps.binding ? { binding: deps.binding } : {}) });
    }
    case 'tcp':
      return new TcpPrinterTransport(config);
    case 'device-file':
      return new DeviceFilePrinterTransport(config);
  }
}

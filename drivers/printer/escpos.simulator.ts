/**
 * A simulated ESC/POS receipt printer with a cash drawer (devices.md §4.4 recommendation, §6.2.4):
 * it takes the byte stream the driver writes — over a simulated serial line (binding-mock), a TCP
 * server on 127.0.0.1 (port 9100 on a real printer, an ephemeral port here) or the far end of a PTY
 * pair (socat) — decodes it with the project's EscPosDecoder, keeps each cut receipt as text and SVG,
 * answers `DLE EOT n` from its condition, and records drawer kicks (`ESC p`).
 *
 * Behaviour (simplified from a real printer):
 *  - with the paper out or the cover open nothing prints: the lines are discarded (counted);
 *  - `paperRemaining(lines)` lets the roll run out in the middle of a receipt;
 *  - a kick opens the drawer; only a person closes it (`closeDrawer()`, from the panel or a test);
 *  - the drawer sensor is reported on `DLE EOT 1` bit 2 according to `drawerWiring`;
 *  - unplugged: serial reads fail (a disconnect), TCP connections are reset and refused, nothing answers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { SerialPortStream } from '@serialport/stream';
import {
  type CodePageTableName,
  type DecodedCommand,
  type DocumentBlock,
  EscPosDecoder,
  encodeStatusByte,
  type PrinterCondition,
  renderSvg,
  renderText,
  type StatusFunction,
} from '../../protocols/escpos/index.ts';
import { TypedEmitter } from '../device.ts';
import { closeSerialPort, nativeSerialBinding, openSerialPort } from './serial-port.ts';
import { SimulatedSerialLine } from './simulated-serial.ts';

export interface PrintedReceipt {
  /** 1-based, in print order. */
  index: number;
  /** Plain text as renderText gives it (markers for barcodes, QR, cut). */
  text: string;
  svg: string;
  blocks: DocumentBlock[];
}

export interface SimulatedKick {
  pin: 2 | 5;
  onMs: number;
  offMs: number;
}

export interface PrinterSimulatorState {
  plugged: boolean;
  paperEnd: boolean;
  paperNearEnd: boolean;
  coverOpen: boolean;
  drawerOpen: boolean;
  /** Lines left on the roll, or null for "plenty". */
  paperRemainingLines: number | null;
  receipts: number;
  kicks: number;
  /** Printed lines that were lost because there was no paper or the cover was open. */
  discardedBlocks: number;
}

export interface PrinterSimulatorEvents {
  printed: [PrintedReceipt];
  kicked: [SimulatedKick];
  changed: [PrinterSimulatorState];
  /** Every decoded command, for byte-level assertions. */
  command: [DecodedCommand];
}

export interface EscPosPrinterSimulatorOptions {
  codePageTable?: CodePageTableName;
  /** Columns for the text/SVG renderings. Default 42. */
  columns?: number;
  /** Which pin-3 level the drawer switch gives when the drawer is open. Default 'pin3-high'. */
  drawerWiring?: 'pin3-high' | 'pin3-low';
}

type Reply = (bytes: Uint8Array) => void;

export class EscPosPrinterSimulator extends TypedEmitter<PrinterSimulatorEvents> {
  readonly #options: Required<EscPosPrinterSimulatorOptions>;
  #decoder: EscPosDecoder;
  #reply: Reply | null = null;
  #paperEnd = false;
  #paperNearEnd = false;
  #coverOpen = false;
  #drawerOpen = false;
  #plugged = true;
  #paperRemaining: number | null = null;
  #discarded = 0;
  #current: DocumentBlock[] = [];
  readonly #receipts: PrintedReceipt[] = [];
  readonly #kicks: SimulatedKick[] = [];
  readonly #commands: DecodedCommand[] = [];
  readonly #lines: SimulatedSerialLine[] = [];
  #server: Server | null = null;
  #serverAddress: { host: string; port: number } | null = null;
  readonly #sockets = new Set<Socket>();
  #pty: SerialPortStream | null = null;
  #ptyPath: string | null = null;

  constructor(options: EscPosPrinterSimulatorOptions = {}) {
    super();
    this.#options = {
      codePageTable: options.codePageTable ?? 'epson',
      columns: options.columns ?? 42,
      drawerWiring: options.drawerWiring ?? 'pin3-high',
    };
    this.#decoder = this.#newDecoder();
  }

  #newDecoder(): EscPosDecoder {
    return new EscPosDecoder({ codePageTable: this.#options.codePageTable, onCommand: (c) => this.#onCommand(c) });
  }

  // ---------------------------------------------------------------------------------------------
  // Links

  /** A simulated serial port at `path`; pass `line.binding` to the driver. */
  serialLine(path = '/dev/sim-escpos'): SimulatedSerialLine {
    const line = new SimulatedSerialLine(path, (bytes) => this.receive(bytes, (reply) => line.send(reply)));
    if (!this.#plugged) line.unplug();
    this.#lines.push(line);
    return line;
  }

  /** Listen like a network printer; port 0 picks a free port. */
  async listenTcp(port = 0, host = '127.0.0.1'): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => {
      if (!this.#plugged) {
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.on('data', (chunk: Buffer) => this.receive(new Uint8Array(chunk), (reply) => socket.write(reply)));
      socket.on('error', () => {});
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no TCP address');
    this.#server = server;
    this.#serverAddress = { host, port: address.port };
    return { ...this.#serverAddress };
  }

  /** Take the far end of a PTY pair (socat), so a driver can open the other end as a device file or serial port. */
  async attachToPort(path: string): Promise<void> {
    this.#ptyPath = path;
    const port = await openSerialPort({ path, baudRate: 19200, binding: await nativeSerialBinding() });
    this.#pty = port;
    port.on('data', (chunk: Buffer) => {
      if (this.#plugged) this.receive(new Uint8Array(chunk), (reply) => port.write(Buffer.from(reply)));
    });
    port.on('error', () => {});
  }

  /** Close every link. */
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    const pty = this.#pty;
    this.#pty = null;
    if (pty) await closeSerialPort(pty);
  }

  // ---------------------------------------------------------------------------------------------
  // The print engine

  /** Bytes from the host; `reply` sends bytes back on the same link. */
  receive(bytes: Uint8Array, reply: Reply): void {
    if (!this.#plugged) return;
    this.#reply = reply;
    try {
      this.#decoder.feed(bytes);
      this.#consumeBlocks();
    } finally {
      this.#reply = null;
    }
  }

  #onCommand(command: DecodedCommand): void {
    // Lines completed before this command have been printed (or lost) by now: status replies must
    // reflect paper used by them.
    this.#consumeBlocks();
    this.#commands.push(command);
    this.emit('command', command);
    if (command.type === 'statusRequest' && command.request.kind === 'DLE EOT') {
      const n = command.request.n;
      if (n >= 1 && n <= 4) this.#reply?.(Uint8Array.of(encodeStatusByte(n as StatusFunction, this.#condition())));
    } else if (command.type === 'pulse') {
      const kick: SimulatedKick = { pin: command.pin, onMs: command.onMs, offMs: command.offMs };
      this.#kicks.push(kick);
      this.#drawerOpen = true;
      this.emit('kicked', kick);
      this.#changed();
    }
  }

  #condition(): Partial<PrinterCondition> {
    const high = this.#options.drawerWiring === 'pin3-high';
    return {
      paperEnd: this.#paperEnd,
      paperNearEnd: this.#paperNearEnd,
      coverOpen: this.#coverOpen,
      drawerPin3High: this.#drawerOpen === high,
    };
  }

  #consumeBlocks(): void {
    let changed = false;
    for (const block of this.#decoder.takeBlocks()) {
      if (block.type === 'pulse') continue;
      if (block.type === 'cut') {
        if (this.#current.length > 0) {
          const blocks = [...this.#current, block];
          this.#current = [];
          const receipt: PrintedReceipt = {
            index: this.#receipts.length + 1,
            text: renderText(blocks, { columns: this.#options.columns }),
            svg: renderSvg(blocks, { columns: this.#options.columns }),
            blocks,
          };
          this.#receipts.push(receipt);
          this.emit('printed', receipt);
          changed = true;
        }
        continue;
      }
      if (this.#paperEnd || this.#coverOpen) {
        this.#discarded++;
        changed = true;
        continue;
      }
      this.#current.push(block);
      if (this.#paperRemaining !== null) {
        this.#paperRemaining = Math.max(0, this.#paperRemaining - 1);
        if (this.#paperRemaining <= 3) this.#paperNearEnd = true;
        if (this.#paperRemaining === 0) this.#paperEnd = true;
        changed = true;
      }
    }
    if (changed) this.#changed();
  }

  #changed(): void {
    this.emit('changed', this.state());
  }

  // ---------------------------------------------------------------------------------------------
  // Controls (simulator panel and tests)

  state(): PrinterSimulatorState {
    return {
      plugged: this.#plugged,
      paperEnd: this.#paperEnd,
      paperNearEnd: this.#paperNearEnd,
      coverOpen: this.#coverOpen,
      drawerOpen: this.#drawerOpen,
      paperRemainingLines: this.#paperRemaining,
      receipts: this.#receipts.length,
      kicks: this.#kicks.length,
      discardedBlocks: this.#discarded,
    };
  }

  /** The roll is empty. */
  paperOut(): void {
    this.#paperEnd = true;
    this.#paperNearEnd = true;
    this.#paperRemaining = 0;
    this.#changed();
  }

  /** A new roll: paper end and near end clear. */
  loadPaper(lines: number | null = null): void {
    this.#paperEnd = false;
    this.#paperNearEnd = false;
    this.#paperRemaining = lines;
    this.#changed();
  }

  /** The near-end sensor (or clear it). */
  paperNearEnd(on = true): void {
    this.#paperNearEnd = on;
    this.#changed();
  }

  /** The roll runs out after this many printed lines (barcodes, QR codes count as one). */
  paperRemaining(lines: number): void {
    this.#paperRemaining = lines;
    this.#paperEnd = lines <= 0;
    this.#paperNearEnd = lines <= 3;
    this.#changed();
  }

  openCover(): void {
    this.#coverOpen = true;
    this.#changed();
  }

  closeCover(): void {
    this.#coverOpen = false;
    this.#changed();
  }

  /** A person pushes the drawer shut. */
  closeDrawer(): void {
    this.#drawerOpen = false;
    this.#changed();
  }

  /** Cable out / power off. */
  unplug(): void {
    this.#plugged = false;
    for (const line of this.#lines) line.unplug();
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = null;
    server?.close();
    // A half-received command is lost with the power.
    this.#decoder = this.#newDecoder();
    this.#current = [];
    this.#changed();
  }

  async replug(): Promise<void> {
    this.#plugged = true;
    for (const line of this.#lines) line.replug();
    if (this.#serverAddress && !this.#server) await this.listenTcp(this.#serverAddress.port, this.#serverAddress.host);
    this.#changed();
  }

  /** Receipts cut so far. */
  receipts(): PrintedReceipt[] {
    return [...this.#receipts];
  }

  /** Text printed since the last cut (a receipt still hanging out of the printer). */
  uncut(): string {
    return renderText(this.#current, { columns: this.#options.columns });
  }

  kicks(): SimulatedKick[] {
    return [...this.#kicks];
  }

  commands(): DecodedCommand[] {
    return [...this.#commands];
  }

  get tcpAddress(): { host: string; port: number } | null {
    return this.#serverAddress ? { ...this.#serverAddress } : null;
  }

  get ptyPath(): string | null {
    return this.#ptyPath;
  }
}

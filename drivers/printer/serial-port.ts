/**
 * Opening a serial port with an injectable binding (node-serialport's own pattern: the binding is an
 * option). Drivers get the native binding (`serialport`'s auto-detected bindings-cpp) by default;
 * tests and the demo pass a simulator's binding (./simulated-serial.ts), so the same driver code runs
 * against the simulated device. Shared by the printer and the serial scanner drivers.
 */
import { SerialPortStream } from '@serialport/stream';

/*
 * Structural copies of the @serialport/bindings-interface types. That package (and binding-mock) has
 * an `exports` map without a `types` condition, so TypeScript's bundler resolution cannot see its
 * declarations; these mirror the interface node-serialport documents (bindings-interface 1.x).
 */
export interface SerialOpenOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  lock?: boolean;
  stopBits?: 1 | 1.5 | 2;
  parity?: string;
  rtscts?: boolean;
  xon?: boolean;
  xoff?: boolean;
  xany?: boolean;
  hupcl?: boolean;
}

export interface SerialPortInfo {
  path: string;
  manufacturer: string | undefined;
  serialNumber: string | undefined;
  pnpId: string | undefined;
  locationId: string | undefined;
  productId: string | undefined;
  vendorId: string | undefined;
}

export interface SerialBindingPort {
  readonly openOptions: Required<SerialOpenOptions>;
  isOpen: boolean;
  close(): Promise<void>;
  /** In-progress reads fail with `canceled: true` on close; any other error is a disconnect. */
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
  write(buffer: Buffer): Promise<void>;
  update(options: { baudRate: number }): Promise<void>;
  set(options: { brk?: boolean; cts?: boolean; dsr?: boolean; dtr?: boolean; rts?: boolean; lowLatency?: boolean }): Promise<void>;
  get(): Promise<{ cts: boolean; dsr: boolean; dcd: boolean }>;
  getBaudRate(): Promise<{ baudRate: number }>;
  flush(): Promise<void>;
  drain(): Promise<void>;
}

export interface BindingInterface {
  list(): Promise<SerialPortInfo[]>;
  open(options: SerialOpenOptions): Promise<SerialBindingPort>;
}

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** Hardware flow control (RTS/CTS); printers with small buffers need it at high baud rates. */
  rtscts?: boolean;
  /** Default: the native binding of the `serialport` package. */
  binding?: BindingInterface;
}

/** The native binding, loaded only when a real port is opened (it is a compiled addon). */
export async function nativeSerialBinding(): Promise<BindingInterface> {
  const { SerialPort } = await import('serialport');
  return SerialPort.binding as BindingInterface;
}

/** Open a port; rejects with the binding's error (e.g. ENOENT when the device is unplugged). */
export async function openSerialPort(options: SerialLinkOptions): Promise<SerialPortStream> {
  const binding = options.binding ?? (await nativeSerialBinding());
  const port = new SerialPortStream({
    binding,
    path: options.path,
    baudRate: options.baudRate,
    dataBits: options.dataBits ?? 8,
    parity: options.parity ?? 'none',
    stopBits: options.stopBits ?? 1,
    rtscts: options.rtscts ?? false,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

/** Write and wait until the binding has taken the bytes (and the OS has drained them). */
export async function writeSerial(port: SerialPortStream, bytes: Uint8Array): Promise<void> {
  await new Promise<void>((resolve, reject) => port.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve())));
  await new Promise<void>((resolve, reject) => port.drain((err) => (err ? reject(err) : resolve())));
}

/** Close if open; never rejects (closing an already disconnected port is not an error for us). */
export async function closeSerialPort(port: SerialPortStream): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}

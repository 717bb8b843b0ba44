/**
 * Structural copies of the serialport binding types every serial driver and simulator uses (RFID
 * readers, printers, serial scanners).
 *
 * @serialport/bindings-interface and @serialport/binding-mock publish an `exports` map without a
 * `types` condition, so TypeScript's bundler resolution cannot see their declarations (their types
 * come out as `any` through @serialport/stream). These mirror bindings-interface 1.2 and
 * binding-mock 10.2 as node-serialport documents them; the runtime objects are the real ones.
 */
import { createRequire } from 'node:module';

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

/** An open port of a binding (bindings-interface `BindingPortInterface`). */
export interface SerialBindingPort {
  readonly openOptions: Required<SerialOpenOptions>;
  isOpen: boolean;
  close(): Promise<void>;
  /** Must reject with `canceled: true` when closed; any other rejection means "disconnected". */
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
  write(buffer: Buffer): Promise<void>;
  update(options: { baudRate: number }): Promise<void>;
  set(options: { brk?: boolean; cts?: boolean; dsr?: boolean; dtr?: boolean; rts?: boolean; lowLatency?: boolean }): Promise<void>;
  get(): Promise<{ cts: boolean; dsr: boolean; dcd: boolean }>;
  getBaudRate(): Promise<{ baudRate: number }>;
  flush(): Promise<void>;
  drain(): Promise<void>;
}

/** A serialport binding (bindings-interface `BindingInterface`), e.g. the native bindings-cpp. */
export interface SerialBinding {
  list(): Promise<SerialPortInfo[]>;
  open(options: SerialOpenOptions): Promise<SerialBindingPort>;
}

/** The bindings-interface name for the same thing. */
export type BindingInterface = SerialBinding;

/** binding-mock's port: records writes, lets the test side emit data. */
export interface MockPort extends SerialBindingPort {
  recording: Buffer;
  lastWrite: Buffer | null;
  emitData(data: Buffer | string): void;
}

export interface MockBindingApi extends SerialBinding {
  open(options: SerialOpenOptions): Promise<MockPort>;
  createPort(
    path: string,
    options?: { echo?: boolean; record?: boolean; readyData?: Buffer; maxReadSize?: number; manufacturer?: string; vendorId?: string; productId?: string },
  ): void;
  reset(): void;
}

const require = createRequire(import.meta.url);

/** The real MockBinding of @serialport/binding-mock (the CommonJS build, typed by the copies above). */
export function loadMockBinding(): MockBindingApi {
  return (require('@serialport/binding-mock') as { MockBinding: MockBindingApi }).MockBinding;
}

/** The native binding (`serialport`'s auto-detected @serialport/bindings-cpp), loaded on first use. */
export async function loadNativeBinding(): Promise<SerialBinding> {
  const { SerialPort } = await import('serialport');
  return SerialPort.binding as unknown as SerialBinding;
}

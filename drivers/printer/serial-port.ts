/**
 * Opening a serial port with an injectable binding (node-serialport's own pattern: the binding is an
 * option). Drivers get the native binding (`serialport`'s auto-detected bindings-cpp) by default;
 * tests and the demo pass a simulator's binding (./simulated-serial.ts), so the same driver code runs
 * against the simulated device. Shared by the printer and the serial scanner drivers.
 */
import { SerialPortStream } from '@serialport/stream';

import type { BindingInterface } from '../serial.ts';
export type { BindingInterface, SerialBindingPort, SerialOpenOptions, SerialPortInfo } from '../serial.ts';

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
export { loadNativeBinding as nativeSerialBinding } from '../serial.ts';
import { loadNativeBinding } from '../serial.ts';

/** Open a port; rejects with the binding's error (e.g. ENOENT when the device is unplugged). */
export async function openSerialPort(options: SerialLinkOptions): Promise<SerialPortStream> {
  const binding = options.binding ?? (await loadNativeBinding());
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

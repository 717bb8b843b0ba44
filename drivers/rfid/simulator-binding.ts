/**
 * A serialport binding that connects a driver to a simulated device in-process.
 *
 * Built on @serialport/binding-mock (devices.md §6.2, approach 1): the mock provides the port
 * object, its read queue and its `recording` of every byte written; this wrapper hooks the port's
 * write to hand the bytes to the simulator and feeds the simulator's answers back with `emitData`.
 * An unplugged simulator makes the port's pending read fail with a (non-cancel) error, which is
 * exactly what a vanished USB serial device does to the native binding: `SerialPortStream` then
 * closes itself and emits 'close' with a `DisconnectedError`. Opening fails while unplugged.
 *
 *   const pad = new RfidPad();
 *   const binding = simulatorBinding(new ThreeM810Simulator(pad));
 *   const reader = new ThreeM810Reader({ path: '/dev/sim-3m', binding });
 *
 * The mock keeps ports in a process-wide table by path, so each simulator needs its own path.
 */

import type { SimulatedSerialDevice } from './reader.simulator.ts';
import { loadMockBinding, type MockPort, type SerialBinding, type SerialOpenOptions } from '../serial.ts';

const MockBinding = loadMockBinding();

export interface SimulatorBinding extends SerialBinding {
  /** The mock port of the most recent open; its `recording` holds the bytes written since. */
  readonly port: MockPort | undefined;
  /** Every write the driver made, across reopens, in order. */
  readonly writes: Uint8Array[];
  /** Forgets `writes` (and the current port's recording). */
  clearWrites(): void;
}

export function simulatorBinding(device: SimulatedSerialDevice): SimulatorBinding {
  let latest: MockPort | undefined;
  const writes: Uint8Array[] = [];

  const binding: SimulatorBinding = {
    get port() {
      return latest;
    },
    writes,
    clearWrites() {
      writes.length = 0;
      if (latest) latest.recording = Buffer.alloc(0);
    },
    async list() {
      return MockBinding.list();
    },
    async open(options: SerialOpenOptions) {
      if (!device.plugged) {
        throw Object.assign(new Error(`Error: No such file or directory, cannot open ${options.path}`), { code: 'ENOENT' });
      }
      const known = await MockBinding.list();
      if (!known.some((p) => p.path === options.path)) MockBinding.createPort(options.path, { record: true });
      const port = await MockBinding.open(options);

      let fail: (err: Error) => void = () => {};
      const unplugged = new Promise<never>((_, reject) => {
        fail = reject;
      });
      unplugged.catch(() => {}); // only ever observed through a read or write
      let gone: Error | undefined;

      const link = device.connect({
        data(bytes) {
          if (port.isOpen) port.emitData(Buffer.from(bytes));
        },
        unplugged(reason) {
          gone = new Error(reason);
          fail(gone);
        },
      });

      const read = port.read.bind(port);
      const write = port.write.bind(port);
      const close = port.close.bind(port);
      port.read = (buffer, offset, length) => Promise.race([read(buffer, offset, length), unplugged]);
      port.write = async (buffer) => {
        if (gone) throw gone;
        await write(buffer);
        const copy = Uint8Array.from(buffer);
        writes.push(copy);
        link.write(copy);
      };
      port.close = async () => {
        link.close();
        await close();
      };
      latest = port;
      return port;
    },
  };
  return binding;
}

/** Wiring for the RFID driver tests: a pad, a reader simulator, the in-process binding, a driver. */
import { expect } from 'vitest';
import type { DeviceState, DeviceStatus } from '../../../drivers/device.ts';
import { DeviceError } from '../../../drivers/device.ts';
import { ThreeM810Reader } from '../../../drivers/rfid/3m810.driver.ts';
import { ThreeM810Simulator } from '../../../drivers/rfid/3m810.simulator.ts';
import { FeigIscReader } from '../../../drivers/rfid/feig-isc.driver.ts';
import { FeigIscSimulator } from '../../../drivers/rfid/feig-isc.simulator.ts';
import type { RfidEvents } from '../../../drivers/rfid/index.ts';
import { RfidPad, type RfidPadOptions } from '../../../drivers/rfid/pad.simulator.ts';
import type { ReaderSimulator } from '../../../drivers/rfid/reader.simulator.ts';
import type { SerialRfidOptions, SerialRfidReader } from '../../../drivers/rfid/serial-reader.ts';
import { simulatorBinding, type SimulatorBinding } from '../../../drivers/rfid/simulator-binding.ts';
import { bytesToHex } from '../../../protocols/crc/index.ts';

export type Family = '3m' | 'feig';

export interface Rig {
  family: Family;
  pad: RfidPad;
  sim: ReaderSimulator;
  binding: SimulatorBinding;
  reader: SerialRfidReader;
  /** Hex of every write the driver made since the last `clear()`. */
  sent(): string[];
  clear(): void;
}

let serial = 0;
const open: Rig[] = [];

export function rig(
  family: Family,
  options: { timeScale?: number; reader?: Partial<SerialRfidOptions>; pad?: RfidPadOptions } = {},
): Rig {
  const pad = new RfidPad(options.pad);
  const timeScale = options.timeScale ?? 0;
  const sim = family === '3m' ? new ThreeM810Simulator(pad, { timeScale }) : new FeigIscSimulator(pad, { timeScale });
  const binding = simulatorBinding(sim);
  const path = `/dev/rfid-test-${process.pid}-${++serial}`;
  const base: SerialRfidOptions = { path, binding, ...options.reader };
  const reader = family === '3m' ? new ThreeM810Reader(base) : new FeigIscReader(base);
  const r: Rig = {
    family,
    pad,
    sim,
    binding,
    reader,
    sent: () => binding.writes.map((w) => bytesToHex(w)),
    clear: () => binding.clearWrites(),
  };
  open.push(r);
  return r;
}

/** Closes every driver made by `rig()` (call from afterEach). */
export async function closeAll(): Promise<void> {
  const rigs = open.splice(0);
  await Promise.all(rigs.map((r) => r.reader.close().catch(() => undefined)));
}

/** Resolves with the arguments of the next `event` matching `pred`. */
export function next<K extends keyof RfidEvents & string>(
  reader: SerialRfidReader,
  event: K,
  pred: (...args: RfidEvents[K]) => boolean = () => true,
  timeoutMs = 3000,
): Promise<RfidEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reader.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: RfidEvents[K]): void => {
      if (!pred(...args)) return;
      clearTimeout(timer);
      reader.off(event, listener);
      resolve(args);
    };
    reader.on(event, listener);
  });
}

/** Collects `count` events (e.g. the arrivals of a stack). */
export function collect<K extends keyof RfidEvents & string>(
  reader: SerialRfidReader,
  event: K,
  count: number,
  timeoutMs = 3000,
): Promise<Array<RfidEvents[K][0]>> {
  return new Promise((resolve, reject) => {
    const got: Array<RfidEvents[K][0]> = [];
    const timer = setTimeout(() => {
      reader.off(event, listener);
      reject(new Error(`only ${got.length} of ${count} ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: RfidEvents[K]): void => {
      got.push(args[0]);
      if (got.length < count) return;
      clearTimeout(timer);
      reader.off(event, listener);
      resolve(got);
    };
    reader.on(event, listener);
  });
}

export async function untilState(reader: SerialRfidReader, state: DeviceState, timeoutMs = 3000): Promise<DeviceStatus> {
  if (reader.state === state) return reader.status();
  const [s] = await next(reader, 'state', (st) => st.state === state, timeoutMs);
  return s;
}

/** Asserts that `p` rejects with a DeviceError of `code`; returns the error. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<DeviceError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DeviceError);
    expect((e as DeviceError).code).toBe(code);
    return e as DeviceError;
  }
  throw new Error(`expected a DeviceError ${code}, but it resolved`);
}

export function states(reader: SerialRfidReader): DeviceStatus[] {
  const seen: DeviceStatus[] = [];
  reader.on('state', (s) => seen.push(s));
  return seen;
}

export const UID = 'E004010012345678';

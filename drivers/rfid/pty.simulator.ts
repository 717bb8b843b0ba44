/**
 * Running a simulated reader behind a real pseudo-terminal, so the driver opens a path with the
 * native serialport binding exactly as it opens /dev/ttyUSB0 (devices.md §6.2, approach 2):
 *
 *   socat -d -d pty,raw,echo=0,link=<dir>/rfid pty,raw,echo=0,link=<dir>/rfid-sim
 *
 * The simulator owns one end (`devicePath`, opened here with the native binding); the driver opens
 * the other (`hostPath`). PTYs ignore baud rate and parity, so timing comes from the simulator's
 * model, not from the line. Pulling the simulated cable closes the simulator's end and stops socat:
 * the driver's port then fails the way a vanished USB device does (its 'close' event carries a
 * disconnect error). Replugging starts a new pair on the same paths.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import type { SimulatedSerialDevice, SimulatorLink } from './reader.simulator.ts';
import { loadNativeBinding, type SerialBinding } from '../serial.ts';

export interface SocatPair {
  /** The end the driver opens. */
  readonly hostPath: string;
  /** The end the simulator opens. */
  readonly devicePath: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Stops socat; both PTYs vanish and whoever holds them open sees a hang-up. */
  close(): Promise<void>;
}

export interface SocatPairOptions {
  hostPath: string;
  devicePath: string;
  /** socat executable (default 'socat' on PATH). */
  socat?: string;
  /** How long to wait for socat to create both PTYs (default 5000 ms). */
  timeoutMs?: number;
}

/** Starts `socat` with two linked PTYs and resolves once it is passing data. */
export function startSocatPair(options: SocatPairOptions): Promise<SocatPair> {
  const { hostPath, devicePath } = options;
  // A socat killed hard leaves its symlinks behind; socat refuses to replace them.
  rmSync(hostPath, { force: true });
  rmSync(devicePath, { force: true });
  const child: ChildProcess = spawn(
    options.socat ?? 'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${devicePath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const pair: SocatPair = {
    hostPath,
    devicePath,
    pid: child.pid,
    get running() {
      return !exited;
    },
    async close() {
      if (exited) return;
      // On SIGTERM socat removes its own symlinks; only a hard kill leaves them behind.
      child.kill('SIGTERM');
      let killed = false;
      const hard = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, 1000);
      await exit;
      clearTimeout(hard);
      if (killed) {
        rmSync(hostPath, { force: true });
        rmSync(devicePath, { force: true });
      }
    },
  };
  return new Promise<SocatPair>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      void pair.close();
      reject(new Error(`socat did not start within ${options.timeoutMs ?? 5000} ms:\n${stderr}`));
    }, options.timeoutMs ?? 5000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run socat: ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`socat exited (${code}) before it was ready:\n${stderr}`));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('starting data transfer loop')) {
        clearTimeout(timer);
        child.stderr?.removeAllListeners('data');
        child.stderr?.resume();
        resolve(pair);
      }
    });
  });
}

export interface AttachedPort {
  readonly path: string;
  /** Resolves when the port closed (by `close()`, an unplug, or socat going away). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens `path` (the simulator's PTY end) and connects it to the simulated device: bytes read are
 * the driver's requests, the device's answers are written back. A device unplug closes the port.
 */
export async function attachToSerialPort(
  device: SimulatedSerialDevice,
  options: { path: string; binding?: SerialBinding; onUnplugged?: (reason: string) => void },
): Promise<AttachedPort> {
  const binding = options.binding ?? (await loadNativeBinding());
  const port = new SerialPortStream({ binding, path: options.path, baudRate: device.baudRate, autoOpen: false });
  port.on('error', () => undefined); // a vanished PTY is reported through 'close'
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const closed = new Promise<void>((resolve) => port.once('close', () => resolve()));
  let link: SimulatorLink | undefined;
  const closePort = async (): Promise<void> => {
    link?.close();
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  };
  link = device.connect({
    data(bytes) {
      if (port.isOpen) port.write(Buffer.from(bytes));
    },
    unplugged(reason) {
      void closePort();
      options.onUnplugged?.(reason);
    },
  });
  port.on('data', (chunk: Buffer) => link?.write(Uint8Array.from(chunk)));
  void closed.then(() => link?.close());
  return { path: options.path, closed, close: closePort };
}

export interface PtySimulatorHostOptions {
  /** Directory for the two PTY symlinks. */
  dir: string;
  /** Symlink the driver opens (default 'rfid'). */
  hostName?: string;
  /** Symlink the simulator opens (default 'rfid-sim'). */
  deviceName?: string;
  socat?: string;
}

/**
 * Keeps a simulated device on a PTY pair for as long as it is plugged in: `start()` creates the
 * pair and attaches the device; an unplug tears both down (the driver sees a hang-up), a replug
 * builds them again on the same paths (`ready()` resolves when it is back).
 */
export class PtySimulatorHost {
  readonly hostPath: string;
  readonly devicePath: string;
  private pair: SocatPair | undefined;
  private port: AttachedPort | undefined;
  private starting: Promise<void> | undefined;
  private tearing: Promise<void> = Promise.resolve();
  private stopped = true;
  private offReplug: (() => void) | undefined;

  constructor(
    readonly device: SimulatedSerialDevice,
    private readonly options: PtySimulatorHostOptions,
  ) {
    this.hostPath = join(options.dir, options.hostName ?? 'rfid');
    this.devicePath = join(options.dir, options.deviceName ?? 'rfid-sim');
  }

  /** Starts the pair; resolves with the path the driver should open. */
  async start(): Promise<string> {
    this.stopped = false;
    this.offReplug ??= this.device.onReplug(() => {
      if (!this.stopped) void this.ready();
    });
    await this.ready();
    return this.hostPath;
  }

  /** Resolves when the pair is up (after start or a replug). */
  ready(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('PTY host is stopped'));
    if (this.port && this.pair?.running) return Promise.resolve();
    this.starting ??= this.bringUp().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offReplug?.();
    this.offReplug = undefined;
    await this.starting?.catch(() => undefined);
    await this.tearDown();
  }

  private async bringUp(): Promise<void> {
    // An unplug's teardown may still be stopping the old socat: the new pair uses the same paths.
    await this.tearDown();
    const pair = await startSocatPair({ hostPath: this.hostPath, devicePath: this.devicePath, ...(this.options.socat ? { socat: this.options.socat } : {}) });
    this.pair = pair;
    const port = await attachToSerialPort(this.device, {
      path: this.devicePath,
      // Forget the pair at once, so a quick replug builds a new one instead of finding the old.
      onUnplugged: () => {
        if (this.port === port) void this.tearDown();
      },
    });
    this.port = port;
    // The device end going away (unplug) takes socat with it, so the driver's end hangs up too.
    void port.closed.then(() => {
      if (this.port === port) void this.tearDown();
    });
  }

  private tearDown(): Promise<void> {
    const port = this.port;
    const pair = this.pair;
    this.port = undefined;
    this.pair = undefined;
    const previous = this.tearing;
    const current = (async () => {
      await previous;
      await port?.close();
      await pair?.close();
    })();
    this.tearing = current;
    return current;
  }
}

/**
 * The device manager (DESIGN.md "Drivers"; the "Device manager"): builds every configured
 * device's driver — on its real transport, or on its simulator wired in-process — opens it, reports
 * every state change, and keeps failed devices coming back.
 *
 * Promises:
 *  - every state change of every device (and of a printer's cash drawer) is emitted as
 *    `device.state` with the device's status, and `list()` / `healthSummary()` give the current ones;
 *  - a device that cannot be opened, or goes offline because its link is gone (USB cable pulled, the
 *    pad server stopped, a TCP printer reset), is opened again with exponential backoff (default
 *    0.5 s, 1 s, 2 s … at most 30 s; back to 0.5 s once it has been ready), so a replugged device
 *    comes back by itself;
 *  - a device that is offline for what it reports about itself while its link is up (a printer out
 *    of paper or with its cover open) is not reopened: its driver polls and recovers on its own;
 *  - nothing a device does throws out of the manager or reaches another device: each device has its
 *    own driver, its own timers and its own catch; a configuration the driver refuses leaves that
 *    one device offline with the reason;
 *  - `stop()` cancels the retries and closes every driver and simulator.
 *
 * Drivers are built once and kept: reconnecting is `open()` on the same object, so listeners the
 * daemon attached (`tag.arrived`, `scan` …) survive a replug.
 *
 * Simulated devices: the real driver on the simulator's virtual transport — the RFID pad (RfidPad)
 * behind a 3M 810 or FEIG ISC reader front-end at real timing (timeScale 1) on an in-process serial
 * binding; the ESC/POS printer simulator on a simulated serial line; the HID POS, serial or
 * keyboard-wedge scanner simulators; the Wacom STU simulator behind a fake HID transport, or the
 * signotec pad server simulator on a local WebSocket; the Kerong lock boards (KerongCuSimulator) on a
 * simulated RS-485 serial line. Their controls are in `simulators` (and, for
 * the panel and tests, in ./simulator-api.ts).
 */
import pino, { type Logger } from 'pino';
import { TypedEmitter, type BaseDeviceEvents, type Device, type DeviceKind, type DeviceState, type DeviceStatus, type DriverClock } from '../../drivers/device.ts';
import { EscPosCashDrawer, EscPosPrinter, type EscPosPrinterConfigInput } from '../../drivers/printer/escpos.driver.ts';
import { EscPosPrinterSimulator } from '../../drivers/printer/escpos.simulator.ts';
import type { CashDrawer, ReceiptPrinter } from '../../drivers/printer/index.ts';
import { createRfidReader, createRfidSimulator } from '../../drivers/rfid/factory.ts';
import type { RfidReader } from '../../drivers/rfid/index.ts';
import { RfidPad } from '../../drivers/rfid/pad.simulator.ts';
import type { ReaderSimulator } from '../../drivers/rfid/reader.simulator.ts';
import { simulatorBinding } from '../../drivers/rfid/simulator-binding.ts';
import { HidPosScanner } from '../../drivers/scanner/hid-pos.driver.ts';
import { HidPosScannerSimulator } from '../../drivers/scanner/hid-pos.simulator.ts';
import type { BarcodeScanner } from '../../drivers/scanner/index.ts';
import { KeyboardWedgeScanner } from '../../drivers/scanner/keyboard-wedge.driver.ts';
import { KeyboardWedgeSimulator } from '../../drivers/scanner/keyboard-wedge.simulator.ts';
import { SerialScanner } from '../../drivers/scanner/serial.driver.ts';
import { SerialScannerSimulator } from '../../drivers/scanner/serial.simulator.ts';
import type { SignatureTablet } from '../../drivers/signature/index.ts';
import { SignotecPad } from '../../drivers/signature/signotec.driver.ts';
import { SignotecPadServerSimulator } from '../../drivers/signature/signotec.simulator.ts';
import { WacomStuTablet } from '../../drivers/signature/wacom-stu.driver.ts';
import { WacomStuSimulator } from '../../drivers/signature/wacom-stu.simulator.ts';
import type { ScanSymbology } from '../../protocols/hid-pos/index.ts';
import type { LockerController } from '../../drivers/locker/index.ts';
import { KerongCuLocker } from '../../drivers/locker/kerong-cu.driver.ts';
import { KerongCuSimulator } from '../../drivers/locker/kerong-cu.simulator.ts';
import { resolveAfiPair, type AfiPair } from '../../drivers/rfid/index.ts';
import type {
  ConfiguredDeviceKind,
  DeviceConfig,
  LockerDeviceConfig,
  PrinterDeviceConfig,
  RfidDeviceConfig,
  ScannerDeviceConfig,
  SignatureDeviceConfig,
} from './config.ts';
import { WebSocketPlug } from './ws-plug.ts';

// ------------------------------------------------------------------------------------------ types

export interface BackoffOptions {
  /** Delay before the first reopen after a failure (default 500 ms). */
  initialMs: number;
  /** Longest delay between two attempts (default 30 s). */
  maxMs: number;
  /** Growth per failed attempt (default 2). */
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2 };

/** The delay before reopen attempt `attempt` (0-based). */
export function backoffDelayMs(attempt: number, backoff: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, Math.round(backoff.initialMs * Math.pow(backoff.factor, Math.max(0, attempt))));
}

export interface DeviceManagerOptions {
  devices: readonly DeviceConfig[];
  logger?: Logger;
  /** For the drivers' `since` stamps (the daemon's Clock fits). */
  clock?: DriverClock;
  backoff?: Partial<BackoffOptions>;
  /** `start()` returns after every device's first open attempt, or after this long (default 5 s). */
  startTimeoutMs?: number;
}

/** A device's status as the manager reports it. */
export interface ManagedDeviceStatus extends DeviceStatus {
  simulated: boolean;
  /** Reopen attempts since the device was last ready, and when the next one is due (ISO), if one is. */
  retry: { attempt: number; nextAt: string | null };
}

export interface DeviceManagerEvents {
  'device.state': [ManagedDeviceStatus];
}

/** For /health and the admin page. */
export interface DevicesHealth {
  /** 'ok' when every device is ready; 'degraded' when any is not. */
  status: 'ok' | 'degraded';
  counts: Record<DeviceState, number>;
  devices: ManagedDeviceStatus[];
}

interface SimulatorHandleBase {
  id: string;
  /** The device's simulated USB cable / power. */
  readonly plugged: boolean;
  unplug(): void;
  replug(): Promise<void>;
}

export interface RfidSimulatorHandle extends SimulatorHandleBase {
  kind: 'rfid';
  model: RfidDeviceConfig['model'];
  /** The tags on the pad, the cable, the faults. */
  pad: RfidPad;
  /** The reader front-end answering the driver's frames. */
  reader: ReaderSimulator;
  /** The site's AFI pair (what "secured" means on this pad). */
  afiPair: AfiPair;
  /** Data model of the tags the simulator places. */
  tagModel: 'iso28560-3' | 'iso28560-2' | '3m-501';
}

export interface ScannerSimulatorHandle extends SimulatorHandleBase {
  kind: 'scanner';
  model: ScannerDeviceConfig['model'];
  simulator: HidPosScannerSimulator | SerialScannerSimulator | KeyboardWedgeSimulator;
  /** Scan a code; resolves when the last byte/report/key event is delivered. */
  scan(code: string, symbology?: ScanSymbology): Promise<void>;
}

export interface PrinterSimulatorHandle extends SimulatorHandleBase {
  kind: 'printer';
  model: PrinterDeviceConfig['model'];
  printer: EscPosPrinterSimulator;
}

export type SignatureSimulatorHandle = SimulatorHandleBase & { kind: 'signature' } & (
    | { model: 'wacom-stu'; stu: WacomStuSimulator }
    | { model: 'signotec'; signotec: SignotecPadServerSimulator }
  );

export interface LockerSimulatorHandle extends SimulatorHandleBase {
  kind: 'locker';
  model: LockerDeviceConfig['model'];
  /** The lock boards and their doors: open by hand, close, jam, silence a board, corrupt a reply. */
  boards: KerongCuSimulator;
}

export type SimulatorHandle =
  | RfidSimulatorHandle
  | ScannerSimulatorHandle
  | PrinterSimulatorHandle
  | SignatureSimulatorHandle
  | LockerSimulatorHandle;

type SimulatorOfKind<K extends ConfiguredDeviceKind> = Extract<SimulatorHandle, { kind: K }>;

type Driver = RfidReader | EscPosPrinter | BarcodeScanner | SignatureTablet | LockerController;

interface Built {
  driver: Driver;
  drawer: EscPosCashDrawer | null;
  sim: SimulatorHandle | null;
  dispose: Array<() => void | Promise<void>>;
}

interface Slot {
  config: DeviceConfig;
  built: Built | null;
  /** The status while there is no driver (its configuration was refused). */
  fallback: DeviceStatus;
  attempt: number;
  timer: NodeJS.Timeout | null;
  nextAt: number | null;
  opening: Promise<void> | null;
  unsubscribe: Array<() => void>;
}

/** Every simulated serial port needs its own path in binding-mock's process-wide table. */
let simPortCounter = 0;
function simPath(id: string): string {
  return `/dev/sim/${id}-${process.pid}-${++simPortCounter}`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------- manager

export class DeviceManager extends TypedEmitter<DeviceManagerEvents> {
  readonly #configs: readonly DeviceConfig[];
  readonly #log: Logger;
  readonly #clock: DriverClock;
  readonly #backoff: BackoffOptions;
  readonly #startTimeoutMs: number;
  readonly #slots = new Map<string, Slot>();
  readonly #simulators = new Map<string, SimulatorHandle>();
  #started: Promise<void> | null = null;
  #stopping = false;
  #stopped: Promise<void> | null = null;

  constructor(options: DeviceManagerOptions) {
    super();
    this.#configs = options.devices;
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'devices' });
    this.#clock = options.clock ?? { now: () => new Date() };
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#startTimeoutMs = options.startTimeoutMs ?? 5000;
  }

  /**
   * Builds and opens every device. Resolves once each device has had its first open attempt (or
   * after `startTimeoutMs`); devices that failed keep retrying in the background. Never rejects.
   */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    for (const config of this.#configs) {
      const slot: Slot = {
        config,
        built: null,
        fallback: {
          id: config.id,
          kind: config.kind,
          model: config.name ?? config.model,
          state: 'connecting',
          reason: 'starting',
          since: this.#clock.now().toISOString(),
          lastError: null,
        },
        attempt: 0,
        timer: null,
        nextAt: null,
        opening: null,
        unsubscribe: [],
      };
      this.#slots.set(config.id, slot);
      try {
        slot.built = await this.#build(config);
      } catch (e) {
        slot.fallback = { ...slot.fallback, state: 'offline', reason: `cannot set up: ${message(e)}`, lastError: message(e), since: this.#clock.now().toISOString() };
        this.#log.error({ device: config.id, err: message(e) }, 'device cannot be set up; it stays offline');
        this.#emitState(slot, slot.fallback);
        continue;
      }
      if (this.#stopping) return;
      this.#subscribe(slot);
      if (slot.built.sim) this.#simulators.set(config.id, slot.built.sim);
    }
    const first = Promise.allSettled([...this.#slots.values()].filter((s) => s.built).map((s) => this.#attempt(s)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#startTimeoutMs)))]);
    clearTimeout(timer);
  }

  /** Cancels retries, closes every driver and stops every simulator. Never rejects. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    await this.#started?.catch(() => undefined);
    const slots = [...this.#slots.values()];
    for (const slot of slots) this.#cancelRetry(slot);
    await Promise.all(
      slots.map(async (slot) => {
        await slot.opening?.catch(() => undefined);
        const built = slot.built;
        if (!built) return;
        try {
          await built.driver.close();
        } catch (e) {
          this.#log.warn({ device: slot.config.id, err: message(e) }, 'close failed');
        }
        if (built.drawer) await built.drawer.close().catch(() => undefined);
        for (const off of slot.unsubscribe.splice(0)) off();
        for (const dispose of built.dispose.splice(0)) {
          try {
            await dispose();
          } catch (e) {
            this.#log.warn({ device: slot.config.id, err: message(e) }, 'simulator stop failed');
          }
        }
      }),
    );
  }

  // ------------------------------------------------------------------------------------ accessors

  /** Every device's status (a printer's drawer as its own entry, `<printer id>.drawer`). */
  list(): ManagedDeviceStatus[] {
    const out: ManagedDeviceStatus[] = [];
    for (const slot of this.#slots.values()) {
      out.push(this.#managed(slot, slot.built ? slot.built.driver.status() : slot.fallback));
      const drawer = slot.built?.drawer;
      if (drawer && slot.config.kind === 'printer' && slot.config.drawer.enabled) out.push(this.#managed(slot, drawer.status(), true));
    }
    return out;
  }

  /** One device's status by id (a drawer by `<printer id>.drawer`). */
  status(id: string): ManagedDeviceStatus | undefined {
    return this.list().find((s) => s.id === id);
  }

  healthSummary(): DevicesHealth {
    const devices = this.list();
    const counts: Record<DeviceState, number> = { connecting: 0, ready: 0, degraded: 0, offline: 0 };
    for (const d of devices) counts[d.state]++;
    return { status: devices.every((d) => d.state === 'ready') ? 'ok' : 'degraded', counts, devices };
  }

  /** The configurations the manager runs, in order. */
  configs(): readonly DeviceConfig[] {
    return this.#configs;
  }

  config(id: string): DeviceConfig | undefined {
    return this.#slots.get(id)?.config ?? this.#configs.find((c) => c.id === id);
  }

  /** The RFID reader `id`, or the first one. */
  rfid(id?: string): RfidReader | undefined {
    return this.#driver('rfid', id) as RfidReader | undefined;
  }

  printer(id?: string): ReceiptPrinter | undefined {
    return this.#driver('printer', id) as EscPosPrinter | undefined;
  }

  /** The cash drawer on printer `id` (or by its own id `<printer>.drawer`), or the first enabled one. */
  drawer(id?: string): CashDrawer | undefined {
    const printerId = id?.endsWith('.drawer') ? id.slice(0, -'.drawer'.length) : id;
    for (const slot of this.#slots.values()) {
      if (slot.config.kind !== 'printer' || !slot.config.drawer.enabled || !slot.built?.drawer) continue;
      if (printerId === undefined || slot.config.id === printerId) return slot.built.drawer;
    }
    return undefined;
  }

  scanner(id?: string): BarcodeScanner | undefined {
    return this.#driver('scanner', id) as BarcodeScanner | undefined;
  }

  signature(id?: string): SignatureTablet | undefined {
    return this.#driver('signature', id) as SignatureTablet | undefined;
  }

  /** The locker door controller `id` (e.g. a bank's `device: locker1`), or the first one. */
  locker(id?: string): LockerController | undefined {
    return this.#driver('locker', id) as LockerController | undefined;
  }

  /** The simulators of the simulated devices, by device id. */
  get simulators(): ReadonlyMap<string, SimulatorHandle> {
    return this.#simulators;
  }

  /** The simulator of device `id` of this kind, or of the first simulated device of the kind. */
  simulator<K extends ConfiguredDeviceKind>(kind: K, id?: string): SimulatorOfKind<K> | undefined {
    for (const sim of this.#simulators.values()) {
      if (sim.kind === kind && (id === undefined || sim.id === id)) return sim as SimulatorOfKind<K>;
    }
    return undefined;
  }

  /** Tries to open an offline device now instead of waiting for its backoff (admin page "retry"). */
  retryNow(id: string): boolean {
    const slot = this.#slots.get(id);
    if (!slot?.built || this.#stopping || slot.opening || !this.#needsReopen(slot)) return false;
    this.#cancelRetry(slot);
    void this.#attempt(slot);
    return true;
  }

  #driver(kind: ConfiguredDeviceKind, id?: string): Driver | undefined {
    for (const slot of this.#slots.values()) {
      if (slot.config.kind === kind && slot.built && (id === undefined || slot.config.id === id)) return slot.built.driver;
    }
    return undefined;
  }

  // ------------------------------------------------------------------------------- state & retry

  #managed(slot: Slot, status: DeviceStatus, drawer = false): ManagedDeviceStatus {
    const retry = drawer
      ? { attempt: 0, nextAt: null }
      : { attempt: slot.attempt, nextAt: slot.nextAt === null ? null : new Date(slot.nextAt).toISOString() };
    return { ...status, simulated: slot.config.simulated, retry };
  }

  #emitState(slot: Slot, status: DeviceStatus, drawer = false): void {
    try {
      this.emit('device.state', this.#managed(slot, status, drawer));
    } catch (e) {
      // A listener's failure is the listener's problem; it must not stop the driver's state handling.
      this.#log.error({ device: status.id, err: message(e) }, 'device.state listener failed');
    }
  }

  #subscribe(slot: Slot): void {
    const built = slot.built;
    if (!built) return;
    const onState = (status: DeviceStatus): void => this.#onState(slot, status);
    // Every driver is a Device: 'state' is in each event map (the union of their maps is not callable as such).
    const driver = built.driver as unknown as Device<BaseDeviceEvents>;
    driver.on('state', onState);
    slot.unsubscribe.push(() => driver.off('state', onState));
    const drawer = built.drawer;
    if (drawer) {
      const onDrawer = (status: DeviceStatus): void => this.#emitState(slot, status, true);
      drawer.on('state', onDrawer);
      slot.unsubscribe.push(() => drawer.off('state', onDrawer));
    }
  }

  #onState(slot: Slot, status: DeviceStatus): void {
    if (status.state === 'ready') {
      slot.attempt = 0;
      this.#cancelRetry(slot);
    }
    // While retrying, each attempt goes connecting → offline again: that is debug, not news.
    const retrying = slot.attempt > 0 && status.state !== 'ready';
    const level = retrying ? 'debug' : status.state === 'offline' && !this.#stopping ? 'warn' : 'info';
    this.#log[level]({ device: status.id, state: status.state, reason: status.reason, attempt: slot.attempt }, 'device state');
    this.#emitState(slot, status);
    // While an open attempt runs, its outcome decides; afterwards the attempt schedules the next.
    if (!this.#stopping && !slot.opening && this.#needsReopen(slot)) this.#schedule(slot);
  }

  /** Offline because the link is gone (not because the device reports a condition over a live link). */
  #needsReopen(slot: Slot): boolean {
    const driver = slot.built?.driver;
    if (!driver || driver.state !== 'offline') return false;
    if (driver instanceof EscPosPrinter) return !driver.linkOpen;
    return true;
  }

  #schedule(slot: Slot): void {
    if (slot.timer || this.#stopping) return;
    const delay = backoffDelayMs(slot.attempt, this.#backoff);
    slot.attempt++;
    slot.nextAt = Date.now() + delay;
    this.#log.debug({ device: slot.config.id, attempt: slot.attempt, delayMs: delay }, 'reopen scheduled');
    slot.timer = setTimeout(() => {
      slot.timer = null;
      slot.nextAt = null;
      void this.#attempt(slot);
    }, delay);
    slot.timer.unref();
  }

  #cancelRetry(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.nextAt = null;
  }

  /** One open attempt; schedules the next one if the device is still not there. Never rejects. */
  #attempt(slot: Slot): Promise<void> {
    const built = slot.built;
    if (!built || this.#stopping) return Promise.resolve();
    if (slot.opening) return slot.opening;
    const driver = built.driver;
    const run = async (): Promise<void> => {
      try {
        // A signotec pad that vanished while its server stayed up leaves the socket open: start afresh.
        if (driver instanceof SignotecPad && driver.state === 'offline') await driver.close();
        await driver.open();
      } catch (e) {
        // The state change (offline, with the reason) was logged already.
        this.#log.debug({ device: slot.config.id, attempt: slot.attempt, err: message(e) }, 'open failed');
      }
    };
    slot.opening = run().finally(() => {
      slot.opening = null;
      if (!this.#stopping && this.#needsReopen(slot)) this.#schedule(slot);
    });
    return slot.opening;
  }

  // -------------------------------------------------------------------------------------- building

  async #build(config: DeviceConfig): Promise<Built> {
    switch (config.kind) {
      case 'rfid':
        return this.#buildRfid(config);
      case 'scanner':
        return this.#buildScanner(config);
      case 'printer':
        return this.#buildPrinter(config);
      case 'signature':
        return this.#buildSignature(config);
      case 'locker':
        return this.#buildLocker(config);
    }
  }

  #buildLocker(config: LockerDeviceConfig): Built {
    const settings = {
      id: config.id,
      ...(config.name !== undefined ? { model: config.name } : {}),
      boards: config.boards,
      pollIntervalMs: config.pollIntervalMs,
      responseTimeoutMs: config.responseTimeoutMs,
    };
    const deps = { clock: this.#clock, logger: this.#log };
    if (config.simulated) {
      const boards = new KerongCuSimulator({ path: simPath(config.id), boards: config.boards });
      const driver = new KerongCuLocker({ ...settings, path: boards.path }, { ...deps, binding: boards.binding });
      const sim: LockerSimulatorHandle = {
        kind: 'locker',
        id: config.id,
        model: config.model,
        boards,
        get plugged() {
          return boards.plugged;
        },
        unplug: () => boards.unplug(),
        replug: async () => boards.replug(),
      };
      return { driver, drawer: null, sim, dispose: [() => boards.stop()] };
    }
    const transport = config.transport;
    if (!transport) throw new Error('no transport configured');
    const driver = new KerongCuLocker(
      { ...settings, path: transport.path, ...(transport.baudRate !== undefined ? { baudRate: transport.baudRate } : {}) },
      deps,
    );
    return { driver, drawer: null, sim: null, dispose: [] };
  }

  #buildRfid(config: RfidDeviceConfig): Built {
    const options = {
      id: config.id,
      security: config.security,
      tagModel: config.tagModel,
      clock: this.#clock,
      logger: this.#log,
      ...(config.responseTimeoutMs !== undefined ? { responseTimeoutMs: config.responseTimeoutMs } : {}),
    };
    let driver: RfidReader;
    let sim: RfidSimulatorHandle | null = null;
    if (config.simulated) {
      const pad = new RfidPad({ seed: config.simulator.seed });
      const reader = createRfidSimulator(config.model, pad, { timeScale: config.simulator.timeScale });
      const binding = simulatorBinding(reader);
      driver = createRfidReader({ family: config.model, ...options, path: simPath(config.id), binding });
      sim = {
        kind: 'rfid',
        id: config.id,
        model: config.model,
        pad,
        reader,
        afiPair: resolveAfiPair(config.security.afi),
        tagModel: config.simulator.tagModel ?? config.tagModel,
        get plugged() {
          return pad.plugged;
        },
        unplug: () => pad.unplug('USB cable pulled (simulator)'),
        replug: async () => pad.replug(),
      };
    } else {
      const transport = config.transport;
      if (!transport) throw new Error('no transport configured');
      driver = createRfidReader({
        family: config.model,
        ...options,
        path: transport.path,
        ...(transport.baudRate !== undefined ? { baudRate: transport.baudRate } : {}),
      });
    }
    // Continuous inventory is what a pad is for; it starts (and resumes after a replug) once the reader is ready.
    driver.startInventory({ intervalMs: config.inventoryIntervalMs });
    return { driver, drawer: null, sim, dispose: [] };
  }

  #buildScanner(config: ScannerDeviceConfig): Built {
    const clock = this.#clock;
    const named = config.name !== undefined ? { model: config.name } : {};
    const prefix = config.prefix !== undefined ? { prefix: config.prefix } : {};
    const transport = config.transport;
    let plugged = true;
    const handle = (simulator: ScannerSimulatorHandle['simulator'], scan: ScannerSimulatorHandle['scan']): ScannerSimulatorHandle => ({
      kind: 'scanner',
      id: config.id,
      model: config.model,
      simulator,
      scan,
      get plugged() {
        return plugged;
      },
      unplug: () => {
        plugged = false;
        simulator.unplug();
      },
      replug: async () => {
        plugged = true;
        simulator.replug();
      },
    });
    switch (config.model) {
      case 'hid-pos': {
        if (config.simulated) {
          const s = new HidPosScannerSimulator();
          const driver = new HidPosScanner({ id: config.id, ...named }, { transport: s.transport, clock });
          return { driver, drawer: null, sim: handle(s, (code, symbology) => s.scan(code, symbology)), dispose: [] };
        }
        const hid = transport?.kind === 'hid' ? transport : undefined;
        const device = {
          ...(hid?.path !== undefined ? { path: hid.path } : {}),
          ...(hid?.vendorId !== undefined ? { vendorId: hid.vendorId } : {}),
          ...(hid?.productId !== undefined ? { productId: hid.productId } : {}),
          ...(hid?.usagePage !== undefined ? { usagePage: hid.usagePage } : {}),
        };
        return { driver: new HidPosScanner({ id: config.id, ...named, device }, { clock }), drawer: null, sim: null, dispose: [] };
      }
      case 'serial': {
        const settings = {
          id: config.id,
          ...named,
          ...prefix,
          suffix: config.suffix,
          aimPrefix: config.aimPrefix,
          ...(config.triggerCommand !== undefined ? { triggerCommand: config.triggerCommand } : {}),
        };
        if (config.simulated) {
          const s = new SerialScannerSimulator({ path: simPath(config.id), suffix: config.suffix, aimPrefix: config.aimPrefix, ...prefix });
          const driver = new SerialScanner({ ...settings, path: s.path }, { binding: s.binding, clock });
          return { driver, drawer: null, sim: handle(s, (code, symbology) => s.scan(code, symbology)), dispose: [] };
        }
        if (transport?.kind !== 'serial') throw new Error('a serial scanner needs a serial transport');
        const driver = new SerialScanner(
          { ...settings, path: transport.path, ...(transport.baudRate !== undefined ? { baudRate: transport.baudRate } : {}) },
          { clock },
        );
        return { driver, drawer: null, sim: null, dispose: [] };
      }
      case 'keyboard-wedge': {
        const settings = { id: config.id, ...named, ...prefix, terminator: config.terminator, aimPrefix: config.aimPrefix, maxInterKeyMs: config.maxInterKeyMs };
        if (config.simulated) {
          const s = new KeyboardWedgeSimulator({ terminator: config.terminator, aimPrefix: config.aimPrefix, ...prefix });
          const path = transport?.kind === 'device-file' ? transport.path : `/dev/input/sim-${config.id}`;
          const driver = new KeyboardWedgeScanner({ ...settings, path }, { openInput: s.openInput, clock });
          return { driver, drawer: null, sim: handle(s, (code, symbology) => s.scan(code, symbology)), dispose: [] };
        }
        if (transport?.kind !== 'device-file') throw new Error('a keyboard-wedge scanner needs a device-file transport');
        const driver = new KeyboardWedgeScanner(
          { ...settings, path: transport.path, ...(transport.pollIntervalMs !== undefined ? { pollIntervalMs: transport.pollIntervalMs } : {}) },
          { clock },
        );
        return { driver, drawer: null, sim: null, dispose: [] };
      }
    }
  }

  #buildPrinter(config: PrinterDeviceConfig): Built {
    const { id, kind: _kind, model: _model, simulated, name, transport, ...settings } = config;
    const base: Omit<EscPosPrinterConfigInput, 'transport'> = { id, ...settings, ...(name !== undefined ? { model: name } : {}) };
    if (simulated) {
      const s = new EscPosPrinterSimulator({ columns: settings.columns, codePageTable: settings.codePageTable, drawerWiring: settings.drawer.openWhen });
      const line = s.serialLine(simPath(id));
      const driver = new EscPosPrinter({ ...base, transport: { kind: 'serial', path: line.path, baudRate: 19200 } }, { binding: line.binding, clock: this.#clock });
      const sim: PrinterSimulatorHandle = {
        kind: 'printer',
        id,
        model: config.model,
        printer: s,
        get plugged() {
          return s.state().plugged;
        },
        unplug: () => s.unplug(),
        replug: () => s.replug(),
      };
      return { driver, drawer: driver.drawer, sim, dispose: [() => s.stop()] };
    }
    if (!transport) throw new Error('no transport configured');
    let driverTransport: EscPosPrinterConfigInput['transport'];
    switch (transport.kind) {
      case 'serial':
        driverTransport = { kind: 'serial', path: transport.path, baudRate: transport.baudRate ?? 19200, rtscts: transport.rtscts };
        break;
      case 'tcp':
        driverTransport = { kind: 'tcp', host: transport.host, port: transport.port, connectTimeoutMs: transport.connectTimeoutMs };
        break;
      case 'device-file':
        driverTransport = { kind: 'device-file', path: transport.path, ...(transport.pollIntervalMs !== undefined ? { pollIntervalMs: transport.pollIntervalMs } : {}) };
        break;
    }
    const driver = new EscPosPrinter({ ...base, transport: driverTransport }, { clock: this.#clock });
    return { driver, drawer: driver.drawer, sim: null, dispose: [] };
  }

  async #buildSignature(config: SignatureDeviceConfig): Promise<Built> {
    const clock = this.#clock;
    const named = config.name !== undefined ? { model: config.name } : {};
    const transport = config.transport;
    if (config.model === 'wacom-stu') {
      const settings = { id: config.id, ...named, captureTimeoutMs: config.captureTimeoutMs };
      if (config.simulated) {
        const s = new WacomStuSimulator();
        let plugged = true;
        const driver = new WacomStuTablet(settings, { transport: s.transport, clock });
        const sim: SignatureSimulatorHandle = {
          kind: 'signature',
          id: config.id,
          model: 'wacom-stu',
          stu: s,
          get plugged() {
            return plugged;
          },
          unplug: () => {
            plugged = false;
            s.unplug();
          },
          replug: async () => {
            plugged = true;
            s.replug();
          },
        };
        return { driver, drawer: null, sim, dispose: [] };
      }
      const hid = transport?.kind === 'hid' ? transport : undefined;
      const device = {
        ...(hid?.path !== undefined ? { path: hid.path } : {}),
        ...(hid?.vendorId !== undefined ? { vendorId: hid.vendorId } : {}),
        ...(hid?.productId !== undefined ? { productId: hid.productId } : {}),
      };
      return { driver: new WacomStuTablet({ ...settings, device }, { clock }), drawer: null, sim: null, dispose: [] };
    }
    const settings = { id: config.id, ...named, captureTimeoutMs: config.captureTimeoutMs, padIndex: config.padIndex, padSubset: config.padSubset };
    if (config.simulated) {
      const s = new SignotecPadServerSimulator();
      const serverUrl = await s.start();
      const plug = new WebSocketPlug(serverUrl);
      let url: string;
      try {
        url = await plug.start();
      } catch (e) {
        await s.stop();
        throw e;
      }
      const driver = new SignotecPad({ ...settings, url, requestTimeoutMs: 3000, tlsRejectUnauthorized: false }, { clock });
      const sim: SignatureSimulatorHandle = {
        kind: 'signature',
        id: config.id,
        model: 'signotec',
        signotec: s,
        get plugged() {
          return plug.plugged;
        },
        unplug: () => plug.unplug(),
        replug: async () => plug.replug(),
      };
      return { driver, drawer: null, sim, dispose: [() => plug.stop(), () => s.stop()] };
    }
    const ws = transport?.kind === 'websocket' ? transport : undefined;
    const driver = new SignotecPad(
      { ...settings, ...(ws ? { url: ws.url, tlsRejectUnauthorized: ws.tlsRejectUnauthorized } : {}) },
      { clock },
    );
    return { driver, drawer: null, sim: null, dispose: [] };
  }
}

export type { DeviceKind };

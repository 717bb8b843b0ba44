/**
 * The driver contract (DESIGN.md): every device is an object with open(), close(), a typed event
 * map and an explicit state with a reason. A driver takes its transport from config and never
 * decides policy; retrying a failed device with backoff is the device manager's job (daemon), so a
 * driver only reports what happened.
 */
import { EventEmitter } from 'node:events';

export type DeviceState = 'connecting' | 'ready' | 'degraded' | 'offline';

export interface DeviceStatus {
  id: string;
  kind: DeviceKind;
  model: string;
  state: DeviceState;
  /** Why the device is not ready (or what is wrong while degraded); null when ready. */
  reason: string | null;
  /** ISO time of the last state change. */
  since: string;
  /** The last error seen, kept after recovery for the admin page. */
  lastError: string | null;
}

export type DeviceKind = 'rfid' | 'scanner' | 'printer' | 'drawer' | 'signature' | 'locker';

export interface BaseDeviceEvents {
  state: [DeviceStatus];
}

/** A typed EventEmitter: `E` maps event names to argument tuples. */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly ee = new EventEmitter();
  constructor() {
    this.ee.setMaxListeners(50);
  }
  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }
  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }
  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }
  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    return this.ee.emit(event, ...args);
  }
  removeAllListeners(): void {
    this.ee.removeAllListeners();
  }
}

/** What the daemon's clock gives a driver (for `since` stamps); defaults to the system clock. */
export interface DriverClock {
  now(): Date;
}

export abstract class Device<E extends BaseDeviceEvents & { [K in keyof E]: unknown[] }> extends TypedEmitter<E> {
  private current: DeviceStatus;

  protected constructor(
    readonly id: string,
    readonly kind: DeviceKind,
    readonly model: string,
    protected readonly clock: DriverClock = { now: () => new Date() },
  ) {
    super();
    this.current = { id, kind, model, state: 'offline', reason: 'not opened', since: clock.now().toISOString(), lastError: null };
  }

  /** Opens the transport; resolves when ready, rejects (and goes offline with the reason) if it cannot. */
  abstract open(): Promise<void>;
  /** Releases the transport; the device goes offline with reason "closed". */
  abstract close(): Promise<void>;

  status(): DeviceStatus {
    return { ...this.current };
  }

  get state(): DeviceState {
    return this.current.state;
  }

  protected setState(state: DeviceState, reason: string | null = null, error?: unknown): void {
    const lastError = error === undefined ? this.current.lastError : error instanceof Error ? error.message : String(error);
    if (state === this.current.state && reason === this.current.reason && lastError === this.current.lastError) return;
    this.current = { ...this.current, state, reason, since: this.clock.now().toISOString(), lastError };
    (this.emit as (e: 'state', s: DeviceStatus) => boolean)('state', this.status());
  }
}

/** A driver error with a stable code, e.g. 'timeout', 'crc', 'write_refused', 'unplugged'. */
export class DeviceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeviceError';
  }
}

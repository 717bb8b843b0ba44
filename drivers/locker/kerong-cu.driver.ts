/**
 * Kerong KR-CU16-style lock boards on one RS-485 bus (protocols/locker-kerong), over `serialport`
 * with an injectable binding (a USB–RS-485 adapter in production, ./kerong-cu.simulator.ts in tests
 * and the demo).
 *
 * Promises (the LockerController contract, ./index.ts):
 *  - one request on the bus at a time (RS-485 is half duplex: two masters' frames would collide),
 *    each with a reply timeout; a corrupt reply (bad checksum or ETX) is asked again `retries` times;
 *    a board that does not answer within the timeout is not asked again for that request;
 *  - the boards' states are polled every `pollIntervalMs`; a door whose hook switch goes from
 *    engaged to released emits `door.opened`, the other way `door.closed`. An opening that no unlock
 *    of ours preceded (within `unlockGraceMs`) is `forced: true` (pried open, mechanical key);
 *  - `unlock(door)` releases one lock and reports the door open (`ok`), or `jammed` when the board
 *    answered and the door still read shut `unlockSettleMs` later, `no_answer`, `bad_reply` (still
 *    corrupt after the retries) or `disconnected`;
 *  - state: `connecting` while opening, `ready` when every board answers, `degraded` while a board
 *    does not answer (the reason names it; the others keep working), `offline` when the port is gone
 *    (unplugged) or closed. Reopening after an unplug is the device manager's job.
 *
 * The first reading of a door after start sets its state without an event (nothing changed that we
 * saw); a change that happened while a board was silent or the cable was out is reported when the
 * board answers again.
 */
import type { SerialPortStream } from '@serialport/stream';
import type { Logger } from 'pino';
import pino from 'pino';
import { z } from 'zod';
import {
  KERONG_DEFAULT_BAUD,
  KERONG_LOCKS_PER_BOARD,
  KERONG_MAX_BOARD,
  KerongFrameSplitter,
  decodeKerongReply,
  encodeKerongCommand,
  kerongHex,
  type KerongCommand,
  type KerongReply,
} from '../../protocols/locker-kerong/index.ts';
import { Device, DeviceError, type DriverClock } from '../device.ts';
import { type BindingInterface, closeSerialPort, openSerialPort, writeSerial } from '../printer/serial-port.ts';
import type { DoorAddress, DoorStatus, LockerBoardLayout, LockerController, LockerEvents, UnlockFailureCode, UnlockResult } from './index.ts';

export const kerongBoardSchema = z
  .object({
    /** Board address 0–15 (the board's DIP switch; the high nibble of the ADDR byte). */
    address: z.number().int().min(0).max(KERONG_MAX_BOARD),
    /** Doors wired to locks 1…doors. */
    doors: z.number().int().min(1).max(KERONG_LOCKS_PER_BOARD).default(KERONG_LOCKS_PER_BOARD),
  })
  .strict();

export const kerongCuConfigSchema = z
  .object({
    id: z.string().min(1),
    model: z.string().min(1).default('Kerong KR-CU16'),
    /** The USB–RS-485 adapter, e.g. /dev/serial/by-id/usb-FTDI_…-if00-port0. */
    path: z.string().min(1),
    /** KR-CU16 factory setting 19200 8N1. */
    baudRate: z.number().int().positive().default(KERONG_DEFAULT_BAUD),
    boards: z
      .array(kerongBoardSchema)
      .min(1, 'at least one board')
      .superRefine((boards, ctx) => {
        const seen = new Set<number>();
        boards.forEach((b, k) => {
          if (seen.has(b.address)) ctx.addIssue({ code: 'custom', path: [k, 'address'], message: `board address ${b.address} is listed twice` });
          seen.add(b.address);
        });
      })
      .default([{ address: 0, doors: KERONG_LOCKS_PER_BOARD }]),
    /** Period of the door state poll (each board once per period). */
    pollIntervalMs: z.number().int().min(20).max(60_000).default(500),
    /** How long a board has to answer one frame (a KR-CU answers within tens of ms at 19200). */
    responseTimeoutMs: z.number().int().min(5).max(10_000).default(300),
    /** Extra attempts after a corrupt reply. */
    retries: z.number().int().min(0).max(5).default(1),
    /** After an unlock whose reply still shows the door shut, read it again this much later before calling it jammed. */
    unlockSettleMs: z.number().int().min(0).max(10_000).default(300),
    /** An opening this long after an unlock of ours is that unlock's, not forced. */
    unlockGraceMs: z.number().int().min(0).max(600_000).default(10_000),
  })
  .strict();

export type KerongCuConfig = z.output<typeof kerongCuConfigSchema>;
export type KerongCuConfigInput = z.input<typeof kerongCuConfigSchema>;

export interface KerongCuDeps {
  /** serialport binding; default native (a simulator's `binding` in tests and the demo). */
  binding?: BindingInterface;
  clock?: DriverClock;
  logger?: Logger;
}

type Failure = { ok: false; code: Exclude<UnlockFailureCode, 'jammed'>; message: string };
type Exchange = { ok: true; reply: KerongReply } | Failure;

interface Pending {
  command: KerongCommand;
  onFrame(bytes: Uint8Array): void;
  onGarbage(corrupt: boolean, message: string): void;
  onClose(reason: string): void;
}

interface DoorKnown {
  open: boolean | null;
  locked: boolean | null;
}

function key(board: number, lock: number): string {
  return `${board}/${lock}`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class KerongCuLocker extends Device<LockerEvents> implements LockerController {
  readonly config: KerongCuConfig;
  readonly #binding: BindingInterface | undefined;
  readonly #log: Logger;
  readonly #splitter = new KerongFrameSplitter('reply');
  #port: SerialPortStream | null = null;
  #pending: Pending | null = null;
  /** The bus: every exchange runs after the previous one settled. */
  #bus: Promise<unknown> = Promise.resolve();
  #pollTimer: NodeJS.Timeout | null = null;
  #polling = false;
  #closing = false;
  /** The first reading after open runs: the state is settled once it is done. */
  #opening = false;
  readonly #doors = new Map<string, DoorKnown>();
  /** Boards that did not answer their last request, with why. */
  readonly #silent = new Map<number, string>();
  /** When we last sent an unlock for a door (monotonic ms: a duration, so a frozen demo clock cannot stretch it). */
  readonly #unlockedAt = new Map<string, number>();

  constructor(config: KerongCuConfigInput, deps: KerongCuDeps = {}) {
    const parsed = kerongCuConfigSchema.parse(config);
    super(parsed.id, 'locker', parsed.model, deps.clock);
    this.config = parsed;
    this.#binding = deps.binding;
    this.#log = (deps.logger ?? pino({ level: 'silent' })).child({ device: parsed.id });
    for (const b of parsed.boards) for (let lock = 1; lock <= b.doors; lock++) this.#doors.set(key(b.address, lock), { open: null, locked: null });
  }

  layout(): LockerBoardLayout[] {
    return this.config.boards.map((b) => ({ board: b.address, doors: b.doors }));
  }

  /** The port is open (the bus is reachable, whatever the boards say). */
  get linkOpen(): boolean {
    return this.#port?.isOpen ?? false;
  }

  // ------------------------------------------------------------------------------ open / close

  async open(): Promise<void> {
    if (this.#port?.isOpen) return;
    this.#closing = false;
    this.setState('connecting', `opening ${this.config.path}`);
    let port: SerialPortStream;
    try {
      port = await openSerialPort({
        path: this.config.path,
        baudRate: this.config.baudRate,
        ...(this.#binding ? { binding: this.#binding } : {}),
      });
    } catch (err) {
      this.setState('offline', `cannot open ${this.config.path}`, err);
      throw new DeviceError('open_failed', `cannot open ${this.config.path}: ${message(err)}`);
    }
    this.#port = port;
    this.#splitter.reset();
    port.on('data', (chunk: Buffer) => this.#onData(new Uint8Array(chunk)));
    port.on('error', (err: Error) => this.#log.debug({ err: err.message }, 'serial error'));
    port.on('close', (err: Error | null) => {
      if (this.#port !== port) return;
      this.#port = null;
      this.#stopPolling();
      const reason = err ? 'unplugged' : 'closed';
      this.#pending?.onClose(err ? `the serial port is gone (${err.message})` : 'the serial port was closed');
      this.setState('offline', reason, err ?? undefined);
    });
    // A first reading of every board: the doors' states, and which boards are there.
    this.#opening = true;
    try {
      for (const b of this.config.boards) await this.#readBoard(b.address);
    } finally {
      this.#opening = false;
    }
    if (!port.isOpen) throw new DeviceError('unplugged', `${this.config.path} went away while reading the boards`);
    this.#updateState();
    this.#schedulePoll();
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#stopPolling();
    const port = this.#port;
    this.#port = null;
    this.#pending?.onClose('the driver was closed');
    if (port) await closeSerialPort(port);
    this.setState('offline', 'closed');
  }

  // ----------------------------------------------------------------------------------- commands

  async unlock(door: DoorAddress): Promise<UnlockResult> {
    this.#checkDoor(door);
    const k = key(door.board, door.lock);
    if (!this.linkOpen) return { ok: false, code: 'disconnected', message: `the lock bus on ${this.config.path} is not connected` };
    // Marked before sending: if the board acts but its reply is lost, the opening is still ours.
    this.#unlockedAt.set(k, performance.now());
    const r = await this.#exchange({ kind: 'unlock', board: door.board, lock: door.lock });
    if (!r.ok) {
      this.#log.warn({ board: door.board, lock: door.lock, code: r.code }, 'unlock failed');
      return r;
    }
    let status = this.#status(door.board, door.lock);
    if (status.open !== true && this.config.unlockSettleMs > 0) {
      // Some doors need a moment to swing past the sensor after the bolt releases.
      await new Promise((resolve) => setTimeout(resolve, this.config.unlockSettleMs));
      const again = await this.#readBoard(door.board);
      if (!again.ok) return again;
      status = this.#status(door.board, door.lock);
    }
    if (status.open === true) return { ok: true, door: status };
    this.#log.warn({ board: door.board, lock: door.lock }, 'door did not open (jammed)');
    return {
      ok: false,
      code: 'jammed',
      message: `door ${door.lock} on board ${door.board} did not open: the board answered the unlock but the door sensor stayed closed`,
    };
  }

  async doorStates(board?: number): Promise<DoorStatus[]> {
    const boards = board === undefined ? this.config.boards : this.config.boards.filter((b) => b.address === board);
    if (boards.length === 0) {
      throw new DeviceError('bad_door', `board ${board} is not configured on ${this.id} (boards: ${this.config.boards.map((b) => b.address).join(', ')})`);
    }
    const out: DoorStatus[] = [];
    for (const b of boards) {
      const r = this.linkOpen ? await this.#readBoard(b.address) : null;
      for (let lock = 1; lock <= b.doors; lock++) {
        out.push(r?.ok ? this.#status(b.address, lock) : { board: b.address, lock, open: null, locked: null });
      }
    }
    return out;
  }

  // --------------------------------------------------------------------------------------- state

  #checkDoor(door: DoorAddress): void {
    const b = this.config.boards.find((x) => x.address === door.board);
    if (!b) throw new DeviceError('bad_door', `board ${door.board} is not configured on ${this.id} (boards: ${this.config.boards.map((x) => x.address).join(', ')})`);
    if (!Number.isInteger(door.lock) || door.lock < 1 || door.lock > b.doors) {
      throw new DeviceError('bad_door', `board ${door.board} has doors 1–${b.doors}, not ${door.lock}`);
    }
  }

  #status(board: number, lock: number): DoorStatus {
    const d = this.#doors.get(key(board, lock));
    return { board, lock, open: d?.open ?? null, locked: d?.locked ?? null };
  }

  /** Reads one board and applies what it says; marks the board silent or answering. */
  async #readBoard(board: number): Promise<Exchange> {
    return this.#exchange({ kind: 'read_status', board });
  }

  /** A board's reply: every configured door's hook switch (engaged = shut and latched). */
  #apply(reply: KerongReply): void {
    const b = this.config.boards.find((x) => x.address === reply.board);
    if (!b) return;
    const at = this.clock.now();
    for (let lock = 1; lock <= b.doors; lock++) {
      const k = key(b.address, lock);
      const before = this.#doors.get(k);
      const latched = reply.hooks[lock - 1] === true;
      const open = !latched;
      this.#doors.set(k, { open, locked: latched });
      if (before?.open === null || before?.open === undefined || before.open === open) continue;
      if (open) {
        const unlockedAt = this.#unlockedAt.get(k);
        const ours = unlockedAt !== undefined && performance.now() - unlockedAt <= this.config.unlockGraceMs;
        this.#unlockedAt.delete(k);
        if (!ours) this.#log.warn({ board: b.address, lock }, 'door forced open');
        this.emit('door.opened', { board: b.address, lock, forced: !ours, at: at.toISOString() });
      } else {
        this.emit('door.closed', { board: b.address, lock, at: at.toISOString() });
      }
    }
  }

  #updateState(): void {
    if (!this.linkOpen || this.#closing || this.#opening) return;
    if (this.#silent.size === 0) {
      this.setState('ready', null);
      return;
    }
    const reasons = [...this.#silent.entries()].map(([board, why]) => `board ${board}: ${why}`);
    this.setState('degraded', reasons.join('; '), reasons[0]);
  }

  // ---------------------------------------------------------------------------------------- poll

  #schedulePoll(): void {
    if (this.#closing || !this.linkOpen || this.#pollTimer) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = null;
      void this.#poll();
    }, this.config.pollIntervalMs);
    this.#pollTimer.unref?.();
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      for (const b of this.config.boards) {
        if (!this.linkOpen || this.#closing) return;
        await this.#readBoard(b.address);
      }
    } catch (e) {
      this.#log.error({ err: message(e) }, 'door poll failed');
    } finally {
      this.#polling = false;
      this.#schedulePoll();
    }
  }

  #stopPolling(): void {
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
  }

  // ----------------------------------------------------------------------------------------- bus

  /** One request/reply on the bus, after any exchange already running; retries corrupt replies. */
  #exchange(command: KerongCommand): Promise<Exchange> {
    const run = async (): Promise<Exchange> => {
      let result: Exchange = { ok: false, code: 'disconnected', message: 'not sent' };
      for (let attempt = 0; attempt <= this.config.retries; attempt++) {
        result = await this.#attempt(command);
        if (result.ok || result.code !== 'bad_reply') break;
        this.#log.debug({ board: command.board, attempt: attempt + 1, why: result.message }, 'corrupt reply, asking again');
      }
      if (result.ok) {
        this.#apply(result.reply);
        if (this.#silent.delete(command.board)) this.#log.info({ board: command.board }, 'board answers again');
        this.#updateState();
      } else if (result.code !== 'disconnected') {
        if (!this.#silent.has(command.board)) this.#log.warn({ board: command.board, code: result.code, why: result.message }, 'board not answering');
        this.#silent.set(command.board, result.code === 'no_answer' ? 'not answering' : 'corrupt replies');
        this.#updateState();
      }
      return result;
    };
    const next = this.#bus.then(run, run);
    this.#bus = next.catch(() => undefined);
    return next;
  }

  #attempt(command: KerongCommand): Promise<Exchange> {
    const port = this.#port;
    if (!port?.isOpen) return Promise.resolve({ ok: false, code: 'disconnected', message: `the lock bus on ${this.config.path} is not connected` });
    const bytes = encodeKerongCommand(command);
    const what = command.kind === 'unlock' ? `unlock of door ${command.lock} on board ${command.board}` : `status of board ${command.board}`;
    return new Promise<Exchange>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let noise: string | null = null;
      let done = false;
      const finish = (r: Exchange): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (this.#pending === pending) this.#pending = null;
        resolve(r);
      };
      const pending: Pending = {
        command,
        onFrame: (frame) => {
          const decoded = decodeKerongReply(frame);
          if (!decoded.ok) {
            finish({ ok: false, code: 'bad_reply', message: `${what}: ${decoded.error.message}` });
            return;
          }
          const reply = decoded.value;
          const matches =
            reply.board === command.board &&
            (command.kind === 'unlock' ? reply.kind === 'unlock' && reply.lock === command.lock : reply.kind === 'status');
          // A late reply to an earlier request that timed out: not ours, keep waiting.
          if (!matches) {
            this.#log.debug({ frame: kerongHex(frame) }, 'reply for another request ignored');
            return;
          }
          finish({ ok: true, reply });
        },
        onGarbage: (corrupt, why) => {
          if (corrupt) finish({ ok: false, code: 'bad_reply', message: `${what}: ${why}` });
          else noise = why;
        },
        onClose: (why) => finish({ ok: false, code: 'disconnected', message: `${what}: ${why}` }),
      };
      // Half duplex: whatever is left of an earlier reply is stale now.
      this.#splitter.reset();
      this.#pending = pending;
      this.#log.trace({ tx: kerongHex(bytes) }, 'frame to board');
      writeSerial(port, bytes).then(
        () => {
          if (done) return;
          timer = setTimeout(
            () =>
              finish(
                noise !== null
                  ? { ok: false, code: 'bad_reply', message: `${what}: no valid reply within ${this.config.responseTimeoutMs} ms (${noise})` }
                  : { ok: false, code: 'no_answer', message: `${what}: no reply within ${this.config.responseTimeoutMs} ms` },
              ),
            this.config.responseTimeoutMs,
          );
        },
        (err: unknown) => finish({ ok: false, code: 'disconnected', message: `${what}: write failed (${message(err)})` }),
      );
    });
  }

  #onData(chunk: Uint8Array): void {
    this.#log.trace({ rx: kerongHex(chunk) }, 'bytes from bus');
    for (const event of this.#splitter.push(chunk)) {
      const pending = this.#pending;
      if (!pending) continue; // unsolicited bytes: a KR-CU board only ever answers
      if (event.type === 'frame') pending.onFrame(event.bytes);
      else pending.onGarbage(event.error.code === 'bad_checksum' || event.error.code === 'bad_etx', event.error.message);
    }
  }
}

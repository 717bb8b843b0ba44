/**
 * The board side of a Kerong KR-CU16-style RS-485 lock bus (protocols/locker-kerong), behind a
 * virtual serial port (../printer/simulated-serial.ts, built on @serialport/binding-mock), so the real
 * driver (./kerong-cu.driver.ts) runs against real bytes in tests and in the demo.
 *
 * The bus holds N boards, each with its doors. A door behaves like a locker compartment with a
 * spring-loaded door: an unlock pulse releases the bolt, the door springs open (hook switch reads
 * released) and stays open until someone shuts it (`closeDoor`), which re-engages the latch.
 *
 * Controls (the simulator panel and tests):
 *  - openByHand(board, lock): the door is forced open (pried, or opened with the mechanical key);
 *  - closeDoor(board, lock): someone shuts the door;
 *  - jam(board, lock, on): the bolt does not release: an unlock is answered, the door stays shut;
 *  - setSilent(board, on): the board stops answering (power lost, address switch changed, cable);
 *  - corruptNextReply(): the next reply goes out with a wrong checksum (line noise);
 *  - unplug() / replug(): the USB–RS-485 adapter is pulled out / put back.
 *
 * Frames not addressed to a board on the bus get no answer, as on a real bus. Host frames that do
 * not decode (noise, bad checksum) are ignored, as the board firmware does.
 */
import { TypedEmitter } from '../device.ts';
import { SimulatedSerialLine } from '../printer/simulated-serial.ts';
import {
  KERONG_LOCKS_PER_BOARD,
  KERONG_MAX_BOARD,
  KerongFrameSplitter,
  decodeKerongCommand,
  encodeKerongReply,
  type KerongCommand,
} from '../../protocols/locker-kerong/index.ts';

export interface SimulatedBoardSpec {
  /** Board address, 0–15 (DIP switch). */
  address: number;
  /** Doors wired to locks 1…doors (a KR-CU16 has 16 channels). */
  doors: number;
}

export interface KerongCuSimulatorOptions {
  /** Serial path in binding-mock's table (unique per simulator). */
  path?: string;
  boards: readonly SimulatedBoardSpec[];
  /** How long a board takes to answer (firmware + the unlock pulse). Default 5 ms. */
  replyDelayMs?: number;
}

/** One simulated door as the panel shows it. */
export interface SimulatedDoorView {
  board: number;
  lock: number;
  /** The door stands open (hook switch released). */
  open: boolean;
  /** The bolt holds the door (shut and latched). */
  locked: boolean;
  jammed: boolean;
}

export interface SimulatedBoardView {
  address: number;
  doors: number;
  silent: boolean;
}

export interface KerongCuSimulatorEvents {
  /** A door, a board or the cable changed (the panel re-reads). */
  changed: [];
  /** A frame the simulator answered or ignored, for tests and the panel's log. */
  command: [{ command: KerongCommand; answered: boolean }];
}

interface SimDoor {
  open: boolean;
  jammed: boolean;
}

interface SimBoard {
  address: number;
  doors: SimDoor[];
  silent: boolean;
}

export class KerongCuSimulator extends TypedEmitter<KerongCuSimulatorEvents> {
  readonly line: SimulatedSerialLine;
  readonly #boards = new Map<number, SimBoard>();
  readonly #splitter = new KerongFrameSplitter('command');
  readonly #replyDelayMs: number;
  #corruptNext = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: KerongCuSimulatorOptions) {
    super();
    if (options.boards.length === 0) throw new RangeError('a simulated locker bus needs at least one board');
    for (const spec of options.boards) {
      if (!Number.isInteger(spec.address) || spec.address < 0 || spec.address > KERONG_MAX_BOARD) {
        throw new RangeError(`board address ${spec.address} is outside 0–${KERONG_MAX_BOARD}`);
      }
      if (!Number.isInteger(spec.doors) || spec.doors < 1 || spec.doors > KERONG_LOCKS_PER_BOARD) {
        throw new RangeError(`board ${spec.address}: ${spec.doors} doors is outside 1–${KERONG_LOCKS_PER_BOARD}`);
      }
      if (this.#boards.has(spec.address)) throw new RangeError(`board address ${spec.address} is used twice on the bus`);
      this.#boards.set(spec.address, {
        address: spec.address,
        silent: false,
        doors: Array.from({ length: spec.doors }, () => ({ open: false, jammed: false })),
      });
    }
    this.#replyDelayMs = options.replyDelayMs ?? 5;
    this.line = new SimulatedSerialLine(options.path ?? '/dev/sim-locker', (bytes) => this.#fromHost(bytes));
  }

  /** Pass to the driver as `binding`. */
  get binding(): SimulatedSerialLine['binding'] {
    return this.line.binding;
  }

  get path(): string {
    return this.line.path;
  }

  get plugged(): boolean {
    return this.line.plugged;
  }

  // ------------------------------------------------------------------------------------- views

  boards(): SimulatedBoardView[] {
    return [...this.#boards.values()].map((b) => ({ address: b.address, doors: b.doors.length, silent: b.silent }));
  }

  doors(): SimulatedDoorView[] {
    const out: SimulatedDoorView[] = [];
    for (const b of this.#boards.values()) {
      b.doors.forEach((d, k) => out.push({ board: b.address, lock: k + 1, open: d.open, locked: !d.open, jammed: d.jammed }));
    }
    return out;
  }

  door(board: number, lock: number): SimulatedDoorView {
    const d = this.#door(board, lock);
    return { board, lock, open: d.open, locked: !d.open, jammed: d.jammed };
  }

  // ---------------------------------------------------------------------------------- controls

  /** The door is forced open (no unlock preceded it). */
  openByHand(board: number, lock: number): void {
    this.#set(board, lock, (d) => (d.open = true));
  }

  /** Someone shuts the door; the latch engages. */
  closeDoor(board: number, lock: number): void {
    this.#set(board, lock, (d) => (d.open = false));
  }

  /** A jammed door ignores unlock pulses (the board still answers). */
  jam(board: number, lock: number, jammed = true): void {
    this.#set(board, lock, (d) => (d.jammed = jammed));
  }

  /** The board stops (or resumes) answering. */
  setSilent(board: number, silent = true): void {
    const b = this.#board(board);
    b.silent = silent;
    this.emit('changed');
  }

  /** The next reply of any board leaves with a wrong checksum. */
  corruptNextReply(): void {
    this.#corruptNext = true;
  }

  unplug(): void {
    this.line.unplug();
    this.emit('changed');
  }

  replug(): void {
    this.line.replug();
    this.emit('changed');
  }

  /** Cancels replies still on their way (tests, daemon stop). */
  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  // ----------------------------------------------------------------------------------- the bus

  #board(address: number): SimBoard {
    const b = this.#boards.get(address);
    if (!b) throw new RangeError(`no board with address ${address} on the simulated bus (boards: ${[...this.#boards.keys()].join(', ')})`);
    return b;
  }

  #door(board: number, lock: number): SimDoor {
    const b = this.#board(board);
    const d = b.doors[lock - 1];
    if (!d) throw new RangeError(`board ${board} has doors 1–${b.doors.length}, not ${lock}`);
    return d;
  }

  #set(board: number, lock: number, change: (d: SimDoor) => void): void {
    change(this.#door(board, lock));
    this.emit('changed');
  }

  #fromHost(bytes: Uint8Array): void {
    for (const event of this.#splitter.push(bytes)) {
      if (event.type !== 'frame') continue; // noise on the bus: the firmware waits for the next STX
      const decoded = decodeKerongCommand(event.bytes);
      if (!decoded.ok) continue;
      this.#handle(decoded.value);
    }
  }

  #handle(command: KerongCommand): void {
    const board = this.#boards.get(command.board);
    if (!board || board.silent) {
      this.emit('command', { command, answered: false });
      return;
    }
    if (command.kind === 'unlock') {
      const d = board.doors[command.lock - 1];
      // The pulse releases the bolt; a spring-loaded door swings open at once. A jammed bolt holds.
      if (d && !d.jammed && !d.open) {
        d.open = true;
        this.emit('changed');
      }
    }
    // Unwired channels have no hook switch: they read "released" (0).
    const hooks = board.doors.map((d) => !d.open);
    const infrared = board.doors.map(() => false);
    const reply =
      command.kind === 'unlock'
        ? encodeKerongReply({ kind: 'unlock', board: board.address, lock: command.lock, hooks, infrared })
        : encodeKerongReply({ kind: 'status', board: board.address, hooks, infrared });
    if (this.#corruptNext) {
      this.#corruptNext = false;
      reply[reply.length - 1] = reply[reply.length - 1]! ^ 0x5a;
    }
    this.emit('command', { command, answered: true });
    this.#later(() => {
      // Two chunks, as a USB–serial adapter often delivers them: the driver must reassemble.
      const cut = 4;
      this.line.send(reply.subarray(0, cut));
      this.#later(() => this.line.send(reply.subarray(cut)), 0);
    }, this.#replyDelayMs);
  }

  #later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }
}

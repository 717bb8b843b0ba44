/**
 * Kerong KR-CU16-style RS-485 lock board frames: pure codec, no I/O.
 *
 * Frame (both directions):
 *
 *   STX 0x02 | ADDR | CMD | DATA (0–n bytes) | ETX 0x03 | SUM
 *
 *   SUM  = low byte of the sum of every byte before it, STX and ETX included
 *          (e.g. the status request of board 0 is 02 00 30 03 35: 0x02+0x00+0x30+0x03 = 0x35).
 *   ADDR = board address in the high nibble (0–15, set with the board's DIP switch) and the lock
 *          channel in the low nibble (0–15 = locks 1–16). Board-level commands send lock nibble 0.
 *
 * Commands used here (host → board, 5 bytes, no data):
 *   0x30  read the state of every lock of the board
 *   0x31  unlock (pulse) one lock
 * Replies (board → host, 9 bytes): the same ADDR and CMD echoed, then four bitmap bytes
 *   HOOK 1–8 | HOOK 9–16 | IR 1–8 | IR 9–16   (bit 0 = lock 1 / lock 9, …)
 *   a HOOK bit is 1 while the lock's hook (latch) switch is engaged, i.e. the door is shut and
 *   latched, and 0 once the bolt is released and the door has sprung open; an IR bit is 1 while the
 *   compartment's infrared sensor (an option on the board) sees something inside.
 * The board answers an unlock with the state of its locks right after the pulse.
 *
 * Sources (public, third-party; they describe the same frame):
 *  - CartWise "RS485 Controller Module - KR-CU16 Protocol" (Python): STX+ADDR+CMD+ETX+SUM, 19200 8N1,
 *    0x30 status / 0x31 unlock, 9-byte status reply with hook and infrared bitmaps, SUM = sum & 0xFF,
 *    hook bit 1 = lock closed;
 *  - a public Node "Kerong Lock Controller Module" for CU12/CU16: the same 5-byte packet and checksum,
 *    lock number (1-based) in the low nibble of ADDR for 0x31, reply bytes 3–6 = hook 1–8, hook 9–16,
 *    IR 1–8, IR 9–16;
 *  - a hub script using the literal frames 02 00 30 03 35 (status) and 02 00 31 03 36 (unlock lock 1)
 *    and "door open when its hook bit is 0".
 * Sources disagree elsewhere: some CU12/CU48 firmwares use a 6-byte frame with the lock number in
 * its own byte and commands 0x50/0x51 (or 0x60/0x61). That variant is NOT what this codec speaks;
 * we follow the CU16 frame above, which three independent sources agree on byte for byte.
 *
 * There is no length field, so the splitter knows each command's length per direction (5 bytes
 * towards the board, 9 bytes from it); a frame with an unknown command is delimited by the first ETX
 * that is followed by a matching SUM.
 */

export const KERONG_STX = 0x02;
export const KERONG_ETX = 0x03;
/** Read the hook and IR bitmaps of one board. */
export const KERONG_CMD_READ_STATUS = 0x30;
/** Release one lock. */
export const KERONG_CMD_UNLOCK = 0x31;
export const KERONG_MAX_BOARD = 15;
export const KERONG_LOCKS_PER_BOARD = 16;
/** The KR-CU16 factory setting: 19200 baud, 8 data bits, no parity, 1 stop bit. */
export const KERONG_DEFAULT_BAUD = 19200;

/** Host → board ('command') or board → host ('reply'): the frame lengths differ. */
export type KerongDirection = 'command' | 'reply';

const COMMAND_LENGTH: Readonly<Record<number, number>> = { [KERONG_CMD_READ_STATUS]: 5, [KERONG_CMD_UNLOCK]: 5 };
const REPLY_LENGTH: Readonly<Record<number, number>> = { [KERONG_CMD_READ_STATUS]: 9, [KERONG_CMD_UNLOCK]: 9 };
/** Shortest frame: STX ADDR CMD ETX SUM. */
export const KERONG_MIN_FRAME = 5;
/** Longest frame the splitter waits for when the command is unknown. */
export const KERONG_MAX_FRAME = 32;

export type KerongCommand = { kind: 'read_status'; board: number } | { kind: 'unlock'; board: number; lock: number };

/** One board's lock states: index 0 = lock 1. */
export interface KerongBoardState {
  board: number;
  /** Hook (latch) switch engaged: door shut and latched. */
  hooks: boolean[];
  /** Infrared sensor sees something in the compartment. */
  infrared: boolean[];
}

export type KerongReply =
  | ({ kind: 'status' } & KerongBoardState)
  | ({ kind: 'unlock'; lock: number } & KerongBoardState);

export type KerongErrorCode = 'short_frame' | 'bad_stx' | 'bad_etx' | 'bad_checksum' | 'bad_length' | 'unknown_command';

export interface KerongDecodeError {
  code: KerongErrorCode;
  message: string;
}

export type KerongDecodeResult<T> = { ok: true; value: T } | { ok: false; error: KerongDecodeError };

// ------------------------------------------------------------------------------------------ bytes

/** SUM: the low byte of the sum of `bytes` (STX … ETX). */
export function kerongChecksum(bytes: Uint8Array | readonly number[]): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return sum & 0xff;
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

/** "02 00 30 03 35", for messages and logs. */
export function kerongHex(bytes: Uint8Array): string {
  return Array.from(bytes, hex).join(' ');
}

function checkBoard(board: number): void {
  if (!Number.isInteger(board) || board < 0 || board > KERONG_MAX_BOARD) {
    throw new RangeError(`board address ${board} is outside 0–${KERONG_MAX_BOARD} (the high nibble of ADDR)`);
  }
}

function checkLock(lock: number): void {
  if (!Number.isInteger(lock) || lock < 1 || lock > KERONG_LOCKS_PER_BOARD) {
    throw new RangeError(`lock number ${lock} is outside 1–${KERONG_LOCKS_PER_BOARD}`);
  }
}

/** Any frame: STX ADDR CMD DATA ETX SUM. */
export function encodeKerongFrame(address: number, command: number, data: readonly number[] = []): Uint8Array {
  const out = new Uint8Array(data.length + 5);
  out[0] = KERONG_STX;
  out[1] = address & 0xff;
  out[2] = command & 0xff;
  out.set(data, 3);
  out[data.length + 3] = KERONG_ETX;
  out[data.length + 4] = kerongChecksum(out.subarray(0, data.length + 4));
  return out;
}

/** A structurally valid frame (STX, ETX and SUM checked). */
export interface KerongFrame {
  address: number;
  command: number;
  data: Uint8Array;
}

/** Checks STX, ETX and SUM of one whole frame. Never throws. */
export function decodeKerongFrame(bytes: Uint8Array): KerongDecodeResult<KerongFrame> {
  if (bytes.length < KERONG_MIN_FRAME) {
    return { ok: false, error: { code: 'short_frame', message: `frame of ${bytes.length} bytes is shorter than ${KERONG_MIN_FRAME} (STX ADDR CMD ETX SUM)` } };
  }
  if (bytes[0] !== KERONG_STX) {
    return { ok: false, error: { code: 'bad_stx', message: `frame starts with ${hex(bytes[0]!)}, not STX 02` } };
  }
  const etx = bytes[bytes.length - 2]!;
  if (etx !== KERONG_ETX) {
    return { ok: false, error: { code: 'bad_etx', message: `byte before the checksum is ${hex(etx)}, not ETX 03` } };
  }
  const sum = bytes[bytes.length - 1]!;
  const expected = kerongChecksum(bytes.subarray(0, bytes.length - 1));
  if (sum !== expected) {
    return { ok: false, error: { code: 'bad_checksum', message: `checksum ${hex(sum)} should be ${hex(expected)} in ${kerongHex(bytes)}` } };
  }
  return { ok: true, value: { address: bytes[1]!, command: bytes[2]!, data: bytes.slice(3, bytes.length - 2) } };
}

// -------------------------------------------------------------------------------------- commands

export function encodeKerongCommand(command: KerongCommand): Uint8Array {
  checkBoard(command.board);
  if (command.kind === 'read_status') return encodeKerongFrame(command.board << 4, KERONG_CMD_READ_STATUS);
  checkLock(command.lock);
  return encodeKerongFrame((command.board << 4) | (command.lock - 1), KERONG_CMD_UNLOCK);
}

/** What the board (simulator) makes of a host frame. Never throws. */
export function decodeKerongCommand(bytes: Uint8Array): KerongDecodeResult<KerongCommand> {
  const frame = decodeKerongFrame(bytes);
  if (!frame.ok) return frame;
  const { address, command, data } = frame.value;
  const expected = COMMAND_LENGTH[command];
  if (expected === undefined) {
    return { ok: false, error: { code: 'unknown_command', message: `command ${hex(command)} is not one this codec speaks (30 status, 31 unlock)` } };
  }
  if (bytes.length !== expected) {
    return { ok: false, error: { code: 'bad_length', message: `command ${hex(command)} frame has ${bytes.length} bytes (${data.length} data), expected ${expected}` } };
  }
  const board = address >> 4;
  if (command === KERONG_CMD_READ_STATUS) return { ok: true, value: { kind: 'read_status', board } };
  return { ok: true, value: { kind: 'unlock', board, lock: (address & 0x0f) + 1 } };
}

// ---------------------------------------------------------------------------------------- replies

function bitmap(bits: readonly boolean[], from: number): number {
  let b = 0;
  for (let k = 0; k < 8; k++) if (bits[from + k]) b |= 1 << k;
  return b;
}

function bits(lo: number, hi: number): boolean[] {
  const out: boolean[] = [];
  for (let k = 0; k < 8; k++) out.push(((lo >> k) & 1) === 1);
  for (let k = 0; k < 8; k++) out.push(((hi >> k) & 1) === 1);
  return out;
}

/** The board's answer (used by the simulator). `hooks` / `infrared` beyond lock 16 are ignored; missing ones are 0. */
export function encodeKerongReply(reply: KerongReply): Uint8Array {
  checkBoard(reply.board);
  const data = [bitmap(reply.hooks, 0), bitmap(reply.hooks, 8), bitmap(reply.infrared, 0), bitmap(reply.infrared, 8)];
  if (reply.kind === 'status') return encodeKerongFrame(reply.board << 4, KERONG_CMD_READ_STATUS, data);
  checkLock(reply.lock);
  return encodeKerongFrame((reply.board << 4) | (reply.lock - 1), KERONG_CMD_UNLOCK, data);
}

/** A board's reply. Never throws: bad bytes come back as `{ ok: false, error }`. */
export function decodeKerongReply(bytes: Uint8Array): KerongDecodeResult<KerongReply> {
  const frame = decodeKerongFrame(bytes);
  if (!frame.ok) return frame;
  const { address, command, data } = frame.value;
  const expected = REPLY_LENGTH[command];
  if (expected === undefined) {
    return { ok: false, error: { code: 'unknown_command', message: `reply to command ${hex(command)} is not one this codec speaks (30 status, 31 unlock)` } };
  }
  if (bytes.length !== expected) {
    return { ok: false, error: { code: 'bad_length', message: `reply to ${hex(command)} has ${bytes.length} bytes, expected ${expected} (4 bitmap bytes)` } };
  }
  const state = { board: address >> 4, hooks: bits(data[0]!, data[1]!), infrared: bits(data[2]!, data[3]!) };
  if (command === KERONG_CMD_READ_STATUS) return { ok: true, value: { kind: 'status', ...state } };
  return { ok: true, value: { kind: 'unlock', lock: (address & 0x0f) + 1, ...state } };
}

// --------------------------------------------------------------------------------------- splitter

export type KerongSplitEvent =
  | { type: 'frame'; bytes: Uint8Array }
  /** Bytes that are not a frame: line noise between frames, or a frame whose ETX/SUM is wrong. */
  | { type: 'garbage'; bytes: Uint8Array; error: KerongDecodeError };

/**
 * Cuts a byte stream (any chunking) into frames of one direction. Bytes before an STX are garbage;
 * a candidate whose ETX or SUM is wrong is reported as garbage with the reason — unless a later STX
 * inside it starts a valid frame, in which case only the bytes before that STX are garbage (noise
 * that happened to contain 0x02). Never throws.
 */
export class KerongFrameSplitter {
  readonly #lengths: Readonly<Record<number, number>>;
  #buf: Uint8Array = new Uint8Array(0);

  constructor(readonly direction: KerongDirection) {
    this.#lengths = direction === 'command' ? COMMAND_LENGTH : REPLY_LENGTH;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.#buf.length;
  }

  /** Forgets a partial frame (a new request on a half-duplex bus: a late half-reply is stale). */
  reset(): Uint8Array {
    const dropped = this.#buf;
    this.#buf = new Uint8Array(0);
    return dropped;
  }

  push(chunk: Uint8Array): KerongSplitEvent[] {
    const events: KerongSplitEvent[] = [];
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf, 0);
    joined.set(chunk, this.#buf.length);
    let buf = joined;

    for (;;) {
      // Noise before the next STX.
      const stx = buf.indexOf(KERONG_STX);
      if (stx < 0) {
        if (buf.length > 0) events.push(garbage(buf, 'bad_stx', `${buf.length} byte(s) without STX: ${kerongHex(buf)}`));
        buf = new Uint8Array(0);
        break;
      }
      if (stx > 0) {
        events.push(garbage(buf.subarray(0, stx), 'bad_stx', `${stx} byte(s) before STX: ${kerongHex(buf.subarray(0, stx))}`));
        buf = buf.subarray(stx);
      }
      const probe = this.#probe(buf);
      if (probe.status === 'incomplete') break;
      if (probe.status === 'complete') {
        events.push({ type: 'frame', bytes: buf.slice(0, probe.length) });
        buf = buf.subarray(probe.length);
        continue;
      }
      // Invalid candidate: resync on a later STX inside it that starts a frame, if there is one.
      const candidate = buf.subarray(0, probe.length);
      let resync = -1;
      for (let k = 1; k < candidate.length; k++) {
        if (candidate[k] !== KERONG_STX) continue;
        const later = this.#probe(buf.subarray(k));
        if (later.status !== 'invalid') {
          resync = k;
          break;
        }
      }
      const cut = resync > 0 ? resync : probe.length;
      events.push({ type: 'garbage', bytes: buf.slice(0, cut), error: probe.error });
      buf = buf.subarray(cut);
    }
    this.#buf = buf.slice();
    return events;
  }

  #probe(buf: Uint8Array): { status: 'complete'; length: number } | { status: 'incomplete' } | { status: 'invalid'; length: number; error: KerongDecodeError } {
    if (buf.length < 3) return { status: 'incomplete' };
    const known = this.#lengths[buf[2]!];
    if (known !== undefined) {
      if (buf.length < known) return { status: 'incomplete' };
      const r = decodeKerongFrame(buf.subarray(0, known));
      return r.ok ? { status: 'complete', length: known } : { status: 'invalid', length: known, error: r.error };
    }
    // Unknown command: the first ETX followed by a matching SUM ends it.
    const limit = Math.min(buf.length, KERONG_MAX_FRAME);
    for (let end = KERONG_MIN_FRAME; end <= limit; end++) {
      if (buf[end - 2] === KERONG_ETX && buf[end - 1] === kerongChecksum(buf.subarray(0, end - 1))) return { status: 'complete', length: end };
    }
    // No end yet; but if a valid frame of a known command starts later, this STX was noise.
    for (let k = 1; k < buf.length; k++) {
      if (buf[k] !== KERONG_STX || k + 3 > buf.length) continue;
      const len = this.#lengths[buf[k + 2]!];
      if (len !== undefined && k + len <= buf.length && decodeKerongFrame(buf.subarray(k, k + len)).ok) {
        return { status: 'invalid', length: k, error: { code: 'unknown_command', message: `command ${hex(buf[2]!)} is unknown and no frame end follows it` } };
      }
    }
    if (buf.length < KERONG_MAX_FRAME) return { status: 'incomplete' };
    return {
      status: 'invalid',
      length: KERONG_MAX_FRAME,
      error: { code: 'bad_etx', message: `no ETX with a matching checksum within ${KERONG_MAX_FRAME} bytes of STX` },
    };
  }
}

function garbage(bytes: Uint8Array, code: KerongErrorCode, message: string): KerongSplitEvent {
  return { type: 'garbage', bytes: bytes.slice(), error: { code, message } };
}

/**
 * Linux input events (`/dev/input/eventN`, linux/input.h) and keyboard-wedge scan assembly. Pure: no
 * I/O, no clock — times come from the events' own timestamps.
 *
 * `struct input_event` on 64-bit Linux is 24 bytes: `struct timeval` (tv_sec s64, tv_usec s64), then
 * type u16, code u16, value s32, all in host byte order (little-endian on x86 and ARM). 32-bit
 * userspace with a 32-bit time_t has a 16-byte record (s32 seconds and microseconds).
 * A key press is EV_KEY with value 1, a release value 0, autorepeat value 2; EV_SYN/SYN_REPORT closes
 * each packet; EV_MSC/MSC_SCAN carries the raw scan code.
 *
 * A keyboard-wedge scanner types the barcode as keystrokes (devices.md §3). Its keys are mapped with
 * a US layout (scanners are configured for it; a national layout on the scanner swaps y/z and puts
 * č/š/ž on other keys — configure the scanner for US). Scans are told apart from a person typing by
 * speed: scanners send a key every 1–19 ms (NielsLeenheer/KeyboardBarcodeScanner measured this and
 * uses a 40 ms threshold), so a longer gap starts a new buffer.
 */

export const EV_SYN = 0x00;
export const EV_KEY = 0x01;
export const EV_MSC = 0x04;
export const SYN_REPORT = 0;
export const MSC_SCAN = 4;

export const INPUT_EVENT_SIZE_64 = 24;
export const INPUT_EVENT_SIZE_32 = 16;
export type InputEventSize = typeof INPUT_EVENT_SIZE_64 | typeof INPUT_EVENT_SIZE_32;

/** Linux key codes used below (linux/input-event-codes.h). */
export const KEY = {
  ESC: 1,
  BACKSPACE: 14,
  TAB: 15,
  ENTER: 28,
  LEFTCTRL: 29,
  LEFTSHIFT: 42,
  RIGHTSHIFT: 54,
  LEFTALT: 56,
  SPACE: 57,
  CAPSLOCK: 58,
  NUMLOCK: 69,
  KPENTER: 96,
  RIGHTCTRL: 97,
  RIGHTALT: 100,
} as const;

export interface InputEvent {
  sec: number;
  usec: number;
  type: number;
  code: number;
  value: number;
  /** sec and usec as milliseconds. */
  timeMs: number;
}

/** Splits a byte stream into input events; records may be cut anywhere between chunks. */
export class InputEventParser {
  readonly #size: InputEventSize;
  #rest: Uint8Array = new Uint8Array(0);

  constructor(recordSize: InputEventSize = INPUT_EVENT_SIZE_64) {
    this.#size = recordSize;
  }

  push(chunk: Uint8Array): InputEvent[] {
    let buf = chunk;
    if (this.#rest.length > 0) {
      buf = new Uint8Array(this.#rest.length + chunk.length);
      buf.set(this.#rest);
      buf.set(chunk, this.#rest.length);
    }
    const events: InputEvent[] = [];
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let at = 0;
    for (; at + this.#size <= buf.length; at += this.#size) events.push(decodeInputEvent(view, at, this.#size));
    this.#rest = buf.slice(at);
    return events;
  }
}

function decodeInputEvent(view: DataView, at: number, size: InputEventSize): InputEvent {
  const wide = size === INPUT_EVENT_SIZE_64;
  const sec = wide ? Number(view.getBigInt64(at, true)) : view.getInt32(at, true);
  const usec = wide ? Number(view.getBigInt64(at + 8, true)) : view.getInt32(at + 4, true);
  const o = wide ? 16 : 8;
  return {
    sec,
    usec,
    type: view.getUint16(at + o, true),
    code: view.getUint16(at + o + 2, true),
    value: view.getInt32(at + o + 4, true),
    timeMs: sec * 1000 + usec / 1000,
  };
}

export function encodeInputEvent(event: Omit<InputEvent, 'timeMs'>, size: InputEventSize = INPUT_EVENT_SIZE_64): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const wide = size === INPUT_EVENT_SIZE_64;
  if (wide) {
    view.setBigInt64(0, BigInt(event.sec), true);
    view.setBigInt64(8, BigInt(event.usec), true);
  } else {
    view.setInt32(0, event.sec, true);
    view.setInt32(4, event.usec, true);
  }
  const o = wide ? 16 : 8;
  view.setUint16(o, event.type, true);
  view.setUint16(o + 2, event.code, true);
  view.setInt32(o + 4, event.value, true);
  return out;
}

/** US layout: key code → [unshifted, shifted]. Keypad keys assume Num Lock on. */
export const US_KEYMAP: Readonly<Record<number, readonly [string, string]>> = (() => {
  const map: Record<number, readonly [string, string]> = {};
  const row = (first: number, plain: string, shifted: string): void => {
    [...plain].forEach((c, k) => {
      map[first + k] = [c, shifted[k] ?? c];
    });
  };
  row(2, '1234567890-=', '!@#$%^&*()_+');
  row(16, 'qwertyuiop[]', 'QWERTYUIOP{}');
  row(30, "asdfghjkl;'`", 'ASDFGHJKL:"~');
  row(43, '\\zxcvbnm,./', '|ZXCVBNM<>?');
  map[KEY.SPACE] = [' ', ' '];
  map[55] = ['*', '*'];
  row(71, '789-456+1230.', '789-456+1230.');
  map[98] = ['/', '/'];
  return map;
})();

const isLetter = (c: string): boolean => /^[a-z]$/i.test(c);

export type KeyboardScanEvent =
  | { type: 'scan'; text: string; startMs: number; endMs: number }
  /** Characters dropped: a gap longer than `maxInterKeyMs` (a person typing), an editing key, or too few characters. */
  | { type: 'discarded'; text: string; reason: 'slow-typing' | 'other-key' | 'too-short' };

export interface KeyboardScanAssemblerOptions {
  /** Key that ends a scan. Default Enter (keypad Enter too). */
  terminator?: 'enter' | 'tab';
  /** Longest gap between keystrokes of one scan, ms; null accepts any speed. Default 50. */
  maxInterKeyMs?: number | null;
  /** Shortest scan; shorter input before the terminator is discarded. Default 1. */
  minLength?: number;
}

/**
 * Turns key events into scans: tracks Shift, Caps Lock and Ctrl (Ctrl+letter gives the control
 * character, so a GS1 separator sent as Ctrl+] arrives as 0x1D), collects characters, and ends a scan
 * at the terminator key.
 */
export class KeyboardScanAssembler {
  readonly #terminator: 'enter' | 'tab';
  readonly #maxGap: number | null;
  readonly #minLength: number;
  #shift = 0;
  #ctrl = 0;
  #capsLock = false;
  #buffer = '';
  #startMs = 0;
  #lastMs = Number.NEGATIVE_INFINITY;

  constructor(options: KeyboardScanAssemblerOptions = {}) {
    this.#terminator = options.terminator ?? 'enter';
    this.#maxGap = options.maxInterKeyMs === undefined ? 50 : options.maxInterKeyMs;
    this.#minLength = options.minLength ?? 1;
  }

  reset(): void {
    this.#buffer = '';
    this.#shift = 0;
    this.#ctrl = 0;
    this.#lastMs = Number.NEGATIVE_INFINITY;
  }

  push(event: InputEvent): KeyboardScanEvent | null {
    if (event.type !== EV_KEY) return null;
    const { code, value } = event;
    if (code === KEY.LEFTSHIFT || code === KEY.RIGHTSHIFT) {
      this.#shift = Math.max(0, this.#shift + (value === 1 ? 1 : value === 0 ? -1 : 0));
      return null;
    }
    if (code === KEY.LEFTCTRL || code === KEY.RIGHTCTRL) {
      this.#ctrl = Math.max(0, this.#ctrl + (value === 1 ? 1 : value === 0 ? -1 : 0));
      return null;
    }
    // Only presses type; releases and autorepeat do not.
    if (value !== 1) return null;
    if (code === KEY.CAPSLOCK) {
      this.#capsLock = !this.#capsLock;
      return null;
    }
    if (code === KEY.LEFTALT || code === KEY.RIGHTALT || code === KEY.NUMLOCK) return null;

    const slow = this.#buffer !== '' && this.#maxGap !== null && event.timeMs - this.#lastMs > this.#maxGap;
    const terminator = this.#terminator === 'enter' ? code === KEY.ENTER || code === KEY.KPENTER : code === KEY.TAB;
    if (terminator) {
      const text = this.#buffer;
      const startMs = this.#startMs;
      this.#buffer = '';
      this.#lastMs = Number.NEGATIVE_INFINITY;
      if (slow) return { type: 'discarded', text, reason: 'slow-typing' };
      if (text.length < this.#minLength) return text ? { type: 'discarded', text, reason: 'too-short' } : null;
      return { type: 'scan', text, startMs, endMs: event.timeMs };
    }
    const keys = US_KEYMAP[code];
    if (!keys) {
      // Backspace, Escape, arrows…: a person is editing; whatever was collected is not a scan.
      const text = this.#buffer;
      this.#buffer = '';
      return text ? { type: 'discarded', text, reason: 'other-key' } : null;
    }
    let c = this.#shift > 0 ? keys[1] : keys[0];
    if (this.#capsLock && isLetter(c)) c = this.#shift > 0 ? c.toLowerCase() : c.toUpperCase();
    if (this.#ctrl > 0) {
      const ctrlCode = /^[a-z]$/i.test(c) ? c.toUpperCase().charCodeAt(0) - 0x40 : { '[': 0x1b, '\\': 0x1c, ']': 0x1d, '^': 0x1e, _: 0x1f }[c];
      if (ctrlCode === undefined) return null;
      c = String.fromCharCode(ctrlCode);
    }
    let discarded: KeyboardScanEvent | null = null;
    if (slow) {
      discarded = { type: 'discarded', text: this.#buffer, reason: 'slow-typing' };
      this.#buffer = '';
    }
    if (this.#buffer === '') this.#startMs = event.timeMs;
    this.#buffer += c;
    this.#lastMs = event.timeMs;
    return discarded;
  }
}

export interface TypeTextOptions {
  /** Time of the first key, ms since the epoch. Default 0. */
  startMs?: number;
  /** Between successive key presses. Default 8 ms (a typical scanner). */
  interKeyMs?: number;
  recordSize?: InputEventSize;
  /** Key sent after the text. Default 'enter'; null sends none. */
  terminator?: 'enter' | 'tab' | null;
}

/** Reverse of US_KEYMAP for typing text; keypad codes are skipped (scanners use the main keys). */
const KEY_FOR_CHAR: ReadonlyMap<string, { code: number; shift: boolean }> = (() => {
  const m = new Map<string, { code: number; shift: boolean }>();
  for (const [code, [plain, shifted]] of Object.entries(US_KEYMAP)) {
    const n = Number(code);
    if (n >= 71 && n <= 98) continue;
    if (!m.has(plain)) m.set(plain, { code: n, shift: false });
    if (!m.has(shifted)) m.set(shifted, { code: n, shift: true });
  }
  return m;
})();

/**
 * The input events a US-layout keyboard wedge produces when it types `text` (for the simulator and
 * tests): Shift around capitals and symbols, EV_SYN after each key event. Throws for characters a
 * US keyboard cannot type.
 */
export function typeText(text: string, options: TypeTextOptions = {}): Uint8Array {
  const size = options.recordSize ?? INPUT_EVENT_SIZE_64;
  const step = options.interKeyMs ?? 8;
  let t = options.startMs ?? 0;
  const records: Uint8Array[] = [];
  const at = (ms: number): { sec: number; usec: number } => ({ sec: Math.floor(ms / 1000), usec: Math.round((ms % 1000) * 1000) });
  const key = (code: number, value: number, ms: number): void => {
    records.push(encodeInputEvent({ ...at(ms), type: EV_KEY, code, value }, size));
    records.push(encodeInputEvent({ ...at(ms), type: EV_SYN, code: SYN_REPORT, value: 0 }, size));
  };
  const press = (code: number, shift: boolean): void => {
    if (shift) key(KEY.LEFTSHIFT, 1, t);
    key(code, 1, t);
    key(code, 0, t + 1);
    if (shift) key(KEY.LEFTSHIFT, 0, t + 1);
    t += step;
  };
  for (const c of text) {
    const k = KEY_FOR_CHAR.get(c);
    if (!k) throw new RangeError(`a US keyboard cannot type ${JSON.stringify(c)}`);
    press(k.code, k.shift);
  }
  if (options.terminator !== null) press(options.terminator === 'tab' ? KEY.TAB : KEY.ENTER, false);
  const out = new Uint8Array(records.length * size);
  records.forEach((r, k) => out.set(r, k * size));
  return out;
}

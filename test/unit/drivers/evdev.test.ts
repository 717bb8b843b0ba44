/** Linux input_event records and keyboard-wedge scan assembly (drivers/scanner/evdev.ts). */
import { describe, expect, it } from 'vitest';
import {
  EV_KEY,
  EV_SYN,
  encodeInputEvent,
  type InputEvent,
  InputEventParser,
  KEY,
  KeyboardScanAssembler,
  typeText,
} from '../../../drivers/scanner/evdev.ts';

/** A 24-byte record built by hand, field by field, as struct input_event lays it out on x86-64. */
function record64(sec: number, usec: number, type: number, code: number, value: number): Uint8Array {
  const b = Buffer.alloc(24);
  b.writeBigInt64LE(BigInt(sec), 0); // tv_sec
  b.writeBigInt64LE(BigInt(usec), 8); // tv_usec
  b.writeUInt16LE(type, 16);
  b.writeUInt16LE(code, 18);
  b.writeInt32LE(value, 20);
  return new Uint8Array(b);
}

function key(code: number, value: number, ms: number): InputEvent {
  return { sec: Math.floor(ms / 1000), usec: (ms % 1000) * 1000, type: EV_KEY, code, value, timeMs: ms };
}

describe('struct input_event', () => {
  it('reads the 24-byte 64-bit layout: timeval 16 bytes, type u16, code u16, value s32', () => {
    const parser = new InputEventParser();
    expect(parser.push(record64(1_767_225_600, 250_000, EV_KEY, 30, 1))).toEqual([
      { sec: 1_767_225_600, usec: 250_000, type: EV_KEY, code: 30, value: 1, timeMs: 1_767_225_600_250 },
    ]);
  });

  it('reads the 16-byte layout of a 32-bit time_t', () => {
    const b = Buffer.alloc(16);
    b.writeInt32LE(100, 0);
    b.writeInt32LE(5000, 4);
    b.writeUInt16LE(EV_KEY, 8);
    b.writeUInt16LE(KEY.ENTER, 10);
    b.writeInt32LE(0, 12);
    expect(new InputEventParser(16).push(new Uint8Array(b))).toEqual([{ sec: 100, usec: 5000, type: EV_KEY, code: KEY.ENTER, value: 0, timeMs: 100_005 }]);
  });

  it('reassembles records cut across chunks, and keeps negative values', () => {
    const bytes = Buffer.concat([record64(1, 0, EV_KEY, 2, 1), record64(1, 1000, EV_SYN, 0, 0), record64(1, 2000, 3, 0, -5)]);
    const parser = new InputEventParser();
    const events = [bytes.subarray(0, 5), bytes.subarray(5, 30), bytes.subarray(30, 71), bytes.subarray(71)].flatMap((c) => parser.push(new Uint8Array(c)));
    expect(events.map((e) => [e.type, e.code, e.value])).toEqual([
      [EV_KEY, 2, 1],
      [EV_SYN, 0, 0],
      [3, 0, -5],
    ]);
  });

  it('encodes what it decodes', () => {
    expect(Buffer.from(encodeInputEvent({ sec: 7, usec: 8, type: EV_KEY, code: 44, value: 2 })).equals(Buffer.from(record64(7, 8, EV_KEY, 44, 2)))).toBe(true);
  });

  it('types capitals and symbols with Shift held around the key (US layout)', () => {
    const events = new InputEventParser().push(typeText('aB!', { terminator: null })).filter((e) => e.type === EV_KEY);
    expect(events.map((e) => [e.code, e.value])).toEqual([
      [30, 1], [30, 0], // a
      [KEY.LEFTSHIFT, 1], [48, 1], [48, 0], [KEY.LEFTSHIFT, 0], // B
      [KEY.LEFTSHIFT, 1], [2, 1], [2, 0], [KEY.LEFTSHIFT, 0], // !
    ]);
    expect(() => typeText('č')).toThrow(RangeError);
  });
});

describe('keyboard-wedge scan assembly', () => {
  const feed = (assembler: KeyboardScanAssembler, bytes: Uint8Array) =>
    new InputEventParser().push(bytes).flatMap((e) => {
      const out = assembler.push(e);
      return out ? [out] : [];
    });

  it('turns fast keystrokes ended by Enter into a scan, Shift giving capitals', () => {
    expect(feed(new KeyboardScanAssembler(), typeText('Lib-0042/X', { startMs: 1000, interKeyMs: 10 }))).toEqual([
      { type: 'scan', text: 'Lib-0042/X', startMs: 1000, endMs: 1100 },
    ]);
  });

  it('drops slow typing (gap over maxInterKeyMs) but accepts it when the check is off', () => {
    expect(feed(new KeyboardScanAssembler(), typeText('abc', { interKeyMs: 200 }))).toEqual([
      { type: 'discarded', text: 'a', reason: 'slow-typing' },
      { type: 'discarded', text: 'b', reason: 'slow-typing' },
      { type: 'discarded', text: 'c', reason: 'slow-typing' },
    ]);
    expect(feed(new KeyboardScanAssembler({ maxInterKeyMs: null }), typeText('abc', { interKeyMs: 200 }))).toMatchObject([{ type: 'scan', text: 'abc' }]);
  });

  it('handles Caps Lock, Ctrl+] (GS), autorepeat, editing keys, Tab as terminator and a minimum length', () => {
    const a = new KeyboardScanAssembler({ terminator: 'tab', minLength: 2 });
    const out = [
      key(KEY.CAPSLOCK, 1, 0), key(KEY.CAPSLOCK, 0, 1),
      key(30, 1, 2), key(30, 2, 3), key(30, 0, 4), // a (caps) + autorepeat
      key(KEY.LEFTSHIFT, 1, 5), key(31, 1, 6), key(31, 0, 7), key(KEY.LEFTSHIFT, 0, 8), // shift+s with caps = s
      key(KEY.LEFTCTRL, 1, 9), key(27, 1, 10), key(27, 0, 11), key(KEY.LEFTCTRL, 0, 12), // Ctrl+] = 0x1D
      key(KEY.TAB, 1, 13),
      key(32, 1, 14), key(KEY.BACKSPACE, 1, 15), // editing: discarded
      key(33, 1, 16), key(KEY.TAB, 1, 17), // one character: too short
    ].flatMap((e) => a.push(e) ?? []);
    expect(out).toEqual([
      { type: 'scan', text: 'As\u001d', startMs: 2, endMs: 13 },
      { type: 'discarded', text: 'D', reason: 'other-key' }, // Caps Lock is still on
      { type: 'discarded', text: 'F', reason: 'too-short' },
    ]);
  });
});

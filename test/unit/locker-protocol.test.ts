/**
 * The Kerong KR-CU16-style lock board codec (protocols/locker-kerong): the exact bytes on the RS-485
 * wire, the checksum, every way a frame can be bad (returned as data, never thrown), and frames cut
 * out of a byte stream however it is chunked.
 */
import { describe, expect, it } from 'vitest';
import {
  KerongFrameSplitter,
  decodeKerongCommand,
  decodeKerongFrame,
  decodeKerongReply,
  encodeKerongCommand,
  encodeKerongReply,
  kerongChecksum,
  kerongHex,
  type KerongSplitEvent,
} from '../../protocols/locker-kerong/index.ts';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.split(/\s+/).filter(Boolean), (b) => Number.parseInt(b, 16));

/** Doors 1..n latched except the listed open ones. */
function hooks(n: number, open: number[] = []): boolean[] {
  return Array.from({ length: 16 }, (_, k) => k < n && !open.includes(k + 1));
}
const noIr = Array.from({ length: 16 }, () => false);

describe('Kerong frames: golden bytes', () => {
  it('reads the status of a board: STX ADDR(board<<4) 30 ETX SUM', () => {
    // The literal frame of the public sources for board 0.
    expect(kerongHex(encodeKerongCommand({ kind: 'read_status', board: 0 }))).toBe('02 00 30 03 35');
    expect(kerongHex(encodeKerongCommand({ kind: 'read_status', board: 1 }))).toBe('02 10 30 03 45');
    expect(kerongHex(encodeKerongCommand({ kind: 'read_status', board: 15 }))).toBe('02 F0 30 03 25');
  });

  it('unlocks one lock: the lock (1-based) in the low nibble of ADDR', () => {
    expect(kerongHex(encodeKerongCommand({ kind: 'unlock', board: 0, lock: 1 }))).toBe('02 00 31 03 36');
    expect(kerongHex(encodeKerongCommand({ kind: 'unlock', board: 0, lock: 12 }))).toBe('02 0B 31 03 41');
    expect(kerongHex(encodeKerongCommand({ kind: 'unlock', board: 2, lock: 16 }))).toBe('02 2F 31 03 65');
  });

  it("answers with the hook and infrared bitmaps, lock 1 in bit 0", () => {
    // 12 doors, door 3 and door 10 open: hooks 1–8 = 1111 1011, 9–16 = 0000 1101; IR of door 1.
    const ir = noIr.map((_, k) => k === 0);
    const status = encodeKerongReply({ kind: 'status', board: 0, hooks: hooks(12, [3, 10]), infrared: ir });
    expect(kerongHex(status)).toBe('02 00 30 FB 0D 01 00 03 3E');
    const unlock = encodeKerongReply({ kind: 'unlock', board: 1, lock: 3, hooks: hooks(12, [3]), infrared: noIr });
    expect(kerongHex(unlock)).toBe('02 12 31 FB 0F 00 00 03 52');
  });

  it('checksum is the low byte of the sum of STX … ETX', () => {
    expect(kerongChecksum(bytes('02 00 30 03'))).toBe(0x35);
    expect(kerongChecksum(bytes('02 F0 30 FF FF FF FF 03'))).toBe((0x02 + 0xf0 + 0x30 + 4 * 0xff + 0x03) & 0xff);
  });

  it('refuses to encode a board or lock that does not exist on a KR-CU bus', () => {
    expect(() => encodeKerongCommand({ kind: 'read_status', board: 16 })).toThrow(/board address 16 is outside 0–15/);
    expect(() => encodeKerongCommand({ kind: 'unlock', board: 0, lock: 0 })).toThrow(/lock number 0 is outside 1–16/);
    expect(() => encodeKerongCommand({ kind: 'unlock', board: 0, lock: 17 })).toThrow(/lock number 17/);
  });
});

describe('Kerong decode: errors are data', () => {
  it('decodes what it encodes, both directions', () => {
    expect(decodeKerongCommand(bytes('02 0B 31 03 41'))).toEqual({ ok: true, value: { kind: 'unlock', board: 0, lock: 12 } });
    expect(decodeKerongCommand(bytes('02 10 30 03 45'))).toEqual({ ok: true, value: { kind: 'read_status', board: 1 } });
    const r = decodeKerongReply(bytes('02 00 30 FB 0D 01 00 03 3E'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.kind).toBe('status');
    expect(r.value.hooks.slice(0, 12)).toEqual(hooks(12, [3, 10]).slice(0, 12));
    expect(r.value.hooks.slice(12)).toEqual([false, false, false, false]);
    expect(r.value.infrared.indexOf(true)).toBe(0);
    expect(decodeKerongReply(bytes('02 12 31 FB 0F 00 00 03 52'))).toMatchObject({ ok: true, value: { kind: 'unlock', board: 1, lock: 3 } });
  });

  it('reports a wrong checksum with both values', () => {
    const r = decodeKerongReply(bytes('02 00 30 FB 0D 01 00 03 42'));
    expect(r).toEqual({ ok: false, error: { code: 'bad_checksum', message: expect.stringContaining('checksum 42 should be 3E') } });
  });

  it('reports a short frame, a wrong STX and a wrong ETX', () => {
    expect(decodeKerongFrame(bytes('02 00 30 03'))).toMatchObject({ ok: false, error: { code: 'short_frame' } });
    expect(decodeKerongFrame(new Uint8Array(0))).toMatchObject({ ok: false, error: { code: 'short_frame' } });
    expect(decodeKerongFrame(bytes('05 00 30 03 38'))).toMatchObject({ ok: false, error: { code: 'bad_stx', message: expect.stringContaining('05') } });
    expect(decodeKerongFrame(bytes('02 00 30 04 36'))).toMatchObject({ ok: false, error: { code: 'bad_etx' } });
  });

  it('reports a reply with the wrong length and an unknown command', () => {
    // A valid frame, but a status reply must carry 4 bitmap bytes.
    const short = Uint8Array.from([0x02, 0x00, 0x30, 0xff, 0x03, 0]);
    short[5] = kerongChecksum(short.subarray(0, 5));
    expect(decodeKerongReply(short)).toMatchObject({ ok: false, error: { code: 'bad_length' } });
    const unknown = Uint8Array.from([0x02, 0x00, 0x37, 0x03, 0x3c]);
    expect(decodeKerongCommand(unknown)).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
  });

  it('never throws on random bytes', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    for (let k = 0; k < 2000; k++) {
      const b = Uint8Array.from({ length: rnd() % 12 }, rnd);
      if (b.length > 0 && k % 2 === 0) b[0] = 0x02;
      expect(() => decodeKerongReply(b)).not.toThrow();
      expect(() => decodeKerongCommand(b)).not.toThrow();
    }
  });
});

describe('Kerong splitter', () => {
  const frames = (events: KerongSplitEvent[]): string[] => events.filter((e) => e.type === 'frame').map((e) => kerongHex(e.bytes));
  const status = '02 00 30 FB 0D 01 00 03 3E';
  const unlock = '02 12 31 FB 0F 00 00 03 52';

  it('reassembles a reply written one byte at a time', () => {
    const s = new KerongFrameSplitter('reply');
    const out: KerongSplitEvent[] = [];
    for (const b of bytes(status)) out.push(...s.push(Uint8Array.of(b)));
    expect(frames(out)).toEqual([status]);
    expect(out).toHaveLength(1);
    expect(s.pendingBytes).toBe(0);
  });

  it('cuts two replies out of one chunk and drops line noise between them', () => {
    const s = new KerongFrameSplitter('reply');
    const out = s.push(bytes(`FF 00 ${status} 7E 7E ${unlock}`));
    expect(frames(out)).toEqual([status, unlock]);
    const noise = out.filter((e) => e.type === 'garbage');
    expect(noise.map((e) => [kerongHex(e.bytes), e.type === 'garbage' && e.error.code])).toEqual([
      ['FF 00', 'bad_stx'],
      ['7E 7E', 'bad_stx'],
    ]);
  });

  it('reports a corrupt reply as garbage with its reason, and carries on', () => {
    const s = new KerongFrameSplitter('reply');
    const out = s.push(bytes(`02 00 30 FB 0D 01 00 03 99 ${unlock}`));
    expect(out[0]).toMatchObject({ type: 'garbage', error: { code: 'bad_checksum' } });
    expect(frames(out)).toEqual([unlock]);
  });

  it('resyncs on a real frame that starts inside noise holding an STX', () => {
    const s = new KerongFrameSplitter('reply');
    // A stray 02 then the real reply: the first candidate fails, the STX inside it is the reply.
    const out = [...s.push(bytes('02 11')), ...s.push(bytes(status))];
    expect(frames(out)).toEqual([status]);
    expect(out[0]).toMatchObject({ type: 'garbage' });
  });

  it('splits host commands (5 bytes) in the command direction', () => {
    const s = new KerongFrameSplitter('command');
    const out = [...s.push(bytes('02 00 30 03')), ...s.push(bytes('35 02 0B 31')), ...s.push(bytes('03 41'))];
    expect(frames(out)).toEqual(['02 00 30 03 35', '02 0B 31 03 41']);
  });

  it('delimits an unknown command by ETX and a matching SUM', () => {
    const s = new KerongFrameSplitter('command');
    // 0x37 with two data bytes (unlock time on some firmwares): not ours, but a whole frame.
    const f = Uint8Array.from([0x02, 0x00, 0x37, 0x00, 0x32, 0x03, 0]);
    f[6] = kerongChecksum(f.subarray(0, 6));
    expect(frames(s.push(f))).toEqual([kerongHex(f)]);
  });

  it('reset() forgets half a frame', () => {
    const s = new KerongFrameSplitter('reply');
    s.push(bytes('02 00 30 FB'));
    expect(s.pendingBytes).toBe(4);
    s.reset();
    expect(frames(s.push(bytes(status)))).toEqual([status]);
  });
});

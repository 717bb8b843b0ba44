import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes as h } from '../../../protocols/crc/index.ts';
import { encodeThreeMFrame, ThreeMFrameSplitter, type SplitterEvent } from '../../../protocols/3m810/index.ts';

/** Frame from D6 + LEN + body (the BCC gets computed). */
const encodeWithBcc = (headAndBody: Uint8Array): Uint8Array => encodeThreeMFrame(headAndBody.subarray(3));

const INVENTORY = h('D6 00 0F FE 00 00 05 01 E0 04 01 00 12 34 56 78 13 EC');
const GET_AFI = h('D6 00 0D 0A 00 E0 04 01 00 12 34 56 78 DA 91 34');
const PROBE = h('D5 00 09 04 00 11 0A 05 00 02 72 50');

const show = (events: SplitterEvent[]): string[] =>
  events.map((e) => (e.type === 'frame' ? `frame ${bytesToHex(e.bytes)}` : `garbage(${e.reason}) ${bytesToHex(e.bytes)}`));

function feedAll(splitter: ThreeMFrameSplitter, chunks: Uint8Array[]): string[] {
  return chunks.flatMap((c) => show(splitter.push(c)));
}

describe('3M frame splitter', () => {
  it('reassembles a frame delivered one byte at a time', () => {
    const s = new ThreeMFrameSplitter();
    const out = feedAll(s, Array.from(INVENTORY, (b) => Uint8Array.of(b)));
    expect(out).toEqual([`frame ${bytesToHex(INVENTORY)}`]);
    expect(s.pendingBytes).toBe(0);
  });

  it('splits several frames (D6 and D5) arriving in one chunk', () => {
    const s = new ThreeMFrameSplitter();
    expect(show(s.push(concatBytes(PROBE, INVENTORY, GET_AFI)))).toEqual([
      `frame ${bytesToHex(PROBE)}`,
      `frame ${bytesToHex(INVENTORY)}`,
      `frame ${bytesToHex(GET_AFI)}`,
    ]);
  });

  it('skips line noise before a frame and reports it once', () => {
    const s = new ThreeMFrameSplitter();
    expect(show(s.push(concatBytes(h('00 FF 13 37'), GET_AFI)))).toEqual([
      'garbage(no-sync) 00 FF 13 37',
      `frame ${bytesToHex(GET_AFI)}`,
    ]);
  });

  it('drops a frame with a corrupted byte and recovers on the next frame', () => {
    const corrupt = Uint8Array.from(INVENTORY);
    corrupt[10] = 0x99;
    const s = new ThreeMFrameSplitter();
    const out = show(s.push(concatBytes(corrupt, GET_AFI)));
    expect(out).toEqual([`garbage(bad-crc) ${bytesToHex(corrupt)}`, `frame ${bytesToHex(GET_AFI)}`]);
  });

  it('resynchronises when a stray D6 announces a long frame that never comes', () => {
    const s = new ThreeMFrameSplitter();
    // D6 03 00 claims 768 bytes; the real response follows in two pieces.
    expect(show(s.push(h('D6 03 00')))).toEqual([]);
    expect(show(s.push(GET_AFI.subarray(0, 7)))).toEqual([]);
    expect(show(s.push(GET_AFI.subarray(7)))).toEqual([
      'garbage(resync) D6 03 00',
      `frame ${bytesToHex(GET_AFI)}`,
    ]);
    expect(s.pendingBytes).toBe(0);
  });

  it('rejects impossible lengths without waiting', () => {
    const s = new ThreeMFrameSplitter();
    expect(show(s.push(concatBytes(h('D6 00 01'), GET_AFI)))).toEqual([
      'garbage(bad-length) D6 00 01',
      `frame ${bytesToHex(GET_AFI)}`,
    ]);
  });

  it('flush() hands back a half-received frame as garbage (read timeout)', () => {
    const s = new ThreeMFrameSplitter();
    expect(s.push(INVENTORY.subarray(0, 9))).toEqual([]);
    expect(s.pendingBytes).toBe(9);
    expect(show(s.flush())).toEqual([`garbage(flushed) ${bytesToHex(INVENTORY.subarray(0, 9))}`]);
    expect(show(s.push(INVENTORY))).toEqual([`frame ${bytesToHex(INVENTORY)}`]);
  });

  it('does not resynchronise on a look-alike frame that is followed by more of the real frame', () => {
    const s = new ThreeMFrameSplitter();
    const body = concatBytes(h('04 E0 04 01 00 12 34 56 78 00 05 00'), GET_AFI, h('00 00 00 00'));
    const whole = encodeThreeMFrame(body);
    const cut = 3 + 12 + GET_AFI.length + 2; // the look-alike is complete, the line is not quiet after it
    expect(s.push(whole.subarray(0, cut))).toEqual([]);
    expect(show(s.push(whole.subarray(cut)))).toEqual([`frame ${bytesToHex(whole)}`]);
  });

  it('does not cut a half-received frame short when its data contains a valid-looking frame', () => {
    // A write-blocks request whose data happens to contain a complete GET_AFI frame.
    const s = new ThreeMFrameSplitter();
    const body = concatBytes(h('04 E0 04 01 00 12 34 56 78 00 05 00'), GET_AFI, h('00 00 00 00'));
    const len = body.length + 2;
    const head = Uint8Array.of(0xd6, len >> 8, len & 0xff);
    const whole = encodeWithBcc(concatBytes(head, body));
    const cut = 3 + 12 + GET_AFI.length - 1; // inside the embedded look-alike
    expect(s.push(whole.subarray(0, cut))).toEqual([]);
    expect(s.pendingBytes).toBe(cut);
    expect(show(s.push(whole.subarray(cut)))).toEqual([`frame ${bytesToHex(whole)}`]);
  });
});

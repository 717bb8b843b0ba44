import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes as h } from '../../../protocols/crc/index.ts';
import { FeigFrameSplitter, encodeFeigFrame, type SplitterEvent } from '../../../protocols/feig-isc/index.ts';

const ONE_TAG = h('11 00 B0 00 01 03 00 E0 04 01 00 12 34 56 78 D8 35');
const NO_TAG = h('06 00 B0 01 5C 63');
const INVENTORY = h('07 FF B0 01 00 1C 56');

const show = (events: SplitterEvent[]): string[] =>
  events.map((e) => (e.type === 'frame' ? `frame ${bytesToHex(e.bytes)}` : `garbage(${e.reason}) ${bytesToHex(e.bytes)}`));

describe('FEIG frame splitter', () => {
  it('reassembles a frame delivered in odd-sized pieces', () => {
    const s = new FeigFrameSplitter();
    const out: string[] = [];
    for (const [a, b] of [[0, 1], [1, 5], [5, 16], [16, 17]] as const) out.push(...show(s.push(ONE_TAG.subarray(a, b))));
    expect(out).toEqual([`frame ${bytesToHex(ONE_TAG)}`]);
  });

  it('splits back-to-back frames', () => {
    const s = new FeigFrameSplitter();
    expect(show(s.push(concatBytes(INVENTORY, ONE_TAG, NO_TAG)))).toEqual([
      `frame ${bytesToHex(INVENTORY)}`,
      `frame ${bytesToHex(ONE_TAG)}`,
      `frame ${bytesToHex(NO_TAG)}`,
    ]);
  });

  it('recovers after a noise byte that reads as a long length', () => {
    const s = new FeigFrameSplitter();
    // 0xF0 announces a 240-byte frame; only the real 17-byte response follows.
    expect(show(s.push(h('F0')))).toEqual([]);
    expect(show(s.push(ONE_TAG.subarray(0, 9)))).toEqual([]);
    expect(show(s.push(ONE_TAG.subarray(9)))).toEqual(['garbage(resync) F0', `frame ${bytesToHex(ONE_TAG)}`]);
  });

  it('drops bytes that cannot start a frame (length < 5)', () => {
    const s = new FeigFrameSplitter();
    expect(show(s.push(concatBytes(h('00 01 03'), NO_TAG)))).toEqual([
      'garbage(bad-length) 00 01 03',
      `frame ${bytesToHex(NO_TAG)}`,
    ]);
  });

  it('drops a frame whose CRC is wrong (the reader would not answer it) and keeps the next', () => {
    const corrupt = Uint8Array.from(ONE_TAG);
    corrupt[12] = 0x00;
    const s = new FeigFrameSplitter();
    const out = show(s.push(concatBytes(corrupt, NO_TAG)));
    expect(out.at(-1)).toBe(`frame ${bytesToHex(NO_TAG)}`);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(`garbage(bad-crc) ${bytesToHex(corrupt)}`);
  });

  it('handles advanced (0x02 ALEN) frames', () => {
    const big = encodeFeigFrame({ address: 0, command: 0xb0, status: 0, data: new Uint8Array(300).fill(0x5a) });
    expect(big[0]).toBe(0x02);
    const s = new FeigFrameSplitter();
    const out: string[] = [];
    for (let at = 0; at < big.length; at += 64) out.push(...show(s.push(big.subarray(at, at + 64))));
    out.push(...show(s.push(NO_TAG)));
    expect(out).toEqual([`frame ${bytesToHex(big)}`, `frame ${bytesToHex(NO_TAG)}`]);
  });

  it('caps what it holds while waiting and reports the overflow', () => {
    const s = new FeigFrameSplitter({ maxBufferBytes: 64 });
    const noise = new Uint8Array(81).fill(0xff); // 0xFF reads as a 255-byte frame, again and again
    const events = s.push(noise);
    expect(events).toEqual([{ type: 'garbage', reason: 'overflow', bytes: noise.subarray(0, 17) }]);
    expect(s.pendingBytes).toBe(64);
  });

  it('flush() discards a partial frame after the inter-character timeout', () => {
    const s = new FeigFrameSplitter();
    s.push(ONE_TAG.subarray(0, 4));
    expect(show(s.flush())).toEqual([`garbage(flushed) ${bytesToHex(ONE_TAG.subarray(0, 4))}`]);
    expect(s.pendingBytes).toBe(0);
    expect(show(s.push(NO_TAG))).toEqual([`frame ${bytesToHex(NO_TAG)}`]);
  });
});

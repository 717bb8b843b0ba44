import { describe, expect, it } from 'vitest';
import { decode, Sip2Framer, type Sip2Frame } from '../../../protocols/sip2/index.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (frames: Sip2Frame[]): string[] =>
  frames.map((f) => (f.type === 'message' ? new TextDecoder().decode(f.bytes) : `<oversized ${f.length}>`));

function feed(framer: Sip2Framer, ...chunks: string[]): string[] {
  return chunks.flatMap((c) => text(framer.push(bytes(c))));
}

describe('Sip2Framer', () => {
  it('splits CR-terminated messages, several per chunk', () => {
    expect(feed(new Sip2Framer(), '9900302.00\r9300CNa|COb|\r')).toEqual(['9900302.00', '9300CNa|COb|']);
  });

  it('holds a partial message until its terminator arrives', () => {
    const framer = new Sip2Framer();
    expect(feed(framer, '9900', '302.')).toEqual([]);
    expect(framer.bufferedLength).toBe(8);
    expect(feed(framer, '00\r99')).toEqual(['9900302.00']);
    expect(framer.bufferedLength).toBe(2);
  });

  it('reassembles a message fed one byte at a time', () => {
    const framer = new Sip2Framer();
    const out = [...'9300CNa|COb|AY0AZF8D9\r\n941\r'].flatMap((c) => feed(framer, c));
    expect(out).toEqual(['9300CNa|COb|AY0AZF8D9', '941']);
  });

  it('accepts CRLF without producing an empty message', () => {
    expect(feed(new Sip2Framer(), '941\r\n940\r\n')).toEqual(['941', '940']);
  });

  it('accepts CRLF split across two chunks (CR ends one write, LF starts the next)', () => {
    const framer = new Sip2Framer();
    expect(feed(framer, '941\r')).toEqual(['941']); // delivered at once, not held back for a possible LF
    expect(feed(framer, '\n940\r')).toEqual(['940']);
  });

  it('accepts bare LF', () => {
    expect(feed(new Sip2Framer(), '941\n940\n')).toEqual(['941', '940']);
  });

  it('ignores blank lines (CR CR, LF LF, LF CR)', () => {
    expect(feed(new Sip2Framer(), '\r\r941\n\n\n\r940\r')).toEqual(['941', '940']);
  });

  it('reports an oversized line once and drops it up to its terminator, then carries on', () => {
    const framer = new Sip2Framer({ maxLength: 10 });
    const frames = [...framer.push(bytes('12345678')), ...framer.push(bytes('90ABCDEF')), ...framer.push(bytes('GHIJ'))];
    expect(frames).toEqual([{ type: 'oversized', length: 16, maxLength: 10 }]);
    expect(framer.bufferedLength).toBe(0);
    expect(feed(framer, 'KLM\r941\r')).toEqual(['941']);
  });

  it('a line of exactly maxLength is fine', () => {
    expect(feed(new Sip2Framer({ maxLength: 3 }), '941\r')).toEqual(['941']);
    expect(feed(new Sip2Framer({ maxLength: 2 }), '941\r')).toEqual(['<oversized 3>']);
  });

  it('never buffers more than maxLength for a peer that never sends a terminator', () => {
    const framer = new Sip2Framer({ maxLength: 100 });
    let oversized = 0;
    for (let i = 0; i < 1000; i++) {
      oversized += framer.push(new Uint8Array(64).fill(0x41)).filter((f) => f.type === 'oversized').length;
      expect(framer.bufferedLength).toBeLessThanOrEqual(100);
    }
    expect(oversized).toBe(1);
  });

  it('copies input: a reused socket buffer does not corrupt a pending message', () => {
    const framer = new Sip2Framer();
    const chunk = bytes('94');
    framer.push(chunk);
    chunk.fill(0x58);
    expect(text(framer.push(bytes('1\r')))).toEqual(['941']);
  });

  it('reset() drops a partial message', () => {
    const framer = new Sip2Framer();
    feed(framer, '9900');
    framer.reset();
    expect(feed(framer, '941\r')).toEqual(['941']);
  });

  it('frames feed straight into decode with checksum intact', () => {
    const framer = new Sip2Framer();
    const frames = [...framer.push(bytes('9300CNuser|COpass')), ...framer.push(bytes('word|AY0AZF682\r\n'))];
    expect(frames).toHaveLength(1);
    const frame = frames[0];
    if (frame?.type !== 'message') throw new Error('expected a message');
    expect(decode(frame.bytes, { errorDetection: 'on' })).toMatchObject({ ok: true, checksumStatus: 'valid' });
  });

  it('rejects a nonsensical maxLength', () => {
    expect(() => new Sip2Framer({ maxLength: 0 })).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { decode, encode, MESSAGE_SPECS, type Sip2Message } from '../../../protocols/sip2/index.ts';
import { GOLDEN } from './golden.ts';

/** What decode returns for a hand-written message: lists always present, `extra` always present. */
function asDecoded(message: Sip2Message): Sip2Message {
  const out: Record<string, unknown> = { ...message, extra: message.extra ?? [] };
  for (const field of MESSAGE_SPECS[message.code].fields) {
    if (field.kind === 'list' && out[field.key] === undefined) out[field.key] = [];
  }
  return out as unknown as Sip2Message;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe.each(GOLDEN)('$name', ({ message, wire }) => {
  it('encodes to the exact wire bytes, CR-terminated', () => {
    const encoded = encode(message);
    expect(encoded.text).toBe(`${wire}\r`);
    expect(encoded.bytes).toEqual(utf8(`${wire}\r`));
    expect(encoded.warnings).toEqual([]);
  });

  it('decodes the wire form into the typed message', () => {
    const result = decode(`${wire}\r`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.message).toEqual(asDecoded(message));
    expect(result.warnings).toEqual([]);
    expect(result.checksumStatus).toBe('absent');
  });

  it('round-trips: decode(encode(m)) = m and encode(decode(w)) = w', () => {
    const back = decode(encode(message).bytes);
    expect(back.ok && back.message).toEqual(asDecoded(message));
    const decoded = decode(utf8(wire));
    if (!decoded.ok) throw new Error(JSON.stringify(decoded.errors));
    expect(encode(decoded.message).text).toBe(`${wire}\r`);
  });

  it('round-trips with error detection on', () => {
    const encoded = encode(message, { errorDetection: true, sequenceNumber: 4 });
    const back = decode(encoded.bytes, { errorDetection: 'on' });
    if (!back.ok) throw new Error(JSON.stringify(back.errors));
    expect(back.checksumStatus).toBe('valid');
    expect(back.sequenceNumber).toBe(message.code === '96' || message.code === '97' ? null : 4);
    expect(back.message).toEqual(asDecoded(message));
  });
});

describe('golden coverage', () => {
  it('has at least one golden message for every SIP2 2.00 command code', () => {
    const covered = new Set(GOLDEN.map((g) => g.message.code));
    expect([...Object.keys(MESSAGE_SPECS)].filter((code) => !covered.has(code as Sip2Message['code']))).toEqual([]);
  });

  it('exercises every field of every message spec with a value', () => {
    const missing: string[] = [];
    for (const spec of Object.values(MESSAGE_SPECS)) {
      const samples = GOLDEN.filter((g) => g.message.code === spec.code).map((g) => g.message as unknown as Record<string, unknown>);
      for (const field of [...spec.fixed, ...spec.fields]) {
        const used = samples.some((m) => {
          const value = m[field.key];
          return value !== undefined && !(Array.isArray(value) && value.length === 0);
        });
        if (!used) missing.push(`${spec.code}.${field.key}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

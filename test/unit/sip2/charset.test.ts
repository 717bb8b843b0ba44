import { describe, expect, it } from 'vitest';
import {
  decode,
  encode,
  encodeCharset,
  isSupportedCharset,
  Sip2CharsetError,
  transliterateToAscii,
  verifyChecksum,
  type Sip2Message,
} from '../../../protocols/sip2/index.ts';
import { T, TW } from './golden.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
/** Independent checksum: two's complement of the 16-bit byte sum. */
const checksumOf = (bytes: Uint8Array): string =>
  ((-(bytes.reduce((a, b) => a + b, 0) & 0xffff)) & 0xffff).toString(16).toUpperCase().padStart(4, '0');

const patronStatus = (personalName: string): Sip2Message => ({
  code: '24',
  patronStatus: {
    chargePrivilegesDenied: false,
    renewalPrivilegesDenied: false,
    recallPrivilegesDenied: false,
    holdPrivilegesDenied: false,
    cardReportedLost: false,
    tooManyItemsCharged: false,
    tooManyItemsOverdue: false,
    tooManyRenewals: false,
    tooManyClaimsOfItemsReturned: false,
    tooManyItemsLost: false,
    excessiveOutstandingFines: false,
    excessiveOutstandingFees: false,
    recallOverdue: false,
    tooManyItemsBilled: false,
  },
  language: '000',
  transactionDate: T,
  institutionId: 'LJ',
  patronIdentifier: '12345',
  personalName,
  validPatron: true,
});

const head = `24${' '.repeat(14)}000${TW}AOLJ|AA12345|AE`;
const tail = '|BLY|AY1AZ';

/**
 * Slovenian "Žiga Čebašek" and Hungarian "Kovács Ödön", byte by byte per code page
 * (ISO-8859-2: Ž=AE Č=C8 š=B9; CP852: Ž=A6 Č=AC š=E7 á=A0 Ö=99 ö=94; CP850: á=A0 Ö=99 ö=94).
 */
const CASES = [
  { charset: 'utf-8', name: 'Žiga Čebašek', bytes: 'c5bd69676120c48c656261c5a1656b' },
  { charset: 'iso-8859-2', name: 'Žiga Čebašek', bytes: 'ae69676120c8656261b9656b' },
  { charset: 'cp852', name: 'Žiga Čebašek', bytes: 'a669676120ac656261e7656b' },
  { charset: 'utf-8', name: 'Kovács Ödön', bytes: '4b6f76c3a1637320c39664c3b66e' },
  { charset: 'iso-8859-2', name: 'Kovács Ödön', bytes: '4b6f76e1637320d664f66e' },
  { charset: 'cp852', name: 'Kovács Ödön', bytes: '4b6f76a06373209964946e' },
  { charset: 'cp850', name: 'Kovács Ödön', bytes: '4b6f76a06373209964946e' },
  { charset: 'IBM850', name: 'Kovács Ödön', bytes: '4b6f76a06373209964946e' },
] as const;

describe.each(CASES)('$name in $charset', ({ charset, name, bytes }) => {
  const checksumRegion = concat(ascii(head), hex(bytes), ascii(tail));
  const wire = concat(checksumRegion, ascii(`${checksumOf(checksumRegion)}\r`));

  it('encodes the name as the code page bytes, checksum over those bytes', () => {
    const encoded = encode(patronStatus(name), { charset, errorDetection: true, sequenceNumber: 1 });
    expect(encoded.bytes).toEqual(wire);
    expect(encoded.warnings).toEqual([]);
  });

  it('decodes the bytes back to the name and verifies the checksum', () => {
    const result = decode(wire, { charset, errorDetection: 'on' });
    expect(result).toMatchObject({ ok: true, checksumStatus: 'valid', message: { personalName: name } });
    expect(verifyChecksum(wire).status).toBe('valid');
  });
});

describe('character sets', () => {
  it('the same message has different checksums in UTF-8 and CP852 (bytes differ)', () => {
    const a = encode(patronStatus('Žiga'), { charset: 'utf-8', errorDetection: true }).text;
    const b = encode(patronStatus('Žiga'), { charset: 'cp852', errorDetection: true }).text;
    expect(a.slice(-5, -1)).not.toBe(b.slice(-5, -1));
  });

  it('characters CP850 cannot hold (ő, Ž, Č) are sent as ?, with a warning; checksum still matches', () => {
    const encoded = encode(patronStatus('Szőke Žiga'), { charset: 'cp850', errorDetection: true });
    expect(encoded.text).toContain('AESz?ke ?iga|');
    expect(encoded.warnings.map((w) => w.code)).toEqual(['unrepresentable-character']);
    expect(decode(encoded.bytes, { charset: 'cp850', errorDetection: 'on' })).toMatchObject({ ok: true });
  });

  it('checksum is verified on raw bytes even when the wrong charset is configured for decoding', () => {
    const encoded = encode(patronStatus('Žiga Čebašek'), { charset: 'iso-8859-2', errorDetection: true });
    const result = decode(encoded.bytes, { charset: 'cp852', errorDetection: 'on' });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.message).not.toMatchObject({ personalName: 'Žiga Čebašek' });
  });

  it('invalid UTF-8 bytes decode with a warning, not a failure', () => {
    const bytes = concat(ascii(head), new Uint8Array([0xae, 0x69]), ascii('|'));
    const result = decode(bytes);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => w.code)).toEqual(['invalid-encoding']);
  });

  it('transliterate: ASCII-only terminals get readable names', () => {
    expect(transliterateToAscii('Žiga Čebašek, Łódź, Szőke Ödön, Đurđa, Straße')).toBe(
      'Ziga Cebasek, Lodz, Szoke Odon, Durda, Strasse',
    );
    const encoded = encode(patronStatus('Žiga Čebašek'), { charset: 'ascii', transliterate: true });
    expect(encoded.text).toContain('AEZiga Cebasek|');
    expect(encoded.warnings).toEqual([]);
  });

  it('unknown charsets: isSupportedCharset is false, encode throws Sip2CharsetError', () => {
    expect(isSupportedCharset('cp852')).toBe(true);
    expect(isSupportedCharset('no-such-charset')).toBe(false);
    expect(() => encode(patronStatus('x'), { charset: 'no-such-charset' })).toThrow(Sip2CharsetError);
    expect(() => encodeCharset('x', 'no-such-charset')).toThrow(Sip2CharsetError);
  });
});

import { describe, expect, it } from 'vitest';
import {
  computeChecksum,
  decode,
  encode,
  findTrailer,
  isChecksumFailure,
  isRetransmission,
  nextSequenceNumber,
  verifyChecksum,
} from '../../../protocols/sip2/index.ts';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe('checksum vectors (reference §3)', () => {
  it.each([
    ['9300CNuser|COpassword|AY0AZ', 'F682'],
    ['941AY0AZ', 'FDFD'],
    ['9900302.00AY1AZ', 'FCA5'],
    ['97AZ', 'FEF5'],
    ['96AZ', 'FEF6'],
  ])('%s → %s', (head, checksum) => {
    expect(computeChecksum(ascii(head))).toBe(checksum);
    expect(computeChecksum(head)).toBe(checksum);
  });

  it('byte sum of the login example is 2430 (0x097E), as the reference works it out', () => {
    const sum = ascii('9300CNuser|COpassword|AY0AZ').reduce((a, b) => a + b, 0);
    expect(sum).toBe(2430);
    expect((sum + 0xf682) & 0xffff).toBe(0);
  });

  it('pads small values to four digits (0000 is legal)', () => {
    // 0x10000 - sum must be formatted with leading zeros: a sum of 0xFF00 gives 0x0100.
    const bytes = new Uint8Array(0xff00 / 0xff).fill(0xff);
    expect(computeChecksum(bytes)).toBe('0100');
    expect(computeChecksum(new Uint8Array([0x00]))).toBe('0000');
  });
});

describe('encode with error detection', () => {
  it('reproduces the reference messages byte for byte', () => {
    expect(
      encode(
        { code: '93', uidAlgorithm: '0', pwdAlgorithm: '0', loginUserId: 'user', loginPassword: 'password' },
        { errorDetection: true, sequenceNumber: 0 },
      ).text,
    ).toBe('9300CNuser|COpassword|AY0AZF682\r');
    expect(encode({ code: '94', ok: true }, { errorDetection: true, sequenceNumber: 0 }).text).toBe('941AY0AZFDFD\r');
    expect(
      encode({ code: '99', statusCode: '0', maxPrintWidth: 30, protocolVersion: '2.00' }, { errorDetection: true, sequenceNumber: 1 })
        .text,
    ).toBe('9900302.00AY1AZFCA5\r');
  });

  it('sends 97 and 96 with AZ only, never AY, even when a sequence number is given', () => {
    expect(encode({ code: '97' }, { errorDetection: true, sequenceNumber: 5 }).text).toBe('97AZFEF5\r');
    expect(encode({ code: '96' }, { errorDetection: true, sequenceNumber: 5 }).text).toBe('96AZFEF6\r');
  });

  it('wraps the sequence number to one digit', () => {
    const m = { code: '94', ok: true } as const;
    expect(encode(m, { errorDetection: true, sequenceNumber: 10 }).text).toMatch(/^941AY0AZ/);
    expect(encode(m, { errorDetection: true, sequenceNumber: 13 }).text).toMatch(/^941AY3AZ/);
    expect(encode(m, { errorDetection: true, sequenceNumber: -1 }).text).toMatch(/^941AY9AZ/);
  });

  it('uses CRLF after the checksum when asked', () => {
    expect(encode({ code: '97' }, { errorDetection: true, terminator: 'CRLF' }).bytes).toEqual(ascii('97AZFEF5\r\n'));
  });
});

describe('nextSequenceNumber', () => {
  it('counts 0..9 and wraps 9 → 0', () => {
    expect(nextSequenceNumber(0)).toBe(1);
    expect(nextSequenceNumber(8)).toBe(9);
    expect(nextSequenceNumber(9)).toBe(0);
  });
});

describe('verifyChecksum', () => {
  it('accepts the reference messages, with or without terminator, and lowercase hex', () => {
    expect(verifyChecksum(ascii('9300CNuser|COpassword|AY0AZF682\r'))).toEqual({
      status: 'valid',
      expected: 'F682',
      received: 'F682',
      sequenceNumber: 0,
    });
    expect(verifyChecksum('941AY0AZfdfd').status).toBe('valid');
    expect(verifyChecksum('97AZFEF5\r\n')).toMatchObject({ status: 'valid', sequenceNumber: null });
  });

  it('rejects a corrupted byte', () => {
    // One bit flipped in "user" → "usdr".
    expect(verifyChecksum(ascii('9300CNusdr|COpassword|AY0AZF682\r'))).toMatchObject({
      status: 'invalid',
      received: 'F682',
      expected: 'F683',
    });
  });

  it('reports absent when there is no AZ', () => {
    expect(verifyChecksum('9300CNuser|COpassword|').status).toBe('absent');
  });
});

describe('findTrailer', () => {
  it('locates AY/AZ and where the checksum region ends', () => {
    const bytes = ascii('941AY0AZFDFD\r');
    expect(findTrailer(bytes)).toEqual({ sequenceNumber: 0, checksum: 'FDFD', start: 3, checksumEnd: 8, delimited: true });
  });

  it('tolerates a stray | between AY and AZ', () => {
    expect(findTrailer(ascii('941AY0|AZFDFD'))).toMatchObject({ sequenceNumber: 0, start: 3 });
  });

  it('returns null for a message without checksum', () => {
    expect(findTrailer(ascii('941'))).toBeNull();
    expect(findTrailer(ascii('9300CNuser|COpw|'))).toBeNull();
  });
});

describe('decode and error detection', () => {
  it('verifies a good checksum and reports the AY to echo', () => {
    const result = decode('9300CNuser|COpassword|AY0AZF682\r');
    expect(result).toMatchObject({ ok: true, checksumStatus: 'valid', checksum: 'F682', sequenceNumber: 0 });
  });

  it('refuses a bad checksum, so a server can answer 96', () => {
    const result = decode('9300CNuser|COpassword|AY0AZF683\r');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.commandCode).toBe('93');
    expect(result.checksumStatus).toBe('invalid');
    expect(result.errors.map((e) => e.code)).toEqual(['bad-checksum']);
    expect(isChecksumFailure(result)).toBe(true);
  });

  it('with errorDetection "on" refuses a message without checksum', () => {
    const result = decode('9300CNuser|COpassword|', { errorDetection: 'on' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.code)).toEqual(['missing-checksum']);
    expect(isChecksumFailure(result)).toBe(true);
  });

  it('with errorDetection "auto" (default) accepts a message without checksum', () => {
    expect(decode('9300CNuser|COpassword|')).toMatchObject({ ok: true, checksumStatus: 'absent', sequenceNumber: null });
  });

  it('with errorDetection "off" strips the trailer without verifying it', () => {
    const result = decode('9300CNuser|COpassword|AY3AZ0000\r', { errorDetection: 'off' });
    expect(result).toMatchObject({ ok: true, checksumStatus: 'unchecked', sequenceNumber: 3, checksum: '0000' });
    if (result.ok) expect(result.message).toMatchObject({ loginPassword: 'password', extra: [] });
  });

  it('treats a malformed AZ field as a bad checksum', () => {
    const result = decode('9300CNuser|COpassword|AY1AZXYZ\r');
    expect(isChecksumFailure(result)).toBe(true);
  });

  it('a value that merely ends in "AZ" + 4 hex digits is data, not a corrupt checksum', () => {
    const result = decode(`1720240315    142530AOLJ|ABFlight AZ1234`);
    expect(result).toMatchObject({ ok: true, checksumStatus: 'absent', message: { itemIdentifier: 'Flight AZ1234' } });
    const delimited = decode(`1720240315    142530AOLJ|ABFlight AZ1234|`);
    expect(delimited).toMatchObject({ ok: true, checksumStatus: 'absent', message: { itemIdentifier: 'Flight AZ1234' } });
  });

  it('an undelimited trailer that verifies is accepted (missing | before AY, stray | after AZ)', () => {
    expect(decode('9300CNuser|COpasswordAY0AZF6FE\r')).toMatchObject({
      ok: true,
      checksumStatus: 'valid',
      message: { loginPassword: 'password' },
    });
    expect(decode('9300CNuser|COpassword|AY0AZF682|\r')).toMatchObject({ ok: true, checksumStatus: 'valid' });
  });

  it('records AY sent without AZ', () => {
    expect(decode('9300CNuser|COpw|AY7')).toMatchObject({ ok: true, sequenceNumber: 7, checksumStatus: 'absent' });
  });

  it('computes over the bytes as sent: a checksum over code points would be wrong for UTF-8', () => {
    // "Ž" is one code point (U+017D) but two bytes in UTF-8 (C5 BD).
    const head = '2300120240315    142530AOLJ|AA1|AC|AD|AFŽ|AY2AZ';
    const bytes = new TextEncoder().encode(head);
    const byteSum = bytes.reduce((a, b) => a + b, 0);
    const codePointSum = Array.from(head).reduce((a, c) => a + (c.codePointAt(0) ?? 0), 0);
    const good = ((-(byteSum & 0xffff)) & 0xffff).toString(16).toUpperCase().padStart(4, '0');
    const wrong = ((-(codePointSum & 0xffff)) & 0xffff).toString(16).toUpperCase().padStart(4, '0');
    expect(good).not.toBe(wrong);
    expect(decode(`${head}${good}\r`).ok).toBe(true);
    expect(isChecksumFailure(decode(`${head}${wrong}\r`))).toBe(true);
  });
});

describe('isRetransmission', () => {
  const first = decode('2300120240315    142530AOLJ|AA1|AC|AD|AY1AZF592\r');

  it('detects a repeated request (same AY and AZ), which must not be executed twice', () => {
    if (!first.ok) throw new Error(JSON.stringify(first.errors));
    const again = decode('2300120240315    142530AOLJ|AA1|AC|AD|AY1AZF592\r');
    expect(again.ok).toBe(true);
    expect(isRetransmission(first, again as typeof first)).toBe(true);
  });

  it('a new sequence number is a new request', () => {
    const next = encode(
      { code: '23', language: '001', transactionDate: null, institutionId: 'LJ', patronIdentifier: '1', terminalPassword: '', patronPassword: '' },
      { errorDetection: true, sequenceNumber: 2 },
    );
    const decoded = decode(next.bytes);
    if (!decoded.ok || !first.ok) throw new Error('decode failed');
    expect(isRetransmission(first, decoded)).toBe(false);
  });

  it('is false without error detection or without a previous request', () => {
    const plain = decode('9300CNuser|COpw|');
    if (!plain.ok || !first.ok) throw new Error('decode failed');
    expect(isRetransmission(null, first)).toBe(false);
    expect(isRetransmission(plain, plain)).toBe(false);
  });
});

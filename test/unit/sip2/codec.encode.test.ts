import { describe, expect, it } from 'vitest';
import {
  decode,
  encode,
  makePatronStatus,
  Sip2EncodeError,
  type Sip2Message,
} from '../../../protocols/sip2/index.ts';
import { T, TW } from './golden.ts';

const endSession = (screenMessage: string[]): Sip2Message => ({
  code: '36',
  endSession: true,
  transactionDate: T,
  institutionId: 'LJ',
  patronIdentifier: '12345',
  screenMessage,
});

describe('value hygiene on encode', () => {
  it('replaces | in a value with a space, so it cannot split the field', () => {
    const encoded = encode(endSession(['Fine: 2|50 EUR']));
    expect(encoded.text).toBe(`36Y${TW}AOLJ|AA12345|AFFine: 2 50 EUR|\r`);
    expect(encoded.warnings).toEqual([expect.objectContaining({ code: 'sanitised-value', field: 'AF' })]);
  });

  it('replaces CR and LF in any value, so they cannot end the message early', () => {
    const encoded = encode({ ...endSession([]), patronIdentifier: 'ab\rcd\nef' } as Sip2Message);
    expect(encoded.text).toBe(`36Y${TW}AOLJ|AAab cd ef|\r`);
    expect(encoded.bytes.filter((b) => b === 0x0d)).toHaveLength(1);
  });

  it('removes NUL', () => {
    expect(encode({ ...endSession([]), patronIdentifier: 'a\u0000b' } as Sip2Message).text).toBe(`36Y${TW}AOLJ|AAab|\r`);
  });

  it('display fields (AF, AG) get no control characters at all', () => {
    const encoded = encode({ ...endSession(['a\tb\u0007c\u001bd\u0085e']), printLine: ['x\u007fy'] } as Sip2Message);
    expect(encoded.text).toBe(`36Y${TW}AOLJ|AA12345|AFa b c d e|AGx y|\r`);
  });

  it('non-display fields keep a TAB (only | CR LF NUL are unsafe there)', () => {
    expect(encode({ ...endSession([]), patronIdentifier: 'a\tb' } as Sip2Message).text).toBe(`36Y${TW}AOLJ|AAa\tb|\r`);
  });

  it('truncates variable fields at 255 characters, with a warning', () => {
    const encoded = encode(endSession(['x'.repeat(300)]));
    expect(encoded.text).toBe(`36Y${TW}AOLJ|AA12345|AF${'x'.repeat(255)}|\r`);
    expect(encoded.warnings).toEqual([expect.objectContaining({ code: 'truncated-value', field: 'AF' })]);
  });

  it('counts characters, not UTF-16 units or bytes, and never splits a surrogate pair', () => {
    const encoded = encode(endSession(['ž'.repeat(254) + '📚📚']));
    const value = /AF([^|]*)\|/.exec(encoded.text)?.[1] ?? '';
    expect(Array.from(value)).toHaveLength(255);
    expect(value.endsWith('📚')).toBe(true);
    expect(value).not.toContain('\uFFFD');
  });

  it('required fields with no value are sent empty (AC|), optional ones omitted', () => {
    const encoded = encode({
      code: '11',
      scRenewalPolicy: false,
      noBlock: false,
      transactionDate: T,
      nbDueDate: null,
      institutionId: 'LJ',
      patronIdentifier: '12345',
      itemIdentifier: '3000123',
      terminalPassword: '',
    });
    expect(encoded.text).toBe(`11NN${TW}${' '.repeat(18)}AOLJ|AA12345|AB3000123|AC|\r`);
  });

  it('an optional field explicitly set to "" is sent empty', () => {
    const encoded = encode({ code: '17', transactionDate: T, institutionId: 'LJ', itemIdentifier: '1', terminalPassword: '' });
    expect(encoded.text).toBe(`17${TW}AOLJ|AB1|AC|\r`);
  });

  it('extra fields are appended in order; invalid IDs and AY/AZ are not sent', () => {
    const encoded = encode({
      code: '17',
      transactionDate: T,
      institutionId: 'LJ',
      itemIdentifier: '1',
      extra: [
        { id: 'CT', value: 'BRANCH2' },
        { id: 'AZ', value: '1234' },
        { id: 'X', value: 'bad' },
        { id: 'PB', value: 'a|b' },
      ],
    });
    expect(encoded.text).toBe(`17${TW}AOLJ|AB1|CTBRANCH2|PBa b|\r`);
    expect(encoded.warnings.map((w) => w.code)).toEqual(['invalid-extra-field', 'invalid-extra-field', 'sanitised-value']);
  });
});

describe('fixed fields keep their exact widths', () => {
  it('zero-pads numeric codes and counts', () => {
    const encoded = encode({
      code: '64',
      patronStatus: makePatronStatus(),
      language: '1',
      transactionDate: null,
      holdItemsCount: 7,
      overdueItemsCount: 0,
      chargedItemsCount: 12,
      fineItemsCount: null,
      recallItemsCount: 0,
      unavailableHoldsCount: 3,
      institutionId: 'LJ',
      patronIdentifier: '1',
      personalName: 'A',
    });
    expect(encoded.text).toBe(`64${' '.repeat(14)}001${' '.repeat(18)}000700000012    00000003AOLJ|AA1|AEA|\r`);
    expect(encoded.warnings).toEqual([]);
  });

  it('clamps a count that does not fit (10000 items → 9999), with a warning', () => {
    const encoded = encode({ code: '66', ok: true, renewedCount: 10_000, unrenewedCount: 0, transactionDate: T, institutionId: 'LJ' });
    expect(encoded.text).toBe(`66199990000${TW}AOLJ|\r`);
    expect(encoded.warnings).toEqual([expect.objectContaining({ code: 'bad-fixed-value', field: 'renewedCount' })]);
  });

  it('pads and truncates text fixed fields, with warnings', () => {
    const encoded = encode({
      code: '37',
      transactionDate: T,
      feeType: '4',
      paymentType: '00',
      currencyType: 'EURO',
      feeAmount: '1.00',
      institutionId: 'LJ',
      patronIdentifier: '1',
    });
    expect(encoded.text).toBe(`37${TW}0400EURBV1.00|AOLJ|AA1|\r`);
    expect(encoded.warnings).toEqual([expect.objectContaining({ code: 'truncated-value', field: 'currencyType' })]);
  });

  it('limits (BZ/CA/CB) are four digits', () => {
    const encoded = encode({
      code: '64',
      patronStatus: makePatronStatus(),
      language: '000',
      transactionDate: T,
      holdItemsCount: 0,
      overdueItemsCount: 0,
      chargedItemsCount: 0,
      fineItemsCount: 0,
      recallItemsCount: 0,
      unavailableHoldsCount: 0,
      institutionId: 'LJ',
      patronIdentifier: '1',
      personalName: '',
      chargedItemsLimit: 25,
    });
    expect(encoded.text).toContain('|AE|CB0025|');
  });
});

describe('encode options', () => {
  it('CRLF terminator per account', () => {
    const encoded = encode({ code: '94', ok: true }, { terminator: 'CRLF' });
    expect(encoded.text).toBe('941\r\n');
    expect(encoded.bytes).toEqual(new Uint8Array([0x39, 0x34, 0x31, 0x0d, 0x0a]));
  });

  it('throws only for a programming error: an unknown command code', () => {
    expect(() => encode({ code: 'XX' } as unknown as Sip2Message)).toThrow(Sip2EncodeError);
  });

  it('what encode writes, decode reads back with the same checksum', () => {
    const encoded = encode(endSession(['Hvala, nasvidenje']), { errorDetection: true, sequenceNumber: 9 });
    const result = decode(encoded.bytes, { errorDetection: 'on' });
    expect(result).toMatchObject({ ok: true, sequenceNumber: 9, checksumStatus: 'valid' });
  });
});

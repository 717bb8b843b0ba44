import { describe, expect, it } from 'vitest';
import { decode, encode, type Sip2DecodeResult, type Sip2Message } from '../../../protocols/sip2/index.ts';
import { T, TW } from './golden.ts';

function decoded(result: Sip2DecodeResult): Sip2Message {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.message;
}

const warningCodes = (result: Sip2DecodeResult): string[] => result.warnings.map((w) => w.code);
const errorCodes = (result: Sip2DecodeResult): string[] => (result.ok ? [] : result.errors.map((e) => e.code));

describe('malformed input is reported, never thrown', () => {
  it('unknown command code → unknown-command (the ACS must not reply)', () => {
    const result = decode('XX0000AOLJ|\r');
    expect(result.ok).toBe(false);
    expect(errorCodes(result)).toEqual(['unknown-command']);
    expect(!result.ok && result.commandCode).toBe('XX');
  });

  it('a private extension command such as Evergreen XS is unknown', () => {
    expect(errorCodes(decode('XS'))).toEqual(['unknown-command']);
  });

  it('a single character → unknown-command', () => {
    expect(errorCodes(decode('9'))).toEqual(['unknown-command']);
  });

  it('empty input, only terminators or NULs → empty-message', () => {
    expect(errorCodes(decode(''))).toEqual(['empty-message']);
    expect(errorCodes(decode('\r\n'))).toEqual(['empty-message']);
    expect(errorCodes(decode(new Uint8Array([0, 0, 13])))).toEqual(['empty-message']);
  });

  it('fixed part too short for the message → short-fixed-part, naming the widths', () => {
    const result = decode('23001\r');
    expect(errorCodes(result)).toEqual(['short-fixed-part']);
    expect(!result.ok && result.errors[0]?.message).toContain('21');
  });

  it('a date one character short shifts the fields → short-fixed-part', () => {
    // transaction date has 17 characters instead of 18
    const result = decode('2300120240315    14253AOLJ|AA1|AC|AD|');
    expect(errorCodes(result)).toEqual(['short-fixed-part']);
  });

  it('a fixed part left out or cut short before a delimiter → short-fixed-part, not fields read as a date', () => {
    // 17 without its date: the `|` where the date should be ends the fixed part (no fixed field holds one).
    const none = decode('17|AOSI-50000|AB30100000003|');
    expect(errorCodes(none)).toEqual(['short-fixed-part']);
    expect(!none.ok && none.errors[0]?.message).toBe('17 Item Information needs an 18-character fixed part, got 0');
    const noDate = decode('17AOSI-50000|AB30100000003|');
    expect(!noDate.ok && noDate.errors[0]?.message).toBe('17 Item Information needs an 18-character fixed part, got 0');
    // 09 with a date cut to 4 characters and no return date.
    const cut = decode('09N2026|APLOCKER-A|AOSI-50000|AB30100000003|');
    expect(!cut.ok && cut.errors[0]?.message).toBe('09 Checkin needs a 37-character fixed part, got 5');
  });

  it('a hold with an unknown mode is refused rather than guessed', () => {
    const result = decode(`15X${TW}AOLJ|AA1|AB2|`);
    expect(errorCodes(result)).toEqual(['bad-fixed-field']);
  });

  it('bad checksum → bad-checksum (see checksum.test.ts for more)', () => {
    expect(errorCodes(decode('941AY0AZFDFE'))).toEqual(['bad-checksum']);
  });

  it('an unknown charset is an error, not an exception', () => {
    expect(errorCodes(decode('941', { charset: 'klingon-1' }))).toEqual(['unsupported-charset']);
  });

  it('garbage bytes do not throw', () => {
    const noise = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256);
    expect(() => decode(noise)).not.toThrow();
    for (let n = 0; n < 40; n++) expect(() => decode(`64${'|'.repeat(n)}AY`)).not.toThrow();
  });
});

describe('dates never reject a message', () => {
  it('an unparsable transaction date decodes as null with a bad-date warning', () => {
    const result = decode('23001XXXXXXXXXXXXXXXXXXAOLJ|AA1|AC|AD|');
    expect(decoded(result)).toMatchObject({ code: '23', transactionDate: null, patronIdentifier: '1' });
    expect(warningCodes(result)).toEqual(['bad-date']);
  });

  it('month 13 is a bad date', () => {
    const result = decode('2300120241315    142530AOLJ|AA1|AC|AD|');
    expect(decoded(result)).toMatchObject({ transactionDate: null });
    expect(warningCodes(result)).toEqual(['bad-date']);
  });

  it('a blank nb due date (18 spaces) is null without a warning', () => {
    const result = decode(`11NN${TW}${' '.repeat(18)}AOLJ|AA1|AB2|AC|`);
    expect(decoded(result)).toMatchObject({ nbDueDate: null, transactionDate: T });
    expect(result.warnings).toEqual([]);
  });

  it('a UTC date keeps its zone', () => {
    const result = decode('1720240315   Z142530AOLJ|AB1|');
    expect(decoded(result)).toMatchObject({ transactionDate: { ...T, zone: 'Z' } });
  });

  it('98 date/time sync of all zeros (unsupported) is null and re-encodes as zeros', () => {
    const wire = `98YYYYYY100003${'0'.repeat(18)}2.00AOLJ|BXYYYYYYYYYYYYYYYY|`;
    const message = decoded(decode(wire));
    expect(message).toMatchObject({ dateTimeSync: null, timeoutPeriod: 100, retriesAllowed: 3 });
    expect(encode(message).text).toBe(`${wire}\r`);
  });

  it('a garbage date in a variable field (BW) is null with a warning', () => {
    const result = decode(`15+${TW}BWsoon|AOLJ|AA1|`);
    expect(decoded(result)).toMatchObject({ expirationDate: null });
    expect(warningCodes(result)).toEqual(['bad-date']);
  });
});

describe('tolerated practice (reference §1)', () => {
  it('a stray | right after the fixed part (jsip2 sends 9900002.00|)', () => {
    const result = decode('9900002.00|\r');
    expect(decoded(result)).toEqual({ code: '99', statusCode: '0', maxPrintWidth: 0, protocolVersion: '2.00', extra: [] });
    expect(result.warnings).toEqual([]);
  });

  it('a stray | before AY', () => {
    const result = decode('9300CNuser|COpassword||AY0AZF606');
    expect(result).toMatchObject({ ok: true, checksumStatus: 'valid' });
  });

  it('empty fields are kept as empty strings (AD| means "no PIN entered")', () => {
    const message = decoded(decode(`23001${TW}AOLJ|AA1|AC|AD|`));
    expect(message).toMatchObject({ terminalPassword: '', patronPassword: '' });
  });

  it('trailing junk fields |||', () => {
    const result = decode(`23001${TW}AOLJ|AA1|AC|AD||||\r`);
    expect(decoded(result)).toMatchObject({ patronIdentifier: '1' });
    expect(result.warnings).toEqual([]);
  });

  it('fields in any order', () => {
    const message = decoded(decode(`11NN${TW}${' '.repeat(18)}BOY|ACterm|AB3000123|AA12345|AOLJ|`));
    expect(message).toMatchObject({
      institutionId: 'LJ',
      patronIdentifier: '12345',
      itemIdentifier: '3000123',
      terminalPassword: 'term',
      feeAcknowledged: true,
    });
  });

  it('the last field may lack its |', () => {
    expect(decoded(decode(`17${TW}AOLJ|AB3000123`))).toMatchObject({ itemIdentifier: '3000123' });
  });

  it("17 with a language in front of the date (Koha's CLI): read the date from the right, warn", () => {
    const result = decode(`17001${TW}AOLJ|AB3000123|ACterm|`);
    expect(decoded(result)).toMatchObject({ transactionDate: T, institutionId: 'LJ', itemIdentifier: '3000123' });
    expect(warningCodes(result)).toEqual(['fixed-part-length']);
  });

  it('an over-long fixed part elsewhere is read from the left, with a warning', () => {
    const result = decode(`941X|AFok|`);
    expect(decoded(result)).toMatchObject({ code: '94', ok: true, screenMessage: ['ok'] });
    expect(warningCodes(result)).toEqual(['fixed-part-length']);
  });

  it('duplicate non-repeatable field: first value kept, warning names the field', () => {
    const result = decode(`23001${TW}AOLJ|AAfirst|AC|AD|AAsecond|`);
    expect(decoded(result)).toMatchObject({ patronIdentifier: 'first' });
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'duplicate-field', field: 'AA' })]);
  });

  it('repeatable fields collect every value in order', () => {
    const message = decoded(decode(`36Y${TW}AOLJ|AA1|AFone|AGp1|AFtwo|AFthree|AGp2|`));
    expect(message).toMatchObject({ screenMessage: ['one', 'two', 'three'], printLine: ['p1', 'p2'] });
  });

  it('unknown fields are kept in order and re-emitted on encode', () => {
    const wire = `10${'1NNN'}${TW}AOLJ|AB1|AQMAIN|PB19800101|ZZvendor|XXmore|`;
    const message = decoded(decode(wire));
    expect(message.extra).toEqual([
      { id: 'PB', value: '19800101' },
      { id: 'ZZ', value: 'vendor' },
      { id: 'XX', value: 'more' },
    ]);
    expect(encode(message).text).toBe(`${wire}\r`);
  });

  it('an unknown field may come first after the fixed part', () => {
    const message = decoded(decode(`17${TW}ZZx|AOLJ|AB1|`));
    expect(message).toMatchObject({ institutionId: 'LJ', extra: [{ id: 'ZZ', value: 'x' }] });
  });

  it('a field known elsewhere but not in this message goes to extra (AA in 66)', () => {
    const message = decoded(decode(`66100000000${TW}AOLJ|AA12345|`));
    expect(message.extra).toEqual([{ id: 'AA', value: '12345' }]);
  });

  it('BX longer than 16 (Libki sends 18): positions 0–15 are read, no warning', () => {
    const result = decode(`98YYYYYY100003${TW}2.00AOLJ|BXYNYNYNYNYNYNYNYNYY|`);
    const message = decoded(result);
    expect(message.code === '98' && message.supportedMessages).toMatchObject({
      patronStatus: true,
      checkout: false,
      renew: true,
      renewAll: false,
    });
    expect(result.warnings).toEqual([]);
  });

  it('BX shorter than 16: missing positions read as N, with a warning', () => {
    const result = decode(`98YYYYYY100003${TW}2.00AOLJ|BXYYYY|`);
    const message = decoded(result);
    expect(message.code === '98' && message.supportedMessages.scAcsStatus).toBe(false);
    expect(warningCodes(result)).toEqual(['bad-field-value']);
  });

  it('missing required fields: decoded as empty, with warnings naming them', () => {
    const result = decode(`23001${TW}AOLJ|`);
    expect(decoded(result)).toMatchObject({ patronIdentifier: '', terminalPassword: '', patronPassword: '' });
    expect(result.warnings.map((w) => w.field)).toEqual(['AA', 'AC', 'AD']);
    expect(warningCodes(result)).toEqual(['missing-required-field', 'missing-required-field', 'missing-required-field']);
  });

  it('a non-numeric count is unknown (null) with a warning', () => {
    const result = decode(`66100AB0001${TW}AOLJ|`);
    expect(decoded(result)).toMatchObject({ renewedCount: null, unrenewedCount: 1 });
    expect(warningCodes(result)).toEqual(['bad-fixed-field']);
  });

  it('an odd Y/N flag value in a variable field is kept in extra, with a warning', () => {
    const result = decode(`24${' '.repeat(14)}001${TW}AOLJ|AA1|AEx|BLmaybe|`);
    const message = decoded(result);
    expect(message).not.toHaveProperty('validPatron');
    expect(message.extra).toEqual([{ id: 'BL', value: 'maybe' }]);
    expect(warningCodes(result)).toEqual(['bad-field-value']);
  });

  it('a non-numeric BR queue position is kept in extra, with a warning', () => {
    const result = decode(`161N${TW}BRfirst|AOLJ|AA1|`);
    expect(decoded(result).extra).toEqual([{ id: 'BR', value: 'first' }]);
    expect(warningCodes(result)).toEqual(['bad-field-value']);
  });

  it('an unexpected fixed flag (X for Y/N) decodes as N with a warning', () => {
    const result = decode(`36X${TW}AOLJ|AA1|`);
    expect(decoded(result)).toMatchObject({ endSession: false });
    expect(result.warnings).toEqual([expect.objectContaining({ code: 'bad-fixed-field', field: 'endSession' })]);
  });

  it('64 counts of four spaces (unsupported) decode as null', () => {
    const message = decoded(decode(`64${' '.repeat(14)}000${TW}${' '.repeat(24)}AOLJ|AA1|AE|`));
    expect(message).toMatchObject({ holdItemsCount: null, unavailableHoldsCount: null });
  });

  it('63 summary: the requested list and the reserved positions 6–9 survive', () => {
    const wire = `63001${TW}      Y   AOLJ|AA1|`;
    const message = decoded(decode(wire));
    expect(message.code === '63' && message.summary).toEqual({
      holdItems: false,
      overdueItems: false,
      chargedItems: false,
      fineItems: false,
      recallItems: false,
      unavailableHolds: false,
      reserved: 'Y   ',
    });
    expect(encode(message).text).toBe(`${wire}\r`);
  });

  it('CRLF, LF and trailing NULs after the message are accepted', () => {
    expect(decoded(decode('941\r\n'))).toMatchObject({ ok: true });
    expect(decoded(decode('941\n'))).toMatchObject({ ok: true });
    expect(decoded(decode(new Uint8Array([0x39, 0x34, 0x31, 0x0d, 0x00])))).toMatchObject({ ok: true });
  });

  it('a leading LF (rest of a split CRLF) is skipped', () => {
    expect(decoded(decode('\n941\r'))).toMatchObject({ code: '94' });
  });

  it('a NUL inside the message is removed, with a warning', () => {
    const result = decode(new Uint8Array([0x39, 0x34, 0x31, 0x00]));
    expect(decoded(result)).toMatchObject({ code: '94', ok: true });
    const inside = decode(`17${TW}AOL\u0000J|AB1|`);
    expect(decoded(inside)).toMatchObject({ institutionId: 'LJ' });
    expect(warningCodes(inside)).toEqual(['nul-byte']);
  });

  it('a second message after the terminator is ignored, with a trailing-data warning', () => {
    const result = decode('941\r940\r');
    expect(decoded(result)).toMatchObject({ ok: true });
    expect(warningCodes(result)).toEqual(['trailing-data']);
  });

  it('lowercase Y/N flags are accepted', () => {
    expect(decoded(decode(`36y${TW}AOLJ|AA1|`))).toMatchObject({ endSession: true });
  });
});

import { describe, expect, it } from 'vitest';
import { decode, encode, maskWire, printable, redactMessage } from '../../../protocols/sip2/index.ts';
import { TW } from './golden.ts';

describe('maskWire', () => {
  it('masks the login password (CO) and the checksum that would leak its byte sum', () => {
    const out = maskWire('9300CNuser|COpassword|AY0AZF682\r');
    expect(out).toBe('9300CNuser|CO****|AY0AZ****\\r');
    expect(out).not.toContain('password');
  });

  it('masks the patron PIN (AD) and terminal password (AC), leaves the rest readable', () => {
    const out = maskWire(`23001${TW}AOLJ|AA12345|ACterm-pw|AD4321|\r`);
    expect(out).toBe(`23001${TW}AOLJ|AA12345|AC****|AD****|\\r`);
  });

  it('shows that no PIN was sent (AD|) and keeps the checksum then', () => {
    expect(maskWire(`23001${TW}AOLJ|AA12345|AC|AD|AY1AZF592\r`)).toBe(`23001${TW}AOLJ|AA12345|AC|AD|AY1AZF592\\r`);
  });

  it('does not leak the length of a secret', () => {
    expect(maskWire('9300CNu|COx|')).toBe(maskWire('9300CNu|COa-much-longer-password|'));
  });

  it('masks a secret in the last field without its |', () => {
    expect(maskWire('9300CNu|COsecret\r')).toBe('9300CNu|CO****\\r');
  });

  it('works on raw bytes in the account charset', () => {
    const bytes = encode(
      { code: '63', language: '001', transactionDate: null, summary: { holdItems: false, overdueItems: false, chargedItems: false, fineItems: false, recallItems: false, unavailableHolds: false }, institutionId: 'LJ', patronIdentifier: 'Žiga', patronPassword: '0000' },
      { charset: 'cp852' },
    ).bytes;
    const out = maskWire(bytes, { charset: 'cp852' });
    expect(out).toContain('AAŽiga|AD****|');
    expect(out).not.toContain('0000|');
  });

  it('masks secrets even in unknown commands and garbage', () => {
    expect(maskWire('ZZ|COpw|ADpin|')).toBe('ZZ|CO****|AD****|');
    expect(() => maskWire(new Uint8Array([0xff, 0x00, 0x7c]))).not.toThrow();
  });

  it('never mistakes fixed-part characters for a field ID', () => {
    // A 37 whose currency is "ADP" (Andorran peseta): the fixed part is not a field.
    expect(maskWire(`37${TW}0100ADPBV1|AOLJ|AA1|`)).toBe(`37${TW}0100ADPBV1|AOLJ|AA1|`);
  });

  it('makes control characters visible', () => {
    expect(printable('a\r\n\t\u0001\\')).toBe('a\\r\\n\\t\\x01\\\\');
  });
});

describe('redactMessage', () => {
  it('replaces password properties and secret extra fields, leaving the original intact', () => {
    const result = decode(`11NN${TW}${' '.repeat(18)}AOLJ|AA12345|AB1|ACterm|AD4321|ZZok|`);
    if (!result.ok) throw new Error('decode failed');
    const message = result.message;
    const redacted = redactMessage({ ...message, extra: [...(message.extra ?? []), { id: 'CO', value: 'x' }] });
    expect(redacted).toMatchObject({
      terminalPassword: '****',
      patronPassword: '****',
      patronIdentifier: '12345',
      extra: [{ id: 'ZZ', value: 'ok' }, { id: 'CO', value: '****' }],
    });
    expect(message).toMatchObject({ terminalPassword: 'term', patronPassword: '4321' });
    expect(JSON.stringify(redacted)).not.toMatch(/4321|term"/);
  });

  it('leaves an empty PIN visibly empty', () => {
    const redacted = redactMessage({ code: '93', uidAlgorithm: '0', pwdAlgorithm: '0', loginUserId: 'u', loginPassword: '' });
    expect(redacted.loginPassword).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import {
  HEALTHY_PRINTER,
  type PrinterCondition,
  type StatusByte,
  align,
  barcode,
  canEncode,
  codePageForEscT,
  codePageForLanguage,
  cut,
  decodeStatusByte,
  drawerKick,
  encodeStatusByte,
  feedLines,
  qrCode,
  selectCodePage,
  statusRequest,
  summarizeStatus,
  textSize,
  underline,
} from '../../../protocols/escpos/index.ts';

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

describe('code page table', () => {
  it('maps kiosk languages to ESC t values as in devices.md (CP852 = 18 on Epson, 6 on Citizen; CP775 = 0x21)', () => {
    expect(codePageForLanguage('sl')).toEqual({ codePage: 'cp852', escT: 18 });
    expect(codePageForLanguage('hu')).toEqual({ codePage: 'cp852', escT: 18 });
    expect(codePageForLanguage('sl', 'citizen')).toEqual({ codePage: 'cp852', escT: 6 });
    expect(codePageForLanguage('lv')).toEqual({ codePage: 'cp775', escT: 0x21 });
    expect(codePageForLanguage('en-GB')).toEqual({ codePage: 'cp437', escT: 0 });
  });

  it('falls back to Windows-1257 for Latvian on printers without CP775, and to null when there is neither', () => {
    expect(codePageForLanguage('lv', 'xprinter')).toEqual({ codePage: 'windows1257', escT: 25 });
    expect(codePageForLanguage('lv', 'bixolon')).toEqual({ codePage: 'cp775', escT: 30 });
    expect(codePageForLanguage('lv', 'star')).toBeNull();
  });

  it('reverses ESC t values to code pages per vendor', () => {
    expect(codePageForEscT(18)).toBe('cp852');
    expect(codePageForEscT(6, 'citizen')).toBe('cp852');
    expect(codePageForEscT(6)).toBeNull();
  });

  it('knows that Latvian letters need CP775 and Hungarian ő ű fit CP852', () => {
    expect(canEncode('ā ē ī ū ļ ņ ķ ģ', 'cp775')).toBe(true);
    expect(canEncode('ā ē ī ū ļ ņ ķ ģ', 'cp852')).toBe(false);
    expect(canEncode('Őrség ű', 'cp852')).toBe(true);
  });
});

describe('encoder helpers', () => {
  it('encodes the receipt subset of §4.1 byte for byte', () => {
    expect(hex(selectCodePage('cp852'))).toBe('1b 74 12');
    expect(hex(selectCodePage('cp852', 'citizen'))).toBe('1b 74 06');
    expect(() => selectCodePage('cp775', 'star')).toThrow(RangeError);
    expect(hex(textSize(2, 3))).toBe('1d 21 12');
    expect(hex(underline(2))).toBe('1b 2d 02');
    expect(hex(align('right'))).toBe('1b 61 02');
    expect(hex(feedLines(4))).toBe('1b 64 04');
    expect(hex(cut())).toBe('1d 56 00');
    expect(hex(cut('partial'))).toBe('1d 56 01');
    expect(hex(cut('partial', 3))).toBe('1d 56 42 03');
    expect(hex(statusRequest(4))).toBe('10 04 04');
  });

  it('encodes the typical drawer kick 1B 70 00 19 FA and pin 5 with other times', () => {
    expect(hex(drawerKick())).toBe('1b 70 00 19 fa');
    expect(hex(drawerKick({ pin: 5, onMs: 100, offMs: 200 }))).toBe('1b 70 01 32 64');
    expect(() => drawerKick({ onMs: 600 })).toThrow(RangeError);
  });

  it('encodes a Code 128 barcode with settings and the {B prefix', () => {
    expect(hex(barcode('12', 'code128', { hri: 'below', heightDots: 60, moduleWidth: 3 }))).toBe(
      '1d 48 02 1d 68 3c 1d 77 03 1d 6b 49 04 7b 42 31 32',
    );
  });

  it('encodes the QR function sequence with pL pH = length + 3', () => {
    expect(hex(qrCode('AB', { model: 2, moduleSize: 6, errorCorrection: 'Q' }))).toBe(
      [
        '1d 28 6b 04 00 31 41 32 00',
        '1d 28 6b 03 00 31 43 06',
        '1d 28 6b 03 00 31 45 32',
        '1d 28 6b 05 00 31 50 30 41 42',
        '1d 28 6b 03 00 31 51 30',
      ].join(' '),
    );
  });
});

describe('DLE EOT status bytes', () => {
  const ok = (n: number, byte: number): StatusByte => {
    const r = decodeStatusByte(n, byte);
    if (!r.ok) throw new Error(`expected a status byte, got ${r.error}`);
    return r.status;
  };

  it('decodes paper end and near end from n = 4 (bits 5–6 and 2–3)', () => {
    expect(ok(4, 0x12)).toMatchObject({ paperEnd: false, paperNearEnd: false });
    expect(ok(4, 0x1e)).toMatchObject({ paperEnd: false, paperNearEnd: true });
    expect(ok(4, 0x72)).toMatchObject({ paperEnd: true, paperNearEnd: false });
  });

  it('decodes cover open, paper-end stop and error from n = 2', () => {
    expect(ok(2, 0x16)).toMatchObject({ coverOpen: true, stoppedByPaperEnd: false, error: false });
    expect(ok(2, 0x32)).toMatchObject({ coverOpen: false, stoppedByPaperEnd: true });
    expect(ok(2, 0x52)).toMatchObject({ error: true });
  });

  it('decodes drawer pin 3 and offline from n = 1, and the error causes from n = 3', () => {
    expect(ok(1, 0x16)).toMatchObject({ drawerPin3High: true, offline: false });
    expect(ok(1, 0x1a)).toMatchObject({ drawerPin3High: false, offline: true });
    expect(ok(3, 0x1a)).toMatchObject({ autocutterError: true, unrecoverableError: false });
  });

  it('rejects bytes without the fixed bits 0xx1xx10', () => {
    expect(decodeStatusByte(1, 0x00)).toEqual({ ok: false, error: 'fixed-bits-mismatch', raw: 0 });
    expect(decodeStatusByte(1, 0x93)).toMatchObject({ ok: false, error: 'fixed-bits-mismatch' });
    expect(decodeStatusByte(5, 0x12)).toMatchObject({ ok: false, error: 'unsupported-function' });
  });

  it('encodes what the simulator answers and decodes it back to the same condition', () => {
    const conditions: Partial<PrinterCondition>[] = [
      {},
      { paperEnd: true },
      { paperNearEnd: true },
      { coverOpen: true },
      { drawerPin3High: true },
      { autocutterError: true },
    ];
    for (const c of conditions) {
      const replies = ([1, 2, 3, 4] as const).map((n) => ok(n, encodeStatusByte(n, c)));
      const status = summarizeStatus(replies);
      const full = { ...HEALTHY_PRINTER, ...c };
      expect(status, JSON.stringify(c)).toEqual({
        paperEnd: full.paperEnd,
        paperNearEnd: full.paperNearEnd || full.paperEnd,
        coverOpen: full.coverOpen,
        drawerPin3High: full.drawerPin3High,
        offline: full.coverOpen || full.paperEnd || full.autocutterError,
        error: full.autocutterError,
      });
    }
  });

  it('leaves fields unknown (null) when their reply was not read', () => {
    expect(summarizeStatus([ok(4, 0x72)])).toEqual({
      paperEnd: true,
      paperNearEnd: false,
      coverOpen: null,
      drawerPin3High: null,
      offline: null,
      error: null,
    });
  });
});

import { describe, expect, it } from 'vitest';
import {
  type AssemblerEvent,
  HidPosScanAssembler,
  SCAN_REPORT_LENGTH,
  SerialScanParser,
  type SerialScanEvent,
  decodeScanReport,
  encodeScanReports,
  parseAimIdentifier,
  splitAimPrefix,
} from '../../../protocols/hid-pos/index.ts';

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** A report built by hand from the layout in devices.md §3 (not with the encoder under test). */
function handReport(data: string, aim: string, more: boolean, vendor = 0): Uint8Array {
  const r = new Uint8Array(64);
  r[0] = 0x02;
  r[1] = data.length;
  r.set(ascii(aim), 2);
  r.set(ascii(data), 5);
  r[61] = vendor;
  r[63] = more ? 1 : 0;
  return r;
}

function scanOf(event: AssemblerEvent) {
  if (event.type !== 'scan') throw new Error(`expected a scan, got ${event.type}`);
  return event.scan;
}

function scans(events: SerialScanEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'scan' ? [e.scan.data] : []));
}

describe('HID POS input report 0x02', () => {
  it('decodes length, AIM id, data, vendor id and the more-flag at their byte offsets', () => {
    const decoded = decodeScanReport(handReport('30012345', ']F0', true, 0x61));
    expect(decoded).toEqual({
      ok: true,
      report: { aimText: ']F0', data: Uint8Array.from(ascii('30012345')), vendorCodeId: 0x61, more: true },
    });
  });

  it('ignores other report IDs and reports too-short buffers', () => {
    expect(decodeScanReport(Uint8Array.of(0x01, 3, 0x5d, 0x43, 0x30, 0x31))).toEqual({ ok: false, error: 'wrong-report-id', reportId: 1 });
    expect(decodeScanReport(Uint8Array.of(0x02, 3))).toMatchObject({ ok: false, error: 'too-short' });
  });

  it('clamps a declared length larger than the 56-byte data area', () => {
    const r = handReport('x'.repeat(56), ']C0', false);
    r[1] = 60;
    const decoded = decodeScanReport(r);
    expect(decoded.ok && decoded.report.data.length).toBe(56);
    expect(decoded.ok && decoded.warning).toBe('length-clamped');
  });

  it('reads WebHID-style buffers without the report ID byte', () => {
    const decoded = decodeScanReport(handReport('123', ']E0', false).subarray(1), { includesReportId: false });
    expect(decoded).toMatchObject({ ok: true, report: { aimText: ']E0', data: Uint8Array.from(ascii('123')), more: false } });
  });
});

describe('HidPosScanAssembler', () => {
  it('assembles a scan split over three reports and keeps the first report\'s AIM id', () => {
    const assembler = new HidPosScanAssembler();
    expect(assembler.push(handReport('A'.repeat(56), ']Q1', true))).toEqual({ type: 'partial', bytesSoFar: 56 });
    expect(assembler.pending).toBe(true);
    expect(assembler.push(handReport('B'.repeat(56), ']Q1', true))).toEqual({ type: 'partial', bytesSoFar: 112 });
    const scan = scanOf(assembler.push(handReport('CC', ']Q1', false)));
    expect(scan.data).toBe(`${'A'.repeat(56)}${'B'.repeat(56)}CC`);
    expect(scan.symbology).toBe('qr');
    expect(scan.aim?.identifier).toBe(']Q1');
    expect(assembler.pending).toBe(false);
  });

  it('ignores reports of other IDs in the middle of a scan', () => {
    const assembler = new HidPosScanAssembler();
    assembler.push(handReport('12', ']C0', true));
    expect(assembler.push(Uint8Array.of(0x04, 0, 0))).toMatchObject({ type: 'ignored', reason: 'wrong-report-id' });
    expect(scanOf(assembler.push(handReport('34', ']C0', false))).data).toBe('1234');
  });

  it('round-trips the simulator encoder: a 134-byte UTF-8 payload becomes three 64-byte reports', () => {
    const payload = `https://knjiznica.si/?q=${'Čebelica '.repeat(11)}`;
    const reports = encodeScanReports(payload, { aim: ']Q1', vendorCodeId: 's' });
    expect(reports.map((r) => r.length)).toEqual([SCAN_REPORT_LENGTH, SCAN_REPORT_LENGTH, SCAN_REPORT_LENGTH]);
    expect(reports.map((r) => r[63])).toEqual([1, 1, 0]);
    const assembler = new HidPosScanAssembler();
    const events = reports.map((r) => assembler.push(r));
    expect(scanOf(events[2] as AssemblerEvent).data).toBe(payload);
  });

  it('falls back to the Honeywell code id when the scanner sends no AIM identifier', () => {
    const assembler = new HidPosScanAssembler();
    const scan = scanOf(assembler.push(encodeScanReports('LIB123', { vendorCodeId: 'b' })[0] as Uint8Array));
    expect(scan.aim).toBeNull();
    expect(scan.symbology).toBe('code39');
  });

  it('drops data beyond maxScanBytes but still ends the scan at the final report', () => {
    const assembler = new HidPosScanAssembler({ maxScanBytes: 60 });
    assembler.push(handReport('x'.repeat(56), ']C0', true));
    assembler.push(handReport('y'.repeat(56), ']C0', true));
    const last = assembler.push(handReport('z', ']C0', false));
    expect(last.type === 'scan' && last.truncated).toBe(true);
    expect(scanOf(last).data).toBe(`${'x'.repeat(56)}yyyy`);
  });
});

describe('AIM symbology identifiers', () => {
  it.each([
    [']C0', 'code128', false],
    [']C1', 'gs1-128', true],
    [']E0', 'ean13', false],
    [']E4', 'ean8', false],
    [']F0', 'codabar', false],
    [']A0', 'code39', false],
    [']I1', 'itf', false],
    [']Q1', 'qr', false],
    [']Q3', 'gs1-qr', true],
    [']d1', 'datamatrix', false],
    [']d2', 'gs1-datamatrix', true],
    [']e0', 'gs1-databar', true],
    [']W0', 'unknown', false],
  ])('%s is %s', (id, symbology, gs1) => {
    expect(parseAimIdentifier(id)).toMatchObject({ identifier: id, symbology, gs1 });
  });

  it('rejects text that is not an AIM identifier', () => {
    for (const text of ['C0]', ']C', ']C00', '[C0', ']?0', ']C-']) expect(parseAimIdentifier(text), text).toBeNull();
  });

  it('splits an AIM prefix off scanned text and leaves other text whole', () => {
    expect(splitAimPrefix(']F0A30012345B')).toMatchObject({ aim: { symbology: 'codabar' }, data: 'A30012345B' });
    expect(splitAimPrefix('30012345')).toEqual({ aim: null, data: '30012345' });
  });
});

describe('SerialScanParser', () => {
  it('splits on CR across chunk boundaries and drops the LF of a CR LF scanner', () => {
    const parser = new SerialScanParser({ suffix: 'CR' });
    expect(scans(parser.feed('300123'))).toEqual([]);
    expect(scans(parser.feed('45\r\n3001'))).toEqual(['30012345']);
    expect(scans(parser.feed('99\r'))).toEqual(['300199']);
  });

  it('ends scans only on CR LF when configured so, even with CR and LF in separate chunks', () => {
    const parser = new SerialScanParser({ suffix: 'CRLF' });
    expect(scans(parser.feed('ABC\r'))).toEqual([]);
    expect(scans(parser.feed('\nDEF\r\n'))).toEqual(['ABC', 'DEF']);
  });

  it('handles LF (dropping a CR before it) and TAB suffixes', () => {
    expect(scans(new SerialScanParser({ suffix: 'LF' }).feed('111\r\n222\n'))).toEqual(['111', '222']);
    expect(scans(new SerialScanParser({ suffix: 'TAB' }).feed('111\t222\t'))).toEqual(['111', '222']);
  });

  it('parses an AIM prefix after a configured prefix, and ignores lines without the prefix', () => {
    const parser = new SerialScanParser({ suffix: 'CR', aimPrefix: true, prefix: '#' });
    const events = parser.feed('#]E09789612345678\rnoise\r#]Q1https://x.si/\r');
    expect(events).toMatchObject([
      { type: 'scan', scan: { data: '9789612345678', symbology: 'ean13', aim: { identifier: ']E0' } } },
      { type: 'ignored', reason: 'missing-prefix', text: 'noise' },
      { type: 'scan', scan: { data: 'https://x.si/', symbology: 'qr' } },
    ]);
  });

  it('ignores empty lines and reports an over-long line instead of a scan', () => {
    const parser = new SerialScanParser({ suffix: 'CR', maxLineBytes: 8 });
    expect(parser.feed('\r\r123456789012\rok\r')).toEqual([
      { type: 'overflow', discardedBytes: 12 },
      expect.objectContaining({ type: 'scan', scan: expect.objectContaining({ data: 'ok' }) }),
    ]);
  });
});

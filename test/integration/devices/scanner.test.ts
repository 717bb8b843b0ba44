/**
 * The scanner drivers against their simulators: HID POS reports through a fake HidTransport, a serial
 * scanner over a simulated serial line, and a keyboard wedge read as Linux input events (from a
 * stream and from a file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeScanReports } from '../../../protocols/hid-pos/index.ts';
import { HidPosScanner } from '../../../drivers/scanner/hid-pos.driver.ts';
import { HidPosScannerSimulator } from '../../../drivers/scanner/hid-pos.simulator.ts';
import type { ScanEvent } from '../../../drivers/scanner/index.ts';
import { KeyboardWedgeScanner } from '../../../drivers/scanner/keyboard-wedge.driver.ts';
import { KeyboardWedgeSimulator } from '../../../drivers/scanner/keyboard-wedge.simulator.ts';
import { SerialScanner } from '../../../drivers/scanner/serial.driver.ts';
import { SerialScannerSimulator } from '../../../drivers/scanner/serial.simulator.ts';
import { eventually, waitForEvent } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function collect(scanner: { on(event: 'scan', listener: (e: ScanEvent) => void): unknown }): ScanEvent[] {
  const scans: ScanEvent[] = [];
  scanner.on('scan', (e) => scans.push(e));
  return scans;
}

describe('HID POS scanner', () => {
  async function rig(simOptions: ConstructorParameters<typeof HidPosScannerSimulator>[0] = {}) {
    const sim = new HidPosScannerSimulator(simOptions);
    const scanner = new HidPosScanner({ id: 'hid-scanner' }, { transport: sim.transport });
    cleanups.push(() => scanner.close());
    await scanner.open();
    return { sim, scanner, scans: collect(scanner) };
  }

  it('assembles a long QR code from several 64-byte reports into one scan with its symbology', async () => {
    const { sim, scanner, scans } = await rig();
    const url = 'https://library.example/opac/record/' + '0123456789'.repeat(9);
    await sim.scan(url, 'qr');
    expect(sim.sentReports).toHaveLength(3);
    expect(sim.sentReports.map((r) => r[63])).toEqual([1, 1, 0]); // more-flag on all but the last
    expect(scans).toEqual([
      { data: url, symbology: 'qr', source: 'hid-scanner', interface: 'hid-pos', aim: ']Q1', bytes: new TextEncoder().encode(url) },
    ]);
    expect(scanner.state).toBe('ready');
  });

  it('assembles short codes split into small reports, and keeps scans apart', async () => {
    const { sim, scans } = await rig({ chunkSize: 4 });
    await sim.scan('30123456789012', 'code128');
    await sim.scan('9789612345676', 'ean13');
    expect(sim.sentReports).toHaveLength(4 + 4);
    expect(scans.map((s) => [s.data, s.symbology, s.aim])).toEqual([
      ['30123456789012', 'code128', ']C0'],
      ['9789612345676', 'ean13', ']E0'],
    ]);
  });

  it('takes the symbology from the vendor code id when the scanner sends no AIM identifier', async () => {
    const { sim, scans } = await rig({ aim: false });
    await sim.scan('A12345B', 'codabar');
    expect(scans[0]).toMatchObject({ data: 'A12345B', symbology: 'codabar', aim: null });
  });

  it('ignores reports with another report ID in the middle of a scan', async () => {
    const { sim, scans } = await rig();
    const [first, second] = encodeScanReports('ABCDEFGH', { aim: ']A0', chunkSize: 4 });
    await sim.sendReport(first!);
    await sim.sendReport(Uint8Array.of(0x05, 1, 2, 3));
    await sim.sendReport(second!);
    expect(scans.map((s) => [s.data, s.symbology])).toEqual([['ABCDEFGH', 'code39']]);
  });

  it('goes offline when unplugged and scans again after reopening', async () => {
    const { sim, scanner, scans } = await rig();
    const offline = waitForEvent(scanner, 'state');
    sim.unplug();
    expect((await offline)[0]).toMatchObject({ state: 'offline', reason: 'unplugged' });
    await expect(scanner.open()).rejects.toMatchObject({ code: 'open_failed' });
    sim.replug();
    await scanner.open();
    await sim.scan('123', 'code128');
    expect(scans.map((s) => s.data)).toEqual(['123']);
  });
});

describe('serial scanner', () => {
  let seq = 0;
  async function rig(config: { suffix?: 'CR' | 'LF' | 'CRLF' | 'TAB'; aimPrefix?: boolean; prefix?: string; triggerCommand?: string } = {}) {
    const path = `/dev/sim-scanner-${process.pid}-${++seq}`;
    const sim = new SerialScannerSimulator({ path, ...config });
    const scanner = new SerialScanner({ id: 'serial-scanner', path, ...config }, { binding: sim.binding });
    cleanups.push(() => scanner.close());
    await scanner.open();
    return { sim, scanner, scans: collect(scanner) };
  }

  it('reads scans with a CRLF suffix and an AIM prefix, split across chunks', async () => {
    const { sim, scans } = await rig({ suffix: 'CRLF', aimPrefix: true });
    expect(Buffer.from(sim.frame('30123456789012')).toString('latin1')).toBe(']C030123456789012\r\n');
    await sim.scan('30123456789012', 'code128');
    await sim.scan('9789612345676', 'ean13');
    await sim.scan('A0123456789B', 'codabar');
    await eventually(() => scans.length === 3);
    expect(scans.map((s) => ({ data: s.data, symbology: s.symbology, aim: s.aim, interface: s.interface, source: s.source }))).toEqual([
      { data: '30123456789012', symbology: 'code128', aim: ']C0', interface: 'serial', source: 'serial-scanner' },
      { data: '9789612345676', symbology: 'ean13', aim: ']E0', interface: 'serial', source: 'serial-scanner' },
      { data: 'A0123456789B', symbology: 'codabar', aim: ']F0', interface: 'serial', source: 'serial-scanner' },
    ]);
  });

  it('uses a configured prefix and drops lines without it', async () => {
    const { sim, scans } = await rig({ suffix: 'TAB', prefix: '#' });
    await sim.scan('4711');
    sim.line.send('noise\t');
    await sim.scan('4712');
    await eventually(() => scans.length === 2);
    expect(scans.map((s) => [s.data, s.symbology])).toEqual([
      ['4711', 'unknown'],
      ['4712', 'unknown'],
    ]);
  });

  it('answers the serial trigger command with the armed code', async () => {
    const { sim, scanner, scans } = await rig({ aimPrefix: true, triggerCommand: '\u0016T\r' });
    sim.arm('0100203', 'code39');
    await scanner.trigger();
    await eventually(() => scans.length === 1);
    expect(scans[0]).toMatchObject({ data: '0100203', symbology: 'code39' });
    expect(Buffer.from(sim.line.written).toString('latin1')).toBe('\u0016T\r');
  });

  it('goes offline "unplugged" when the cable is pulled', async () => {
    const { sim, scanner } = await rig();
    const offline = waitForEvent(scanner, 'state');
    sim.unplug();
    expect((await offline)[0]).toMatchObject({ state: 'offline', reason: 'unplugged' });
    await expect(scanner.open()).rejects.toMatchObject({ code: 'open_failed' });
    sim.replug();
    await scanner.open();
    expect(scanner.state).toBe('ready');
  });
});

describe('keyboard-wedge scanner (Linux input events)', () => {
  async function rig(config: { aimPrefix?: boolean; prefix?: string; recordSize?: 24 | 16 } = {}, simOptions: ConstructorParameters<typeof KeyboardWedgeSimulator>[0] = {}) {
    const sim = new KeyboardWedgeSimulator({ ...simOptions, ...(config.recordSize ? { recordSize: config.recordSize } : {}) });
    const scanner = new KeyboardWedgeScanner({ id: 'wedge', path: '/dev/input/event7', ...config }, { openInput: sim.openInput });
    cleanups.push(() => scanner.close());
    await scanner.open();
    return { sim, scanner, scans: collect(scanner) };
  }

  it('decodes keystrokes with Shift into capitals and symbols; Enter ends the scan', async () => {
    const { sim, scans } = await rig();
    await sim.scan('AbC-12x/Z:%');
    await sim.scan('30123456789012');
    await eventually(() => scans.length === 2);
    expect(scans.map((s) => [s.data, s.interface, s.source])).toEqual([
      ['AbC-12x/Z:%', 'keyboard-wedge', 'wedge'],
      ['30123456789012', 'keyboard-wedge', 'wedge'],
    ]);
  });

  it('reads 16-byte records (32-bit time_t) when configured', async () => {
    const { sim, scans } = await rig({ recordSize: 16 });
    await sim.scan('Kit-45');
    await eventually(() => scans.length === 1);
    expect(scans[0]?.data).toBe('Kit-45');
  });

  it('tells a person typing (slow keys) from a scan, by the event timestamps', async () => {
    const { sim, scans } = await rig();
    await sim.typeByHand('hello', 150);
    await sim.scan('0100203');
    await eventually(() => scans.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(scans.map((s) => s.data)).toEqual(['0100203']);
  });

  it('strips a prefix and an AIM identifier', async () => {
    const { sim, scans } = await rig({ prefix: '~', aimPrefix: true }, { prefix: '~', aimPrefix: true });
    await sim.scan('9789612345676', 'ean13');
    await eventually(() => scans.length === 1);
    expect(scans[0]).toMatchObject({ data: '9789612345676', symbology: 'ean13', aim: ']E0' });
  });

  it('goes offline "unplugged" when the input device disappears', async () => {
    const { sim, scanner } = await rig();
    const offline = waitForEvent(scanner, 'state');
    sim.unplug();
    expect((await offline)[0]).toMatchObject({ state: 'offline', reason: 'unplugged' });
    await expect(scanner.open()).rejects.toMatchObject({ code: 'open_failed' });
  });

  it('reads input_event records from a device path (a file of records here)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiosk-evdev-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'event7');
    new KeyboardWedgeSimulator().writeScansToFile(file, ['LIB-0001', 'Lib-0002']);
    const scanner = new KeyboardWedgeScanner({ id: 'wedge-file', path: file, pollIntervalMs: 2 });
    cleanups.push(() => scanner.close());
    const scans = collect(scanner);
    const ended = waitForEvent(scanner, 'state', 3000);
    await scanner.open();
    // The file ends after the records (a real device never does).
    await eventually(() => scanner.status().reason === 'input ended');
    await ended;
    expect(scans.map((s) => s.data)).toEqual(['LIB-0001', 'Lib-0002']);

    const missing = new KeyboardWedgeScanner({ id: 'wedge-missing', path: join(dir, 'nope') });
    await expect(missing.open()).rejects.toMatchObject({ code: 'open_failed' });
    expect(missing.status()).toMatchObject({ state: 'offline', reason: `cannot open ${join(dir, 'nope')}` });
  });
});

/**
 * The `devices:` configuration (what an installer writes) and `kiosk devices` (what tells them what
 * to write): problems are reported at the key that is wrong; a listed device is matched to our
 * drivers by its USB ids and HID usage page.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES, devicesConfigSchema } from '../../../daemon/devices/config.ts';
import { devicesCommand, formatDeviceList, listDevices, matchDriver } from '../../../daemon/devices/list.ts';

function problems(input: unknown): string[] {
  const r = devicesConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('devices configuration', () => {
  it('defaults to one simulated device of each kind, the printer with a drawer', () => {
    expect(DEFAULT_DEVICES.map((d) => [d.id, d.kind, d.model, d.simulated])).toEqual([
      ['pad', 'rfid', '3m810', true],
      ['scanner', 'scanner', 'hid-pos', true],
      ['printer', 'printer', 'escpos', true],
      ['tablet', 'signature', 'wacom-stu', true],
    ]);
    const printer = DEFAULT_DEVICES.find((d) => d.kind === 'printer');
    expect(printer?.kind === 'printer' && printer.drawer).toMatchObject({ enabled: true, pin: 2, openWhen: 'pin3-high' });
    const pad = DEFAULT_DEVICES.find((d) => d.kind === 'rfid');
    expect(pad?.kind === 'rfid' && pad.security).toEqual({ method: 'afi', afi: 'iso28560' });
    expect(pad?.kind === 'rfid' && pad.simulator.timeScale).toBe(1);
  });

  it('takes `model: sim` as the kind\'s simulator, and USB ids as numbers or hex strings', () => {
    const parsed = devicesConfigSchema.parse([
      { id: 'p', kind: 'printer', model: 'sim' },
      { id: 't', kind: 'signature', model: 'wacom-stu', transport: { kind: 'hid', vendorId: '0x056A', productId: 0xa8 } },
    ]);
    expect(parsed[0]).toMatchObject({ model: 'escpos', simulated: true, columns: 42 });
    expect(parsed[1]).toMatchObject({ simulated: false, transport: { kind: 'hid', vendorId: 0x056a, productId: 0xa8 } });
  });

  it('names the key of every problem', () => {
    expect(problems([{ id: 'pad', kind: 'rfid', model: '3m810' }])).toEqual([
      '0.transport: a real 3m810 device needs a transport (serial); or set simulated: true',
    ]);
    expect(problems([{ id: 'p', kind: 'printer', model: 'escpos', transport: { kind: 'hid' } }])).toEqual([
      expect.stringMatching(/^0\.transport\.kind: /),
    ]);
    expect(problems([{ id: 's', kind: 'scanner', model: 'keyboard-wedge', transport: { kind: 'serial', path: '/dev/ttyACM0' } }])).toEqual([
      '0.transport.kind: model keyboard-wedge is reached over device-file, not serial',
    ]);
    expect(
      problems([
        { id: 'x', kind: 'printer', model: 'sim' },
        { id: 'x', kind: 'scanner', model: 'sim' },
      ]),
    ).toEqual(['1.id: device id "x" is used twice (also devices[0])']);
    expect(problems([{ id: 'a.b', kind: 'scanner', model: 'sim' }])).toEqual([expect.stringMatching(/^0\.id: /)]);
    expect(problems([{ id: 'l', kind: 'camera', model: 'sim' }])).toEqual([expect.stringMatching(/^0\.kind: /)]);
    expect(problems([{ id: 'r', kind: 'rfid', model: 'sim', inventoryIntervalMs: 5 }])).toEqual([expect.stringMatching(/^0\.inventoryIntervalMs: /)]);
    expect(problems([{ id: 'r', kind: 'rfid', model: 'sim', colour: 'red' }])).toEqual([expect.stringMatching(/colour/)]);
    // HID POS and the tablets have usable defaults without a transport.
    expect(problems([{ id: 's', kind: 'scanner', model: 'hid-pos' }, { id: 't', kind: 'signature', model: 'signotec' }])).toEqual([]);
  });
});

describe('kiosk devices', () => {
  const serial = [
    { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001', manufacturer: 'FTDI' },
    { path: '/dev/ttyACM0', vendorId: '0c2e', productId: '0b61', manufacturer: 'Honeywell' },
    { path: '/dev/ttyS0' },
  ];
  const hid = [
    { vendorId: 0x056a, productId: 0x00a8, path: '/dev/hidraw1', product: 'STU-540', usagePage: 0xff00, usage: 1 },
    { vendorId: 0x0c2e, productId: 0x0b87, path: '/dev/hidraw2', manufacturer: 'Honeywell', usagePage: 0x8c, usage: 2 },
    { vendorId: 0x046d, productId: 0xc077, path: '/dev/hidraw0', product: 'Mouse', usagePage: 1, usage: 2 },
  ];

  it('matches devices to drivers by USB id and HID usage page, with how sure the match is', async () => {
    const listing = await listDevices({ listSerial: async () => serial, listHid: async () => hid });
    expect(listing.problems).toEqual([]);
    const first = (path: string) => [...listing.serial, ...listing.hid].find((d) => d.path === path)?.matches[0];
    expect(first('/dev/hidraw1')).toMatchObject({ kind: 'signature', model: 'wacom-stu', confidence: 'known' });
    expect(first('/dev/hidraw2')).toMatchObject({ kind: 'scanner', model: 'hid-pos', confidence: 'known' });
    expect(first('/dev/hidraw0')).toBeUndefined();
    expect(first('/dev/ttyACM0')).toMatchObject({ kind: 'scanner', model: 'serial', confidence: 'likely' });
    const ftdi = listing.serial.find((d) => d.path === '/dev/ttyUSB0');
    expect(ftdi?.vendorId).toBe(0x0403);
    expect(ftdi?.matches.every((m) => m.confidence === 'guess')).toBe(true);
    expect(ftdi?.matches.map((m) => m.model)).toContain('3m810');

    const text = formatDeviceList(listing);
    expect(text).toContain('/dev/hidraw1  056a:00a8  STU-540');
    expect(text).toContain('known  signature wacom-stu: Wacom STU-540');
    expect(text).toContain('usage page 0x8c/0x02');
    expect(matchDriver({ bus: 'hid', vendorId: 0x1234, productId: 1, usagePage: 0x8c, usage: 2 })[0]?.model).toBe('hid-pos');
  });

  it('prints JSON, and reports a bus it cannot list instead of failing', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        out += String(chunk);
        done();
      },
    });
    const code = await devicesCommand(
      { json: true },
      {
        out: sink,
        listSerial: async () => {
          throw new Error('spawn udevadm ENOENT');
        },
        listHid: async () => hid,
      },
    );
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { serial: unknown[]; hid: unknown[]; problems: string[] };
    expect(parsed.hid).toHaveLength(3);
    expect(parsed.problems).toEqual(['serial ports: spawn udevadm ENOENT (install the udev package: SerialPort.list() runs udevadm)']);

    const failing = async (): Promise<never> => {
      throw new Error('libusb-1.0.so.0: cannot open shared object file');
    };
    out = '';
    expect(await devicesCommand({}, { out: sink, listSerial: failing, listHid: failing })).toBe(1);
    expect(out).toContain('install libusb-1.0-0');
  });
});

/**
 * `kiosk devices`: the serial ports (serialport's `SerialPort.list()`, which needs the `udevadm`
 * binary from the udev package on Linux) and HID devices (node-hid's `devicesAsync()`, which needs
 * libusb-1.0 and libudev) on this machine, with their USB vendor/product ids, and which of our
 * drivers could run them — so an installer knows what to write under `devices:`.
 *
 * The match is a hint, graded by how sure it is:
 *   known   — the id pair is documented for a device we support (devices.md §5: Wacom STU-430/540),
 *             or the HID usage page says it (0x8C = HID POS barcode scanner, devices.md §3);
 *   likely  — the vendor makes that kind of device and the bus fits;
 *   guess   — an unverified id, or a generic USB-serial bridge that could be any serial device.
 * Ids not from the project's references are marked as such below; correct them when a real device
 * says otherwise.
 */
import type { ConfiguredDeviceKind, DeviceModel } from './config.ts';

export type MatchConfidence = 'known' | 'likely' | 'guess';

export interface DriverMatch {
  kind: ConfiguredDeviceKind;
  model: DeviceModel;
  confidence: MatchConfidence;
  note: string;
}

export interface FoundDevice {
  bus: 'serial' | 'hid';
  path: string;
  vendorId: number | null;
  productId: number | null;
  manufacturer: string | null;
  product: string | null;
  serialNumber: string | null;
  /** HID only. */
  usagePage: number | null;
  usage: number | null;
  matches: DriverMatch[];
}

export interface DeviceListing {
  serial: FoundDevice[];
  hid: FoundDevice[];
  /** Why a bus could not be listed (missing udevadm, libusb …). */
  problems: string[];
}

/** What serialport's `SerialPort.list()` gives (ids as hex strings, e.g. "0403"). */
export interface SerialPortListEntry {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  pnpId?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

/** What node-hid's `devices()` gives. */
export interface HidListEntry {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  serialNumber?: string | undefined;
  manufacturer?: string | undefined;
  product?: string | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
  interface?: number | undefined;
}

export interface ListDeps {
  listSerial?: () => Promise<SerialPortListEntry[]>;
  listHid?: () => Promise<HidListEntry[]>;
}

/** HID usage page of POS barcode scanners (HID Usage Tables, "Bar Code Scanner Page"; devices.md §3). */
export const HID_POS_USAGE_PAGE = 0x8c;
/** Generic Desktop page, usage 6 = keyboard: a scanner in keyboard mode (read through evdev, not node-hid). */
const GENERIC_DESKTOP = 0x01;
const KEYBOARD_USAGE = 0x06;

interface KnownId {
  vendorId: number;
  productId?: number;
  vendor: string;
  buses: ReadonlyArray<'serial' | 'hid'>;
  match: Omit<DriverMatch, 'note'> & { note: string };
}

/**
 * Vendor/product ids. Sources: devices.md (project reference) where stated; otherwise from memory of
 * the public usb.ids list and marked unverified.
 */
export const KNOWN_USB_IDS: readonly KnownId[] = [
  // Wacom: VID and both PIDs from devices.md §5.
  { vendorId: 0x056a, productId: 0x00a8, vendor: 'Wacom', buses: ['hid'], match: { kind: 'signature', model: 'wacom-stu', confidence: 'known', note: 'Wacom STU-540' } },
  { vendorId: 0x056a, productId: 0x00a4, vendor: 'Wacom', buses: ['hid'], match: { kind: 'signature', model: 'wacom-stu', confidence: 'known', note: 'Wacom STU-430 (its monochrome screen mode is not implemented)' } },
  { vendorId: 0x056a, vendor: 'Wacom', buses: ['hid'], match: { kind: 'signature', model: 'wacom-stu', confidence: 'guess', note: 'a Wacom device; only STU signature tablets are supported' } },
  // signotec: VID unverified (usb.ids from memory). Pads are used through signotec's STPadServer, not opened directly.
  { vendorId: 0x2133, vendor: 'signotec (unverified id)', buses: ['hid', 'serial'], match: { kind: 'signature', model: 'signotec', confidence: 'guess', note: 'signotec pad: configure it through STPadServer (transport websocket), not this path' } },
  // FEIG: VID unverified (usb.ids from memory). USB-only FEIG readers speak through FEIG's own USB interface (devices.md §2.2, unverified).
  { vendorId: 0x0ab1, vendor: 'FEIG ELECTRONIC (unverified id)', buses: ['serial', 'hid'], match: { kind: 'rfid', model: 'feig-isc', confidence: 'likely', note: 'FEIG reader; this driver speaks ISC frames over a serial port (USB-only models may need FEIG\'s USB interface)' } },
  // 3M / Bibliotheca pads appear as a USB serial port (devices.md §2.1); the USB id is NOT verified.
  { vendorId: 0x0faf, vendor: '3M? (unverified id)', buses: ['serial'], match: { kind: 'rfid', model: '3m810', confidence: 'guess', note: '3M / Bibliotheca pad? the id is unverified; try it as 3m810 at 19200 baud' } },
  // Receipt printers. Epson 0x04B8 is Seiko Epson (well known); the others from memory, unverified.
  { vendorId: 0x04b8, vendor: 'Epson', buses: ['serial', 'hid'], match: { kind: 'printer', model: 'escpos', confidence: 'likely', note: 'Epson TM printer: ESC/POS (or use /dev/usb/lp0 as a device-file transport)' } },
  { vendorId: 0x0519, vendor: 'Star Micronics (unverified id)', buses: ['serial'], match: { kind: 'printer', model: 'escpos', confidence: 'guess', note: 'Star printer: ESC/POS only in its ESC/POS emulation mode' } },
  { vendorId: 0x1504, vendor: 'Bixolon (unverified id)', buses: ['serial'], match: { kind: 'printer', model: 'escpos', confidence: 'guess', note: 'Bixolon printer: ESC/POS (codePageTable bixolon)' } },
  { vendorId: 0x0416, vendor: 'Winbond (common in Xprinter/clones, unverified)', buses: ['serial'], match: { kind: 'printer', model: 'escpos', confidence: 'guess', note: 'POS-58/80 clone printer: ESC/POS (codePageTable xprinter)' } },
  // Barcode scanner vendors: ids from devices.md §3.
  { vendorId: 0x0c2e, vendor: 'Honeywell', buses: ['serial', 'hid'], match: { kind: 'scanner', model: 'serial', confidence: 'likely', note: 'Honeywell scanner in USB serial mode' } },
  { vendorId: 0x23d0, vendor: 'Youjie', buses: ['serial', 'hid'], match: { kind: 'scanner', model: 'serial', confidence: 'likely', note: 'Youjie scanner in USB serial mode' } },
  { vendorId: 0x05e0, vendor: 'Zebra / Symbol', buses: ['serial', 'hid'], match: { kind: 'scanner', model: 'serial', confidence: 'likely', note: 'Zebra scanner in USB CDC mode' } },
  { vendorId: 0x05f9, vendor: 'Datalogic', buses: ['serial', 'hid'], match: { kind: 'scanner', model: 'serial', confidence: 'likely', note: 'Datalogic scanner in USB COM mode' } },
];

/** USB-serial bridge chips: anything serial can be behind them (ids widely published; listed as guesses). */
export const USB_SERIAL_BRIDGES: ReadonlyArray<{ vendorId: number; chip: string }> = [
  { vendorId: 0x0403, chip: 'FTDI' },
  { vendorId: 0x067b, chip: 'Prolific PL2303' },
  { vendorId: 0x10c4, chip: 'Silicon Labs CP210x' },
  { vendorId: 0x1a86, chip: 'WCH CH340' },
];

const SCANNER_VENDORS = new Set([0x0c2e, 0x23d0, 0x05e0, 0x05f9]);

function hex4(n: number | null): string {
  return n === null ? '----' : n.toString(16).padStart(4, '0');
}

function parseHexId(s: string | undefined): number | null {
  if (!s) return null;
  const n = Number.parseInt(s.replace(/^0x/i, ''), 16);
  return Number.isInteger(n) && n >= 0 && n <= 0xffff ? n : null;
}

/** Which drivers could run a device, best first. */
export function matchDriver(d: Pick<FoundDevice, 'bus' | 'vendorId' | 'productId' | 'usagePage' | 'usage'>): DriverMatch[] {
  const out: DriverMatch[] = [];
  if (d.bus === 'hid' && d.usagePage === HID_POS_USAGE_PAGE) {
    out.push({ kind: 'scanner', model: 'hid-pos', confidence: 'known', note: 'HID POS barcode scanner (usage page 0x8C)' });
  }
  if (d.bus === 'hid' && d.vendorId !== null && SCANNER_VENDORS.has(d.vendorId) && d.usagePage === GENERIC_DESKTOP && d.usage === KEYBOARD_USAGE) {
    out.push({
      kind: 'scanner',
      model: 'keyboard-wedge',
      confidence: 'likely',
      note: 'scanner in keyboard mode: use its /dev/input/by-id/…-event-kbd (or switch it to HID POS)',
    });
  }
  if (d.vendorId !== null) {
    const exact = KNOWN_USB_IDS.filter((k) => k.vendorId === d.vendorId && k.productId !== undefined && k.productId === d.productId && k.buses.includes(d.bus));
    const byVendor = exact.length > 0 ? [] : KNOWN_USB_IDS.filter((k) => k.vendorId === d.vendorId && k.productId === undefined && k.buses.includes(d.bus));
    for (const k of [...exact, ...byVendor]) {
      // A scanner vendor's HID interface that is not usage page 0x8C is not a serial scanner.
      if (k.match.kind === 'scanner' && d.bus === 'hid') continue;
      out.push({ ...k.match });
    }
    if (d.bus === 'serial') {
      const bridge = USB_SERIAL_BRIDGES.find((b) => b.vendorId === d.vendorId);
      if (bridge) {
        const note = `${bridge.chip} USB-serial adapter: could be any serial device`;
        out.push(
          { kind: 'rfid', model: '3m810', confidence: 'guess', note: `${note} (3M/Bibliotheca pads: 19200 8N1)` },
          { kind: 'rfid', model: 'feig-isc', confidence: 'guess', note: `${note} (FEIG ISC readers: 38400 8E1)` },
          { kind: 'scanner', model: 'serial', confidence: 'guess', note },
          { kind: 'printer', model: 'escpos', confidence: 'guess', note },
        );
      }
    }
  }
  const rank: Record<MatchConfidence, number> = { known: 0, likely: 1, guess: 2 };
  return out.sort((a, b) => rank[a.confidence] - rank[b.confidence]);
}

async function nativeSerialList(): Promise<SerialPortListEntry[]> {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
}

async function nativeHidList(): Promise<HidListEntry[]> {
  const hid = (await import('node-hid')) as unknown as { devicesAsync(): Promise<HidListEntry[]> };
  return hid.devicesAsync();
}

/** Lists serial ports and HID devices; a bus that cannot be listed is reported in `problems`. */
export async function listDevices(deps: ListDeps = {}): Promise<DeviceListing> {
  const problems: string[] = [];
  let serial: FoundDevice[] = [];
  let hid: FoundDevice[] = [];
  try {
    const ports = await (deps.listSerial ?? nativeSerialList)();
    serial = ports.map((p) => {
      const d = {
        bus: 'serial' as const,
        path: p.path,
        vendorId: parseHexId(p.vendorId),
        productId: parseHexId(p.productId),
        manufacturer: p.manufacturer ?? null,
        product: p.pnpId ?? null,
        serialNumber: p.serialNumber ?? null,
        usagePage: null,
        usage: null,
      };
      return { ...d, matches: matchDriver(d) };
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    problems.push(`serial ports: ${msg}${/udevadm|ENOENT/.test(msg) ? ' (install the udev package: SerialPort.list() runs udevadm)' : ''}`);
  }
  try {
    const devices = await (deps.listHid ?? nativeHidList)();
    hid = devices.map((h) => {
      const d = {
        bus: 'hid' as const,
        path: h.path ?? '',
        vendorId: h.vendorId,
        productId: h.productId,
        manufacturer: h.manufacturer ?? null,
        product: h.product ?? null,
        serialNumber: h.serialNumber ?? null,
        usagePage: h.usagePage ?? null,
        usage: h.usage ?? null,
      };
      return { ...d, matches: matchDriver(d) };
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    problems.push(`HID devices: ${msg}${/libusb|libudev/.test(msg) ? ' (install libusb-1.0-0 and libudev1)' : ''}`);
  }
  const byPath = (a: FoundDevice, b: FoundDevice): number => a.path.localeCompare(b.path);
  return { serial: serial.sort(byPath), hid: hid.sort(byPath), problems };
}

function describe(d: FoundDevice): string[] {
  const ids = d.vendorId === null ? 'no USB id' : `${hex4(d.vendorId)}:${hex4(d.productId)}`;
  const name = [d.manufacturer, d.product].filter(Boolean).join(' ') || '(no name)';
  const usage = d.usagePage !== null ? `  usage page 0x${d.usagePage.toString(16).padStart(2, '0')}${d.usage !== null ? `/0x${d.usage.toString(16).padStart(2, '0')}` : ''}` : '';
  const lines = [`  ${d.path || '(no path)'}  ${ids}  ${name}${d.serialNumber ? `  s/n ${d.serialNumber}` : ''}${usage}`];
  if (d.matches.length === 0) {
    lines.push(d.bus === 'serial' && d.vendorId === null ? '      on-board port: an RS-232 reader, scanner or printer on it can be configured by this path' : '      no driver of ours matches');
  }
  for (const m of d.matches) lines.push(`      ${m.confidence.padEnd(6)} ${m.kind} ${m.model}: ${m.note}`);
  return lines;
}

/** Human-readable listing for the terminal. */
export function formatDeviceList(listing: DeviceListing): string {
  const lines: string[] = [];
  lines.push(`Serial ports (${listing.serial.length}):`);
  if (listing.serial.length === 0) lines.push('  none');
  for (const d of listing.serial) lines.push(...describe(d));
  lines.push('', `HID devices (${listing.hid.length}):`);
  if (listing.hid.length === 0) lines.push('  none');
  for (const d of listing.hid) lines.push(...describe(d));
  if (listing.problems.length > 0) {
    lines.push('', 'Problems:');
    for (const p of listing.problems) lines.push(`  ${p}`);
  }
  lines.push(
    '',
    'Matches are hints (known > likely > guess). Put the device under `devices:` in your config with its',
    'transport (a stable /dev/serial/by-id/… path for serial ports), and check it with `kiosk start`.',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `kiosk devices [--json]`: prints the listing; exit code 0, or 1 when neither bus could be listed.
 */
export async function devicesCommand(
  opts: { json?: boolean },
  deps: ListDeps & { out?: NodeJS.WritableStream } = {},
): Promise<number> {
  const out = deps.out ?? process.stdout;
  const listing = await listDevices(deps);
  out.write(opts.json ? `${JSON.stringify(listing, null, 2)}\n` : formatDeviceList(listing));
  return listing.problems.length >= 2 ? 1 : 0;
}

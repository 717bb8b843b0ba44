/**
 * The `devices:` section of the daemon configuration (DESIGN.md "Drivers"): which devices this
 * service point has, by kind, model and transport. `simulated: true` (or `model: sim`) puts the
 * device's simulator behind the real driver, in-process, speaking the device's real bytes; the
 * default configuration simulates every device, so `npm start` works on a machine with no hardware.
 *
 *   devices:
 *     - id: pad
 *       kind: rfid
 *       model: 3m810
 *       transport: { kind: serial, path: /dev/ttyUSB0 }
 *       security: { method: afi, afi: iso28560 }
 *     - id: printer
 *       kind: printer
 *       model: escpos
 *       transport: { kind: tcp, host: 192.0.2.7 }
 *       drawer: { enabled: true, pin: 2 }
 *
 * Which transports fit which model (checked here, with the path of the offending key):
 *   rfid 3m810 | feig-isc        serial
 *   scanner hid-pos               hid (default: the first device on HID usage page 0x8C)
 *   scanner serial                serial
 *   scanner keyboard-wedge        device-file (/dev/input/eventN or /dev/input/by-id/…-event-kbd)
 *   printer escpos                serial | tcp | device-file (/dev/usb/lp0)
 *   signature wacom-stu           hid (default: VID 0x056A)
 *   signature signotec            websocket (default: STPadServer at wss://local.signotecwebsocket.de:49494)
 *   locker kerong-cu              serial (a USB–RS-485 adapter; the lock boards hang on that bus)
 * A simulated device ignores its transport (it may keep one, so switching to the real device is
 * one line).
 */
import { z } from 'zod';
import { escposPrinterConfigSchema } from '../../drivers/printer/escpos.driver.ts';
import { kerongBoardSchema } from '../../drivers/locker/kerong-cu.driver.ts';

export const DEVICE_KINDS = ['rfid', 'scanner', 'printer', 'signature', 'locker'] as const;
export type ConfiguredDeviceKind = (typeof DEVICE_KINDS)[number];

export const RFID_MODELS = ['3m810', 'feig-isc'] as const;
export const SCANNER_MODELS = ['hid-pos', 'serial', 'keyboard-wedge'] as const;
export const PRINTER_MODELS = ['escpos'] as const;
export const SIGNATURE_MODELS = ['wacom-stu', 'signotec'] as const;
export const LOCKER_MODELS = ['kerong-cu'] as const;

export type RfidModel = (typeof RFID_MODELS)[number];
export type ScannerModel = (typeof SCANNER_MODELS)[number];
export type PrinterModel = (typeof PRINTER_MODELS)[number];
export type SignatureModel = (typeof SIGNATURE_MODELS)[number];
export type LockerModel = (typeof LOCKER_MODELS)[number];
export type DeviceModel = RfidModel | ScannerModel | PrinterModel | SignatureModel | LockerModel;

/** What `model: sim` stands for, per kind. */
export const DEFAULT_SIM_MODEL = {
  rfid: '3m810',
  scanner: 'hid-pos',
  printer: 'escpos',
  signature: 'wacom-stu',
  locker: 'kerong-cu',
} as const satisfies Record<ConfiguredDeviceKind, DeviceModel>;

// ------------------------------------------------------------------------------------ transports

/** A USB id as a number (YAML 0x056A) or a hex string ("0x056A", "056a"). */
const usbId = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^(0x)?[0-9a-f]{1,4}$/i, 'a USB id such as 0x056A')
      .transform((s) => Number.parseInt(s.replace(/^0x/i, ''), 16)),
  ])
  .pipe(z.number().int().min(0).max(0xffff));

const serialTransport = z
  .object({
    kind: z.literal('serial'),
    /** /dev/ttyUSB0, /dev/ttyACM0, /dev/serial/by-id/… (stable across replugs: prefer it). */
    path: z.string().min(1),
    /** Default: the device's (3M 19200, FEIG 38400, printers 19200, scanners 9600). */
    baudRate: z.number().int().positive().optional(),
    /** Hardware flow control (printers with small buffers at high baud rates). */
    rtscts: z.boolean().default(false),
  })
  .strict();

const tcpTransport = z
  .object({
    kind: z.literal('tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(9100),
    connectTimeoutMs: z.number().int().positive().default(3000),
  })
  .strict();

const deviceFileTransport = z
  .object({
    kind: z.literal('device-file'),
    /** /dev/usb/lp0 (printer), /dev/input/eventN (keyboard-wedge scanner). */
    path: z.string().min(1),
    pollIntervalMs: z.number().int().positive().optional(),
  })
  .strict();

const hidTransport = z
  .object({
    kind: z.literal('hid'),
    /** hidraw path from `kiosk devices`; wins over the ids. */
    path: z.string().min(1).optional(),
    vendorId: usbId.optional(),
    productId: usbId.optional(),
    usagePage: usbId.optional(),
  })
  .strict();

const websocketTransport = z
  .object({
    kind: z.literal('websocket'),
    url: z.string().regex(/^wss?:\/\/\S+$/, 'a ws:// or wss:// URL'),
    /** STPadServer's certificate comes with signotec's setup; false only for a self-signed test server. */
    tlsRejectUnauthorized: z.boolean().default(true),
  })
  .strict();

export type SerialTransportConfig = z.output<typeof serialTransport>;
export type TcpTransportConfig = z.output<typeof tcpTransport>;
export type DeviceFileTransportConfig = z.output<typeof deviceFileTransport>;
export type HidTransportConfig = z.output<typeof hidTransport>;
export type WebSocketTransportConfig = z.output<typeof websocketTransport>;

// ----------------------------------------------------------------------------------------- common

const deviceId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'letters, digits, - and _ (the drawer of printer "p" is "p.drawer")');

const common = {
  id: deviceId,
  /** Use the device's simulator instead of hardware (also: `model: sim`). */
  simulated: z.boolean().default(false),
  /** Display name for the admin page and logs; default the driver's ("3M 810", "Wacom STU" …). */
  name: z.string().min(1).optional(),
};

type Ctx = z.RefinementCtx;

function requireTransport(
  d: { simulated: boolean; model: string; transport?: { kind: string } | undefined },
  allowed: Readonly<Record<string, readonly string[]>>,
  optionalFor: readonly string[],
  ctx: Ctx,
): void {
  if (d.model === 'sim') return;
  const kinds = allowed[d.model] ?? [];
  if (d.transport === undefined) {
    if (!d.simulated && !optionalFor.includes(d.model)) {
      ctx.addIssue({
        code: 'custom',
        path: ['transport'],
        message: `a real ${d.model} device needs a transport (${kinds.join(' or ')}); or set simulated: true`,
      });
    }
    return;
  }
  if (!kinds.includes(d.transport.kind)) {
    ctx.addIssue({
      code: 'custom',
      path: ['transport', 'kind'],
      message: `model ${d.model} is reached over ${kinds.join(' or ')}, not ${d.transport.kind}`,
    });
  }
}

/** `model: sim` → the kind's default model, simulated. */
function normaliseSim<M extends string, T extends { model: M | 'sim'; simulated: boolean }>(
  d: T,
  fallback: M,
): Omit<T, 'model'> & { model: M } {
  return d.model === 'sim' ? { ...d, model: fallback, simulated: true } : { ...d, model: d.model as M };
}

// ------------------------------------------------------------------------------------------- rfid

const afiByte = z.number().int().min(0).max(0xff);

const rfidDevice = z
  .object({
    ...common,
    kind: z.literal('rfid'),
    model: z.enum([...RFID_MODELS, 'sim']),
    transport: serialTransport.optional(),
    /** How this site marks an item "secured at the gate" (devices.md §1.2). */
    security: z
      .object({
        method: z.enum(['afi', 'eas', 'afi+eas']).default('afi'),
        /** 'iso28560' (0x07 in the library / 0xC2 lent), '3m' (0xDA / 0xD7), or the pair. */
        afi: z
          .union([z.enum(['iso28560', '3m']), z.object({ secured: afiByte, unsecured: afiByte }).strict()])
          .default('iso28560'),
      })
      .strict()
      .prefault({}),
    /** Period of the continuous inventory (tags arriving and leaving the pad). */
    inventoryIntervalMs: z.number().int().min(20).max(10_000).default(250),
    /** Data model written when tags are programmed. */
    tagModel: z.enum(['iso28560-3', 'iso28560-2']).default('iso28560-3'),
    /** Per attempt; default the family's (3M 1000 ms, FEIG 600 ms). */
    responseTimeoutMs: z.number().int().positive().optional(),
    /** The simulated pad (used when simulated). */
    simulator: z
      .object({
        /** 1 = real reader timing (line, air time, firmware); 0 = answer on the next tick. */
        timeScale: z.number().min(0).max(100).default(1),
        /** Data model of the tags the simulator panel places (default: tagModel). */
        tagModel: z.enum(['iso28560-3', 'iso28560-2', '3m-501']).optional(),
        /** Seed of the generated tag UIDs. */
        seed: z.number().int().default(1),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((d, ctx) => requireTransport(d, { '3m810': ['serial'], 'feig-isc': ['serial'] }, [], ctx))
  .transform((d) => normaliseSim<RfidModel, typeof d>(d, DEFAULT_SIM_MODEL.rfid));

// ---------------------------------------------------------------------------------------- scanner

const scannerDevice = z
  .object({
    ...common,
    kind: z.literal('scanner'),
    model: z.enum([...SCANNER_MODELS, 'sim']),
    transport: z.discriminatedUnion('kind', [hidTransport, serialTransport, deviceFileTransport]).optional(),
    /** Serial scanners: what ends a scan (set on the scanner with its configuration barcodes). */
    suffix: z.enum(['CR', 'LF', 'CRLF', 'TAB']).default('CR'),
    /** Keyboard wedge: the key that ends a scan. */
    terminator: z.enum(['enter', 'tab']).default('enter'),
    /** The scanner sends AIM identifiers before the data (serial, keyboard wedge). */
    aimPrefix: z.boolean().default(false),
    /** A configured prefix in front of every scan (serial, keyboard wedge). */
    prefix: z.string().min(1).optional(),
    /** Keyboard wedge: a longer gap between keys is a person typing, not a scan. */
    maxInterKeyMs: z.number().positive().nullable().default(50),
    /** Serial: bytes that make the scanner read now (e.g. "\u0016T\r", Honeywell). */
    triggerCommand: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((d, ctx) =>
    requireTransport(d, { 'hid-pos': ['hid'], serial: ['serial'], 'keyboard-wedge': ['device-file'] }, ['hid-pos'], ctx),
  )
  .transform((d) => normaliseSim<ScannerModel, typeof d>(d, DEFAULT_SIM_MODEL.scanner));

// ---------------------------------------------------------------------------------------- printer

/** The ESC/POS driver's own settings (columns, code pages, cut, status polling, drawer) are reused as they are. */
const escposSettings = escposPrinterConfigSchema.omit({ id: true, model: true, transport: true });

const printerDevice = escposSettings
  .extend({
    ...common,
    kind: z.literal('printer'),
    model: z.enum([...PRINTER_MODELS, 'sim']),
    transport: z.discriminatedUnion('kind', [serialTransport, tcpTransport, deviceFileTransport]).optional(),
  })
  .strict()
  .superRefine((d, ctx) => requireTransport(d, { escpos: ['serial', 'tcp', 'device-file'] }, [], ctx))
  .transform((d) => normaliseSim<PrinterModel, typeof d>(d, DEFAULT_SIM_MODEL.printer));

// -------------------------------------------------------------------------------------- signature

const signatureDevice = z
  .object({
    ...common,
    kind: z.literal('signature'),
    model: z.enum([...SIGNATURE_MODELS, 'sim']),
    transport: z.discriminatedUnion('kind', [hidTransport, websocketTransport]).optional(),
    /** How long a patron has for the pages and the signature. */
    captureTimeoutMs: z.number().int().positive().default(180_000),
    /** signotec: which pad of STPadServer's list, and which connection types to search. */
    padIndex: z.number().int().min(0).default(0),
    padSubset: z.string().min(1).default('HID'),
  })
  .strict()
  .superRefine((d, ctx) =>
    requireTransport(d, { 'wacom-stu': ['hid'], signotec: ['websocket'] }, ['wacom-stu', 'signotec'], ctx),
  )
  .transform((d) => normaliseSim<SignatureModel, typeof d>(d, DEFAULT_SIM_MODEL.signature));

// ----------------------------------------------------------------------------------------- locker

const lockerDevice = z
  .object({
    ...common,
    kind: z.literal('locker'),
    model: z.enum([...LOCKER_MODELS, 'sim']),
    transport: serialTransport.optional(),
    /** The lock boards on the bus: address 0–15 (DIP switch) and doors wired to locks 1…doors. */
    boards: z
      .array(kerongBoardSchema)
      .min(1, 'at least one board')
      .superRefine((boards, ctx) => {
        const seen = new Set<number>();
        boards.forEach((b, k) => {
          if (seen.has(b.address)) ctx.addIssue({ code: 'custom', path: [k, 'address'], message: `board address ${b.address} is listed twice` });
          seen.add(b.address);
        });
      })
      .default([{ address: 0, doors: 16 }]),
    /** How often the door sensors are read (door opened / closed events come from this poll). */
    pollIntervalMs: z.number().int().min(20).max(60_000).default(500),
    /** How long a board has to answer one frame. */
    responseTimeoutMs: z.number().int().min(5).max(10_000).default(300),
  })
  .strict()
  .superRefine((d, ctx) => requireTransport(d, { 'kerong-cu': ['serial'] }, [], ctx))
  .transform((d) => normaliseSim<LockerModel, typeof d>(d, DEFAULT_SIM_MODEL.locker));

// ----------------------------------------------------------------------------------------- the list

export const deviceConfigSchema = z.discriminatedUnion('kind', [rfidDevice, scannerDevice, printerDevice, signatureDevice, lockerDevice]);

export const devicesConfigSchema = z.array(deviceConfigSchema).superRefine((list, ctx) => {
  const seen = new Map<string, number>();
  list.forEach((d, k) => {
    const first = seen.get(d.id);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: [k, 'id'], message: `device id "${d.id}" is used twice (also devices[${first}])` });
    } else seen.set(d.id, k);
  });
});

export type DeviceConfig = z.output<typeof deviceConfigSchema>;
export type DeviceConfigInput = z.input<typeof deviceConfigSchema>;
export type RfidDeviceConfig = Extract<DeviceConfig, { kind: 'rfid' }>;
export type ScannerDeviceConfig = Extract<DeviceConfig, { kind: 'scanner' }>;
export type PrinterDeviceConfig = Extract<DeviceConfig, { kind: 'printer' }>;
export type SignatureDeviceConfig = Extract<DeviceConfig, { kind: 'signature' }>;
export type LockerDeviceConfig = Extract<DeviceConfig, { kind: 'locker' }>;
export type DevicesConfig = z.output<typeof devicesConfigSchema>;

/**
 * What `npm start` runs with (config/default.yaml carries the same list): every device simulated —
 * a 3M 810 pad, a HID POS scanner, an ESC/POS printer with a cash drawer, a Wacom STU-540 tablet.
 * (config/default.yaml adds the demo's locker wall, `locker1`: one KR-CU16 board with 12 doors; a
 * service point without lockers has no locker device.)
 * The transports are what the real devices would typically use; they are ignored while simulated.
 */
export const DEFAULT_DEVICES_INPUT: DeviceConfigInput[] = [
  {
    id: 'pad',
    kind: 'rfid',
    model: '3m810',
    simulated: true,
    transport: { kind: 'serial', path: '/dev/ttyUSB0' },
    security: { method: 'afi', afi: 'iso28560' },
    inventoryIntervalMs: 250,
  },
  { id: 'scanner', kind: 'scanner', model: 'hid-pos', simulated: true },
  {
    id: 'printer',
    kind: 'printer',
    model: 'escpos',
    simulated: true,
    transport: { kind: 'device-file', path: '/dev/usb/lp0' },
    columns: 42,
    drawer: { enabled: true, pin: 2, openWhen: 'pin3-high' },
  },
  { id: 'tablet', kind: 'signature', model: 'wacom-stu', simulated: true },
];

export const DEFAULT_DEVICES: DevicesConfig = devicesConfigSchema.parse(DEFAULT_DEVICES_INPUT);

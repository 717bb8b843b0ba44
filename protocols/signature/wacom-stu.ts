/**
 * Wacom STU signature tablets over HID (VID 0x056A; STU-430 PID 0x00A4, STU-540 PID 0x00A8), devices.md §5.
 * The report layout is public only through reverse-engineered WebHID drivers; the bit masks follow
 * netas-ch/Wacom-STU-WebHID `WacomStu540.js` (pabloko's original tests bits 0/1, which is wrong).
 *
 * Input report 0x01 pen data (offsets after the report ID byte):
 *   u16 BE @0  bit15 rdy (pen in proximity), bit12 sw (pen touching), low bits pressure (& 0x3FF on the 540)
 *   u16 BE @2  x in tablet units
 *   u16 BE @4  y in tablet units
 * Input report 0x34 adds u16 time @6 and u16 sequence @8.
 *
 * Feature report 0x09 capability (offsets include the report ID at byte 0):
 *   u16 BE @1 tablet max X, @3 max Y, @5 max pressure, @7 screen width, @9 screen height, u8 @11 report rate.
 * Feature report 0x08 information: model name in bytes 1…7 (NUL padded), firmware bytes 8…11.
 *
 * node-hid returns input reports with the report ID in byte 0 (`includesReportId`, default true);
 * WebHID strips it.
 */

export const WACOM_VENDOR_ID = 0x056a;
export const STU_430_PRODUCT_ID = 0x00a4;
export const STU_540_PRODUCT_ID = 0x00a8;

/** Report IDs (netas-ch `WacomStu540.js` `#command`). */
export const STU_REPORT = {
  penData: 0x01,
  information: 0x08,
  capability: 0x09,
  writingMode: 0x0e,
  eSerial: 0x0f,
  clearScreen: 0x20,
  inkMode: 0x21,
  writeImageStart: 0x25,
  writeImageData: 0x26,
  writeImageEnd: 0x27,
  writingArea: 0x2a,
  brightness: 0x2b,
  penColorAndWidth: 0x2d,
  backgroundColor: 0x2e,
  penDataTiming: 0x34,
} as const;

export const PEN_FLAG_IN_RANGE = 0x8000;
export const PEN_FLAG_TOUCHING = 0x1000;
/** Pressure mask of the STU-540 (1024 levels, as the STU-430). */
export const DEFAULT_PRESSURE_MASK = 0x03ff;

export interface StuPenSample {
  reportId: typeof STU_REPORT.penData | typeof STU_REPORT.penDataTiming;
  /** rdy: the pen is in proximity. */
  inRange: boolean;
  /** sw: the pen touches the surface. */
  touching: boolean;
  /** Raw pressure in tablet units. */
  pressure: number;
  /** Tablet units. */
  x: number;
  y: number;
  /** Report 0x34 only: the tablet's time counter. */
  time: number | null;
  /** Report 0x34 only: incrementing sequence number. */
  sequence: number | null;
}

export interface StuReportOptions {
  /** Byte 0 is the report ID (node-hid). Default true. */
  includesReportId?: boolean;
  /** Report ID to assume when `includesReportId` is false. Default 0x01. */
  reportId?: number;
  /** Pressure bits of the status word. Default 0x3FF. */
  pressureMask?: number;
}

export type StuPenDecodeResult =
  | { ok: true; sample: StuPenSample }
  | { ok: false; error: 'not-pen-data' | 'too-short'; reportId: number | null };

const u16 = (b: Uint8Array, at: number): number => (((b[at] ?? 0) << 8) | (b[at + 1] ?? 0)) >>> 0;

/** Decode an input report 0x01 or 0x34. Other report IDs are returned as `not-pen-data`. */
export function decodePenReport(bytes: Uint8Array, options: StuReportOptions = {}): StuPenDecodeResult {
  const withId = options.includesReportId ?? true;
  const reportId = withId ? (bytes[0] ?? null) : (options.reportId ?? STU_REPORT.penData);
  if (reportId !== STU_REPORT.penData && reportId !== STU_REPORT.penDataTiming) {
    return { ok: false, error: 'not-pen-data', reportId };
  }
  const o = withId ? 1 : 0;
  const needed = o + (reportId === STU_REPORT.penDataTiming ? 10 : 6);
  if (bytes.length < needed) return { ok: false, error: 'too-short', reportId };
  const status = u16(bytes, o);
  const timed = reportId === STU_REPORT.penDataTiming;
  return {
    ok: true,
    sample: {
      reportId,
      inRange: (status & PEN_FLAG_IN_RANGE) !== 0,
      touching: (status & PEN_FLAG_TOUCHING) !== 0,
      pressure: status & (options.pressureMask ?? DEFAULT_PRESSURE_MASK),
      x: u16(bytes, o + 2),
      y: u16(bytes, o + 4),
      time: timed ? u16(bytes, o + 6) : null,
      sequence: timed ? u16(bytes, o + 8) : null,
    },
  };
}

/** Encode a pen data report (for the tablet simulator). A 0x34 report is written when time or sequence is set. */
export function encodePenReport(
  sample: Omit<StuPenSample, 'reportId' | 'time' | 'sequence'> & { time?: number | null; sequence?: number | null },
  options: { includesReportId?: boolean; pressureMask?: number } = {},
): Uint8Array {
  const timed = (sample.time ?? null) !== null || (sample.sequence ?? null) !== null;
  const withId = options.includesReportId ?? true;
  const o = withId ? 1 : 0;
  const out = new Uint8Array(o + (timed ? 10 : 6));
  if (withId) out[0] = timed ? STU_REPORT.penDataTiming : STU_REPORT.penData;
  const mask = options.pressureMask ?? DEFAULT_PRESSURE_MASK;
  const status =
    (sample.inRange ? PEN_FLAG_IN_RANGE : 0) | (sample.touching ? PEN_FLAG_TOUCHING : 0) | (Math.round(sample.pressure) & mask);
  const put16 = (at: number, v: number): void => {
    out[at] = (v >> 8) & 0xff;
    out[at + 1] = v & 0xff;
  };
  put16(o, status);
  put16(o + 2, Math.round(sample.x));
  put16(o + 4, Math.round(sample.y));
  if (timed) {
    put16(o + 6, (sample.time ?? 0) & 0xffff);
    put16(o + 8, (sample.sequence ?? 0) & 0xffff);
  }
  return out;
}

export interface StuCapability {
  tabletMaxX: number;
  tabletMaxY: number;
  tabletMaxPressure: number;
  screenWidth: number;
  screenHeight: number;
  /** Byte 11 ("refresh" in devices.md, `maxReportRate` in netas-ch). */
  maxReportRate: number;
}

export type StuFeatureDecodeResult<T> = { ok: true; value: T } | { ok: false; error: 'wrong-report-id' | 'too-short' };

/** Decode feature report 0x09 (byte 0 = report ID, as node-hid `getFeatureReport` and WebHID return it). */
export function decodeCapability(bytes: Uint8Array): StuFeatureDecodeResult<StuCapability> {
  if (bytes[0] !== STU_REPORT.capability) return { ok: false, error: 'wrong-report-id' };
  if (bytes.length < 12) return { ok: false, error: 'too-short' };
  return {
    ok: true,
    value: {
      tabletMaxX: u16(bytes, 1),
      tabletMaxY: u16(bytes, 3),
      tabletMaxPressure: u16(bytes, 5),
      screenWidth: u16(bytes, 7),
      screenHeight: u16(bytes, 9),
      maxReportRate: bytes[11] ?? 0,
    },
  };
}

/**
 * Encode feature report 0x09 for the simulator. Only the documented 12 bytes are written; pass
 * `length` to pad to the size a real model reports.
 */
export function encodeCapability(cap: StuCapability, length = 12): Uint8Array {
  const out = new Uint8Array(Math.max(12, length));
  out[0] = STU_REPORT.capability;
  const values = [cap.tabletMaxX, cap.tabletMaxY, cap.tabletMaxPressure, cap.screenWidth, cap.screenHeight];
  values.forEach((v, k) => {
    out[1 + 2 * k] = (v >> 8) & 0xff;
    out[2 + 2 * k] = v & 0xff;
  });
  out[11] = cap.maxReportRate & 0xff;
  return out;
}

export interface StuInformation {
  modelName: string;
  firmware: string;
}

/** Decode feature report 0x08: model name (bytes 1…7, NUL-terminated) and firmware "b8.b9.b10.b11". */
export function decodeInformation(bytes: Uint8Array): StuFeatureDecodeResult<StuInformation> {
  if (bytes[0] !== STU_REPORT.information) return { ok: false, error: 'wrong-report-id' };
  if (bytes.length < 12) return { ok: false, error: 'too-short' };
  let modelName = '';
  for (let k = 1; k < 8; k++) {
    const c = bytes[k] ?? 0;
    if (c === 0) break;
    modelName += String.fromCharCode(c);
  }
  return { ok: true, value: { modelName, firmware: Array.from(bytes.subarray(8, 12)).join('.') } };
}

export function encodeInformation(info: StuInformation, length = 12): Uint8Array {
  const out = new Uint8Array(Math.max(12, length));
  out[0] = STU_REPORT.information;
  for (let k = 0; k < Math.min(7, info.modelName.length); k++) out[1 + k] = info.modelName.charCodeAt(k) & 0x7f;
  info.firmware
    .split('.')
    .slice(0, 4)
    .forEach((part, k) => {
      out[8 + k] = Number(part) & 0xff;
    });
  return out;
}

/** Tablet units → screen pixels, using the capability report (scale = max / screen size, per axis). */
export function tabletToScreen(sample: { x: number; y: number }, cap: StuCapability): { x: number; y: number } {
  return {
    x: cap.tabletMaxX > 0 ? (sample.x * cap.screenWidth) / cap.tabletMaxX : 0,
    y: cap.tabletMaxY > 0 ? (sample.y * cap.screenHeight) / cap.tabletMaxY : 0,
  };
}

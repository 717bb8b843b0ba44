/**
 * USB HID POS barcode scanner input reports (HID usage page 0x8C, usage 0x02 Bar Code Scanner),
 * devices.md §3 (Access-IS LSR118/ATR110 manuals; NielsLeenheer/WebHidBarcodeScanner `src/main.js`):
 *
 *   byte 0       report ID = 0x02
 *   byte 1       length of the data in this report (≤ 56)
 *   bytes 2..4   AIM symbology identifier  ']' <code char> <modifier>
 *   bytes 5..60  data
 *   byte 61      vendor symbology id (Honeywell Code ID)
 *   byte 62      reserved
 *   byte 63      bit0 = 1 → more reports follow (long barcodes are split)
 *
 * node-hid delivers numbered reports with the report ID in byte 0; WebHID strips it, so every offset
 * is one lower there (`includesReportId: false`).
 *
 * Reference gap: NielsLeenheer's WebHID code reads `length − 1` data bytes, as if the length counted
 * one extra byte; devices.md says the length is the data length, and that is what we follow. A length
 * larger than the data area is clamped and reported.
 */
import { type AimIdentifier, HONEYWELL_CODE_IDS, parseAimIdentifier, type ScanSymbology } from './aim.ts';

export const HID_POS_USAGE_PAGE = 0x8c;
export const HID_POS_USAGE_BARCODE_SCANNER = 0x02;
export const SCAN_REPORT_ID = 0x02;
/** Report size including the report ID byte. */
export const SCAN_REPORT_LENGTH = 64;
/** Bytes of barcode data one report carries (bytes 5..60). */
export const SCAN_REPORT_MAX_DATA = 56;

const OFFSET_LENGTH = 1;
const OFFSET_AIM = 2;
const OFFSET_DATA = 5;
const OFFSET_VENDOR_ID = 61;
const OFFSET_FLAGS = 63;

export interface ReportLayoutOptions {
  /** Byte 0 of the buffer is the report ID (node-hid). False for WebHID-style buffers. Default true. */
  includesReportId?: boolean;
}

/** One decoded input report (a fragment of a scan when `more` is set). */
export interface ScanReport {
  /** AIM identifier text as sent (may be three NULs when the scanner sends none). */
  aimText: string;
  data: Uint8Array;
  /** Raw vendor symbology byte (byte 61); 0 when absent. */
  vendorCodeId: number;
  more: boolean;
}

export type ScanReportResult =
  | { ok: true; report: ScanReport; warning?: 'length-clamped' }
  | { ok: false; error: 'wrong-report-id' | 'too-short'; reportId: number | null };

/** Decode one 0x02 input report. */
export function decodeScanReport(bytes: Uint8Array, options: ReportLayoutOptions = {}): ScanReportResult {
  const withId = options.includesReportId ?? true;
  const shift = withId ? 0 : -1;
  const reportId = withId ? (bytes[0] ?? null) : SCAN_REPORT_ID;
  if (reportId !== SCAN_REPORT_ID) return { ok: false, error: 'wrong-report-id', reportId };
  if (bytes.length < OFFSET_DATA + shift) return { ok: false, error: 'too-short', reportId };
  const declared = bytes[OFFSET_LENGTH + shift] ?? 0;
  const dataStart = OFFSET_DATA + shift;
  // Data can never run into the vendor byte; short buffers (some scanners send only what is used) end earlier.
  const room = Math.max(0, Math.min(SCAN_REPORT_MAX_DATA, bytes.length - dataStart));
  const length = Math.min(declared, room);
  const aimText = String.fromCharCode(...bytes.subarray(OFFSET_AIM + shift, OFFSET_AIM + shift + 3));
  const report: ScanReport = {
    aimText,
    data: bytes.slice(dataStart, dataStart + length),
    vendorCodeId: bytes[OFFSET_VENDOR_ID + shift] ?? 0,
    more: ((bytes[OFFSET_FLAGS + shift] ?? 0) & 0x01) === 1,
  };
  return length < declared ? { ok: true, report, warning: 'length-clamped' } : { ok: true, report };
}

/** A complete scan, assembled from one or more reports or read from a serial line. */
export interface BarcodeScan {
  /** Data as text: UTF-8 when the bytes are valid UTF-8, otherwise ISO 8859-1. */
  data: string;
  bytes: Uint8Array;
  aim: AimIdentifier | null;
  /** From the AIM identifier, else from the vendor code id, else 'unknown'. */
  symbology: ScanSymbology;
  /** Vendor symbology byte of HID POS reports, null for serial scans. */
  vendorCodeId: number | null;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function bytesToScanText(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return s;
  }
}

export function makeScan(bytes: Uint8Array, aim: AimIdentifier | null, vendorCodeId: number | null): BarcodeScan {
  const vendor = vendorCodeId ? HONEYWELL_CODE_IDS[String.fromCharCode(vendorCodeId)] : undefined;
  let symbology: ScanSymbology = aim?.symbology ?? 'unknown';
  if ((symbology === 'unknown' || symbology === 'other') && vendor) symbology = vendor;
  return { data: bytesToScanText(bytes), bytes, aim, symbology, vendorCodeId };
}

export type AssemblerEvent =
  /** `truncated`: data beyond `maxScanBytes` was dropped. */
  | { type: 'scan'; scan: BarcodeScan; truncated?: true }
  /** A fragment with the more-flag; the scan continues in the next report. */
  | { type: 'partial'; bytesSoFar: number }
  | { type: 'ignored'; reason: 'wrong-report-id' | 'too-short'; reportId: number | null };

export interface ScanAssemblerOptions extends ReportLayoutOptions {
  /** Longest scan kept; further data is dropped until the final report (protects against a stuck more-flag). Default 8192 bytes. */
  maxScanBytes?: number;
}

/**
 * Assembles multi-report scans: data of reports with the more-flag is kept until a report without it
 * arrives. The AIM identifier and vendor id of the first report of a scan are used.
 */
export class HidPosScanAssembler {
  readonly #options: ScanAssemblerOptions;
  #parts: Uint8Array[] = [];
  #size = 0;
  #first: ScanReport | null = null;
  #truncated = false;

  constructor(options: ScanAssemblerOptions = {}) {
    this.#options = options;
  }

  /** True while a multi-report scan is incomplete. */
  get pending(): boolean {
    return this.#first !== null;
  }

  /** Drop an incomplete scan (e.g. after the device was reopened). */
  reset(): void {
    this.#parts = [];
    this.#size = 0;
    this.#first = null;
    this.#truncated = false;
  }

  push(reportBytes: Uint8Array): AssemblerEvent {
    const decoded = decodeScanReport(reportBytes, this.#options);
    if (!decoded.ok) return { type: 'ignored', reason: decoded.error, reportId: decoded.reportId };
    const report = decoded.report;
    this.#first ??= report;
    const max = this.#options.maxScanBytes ?? 8192;
    const room = Math.max(0, max - this.#size);
    const part = report.data.subarray(0, room);
    if (part.length < report.data.length) this.#truncated = true;
    this.#parts.push(part);
    this.#size += part.length;
    if (report.more) return { type: 'partial', bytesSoFar: this.#size };

    const bytes = new Uint8Array(this.#size);
    let at = 0;
    for (const p of this.#parts) {
      bytes.set(p, at);
      at += p.length;
    }
    const first = this.#first;
    const truncated = this.#truncated;
    this.reset();
    const scan = makeScan(bytes, parseAimIdentifier(first.aimText), first.vendorCodeId || null);
    return truncated ? { type: 'scan', scan, truncated } : { type: 'scan', scan };
  }
}

export interface EncodeScanOptions extends ReportLayoutOptions {
  /** AIM identifier to send, e.g. "]C0". Default three NUL bytes (scanner configured without AIM). */
  aim?: string;
  /** Vendor symbology byte (Honeywell Code ID), as a character or a number. Default 0. */
  vendorCodeId?: string | number;
  /** Data bytes per report, 1…56. Default 56. */
  chunkSize?: number;
}

/**
 * Encode a scan as HID POS input reports, for the scanner simulator. Long data is split into
 * 56-byte reports with the more-flag set on all but the last. Text is sent as UTF-8.
 */
export function encodeScanReports(data: string | Uint8Array, options: EncodeScanOptions = {}): Uint8Array[] {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const withId = options.includesReportId ?? true;
  const shift = withId ? 0 : -1;
  const chunk = options.chunkSize ?? SCAN_REPORT_MAX_DATA;
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > SCAN_REPORT_MAX_DATA) {
    throw new RangeError(`chunkSize must be 1…${SCAN_REPORT_MAX_DATA}`);
  }
  const aim = options.aim ?? '\0\0\0';
  if (aim.length !== 3) throw new RangeError('aim must be three characters');
  const vendor =
    typeof options.vendorCodeId === 'string' ? options.vendorCodeId.charCodeAt(0) : (options.vendorCodeId ?? 0);

  const reports: Uint8Array[] = [];
  let at = 0;
  do {
    const part = bytes.subarray(at, at + chunk);
    at += part.length;
    const r = new Uint8Array(SCAN_REPORT_LENGTH + shift);
    if (withId) r[0] = SCAN_REPORT_ID;
    r[OFFSET_LENGTH + shift] = part.length;
    for (let k = 0; k < 3; k++) r[OFFSET_AIM + shift + k] = aim.charCodeAt(k) & 0xff;
    r.set(part, OFFSET_DATA + shift);
    r[OFFSET_VENDOR_ID + shift] = vendor & 0xff;
    r[OFFSET_FLAGS + shift] = at < bytes.length ? 0x01 : 0x00;
    reports.push(r);
  } while (at < bytes.length);
  return reports;
}

/**
 * Real-time status `DLE EOT n` (10 04 n) replies, devices.md §4.2 (Bixolon SRP-350 and Epson TM-U220
 * manuals; node-escpos `packages/core/src/statuses.ts`).
 *
 * The reply is one byte whose fixed bits read `0xx1xx10` (bit1 = 1, bit4 = 1, bits 0 and 7 = 0):
 *   n = 1 printer:       bit2 drawer connector pin 3 HIGH, bit3 offline
 *   n = 2 offline cause: bit2 cover open, bit3 paper being fed by the button, bit5 stopped by paper end, bit6 error
 *   n = 3 error cause:   bit3 autocutter error, bit5 unrecoverable error, bit6 auto-recoverable error
 *   n = 4 paper sensor:  bits 2–3 = 11 roll near end, bits 5–6 = 11 roll end
 * Bits the reference does not describe are kept in `raw` and otherwise ignored.
 */

export type StatusFunction = 1 | 2 | 3 | 4;

/** Mask and value of the fixed bits: (byte & 0x93) === 0x12. */
export const STATUS_FIXED_MASK = 0x93;
export const STATUS_FIXED_VALUE = 0x12;

export interface PrinterStatusByte {
  n: 1;
  raw: number;
  /** Drawer kick connector pin 3 is HIGH. Whether that means open or closed depends on the drawer's wiring. */
  drawerPin3High: boolean;
  offline: boolean;
}

export interface OfflineCauseStatusByte {
  n: 2;
  raw: number;
  coverOpen: boolean;
  feedButtonPressed: boolean;
  stoppedByPaperEnd: boolean;
  error: boolean;
}

export interface ErrorCauseStatusByte {
  n: 3;
  raw: number;
  autocutterError: boolean;
  unrecoverableError: boolean;
  autoRecoverableError: boolean;
}

export interface PaperSensorStatusByte {
  n: 4;
  raw: number;
  paperNearEnd: boolean;
  paperEnd: boolean;
}

export type StatusByte = PrinterStatusByte | OfflineCauseStatusByte | ErrorCauseStatusByte | PaperSensorStatusByte;

export type StatusDecodeResult =
  | { ok: true; status: StatusByte }
  | { ok: false; error: 'fixed-bits-mismatch' | 'unsupported-function'; raw: number };

const bit = (value: number, b: number): boolean => (value & (1 << b)) !== 0;

/** True when a byte has the fixed bits of a `DLE EOT` reply. */
export function isStatusByte(byte: number): boolean {
  return (byte & STATUS_FIXED_MASK) === STATUS_FIXED_VALUE;
}

/** Decode the reply to `DLE EOT n`. A byte without the fixed bits is returned as an error (e.g. a stray ASB or XOFF byte). */
export function decodeStatusByte(n: number, byte: number): StatusDecodeResult {
  const raw = byte & 0xff;
  if (n < 1 || n > 4) return { ok: false, error: 'unsupported-function', raw };
  if (!isStatusByte(raw)) return { ok: false, error: 'fixed-bits-mismatch', raw };
  switch (n) {
    case 1:
      return { ok: true, status: { n: 1, raw, drawerPin3High: bit(raw, 2), offline: bit(raw, 3) } };
    case 2:
      return {
        ok: true,
        status: {
          n: 2,
          raw,
          coverOpen: bit(raw, 2),
          feedButtonPressed: bit(raw, 3),
          stoppedByPaperEnd: bit(raw, 5),
          error: bit(raw, 6),
        },
      };
    case 3:
      return {
        ok: true,
        status: {
          n: 3,
          raw,
          autocutterError: bit(raw, 3),
          unrecoverableError: bit(raw, 5),
          autoRecoverableError: bit(raw, 6),
        },
      };
    default:
      // Both bits of each pair are set together by the printer; treat the pair as one flag and
      // accept either bit so a printer that sets only one (some clones) is still understood.
      return {
        ok: true,
        status: { n: 4, raw, paperNearEnd: (raw & 0x0c) !== 0, paperEnd: (raw & 0x60) !== 0 },
      };
  }
}

/** What a printer (or its simulator) reports, in terms the driver cares about. */
export interface PrinterCondition {
  paperEnd: boolean;
  paperNearEnd: boolean;
  coverOpen: boolean;
  /** Drawer connector pin 3 level; map to open/closed per site wiring. */
  drawerPin3High: boolean;
  offline: boolean;
  feedButtonPressed: boolean;
  autocutterError: boolean;
  unrecoverableError: boolean;
  autoRecoverableError: boolean;
}

export const HEALTHY_PRINTER: Readonly<PrinterCondition> = {
  paperEnd: false,
  paperNearEnd: false,
  coverOpen: false,
  drawerPin3High: false,
  offline: false,
  feedButtonPressed: false,
  autocutterError: false,
  unrecoverableError: false,
  autoRecoverableError: false,
};

/**
 * The byte a printer sends for `DLE EOT n` in a given condition (for the simulator). An open cover,
 * paper end or an error also set the offline bit of n = 1, as real printers do.
 */
export function encodeStatusByte(n: StatusFunction, condition: Partial<PrinterCondition>): number {
  const c: PrinterCondition = { ...HEALTHY_PRINTER, ...condition };
  const error = c.autocutterError || c.unrecoverableError || c.autoRecoverableError;
  let b = STATUS_FIXED_VALUE;
  switch (n) {
    case 1:
      if (c.drawerPin3High) b |= 1 << 2;
      if (c.offline || c.coverOpen || c.paperEnd || error) b |= 1 << 3;
      break;
    case 2:
      if (c.coverOpen) b |= 1 << 2;
      if (c.feedButtonPressed) b |= 1 << 3;
      if (c.paperEnd) b |= 1 << 5;
      if (error) b |= 1 << 6;
      break;
    case 3:
      if (c.autocutterError) b |= 1 << 3;
      if (c.unrecoverableError) b |= 1 << 5;
      if (c.autoRecoverableError) b |= 1 << 6;
      break;
    case 4:
      if (c.paperNearEnd || c.paperEnd) b |= 0x0c;
      if (c.paperEnd) b |= 0x60;
      break;
  }
  return b;
}

/** Typed printer status assembled from the replies to `DLE EOT 1`, `2`, `3` and `4` (any subset). */
export interface PrinterStatus {
  /** Null when the reply that carries it was not available. */
  paperEnd: boolean | null;
  paperNearEnd: boolean | null;
  coverOpen: boolean | null;
  drawerPin3High: boolean | null;
  offline: boolean | null;
  /** Any error bit of n = 2 or n = 3. */
  error: boolean | null;
}

/**
 * Merge decoded replies into one status. Paper end is reported by n = 4 (sensor) and by n = 2
 * ("stopped because of paper end"); either one is enough.
 */
export function summarizeStatus(replies: readonly StatusByte[]): PrinterStatus {
  const out: PrinterStatus = {
    paperEnd: null,
    paperNearEnd: null,
    coverOpen: null,
    drawerPin3High: null,
    offline: null,
    error: null,
  };
  const or = (a: boolean | null, b: boolean): boolean => (a ?? false) || b;
  for (const r of replies) {
    switch (r.n) {
      case 1:
        out.drawerPin3High = r.drawerPin3High;
        out.offline = or(out.offline, r.offline);
        break;
      case 2:
        out.coverOpen = r.coverOpen;
        out.paperEnd = or(out.paperEnd, r.stoppedByPaperEnd);
        out.error = or(out.error, r.error);
        break;
      case 3:
        out.error = or(out.error, r.autocutterError || r.unrecoverableError || r.autoRecoverableError);
        break;
      case 4:
        out.paperNearEnd = r.paperNearEnd;
        out.paperEnd = or(out.paperEnd, r.paperEnd);
        break;
    }
  }
  return out;
}

/**
 * The receipt printer device class (DESIGN.md "Drivers": printer `print(receipt)`, status, `kickDrawer()`),
 * and the cash drawer kicked through it.
 *
 * Results of printing are data: a print on a printer without paper or with its cover open is an
 * expected refusal (`{ ok: false, code: 'paper_out' }`), and the receipt is kept for a reprint. Only a
 * programming error throws.
 *
 * Naming: the DLE EOT status query is `queryStatus()`, because `status()` is the driver contract's
 * synchronous device status (state + reason) on every `Device`.
 */
import type { BaseDeviceEvents, Device } from '../device.ts';
import type { Receipt } from '../receipt/receipt.ts';

/** What the printer reported to `DLE EOT 1…4` (devices.md §4.2). Null: that reply did not come. */
export interface PrinterStatusReport {
  paperEnd: boolean | null;
  paperNearEnd: boolean | null;
  coverOpen: boolean | null;
  /** Drawer open according to the drawer sensor and the configured wiring; null when unknown. */
  drawerOpen: boolean | null;
  offline: boolean | null;
  error: boolean | null;
  /** The printer answered at all (false: no reply within the timeout, or no back channel). */
  responding: boolean;
}

export type PrintFailureCode =
  | 'paper_out'
  | 'cover_open'
  | 'printer_error'
  | 'printer_offline'
  /** No reply to the status query (switched off, wrong port, cable). */
  | 'no_response'
  /** The transport could not be opened or broke while writing (unplugged). */
  | 'disconnected';

export type PrintResult =
  | { ok: true; id: string; status: PrinterStatusReport | null }
  | {
      ok: false;
      id: string;
      code: PrintFailureCode;
      message: string;
      /** Bytes went out before the failure was seen (paper ran out during the receipt). */
      partial: boolean;
      status: PrinterStatusReport | null;
    };

/** Bytes already rendered (a slip, a test page); `label` names it in the reprint list. */
export interface RawPrintJob {
  bytes: Uint8Array;
  label?: string;
}

export type Printable = Receipt | RawPrintJob;

export interface PendingReprint {
  id: string;
  label: string;
  /** ISO time of the first failed attempt. */
  failedAt: string;
  code: PrintFailureCode;
  message: string;
  attempts: number;
  /** The receipt model when the job was a receipt (e.g. to e-mail it instead). */
  receipt: Receipt | null;
}

export interface DrawerKickOptions {
  /** Drawer connector pin: 2 or 5. */
  pin?: 2 | 5;
  /** Pulse on time, ms (2 ms steps, ≤ 510). */
  onMs?: number;
  /** Pulse off time, ms (2 ms steps, ≤ 510). */
  offMs?: number;
}

export type DrawerKickResult =
  | { ok: true; pin: 2 | 5; onMs: number; offMs: number; drawerOpen: boolean | null }
  | { ok: false; code: 'disconnected' | 'not_configured'; message: string };

export interface PrinterEvents extends BaseDeviceEvents {
  /** A status query gave a different result from the previous one. */
  'printer.status': [PrinterStatusReport];
  'receipt.printed': [{ id: string; label: string }];
  'receipt.failed': [{ id: string; label: string; code: PrintFailureCode; message: string }];
}

export interface DrawerEvents extends BaseDeviceEvents {
  'drawer.kicked': [{ pin: 2 | 5; onMs: number; offMs: number }];
  'drawer.opened': [];
  'drawer.closed': [];
}

export interface ReceiptPrinter extends Device<PrinterEvents> {
  print(job: Printable): Promise<PrintResult>;
  queryStatus(): Promise<PrinterStatusReport>;
  kickDrawer(options?: DrawerKickOptions): Promise<DrawerKickResult>;
  pendingReprints(): PendingReprint[];
  reprint(id: string): Promise<PrintResult>;
  discardReprint(id: string): boolean;
}

export interface CashDrawer extends Device<DrawerEvents> {
  kick(options?: DrawerKickOptions): Promise<DrawerKickResult>;
  /** Drawer sensor through the printer; null when the printer cannot tell. */
  isOpen(): Promise<boolean | null>;
}

export function isRawPrintJob(job: Printable): job is RawPrintJob {
  return (job as RawPrintJob).bytes instanceof Uint8Array;
}

/**
 * ESC/POS receipt printer driver (Epson TM-T20/T88 and the many compatibles), with the cash drawer
 * that hangs off its kick connector.
 *
 * Transport from config: serial port (injectable serialport binding), USB printer-class device file
 * (/dev/usb/lp0) or raw TCP 9100 (./transport.ts).
 *
 * Printing (devices.md §4.1/§4.2):
 *  1. `DLE EOT 1, 2, 4` before printing: with no paper, the cover open, an error or no reply at all the
 *     receipt is not sent — the result is a failure and the receipt is kept for `reprint(id)`;
 *  2. the receipt bytes (rendered with drivers/receipt → @point-of-sale/receipt-printer-encoder);
 *  3. `DLE EOT` again: paper that ran out during the receipt is reported (`partial: true`), and the
 *     receipt is kept too.
 * A printer processes DLE EOT on arrival, possibly before it has printed everything buffered before
 * it; the simulator handles bytes in order, real printers may report "paper end" one receipt late.
 *
 * State: `ready`; `degraded` "paper near end"; `offline` with the reason (paper out, cover open,
 * printer error, no response, disconnected, closed). Status is polled every `statusPollMs` so the
 * admin page sees a cover opened between receipts. Reconnecting with backoff is the daemon's job;
 * `print()` itself reopens a closed transport once, so a replugged printer works without a restart.
 *
 * The drawer is its own `Device` (kind 'drawer', `printer.drawer`), so a printer without paper does
 * not take the drawer offline (DESIGN.md: a failing device takes only its own capability offline).
 * Its open/closed state comes from the drawer sensor bit of `DLE EOT 1`; whether pin 3 HIGH means
 * open depends on the drawer's wiring (`drawer.openWhen`). While the drawer is open it is polled
 * every `drawer.pollMs` until it is closed.
 */
import { z } from 'zod';
import {
  decodeStatusByte,
  drawerKick,
  isStatusByte,
  type StatusByte,
  statusRequest,
  summarizeStatus,
} from '../../protocols/escpos/index.ts';
import { Device, DeviceError, type DriverClock } from '../device.ts';
import { renderReceiptEscPos } from '../receipt/escpos.ts';
import type { Receipt } from '../receipt/receipt.ts';
import {
  type CashDrawer,
  type DrawerEvents,
  type DrawerKickOptions,
  type DrawerKickResult,
  isRawPrintJob,
  type PendingReprint,
  type Printable,
  type PrinterEvents,
  type PrinterStatusReport,
  type PrintFailureCode,
  type PrintResult,
  type ReceiptPrinter,
} from './index.ts';
import type { BindingInterface } from './serial-port.ts';
import { createPrinterTransport, type PrinterTransport } from './transport.ts';

const drawerConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    pin: z.union([z.literal(2), z.literal(5)]).default(2),
    onMs: z.number().int().min(0).max(510).default(50),
    offMs: z.number().int().min(0).max(510).default(500),
    /** Drawer sensor wiring: which level of connector pin 3 means "open". */
    openWhen: z.enum(['pin3-high', 'pin3-low']).default('pin3-high'),
    /** While the drawer is open, how often to look whether it was closed; 0 = only on demand. */
    pollMs: z.number().int().min(0).default(500),
  })
  .strict();

export const escposPrinterConfigSchema = z
  .object({
    id: z.string().min(1),
    model: z.string().min(1).default('ESC/POS receipt printer'),
    transport: z.discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('serial'),
          path: z.string().min(1),
          baudRate: z.number().int().positive().default(19200),
          rtscts: z.boolean().default(false),
        })
        .strict(),
      z
        .object({
          kind: z.literal('tcp'),
          host: z.string().min(1),
          port: z.number().int().min(1).max(65535).default(9100),
          connectTimeoutMs: z.number().int().positive().default(3000),
        })
        .strict(),
      z
        .object({
          kind: z.literal('device-file'),
          path: z.string().min(1),
          pollIntervalMs: z.number().int().positive().default(20),
        })
        .strict(),
    ]),
    /** Font-A columns: 42 on 80 mm paper, 32 on 58 mm. */
    columns: z.number().int().min(24).max(64).default(42),
    /** Vendor numbering of `ESC t` code tables. */
    codePageTable: z.enum(['epson', 'star', 'citizen', 'bixolon', 'xprinter']).default('epson'),
    cut: z.enum(['full', 'partial', 'none']).default('partial'),
    patronName: z.enum(['full', 'initials', 'hidden']).default('full'),
    /** How long to wait for each DLE EOT reply. */
    statusTimeoutMs: z.number().int().positive().default(1000),
    /** Background status poll; 0 = only around prints and on demand. */
    statusPollMs: z.number().int().min(0).default(5000),
    maxPendingReprints: z.number().int().min(1).default(20),
    drawer: drawerConfigSchema.prefault({}),
  })
  .strict();

export type EscPosPrinterConfig = z.output<typeof escposPrinterConfigSchema>;
export type EscPosPrinterConfigInput = z.input<typeof escposPrinterConfigSchema>;

export interface EscPosPrinterDeps {
  clock?: DriverClock;
  /** serialport binding for `transport.kind: 'serial'` (a simulator's in tests and the demo). */
  binding?: BindingInterface;
  /** Replaces the transport built from config entirely. */
  transport?: PrinterTransport;
  /** Ids for print jobs; default `<printer id>-<n>`. */
  newId?: () => string;
}

interface Job {
  id: string;
  label: string;
  bytes: Uint8Array;
  receipt: Receipt | null;
  failedAt: string | null;
  code: PrintFailureCode | null;
  message: string;
  attempts: number;
}

const UNKNOWN_STATUS: PrinterStatusReport = {
  paperEnd: null,
  paperNearEnd: null,
  coverOpen: null,
  drawerOpen: null,
  offline: null,
  error: null,
  responding: false,
};

function sameReport(a: PrinterStatusReport | null, b: PrinterStatusReport): boolean {
  return (
    a !== null &&
    a.paperEnd === b.paperEnd &&
    a.paperNearEnd === b.paperNearEnd &&
    a.coverOpen === b.coverOpen &&
    a.drawerOpen === b.drawerOpen &&
    a.offline === b.offline &&
    a.error === b.error &&
    a.responding === b.responding
  );
}

/** Why a status forbids printing, or null. */
function refusal(report: PrinterStatusReport): { code: PrintFailureCode; message: string } | null {
  if (!report.responding) return { code: 'no_response', message: 'the printer does not answer status queries' };
  if (report.paperEnd) return { code: 'paper_out', message: 'the printer is out of paper' };
  if (report.coverOpen) return { code: 'cover_open', message: 'the printer cover is open' };
  if (report.error) return { code: 'printer_error', message: 'the printer reports an error' };
  if (report.offline) return { code: 'printer_offline', message: 'the printer is offline' };
  return null;
}

export class EscPosPrinter extends Device<PrinterEvents> implements ReceiptPrinter {
  readonly config: EscPosPrinterConfig;
  readonly drawer: EscPosCashDrawer;
  readonly #transport: PrinterTransport;
  readonly #newId: () => string;
  #seq = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #waiter: ((byte: number | null) => void) | null = null;
  #lastStatus: PrinterStatusReport | null = null;
  readonly #pending = new Map<string, Job>();
  #pollTimer: NodeJS.Timeout | null = null;
  #closed = true;

  constructor(config: EscPosPrinterConfigInput, deps: EscPosPrinterDeps = {}) {
    const parsed = escposPrinterConfigSchema.parse(config);
    super(parsed.id, 'printer', parsed.model, deps.clock);
    this.config = parsed;
    this.#transport = deps.transport ?? createPrinterTransport(parsed.transport, deps.binding ? { binding: deps.binding } : {});
    this.#newId = deps.newId ?? (() => `${parsed.id}-${++this.#seq}`);
    this.drawer = new EscPosCashDrawer(this, parsed.drawer, deps.clock);
    this.#transport.on('data', (chunk) => this.#onData(chunk));
    this.#transport.on('close', (err) => this.#onTransportClosed(err));
  }

  get transportDescription(): string {
    return this.#transport.description;
  }

  get lastStatus(): PrinterStatusReport | null {
    return this.#lastStatus;
  }

  async open(): Promise<void> {
    this.#closed = false;
    this.setState('connecting', `opening ${this.#transport.description}`);
    try {
      await this.#transport.open();
    } catch (err) {
      this.setState('offline', `cannot open ${this.#transport.description}`, err);
      this.drawer.printerLinkChanged(false);
      throw new DeviceError('open_failed', `cannot open ${this.#transport.description}: ${(err as Error).message}`);
    }
    this.drawer.printerLinkChanged(true);
    await this.queryStatus();
    this.#startPolling();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopPolling();
    this.drawer.stopWatching();
    await this.#exclusive(() => this.#transport.close());
    this.#settleWaiter(null);
    this.setState('offline', 'closed');
    this.drawer.printerLinkChanged(false, 'closed');
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  async queryStatus(): Promise<PrinterStatusReport> {
    return this.#exclusive(() => this.#queryUnlocked());
  }

  async #queryUnlocked(): Promise<PrinterStatusReport> {
    if (!this.#transport.isOpen) {
      this.#applyState(UNKNOWN_STATUS);
      return { ...UNKNOWN_STATUS };
    }
    if (!this.#transport.bidirectional) {
      // Write-only device file: nothing to ask; printing is attempted blind.
      this.setState('ready', null);
      return { ...UNKNOWN_STATUS };
    }
    const replies: StatusByte[] = [];
    for (const n of [1, 2, 4] as const) {
      const byte = await this.#ask(n);
      if (byte === null) break;
      const decoded = decodeStatusByte(n, byte);
      if (decoded.ok) replies.push(decoded.status);
    }
    let report: PrinterStatusReport;
    if (replies.length === 0) report = { ...UNKNOWN_STATUS };
    else {
      const s = summarizeStatus(replies);
      const openWhenHigh = this.config.drawer.openWhen === 'pin3-high';
      report = {
        paperEnd: s.paperEnd,
        paperNearEnd: s.paperNearEnd,
        coverOpen: s.coverOpen,
        drawerOpen: s.drawerPin3High === null ? null : s.drawerPin3High === openWhenHigh,
        offline: s.offline,
        error: s.error,
        responding: true,
      };
    }
    const changed = !sameReport(this.#lastStatus, report);
    this.#lastStatus = report;
    this.#applyState(report);
    if (changed) this.emit('printer.status', { ...report });
    this.drawer.observe(report.drawerOpen);
    return { ...report };
  }

  /** Send `DLE EOT n` and wait for the one-byte reply (bytes nobody waits for are dropped). */
  async #ask(n: 1 | 2 | 3 | 4): Promise<number | null> {
    const reply = new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        if (this.#waiter === settle) this.#waiter = null;
        resolve(null);
      }, this.config.statusTimeoutMs);
      const settle = (byte: number | null): void => {
        clearTimeout(timer);
        resolve(byte);
      };
      this.#waiter = settle;
    });
    try {
      await this.#transport.write(statusRequest(n));
    } catch {
      this.#settleWaiter(null);
    }
    return reply;
  }

  #onData(chunk: Uint8Array): void {
    for (const byte of chunk) {
      // Only bytes shaped like a DLE EOT reply (0xx1xx10) answer a query; ASB blocks and XON/XOFF
      // from flow control are not (devices.md §4.2).
      if (!isStatusByte(byte)) continue;
      this.#settleWaiter(byte);
    }
  }

  #settleWaiter(value: number | null): void {
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = null;
    w(value);
  }

  #applyState(report: PrinterStatusReport): void {
    if (this.#closed) return;
    if (!this.#transport.isOpen) return this.setState('offline', 'disconnected');
    if (!report.responding) return this.setState('offline', 'no response to status query');
    if (report.coverOpen) return this.setState('offline', 'cover open');
    if (report.paperEnd) return this.setState('offline', 'paper out');
    if (report.error) return this.setState('offline', 'printer error');
    if (report.offline) return this.setState('offline', 'printer offline');
    if (report.paperNearEnd) return this.setState('degraded', 'paper near end');
    this.setState('ready', null);
  }

  #onTransportClosed(err: Error | null): void {
    this.#settleWaiter(null);
    if (this.#closed) return;
    this.setState('offline', 'disconnected', err ?? undefined);
    this.drawer.printerLinkChanged(false);
  }

  #startPolling(): void {
    this.#stopPolling();
    if (this.config.statusPollMs <= 0) return;
    const tick = (): void => {
      this.#pollTimer = setTimeout(() => {
        void this.queryStatus()
          .catch(() => {})
          .finally(() => {
            if (!this.#closed) tick();
          });
      }, this.config.statusPollMs);
      this.#pollTimer.unref();
    };
    tick();
  }

  #stopPolling(): void {
    if (this.#pollTimer) clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
  }

  /** Runs `fn` alone on the link, so DLE EOT replies pair with their requests. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  // ---------------------------------------------------------------------------------------------
  // Printing

  async print(job: Printable): Promise<PrintResult> {
    const record: Job = isRawPrintJob(job)
      ? { id: this.#newId(), label: job.label ?? 'print job', bytes: job.bytes, receipt: null, failedAt: null, code: null, message: '', attempts: 0 }
      : {
          id: this.#newId(),
          label: receiptLabel(job),
          bytes: renderReceiptEscPos(job, {
            columns: this.config.columns,
            codePageTable: this.config.codePageTable,
            cut: this.config.cut,
            patronName: this.config.patronName,
          }),
          receipt: job,
          failedAt: null,
          code: null,
          message: '',
          attempts: 0,
        };
    return this.#exclusive(() => this.#printUnlocked(record));
  }

  pendingReprints(): PendingReprint[] {
    return [...this.#pending.values()].map((j) => ({
      id: j.id,
      label: j.label,
      failedAt: j.failedAt ?? '',
      code: j.code ?? 'disconnected',
      message: j.message,
      attempts: j.attempts,
      receipt: j.receipt,
    }));
  }

  async reprint(id: string): Promise<PrintResult> {
    const job = this.#pending.get(id);
    if (!job) throw new DeviceError('not_found', `no pending reprint ${id}`);
    return this.#exclusive(() => this.#printUnlocked(job));
  }

  discardReprint(id: string): boolean {
    return this.#pending.delete(id);
  }

  async #printUnlocked(job: Job): Promise<PrintResult> {
    job.attempts++;
    if (!this.#transport.isOpen) {
      try {
        await this.#transport.open();
        this.drawer.printerLinkChanged(true);
      } catch (err) {
        this.setState('offline', 'disconnected', err);
        return this.#failed(job, 'disconnected', `cannot open ${this.#transport.description}: ${(err as Error).message}`, false, null);
      }
    }
    let before: PrinterStatusReport | null = null;
    if (this.#transport.bidirectional) {
      before = await this.#queryUnlocked();
      const refused = refusal(before);
      if (refused) return this.#failed(job, refused.code, refused.message, false, before);
    }
    try {
      await this.#transport.write(job.bytes);
    } catch (err) {
      this.setState('offline', 'disconnected', err);
      return this.#failed(job, 'disconnected', `writing to ${this.#transport.description} failed: ${(err as Error).message}`, true, before);
    }
    let after: PrinterStatusReport | null = null;
    if (this.#transport.bidirectional) {
      after = await this.#queryUnlocked();
      const refused = refusal(after);
      if (refused) return this.#failed(job, refused.code, `${refused.message} (after printing started)`, true, after);
    }
    this.#pending.delete(job.id);
    this.emit('receipt.printed', { id: job.id, label: job.label });
    return { ok: true, id: job.id, status: after };
  }

  #failed(job: Job, code: PrintFailureCode, message: string, partial: boolean, status: PrinterStatusReport | null): PrintResult {
    job.failedAt ??= this.clock.now().toISOString();
    job.code = code;
    job.message = message;
    if (!this.#pending.has(job.id)) {
      this.#pending.set(job.id, job);
      // Bounded: the oldest receipts go first (a kiosk left without paper all day).
      while (this.#pending.size > this.config.maxPendingReprints) {
        const oldest = this.#pending.keys().next().value;
        if (oldest === undefined) break;
        this.#pending.delete(oldest);
      }
    }
    this.emit('receipt.failed', { id: job.id, label: job.label, code, message });
    return { ok: false, id: job.id, code, message, partial, status };
  }

  // ---------------------------------------------------------------------------------------------
  // Drawer

  kickDrawer(options?: DrawerKickOptions): Promise<DrawerKickResult> {
    return this.drawer.kick(options);
  }

  /** @internal for the drawer: send bytes in turn with prints and status queries. */
  async sendExclusive(bytes: Uint8Array): Promise<boolean> {
    return this.#exclusive(async () => {
      if (!this.#transport.isOpen) return false;
      try {
        await this.#transport.write(bytes);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** @internal */
  get linkOpen(): boolean {
    return this.#transport.isOpen;
  }
}

function receiptLabel(receipt: Receipt): string {
  const who = receipt.patron ? ` ${receipt.patron.cardNumber}` : '';
  return `receipt${who} ${receipt.printedAt}`;
}

export class EscPosCashDrawer extends Device<DrawerEvents> implements CashDrawer {
  #open: boolean | null = null;
  #watch: NodeJS.Timeout | null = null;

  constructor(
    private readonly printer: EscPosPrinter,
    private readonly settings: EscPosPrinterConfig['drawer'],
    clock?: DriverClock,
  ) {
    super(`${printer.id}.drawer`, 'drawer', `cash drawer on ${printer.model}`, clock);
    if (!settings.enabled) this.setState('offline', 'not configured');
  }

  /** The drawer works when the printer's link is open; opening it opens the printer if needed. */
  async open(): Promise<void> {
    if (!this.settings.enabled) {
      this.setState('offline', 'not configured');
      throw new DeviceError('not_configured', 'no cash drawer is configured on this printer');
    }
    if (!this.printer.linkOpen) await this.printer.open();
    this.printerLinkChanged(this.printer.linkOpen);
  }

  async close(): Promise<void> {
    this.stopWatching();
    this.setState('offline', 'closed');
  }

  /** @internal the printer's link opened or closed. */
  printerLinkChanged(open: boolean, reason = 'printer disconnected'): void {
    if (!this.settings.enabled) return;
    if (open) this.setState('ready', null);
    else {
      this.stopWatching();
      this.setState('offline', reason);
    }
  }

  /** @internal a status query saw the drawer sensor. */
  observe(drawerOpen: boolean | null): void {
    if (!this.settings.enabled || drawerOpen === null) return;
    const was = this.#open;
    this.#open = drawerOpen;
    if (was !== drawerOpen) {
      if (drawerOpen) this.emit('drawer.opened');
      else if (was !== null) this.emit('drawer.closed');
    }
    if (drawerOpen) this.#startWatching();
    else this.stopWatching();
  }

  async kick(options: DrawerKickOptions = {}): Promise<DrawerKickResult> {
    if (!this.settings.enabled) return { ok: false, code: 'not_configured', message: 'no cash drawer is configured on this printer' };
    const pin = options.pin ?? this.settings.pin;
    const onMs = options.onMs ?? this.settings.onMs;
    const offMs = options.offMs ?? this.settings.offMs;
    const bytes = drawerKick({ pin, onMs, offMs });
    const sent = await this.printer.sendExclusive(bytes);
    if (!sent) return { ok: false, code: 'disconnected', message: 'the printer the drawer hangs on is not connected' };
    this.emit('drawer.kicked', { pin, onMs, offMs });
    // The solenoid needs the pulse time before the drawer has moved off its switch.
    await new Promise((r) => setTimeout(r, onMs));
    const report = await this.printer.queryStatus();
    return { ok: true, pin, onMs, offMs, drawerOpen: report.drawerOpen };
  }

  async isOpen(): Promise<boolean | null> {
    return (await this.printer.queryStatus()).drawerOpen;
  }

  #startWatching(): void {
    if (this.#watch || this.settings.pollMs <= 0) return;
    this.#watch = setInterval(() => {
      void this.printer.queryStatus().catch(() => {});
    }, this.settings.pollMs);
    this.#watch.unref();
  }

  /** @internal */
  stopWatching(): void {
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = null;
  }
}

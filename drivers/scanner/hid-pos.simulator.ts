/**
 * A simulated USB HID POS scanner: a fake `HidTransport` that emits input reports 0x02 built with
 * protocols/hid-pos `encodeScanReports` — AIM identifier, Honeywell code id, and long codes split
 * over several reports with the more-flag — one report per event-loop turn, as USB interrupt
 * transfers arrive. Controls: `scan(code, symbology)`, `unplug()`, `replug()`.
 */
import { encodeScanReports, type ScanSymbology } from '../../protocols/hid-pos/index.ts';
import { TypedEmitter } from '../device.ts';
import type { HidTransport, HidTransportEvents, HidTransportFactory } from './hid-transport.ts';
import { AIM_FOR_SYMBOLOGY, honeywellCodeIdFor, scannerPayload } from './symbology-ids.ts';

export interface HidPosScannerSimulatorOptions {
  /** Send AIM identifiers (most scanners do in HID POS mode). Default true. */
  aim?: boolean;
  /** Send the Honeywell code id in byte 61. Default true. */
  vendorCodeId?: boolean;
  /** Data bytes per report (1…56); smaller values split even short codes. Default 56. */
  chunkSize?: number;
}

class FakeHidPosTransport extends TypedEmitter<HidTransportEvents> implements HidTransport {
  closed = false;
  readonly written: Uint8Array[] = [];

  async write(report: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('device closed');
    this.written.push(report.slice());
  }

  async sendFeatureReport(report: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('device closed');
    this.written.push(report.slice());
  }

  async getFeatureReport(reportId: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    out[0] = reportId;
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  deliver(report: Uint8Array): void {
    if (!this.closed) this.emit('data', report);
  }

  fail(err: Error): void {
    if (this.closed) return;
    this.emit('error', err);
    this.closed = true;
  }
}

export class HidPosScannerSimulator {
  readonly #options: Required<HidPosScannerSimulatorOptions>;
  #plugged = true;
  #transport: FakeHidPosTransport | null = null;
  /** Every report emitted, for byte-level assertions. */
  readonly sentReports: Uint8Array[] = [];

  constructor(options: HidPosScannerSimulatorOptions = {}) {
    this.#options = { aim: options.aim ?? true, vendorCodeId: options.vendorCodeId ?? true, chunkSize: options.chunkSize ?? 56 };
  }

  /** Pass as the driver's `transport` dependency. */
  readonly transport: HidTransportFactory = async () => {
    if (!this.#plugged) throw new Error('no HID device matches (unplugged)');
    this.#transport = new FakeHidPosTransport();
    return this.#transport;
  };

  get opened(): boolean {
    return this.#transport !== null && !this.#transport.closed;
  }

  /** Scan a code: its reports arrive one per event-loop turn; resolves after the last one. */
  async scan(code: string, symbology: ScanSymbology = 'code128'): Promise<void> {
    const aim = this.#options.aim ? AIM_FOR_SYMBOLOGY[symbology] : undefined;
    const vendor = this.#options.vendorCodeId ? honeywellCodeIdFor(symbology) : undefined;
    const reports = encodeScanReports(scannerPayload(code, symbology), {
      ...(aim ? { aim } : {}),
      ...(vendor ? { vendorCodeId: vendor } : {}),
      chunkSize: this.#options.chunkSize,
    });
    for (const report of reports) {
      await new Promise((r) => setImmediate(r));
      this.sentReports.push(report);
      this.#transport?.deliver(report);
    }
  }

  /** Emit raw report bytes (a malformed report, another report ID). */
  async sendReport(report: Uint8Array): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.#transport?.deliver(report);
  }

  unplug(): void {
    this.#plugged = false;
    this.#transport?.fail(new Error('could not read from HID device'));
  }

  replug(): void {
    this.#plugged = true;
  }
}

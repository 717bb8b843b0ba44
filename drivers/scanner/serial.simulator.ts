/**
 * A simulated serial barcode scanner on a simulated serial line (binding-mock, see
 * ../printer/simulated-serial.ts): `scan(code, symbology)` sends `[prefix][AIM id]code<suffix>` to the
 * host, split into two chunks so the driver's line assembly is exercised.
 *
 * It also answers the host the way Honeywell scanners in serial mode do (menu commands start with
 * SYN 'M' CR; "trigger on" is SYN 'T' CR): a trigger command makes it scan the code armed with
 * `arm(code)`, which is how a kiosk can read a barcode on demand.
 */
import type { ScanSymbology } from '../../protocols/hid-pos/index.ts';
import { SimulatedSerialLine } from '../printer/simulated-serial.ts';
import { AIM_FOR_SYMBOLOGY, scannerPayload } from './symbology-ids.ts';

export type SimulatedSuffix = 'CR' | 'LF' | 'CRLF' | 'TAB';

export interface SerialScannerSimulatorOptions {
  path?: string;
  suffix?: SimulatedSuffix;
  /** Send AIM identifiers. Default false. */
  aimPrefix?: boolean;
  prefix?: string;
}

const SUFFIX_BYTES: Readonly<Record<SimulatedSuffix, string>> = { CR: '\r', LF: '\n', CRLF: '\r\n', TAB: '\t' };
const TRIGGER = '\x16T\r';

export class SerialScannerSimulator {
  readonly line: SimulatedSerialLine;
  readonly #options: Required<Omit<SerialScannerSimulatorOptions, 'path'>>;
  #armed: { code: string; symbology: ScanSymbology } | null = null;
  #hostText = '';

  constructor(options: SerialScannerSimulatorOptions = {}) {
    this.#options = { suffix: options.suffix ?? 'CR', aimPrefix: options.aimPrefix ?? false, prefix: options.prefix ?? '' };
    this.line = new SimulatedSerialLine(options.path ?? '/dev/sim-scanner', (bytes) => this.#fromHost(bytes));
  }

  /** Pass to the driver as `binding`. */
  get binding(): SimulatedSerialLine['binding'] {
    return this.line.binding;
  }

  get path(): string {
    return this.line.path;
  }

  /** The bytes one scan puts on the wire. */
  frame(code: string, symbology: ScanSymbology = 'code128'): Uint8Array {
    const aim = this.#options.aimPrefix ? (AIM_FOR_SYMBOLOGY[symbology] ?? ']X0') : '';
    return new TextEncoder().encode(this.#options.prefix + aim + scannerPayload(code, symbology) + SUFFIX_BYTES[this.#options.suffix]);
  }

  /** Scan a code; resolves when all bytes are on the line. */
  async scan(code: string, symbology: ScanSymbology = 'code128'): Promise<void> {
    const bytes = this.frame(code, symbology);
    const cut = Math.max(1, bytes.length >> 1);
    this.line.send(bytes.subarray(0, cut));
    await new Promise((r) => setTimeout(r, 2));
    this.line.send(bytes.subarray(cut));
    await new Promise((r) => setImmediate(r));
  }

  /** The next trigger command from the host scans this code. */
  arm(code: string, symbology: ScanSymbology = 'code128'): void {
    this.#armed = { code, symbology };
  }

  #fromHost(bytes: Uint8Array): void {
    this.#hostText = (this.#hostText + Buffer.from(bytes).toString('latin1')).slice(-64);
    while (this.#hostText.includes(TRIGGER)) {
      this.#hostText = this.#hostText.slice(this.#hostText.indexOf(TRIGGER) + TRIGGER.length);
      const armed = this.#armed;
      this.#armed = null;
      if (armed) void this.scan(armed.code, armed.symbology);
    }
  }

  unplug(): void {
    this.line.unplug();
  }

  replug(): void {
    this.line.replug();
  }
}

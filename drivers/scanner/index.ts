/**
 * Barcode scanners (DESIGN.md "Drivers": scanner `scan` events with symbology). Three ways a scanner
 * reaches the host (devices.md §3), one driver each:
 *  - USB HID POS (usage page 0x8C) through node-hid: ./hid-pos.driver.ts;
 *  - serial (USB CDC-ACM or RS-232) with a configured suffix and optional AIM identifier: ./serial.driver.ts;
 *  - keyboard wedge, read from the Linux input event device: ./keyboard-wedge.driver.ts.
 * The data is reported as scanned; normalising library barcodes (Codabar start/stop characters,
 * check digits) is the caller's policy, not the driver's.
 */
import type { AimIdentifier, BarcodeScan, ScanSymbology } from '../../protocols/hid-pos/index.ts';
import type { BaseDeviceEvents, Device } from '../device.ts';

export type ScannerInterface = 'hid-pos' | 'serial' | 'keyboard-wedge';

export interface ScanEvent {
  /** The barcode content (UTF-8 when valid, else ISO 8859-1). */
  data: string;
  /** From the AIM identifier or the vendor code id; 'unknown' when the scanner sends neither. */
  symbology: ScanSymbology;
  /** Id of the scanner that read it. */
  source: string;
  interface: ScannerInterface;
  /** AIM identifier as sent ("]C0"), or null. */
  aim: string | null;
  bytes: Uint8Array;
  /** Data beyond the driver's limit was dropped. */
  truncated?: true;
}

export interface ScannerEvents extends BaseDeviceEvents {
  scan: [ScanEvent];
}

export type BarcodeScanner = Device<ScannerEvents>;

export function scanEvent(scan: BarcodeScan, source: string, iface: ScannerInterface, truncated = false): ScanEvent {
  const event: ScanEvent = {
    data: scan.data,
    symbology: scan.symbology,
    source,
    interface: iface,
    aim: scan.aim?.identifier ?? null,
    bytes: scan.bytes,
  };
  if (truncated) event.truncated = true;
  return event;
}

export type { AimIdentifier, ScanSymbology };

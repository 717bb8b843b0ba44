/**
 * The identifiers a scanner sends for a symbology, for the simulators: the AIM identifier (ISO/IEC
 * 15424, decoded by protocols/hid-pos `parseAimIdentifier`) and the Honeywell Code ID of HID POS
 * report byte 61 (the reverse of `HONEYWELL_CODE_IDS`).
 */
import { HONEYWELL_CODE_IDS, type ScanSymbology } from '../../protocols/hid-pos/index.ts';

export const AIM_FOR_SYMBOLOGY: Readonly<Partial<Record<ScanSymbology, string>>> = {
  code39: ']A0',
  code128: ']C0',
  'gs1-128': ']C1',
  ean13: ']E0',
  // UPC-A is sent as EAN-13 with a leading 0 under ]E0 (see `scannerPayload`).
  upca: ']E0',
  ean8: ']E4',
  codabar: ']F0',
  code93: ']G0',
  code11: ']H0',
  itf: ']I0',
  pdf417: ']L0',
  msi: ']M0',
  qr: ']Q1',
  datamatrix: ']d1',
  'gs1-datamatrix': ']d2',
  aztec: ']z0',
};

export function honeywellCodeIdFor(symbology: ScanSymbology): string | undefined {
  return Object.entries(HONEYWELL_CODE_IDS).find(([, s]) => s === symbology)?.[0];
}

/** What the scanner transmits for a code: UPC-A goes out as 13 digits, as scanners expand it. */
export function scannerPayload(code: string, symbology: ScanSymbology): string {
  return symbology === 'upca' && /^\d{12}$/.test(code) ? `0${code}` : code;
}

/**
 * Security values written to the tag on check-in / check-out (reference devices.md §1.2).
 *
 * Which pair a site uses is configuration, not code: ISO/Danish sites use AFI 0x07/0xC2, the 3M/Koha
 * deployment in Biblio-RFID uses 0xDA/0xD7, and some gates read only the NXP EAS bit. (The POD text in
 * Biblio-RFID's RFID501.pm has the 3M pair the other way round; the code and the 3M spec examples
 * agree with the values here.)
 */

/** ISO 28560-1 (after the 2008 amendment) / Danish model AFI values. */
export const AFI_ISO28560 = { secured: 0x07, unsecured: 0xc2 } as const;

/** 3M deployment with Koha (Biblio-RFID RFID-JSONP-server.pl: secure 0xDA, unsecure 0xD7). */
export const AFI_3M = { secured: 0xda, unsecured: 0xd7 } as const;

/** NXP EAS bit: 1 = alarm at the gate (item in the library), 0 = checked out. */
export const EAS = { secured: true, unsecured: false } as const;

/** DSFID announcing ISO 28560-2 encoding (ISO/IEC 15962 data format 6, no directory; dp2 DefaultDSFID). */
export const DSFID_ISO28560_2 = 0x06;

/** A site's AFI pair. */
export interface AfiPair {
  secured: number;
  unsecured: number;
}

export const AFI_PRESETS: Readonly<Record<'iso28560' | '3m', AfiPair>> = {
  iso28560: AFI_ISO28560,
  '3m': AFI_3M,
};

export type SecurityState = 'secured' | 'unsecured' | 'unknown';

/** Interprets an AFI read from a tag against the site's pair. */
export function securityFromAfi(afi: number, pair: AfiPair): SecurityState {
  if (afi === pair.secured) return 'secured';
  if (afi === pair.unsecured) return 'unsecured';
  return 'unknown';
}

/** The AFI to write for a wanted state. */
export function afiFor(state: 'secured' | 'unsecured', pair: AfiPair): number {
  return state === 'secured' ? pair.secured : pair.unsecured;
}

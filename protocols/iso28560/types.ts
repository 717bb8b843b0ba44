/**
 * Shared shapes of the library-tag codecs. Decoders never throw on tag data: they return
 * `{ ok: false, error }` for data they cannot make sense of, and list what they tolerated as
 * `quirks` (stable codes) and `warnings` (code + human text).
 */

import type { Iso28560_3Data } from './iso28560-3.ts';
import type { Iso28560_2Data } from './iso28560-2.ts';
import type { Rfid501Data } from './rfid501.ts';

/** The data models this package understands (reference devices.md §1). */
export type TagModel = 'iso28560-3' | 'iso28560-2' | '3m-501';

/**
 * ISO 28560-1 "type of usage", main qualifier (the high nibble of the ISO 28560-2 byte, the low
 * nibble of ISO 28560-3 byte 0): 0 acquisition, 1 circulation, 2 not for circulation, 3/4 local,
 * 5 and A–F future use, 6 no information, 7 discarded, 8 patron card, 9 library equipment.
 */
export type TagUsage =
  | 'acquisition'
  | 'circulating'
  | 'not-for-circulation'
  | 'local'
  | 'future-use'
  | 'no-information'
  | 'discarded'
  | 'patron-card'
  | 'library-equipment'
  | 'unknown';

/**
 * Real-world deviations the decoders tolerate (reference §1.3 "Real-world deviations",
 * libdanrfid DDMfindings). A quirk means "the tag is not as the standard says, and we coped".
 */
export type TagQuirk =
  /** Bytes reversed inside each 4-byte block (FEIG ISO-host MSB-first order; FKI writers). */
  | 'reversed-blocks'
  /** ISO 28560-3 byte 0 with version and usage nibbles swapped (Bibliotheca: 0x21 for 0x12). */
  | 'swapped-usage-nibbles'
  /** ISO 28560-3 CRC bytes are 00 00: the writer never filled them in. */
  | 'missing-crc'
  /** ISO 28560-3 CRC present but wrong; decoded anyway because the layout is plausible. */
  | 'bad-crc'
  /** ISO 28560-3 owner library repeats the country code ("DE" + "DE705"). */
  | 'country-repeated-in-isil'
  /** Ordinal part number greater than the number of parts. */
  | 'part-number-exceeds-parts'
  /** Number of parts or part number is 0 (treated as a single-part item). */
  | 'zero-set-values'
  /** ISO 28560-3 extension block with a wrong XOR checksum, or running past the data. */
  | 'bad-extension-block'
  /** ISO 28560-2: the first element is not the primary item identifier (OID 1). */
  | 'pii-not-first'
  /** ISO 28560-2: elements announced in the content parameter are missing (or vice versa). */
  | 'content-parameter-mismatch'
  /** ISO 28560-2: non-zero bytes after the last element, or an element cut off by the end of data. */
  | 'trailing-garbage'
  /** 3M 501: fixed bytes (0x04 at byte 0, 0x00 at byte 2, zero block 7) hold other values. */
  | 'rfid501-unexpected-fixed-bytes'
  /** Primary item id contains bytes outside printable ASCII (they were replaced by U+FFFD). */
  | 'non-printable-item-id';

export interface TagIssue {
  code: string;
  message: string;
}

export interface SetInfo {
  /** Ordinal part number, 1…partsInSet. */
  partNumber: number;
  /** Number of parts in the item (kit size). */
  partsInSet: number;
}

export type TagDetails =
  | { model: 'iso28560-3'; data: Iso28560_3Data }
  | { model: 'iso28560-2'; data: Iso28560_2Data }
  | { model: '3m-501'; data: Rfid501Data };

/** The model-independent view of a library tag that drivers and the daemon work with. */
export interface LibraryItemTag {
  model: TagModel;
  /** Barcode / primary item identifier (for a patron card: the patron identifier). */
  primaryItemId: string;
  /** Owner institution as an ISIL where one can be formed ("DK-718500", "US-InU-Mu"). */
  ownerLibrary?: string;
  /** ISO 3166 alpha-2 country of the owner library, when the model carries one. */
  country?: string;
  /** Set information; absent means "single part" (ISO 28560-1 §4.2.4). */
  setInfo?: SetInfo;
  usage: TagUsage;
  /** Raw type-of-usage value: the nibble (ISO 28560-3) or the byte (ISO 28560-2). */
  usageCode?: number;
  /** The bytes exactly as given to the decoder. */
  raw: Uint8Array;
  /** The bytes in tag memory order after undoing quirks (e.g. block reversal). */
  normalized: Uint8Array;
  /** Model-specific decoded structure. */
  details: TagDetails;
  quirks: TagQuirk[];
  warnings: TagIssue[];
}

export type DecodeResult<T> =
  | { ok: true; value: T; quirks: TagQuirk[]; warnings: TagIssue[] }
  | { ok: false; error: TagIssue; warnings: TagIssue[] };

export type EncodeResult =
  | { ok: true; bytes: Uint8Array; warnings: TagIssue[] }
  | { ok: false; error: TagIssue };

/**
 * 3M "RFID 501" / Alphanumeric tag layout (reference devices.md §1.5; Biblio-RFID RFID501.pm, whose
 * Perl pack format is `C4Z16Nl>l`). Offsets in tag memory order:
 *
 * | Block | Bytes  | Field                                                          |
 * |-------|--------|----------------------------------------------------------------|
 * | 0     | 0      | 0x04 (fixed)                                                   |
 * | 0     | 1      | high nibble: part number ("set") · low nibble: parts in set    |
 * | 0     | 2      | 0x00 (fixed)                                                   |
 * | 0     | 3      | item type (1 book, 2 magazine, 6 CD, 9 book+CD, …)             |
 * | 1–4   | 4–19   | barcode, 16 bytes ASCII, NUL-terminated                        |
 * | 5     | 20–23  | big-endian: branch (high 12 bits) · library (low 20 bits)      |
 * | 6     | 24–27  | custom signed int32, big-endian                                |
 * | 7     | 28–31  | zero block                                                     |
 *
 * A 3M factory blank is blocks 0–5 filled with 0x55 then zeros; a generic blank is all zeros.
 */

import { isPrintableAscii, readAsciiField, writeAsciiField } from './text.ts';
import { padToBlocks } from './blocks.ts';
import type { DecodeResult, EncodeResult, SetInfo, TagIssue, TagQuirk } from './types.ts';

export const RFID501_ITEM_TYPES: Readonly<Record<number, string>> = {
  0: 'Other',
  1: 'Book',
  2: 'Magazine',
  3: 'Bound Journal',
  4: 'Audio Tape',
  5: 'Video',
  6: 'CD/CD ROM',
  7: 'Diskette',
  8: 'Book with Diskette',
  9: 'Book with CD/CD ROM',
  13: 'Book with Audio Tape',
};

/** Bytes the layout occupies (8 blocks; Biblio-RFID reads 8 blocks from 3M stickers). */
export const RFID501_BYTES = 32;

export interface Rfid501Data {
  primaryItemId: string;
  setInfo: SetInfo;
  itemType: number;
  itemTypeLabel?: string;
  branch: number;
  library: number;
  custom: number;
}

export type BlankKind = 'zeroed' | '3m-factory';

/**
 * Recognises unprogrammed tags: all zero, or the 3M factory pattern (blocks 0–5 = 0x55, then zeros).
 * Returns undefined for anything else.
 */
export function detectBlank(bytes: Uint8Array): BlankKind | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes.every((b) => b === 0)) return 'zeroed';
  if (bytes.length >= 24) {
    let factory = true;
    for (let i = 0; i < bytes.length && factory; i++) factory = (bytes[i] ?? 0) === (i < 24 ? 0x55 : 0x00);
    if (factory) return '3m-factory';
  }
  return undefined;
}

const issue = (code: string, message: string): TagIssue => ({ code, message });

/** Decodes a 3M 501 image (memory order). Needs 28 bytes; the zero block 7 is checked when present. */
export function decodeRfid501(bytes: Uint8Array): DecodeResult<Rfid501Data> {
  const quirks: TagQuirk[] = [];
  const warnings: TagIssue[] = [];
  if (bytes.length < 28) {
    return { ok: false, error: issue('too-short', `3M 501 needs at least 28 bytes, got ${bytes.length}`), warnings };
  }
  const unexpected: string[] = [];
  if (bytes[0] !== 0x04) unexpected.push(`byte 0 is 0x${hex2(bytes[0] ?? 0)}, expected 0x04`);
  if (bytes[2] !== 0x00) unexpected.push(`byte 2 is 0x${hex2(bytes[2] ?? 0)}, expected 0x00`);
  if (bytes.length >= 32 && !bytes.subarray(28, 32).every((b) => b === 0)) unexpected.push('block 7 is not zero');
  if (unexpected.length > 0) {
    quirks.push('rfid501-unexpected-fixed-bytes');
    for (const u of unexpected) warnings.push(issue('rfid501-unexpected-fixed-bytes', u));
  }

  const setByte = bytes[1] ?? 0;
  const setInfo: SetInfo = { partNumber: setByte >> 4, partsInSet: setByte & 0x0f };
  if (setInfo.partNumber === 0 || setInfo.partsInSet === 0) quirks.push('zero-set-values');
  else if (setInfo.partNumber > setInfo.partsInSet) quirks.push('part-number-exceeds-parts');

  const barcode = readAsciiField(bytes, 4, 20);
  if (barcode.nonPrintable) quirks.push('non-printable-item-id');
  if (barcode.text === '') warnings.push(issue('empty-item-id', 'barcode is empty'));

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const branchLibrary = view.getUint32(20, false);
  const itemType = bytes[3] ?? 0;
  const data: Rfid501Data = {
    primaryItemId: barcode.text,
    setInfo,
    itemType,
    branch: branchLibrary >>> 20,
    library: branchLibrary & 0x000fffff,
    custom: view.getInt32(24, false),
  };
  const label = RFID501_ITEM_TYPES[itemType];
  if (label !== undefined) data.itemTypeLabel = label;
  return { ok: true, value: data, quirks, warnings };
}

export interface Rfid501Fields {
  primaryItemId: string;
  /** Both 1–15 (4-bit fields). Default 1 of 1. */
  setInfo?: SetInfo;
  itemType?: number;
  /** 0–4095 */
  branch?: number;
  /** 0–1048575 */
  library?: number;
  /** signed 32-bit */
  custom?: number;
  memoryBytes?: number;
}

/** Encodes the 3M 501 layout (32 bytes = 8 blocks, plus zero padding to `memoryBytes`). */
export function encodeRfid501(fields: Rfid501Fields): EncodeResult {
  const fail = (code: string, message: string): EncodeResult => ({ ok: false, error: issue(code, message) });
  const set = fields.setInfo ?? { partNumber: 1, partsInSet: 1 };
  const inRange = (n: number, lo: number, hi: number): boolean => Number.isInteger(n) && n >= lo && n <= hi;
  if (!inRange(set.partNumber, 0, 15) || !inRange(set.partsInSet, 0, 15)) {
    return fail('bad-set-info', 'set information is two 4-bit fields (0–15)');
  }
  const pii = fields.primaryItemId;
  // Z16: 16 bytes including the terminating NUL.
  if (pii.length < 1 || pii.length > 15 || !isPrintableAscii(pii)) {
    return fail('bad-item-id', 'barcode must be 1–15 printable ASCII characters');
  }
  const itemType = fields.itemType ?? 1;
  const branch = fields.branch ?? 0;
  const library = fields.library ?? 0;
  const custom = fields.custom ?? 0;
  if (!inRange(itemType, 0, 255)) return fail('bad-item-type', 'item type is one byte');
  if (!inRange(branch, 0, 0xfff)) return fail('bad-branch', 'branch is 12 bits');
  if (!inRange(library, 0, 0xfffff)) return fail('bad-library', 'library is 20 bits');
  if (!inRange(custom, -0x80000000, 0x7fffffff)) return fail('bad-custom', 'custom is a signed 32-bit integer');

  const out = new Uint8Array(RFID501_BYTES);
  out[0] = 0x04;
  out[1] = (set.partNumber << 4) | set.partsInSet;
  out[2] = 0x00;
  out[3] = itemType;
  writeAsciiField(out, 4, 20, pii);
  const view = new DataView(out.buffer);
  view.setUint32(20, ((branch << 20) | library) >>> 0, false);
  view.setInt32(24, custom, false);
  return { ok: true, bytes: padToBlocks(out, 4, fields.memoryBytes ?? 0), warnings: [] };
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

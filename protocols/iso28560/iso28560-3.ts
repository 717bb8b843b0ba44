/**
 * ISO 28560-3 fixed-length encoding (= Danish data model DS/INF 163), reference devices.md §1.3.
 *
 * Basic block (byte offsets in tag memory order):
 *
 * | Bytes  | Field                                                    |
 * |--------|----------------------------------------------------------|
 * | 0      | high nibble: version (1) · low nibble: type of usage     |
 * | 1      | number of parts in item                                  |
 * | 2      | ordinal part number                                      |
 * | 3–18   | primary item identifier, 16 bytes ASCII, NUL-padded      |
 * | 19–20  | CRC-16/IBM-3740, LSB at byte 19                          |
 * | 21–22  | country of owner library (ISO 3166 alpha-2)              |
 * | 23–33  | owner library (ISIL without country), 11 bytes, NUL-pad  |
 * | 34…    | optional extension blocks, terminated by a 0x00 length   |
 *
 * The CRC covers the 32 bytes 0–18 ++ 21–33; on a 32-byte ("truncated") tag bytes 32–33 count as 0x00
 * (libdanrfid CRC.java, THWildau TagCRC()).
 *
 * Extension block: `[length incl. 4-byte header][id LSB][id MSB][XOR checksum][payload…]`; the XOR
 * of all bytes of a valid block is 0; a length of 1 is a one-byte filler (THWildau
 * ISO28560_3_ExtensionBlock.java; Danish model §3.3).
 */

import { crc16CcittFalse, copyBytes, xor8 } from '../crc/index.ts';
import { padToBlocks } from './blocks.ts';
import { isPrintableAscii, readAsciiField, writeAsciiField } from './text.ts';
import type { DecodeResult, EncodeResult, TagIssue, TagQuirk } from './types.ts';

export const ISO28560_3_LAYOUT = {
  /** Full basic block length. */
  basicBlockBytes: 34,
  /** "Truncated" tags stop after 32 bytes: only 9 bytes of owner library. */
  truncatedBytes: 32,
  usageByte: 0,
  partsInSetByte: 1,
  partNumberByte: 2,
  itemIdStart: 3,
  itemIdEnd: 19,
  crcLsbByte: 19,
  crcMsbByte: 20,
  countryStart: 21,
  countryEnd: 23,
  libraryStart: 23,
  libraryEnd: 34,
  extensionStart: 34,
} as const;

/** Extension block ids (Danish model §3.3 / THWildau). */
export const ISO28560_3_EXTENSION_IDS = {
  library: 1,
  acquisition: 2,
  librarySupplement: 3,
  title: 4,
  ill: 5,
} as const;

/** Media format byte of the library extension block (THWildau ISO28560_3_LibraryExtensionBlock). */
export const ISO28560_3_MEDIA_FORMATS: Readonly<Record<number, string>> = {
  0: 'undefined',
  1: 'book',
  2: 'CD/DVD',
  3: 'magnetic tape',
  4: 'other',
  5: 'other, careful handling required',
  6: 'very small item, special handling required',
};

export interface Iso28560_3LibraryExtension {
  mediaFormat: number;
  alternativeItemId?: string;
  ownerInstitution?: string;
}

export interface Iso28560_3ExtensionBlock {
  id: number;
  /** Byte offset of the block's length byte. */
  offset: number;
  /** Total length including the 4-byte header. */
  length: number;
  checksumValid: boolean;
  /** The id's high byte is 0xFF: a 24-bit id escape this decoder does not interpret further. */
  extendedId: boolean;
  payload: Uint8Array;
  /** Decoded payload of a library extension block (id 1) with a valid checksum. */
  library?: Iso28560_3LibraryExtension;
}

export type CrcStatus = 'valid' | 'missing' | 'mismatch';

export interface Iso28560_3Data {
  version: number;
  /** Type of usage main qualifier (0–15). */
  typeOfUsage: number;
  partsInSet: number;
  partNumber: number;
  primaryItemId: string;
  crc: { stored: number; computed: number; status: CrcStatus };
  country: string;
  /** Owner library without the country (as stored, minus a repeated country prefix). */
  library: string;
  /** Only 32 bytes were available: the owner library field is 9 bytes long. */
  truncated: boolean;
  extensionBlocks: Iso28560_3ExtensionBlock[];
}

/**
 * The ISO 28560-3 CRC of a tag image: CRC-16/IBM-3740 over bytes 0–18 followed by bytes 21–33,
 * missing bytes (short images) counted as 0x00.
 */
export function iso28560_3Crc(bytes: Uint8Array): number {
  const covered = new Uint8Array(32);
  for (let i = 0; i < 19; i++) covered[i] = bytes[i] ?? 0;
  for (let i = 21; i < 34; i++) covered[i - 2] = bytes[i] ?? 0;
  return crc16CcittFalse(covered);
}

/** The CRC as stored on the tag (LSB at byte 19). */
export function iso28560_3StoredCrc(bytes: Uint8Array): number {
  return (bytes[19] ?? 0) | ((bytes[20] ?? 0) << 8);
}

export interface Iso28560_3DecodeOptions {
  /** Refuse (ok: false) when the CRC is missing or wrong instead of reporting a quirk. */
  strictCrc?: boolean;
}

const issue = (code: string, message: string): TagIssue => ({ code, message });

/**
 * Decodes an ISO 28560-3 image (tag memory order; see `reverseBlockBytes` for reversed reads).
 * Tolerates the nibble-swapped usage byte and a missing or wrong CRC (reported as quirks); refuses
 * images shorter than 32 bytes.
 */
export function decodeIso28560_3(
  bytes: Uint8Array,
  options: Iso28560_3DecodeOptions = {},
): DecodeResult<Iso28560_3Data> {
  const quirks: TagQuirk[] = [];
  const warnings: TagIssue[] = [];
  const L = ISO28560_3_LAYOUT;

  if (bytes.length < L.truncatedBytes) {
    return {
      ok: false,
      error: issue('too-short', `ISO 28560-3 needs at least 32 bytes, got ${bytes.length}`),
      warnings,
    };
  }
  const truncated = bytes.length < L.basicBlockBytes;

  // Byte 0: version in the high nibble, usage in the low nibble. Bibliotheca swaps them
  // (0x21 for 0x12 "not for circulation", 0x71 for 0x17 "discarded").
  const b0 = bytes[0] ?? 0;
  const high = b0 >> 4;
  const low = b0 & 0x0f;
  let version = high;
  let typeOfUsage = low;
  let swapped = false;
  if (high !== 1 && low === 1) {
    swapped = true;
    version = low;
    typeOfUsage = high;
    quirks.push('swapped-usage-nibbles');
  } else if (high !== 1) {
    warnings.push(issue('unknown-version', `content parameter version ${high} (only 1 is defined)`));
  }

  // CRC (bytes 19–20, LSB first).
  const stored = iso28560_3StoredCrc(bytes);
  let computed = iso28560_3Crc(bytes);
  let status: CrcStatus;
  if (stored === computed) {
    status = 'valid';
  } else if (swapped && iso28560_3CrcWithByte0(bytes, ((b0 & 0x0f) << 4) | (b0 >> 4)) === stored) {
    // The writer computed the CRC over the standard byte and then stored the swapped one.
    computed = stored;
    status = 'valid';
    warnings.push(issue('crc-over-unswapped-byte', 'CRC matches byte 0 with its nibbles in standard order'));
  } else if (stored === 0) {
    status = 'missing';
  } else {
    status = 'mismatch';
  }
  if (status !== 'valid') {
    if (options.strictCrc) {
      return {
        ok: false,
        error: issue(
          status === 'missing' ? 'missing-crc' : 'bad-crc',
          `CRC ${status}: stored 0x${hex4(stored)}, computed 0x${hex4(computed)}`,
        ),
        warnings,
      };
    }
    quirks.push(status === 'missing' ? 'missing-crc' : 'bad-crc');
    warnings.push(
      issue(
        status === 'missing' ? 'missing-crc' : 'bad-crc',
        `CRC ${status}: stored 0x${hex4(stored)}, computed 0x${hex4(computed)}`,
      ),
    );
  }

  // Set information (bytes 1, 2). Byte 1 is the number of parts (libdanrfid and the Danish spec;
  // THWildau's parser reads them the other way round, which is a bug — reference §1.3).
  const partsInSet = bytes[1] ?? 0;
  const partNumber = bytes[2] ?? 0;
  if (partsInSet === 0 || partNumber === 0) {
    quirks.push('zero-set-values');
    warnings.push(issue('zero-set-values', `set information ${partNumber} of ${partsInSet}`));
  } else if (partNumber > partsInSet) {
    quirks.push('part-number-exceeds-parts');
    warnings.push(issue('part-number-exceeds-parts', `part ${partNumber} of ${partsInSet}`));
  }

  const pii = readAsciiField(bytes, L.itemIdStart, L.itemIdEnd);
  if (pii.nonPrintable) {
    quirks.push('non-printable-item-id');
    warnings.push(issue('non-printable-item-id', 'primary item id has bytes outside printable ASCII'));
  }
  if (pii.dataAfterNul) warnings.push(issue('data-after-nul', 'non-zero bytes after the item id terminator'));
  if (pii.text === '') warnings.push(issue('empty-item-id', 'primary item identifier is empty'));

  const country = readAsciiField(bytes, L.countryStart, L.countryEnd).text;
  let library = readAsciiField(bytes, L.libraryStart, truncated ? L.truncatedBytes : L.libraryEnd).text;
  if (/^[A-Z]{2}$/.test(country) && library.length > 2 && library.startsWith(country)) {
    // "DE" + "DE705": the country was written into the ISIL field as well (libdanrfid findings).
    library = library.slice(2).replace(/^-/, '');
    quirks.push('country-repeated-in-isil');
  }

  const extensionBlocks = truncated ? [] : decodeExtensionBlocks(bytes, L.extensionStart, quirks, warnings);

  return {
    ok: true,
    value: {
      version,
      typeOfUsage,
      partsInSet,
      partNumber,
      primaryItemId: pii.text,
      crc: { stored, computed, status },
      country,
      library,
      truncated,
      extensionBlocks,
    },
    quirks,
    warnings,
  };
}

function iso28560_3CrcWithByte0(bytes: Uint8Array, byte0: number): number {
  const copy = copyBytes(bytes, 0, Math.min(bytes.length, 34));
  copy[0] = byte0;
  return iso28560_3Crc(copy);
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

function decodeExtensionBlocks(
  bytes: Uint8Array,
  start: number,
  quirks: TagQuirk[],
  warnings: TagIssue[],
): Iso28560_3ExtensionBlock[] {
  const blocks: Iso28560_3ExtensionBlock[] = [];
  let p = start;
  while (p < bytes.length) {
    const len = bytes[p] ?? 0;
    if (len === 0) break; // terminator
    if (len === 1) {
      p += 1; // filler
      continue;
    }
    if (len < 4 || p + len > bytes.length) {
      quirks.push('bad-extension-block');
      warnings.push(
        issue('bad-extension-block', `extension block at byte ${p} has length ${len} (data ends at ${bytes.length})`),
      );
      break;
    }
    const checksumValid = xor8(bytes, p, p + len) === 0;
    const idHigh = bytes[p + 2] ?? 0;
    const block: Iso28560_3ExtensionBlock = {
      id: (bytes[p + 1] ?? 0) | (idHigh << 8),
      offset: p,
      length: len,
      checksumValid,
      extendedId: idHigh === 0xff,
      payload: copyBytes(bytes, p + 4, p + len),
    };
    if (!checksumValid) {
      quirks.push('bad-extension-block');
      warnings.push(issue('bad-extension-block', `extension block at byte ${p}: XOR checksum wrong`));
      blocks.push(block);
      // A block with a bad checksum may have a bad length too: nothing after it can be trusted.
      break;
    }
    if (block.id === ISO28560_3_EXTENSION_IDS.library) block.library = decodeLibraryExtension(block.payload);
    blocks.push(block);
    p += len;
  }
  return blocks;
}

function decodeLibraryExtension(payload: Uint8Array): Iso28560_3LibraryExtension {
  // [media format][alternative item id NUL][owner institution (NUL or end)]
  const out: Iso28560_3LibraryExtension = { mediaFormat: payload[0] ?? 0 };
  const fields: string[] = [];
  let current = '';
  let open = false;
  for (let i = 1; i < payload.length; i++) {
    const b = payload[i] ?? 0;
    if (b === 0) {
      fields.push(current);
      current = '';
      open = false;
    } else {
      current += String.fromCharCode(b);
      open = true;
    }
  }
  if (open) fields.push(current);
  if (fields[0]) out.alternativeItemId = fields[0];
  if (fields[1]) out.ownerInstitution = fields[1];
  return out;
}

export type Iso28560_3ExtensionInput =
  | { id: number; payload: Uint8Array }
  | { id: 1; library: Iso28560_3LibraryExtension };

export interface Iso28560_3Fields {
  /** Defaults to 1. */
  version?: number;
  /** Type of usage main qualifier 0–15 (1 = circulating, 8 = patron card …). */
  typeOfUsage: number;
  /** Defaults to 1. */
  partsInSet?: number;
  /** Defaults to 1. */
  partNumber?: number;
  /** 1–16 printable ASCII characters. */
  primaryItemId: string;
  /** ISO 3166 alpha-2; may be empty. */
  country?: string;
  /** Owner library without country, ≤ 11 characters (≤ 9 when truncated). */
  library?: string;
  /** Convenience: an ISIL such as "DK-718500" split into country and library. */
  isil?: string;
  extensionBlocks?: readonly Iso28560_3ExtensionInput[];
  /** Write the 32-byte layout (no extension blocks possible). */
  truncated?: boolean;
  /** Pad the result with zeros to at least this many bytes (e.g. the tag's user memory size). */
  memoryBytes?: number;
}

/** Encodes an ISO 28560-3 image in tag memory order, padded to whole 4-byte blocks. */
export function encodeIso28560_3(fields: Iso28560_3Fields): EncodeResult {
  const fail = (code: string, message: string): EncodeResult => ({ ok: false, error: issue(code, message) });
  const L = ISO28560_3_LAYOUT;
  const warnings: TagIssue[] = [];

  const version = fields.version ?? 1;
  const parts = fields.partsInSet ?? 1;
  const part = fields.partNumber ?? 1;
  if (!isNibble(version)) return fail('bad-version', `version ${version} is not 0–15`);
  if (!isNibble(fields.typeOfUsage)) return fail('bad-usage', `type of usage ${fields.typeOfUsage} is not 0–15`);
  if (!isByte(parts) || !isByte(part) || parts === 0 || part === 0 || part > parts) {
    return fail('bad-set-info', `set information part ${part} of ${parts} is not valid`);
  }
  const pii = fields.primaryItemId;
  if (pii.length < 1 || pii.length > 16 || !isPrintableAscii(pii)) {
    return fail('bad-item-id', 'primary item id must be 1–16 printable ASCII characters');
  }

  let country = fields.country ?? '';
  let library = fields.library ?? '';
  if (fields.isil !== undefined) {
    const m = /^([A-Za-z]{2})-?(.*)$/.exec(fields.isil);
    if (!m) return fail('bad-isil', `cannot split ISIL ${JSON.stringify(fields.isil)} into country and library`);
    country = (m[1] ?? '').toUpperCase();
    library = m[2] ?? '';
  }
  if (country !== '' && !/^[A-Z]{2}$/.test(country)) return fail('bad-country', 'country must be 2 letters A–Z');
  const libraryMax = fields.truncated ? L.truncatedBytes - L.libraryStart : L.libraryEnd - L.libraryStart;
  if (library.length > libraryMax || !isPrintableAscii(library)) {
    return fail('bad-library', `the owner library after its country code${country ? ` (${country}-)` : ''} must be at most ${libraryMax} printable ASCII characters, got ${library.length}`);
  }

  const extensions: Uint8Array[] = [];
  for (const ext of fields.extensionBlocks ?? []) {
    const block = encodeExtensionBlock(ext);
    if (!block) return fail('bad-extension-block', `extension block ${ext.id} does not fit 255 bytes`);
    extensions.push(block);
  }
  if (fields.truncated && extensions.length > 0) {
    return fail('bad-extension-block', 'a truncated (32-byte) layout has no room for extension blocks');
  }

  const basicLength = fields.truncated ? L.truncatedBytes : L.basicBlockBytes;
  let total = basicLength;
  for (const e of extensions) total += e.length;
  if (extensions.length > 0) total += 1; // 0x00 terminator
  const out = new Uint8Array(total);
  out[0] = ((version & 0x0f) << 4) | (fields.typeOfUsage & 0x0f);
  out[1] = parts;
  out[2] = part;
  writeAsciiField(out, L.itemIdStart, L.itemIdEnd, pii);
  writeAsciiField(out, L.countryStart, L.countryEnd, country);
  writeAsciiField(out, L.libraryStart, basicLength, library);
  let p = basicLength;
  for (const e of extensions) {
    out.set(e, p);
    p += e.length;
  }
  const crc = iso28560_3Crc(out);
  out[L.crcLsbByte] = crc & 0xff;
  out[L.crcMsbByte] = crc >> 8;

  return { ok: true, bytes: padToBlocks(out, 4, fields.memoryBytes ?? 0), warnings };
}

function encodeExtensionBlock(ext: Iso28560_3ExtensionInput): Uint8Array | undefined {
  let payload: Uint8Array;
  if ('library' in ext) {
    const { mediaFormat, alternativeItemId, ownerInstitution } = ext.library;
    const parts: number[] = [mediaFormat & 0xff];
    if (alternativeItemId !== undefined || ownerInstitution !== undefined) {
      for (const c of alternativeItemId ?? '') parts.push(c.charCodeAt(0) & 0xff);
      parts.push(0);
    }
    for (const c of ownerInstitution ?? '') parts.push(c.charCodeAt(0) & 0xff);
    payload = Uint8Array.from(parts);
  } else {
    payload = ext.payload;
  }
  const len = 4 + payload.length;
  if (len > 255 || !Number.isInteger(ext.id) || ext.id < 0 || ext.id > 0xffff) return undefined;
  const block = new Uint8Array(len);
  block[0] = len;
  block[1] = ext.id & 0xff;
  block[2] = ext.id >> 8;
  block.set(payload, 4);
  block[3] = xor8(block); // checksum byte is 0 while summing, so this makes the total XOR 0
  return block;
}

const isNibble = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 15;
const isByte = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 255;

/**
 * ISO 28560-2 object encoding (ISO/IEC 15962 rules, DSFID 0x06), reference devices.md §1.4.
 *
 * Each data element is `precursor [relative-OID] [padding-length] length data [padding…]`:
 *   precursor bit 7    offset flag: a padding-length byte follows (used to align elements to blocks)
 *   precursor bits 6–4 compaction scheme (see compaction.ts)
 *   precursor bits 3–0 OID 1…14; 15 means a relative-OID byte follows holding (OID − 15)
 * A precursor of 0x00 ends the data. OID 1 (primary item identifier) comes first and is often
 * locked; locked elements are padded so that they occupy whole 4-byte blocks.
 *
 * Set information (OID 4) is "number of parts in item" followed by "ordinal part number", both
 * halves with the same number of digits (ISO 28560-1 §4.2.4): "1203" = part 3 of 12.
 */

import { copyBytes } from '../crc/index.ts';
import {
  COMPACTION,
  compactBest,
  compactIsil,
  compactWith,
  expand,
  expandIsil,
  type CompactionScheme,
} from './compaction.ts';
import { padToBlocks } from './blocks.ts';
import type { DecodeResult, SetInfo, TagIssue, TagQuirk } from './types.ts';

/** ISO 28560-1 data element OIDs. */
export const ISO28560_OID = {
  primaryItemId: 1,
  contentParameter: 2,
  ownerInstitution: 3,
  setInformation: 4,
  typeOfUsage: 5,
  shelfLocation: 6,
  onixMediaFormat: 7,
  marcMediaFormat: 8,
  supplierIdentifier: 9,
  orderNumber: 10,
  illBorrowingInstitution: 11,
  illBorrowingTransactionNumber: 12,
  gs1ProductIdentifier: 13,
  alternativeUniqueItemIdentifier: 14,
  localDataA: 15,
  localDataB: 16,
  title: 17,
  productIdentifierLocal: 18,
  mediaFormatOther: 19,
  supplyChainStage: 20,
  supplierInvoiceNumber: 21,
  alternativeItemIdentifier: 22,
  alternativeOwnerInstitution: 23,
  subsidiaryOfOwnerInstitution: 24,
  alternativeIllBorrowingInstitution: 25,
  localDataC: 26,
} as const;

/** OIDs whose application-defined compaction (scheme 0) is the ISIL compaction. */
const ISIL_OIDS = new Set<number>([ISO28560_OID.ownerInstitution, ISO28560_OID.illBorrowingInstitution]);

export interface Iso28560_2Element {
  oid: number;
  compaction: CompactionScheme;
  /** Byte offset of the precursor. */
  offset: number;
  /** Bytes occupied: precursor, optional relative-OID and padding-length bytes, length, data, padding. */
  size: number;
  /** Number of padding bytes after the data (0 when the offset flag is clear). */
  paddingLength: number;
  offsetFlag: boolean;
  data: Uint8Array;
  /** The element as text (hex for binary application-defined data). */
  text: string;
}

export interface Iso28560_2Data {
  elements: Iso28560_2Element[];
  primaryItemId?: string;
  /** OIDs the content parameter (OID 2) announces as present. */
  contentParameter?: number[];
  ownerInstitution?: string;
  setInfo?: SetInfo;
  /** Type of usage byte: main qualifier in the high nibble, sub-qualifier in the low nibble. */
  typeOfUsage?: number;
  shelfLocation?: string;
  title?: string;
  /** Offset just past the last element. */
  usedBytes: number;
}

const issue = (code: string, message: string): TagIssue => ({ code, message });

/**
 * Decodes ISO 28560-2 elements from tag memory (memory order). Stops at a 0x00 precursor or at the
 * end of data. Returns `ok: false` only when not a single element can be read.
 */
export function decodeIso28560_2(bytes: Uint8Array): DecodeResult<Iso28560_2Data> {
  const quirks: TagQuirk[] = [];
  const warnings: TagIssue[] = [];
  const elements: Iso28560_2Element[] = [];
  let p = 0;
  let stoppedEarly = false;
  let invalidAt: number | undefined;

  while (p < bytes.length) {
    const pre = bytes[p] ?? 0;
    if (pre === 0) break;
    const offsetFlag = (pre & 0x80) !== 0;
    const compaction = ((pre >> 4) & 0x07) as CompactionScheme;
    let oid = pre & 0x0f;
    if (oid === 0) {
      // OIDs start at 1: a non-zero precursor with OID 0 is not ISO 28560-2 data.
      invalidAt = p;
      break;
    }
    let q = p + 1;
    if (oid === 15) {
      if (q >= bytes.length) {
        stoppedEarly = true;
        break;
      }
      oid = 15 + (bytes[q] ?? 0);
      q += 1;
    }
    let paddingLength = 0;
    if (offsetFlag) {
      if (q >= bytes.length) {
        stoppedEarly = true;
        break;
      }
      paddingLength = bytes[q] ?? 0;
      q += 1;
    }
    if (q >= bytes.length) {
      stoppedEarly = true;
      break;
    }
    const length = bytes[q] ?? 0;
    q += 1;
    if (q + length > bytes.length) {
      stoppedEarly = true;
      break;
    }
    const data = copyBytes(bytes, q, q + length);
    let end = q + length + paddingLength;
    if (end > bytes.length) {
      warnings.push(issue('padding-past-end', `element OID ${oid} at byte ${p}: padding runs past the data`));
      end = bytes.length;
    }
    const text = ISIL_OIDS.has(oid) && compaction === COMPACTION.applicationDefined ? expandIsil(data) : expand(compaction, data);
    elements.push({ oid, compaction, offset: p, size: end - p, paddingLength, offsetFlag, data, text });
    p = end;
  }

  if (stoppedEarly) {
    quirks.push('trailing-garbage');
    warnings.push(issue('truncated-element', `element at byte ${p} runs past the end of the data`));
  } else if (invalidAt !== undefined) {
    quirks.push('trailing-garbage');
    warnings.push(issue('invalid-precursor', `precursor 0x${(bytes[invalidAt] ?? 0).toString(16)} at byte ${invalidAt} has OID 0`));
  } else {
    for (let i = p; i < bytes.length; i++) {
      if ((bytes[i] ?? 0) !== 0) {
        quirks.push('trailing-garbage');
        warnings.push(issue('trailing-garbage', `non-zero bytes after the last element (from byte ${i})`));
        break;
      }
    }
  }

  if (elements.length === 0) {
    return { ok: false, error: issue('no-elements', 'no ISO 28560-2 data element found'), warnings };
  }

  const data: Iso28560_2Data = { elements, usedBytes: p };
  for (const el of elements) {
    switch (el.oid) {
      case ISO28560_OID.primaryItemId:
        data.primaryItemId ??= el.text;
        break;
      case ISO28560_OID.contentParameter:
        data.contentParameter ??= decodeContentParameter(el.data);
        break;
      case ISO28560_OID.ownerInstitution:
        data.ownerInstitution ??= el.text;
        break;
      case ISO28560_OID.setInformation: {
        const set = decodeSetInformation(el.text);
        if (set) data.setInfo ??= set;
        else warnings.push(issue('bad-set-information', `set information ${JSON.stringify(el.text)} is not numeric`));
        break;
      }
      case ISO28560_OID.typeOfUsage: {
        const usage = decodeTypeOfUsage(el);
        if (usage !== undefined) data.typeOfUsage ??= usage;
        else warnings.push(issue('bad-type-of-usage', `type of usage ${JSON.stringify(el.text)} not understood`));
        break;
      }
      case ISO28560_OID.shelfLocation:
        data.shelfLocation ??= el.text;
        break;
      case ISO28560_OID.title:
        data.title ??= el.text;
        break;
    }
  }

  if (elements[0]?.oid !== ISO28560_OID.primaryItemId) {
    quirks.push('pii-not-first');
    warnings.push(issue('pii-not-first', `first element is OID ${elements[0]?.oid}, not the primary item id`));
  }
  if (data.contentParameter) {
    const announced = new Set(data.contentParameter);
    const present = new Set(elements.map((e) => e.oid).filter((o) => o >= 3));
    const same = announced.size === present.size && [...announced].every((o) => present.has(o));
    if (!same) {
      quirks.push('content-parameter-mismatch');
      warnings.push(
        issue(
          'content-parameter-mismatch',
          `content parameter announces OIDs [${[...announced].join(',')}], found [${[...present].join(',')}]`,
        ),
      );
    }
  }
  if (data.setInfo) {
    const { partNumber, partsInSet } = data.setInfo;
    if (partNumber === 0 || partsInSet === 0) quirks.push('zero-set-values');
    else if (partNumber > partsInSet) quirks.push('part-number-exceeds-parts');
  }

  return { ok: true, value: data, quirks, warnings };
}

/** Content parameter bitmap: bit 7 of the first byte is OID 3, then OID 4 … (ISO 28560-2). */
export function decodeContentParameter(bitmap: Uint8Array): number[] {
  const oids: number[] = [];
  bitmap.forEach((byte, i) => {
    for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) oids.push(3 + i * 8 + bit);
  });
  return oids;
}

export function encodeContentParameter(oids: Iterable<number>): Uint8Array {
  const list = [...oids].filter((o) => o >= 3);
  const max = Math.max(3, ...list);
  const out = new Uint8Array(Math.ceil((max - 2) / 8));
  for (const oid of list) {
    const k = oid - 3;
    out[k >> 3] = (out[k >> 3] ?? 0) | (0x80 >> (k & 7));
  }
  return out;
}

/** "1203" → 12 parts, part 3. Odd digit counts (integer compaction drops a leading 0) get a 0 prefix. */
export function decodeSetInformation(text: string): SetInfo | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const digits = text.length % 2 === 1 ? `0${text}` : text;
  const half = digits.length / 2;
  return { partsInSet: Number(digits.slice(0, half)), partNumber: Number(digits.slice(half)) };
}

export function encodeSetInformation(set: SetInfo): string {
  const width = Math.max(String(set.partsInSet).length, String(set.partNumber).length);
  return String(set.partsInSet).padStart(width, '0') + String(set.partNumber).padStart(width, '0');
}

function decodeTypeOfUsage(el: Iso28560_2Element): number | undefined {
  if (el.data.length === 0) return undefined;
  if (el.compaction === COMPACTION.applicationDefined || el.compaction === COMPACTION.octet) return el.data[0];
  if (el.compaction === COMPACTION.integer) {
    const n = Number(el.text);
    return n <= 0xff ? n : undefined;
  }
  // Written as text ("10", "8"): read as hex digits, main qualifier first.
  if (/^[0-9A-Fa-f]{1,2}$/.test(el.text)) return parseInt(el.text.length === 1 ? `${el.text}0` : el.text, 16);
  return undefined;
}

// ------------------------------------------------------------------------------------------ encoding

export interface Iso28560_2OtherElement {
  oid: number;
  value: string | Uint8Array;
  /** Defaults to the shortest scheme for strings, application-defined (0) for bytes. */
  compaction?: CompactionScheme;
}

export interface Iso28560_2Fields {
  primaryItemId: string;
  /** ISIL, e.g. "SI-51000" (ISIL compaction when all characters allow it). */
  ownerInstitution?: string;
  setInfo?: SetInfo;
  /** Type of usage byte: main qualifier << 4 | sub-qualifier (0x10 = circulating, 0x80 = patron card). */
  typeOfUsage?: number;
  shelfLocation?: string;
  title?: string;
  others?: readonly Iso28560_2OtherElement[];
}

export interface Iso28560_2EncodeOptions {
  /** Write OID 2 listing the OIDs ≥ 3 present. Default: true when there are any. */
  contentParameter?: boolean;
  /**
   * OIDs to be locked after writing. They are padded (offset flag) to occupy whole blocks; OID 1 stays
   * first, other locked elements go after all unlocked ones. `lockedBlocks` in the result lists the
   * blocks to lock.
   */
  lockedOids?: readonly number[];
  blockSize?: number;
  /** Pad the output with zeros to at least this many bytes (clears old data on rewrite). */
  memoryBytes?: number;
}

export type Iso28560_2EncodeResult =
  | { ok: true; bytes: Uint8Array; lockedBlocks: number[]; warnings: TagIssue[] }
  | { ok: false; error: TagIssue };

interface PendingElement {
  oid: number;
  scheme: CompactionScheme;
  data: Uint8Array;
  locked: boolean;
  padding?: number;
}

function elementSize(el: PendingElement): number {
  return 1 + (el.oid >= 15 ? 1 : 0) + (el.padding !== undefined ? 1 + el.padding : 0) + 1 + el.data.length;
}

function writeElement(out: number[], el: PendingElement): void {
  const offsetFlag = el.padding !== undefined ? 0x80 : 0;
  out.push(offsetFlag | (el.scheme << 4) | (el.oid >= 15 ? 15 : el.oid));
  if (el.oid >= 15) out.push(el.oid - 15);
  if (el.padding !== undefined) out.push(el.padding);
  out.push(el.data.length);
  for (const b of el.data) out.push(b);
  for (let i = 0; i < (el.padding ?? 0); i++) out.push(0);
}

/** Grows an element by `gap` bytes using the offset flag and padding bytes. */
function addPadding(el: PendingElement, gap: number): void {
  if (gap <= 0) return;
  if (el.padding === undefined) el.padding = gap - 1; // the padding-length byte itself takes one
  else el.padding += gap;
}

/** Encodes ISO 28560-2 elements (memory order), ready to write after setting DSFID 0x06. */
export function encodeIso28560_2(
  fields: Iso28560_2Fields,
  options: Iso28560_2EncodeOptions = {},
): Iso28560_2EncodeResult {
  const fail = (code: string, message: string): Iso28560_2EncodeResult => ({
    ok: false,
    error: issue(code, message),
  });
  const blockSize = options.blockSize ?? 4;
  const locked = new Set(options.lockedOids ?? []);
  const items: PendingElement[] = [];
  const add = (oid: number, scheme: CompactionScheme, data: Uint8Array): void => {
    items.push({ oid, scheme, data, locked: locked.has(oid) });
  };

  if (fields.primaryItemId.length === 0) return fail('bad-item-id', 'primary item id is empty');
  const pii = compactBest(fields.primaryItemId);
  add(ISO28560_OID.primaryItemId, pii.scheme, pii.bytes);

  if (fields.ownerInstitution !== undefined) {
    const isil = compactIsil(fields.ownerInstitution);
    if (isil) add(ISO28560_OID.ownerInstitution, COMPACTION.applicationDefined, isil);
    else {
      const c = compactBest(fields.ownerInstitution);
      add(ISO28560_OID.ownerInstitution, c.scheme, c.bytes);
    }
  }
  if (fields.setInfo !== undefined) {
    const { partsInSet, partNumber } = fields.setInfo;
    if (!Number.isInteger(partsInSet) || !Number.isInteger(partNumber) || partNumber < 1 || partsInSet < partNumber) {
      return fail('bad-set-info', `set information part ${partNumber} of ${partsInSet} is not valid`);
    }
    const c = compactBest(encodeSetInformation(fields.setInfo));
    add(ISO28560_OID.setInformation, c.scheme, c.bytes);
  }
  if (fields.typeOfUsage !== undefined) {
    if (!Number.isInteger(fields.typeOfUsage) || fields.typeOfUsage < 0 || fields.typeOfUsage > 0xff) {
      return fail('bad-usage', `type of usage ${fields.typeOfUsage} is not a byte`);
    }
    add(ISO28560_OID.typeOfUsage, COMPACTION.applicationDefined, Uint8Array.of(fields.typeOfUsage));
  }
  if (fields.shelfLocation !== undefined) {
    const c = compactBest(fields.shelfLocation);
    add(ISO28560_OID.shelfLocation, c.scheme, c.bytes);
  }
  if (fields.title !== undefined) {
    const c = compactBest(fields.title);
    add(ISO28560_OID.title, c.scheme, c.bytes);
  }
  for (const other of fields.others ?? []) {
    if (!Number.isInteger(other.oid) || other.oid < 3 || other.oid > 15 + 255) {
      return fail('bad-oid', `OID ${other.oid} cannot be written as an extra element`);
    }
    if (typeof other.value === 'string') {
      if (other.compaction !== undefined) {
        const data =
          other.compaction === COMPACTION.applicationDefined && ISIL_OIDS.has(other.oid)
            ? compactIsil(other.value)
            : compactWith(other.compaction, other.value);
        if (!data) return fail('bad-compaction', `OID ${other.oid}: value cannot use scheme ${other.compaction}`);
        add(other.oid, other.compaction, data);
      } else {
        const c = compactBest(other.value);
        add(other.oid, c.scheme, c.bytes);
      }
    } else {
      add(other.oid, other.compaction ?? COMPACTION.applicationDefined, other.value);
    }
  }

  const seen = new Set<number>();
  for (const el of items) {
    if (seen.has(el.oid)) return fail('duplicate-oid', `OID ${el.oid} given twice`);
    seen.add(el.oid);
    if (el.data.length > 255) return fail('element-too-long', `OID ${el.oid} is longer than 255 bytes`);
  }

  const wantContentParameter = options.contentParameter ?? items.some((e) => e.oid >= 3);
  if (wantContentParameter) {
    items.push({
      oid: ISO28560_OID.contentParameter,
      scheme: COMPACTION.applicationDefined,
      data: encodeContentParameter(items.map((e) => e.oid)),
      locked: locked.has(ISO28560_OID.contentParameter),
    });
  }

  // Order: PII, content parameter, unlocked elements by OID, locked elements by OID.
  const rank = (e: PendingElement): number =>
    e.oid === 1 ? 0 : e.oid === 2 ? 1 : e.locked ? 3 : 2;
  items.sort((a, b) => rank(a) - rank(b) || a.oid - b.oid);

  // Place elements; locked ones start and end on block boundaries.
  let pos = 0;
  const placed: PendingElement[] = [];
  for (const el of items) {
    const prev = placed[placed.length - 1];
    if (el.locked && pos % blockSize !== 0 && prev) {
      const gap = blockSize - (pos % blockSize);
      addPadding(prev, gap);
      pos += gap;
    }
    pos += elementSize(el);
    if (el.locked && pos % blockSize !== 0) {
      const gap = blockSize - (pos % blockSize);
      addPadding(el, gap);
      pos += gap;
    }
    placed.push(el);
  }

  const out: number[] = [];
  const lockedBlocks: number[] = [];
  for (const el of placed) {
    const start = out.length;
    writeElement(out, el);
    if (el.locked) {
      for (let b = Math.floor(start / blockSize); b <= Math.floor((out.length - 1) / blockSize); b++) {
        lockedBlocks.push(b);
      }
    }
  }
  return {
    ok: true,
    bytes: padToBlocks(Uint8Array.from(out), blockSize, options.memoryBytes ?? 0),
    lockedBlocks,
    warnings: [],
  };
}

/**
 * Picks the data model of a library tag and decodes it into the common `LibraryItemTag`.
 *
 * Every model is tried on the bytes as given and with each 4-byte block reversed (FEIG ISO-host
 * order, FKI writers; reference devices.md §1.3 "Real-world deviations"), and each interpretation
 * gets a score:
 *
 *   ISO 28560-3 with a valid CRC ................................. 100
 *   ISO 28560-2 well-formed, DSFID 0x06 .......................... 90  (50 without the DSFID hint,
 *                                                                      +10 with a matching OID 2)
 *   3M 501 with its fixed bytes (04 ?? 00 ?? … zero block 7) ....... up to 80
 *   ISO 28560-3 plausible layout, CRC bytes 00 00 ................... 55
 *   ISO 28560-3 plausible layout, CRC wrong ........................ 45
 *
 * minus penalties for tolerated quirks. Memory order is tried first and wins ties (the sort is
 * stable). The best interpretation scoring at least 40 is returned, with the quirks it needed.
 * This mirrors libdanrfid's approach (validate the CRC, then retry with the blocks reversed) and
 * its "findings" scorer. Nothing here throws on tag data.
 */

import { concatBytes, copyBytes } from '../crc/index.ts';
import { reverseBlockBytes, DEFAULT_BLOCK_SIZE } from './blocks.ts';
import { decodeIso28560_3, type Iso28560_3Data } from './iso28560-3.ts';
import { decodeIso28560_2, type Iso28560_2Data } from './iso28560-2.ts';
import { decodeRfid501, detectBlank, type BlankKind, type Rfid501Data } from './rfid501.ts';
import { DSFID_ISO28560_2 } from './security.ts';
import { usageFromMainQualifier } from './usage.ts';
import type { LibraryItemTag, SetInfo, TagIssue, TagModel, TagQuirk } from './types.ts';

export interface DetectOptions {
  /** The tag's DSFID if the reader reported it (0x06 hints ISO 28560-2). */
  dsfid?: number;
  /** Refuse ISO 28560-3 interpretations without a valid CRC. */
  strictCrc?: boolean;
  /** Block size for the reversed-blocks retry. Default 4. */
  blockSize?: number;
  /** Only consider these models (default: all). */
  models?: readonly TagModel[];
}

export type DetectError = TagIssue & {
  code: 'empty' | 'blank' | 'unrecognised' | 'internal';
  /** For `blank`: which kind of unprogrammed tag. */
  blank?: BlankKind;
};

export type DetectResult =
  | { ok: true; tag: LibraryItemTag; score: number }
  | { ok: false; error: DetectError; warnings: TagIssue[] };

/** Interpretations scoring below this are not believed. */
export const DETECT_MIN_SCORE = 40;

interface Candidate {
  score: number;
  tag: LibraryItemTag;
}

/** Detects the model of `input` (one memory image, or the blocks as read) and decodes it. */
export function detectAndDecode(input: Uint8Array | readonly Uint8Array[], options: DetectOptions = {}): DetectResult {
  try {
    return detect(input, options);
  } catch (err) {
    // Defensive: a decoder bug must not take the pad down with it.
    return {
      ok: false,
      error: { code: 'internal', message: `decoder failure: ${err instanceof Error ? err.message : String(err)}` },
      warnings: [],
    };
  }
}

function detect(input: Uint8Array | readonly Uint8Array[], options: DetectOptions): DetectResult {
  const raw = input instanceof Uint8Array ? copyBytes(input) : concatBytes(...input);
  if (raw.length === 0) {
    return { ok: false, error: { code: 'empty', message: 'no tag data' }, warnings: [] };
  }
  const blank = detectBlank(raw);
  if (blank) {
    return {
      ok: false,
      error: { code: 'blank', blank, message: blank === 'zeroed' ? 'tag memory is all zero' : '3M factory blank' },
      warnings: [],
    };
  }

  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const models = new Set<TagModel>(options.models ?? ['iso28560-3', 'iso28560-2', '3m-501']);
  const candidates: Candidate[] = [];

  for (const reversed of [false, true]) {
    const bytes = reversed ? reverseBlockBytes(raw, blockSize) : raw;
    const extraQuirks: TagQuirk[] = reversed ? ['reversed-blocks'] : [];
    if (models.has('iso28560-3')) {
      const c = tryIso28560_3(raw, bytes, extraQuirks, options);
      if (c) candidates.push(c);
    }
    if (models.has('iso28560-2')) {
      const c = tryIso28560_2(raw, bytes, extraQuirks, options);
      if (c) candidates.push(c);
    }
    if (models.has('3m-501')) {
      const c = tryRfid501(raw, bytes, extraQuirks);
      if (c) candidates.push(c);
    }
  }

  candidates.sort((a, b) => b.score - a.score);
  const best = candidates[0];
  if (!best || best.score < DETECT_MIN_SCORE) {
    return {
      ok: false,
      error: {
        code: 'unrecognised',
        message: best
          ? `no data model fits (best guess ${best.tag.model} scored ${best.score})`
          : 'no data model fits',
      },
      warnings: [],
    };
  }
  const second = candidates.find((c) => c.tag.model !== best.tag.model || c.tag.quirks.join() !== best.tag.quirks.join());
  if (second && second.score >= DETECT_MIN_SCORE && best.score - second.score < 10) {
    best.tag.warnings.push({
      code: 'ambiguous-model',
      message: `${best.tag.model} (${best.score}) narrowly beat ${second.tag.model} (${second.score})`,
    });
  }
  return { ok: true, tag: best.tag, score: best.score };
}

function clampSet(partNumber: number, partsInSet: number): SetInfo {
  // A zero means "not filled in"; ISO 28560-1 §4.2.4 makes single-part the default.
  return { partNumber: Math.max(1, partNumber), partsInSet: Math.max(1, partsInSet) };
}

function isPlausibleText(text: string): boolean {
  return text.length > 0 && /^[\x20-\x7e]+$/.test(text);
}

function tryIso28560_3(
  raw: Uint8Array,
  bytes: Uint8Array,
  extraQuirks: TagQuirk[],
  options: DetectOptions,
): Candidate | undefined {
  const strict = options.strictCrc === true;
  const r = decodeIso28560_3(bytes, { strictCrc: strict });
  if (!r.ok) return undefined;
  const d: Iso28560_3Data = r.value;
  let score: number;
  if (d.crc.status === 'valid') {
    score = 100;
  } else {
    // Without a CRC, only believe a layout that looks right field by field.
    const plausible =
      d.version === 1 &&
      isPlausibleText(d.primaryItemId) &&
      !r.warnings.some((w) => w.code === 'data-after-nul') &&
      /^([A-Z]{2})?$/.test(d.country) &&
      /^[\x20-\x7e]*$/.test(d.library) &&
      d.partsInSet >= 1 &&
      d.partsInSet <= 99;
    if (!plausible) return undefined;
    score = d.crc.status === 'missing' ? 55 : 45;
  }
  score -= 3 * r.quirks.filter((q) => q !== 'missing-crc' && q !== 'bad-crc').length;

  const tag: LibraryItemTag = {
    model: 'iso28560-3',
    primaryItemId: d.primaryItemId,
    setInfo: clampSet(d.partNumber, d.partsInSet),
    usage: d.version === 1 ? usageFromMainQualifier(d.typeOfUsage) : 'unknown',
    usageCode: d.typeOfUsage,
    raw,
    normalized: bytes,
    details: { model: 'iso28560-3', data: d },
    quirks: [...extraQuirks, ...r.quirks],
    warnings: [...r.warnings],
  };
  if (d.country) tag.country = d.country;
  if (d.library || d.country) tag.ownerLibrary = d.country && d.library ? `${d.country}-${d.library}` : d.country + d.library;
  return { score, tag };
}

function tryIso28560_2(
  raw: Uint8Array,
  bytes: Uint8Array,
  extraQuirks: TagQuirk[],
  options: DetectOptions,
): Candidate | undefined {
  const r = decodeIso28560_2(bytes);
  if (!r.ok) return undefined;
  const d: Iso28560_2Data = r.value;
  const pii = d.elements.find((e) => e.oid === 1);
  if (!pii || !isPlausibleText(d.primaryItemId ?? '') || pii.compaction === 0) return undefined;

  // Without the DSFID, any non-zero byte parses as a precursor: ask for more evidence.
  let score = options.dsfid === DSFID_ISO28560_2 ? 90 : 50;
  if (d.contentParameter && !r.quirks.includes('content-parameter-mismatch')) score += 10;
  if (r.quirks.includes('trailing-garbage')) score -= 30;
  if (r.quirks.includes('pii-not-first')) score -= 20;
  if (r.quirks.includes('content-parameter-mismatch')) score -= 10;
  // Character-string elements (schemes 1–7) that decode to control characters are not real data.
  const textual = d.elements.filter((e) => e.compaction !== 0 || e.oid === 3 || e.oid === 11);
  if (textual.some((e) => /[\x00-\x1f\x7f\uFFFD]/.test(e.text))) score -= 20;
  if (options.dsfid !== undefined && options.dsfid !== DSFID_ISO28560_2) score -= 10;

  const tag: LibraryItemTag = {
    model: 'iso28560-2',
    primaryItemId: d.primaryItemId ?? '',
    usage: d.typeOfUsage !== undefined ? usageFromMainQualifier(d.typeOfUsage >> 4) : 'unknown',
    raw,
    normalized: bytes,
    details: { model: 'iso28560-2', data: d },
    quirks: [...extraQuirks, ...r.quirks],
    warnings: [...r.warnings],
  };
  if (d.typeOfUsage !== undefined) tag.usageCode = d.typeOfUsage;
  if (d.setInfo) tag.setInfo = clampSet(d.setInfo.partNumber, d.setInfo.partsInSet);
  if (d.ownerInstitution) {
    tag.ownerLibrary = d.ownerInstitution;
    const m = /^([A-Z]{2})-/.exec(d.ownerInstitution);
    if (m?.[1]) tag.country = m[1];
  }
  return { score, tag };
}

function tryRfid501(raw: Uint8Array, bytes: Uint8Array, extraQuirks: TagQuirk[]): Candidate | undefined {
  const r = decodeRfid501(bytes);
  if (!r.ok) return undefined;
  const d: Rfid501Data = r.value;
  if (!isPlausibleText(d.primaryItemId)) return undefined;
  let score = 5;
  if (bytes[0] === 0x04) score += 40;
  if (bytes[2] === 0x00) score += 20;
  if (bytes.length < 32 || bytes.subarray(28, 32).every((b) => b === 0)) score += 15;
  if (d.setInfo.partNumber >= 1 && d.setInfo.partNumber <= d.setInfo.partsInSet) score += 0;
  else score -= 5;

  const tag: LibraryItemTag = {
    model: '3m-501',
    primaryItemId: d.primaryItemId,
    setInfo: clampSet(d.setInfo.partNumber, d.setInfo.partsInSet),
    // The 3M layout has no type-of-usage field; it is only ever written on items.
    usage: 'circulating',
    raw,
    normalized: bytes,
    details: { model: '3m-501', data: d },
    quirks: [...extraQuirks, ...r.quirks],
    warnings: [...r.warnings],
  };
  return { score, tag };
}

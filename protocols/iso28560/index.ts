/**
 * Library RFID tag data: ISO 28560-3 (Danish model), ISO 28560-2 (object encoding), the 3M 501
 * layout, model detection with real-world quirk tolerance, and the AFI/EAS security values.
 * Pure codecs: no I/O, no clock, no randomness.
 */

export type {
  TagModel,
  TagUsage,
  TagQuirk,
  TagIssue,
  SetInfo,
  TagDetails,
  LibraryItemTag,
  DecodeResult,
  EncodeResult,
} from './types.ts';

export { detectAndDecode, DETECT_MIN_SCORE } from './detect.ts';
export type { DetectOptions, DetectResult, DetectError } from './detect.ts';

export {
  decodeIso28560_3,
  encodeIso28560_3,
  iso28560_3Crc,
  iso28560_3StoredCrc,
  ISO28560_3_LAYOUT,
  ISO28560_3_EXTENSION_IDS,
  ISO28560_3_MEDIA_FORMATS,
} from './iso28560-3.ts';
export type {
  Iso28560_3Data,
  Iso28560_3Fields,
  Iso28560_3DecodeOptions,
  Iso28560_3ExtensionBlock,
  Iso28560_3ExtensionInput,
  Iso28560_3LibraryExtension,
  CrcStatus,
} from './iso28560-3.ts';

export {
  decodeIso28560_2,
  encodeIso28560_2,
  decodeContentParameter,
  encodeContentParameter,
  decodeSetInformation,
  encodeSetInformation,
  ISO28560_OID,
} from './iso28560-2.ts';
export type {
  Iso28560_2Data,
  Iso28560_2Element,
  Iso28560_2Fields,
  Iso28560_2OtherElement,
  Iso28560_2EncodeOptions,
  Iso28560_2EncodeResult,
} from './iso28560-2.ts';

export {
  COMPACTION,
  COMPACTION_NAMES,
  compactBest,
  compactWith,
  compactIsil,
  expand,
  expandIsil,
} from './compaction.ts';
export type { CompactionScheme, Compacted } from './compaction.ts';

export { decodeRfid501, encodeRfid501, detectBlank, RFID501_ITEM_TYPES, RFID501_BYTES } from './rfid501.ts';
export type { Rfid501Data, Rfid501Fields, BlankKind } from './rfid501.ts';

export {
  AFI_ISO28560,
  AFI_3M,
  AFI_PRESETS,
  EAS,
  DSFID_ISO28560_2,
  securityFromAfi,
  afiFor,
} from './security.ts';
export type { AfiPair, SecurityState } from './security.ts';

export { usageFromMainQualifier, mainQualifierFromUsage, USAGE_SUB_QUALIFIERS } from './usage.ts';
export { joinBlocks, splitBlocks, reverseBlockBytes, padToBlocks, DEFAULT_BLOCK_SIZE } from './blocks.ts';

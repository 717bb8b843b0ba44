/**
 * FEIG OBID ISC standard protocol (CPR-M02, ISC.MR101/MR102 …): standard and advanced frames with
 * CRC-16/MCRF4XX, typed ISO-host commands and responses in both directions, and a stream splitter.
 * Pure codec, no I/O.
 */

export {
  FEIG_STX,
  FEIG_BROADCAST_ADDRESS,
  FEIG_MAX_STANDARD_LENGTH,
  FEIG_MIN_STANDARD_LENGTH,
  encodeFeigFrame,
  decodeFeigFrame,
  probeFeigFrame,
  FeigFrameSplitter,
} from './frame.ts';
export type { FeigDirection, FeigFrame, FeigFrameError, FeigFrameResult, FeigEncodeFrameOptions } from './frame.ts';

export {
  FEIG_CMD,
  FEIG_ISO,
  FEIG_NXP,
  FEIG_MODE_ADDRESSING,
  FEIG_INVENTORY_MODE,
  FEIG_READ_MODE_SECURITY,
  FEIG_TR_TYPE_ISO15693,
  FEIG_STATUS,
  ISO15693_ERROR_NAMES,
  ISO15693_BLOCK_LOCKED,
  feigStatusName,
  feigStatusCarriesData,
} from './constants.ts';

export {
  encodeFeigRequest,
  decodeFeigRequest,
  encodeFeigResponse,
  decodeFeigResponse,
  feigCommandOf,
  uidToBytes,
  bytesToUid,
} from './codec.ts';
export type {
  TagUid,
  BlockByteOrder,
  FeigCodecOptions,
  FeigTarget,
  FeigEasCommand,
  FeigAckType,
  FeigRequest,
  FeigResponse,
  FeigInventoryTag,
  FeigBlock,
  FeigCodecError,
  FeigDecodeResult,
} from './codec.ts';

export type { SplitterEvent, GarbageReason } from '../crc/index.ts';

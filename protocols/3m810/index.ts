/**
 * 3M 210/810 (later Bibliotheca) RFID pad protocol: D6 frames with CRC-16/GENIBUS, typed commands
 * and responses in both directions, and a resynchronising stream splitter. Pure codec, no I/O.
 */

export {
  THREEM_SOF,
  THREEM_SOF_ALT,
  THREEM_MAX_LEN,
  encodeThreeMFrame,
  decodeThreeMFrame,
  probeThreeMFrame,
  ThreeMFrameSplitter,
} from './frame.ts';
export type { ThreeMStart, ThreeMFrame, ThreeMFrameError, ThreeMFrameResult } from './frame.ts';

export {
  THREEM_CMD,
  THREEM_ERROR,
  THREEM_INVENTORY_OPTION,
  THREEM_DEFAULT_INVENTORY_OPTIONS,
  THREEM_TAG_INFO,
  threeMErrorName,
  isThreeMTransientError,
} from './constants.ts';

export {
  encodeThreeMRequest,
  decodeThreeMRequest,
  encodeThreeMResponse,
  decodeThreeMResponse,
  uidToBytes,
  bytesToUid,
} from './codec.ts';
export type {
  TagUid,
  ThreeMRequest,
  ThreeMResponse,
  ThreeMSimpleResponseType,
  ThreeMInventoryTag,
  ThreeMBlock,
  ThreeMCodecError,
  ThreeMDecodeResult,
} from './codec.ts';

export type { SplitterEvent, GarbageReason } from '../crc/index.ts';

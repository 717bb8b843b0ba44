/**
 * Kerong KR-CU16-style RS-485 lock board protocol (STX ADDR CMD DATA ETX SUM): commands, replies,
 * checksum and a stream splitter. Pure codec, no I/O; see ./frame.ts for the byte layout and sources.
 */
export {
  KERONG_STX,
  KERONG_ETX,
  KERONG_CMD_READ_STATUS,
  KERONG_CMD_UNLOCK,
  KERONG_MAX_BOARD,
  KERONG_LOCKS_PER_BOARD,
  KERONG_DEFAULT_BAUD,
  KERONG_MIN_FRAME,
  KERONG_MAX_FRAME,
  kerongChecksum,
  kerongHex,
  encodeKerongFrame,
  decodeKerongFrame,
  encodeKerongCommand,
  decodeKerongCommand,
  encodeKerongReply,
  decodeKerongReply,
  KerongFrameSplitter,
} from './frame.ts';
export type {
  KerongDirection,
  KerongCommand,
  KerongReply,
  KerongBoardState,
  KerongFrame,
  KerongErrorCode,
  KerongDecodeError,
  KerongDecodeResult,
  KerongSplitEvent,
} from './frame.ts';

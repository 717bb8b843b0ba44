export {
  createCrc16,
  CRC16_IBM_3740,
  CRC16_GENIBUS,
  CRC16_MCRF4XX,
  CRC16_ISO15693,
  ISO15693_CRC_RESIDUE,
  crc16CcittFalse,
  crc16Genibus,
  crc16Mcrf4xx,
  crc16Iso15693,
  xor8,
} from './crc16.ts';
export type { Crc16, Crc16Params } from './crc16.ts';
export { hexToBytes, bytesToHex, concatBytes, bytesEqual, copyBytes } from './bytes.ts';
export { FrameSplitter } from './framing.ts';
export type { FrameProbe, FrameSplitterOptions, GarbageReason, SplitterEvent } from './framing.ts';

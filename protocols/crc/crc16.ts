/**
 * CRC-16 engine and the presets the RFID codecs need.
 *
 * Parameters follow the Rocksoft/"CRC RevEng" model (poly, init, refin, refout, xorout) so each preset
 * can be checked against its published check value: the CRC of the ASCII string "123456789".
 *
 * | Preset                 | Used by                                   | poly   | init   | ref | xorout | check  |
 * |------------------------|-------------------------------------------|--------|--------|-----|--------|--------|
 * | CRC-16/IBM-3740        | ISO 28560-3 / Danish data model (§1.3)    | 0x1021 | 0xFFFF | no  | 0x0000 | 0x29B1 |
 * | CRC-16/GENIBUS         | 3M 210/810 pad frames (§2.1)              | 0x1021 | 0xFFFF | no  | 0xFFFF | 0xD64E |
 * | CRC-16/MCRF4XX         | FEIG OBID ISC standard protocol (§2.2)    | 0x1021 | 0xFFFF | yes | 0x0000 | 0x6F91 |
 * | CRC-16/IBM-SDLC (X-25) | ISO 15693 air interface (§1.1)            | 0x1021 | 0xFFFF | yes | 0xFFFF | 0x906E |
 *
 * (§ numbers refer to /work/shared/reference/devices.md.) The reflected presets are computed with the
 * bit-reversed polynomial 0x8408, which is how the FEIG manual and the ISO 15693 tools state them.
 */

export interface Crc16Params {
  readonly name: string;
  /** Generator polynomial in normal (MSB-first) notation, e.g. 0x1021. */
  readonly poly: number;
  readonly init: number;
  /** Reflect input bytes and output (the common case is refin === refout). */
  readonly reflected: boolean;
  readonly xorOut: number;
}

export interface Crc16 {
  readonly params: Crc16Params;
  /** CRC of `data` (optionally a sub-range `[start, end)`). */
  compute(data: Uint8Array, start?: number, end?: number): number;
}

function reverse16(value: number): number {
  let out = 0;
  for (let bit = 0; bit < 16; bit++) {
    if (value & (1 << bit)) out |= 1 << (15 - bit);
  }
  return out;
}

/** Builds a table-driven CRC-16 for the given parameters. */
export function createCrc16(params: Crc16Params): Crc16 {
  const table = new Uint16Array(256);
  if (params.reflected) {
    const rpoly = reverse16(params.poly);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ rpoly : c >>> 1;
      table[n] = c;
    }
  } else {
    for (let n = 0; n < 256; n++) {
      let c = n << 8;
      for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ params.poly) & 0xffff : (c << 1) & 0xffff;
      table[n] = c;
    }
  }
  const init = params.reflected ? reverse16(params.init) : params.init;

  return {
    params,
    compute(data: Uint8Array, start = 0, end = data.length): number {
      let crc = init;
      if (params.reflected) {
        for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (table[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0);
      } else {
        for (let i = start; i < end; i++) {
          crc = ((crc << 8) & 0xffff) ^ (table[((crc >>> 8) ^ (data[i] ?? 0)) & 0xff] ?? 0);
        }
      }
      return (crc ^ params.xorOut) & 0xffff;
    },
  };
}

/** CRC-16/IBM-3740 (a.k.a. CCITT-FALSE): the ISO 28560-3 tag CRC. */
export const CRC16_IBM_3740 = createCrc16({
  name: 'CRC-16/IBM-3740',
  poly: 0x1021,
  init: 0xffff,
  reflected: false,
  xorOut: 0x0000,
});

/** CRC-16/GENIBUS: the 3M 210/810 frame BCC ("CCITT with xorout 0xFFFF", Biblio-RFID 3M810.pm). */
export const CRC16_GENIBUS = createCrc16({
  name: 'CRC-16/GENIBUS',
  poly: 0x1021,
  init: 0xffff,
  reflected: false,
  xorOut: 0xffff,
});

/** CRC-16/MCRF4XX: FEIG ISC protocol CRC (poly 0x8408 reflected, preset 0xFFFF, no final XOR). */
export const CRC16_MCRF4XX = createCrc16({
  name: 'CRC-16/MCRF4XX',
  poly: 0x1021,
  init: 0xffff,
  reflected: true,
  xorOut: 0x0000,
});

/** CRC-16/IBM-SDLC: the ISO 15693 air-interface CRC; residue over data+CRC is 0xF0B8. */
export const CRC16_ISO15693 = createCrc16({
  name: 'CRC-16/IBM-SDLC',
  poly: 0x1021,
  init: 0xffff,
  reflected: true,
  xorOut: 0xffff,
});

/** Residue of CRC16_ISO15693 computed without the final XOR over a frame including its CRC (LSB first). */
export const ISO15693_CRC_RESIDUE = 0xf0b8;

export const crc16CcittFalse = (data: Uint8Array, start?: number, end?: number): number =>
  CRC16_IBM_3740.compute(data, start, end);
export const crc16Genibus = (data: Uint8Array, start?: number, end?: number): number =>
  CRC16_GENIBUS.compute(data, start, end);
export const crc16Mcrf4xx = (data: Uint8Array, start?: number, end?: number): number =>
  CRC16_MCRF4XX.compute(data, start, end);
export const crc16Iso15693 = (data: Uint8Array, start?: number, end?: number): number =>
  CRC16_ISO15693.compute(data, start, end);

/**
 * XOR of all bytes: the ISO 28560-3 extension-block checksum (a block is valid when the XOR of all
 * its bytes, checksum byte included, is 0).
 */
export function xor8(data: Uint8Array, start = 0, end = data.length): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= data[i] ?? 0;
  return x & 0xff;
}

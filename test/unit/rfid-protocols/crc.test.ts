import { describe, expect, it } from 'vitest';
import {
  createCrc16,
  crc16CcittFalse,
  crc16Genibus,
  crc16Iso15693,
  crc16Mcrf4xx,
  CRC16_ISO15693,
  ISO15693_CRC_RESIDUE,
  xor8,
  hexToBytes as h,
  bytesToHex,
  concatBytes,
  bytesEqual,
} from '../../../protocols/crc/index.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const CHECK = ascii('123456789');

describe('CRC-16 check values (CRC of "123456789")', () => {
  it('CRC-16/IBM-3740 (ISO 28560-3) is 0x29B1', () => expect(crc16CcittFalse(CHECK)).toBe(0x29b1));
  it('CRC-16/GENIBUS (3M 810) is 0xD64E', () => expect(crc16Genibus(CHECK)).toBe(0xd64e));
  it('CRC-16/MCRF4XX (FEIG ISC) is 0x6F91', () => expect(crc16Mcrf4xx(CHECK)).toBe(0x6f91));
  it('CRC-16/IBM-SDLC (ISO 15693 air) is 0x906E', () => expect(crc16Iso15693(CHECK)).toBe(0x906e));

  it('the generic engine reproduces other catalogue entries (ARC, XMODEM)', () => {
    const arc = createCrc16({ name: 'ARC', poly: 0x8005, init: 0, reflected: true, xorOut: 0 });
    const xmodem = createCrc16({ name: 'XMODEM', poly: 0x1021, init: 0, reflected: false, xorOut: 0 });
    expect(arc.compute(CHECK)).toBe(0xbb3d);
    expect(xmodem.compute(CHECK)).toBe(0x31c3);
  });

  it('computes over a sub-range', () => {
    const framed = concatBytes(h('AA BB'), CHECK, h('CC'));
    expect(crc16Genibus(framed, 2, 2 + CHECK.length)).toBe(0xd64e);
  });
});

describe('CRC vectors from the device reference', () => {
  it('libdanrfid self-test: "RFID tag data model" → 0x1AEE', () => {
    expect(crc16CcittFalse(ascii('RFID tag data model'))).toBe(0x1aee);
  });

  it('3M spec example D6 00 09 03 00 02 00 00 00 03 → BCC 12 E6 (over the bytes after D6)', () => {
    expect(crc16Genibus(h('00 09 03 00 02 00 00 00 03'))).toBe(0x12e6);
  });

  it('3M probe D5 00 05 04 00 11 → 8C 66', () => {
    expect(crc16Genibus(h('00 05 04 00 11'))).toBe(0x8c66);
  });

  it('FEIG inventory 07 FF B0 01 00 → CRC 0x561C, sent LSB first as 1C 56', () => {
    expect(crc16Mcrf4xx(h('07 FF B0 01 00'))).toBe(0x561c);
  });

  it('ISO 15693: appending the CRC LSB first gives the 0xF0B8 residue', () => {
    const frame = h('26 01 00');
    const crc = crc16Iso15693(frame);
    const withCrc = concatBytes(frame, Uint8Array.of(crc & 0xff, crc >> 8));
    // residue = CRC without the final XOR
    expect(CRC16_ISO15693.compute(withCrc) ^ 0xffff).toBe(ISO15693_CRC_RESIDUE);
  });
});

describe('xor8 (ISO 28560-3 extension block checksum)', () => {
  it('is zero over a block that carries its own checksum', () => {
    const block = h('07 01 00 00 01 41 42');
    block[3] = xor8(block);
    expect(block[3]).toBe(0x07 ^ 0x01 ^ 0x01 ^ 0x41 ^ 0x42);
    expect(xor8(block)).toBe(0);
  });
});

describe('byte helpers', () => {
  it('parses and prints hex', () => {
    expect(bytesToHex(h('d6:00-05 fe'))).toBe('D6 00 05 FE');
    expect(bytesToHex(h('0a0b'), '')).toBe('0A0B');
  });
  it('rejects malformed hex literals', () => {
    expect(() => h('ABC')).toThrow(RangeError);
    expect(() => h('GG')).toThrow(RangeError);
  });
  it('compares bytes', () => {
    expect(bytesEqual(h('01 02'), h('01 02'))).toBe(true);
    expect(bytesEqual(h('01 02'), h('01 03'))).toBe(false);
    expect(bytesEqual(h('01'), h('01 02'))).toBe(false);
  });
});

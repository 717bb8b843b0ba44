/**
 * Block locking on the wire, byte-exact. The expected frames were computed outside the project's
 * codecs (an independent CRC-16/GENIBUS and CRC-16/MCRF4XX, cross-checked against the reference
 * samples of devices.md §2.1/§2.2) so these tests do not grade the codec with itself.
 *
 *  - 3M 810, command 08 "lock block": `D6 LEN16 08 UID[8] blk CRC16` → `D6 LEN16 08 ERR UID[8] CRC16`
 *    (3M RFID Reader Protocol Specification command table; devices.md §2.1). ERR 0x12 = locked.
 *    The lock state comes back in 02 "read blocks" as the byte after each block number.
 *  - FEIG ISC, [B0 22] "Lock Multiple Blocks": `LEN ADR B0 22 MODE [UID] DB-ADR DB-N CRC`; answer
 *    STATUS 0x95 + ISO-ERROR + DB-ADR-E or STATUS 0x03 + DB-ADR-E (FEIG ISC.MR/PR101 manual
 *    H60301-3e §6.1.3). [B0 2C] "Get Multiple Block Security Status": `… 2C MODE [UID] DB-ADR DB-N`
 *    → `DB-N SEC-STATUS…` (§6.1.13), SEC-STATUS bit 0 = locked (ISO/IEC 15693-3).
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes as h } from '../../../protocols/crc/index.ts';
import { THREEM_ERROR, decodeThreeMRequest, decodeThreeMResponse, encodeThreeMRequest, encodeThreeMResponse } from '../../../protocols/3m810/index.ts';
import {
  FEIG_ISO,
  FEIG_STATUS,
  ISO15693_BLOCK_LOCKED,
  decodeFeigRequest,
  decodeFeigResponse,
  encodeFeigRequest,
  encodeFeigResponse,
} from '../../../protocols/feig-isc/index.ts';

const UID = 'E004010012345678';
const hex = (b: Uint8Array): string => bytesToHex(b);

describe('3M 810 lock block (08)', () => {
  it('request: D6, length 12, command 08, the UID, the block number, CRC', () => {
    const bytes = 'D6 00 0C 08 E0 04 01 00 12 34 56 78 03 C9 23';
    expect(hex(encodeThreeMRequest({ type: 'lockBlock', uid: UID, block: 3 }))).toBe(bytes);
    expect(decodeThreeMRequest(h(bytes))).toEqual({ ok: true, value: { type: 'lockBlock', uid: UID, block: 3 } });
  });

  it('answers: OK echoes the UID; 0x12 says the block is locked', () => {
    const ok = 'D6 00 0C 08 00 E0 04 01 00 12 34 56 78 82 F7';
    expect(hex(encodeThreeMResponse({ type: 'lockBlock', status: 0, uid: UID }))).toBe(ok);
    expect(decodeThreeMResponse(h(ok))).toEqual({ ok: true, value: { type: 'lockBlock', status: 0, uid: UID } });
    const locked = 'D6 00 0C 08 12 E0 04 01 00 12 34 56 78 17 6E';
    expect(hex(encodeThreeMResponse({ type: 'lockBlock', status: THREEM_ERROR.locked, uid: UID }))).toBe(locked);
    expect(decodeThreeMResponse(h(locked))).toEqual({ ok: true, value: { type: 'lockBlock', status: 0x12, uid: UID } });
  });

  it('read blocks carries the lock byte of each block (old style: blk#, lock, 4 data)', () => {
    const bytes = 'D6 00 19 02 00 E0 04 01 00 12 34 56 78 02 00 01 11 02 01 33 01 00 30 30 31 32 92 00';
    const res = decodeThreeMResponse(h(bytes));
    expect(res.ok && res.value.type === 'readBlocks' && res.value.blocks.map((b) => [b.block, b.lockStatus])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(
      hex(
        encodeThreeMResponse({
          type: 'readBlocks',
          status: 0,
          uid: UID,
          blocks: [
            { block: 0, lockStatus: 1, data: h('11 02 01 33') },
            { block: 1, lockStatus: 0, data: h('30 30 31 32') },
          ],
        }),
      ),
    ).toBe(bytes);
  });
});

describe('FEIG ISC lock multiple blocks [B0 22]', () => {
  it('request, addressed: LEN 0x11, B0 22, MODE 01, UID, DB-ADR, DB-N, CRC LSB first', () => {
    expect(FEIG_ISO.lockBlocks).toBe(0x22);
    const bytes = '11 FF B0 22 01 E0 04 01 00 12 34 56 78 00 09 DB 42';
    const req = { type: 'lockBlocks', address: 0xff, uid: UID, firstBlock: 0, blockCount: 9 } as const;
    expect(hex(encodeFeigRequest(req))).toBe(bytes);
    expect(decodeFeigRequest(h(bytes))).toEqual({ ok: true, value: req });
  });

  it('a lock of no blocks cannot be encoded, and DB-N 0 does not decode', () => {
    expect(() => encodeFeigRequest({ type: 'lockBlocks', uid: UID, firstBlock: 0, blockCount: 0 })).toThrow(RangeError);
    const zero = encodeFeigRequest({ type: 'raw', command: 0xb0, data: h('22 01 E0 04 01 00 12 34 56 78 00 00') });
    const d = decodeFeigRequest(zero);
    expect(d.ok).toBe(false);
    expect(!d.ok && d.error.message).toMatch(/DB-N is 0/);
  });

  it('answer OK has no data', () => {
    const bytes = '06 00 B0 00 D5 72';
    expect(hex(encodeFeigResponse({ type: 'lockBlocks', status: 0 }))).toBe(bytes);
    expect(decodeFeigResponse(h(bytes), 'lockBlocks')).toEqual({ ok: true, value: { type: 'lockBlocks', address: 0, status: 0 } });
  });

  it('STATUS 0x95: the ISO 15693 error, then the block where locking stopped', () => {
    const bytes = '08 00 B0 95 12 04 75 18';
    const res = { type: 'lockBlocks', address: 0, status: FEIG_STATUS.isoError, isoError: 0x12, errorBlock: 4 } as const;
    expect(hex(encodeFeigResponse(res))).toBe(bytes);
    expect(decodeFeigResponse(h(bytes), 'lockBlocks')).toEqual({ ok: true, value: res });
    // 0x11: "block already locked" (ISO/IEC 15693-3 error codes)
    expect(decodeFeigResponse(h('08 00 B0 95 11 00 39 74'), 'lockBlocks')).toEqual({
      ok: true,
      value: { type: 'lockBlocks', address: 0, status: 0x95, isoError: 0x11, errorBlock: 0 },
    });
  });

  it('STATUS 0x03 (write error): only the block where it stopped', () => {
    const bytes = '07 00 B0 03 02 6C 83';
    const res = { type: 'lockBlocks', address: 0, status: FEIG_STATUS.writeError, errorBlock: 2 } as const;
    expect(hex(encodeFeigResponse(res))).toBe(bytes);
    expect(decodeFeigResponse(h(bytes), 'lockBlocks')).toEqual({ ok: true, value: res });
  });
});

describe('FEIG ISC get multiple block security status [B0 2C]', () => {
  it('request and answer, one SEC-STATUS byte per block, bit 0 = locked', () => {
    const req = { type: 'blockSecurity', address: 0xff, uid: UID, firstBlock: 0, blockCount: 4 } as const;
    const reqBytes = '11 FF B0 2C 01 E0 04 01 00 12 34 56 78 00 04 1F 94';
    expect(hex(encodeFeigRequest(req))).toBe(reqBytes);
    expect(decodeFeigRequest(h(reqBytes))).toEqual({ ok: true, value: req });

    const res = { type: 'blockSecurity', address: 0, status: 0, security: [ISO15693_BLOCK_LOCKED, ISO15693_BLOCK_LOCKED, 0, 0] } as const;
    const resBytes = '0B 00 B0 00 04 01 01 00 00 F5 DC';
    expect(hex(encodeFeigResponse({ ...res, security: [...res.security] }))).toBe(resBytes);
    expect(decodeFeigResponse(h(resBytes), 'blockSecurity')).toEqual({ ok: true, value: { ...res, security: [1, 1, 0, 0] } });
  });

  it('a count that does not match the bytes is a payload error', () => {
    const frame = encodeFeigResponse({ type: 'raw', command: 0xb0, status: 0, data: h('05 01 00') });
    const d = decodeFeigResponse(frame, 'blockSecurity');
    expect(d.ok).toBe(false);
    expect(!d.ok && d.error.message).toMatch(/5 security bytes announced, 2 sent/);
  });
});

import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes as h } from '../../../protocols/crc/index.ts';
import {
  THREEM_ERROR,
  decodeThreeMFrame,
  decodeThreeMRequest,
  decodeThreeMResponse,
  encodeThreeMFrame,
  encodeThreeMRequest,
  encodeThreeMResponse,
  isThreeMTransientError,
  threeMErrorName,
  type ThreeMRequest,
  type ThreeMResponse,
} from '../../../protocols/3m810/index.ts';

const UID = 'E004010012345678';
const hex = (b: Uint8Array): string => bytesToHex(b);

/** Reference devices.md §2.1 "Sample frames I generated with that CRC [verified]". */
const GOLDEN_REQUESTS: Array<[string, ThreeMRequest, string]> = [
  ['inventory', { type: 'inventory', afi: 0, options: 0x05 }, 'D6 00 05 FE 00 05 FA 40'],
  ['read blocks 0..7', { type: 'readBlocks', uid: UID, firstBlock: 0, blockCount: 8 }, 'D6 00 0D 02 E0 04 01 00 12 34 56 78 00 08 A0 79'],
  ['get AFI', { type: 'getAfi', uid: UID }, 'D6 00 0B 0A E0 04 01 00 12 34 56 78 7F 9F'],
  ['write AFI D7', { type: 'writeAfi', uid: UID, afi: 0xd7 }, 'D6 00 0C 09 E0 04 01 00 12 34 56 78 D7 2D 9F'],
  ['EAS on', { type: 'setEas', uid: UID, enabled: true }, 'D6 00 0C 0C E0 04 01 00 12 34 56 78 01 44 54'],
  ['version', { type: 'version' }, 'D6 00 03 11 64 20'],
  ['hardware probe (D5)', { type: 'hardwareProbe' }, 'D5 00 05 04 00 11 8C 66'],
];

const GOLDEN_RESPONSES: Array<[string, ThreeMResponse, string]> = [
  [
    'inventory, one tag',
    { type: 'inventory', status: 0, afi: 0, options: 0x05, tags: [{ uid: UID }] },
    'D6 00 0F FE 00 00 05 01 E0 04 01 00 12 34 56 78 13 EC',
  ],
  ['get AFI → DA', { type: 'getAfi', status: 0, uid: UID, afi: 0xda }, 'D6 00 0D 0A 00 E0 04 01 00 12 34 56 78 DA 91 34'],
  ['write AFI ok', { type: 'writeAfi', status: 0, uid: UID }, 'D6 00 0C 09 00 E0 04 01 00 12 34 56 78 ED B2'],
  ['version 3.2.6', { type: 'version', status: 0, version: [0x0a, 3, 2, 6] }, 'D6 00 08 11 00 0A 03 02 06 35 17'],
  ['unknown command 99', { type: 'raw', start: 0xd6, command: 0x99, status: 0x02, payload: new Uint8Array(0) }, 'D6 00 04 99 02 25 CE'],
  ['hardware version 10.5.0.2 (D5)', { type: 'hardwareVersion', version: [10, 5, 0, 2] }, 'D5 00 09 04 00 11 0A 05 00 02 72 50'],
];

describe('3M 810 golden frames from the reference', () => {
  it.each(GOLDEN_REQUESTS)('request %s encodes byte-exact and decodes back', (_name, req, bytes) => {
    expect(hex(encodeThreeMRequest(req))).toBe(bytes);
    const d = decodeThreeMRequest(h(bytes));
    expect(d).toEqual({ ok: true, value: req });
  });

  it.each(GOLDEN_RESPONSES)('response %s encodes byte-exact and decodes back', (_name, res, bytes) => {
    expect(hex(encodeThreeMResponse(res))).toBe(bytes);
    expect(decodeThreeMResponse(h(bytes))).toEqual({ ok: true, value: res });
  });

  it('Python client "reader ready" D5 frame has a valid BCC', () => {
    expect(decodeThreeMResponse(h('D5 00 09 04 00 11 0A 05 02 1B 97 2A'))).toEqual({
      ok: true,
      value: { type: 'hardwareVersion', version: [10, 5, 2, 27] },
    });
  });

  it('inventory defaults to AFI 0 (all) and RespOpts 05', () => {
    expect(hex(encodeThreeMRequest({ type: 'inventory' }))).toBe('D6 00 05 FE 00 05 FA 40');
  });
});

describe('3M 810 round trips', () => {
  const data8 = Uint8Array.from({ length: 8 }, (_, i) => 0x10 + i);
  const requests: ThreeMRequest[] = [
    { type: 'inventory', afi: 0x07, options: 0x03 },
    { type: 'inventory', afi: 0, options: 0x45, protocols: 0x01 },
    { type: 'readBlocks', uid: UID, firstBlock: 4, blockCount: 4, options: 0x08 },
    { type: 'writeBlocks', uid: UID, firstBlock: 0, data: data8 },
    { type: 'writeBlock', uid: UID, block: 3, data: h('01 02 03 04') },
    { type: 'writeLockBlock', uid: UID, block: 0, data: h('AA BB CC DD') },
    { type: 'lockBlock', uid: UID, block: 1 },
    { type: 'lockAfi', uid: UID },
    { type: 'checkEas', uid: UID },
    { type: 'setEas', uid: UID, enabled: false },
    { type: 'getDsfid', uid: UID },
    { type: 'writeDsfid', uid: UID, dsfid: 0x06 },
    { type: 'lockDsfid', uid: UID },
    { type: 'tagInfo', uid: UID, mask: 0x0f },
    { type: 'quiet', uid: UID },
    { type: 'raw', start: 0xd6, command: 0x13, payload: h('04 01 00 02 00 03 00 04 00') },
  ];
  it.each(requests.map((r) => [r.type, r] as const))('request %s', (_t, req) => {
    expect(decodeThreeMRequest(encodeThreeMRequest(req))).toEqual({ ok: true, value: req });
  });

  it('write blocks puts UID, first block, count, 00 and the data in that order (Biblio-RFID)', () => {
    const frame = encodeThreeMRequest({ type: 'writeBlocks', uid: UID, firstBlock: 0, data: data8 });
    expect(hex(frame.subarray(3, frame.length - 2))).toBe('04 E0 04 01 00 12 34 56 78 00 02 00 10 11 12 13 14 15 16 17');
  });

  const responses: ThreeMResponse[] = [
    { type: 'inventory', status: 0, afi: 0, options: 0x07, tags: [{ uid: UID, dsfid: 0x06 }, { uid: 'E007000011112222', dsfid: 0 }] },
    { type: 'inventory', status: 0, afi: 0, options: 0x05, tags: [] },
    {
      type: 'readBlocks',
      status: 0,
      uid: UID,
      blocks: [
        { block: 0, lockStatus: 0, data: h('11 02 01 33') },
        { block: 1, lockStatus: 1, data: h('30 30 31 32') },
      ],
    },
    { type: 'readBlocks', status: 0, uid: UID, blocks: [{ block: 7, data: h('00 00 00 00') }] },
    { type: 'writeBlocks', status: 0, uid: UID, block: 2 },
    { type: 'checkEas', status: 0, uid: UID },
    { type: 'setEas', status: 0, uid: UID },
    { type: 'getDsfid', status: 0, uid: UID, dsfid: 6 },
    { type: 'tagInfo', status: 0, uid: UID, available: 0x0f, dsfid: 0, afi: 0x07, blockSize: 4, blockCount: 28, icReference: 1 },
    { type: 'lockBlock', status: 0, uid: UID },
    { type: 'quiet', status: 0, uid: UID },
  ];
  it.each(responses.map((r, i) => [`${r.type} #${i}`, r] as const))('response %s', (_t, res) => {
    expect(decodeThreeMResponse(encodeThreeMResponse(res))).toEqual({ ok: true, value: res });
  });

  it('reads old-style block entries (blk#, lock, 4 data) as Biblio-RFID does', () => {
    // 02 00 UID N=2 | 00 00 11 02 01 33 | 01 00 30 30 31 32
    const body = h(`02 00 ${UID} 02 00 00 11 02 01 33 01 00 30 30 31 32`);
    const d = decodeThreeMResponse(encodeThreeMFrame(body));
    expect(d.ok && d.value.type === 'readBlocks' && d.value.blocks.map((b) => [b.block, hex(b.data)])).toEqual([
      [0, '11 02 01 33'],
      [1, '30 30 31 32'],
    ]);
  });
});

describe('3M 810 errors', () => {
  it('decodes an error response with the UID', () => {
    const frame = encodeThreeMResponse({ type: 'readBlocks', status: THREEM_ERROR.noTransponder, uid: UID, blocks: [] });
    expect(hex(frame.subarray(3, 6))).toBe('02 06 E0');
    expect(decodeThreeMResponse(frame)).toEqual({
      ok: true,
      value: { type: 'readBlocks', status: 0x06, uid: UID, blocks: [] },
    });
  });

  it('decodes an error response without the UID (Check EAS on a tag with EAS = 0)', () => {
    const d = decodeThreeMResponse(encodeThreeMFrame(h('03 06')));
    expect(d).toEqual({ ok: true, value: { type: 'checkEas', status: 0x06 } });
  });

  it('names error codes and marks the ones worth retrying', () => {
    expect(threeMErrorName(0x06)).toBe('no transponder');
    expect(threeMErrorName(0x12)).toBe('locked');
    expect(threeMErrorName(0x77)).toBe('error 0x77');
    expect(isThreeMTransientError(0x16)).toBe(true);
    expect(isThreeMTransientError(0x12)).toBe(false);
  });

  it('rejects frames with a bad BCC, bad length or bad start byte', () => {
    const good = h('D6 00 0D 0A 00 E0 04 01 00 12 34 56 78 DA 91 34');
    const badCrc = Uint8Array.from(good);
    badCrc[15] = 0x35;
    expect(decodeThreeMFrame(badCrc)).toMatchObject({ ok: false, error: { code: 'bad-crc' } });
    expect(decodeThreeMResponse(badCrc)).toMatchObject({ ok: false, error: { code: 'bad-frame' } });
    expect(decodeThreeMFrame(good.subarray(0, 15))).toMatchObject({ ok: false, error: { code: 'bad-length' } });
    const badStart = Uint8Array.from(good);
    badStart[0] = 0xd7;
    expect(decodeThreeMFrame(badStart)).toMatchObject({ ok: false, error: { code: 'bad-start' } });
  });

  it('rejects payloads that do not match the command', () => {
    expect(decodeThreeMRequest(encodeThreeMFrame(h('0A E0 04 01')))).toMatchObject({ ok: false, error: { code: 'bad-payload' } });
    expect(decodeThreeMResponse(encodeThreeMFrame(h(`FE 00 00 05 02 ${UID}`)))).toMatchObject({
      ok: false,
      error: { code: 'bad-payload' },
    });
    expect(decodeThreeMResponse(encodeThreeMFrame(h(`02 00 ${UID} 02 00 00 11 22`)))).toMatchObject({ ok: false });
  });

  it('refuses to build frames from impossible arguments', () => {
    expect(() => encodeThreeMRequest({ type: 'getAfi', uid: 'E00401' })).toThrow(RangeError);
    expect(() => encodeThreeMRequest({ type: 'writeAfi', uid: UID, afi: 256 })).toThrow(RangeError);
    expect(() => encodeThreeMRequest({ type: 'writeBlocks', uid: UID, firstBlock: 0, data: h('01 02 03') })).toThrow(
      RangeError,
    );
  });
});

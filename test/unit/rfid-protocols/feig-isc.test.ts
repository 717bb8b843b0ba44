import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes as h } from '../../../protocols/crc/index.ts';
import {
  FEIG_INVENTORY_MODE,
  FEIG_STATUS,
  ISO15693_ERROR_NAMES,
  decodeFeigFrame,
  decodeFeigRequest,
  decodeFeigResponse,
  encodeFeigFrame,
  encodeFeigRequest,
  encodeFeigResponse,
  feigStatusName,
  type FeigRequest,
  type FeigResponse,
} from '../../../protocols/feig-isc/index.ts';

const UID = 'E004010012345678';
const hex = (b: Uint8Array): string => bytesToHex(b);

/** Reference devices.md §2.2 "Sample frames [verified CRC]". */
const GOLDEN_REQUESTS: Array<[string, FeigRequest, string]> = [
  ['inventory', { type: 'inventory', address: 0xff, mode: 0 }, '07 FF B0 01 00 1C 56'],
  [
    'read 8 blocks, addressed',
    { type: 'readBlocks', address: 0xff, uid: UID, firstBlock: 0, blockCount: 8 },
    '11 FF B0 23 01 E0 04 01 00 12 34 56 78 00 08 07 D6',
  ],
  ['write AFI 07', { type: 'writeAfi', address: 0xff, uid: UID, afi: 0x07 }, '10 FF B0 27 01 E0 04 01 00 12 34 56 78 07 D8 DE'],
  ['get system info', { type: 'systemInfo', address: 0xff, uid: UID }, '0F FF B0 2B 01 E0 04 01 00 12 34 56 78 11 A3'],
];

describe('FEIG ISC golden frames from the reference', () => {
  it.each(GOLDEN_REQUESTS)('request %s encodes byte-exact and decodes back', (_n, req, bytes) => {
    expect(hex(encodeFeigRequest(req))).toBe(bytes);
    expect(decodeFeigRequest(h(bytes))).toEqual({ ok: true, value: req });
  });

  it('inventory response with one tag', () => {
    const res: FeigResponse = { type: 'inventory', address: 0, status: 0, tags: [{ trType: 3, dsfid: 0, uid: UID }] };
    const bytes = '11 00 B0 00 01 03 00 E0 04 01 00 12 34 56 78 D8 35';
    expect(hex(encodeFeigResponse(res))).toBe(bytes);
    expect(decodeFeigResponse(h(bytes), 'inventory')).toEqual({ ok: true, value: res });
  });

  it('inventory response "no transponder"', () => {
    const bytes = '06 00 B0 01 5C 63';
    expect(hex(encodeFeigResponse({ type: 'inventory', status: FEIG_STATUS.noTransponder, tags: [] }))).toBe(bytes);
    expect(decodeFeigResponse(h(bytes), { type: 'inventory' })).toEqual({
      ok: true,
      value: { type: 'inventory', address: 0, status: 0x01, tags: [] },
    });
    expect(feigStatusName(0x01)).toBe('no transponder');
  });
});

describe('FEIG block byte order (ISO-host mode sends data MSB first)', () => {
  const memory = h('11 02 01 33  30 30 31 32');

  it('reverses each block on the wire for read-block responses, and back on decode', () => {
    const res: FeigResponse = {
      type: 'readBlocks',
      address: 0,
      status: 0,
      blockSize: 4,
      blocks: [
        { security: 0, data: memory.subarray(0, 4) },
        { security: 1, data: memory.subarray(4, 8) },
      ],
    };
    const frame = encodeFeigResponse(res);
    // LEN ADR CMD STATUS | DB-N DB-SIZE | SEC 4×DB (reversed) | SEC 4×DB (reversed) | CRC
    expect(hex(frame.subarray(4, frame.length - 2))).toBe('02 04 00 33 01 02 11 01 32 31 30 30');
    expect(decodeFeigResponse(frame, 'readBlocks')).toEqual({ ok: true, value: res });
    const asSent = decodeFeigResponse(frame, 'readBlocks', { blockByteOrder: 'memory' });
    expect(asSent.ok && asSent.value.type === 'readBlocks' && hex(asSent.value.blocks[0]?.data ?? h(''))).toBe('33 01 02 11');
  });

  it('reverses each block of write data (as CPRM02.pm does) and the simulator undoes it', () => {
    const req: FeigRequest = { type: 'writeBlocks', address: 0xff, uid: UID, firstBlock: 0, data: memory };
    const frame = encodeFeigRequest(req);
    // ... B0 24 MODE UID DB-ADR DB-N DB-SIZE data
    expect(hex(frame.subarray(3, frame.length - 2))).toBe(`24 01 ${hex(h(UID))} 00 02 04 33 01 02 11 32 31 30 30`);
    expect(decodeFeigRequest(frame)).toEqual({ ok: true, value: req });
    const plain = encodeFeigRequest(req, { blockByteOrder: 'memory' });
    expect(hex(plain.subarray(16, plain.length - 2))).toBe('11 02 01 33 30 30 31 32');
  });
});

describe('FEIG round trips', () => {
  const requests: FeigRequest[] = [
    { type: 'inventory', address: 0xff, mode: FEIG_INVENTORY_MODE.more },
    { type: 'readBlocks', address: 0x01, firstBlock: 2, blockCount: 3 },
    { type: 'readBlocks', address: 0xff, selected: true, firstBlock: 0, blockCount: 28, withSecurity: true },
    { type: 'writeBlocks', address: 0xff, uid: UID, firstBlock: 1, blockSize: 8, data: h('01 02 03 04 05 06 07 08') },
    { type: 'writeDsfid', address: 0xff, uid: UID, dsfid: 6 },
    { type: 'lockAfi', address: 0xff, uid: UID },
    { type: 'resetToReady', address: 0xff },
    { type: 'stayQuiet', address: 0xff, uid: UID },
    { type: 'select', address: 0xff, uid: UID },
    { type: 'setEas', address: 0xff, uid: UID },
    { type: 'resetEas', address: 0xff, uid: UID },
    { type: 'lockEas', address: 0xff },
    { type: 'easAlarm', address: 0xff, uid: UID, manufacturer: 0x07 },
    { type: 'softwareVersion', address: 0xff },
    { type: 'rfReset', address: 0xff },
    { type: 'raw', address: 0xff, command: 0x52, data: h('00') },
  ];
  it.each(requests.map((r, i) => [`${r.type} #${i}`, r] as const))('request %s', (_t, req) => {
    expect(decodeFeigRequest(encodeFeigRequest(req))).toEqual({ ok: true, value: req });
  });

  it('sends NXP EAS commands as [B1] MFR 04, A2/A3, MODE, UID', () => {
    expect(hex(encodeFeigRequest({ type: 'setEas', uid: UID }))).toBe('10 FF B1 04 A2 01 E0 04 01 00 12 34 56 78 FC BB');
    const reset = encodeFeigRequest({ type: 'resetEas', uid: UID });
    expect(hex(reset.subarray(2, 6))).toBe('B1 04 A3 01');
  });

  const responses: Array<[FeigRequest['type'], FeigResponse]> = [
    ['inventory', { type: 'inventory', address: 0, status: FEIG_STATUS.moreData, tags: [{ trType: 3, dsfid: 6, uid: UID }] }],
    [
      'systemInfo',
      { type: 'systemInfo', address: 0, status: 0, dsfid: 6, uid: UID, afi: 0x07, blockSize: 4, blockCount: 28, icReference: 1 },
    ],
    ['writeAfi', { type: 'writeAfi', address: 0, status: 0 }],
    ['writeBlocks', { type: 'writeBlocks', address: 0, status: FEIG_STATUS.isoError, isoError: 0x12 }],
    ['setEas', { type: 'setEas', address: 0, status: 0 }],
    ['easAlarm', { type: 'easAlarm', address: 0, status: 0, data: h('5A 5A 5A') }],
    ['softwareVersion', { type: 'softwareVersion', address: 0, status: 0, data: h('03 01 00 40 00 00') }],
    ['readBlocks', { type: 'readBlocks', address: 0, status: FEIG_STATUS.noTransponder, blocks: [] }],
  ];
  it.each(responses.map(([t, r], i) => [`${r.type} #${i}`, t, r] as const))('response %s', (_n, t, res) => {
    expect(decodeFeigResponse(encodeFeigResponse(res), t)).toEqual({ ok: true, value: res });
  });

  it('lays out system info as DSFID UID AFI MEM-SIZE(block size−1, blocks−1) IC-REF', () => {
    const frame = encodeFeigResponse({ type: 'systemInfo', status: 0, dsfid: 0, uid: UID, afi: 0xc2, blockSize: 4, blockCount: 28, icReference: 1 });
    expect(hex(frame.subarray(4, frame.length - 2))).toBe(`00 ${hex(h(UID))} C2 03 1B 01`);
  });

  it('appends the ISO 15693 error code after status 0x95', () => {
    const frame = encodeFeigResponse({ type: 'writeAfi', status: 0x95, isoError: 0x12 });
    expect(hex(frame.subarray(0, 5))).toBe('07 00 B0 95 12');
    expect(ISO15693_ERROR_NAMES[0x12]).toBe('block locked, content cannot change');
  });
});

describe('FEIG advanced protocol frames', () => {
  it('switches to 02 ALEN framing above 255 bytes and back on decode', () => {
    const blocks = Array.from({ length: 60 }, (_, i) => ({ security: 0, data: Uint8Array.of(i, i, i, i) }));
    const res: FeigResponse = { type: 'readBlocks', address: 0, status: 0, blockSize: 4, blocks };
    const frame = encodeFeigResponse(res);
    const total = 3 + 3 + 2 + 60 * 5 + 2; // STX ALEN(2) | ADR CMD STATUS | DB-N DB-SIZE | data | CRC
    expect(frame.length).toBe(total);
    expect(hex(frame.subarray(0, 6))).toBe(`02 ${hex(Uint8Array.of(total >> 8, total & 0xff))} 00 B0 00`);
    expect(decodeFeigResponse(frame, 'readBlocks')).toEqual({ ok: true, value: res });
  });

  it('can be forced for short frames', () => {
    const frame = encodeFeigFrame({ address: 0xff, command: 0x65 }, { advanced: true });
    expect(hex(frame.subarray(0, 5))).toBe('02 00 07 FF 65');
    expect(decodeFeigFrame(frame, 'request')).toMatchObject({ ok: true, frame: { address: 0xff, command: 0x65, advanced: true } });
  });
});

describe('FEIG errors', () => {
  it('rejects a bad CRC and a wrong length byte', () => {
    const good = h('07 FF B0 01 00 1C 56');
    const badCrc = Uint8Array.from(good);
    badCrc[6] = 0x57;
    expect(decodeFeigFrame(badCrc, 'request')).toMatchObject({ ok: false, error: { code: 'bad-crc' } });
    expect(decodeFeigRequest(badCrc)).toMatchObject({ ok: false, error: { code: 'bad-frame' } });
    expect(decodeFeigFrame(good.subarray(0, 6), 'request')).toMatchObject({ ok: false, error: { code: 'bad-length' } });
  });

  it('refuses a response to a different command than the one sent', () => {
    const invResponse = h('11 00 B0 00 01 03 00 E0 04 01 00 12 34 56 78 D8 35');
    expect(decodeFeigResponse(invResponse, 'setEas')).toMatchObject({ ok: false, error: { code: 'unexpected-command' } });
  });

  it('refuses inventory data that does not add up', () => {
    const res = encodeFeigFrame({ address: 0, command: 0xb0, status: 0, data: h('02 03 00 E0 04 01 00 12 34 56 78') });
    expect(decodeFeigResponse(res, 'inventory')).toMatchObject({ ok: false, error: { code: 'bad-payload' } });
  });

  it('refuses malformed requests on the simulator side', () => {
    const req = encodeFeigFrame({ address: 0xff, command: 0xb0, data: h('23 01 E0 04') });
    expect(decodeFeigRequest(req)).toMatchObject({ ok: false, error: { code: 'bad-payload' } });
  });

  it('refuses to build frames from impossible arguments', () => {
    expect(() => encodeFeigRequest({ type: 'writeAfi', uid: 'nope', afi: 1 })).toThrow(RangeError);
    expect(() => encodeFeigRequest({ type: 'writeBlocks', firstBlock: 0, data: h('01 02') })).toThrow(RangeError);
  });
});

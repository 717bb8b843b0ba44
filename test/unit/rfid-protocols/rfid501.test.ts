import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes as h } from '../../../protocols/crc/index.ts';
import { decodeRfid501, detectBlank, encodeRfid501 } from '../../../protocols/iso28560/index.ts';

const ascii = (s: string): string =>
  Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, '0')).join(' ');

/** Biblio-RFID t/05-RFID501.t, first tag: 1 of 1, type 0, "200901010123", all-ones branch/library. */
const TAG_A = h(`04 11 00 00 ${ascii('200901010123')} 00 00 00 00 FF FF FF FF 7F FF FF FF 00 00 00 00`);
/** Second tag: type 1 (book), "1302003767". */
const TAG_B = h(`04 11 00 01 ${ascii('1302003767')} 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`);

describe('3M 501 layout', () => {
  it('decodes the Biblio-RFID vectors', () => {
    const a = decodeRfid501(TAG_A);
    expect(a.ok && a.value).toEqual({
      primaryItemId: '200901010123',
      setInfo: { partNumber: 1, partsInSet: 1 },
      itemType: 0,
      itemTypeLabel: 'Other',
      branch: 0xfff,
      library: 0xfffff,
      custom: 0x7fffffff,
    });
    expect(a.ok && a.quirks).toEqual([]);
    const b = decodeRfid501(TAG_B);
    expect(b.ok && [b.value.primaryItemId, b.value.itemTypeLabel, b.value.branch, b.value.library]).toEqual([
      '1302003767',
      'Book',
      0,
      0,
    ]);
  });

  it('re-encodes them byte for byte', () => {
    for (const tag of [TAG_A, TAG_B]) {
      const d = decodeRfid501(tag);
      if (!d.ok) throw new Error('decode failed');
      const e = encodeRfid501({ ...d.value });
      expect(e.ok && bytesToHex(e.bytes)).toBe(bytesToHex(tag));
    }
  });

  it('puts the part number in the high nibble and the set size in the low nibble', () => {
    const e = encodeRfid501({ primaryItemId: 'K1', setInfo: { partNumber: 2, partsInSet: 3 }, branch: 5, library: 1234, custom: -2 });
    expect(e.ok).toBe(true);
    if (!e.ok) return;
    expect(e.bytes[1]).toBe(0x23);
    expect(bytesToHex(e.bytes.subarray(20, 28))).toBe('00 50 04 D2 FF FF FF FE');
    const d = decodeRfid501(e.bytes);
    expect(d.ok && [d.value.setInfo, d.value.branch, d.value.library, d.value.custom]).toEqual([
      { partNumber: 2, partsInSet: 3 },
      5,
      1234,
      -2,
    ]);
  });

  it('reports unexpected fixed bytes', () => {
    const tag = Uint8Array.from(TAG_B);
    tag[2] = 0x01;
    tag[30] = 0x09;
    const d = decodeRfid501(tag);
    expect(d.ok && d.quirks).toEqual(['rfid501-unexpected-fixed-bytes']);
    expect(d.ok && d.warnings).toHaveLength(2);
  });

  it('recognises blanks', () => {
    expect(detectBlank(new Uint8Array(32))).toBe('zeroed');
    const factory = new Uint8Array(32);
    factory.fill(0x55, 0, 24);
    expect(detectBlank(factory)).toBe('3m-factory');
    expect(detectBlank(TAG_A)).toBeUndefined();
  });

  it('refuses values the layout cannot hold', () => {
    expect(encodeRfid501({ primaryItemId: '1234567890123456' })).toMatchObject({ ok: false, error: { code: 'bad-item-id' } });
    expect(encodeRfid501({ primaryItemId: '1', setInfo: { partNumber: 1, partsInSet: 16 } })).toMatchObject({ ok: false });
    expect(encodeRfid501({ primaryItemId: '1', branch: 4096 })).toMatchObject({ ok: false, error: { code: 'bad-branch' } });
    expect(decodeRfid501(TAG_A.subarray(0, 27))).toMatchObject({ ok: false, error: { code: 'too-short' } });
  });
});

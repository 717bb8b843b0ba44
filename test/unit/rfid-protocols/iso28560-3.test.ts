import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes as h, xor8 } from '../../../protocols/crc/index.ts';
import {
  decodeIso28560_3,
  encodeIso28560_3,
  iso28560_3Crc,
  iso28560_3StoredCrc,
} from '../../../protocols/iso28560/index.ts';

const ascii = (s: string): string =>
  Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, '0')).join(' ');
const zeros = (n: number): string => Array(n).fill('00').join(' ');

/** libdanrfid DDMDataTest vector: v1 circulating, 1 of 1, "11223344", CRC 0x3E51, "DE" + "705". */
const LIBDANRFID = h(
  `11 01 01 ${ascii('11223344')} ${zeros(8)} 51 3E ${ascii('DE705')} ${zeros(8)}`,
);

/** The reference's worked example: 2-part kit, part 1, "30012345678", CRC 0x48CE, "SI" "51000". */
const WORKED = h(`11 02 01 ${ascii('30012345678')} ${zeros(5)} CE 48 ${ascii('SI51000')} ${zeros(6)}`);

describe('ISO 28560-3 decode', () => {
  it('decodes the libdanrfid test vector field by field', () => {
    expect(LIBDANRFID.length).toBe(34);
    const r = decodeIso28560_3(LIBDANRFID);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      version: 1,
      typeOfUsage: 1,
      partsInSet: 1,
      partNumber: 1,
      primaryItemId: '11223344',
      crc: { stored: 0x3e51, computed: 0x3e51, status: 'valid' },
      country: 'DE',
      library: '705',
      truncated: false,
      extensionBlocks: [],
    });
    expect(r.quirks).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('reads byte 1 as number of parts and byte 2 as part number (the THWildau parser has them swapped)', () => {
    const r = decodeIso28560_3(WORKED);
    expect(r.ok && [r.value.partsInSet, r.value.partNumber]).toEqual([2, 1]);
  });

  it('stores the CRC LSB first at byte 19', () => {
    expect(iso28560_3StoredCrc(WORKED)).toBe(0x48ce);
    expect(iso28560_3Crc(WORKED)).toBe(0x48ce);
  });

  it('tolerates a missing CRC (00 00) and says so', () => {
    const tag = Uint8Array.from(LIBDANRFID);
    tag[19] = 0;
    tag[20] = 0;
    const r = decodeIso28560_3(tag);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.crc.status).toBe('missing');
    expect(r.quirks).toEqual(['missing-crc']);
    expect(r.value.primaryItemId).toBe('11223344');
  });

  it('reports a wrong CRC as a quirk, or refuses it in strict mode', () => {
    const tag = Uint8Array.from(LIBDANRFID);
    tag[10] = 0x39; // "1122334" + "9": data changed after the CRC was written
    const r = decodeIso28560_3(tag);
    expect(r.ok && r.value.crc.status).toBe('mismatch');
    expect(r.ok && r.quirks).toEqual(['bad-crc']);
    const strict = decodeIso28560_3(tag, { strictCrc: true });
    expect(strict.ok).toBe(false);
    expect(!strict.ok && strict.error.code).toBe('bad-crc');
  });

  it('undoes the Bibliotheca nibble swap (0x21 = not for circulation)', () => {
    const enc = encodeIso28560_3({ typeOfUsage: 2, primaryItemId: 'REF-1', country: 'DK', library: '718500' });
    expect(enc.ok).toBe(true);
    if (!enc.ok) return;
    const tag = Uint8Array.from(enc.bytes);
    tag[0] = 0x21;
    // Bibliotheca computes the CRC over what it stores.
    const crc = iso28560_3Crc(tag);
    tag[19] = crc & 0xff;
    tag[20] = crc >> 8;
    const r = decodeIso28560_3(tag);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([r.value.version, r.value.typeOfUsage]).toEqual([1, 2]);
    expect(r.quirks).toEqual(['swapped-usage-nibbles']);
    expect(r.value.crc.status).toBe('valid');
  });

  it('accepts a swapped byte whose CRC was computed over the standard byte', () => {
    const enc = encodeIso28560_3({ typeOfUsage: 7, primaryItemId: 'OLD-1' });
    if (!enc.ok) throw new Error('encode failed');
    const tag = Uint8Array.from(enc.bytes);
    tag[0] = 0x71;
    const r = decodeIso28560_3(tag);
    expect(r.ok && r.value.crc.status).toBe('valid');
    expect(r.ok && r.value.typeOfUsage).toBe(7);
    expect(r.ok && r.warnings.map((w) => w.code)).toContain('crc-over-unswapped-byte');
  });

  it('strips a country repeated inside the ISIL ("DE" + "DE705")', () => {
    const tag = Uint8Array.from(LIBDANRFID);
    tag.set(new TextEncoder().encode('DEDE705'), 21);
    const crc = iso28560_3Crc(tag);
    tag[19] = crc & 0xff;
    tag[20] = crc >> 8;
    const r = decodeIso28560_3(tag);
    expect(r.ok && [r.value.country, r.value.library]).toEqual(['DE', '705']);
    expect(r.ok && r.quirks).toEqual(['country-repeated-in-isil']);
  });

  it('flags a part number greater than the number of parts', () => {
    const tag = Uint8Array.from(LIBDANRFID);
    tag[1] = 2;
    tag[2] = 3;
    const crc = iso28560_3Crc(tag);
    tag[19] = crc & 0xff;
    tag[20] = crc >> 8;
    const r = decodeIso28560_3(tag);
    expect(r.ok && r.quirks).toEqual(['part-number-exceeds-parts']);
  });

  it('decodes a 32-byte (truncated) tag: 9 bytes of library, CRC with bytes 32–33 as zero', () => {
    const enc = encodeIso28560_3({ typeOfUsage: 1, primaryItemId: '123', country: 'DK', library: '123456789', truncated: true });
    expect(enc.ok).toBe(true);
    if (!enc.ok) return;
    expect(enc.bytes.length).toBe(32);
    const r = decodeIso28560_3(enc.bytes);
    expect(r.ok && r.value.truncated).toBe(true);
    expect(r.ok && r.value.library).toBe('123456789');
    expect(r.ok && r.value.crc.status).toBe('valid');
    // The same content in the 34-byte layout has the same CRC.
    const full = new Uint8Array(34);
    full.set(enc.bytes);
    expect(iso28560_3Crc(full)).toBe(iso28560_3StoredCrc(enc.bytes));
  });

  it('refuses less than 32 bytes', () => {
    const r = decodeIso28560_3(LIBDANRFID.subarray(0, 31));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('too-short');
  });
});

describe('ISO 28560-3 encode', () => {
  it('reproduces the worked example byte for byte (padded to whole blocks)', () => {
    const r = encodeIso28560_3({
      typeOfUsage: 1,
      partsInSet: 2,
      partNumber: 1,
      primaryItemId: '30012345678',
      country: 'SI',
      library: '51000',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(bytesToHex(r.bytes)).toBe(bytesToHex(WORKED) + ' 00 00');
  });

  it('splits an ISIL into country and library', () => {
    const r = encodeIso28560_3({ typeOfUsage: 1, primaryItemId: '11223344', isil: 'DE-705' });
    expect(r.ok && bytesToHex(r.bytes.subarray(0, 34))).toBe(bytesToHex(LIBDANRFID));
  });

  it('round-trips extension blocks with their XOR checksums', () => {
    const r = encodeIso28560_3({
      typeOfUsage: 1,
      primaryItemId: 'KIT-7',
      isil: 'DK-718500',
      extensionBlocks: [
        { id: 1, library: { mediaFormat: 2, alternativeItemId: 'ALT9', ownerInstitution: 'DK-710100' } },
        { id: 4, payload: new TextEncoder().encode('Title') },
      ],
      memoryBytes: 112,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.bytes.length).toBe(112);
    // First extension block starts at byte 34: length, id LSB, id MSB, checksum.
    const len = r.bytes[34] ?? 0;
    expect([r.bytes[35], r.bytes[36]]).toEqual([1, 0]);
    expect(xor8(r.bytes, 34, 34 + len)).toBe(0);

    const d = decodeIso28560_3(r.bytes);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.quirks).toEqual([]);
    expect(d.value.extensionBlocks).toHaveLength(2);
    expect(d.value.extensionBlocks[0]).toMatchObject({
      id: 1,
      checksumValid: true,
      library: { mediaFormat: 2, alternativeItemId: 'ALT9', ownerInstitution: 'DK-710100' },
    });
    expect(d.value.extensionBlocks[1]?.id).toBe(4);
    expect(new TextDecoder().decode(d.value.extensionBlocks[1]?.payload)).toBe('Title');
  });

  it('reports an extension block whose checksum is wrong and stops there', () => {
    const r = encodeIso28560_3({
      typeOfUsage: 1,
      primaryItemId: 'X1',
      extensionBlocks: [{ id: 3, payload: h('01 02 03') }, { id: 5, payload: h('04') }],
    });
    if (!r.ok) throw new Error('encode failed');
    const tag = Uint8Array.from(r.bytes);
    tag[38] = (tag[38] ?? 0) ^ 0xff; // corrupt the first block's payload
    const d = decodeIso28560_3(tag);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.quirks).toContain('bad-extension-block');
    expect(d.value.extensionBlocks).toHaveLength(1);
    expect(d.value.extensionBlocks[0]?.checksumValid).toBe(false);
  });

  it('skips one-byte fillers between extension blocks', () => {
    const r = encodeIso28560_3({ typeOfUsage: 1, primaryItemId: 'X2', extensionBlocks: [{ id: 3, payload: h('AA') }] });
    if (!r.ok) throw new Error('encode failed');
    const tag = new Uint8Array(48);
    tag.set(r.bytes.subarray(0, 34));
    tag[34] = 1; // filler
    tag.set(r.bytes.subarray(34, 39), 35);
    const d = decodeIso28560_3(tag);
    expect(d.ok && d.value.extensionBlocks.map((b) => [b.id, b.offset])).toEqual([[3, 35]]);
  });

  it('refuses fields that do not fit the layout', () => {
    expect(encodeIso28560_3({ typeOfUsage: 1, primaryItemId: '12345678901234567' })).toMatchObject({
      ok: false,
      error: { code: 'bad-item-id' },
    });
    expect(encodeIso28560_3({ typeOfUsage: 1, primaryItemId: 'A', partsInSet: 2, partNumber: 3 })).toMatchObject({
      ok: false,
      error: { code: 'bad-set-info' },
    });
    expect(encodeIso28560_3({ typeOfUsage: 16, primaryItemId: 'A' })).toMatchObject({ ok: false });
    expect(
      encodeIso28560_3({ typeOfUsage: 1, primaryItemId: 'A', library: '1234567890', truncated: true }),
    ).toMatchObject({ ok: false, error: { code: 'bad-library' } });
  });
});

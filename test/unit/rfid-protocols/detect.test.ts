import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../protocols/crc/index.ts';
import {
  AFI_3M,
  AFI_ISO28560,
  DSFID_ISO28560_2,
  afiFor,
  detectAndDecode,
  encodeIso28560_2,
  encodeIso28560_3,
  encodeRfid501,
  iso28560_3Crc,
  reverseBlockBytes,
  securityFromAfi,
  splitBlocks,
} from '../../../protocols/iso28560/index.ts';

function must(r: { ok: true; bytes: Uint8Array } | { ok: false; error: { message: string } }): Uint8Array {
  if (!r.ok) throw new Error(r.error.message);
  return r.bytes;
}

const KIT_PART_1 = must(
  encodeIso28560_3({
    typeOfUsage: 1,
    partsInSet: 2,
    partNumber: 1,
    primaryItemId: '30012345678',
    isil: 'SI-51000',
    memoryBytes: 112,
  }),
);

describe('detectAndDecode: ISO 28560-3', () => {
  it('decodes blocks as read into the common shape', () => {
    const r = detectAndDecode(splitBlocks(KIT_PART_1));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.tag).toMatchObject({
      model: 'iso28560-3',
      primaryItemId: '30012345678',
      ownerLibrary: 'SI-51000',
      country: 'SI',
      setInfo: { partNumber: 1, partsInSet: 2 },
      usage: 'circulating',
      usageCode: 1,
      quirks: [],
    });
    expect(r.score).toBe(100);
  });

  it('undoes blocks reversed within 4 bytes (FEIG MSB-first / FKI writers) and says so', () => {
    const reversed = reverseBlockBytes(KIT_PART_1);
    const r = detectAndDecode(reversed);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.tag.model).toBe('iso28560-3');
    expect(r.tag.quirks).toEqual(['reversed-blocks']);
    expect(r.tag.primaryItemId).toBe('30012345678');
    expect(bytesToHex(r.tag.normalized)).toBe(bytesToHex(KIT_PART_1));
    expect(bytesToHex(r.tag.raw)).toBe(bytesToHex(reversed));
  });

  it('handles swapped usage nibbles on reversed blocks together', () => {
    const tag = must(encodeIso28560_3({ typeOfUsage: 8, primaryItemId: 'P-00042', isil: 'DK-718500' }));
    const swapped = Uint8Array.from(tag);
    swapped[0] = 0x81;
    const crc = iso28560_3Crc(swapped);
    swapped[19] = crc & 0xff;
    swapped[20] = crc >> 8;
    const r = detectAndDecode(reverseBlockBytes(swapped));
    expect(r.ok && r.tag.usage).toBe('patron-card');
    expect(r.ok && r.tag.quirks).toEqual(['reversed-blocks', 'swapped-usage-nibbles']);
  });

  it('accepts a tag without CRC, reporting it, unless strictCrc is set', () => {
    const tag = Uint8Array.from(KIT_PART_1);
    tag[19] = 0;
    tag[20] = 0;
    const r = detectAndDecode(tag);
    expect(r.ok && r.tag.model).toBe('iso28560-3');
    expect(r.ok && r.tag.quirks).toEqual(['missing-crc']);
    expect(r.ok && r.tag.primaryItemId).toBe('30012345678');
    const strict = detectAndDecode(tag, { strictCrc: true });
    expect(strict.ok).toBe(false);
    expect(!strict.ok && strict.error.code).toBe('unrecognised');
  });

  it('accepts a plausible tag with a wrong CRC, reporting bad-crc', () => {
    const tag = Uint8Array.from(KIT_PART_1);
    tag[20] = (tag[20] ?? 0) ^ 0x01;
    const r = detectAndDecode(tag);
    expect(r.ok && r.tag.quirks).toEqual(['bad-crc']);
    expect(r.ok && r.tag.warnings.map((w) => w.code)).toContain('bad-crc');
  });

  it('maps a country repeated in the ISIL to one owner library', () => {
    const tag = must(encodeIso28560_3({ typeOfUsage: 1, primaryItemId: '11223344', country: 'DE', library: 'DE705' }));
    const r = detectAndDecode(tag);
    expect(r.ok && [r.tag.ownerLibrary, r.tag.quirks]).toEqual(['DE-705', ['country-repeated-in-isil']]);
  });
});

describe('detectAndDecode: ISO 28560-2 and 3M 501', () => {
  const ISO2 = encodeIso28560_2(
    {
      primaryItemId: '123456789012',
      ownerInstitution: 'US-InU-Mu',
      setInfo: { partsInSet: 3, partNumber: 2 },
      typeOfUsage: 0x10,
    },
    { lockedOids: [1], memoryBytes: 112 },
  );
  const iso2 = ISO2.ok ? ISO2.bytes : new Uint8Array();

  it('decodes ISO 28560-2, with or without the DSFID hint', () => {
    for (const opts of [{ dsfid: DSFID_ISO28560_2 }, {}]) {
      const r = detectAndDecode(iso2, opts);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.tag).toMatchObject({
        model: 'iso28560-2',
        primaryItemId: '123456789012',
        ownerLibrary: 'US-InU-Mu',
        country: 'US',
        setInfo: { partNumber: 2, partsInSet: 3 },
        usage: 'circulating',
        usageCode: 0x10,
        quirks: [],
      });
    }
    const withHint = detectAndDecode(iso2, { dsfid: DSFID_ISO28560_2 });
    const without = detectAndDecode(iso2);
    expect(withHint.ok && without.ok && withHint.score > without.score).toBe(true);
  });

  it('decodes ISO 28560-2 read with reversed blocks', () => {
    const r = detectAndDecode(reverseBlockBytes(iso2), { dsfid: DSFID_ISO28560_2 });
    expect(r.ok && [r.tag.model, r.tag.primaryItemId, r.tag.quirks]).toEqual([
      'iso28560-2',
      '123456789012',
      ['reversed-blocks'],
    ]);
  });

  it('decodes the 3M 501 layout', () => {
    const tag = must(encodeRfid501({ primaryItemId: '1302003767', itemType: 9, setInfo: { partNumber: 1, partsInSet: 2 } }));
    const r = detectAndDecode(tag);
    expect(r.ok && r.tag).toMatchObject({
      model: '3m-501',
      primaryItemId: '1302003767',
      setInfo: { partNumber: 1, partsInSet: 2 },
      usage: 'circulating',
      quirks: [],
      details: { model: '3m-501', data: { itemType: 9, itemTypeLabel: 'Book with CD/CD ROM' } },
    });
  });

  it('prefers memory order when both orientations read the same (palindromic blocks)', () => {
    const ascii = new TextEncoder();
    const tag = new Uint8Array(32);
    tag.set([0x04, 0x11, 0x11, 0x04]);
    tag.set(ascii.encode('ABBACDDC'), 4);
    const r = detectAndDecode(tag);
    expect(r.ok && [r.tag.model, r.tag.primaryItemId, r.tag.quirks]).toEqual(['3m-501', 'ABBACDDC', ['rfid501-unexpected-fixed-bytes']]);
  });

  it('can be limited to some models', () => {
    const tag = must(encodeRfid501({ primaryItemId: '1302003767' }));
    const r = detectAndDecode(tag, { models: ['iso28560-3', 'iso28560-2'] });
    expect(r.ok).toBe(false);
  });
});

describe('detectAndDecode: data it cannot use', () => {
  it('reports blank tags instead of decoding them', () => {
    expect(detectAndDecode(new Uint8Array(112))).toMatchObject({ ok: false, error: { code: 'blank', blank: 'zeroed' } });
    const factory = new Uint8Array(32);
    factory.fill(0x55, 0, 24);
    expect(detectAndDecode(factory)).toMatchObject({ ok: false, error: { code: 'blank', blank: '3m-factory' } });
  });

  it('reports empty input', () => {
    expect(detectAndDecode([])).toMatchObject({ ok: false, error: { code: 'empty' } });
  });

  it('reports garbage as unrecognised', () => {
    const garbage = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 0x80) & 0xff);
    expect(detectAndDecode(garbage)).toMatchObject({ ok: false, error: { code: 'unrecognised' } });
  });

  it('never throws, whatever the bytes', () => {
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed >> 16;
    };
    const samples: Uint8Array[] = [];
    for (let len = 0; len < 140; len++) samples.push(Uint8Array.from({ length: len }, () => next() & 0xff));
    // Truncated and corrupted copies of valid tags are the nastiest inputs.
    for (let cut = 0; cut <= KIT_PART_1.length; cut += 3) samples.push(KIT_PART_1.subarray(0, cut));
    for (let i = 0; i < 60; i++) {
      const t = Uint8Array.from(KIT_PART_1);
      t[next() % t.length] = next() & 0xff;
      samples.push(t);
    }
    for (const s of samples) {
      const r = detectAndDecode(s);
      expect(typeof r.ok).toBe('boolean');
      if (r.ok) expect(r.tag.primaryItemId.length).toBeGreaterThan(0);
    }
  });
});

describe('security values', () => {
  it('knows the ISO and 3M AFI pairs', () => {
    expect(AFI_ISO28560).toEqual({ secured: 0x07, unsecured: 0xc2 });
    expect(AFI_3M).toEqual({ secured: 0xda, unsecured: 0xd7 });
    expect(securityFromAfi(0xda, AFI_3M)).toBe('secured');
    expect(securityFromAfi(0xc2, AFI_ISO28560)).toBe('unsecured');
    expect(securityFromAfi(0x07, AFI_3M)).toBe('unknown');
    expect(afiFor('unsecured', AFI_3M)).toBe(0xd7);
  });
});

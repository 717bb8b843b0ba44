import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes as h } from '../../../protocols/crc/index.ts';
import {
  COMPACTION,
  compactBest,
  compactIsil,
  compactWith,
  decodeIso28560_2,
  decodeSetInformation,
  encodeIso28560_2,
  expand,
  expandIsil,
  ISO28560_OID,
} from '../../../protocols/iso28560/index.ts';

/** dp2 unit-test vector (ISO 28560-2 example, 9 blocks, lock map "ll....lll"). */
const DP2 = h(
  '91 00 05 1C BE 99 1A 14  02 01 D0  14 02 04 B3  46 07 44 1C B6 E2 E3 35 D6  83 02 07 AC C0 9E BA A0 6F 6B 00 00',
);

describe('ISO 28560-2 decode', () => {
  it('decodes the dp2 vector', () => {
    const r = decodeIso28560_2(DP2);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.quirks).toEqual([]);
    expect(r.value).toMatchObject({
      primaryItemId: '123456789012',
      contentParameter: [3, 4, 6],
      setInfo: { partsInSet: 12, partNumber: 3 },
      shelfLocation: 'QA268.L55',
      ownerInstitution: 'US-InU-Mu',
      usedBytes: 36,
    });
    expect(r.value.elements.map((e) => [e.oid, e.compaction, e.offset, e.size, e.paddingLength])).toEqual([
      [1, COMPACTION.integer, 0, 8, 0],
      [2, COMPACTION.applicationDefined, 8, 3, 0],
      [4, COMPACTION.integer, 11, 4, 0],
      [6, COMPACTION.sixBit, 15, 9, 0],
      [3, COMPACTION.applicationDefined, 24, 12, 2],
    ]);
  });

  it('stops at a 0x00 precursor and ignores the zeroed rest of the memory', () => {
    const tag = new Uint8Array(112);
    tag.set(DP2);
    const r = decodeIso28560_2(tag);
    expect(r.ok && r.value.usedBytes).toBe(36);
    expect(r.ok && r.quirks).toEqual([]);
  });

  it('reads a relative OID (precursor OID 15 + byte holding OID − 15)', () => {
    // OID 17 (title), octets: precursor 0x6F, relative OID 2, length 3, "Abc"
    const r = decodeIso28560_2(h('11 01 05 6F 02 03 41 62 63'));
    expect(r.ok && r.value.elements[1]).toMatchObject({ oid: 17, text: 'Abc' });
    expect(r.ok && r.value.title).toBe('Abc');
  });

  it('reports a content parameter that does not match the elements', () => {
    // content parameter announces OIDs 3,4,6 but only OID 4 follows
    const r = decodeIso28560_2(h('11 01 05 02 01 D0 14 01 15'));
    expect(r.ok && r.quirks).toEqual(['content-parameter-mismatch']);
    expect(r.ok && r.value.setInfo).toEqual({ partsInSet: 2, partNumber: 1 });
  });

  it('reports elements before the primary item id', () => {
    const r = decodeIso28560_2(h('14 01 15 11 01 05'));
    expect(r.ok && r.quirks).toEqual(['pii-not-first']);
    expect(r.ok && r.value.primaryItemId).toBe('5');
  });

  it('keeps what it could read when an element runs past the data', () => {
    const r = decodeIso28560_2(h('11 01 05 46 09 44 1C'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.primaryItemId).toBe('5');
    expect(r.quirks).toEqual(['trailing-garbage']);
    expect(r.warnings.map((w) => w.code)).toEqual(['truncated-element']);
  });

  it('treats a precursor with OID 0 as the end of ISO 28560-2 data, not as an element', () => {
    const r = decodeIso28560_2(h('11 01 05 30 02 41 42'));
    expect(r.ok && r.value.elements.map((e) => e.oid)).toEqual([1]);
    expect(r.ok && r.quirks).toEqual(['trailing-garbage']);
    expect(r.ok && r.warnings.map((w) => w.code)).toEqual(['invalid-precursor']);
  });

  it('returns an error (not an exception) when nothing can be read', () => {
    expect(decodeIso28560_2(new Uint8Array(16))).toMatchObject({ ok: false, error: { code: 'no-elements' } });
    expect(decodeIso28560_2(h('91'))).toMatchObject({ ok: false });
  });

  it('restores the leading zero integer compaction drops from set information', () => {
    expect(decodeSetInformation('102')).toEqual({ partsInSet: 1, partNumber: 2 });
    expect(decodeSetInformation('1203')).toEqual({ partsInSet: 12, partNumber: 3 });
    expect(decodeSetInformation('21')).toEqual({ partsInSet: 2, partNumber: 1 });
    expect(decodeSetInformation('A1')).toBeUndefined();
  });
});

describe('ISO 28560-2 encode', () => {
  it('reproduces the dp2 vector when OIDs 1 and 3 are to be locked', () => {
    const r = encodeIso28560_2(
      {
        primaryItemId: '123456789012',
        ownerInstitution: 'US-InU-Mu',
        setInfo: { partsInSet: 12, partNumber: 3 },
        shelfLocation: 'QA268.L55',
      },
      { lockedOids: [ISO28560_OID.primaryItemId, ISO28560_OID.ownerInstitution] },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(bytesToHex(r.bytes)).toBe(bytesToHex(DP2));
    expect(r.lockedBlocks).toEqual([0, 1, 6, 7, 8]);
  });

  it('round-trips patron-card and title data, padded to the tag memory', () => {
    const r = encodeIso28560_2(
      {
        primaryItemId: '0001234',
        ownerInstitution: 'SI-51000',
        typeOfUsage: 0x81,
        title: 'Čarobna piščal',
        others: [{ oid: ISO28560_OID.localDataC, value: 'x-1' }],
      },
      { memoryBytes: 112 },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.bytes.length).toBe(112);
    expect(r.lockedBlocks).toEqual([]);
    const d = decodeIso28560_2(r.bytes);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.quirks).toEqual([]);
    expect(d.value).toMatchObject({
      primaryItemId: '0001234',
      ownerInstitution: 'SI-51000',
      typeOfUsage: 0x81,
      title: 'Čarobna piščal',
      contentParameter: [3, 5, 17, 26],
    });
    expect(d.value.elements.find((e) => e.oid === 26)?.text).toBe('x-1');
    expect(d.value.elements[0]?.compaction).toBe(COMPACTION.numeric); // leading zeros keep it out of integer
  });

  it('writes set information as "parts" followed by "part", both the same width', () => {
    const r = encodeIso28560_2({ primaryItemId: 'B1', setInfo: { partsInSet: 10, partNumber: 3 } });
    const d = r.ok ? decodeIso28560_2(r.bytes) : undefined;
    expect(d?.ok && d.value.elements.find((e) => e.oid === 4)?.text).toBe('1003');
    expect(d?.ok && d.value.setInfo).toEqual({ partsInSet: 10, partNumber: 3 });
  });

  it('refuses impossible input', () => {
    expect(encodeIso28560_2({ primaryItemId: '' })).toMatchObject({ ok: false, error: { code: 'bad-item-id' } });
    expect(encodeIso28560_2({ primaryItemId: '1', setInfo: { partsInSet: 1, partNumber: 2 } })).toMatchObject({
      ok: false,
      error: { code: 'bad-set-info' },
    });
    expect(
      encodeIso28560_2({ primaryItemId: '1', shelfLocation: 'A1', others: [{ oid: 6, value: 'B2' }] }),
    ).toMatchObject({ ok: false, error: { code: 'duplicate-oid' } });
  });
});

describe('ISO/IEC 15962 compaction', () => {
  it('ISIL compaction of "US-InU-Mu" matches the dp2 vector (shift to lower case, 1-bit pad)', () => {
    expect(bytesToHex(compactIsil('US-InU-Mu') ?? new Uint8Array())).toBe('AC C0 9E BA A0 6F 6B');
    expect(expandIsil(h('AC C0 9E BA A0 6F 6B'))).toBe('US-InU-Mu');
  });

  it.each(['DK-718500', 'FI-He', 'SI-51000', 'DE-Wi1:x/y', 'GB-UkOxU', 'US-DLC', '1234-abc'])(
    'ISIL %s round-trips',
    (isil) => {
      const bytes = compactIsil(isil);
      expect(bytes).toBeDefined();
      expect(expandIsil(bytes ?? new Uint8Array())).toBe(isil);
    },
  );

  it('ISIL compaction refuses characters outside the ISIL set', () => {
    expect(compactIsil('DK 1')).toBeUndefined();
  });

  it('integer, numeric and 6-bit match the dp2 bytes', () => {
    expect(bytesToHex(compactWith(COMPACTION.integer, '123456789012') ?? new Uint8Array())).toBe('1C BE 99 1A 14');
    expect(bytesToHex(compactWith(COMPACTION.sixBit, 'QA268.L55') ?? new Uint8Array())).toBe('44 1C B6 E2 E3 35 D6');
    expect(bytesToHex(compactWith(COMPACTION.numeric, '0123') ?? new Uint8Array())).toBe('01 23');
    expect(bytesToHex(compactWith(COMPACTION.numeric, '012') ?? new Uint8Array())).toBe('01 2F');
    expect(expand(COMPACTION.numeric, h('01 2F'))).toBe('012');
  });

  it('drops a whole pad character at the end of 6-bit and 7-bit data', () => {
    // 3 six-bit chars = 18 bits → 3 bytes with 6 pad bits "100000" (a space)
    const six = compactWith(COMPACTION.sixBit, 'AB1') ?? new Uint8Array();
    expect(six.length).toBe(3);
    expect(expand(COMPACTION.sixBit, six)).toBe('AB1');
    // 7 seven-bit chars = 49 bits → 7 bytes with 7 pad bits 1111111
    const seven = compactWith(COMPACTION.sevenBit, 'abcdefg') ?? new Uint8Array();
    expect(seven.length).toBe(7);
    expect(expand(COMPACTION.sevenBit, seven)).toBe('abcdefg');
  });

  it('5-bit stops at the zero padding', () => {
    const five = compactWith(COMPACTION.fiveBit, 'AB') ?? new Uint8Array(); // 10 bits + 6 zero bits
    expect(five.length).toBe(2);
    expect(expand(COMPACTION.fiveBit, five)).toBe('AB');
  });

  it('picks the shortest scheme, lower scheme number on ties', () => {
    const pick = (s: string): number => compactBest(s).scheme;
    expect(pick('1203')).toBe(COMPACTION.integer);
    expect(pick('0012')).toBe(COMPACTION.numeric);
    expect(pick('ABCDEFGH')).toBe(COMPACTION.fiveBit);
    expect(pick('QA268.L55')).toBe(COMPACTION.sixBit);
    expect(pick('lower case text')).toBe(COMPACTION.sevenBit);
    expect(pick('Ærø')).toBe(COMPACTION.octet);
    expect(pick('Čapek')).toBe(COMPACTION.utf8);
    for (const s of ['1203', '0012', 'ABCDEFGH', 'QA268.L55', 'lower case text', 'Ærø', 'Čapek', 'A', '7']) {
      const c = compactBest(s);
      expect(expand(c.scheme, c.bytes)).toBe(s);
    }
  });
});

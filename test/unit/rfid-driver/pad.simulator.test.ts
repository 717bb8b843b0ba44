/** The virtual pad: tags made from item data with the codecs, controls, locks and faults. */
import { describe, expect, it } from 'vitest';
import { detectAndDecode } from '../../../protocols/iso28560/index.ts';
import { RfidPad, kitTags, libraryTag } from '../../../drivers/rfid/pad.simulator.ts';

describe('RfidPad', () => {
  it('builds library tags whose memory decodes to the item (ISO 28560-3, -2, 3M 501, reversed blocks)', () => {
    const cases = [
      libraryTag({ barcode: '30012345678', ownerIsil: 'SI-51000', set: { partNumber: 2, partsInSet: 3 } }),
      libraryTag({ barcode: '30012345678', ownerIsil: 'SI-51000', set: { partNumber: 2, partsInSet: 3 }, model: 'iso28560-2' }),
      libraryTag({ barcode: '30012345678', set: { partNumber: 2, partsInSet: 3 }, model: '3m-501' }),
      libraryTag({ barcode: '30012345678', ownerIsil: 'SI-51000', set: { partNumber: 2, partsInSet: 3 }, reversedBlocks: true }),
    ];
    const models = cases.map((spec) => {
      const d = detectAndDecode(spec.memory!, { dsfid: spec.dsfid ?? 0 });
      expect(d.ok && d.tag.primaryItemId).toBe('30012345678');
      expect(d.ok && d.tag.setInfo).toEqual({ partNumber: 2, partsInSet: 3 });
      return d.ok ? `${d.tag.model}${d.tag.quirks.length ? ' ' + d.tag.quirks.join() : ''}` : 'failed';
    });
    expect(models).toEqual(['iso28560-3', 'iso28560-2', '3m-501', 'iso28560-3 reversed-blocks']);
    expect(cases[0]).toMatchObject({ afi: 0x07, eas: true, dsfid: 0, blockCount: 28 });
    expect(cases[1]?.dsfid).toBe(0x06);
    expect(libraryTag({ barcode: 'X', secured: false, afiPair: { secured: 0xda, unsecured: 0xd7 } })).toMatchObject({ afi: 0xd7, eas: false });
  });

  it('places, lists and removes tags; UIDs are ICODE-like and reproducible from the seed', () => {
    const a = new RfidPad({ seed: 7 });
    const b = new RfidPad({ seed: 7 });
    const changes: number[] = [];
    a.on('tags.changed', (tags) => changes.push(tags.length));
    const uids = a.placeTags(kitTags({ barcode: 'K', parts: 3 }));
    expect(b.placeTags(kitTags({ barcode: 'K', parts: 3 }))).toEqual(uids);
    expect(uids.every((u) => /^E00401[0-9A-F]{10}$/.test(u))).toBe(true);
    expect(a.listTags().map((t) => t.label)).toEqual(['K 1/3', 'K 2/3', 'K 3/3']);
    expect(a.removeTag(uids[0]!)).toBe(true);
    expect(a.removeTag(uids[0]!)).toBe(false);
    expect(changes).toEqual([3, 2]);
    // Snapshots are copies.
    a.getTag(uids[1]!)!.memory.fill(0xff);
    expect(a.getTag(uids[1]!)!.memory[0]).not.toBe(0xff);
  });

  it('locked blocks, AFI and EAS refuse writes; counted faults fire the given number of times', () => {
    const pad = new RfidPad();
    const uid = pad.placeTag({ lockedBlocks: [1], afiLocked: true });
    expect(pad.writeBlocks(uid, 0, new Uint8Array(8).fill(1))).toMatchObject({ ok: false, error: 'locked', done: 1 });
    expect(pad.getTag(uid)!.memory.subarray(0, 8)).toEqual(Uint8Array.of(1, 1, 1, 1, 0, 0, 0, 0));
    expect(pad.writeAfi(uid, 0xc2)).toMatchObject({ ok: false, error: 'locked' });
    pad.lock(uid, { eas: true });
    expect(pad.setEas(uid, true)).toMatchObject({ ok: false, error: 'locked' });

    const other = pad.placeTag({});
    pad.setFault({ kind: 'write-error', count: 2 });
    expect(pad.activeFaults()).toEqual([{ kind: 'write-error', count: 2 }]);
    expect(pad.writeAfi(other, 1).ok).toBe(false);
    expect(pad.writeAfi(other, 1).ok).toBe(false);
    expect(pad.writeAfi(other, 1).ok).toBe(true);
    expect(pad.activeFaults()).toEqual([]);
    expect(pad.readBlocks(other, 27, 2, false)).toMatchObject({ ok: false, error: 'block-unavailable' });
  });

  it('a tag can leave the field in the middle of a multi-block write', () => {
    const pad = new RfidPad();
    const uid = pad.placeTag({});
    pad.setFault({ kind: 'tag-removed-mid-write', uid, afterBlocks: 3 });
    const r = pad.writeBlocks(uid, 0, new Uint8Array(20).fill(9));
    expect(r).toMatchObject({ ok: false, error: 'no-tag', done: 3 });
    expect(pad.listTags()).toEqual([]);
  });

  it('EAS alarm answers only when EAS is set; AFI filters the inventory', () => {
    const pad = new RfidPad();
    const on = pad.placeTag({ eas: true, afi: 0x07 });
    const off = pad.placeTag({ eas: false, afi: 0xc2 });
    expect(pad.easAlarm(on)).toMatchObject({ ok: true, value: true });
    expect(pad.easAlarm(off)).toMatchObject({ ok: true, value: false });
    expect(pad.inventory(0xc2).tags.map((t) => t.uid)).toEqual([off]);
    expect(pad.inventory().tags).toHaveLength(2);
  });

  it('unplug and replug are events the readers follow', () => {
    const pad = new RfidPad();
    const seen: string[] = [];
    pad.on('unplugged', (reason) => seen.push(`unplugged: ${reason}`));
    pad.on('plugged', () => seen.push('plugged'));
    pad.setFault({ kind: 'unplug', reason: 'cable' });
    expect(pad.plugged).toBe(false);
    pad.replug();
    expect(seen).toEqual(['unplugged: cable', 'plugged']);
  });
});

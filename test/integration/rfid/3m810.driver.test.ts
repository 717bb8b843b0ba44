/**
 * The 3M 810 driver against the 3M pad simulator over the in-process serialport binding
 * (binding-mock): the exact request bytes the driver writes (reference frames from devices.md
 * §2.1, CRC-checked there) and what it makes of the answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeThreeMRequest } from '../../../protocols/3m810/index.ts';
import { bytesToHex, hexToBytes } from '../../../protocols/crc/index.ts';
import { detectAndDecode, encodeIso28560_2 } from '../../../protocols/iso28560/index.ts';
import { kitTags, libraryTag } from '../../../drivers/rfid/pad.simulator.ts';
import { inventoryAirTime } from '../../../drivers/rfid/air-time.ts';
import { closeAll, collect, next, rejectsWith, rig, states, UID } from './helpers.ts';

const hex = (b: Uint8Array): string => bytesToHex(b);

afterEach(closeAll);

describe('3M 810 driver over the simulator', () => {
  it('opens by asking the reader version and becomes ready', async () => {
    const r = rig('3m');
    const seen = states(r.reader);
    await r.reader.open();
    expect(r.sent()).toEqual(['D6 00 03 11 64 20']);
    expect(r.reader.firmware).toBe('3.2.6');
    expect(seen.map((s) => s.state)).toEqual(['connecting', 'ready']);
    expect(r.reader.status().reason).toBeNull();
  });

  it('inventories with FE 00 05 and lists each UID once, even when the firmware repeats one', async () => {
    const r = rig('3m');
    await r.reader.open();
    const other = r.pad.placeTag({});
    r.pad.placeTag({ uid: UID });
    r.pad.setFault({ kind: 'duplicate-uids' });
    r.clear();
    const tags = await r.reader.inventory();
    expect(r.sent()).toEqual(['D6 00 05 FE 00 05 FA 40']);
    expect(tags.map((t) => t.uid).sort()).toEqual([other, UID].sort());
    // The answer on the wire did carry four UIDs.
    const answer = r.sim.frames().filter((f) => f.dir === 'tx').at(-1);
    expect(answer?.bytes[7]).toBe(4);
  });

  it('reads blocks 0–7 with the reference frame and decodes an ISO 28560-3 item', async () => {
    const r = rig('3m', { reader: { readBlockCount: 8 } });
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: '30012345678', ownerIsil: 'SI-51000', set: { partNumber: 1, partsInSet: 2 } }));
    r.clear();
    const tag = await r.reader.readItem(UID);
    expect(r.sent()).toEqual(['D6 00 0D 02 E0 04 01 00 12 34 56 78 00 08 A0 79']);
    expect(tag.item).toMatchObject({
      model: 'iso28560-3',
      primaryItemId: '30012345678',
      ownerLibrary: 'SI-51000',
      country: 'SI',
      setInfo: { partNumber: 1, partsInSet: 2 },
      usage: 'circulating',
      quirks: [],
    });
    expect(tag.data?.length).toBe(32);
  });

  it('reads on while the data goes on, and asks a small tag its size', async () => {
    const r = rig('3m');
    await r.reader.open();
    // An ISO 28560-2 item with a title fills more than the first 9 blocks.
    const long = encodeIso28560_2({ primaryItemId: '123456789012', ownerInstitution: 'US-InU-Mu', title: 'The Lord of the Rings: The Two Towers' });
    if (!long.ok) throw new Error(long.error.message);
    expect(long.bytes.length).toBeGreaterThan(36);
    r.pad.placeTag({ uid: UID, memory: long.bytes, dsfid: 0x06 });
    const small = r.pad.placeTag(libraryTag({ barcode: 'B0001', model: '3m-501', blockCount: 8 }));
    const item = await r.reader.readItem(small);
    expect(item.item).toMatchObject({ model: '3m-501', primaryItemId: 'B0001' });
    // 9 blocks is past the end of an 8-block sticker: error 11, then tag info (0D, mask 04), then 8 blocks.
    const sent = r.sent().slice(-3);
    expect(sent[1]).toBe(hex(encodeThreeMRequest({ type: 'tagInfo', uid: small, mask: 0x04 })));
    expect(sent[2]).toBe(hex(encodeThreeMRequest({ type: 'readBlocks', uid: small, firstBlock: 0, blockCount: 8 })));
    r.clear();
    const titled = await r.reader.readItem(UID, 0x06);
    expect(titled.item).toMatchObject({ model: 'iso28560-2', primaryItemId: '123456789012', ownerLibrary: 'US-InU-Mu' });
    expect(titled.item?.details.model === 'iso28560-2' && titled.item.details.data.title).toBe('The Lord of the Rings: The Two Towers');
    expect(r.sent()).toEqual([
      hex(encodeThreeMRequest({ type: 'readBlocks', uid: UID, firstBlock: 0, blockCount: 9 })),
      hex(encodeThreeMRequest({ type: 'readBlocks', uid: UID, firstBlock: 9, blockCount: 9 })),
    ]);
  });

  it('secures and unsecures with the 3M AFI pair: get AFI, write AFI D7, read back', async () => {
    const r = rig('3m', { reader: { security: { method: 'afi', afi: '3m' } } });
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'X1', afiPair: { secured: 0xda, unsecured: 0xd7 } }));
    r.clear();
    const res = await r.reader.setSecurity(UID, false);
    expect(r.sent()).toEqual([
      'D6 00 0B 0A E0 04 01 00 12 34 56 78 7F 9F',
      'D6 00 0C 09 E0 04 01 00 12 34 56 78 D7 2D 9F',
      'D6 00 0B 0A E0 04 01 00 12 34 56 78 7F 9F',
    ]);
    expect(res).toEqual({ uid: UID, afi: 0xd7, state: 'unsecured', attempts: 1, changed: true });
    expect(r.pad.getTag(UID)?.afi).toBe(0xd7);
    // Already in the wanted state: read only, nothing written.
    r.clear();
    const again = await r.reader.setSecurity(UID, false);
    expect(again.changed).toBe(false);
    expect(r.sent()).toEqual(['D6 00 0B 0A E0 04 01 00 12 34 56 78 7F 9F']);
  });

  it('uses the EAS bit where the site says so (check EAS, EAS on, check again)', async () => {
    const r = rig('3m', { reader: { security: { method: 'eas' } } });
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'X1', secured: false }));
    r.clear();
    const res = await r.reader.setSecurity(UID, true);
    const checkEas = hex(encodeThreeMRequest({ type: 'checkEas', uid: UID }));
    const getAfi = 'D6 00 0B 0A E0 04 01 00 12 34 56 78 7F 9F';
    // EAS = 0 answers "no transponder", so the driver confirms the tag is there with a get AFI.
    expect(r.sent()).toEqual([checkEas, getAfi, 'D6 00 0C 0C E0 04 01 00 12 34 56 78 01 44 54', checkEas]);
    expect(res).toMatchObject({ eas: true, state: 'secured', changed: true });
    expect(r.pad.getTag(UID)?.eas).toBe(true);
  });

  it('writes blocks with 04 and verifies them with a read-back', async () => {
    const r = rig('3m');
    await r.reader.open();
    r.pad.placeTag({ uid: UID });
    r.clear();
    const data = hexToBytes('01 02 03 04 05 06 07 08');
    await r.reader.write(UID, 10, data);
    expect(r.sent()).toEqual([
      hex(encodeThreeMRequest({ type: 'writeBlocks', uid: UID, firstBlock: 10, data })),
      hex(encodeThreeMRequest({ type: 'readBlocks', uid: UID, firstBlock: 10, blockCount: 2 })),
    ]);
    // LEN 0x16: CMD, UID, first 0A, count 02, 00, 8 data bytes, BCC.
    expect(r.sent()[0]?.startsWith('D6 00 16 04 E0 04 01 00 12 34 56 78 0A 02 00 01 02 03 04 05 06 07 08 ')).toBe(true);
    expect(hex(r.pad.getTag(UID)!.memory.subarray(40, 48))).toBe('01 02 03 04 05 06 07 08');
  });

  it('programs a blank tag as ISO 28560-2 with DSFID 06 and the data reads back', async () => {
    const r = rig('3m');
    await r.reader.open();
    r.pad.placeTag({ uid: UID });
    const item = await r.reader.writeItemTag(UID, {
      primaryItemId: '30012345678',
      ownerLibrary: 'SI-51000',
      setInfo: { partNumber: 2, partsInSet: 3 },
      model: 'iso28560-2',
    });
    expect(item).toMatchObject({ model: 'iso28560-2', primaryItemId: '30012345678', setInfo: { partNumber: 2, partsInSet: 3 } });
    const tag = r.pad.getTag(UID)!;
    expect(tag.dsfid).toBe(0x06);
    expect(r.sent()).toContain(hex(encodeThreeMRequest({ type: 'writeDsfid', uid: UID, dsfid: 6 })));
    const decoded = detectAndDecode(tag.memory, { dsfid: tag.dsfid });
    expect(decoded.ok && decoded.tag.ownerLibrary).toBe('SI-51000');
  });

  it('reprogramming clears the old, longer data', async () => {
    const r = rig('3m');
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: '1234567890123', model: 'iso28560-2', ownerIsil: 'US-InU-Mu', set: { partNumber: 1, partsInSet: 2 } }));
    const item = await r.reader.writeItemTag(UID, { primaryItemId: 'A1', model: 'iso28560-3' });
    expect(item).toMatchObject({ model: 'iso28560-3', primaryItemId: 'A1' });
    const tag = r.pad.getTag(UID)!;
    expect(tag.dsfid).toBe(0); // the ISO 28560-2 hint is taken away
    expect(tag.memory.subarray(36).every((b) => b === 0)).toBe(true);
    const again = await r.reader.readItem(UID, tag.dsfid);
    expect(again.item?.quirks).toEqual([]);
  });

  it('continuous inventory: a kit arrives as parts 1/3, 2/3, 3/3 and a removed part departs', async () => {
    const r = rig('3m');
    await r.reader.open();
    const arrivals = collect(r.reader, 'tag.arrived', 3);
    r.reader.startInventory({ intervalMs: 5 });
    const uids = r.pad.placeTags(kitTags({ barcode: 'KIT-42', parts: 3, ownerIsil: 'SI-51000' }));
    const got = await arrivals;
    expect(got.map((t) => t.item?.setInfo).sort((a, b) => (a?.partNumber ?? 0) - (b?.partNumber ?? 0))).toEqual([
      { partNumber: 1, partsInSet: 3 },
      { partNumber: 2, partsInSet: 3 },
      { partNumber: 3, partsInSet: 3 },
    ]);
    expect(got.every((t) => t.item?.primaryItemId === 'KIT-42' && t.item.ownerLibrary === 'SI-51000')).toBe(true);
    expect(r.reader.presentTags()).toHaveLength(3);

    const departed = next(r.reader, 'tag.departed');
    r.pad.removeTag(uids[1]!);
    const [dep] = await departed;
    expect(dep).toMatchObject({ uid: uids[1], reason: 'left-field', item: { setInfo: { partNumber: 2, partsInSet: 3 } } });
    expect(r.reader.presentTags().map((t) => t.uid).sort()).toEqual([uids[0], uids[2]].sort());
    await r.reader.stopInventory();
    expect(r.reader.inventoryRunning).toBe(false);
  });

  it('accepts a UID in lower case and refuses a malformed one before anything is sent', async () => {
    const r = rig('3m');
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'LC-1' }));
    expect((await r.reader.readItem(UID.toLowerCase())).item?.primaryItemId).toBe('LC-1');
    r.clear();
    await rejectsWith(r.reader.setSecurity('E0040100', true), 'bad_request');
    await rejectsWith(r.reader.read(UID, 250, 10), 'bad_request');
    await rejectsWith(r.reader.write(UID, 0, new Uint8Array(3)), 'bad_request');
    expect(r.sent()).toEqual([]);
  });

  it('reports a blank tag as arrived without item data', async () => {
    const r = rig('3m');
    await r.reader.open();
    r.reader.startInventory({ intervalMs: 5 });
    const arrived = next(r.reader, 'tag.arrived');
    r.pad.placeTag({ uid: UID });
    const [tag] = await arrived;
    expect(tag.item).toBeUndefined();
    expect(tag.error).toMatchObject({ code: 'blank', blank: 'zeroed' });
  });

  it('answers take the modelled air and line time (timeScale 1)', async () => {
    const r = rig('3m', { timeScale: 1 });
    await r.reader.open();
    const uids = r.pad.placeTags(Array.from({ length: 5 }, () => ({})));
    const started = performance.now();
    await r.reader.inventory();
    const elapsed = performance.now() - started;
    const air = inventoryAirTime(uids).us / 1000;
    // Request 8 bytes; answer D6 LEN2 FE ERR AFI OPTS N 5×UID8 BCC2 = 50 bytes; 10 bits each at 19200.
    const line = ((8 + 50) * 10 * 1000) / 19200;
    const firmware = 1;
    expect(elapsed).toBeGreaterThanOrEqual(air + line + firmware - 1);
    expect(elapsed).toBeLessThan(air + line + firmware + 200); // generous: CI machines are busy
  });
});

/**
 * The FEIG ISC driver against the FEIG reader simulator over the in-process serialport binding:
 * exact request bytes (reference frames from devices.md §2.2, CRC-checked there), the MSB-first
 * block order on the wire, inventory continuation, NXP EAS commands.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFeigRequest } from '../../../protocols/feig-isc/index.ts';
import { bytesToHex, hexToBytes } from '../../../protocols/crc/index.ts';
import { kitTags, libraryTag } from '../../../drivers/rfid/pad.simulator.ts';
import { closeAll, collect, rig, states, UID } from './helpers.ts';

const hex = (b: Uint8Array): string => bytesToHex(b);

afterEach(closeAll);

describe('FEIG ISC driver over the simulator', () => {
  it('opens with [65] software version and becomes ready', async () => {
    const r = rig('feig');
    const seen = states(r.reader);
    await r.reader.open();
    expect(r.sent()).toEqual([hex(encodeFeigRequest({ type: 'softwareVersion' }))]);
    expect(r.sent()[0]).toMatch(/^05 FF 65 /);
    expect(r.reader.firmware).toBe('03.04.00.4C.00.00.08');
    expect(seen.map((s) => s.state)).toEqual(['connecting', 'ready']);
  });

  it('inventories with 07 FF B0 01 00 and reports DSFIDs', async () => {
    const r = rig('feig');
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'B1', model: 'iso28560-2' }));
    r.clear();
    expect(await r.reader.inventory()).toEqual([{ uid: UID, dsfid: 0x06 }]);
    expect(r.sent()).toEqual(['07 FF B0 01 00 1C 56']);
    r.pad.clear();
    expect(await r.reader.inventory()).toEqual([]);
  });

  it('repeats the inventory with MORE after status 94 when the answer would not fit', async () => {
    const r = rig('feig');
    await r.reader.open();
    const uids = r.pad.placeTags(Array.from({ length: 30 }, () => ({})));
    r.clear();
    const tags = await r.reader.inventory();
    expect(tags.map((t) => t.uid).sort()).toEqual([...uids].sort());
    expect(r.sent()).toEqual(['07 FF B0 01 00 1C 56', hex(encodeFeigRequest({ type: 'inventory', mode: 0x80 }))]);
  });

  it('reads 8 blocks addressed; block bytes travel MSB first and decode in memory order', async () => {
    const r = rig('feig', { reader: { readBlockCount: 8 } });
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: '30012345678', ownerIsil: 'SI-51000' }));
    r.clear();
    r.sim.clearFrames();
    const tag = await r.reader.readItem(UID, 0);
    expect(r.sent()).toEqual(['11 FF B0 23 01 E0 04 01 00 12 34 56 78 00 08 07 D6']);
    expect(tag.item).toMatchObject({ model: 'iso28560-3', primaryItemId: '30012345678', ownerLibrary: 'SI-51000', quirks: [] });
    // Answer: LEN ADR B0 STATUS DB-N DB-SIZE, then SEC + 4 bytes per block; block 0 is 11 01 01 '3' → 33 01 01 11.
    const answer = r.sim.frames().find((f) => f.dir === 'tx')!.bytes;
    expect(hex(answer.subarray(4, 11))).toBe('08 04 00 33 01 01 11');
  });

  it('secures with system info, write AFI 07, system info', async () => {
    const r = rig('feig');
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'X1', secured: false }));
    r.clear();
    const res = await r.reader.setSecurity(UID, true);
    expect(r.sent()).toEqual([
      '0F FF B0 2B 01 E0 04 01 00 12 34 56 78 11 A3',
      '10 FF B0 27 01 E0 04 01 00 12 34 56 78 07 D8 DE',
      '0F FF B0 2B 01 E0 04 01 00 12 34 56 78 11 A3',
    ]);
    expect(res).toEqual({ uid: UID, afi: 0x07, state: 'secured', attempts: 1, changed: true });
    expect(r.pad.getTag(UID)?.afi).toBe(0x07);
  });

  it('sets and resets the NXP EAS bit with [B1 04 A2/A3] and checks it with EAS alarm', async () => {
    const r = rig('feig', { reader: { security: { method: 'afi+eas' } } });
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'X1', secured: true }));
    r.clear();
    const res = await r.reader.setSecurity(UID, false);
    const sys = '0F FF B0 2B 01 E0 04 01 00 12 34 56 78 11 A3';
    const alarm = hex(encodeFeigRequest({ type: 'easAlarm', uid: UID }));
    expect(alarm.startsWith('10 FF B1 04 A5 01 E0 04 01 00 12 34 56 78')).toBe(true);
    expect(r.sent()).toEqual([
      sys,
      alarm,
      hex(encodeFeigRequest({ type: 'writeAfi', uid: UID, afi: 0xc2 })),
      hex(encodeFeigRequest({ type: 'resetEas', uid: UID })),
      sys,
      alarm,
      sys, // EAS alarm silence is confirmed: the tag is there, EAS is off
    ]);
    expect(res).toMatchObject({ afi: 0xc2, eas: false, state: 'unsecured' });
    expect(r.pad.getTag(UID)).toMatchObject({ afi: 0xc2, eas: false });
  });

  it('writes with [B0 24] (blocks reversed on the wire) and verifies', async () => {
    const r = rig('feig');
    await r.reader.open();
    r.pad.placeTag({ uid: UID });
    r.clear();
    await r.reader.write(UID, 3, hexToBytes('01 02 03 04'));
    expect(r.sent()[0]?.startsWith('16 FF B0 24 01 E0 04 01 00 12 34 56 78 03 01 04 04 03 02 01 ')).toBe(true);
    expect(r.sent()[1]).toBe(hex(encodeFeigRequest({ type: 'readBlocks', uid: UID, firstBlock: 3, blockCount: 1 })));
    expect(hex(r.pad.getTag(UID)!.memory.subarray(12, 16))).toBe('01 02 03 04');
  });

  it('keeps ≥ 5 ms of quiet before each request', async () => {
    const r = rig('feig');
    await r.reader.open();
    r.pad.placeTag({ uid: UID });
    const started = performance.now();
    for (let i = 0; i < 10; i++) await r.reader.inventory();
    // The first gap partly ran before `started` (after the probe's answer): 9 whole gaps at least.
    expect(performance.now() - started).toBeGreaterThanOrEqual(9 * 5 - 1);
  });

  it('continuous inventory decodes an ISO 28560-2 kit with its part numbers', async () => {
    const r = rig('feig');
    await r.reader.open();
    const arrivals = collect(r.reader, 'tag.arrived', 3);
    r.reader.startInventory({ intervalMs: 5 });
    r.pad.placeTags(kitTags({ barcode: 'KIT-7', parts: 3, model: 'iso28560-2', ownerIsil: 'SI-51000' }));
    const got = await arrivals;
    const parts = got.map((t) => `${t.item?.setInfo?.partNumber}/${t.item?.setInfo?.partsInSet}`).sort();
    expect(parts).toEqual(['1/3', '2/3', '3/3']);
    expect(got.every((t) => t.dsfid === 0x06 && t.item?.model === 'iso28560-2' && t.item.primaryItemId === 'KIT-7')).toBe(true);
  });
});

/**
 * `lockBlocks` / `readLocks` on both RFID drivers against their simulators over the in-process
 * serial binding: the frames the driver sends, what the virtual tag holds afterwards, and that a
 * locked block refuses every later write with the protocol's error (3M 0x12, FEIG 0x95 + ISO 0x12).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hexToBytes } from '../../../protocols/crc/index.ts';
import { libraryTag } from '../../../drivers/rfid/pad.simulator.ts';
import { closeAll, rejectsWith, rig, UID, type Family } from './helpers.ts';

afterEach(closeAll);

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each<Family>(['3m', 'feig'])('%s driver: locking blocks', (family) => {
  it('locks the data blocks, reads the state back, and the tag then refuses writes there', async () => {
    const r = rig(family);
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: '30100000001', ownerIsil: 'SI-50000' }));
    const before = r.pad.getTag(UID)!.memory;
    expect(await r.reader.readLocks(UID, 0, 12)).toEqual(Array(12).fill(false));

    r.clear();
    const res = await r.reader.lockBlocks(UID, [8, 0, 1, 2, 3, 4, 5, 6, 7, 7]);
    expect(res).toEqual({ uid: UID, locked: range(0, 8), alreadyLocked: [], failed: [] });
    expect(r.pad.getTag(UID)!.lockedBlocks).toEqual(range(0, 8));
    // Block 9 on is still writable; 0–8 read as locked.
    expect(await r.reader.readLocks(UID, 0, 12)).toEqual([...Array(9).fill(true), false, false, false]);

    const sent = r.sent();
    if (family === '3m') {
      // One 08 frame per block, e.g. block 3: D6 00 0C 08 UID 03 CRC (3M spec command table).
      const locks = sent.filter((f) => f.startsWith('D6 00 0C 08 '));
      expect(locks).toHaveLength(9);
      expect(locks).toContain('D6 00 0C 08 E0 04 01 00 12 34 56 78 03 C9 23');
    } else {
      // One [B0 22] frame for the run 0–8: MODE 01, UID, DB-ADR 00, DB-N 09 (manual §6.1.3) …
      expect(sent).toContain('11 FF B0 22 01 E0 04 01 00 12 34 56 78 00 09 DB 42');
      expect(sent.filter((f) => f.slice(6, 11) === 'B0 22')).toHaveLength(1);
      // … and the state read with [B0 2C] get multiple block security status.
      expect(sent.some((f) => f.slice(6, 11) === 'B0 2C')).toBe(true);
    }

    // A later write to a locked block is refused by the tag, with the protocol's own error.
    const err = await rejectsWith(r.reader.write(UID, 2, hexToBytes('41 42 43 44')), 'write_refused');
    expect(err.message).toMatch(family === '3m' ? /locked \(0x12\)/ : /ISO 15693 error 0x12 \(block locked/);
    await rejectsWith(r.reader.writeItemTag(UID, { primaryItemId: 'OTHER-1' }), 'write_refused');
    expect(r.pad.getTag(UID)!.memory).toEqual(before);
    // Outside the locked blocks the tag still takes data.
    await r.reader.write(UID, 10, hexToBytes('01 02 03 04'));
    expect(Array.from(r.pad.getTag(UID)!.memory.subarray(40, 44))).toEqual([1, 2, 3, 4]);
  });

  it('blocks locked already are reported as such and nothing is sent for them', async () => {
    const r = rig(family);
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'A1', lockedBlocks: [0, 1, 2] }));
    r.clear();
    const res = await r.reader.lockBlocks(UID, [0, 1, 2]);
    expect(res).toEqual({ uid: UID, locked: [], alreadyLocked: [0, 1, 2], failed: [] });
    const lockFrames = r.sent().filter((f) => (family === '3m' ? f.startsWith('D6 00 0C 08 ') : f.slice(6, 11) === 'B0 22'));
    expect(lockFrames).toEqual([]);

    const mixed = await r.reader.lockBlocks(UID, [1, 2, 3, 4]);
    expect(mixed).toEqual({ uid: UID, locked: [3, 4], alreadyLocked: [1, 2], failed: [] });
  });

  it('a block past the end of the tag is reported as unavailable; the others are locked', async () => {
    const r = rig(family);
    await r.reader.open();
    r.pad.placeTag({ uid: UID, blockCount: 8 }); // a 3M sticker has 8 blocks
    expect(await r.reader.blockCount(UID)).toBe(8);
    const res = await r.reader.lockBlocks(UID, [6, 7, 8, 9]);
    expect(res.locked).toEqual([6, 7]);
    expect(res.failed.map((f) => [f.block, f.code])).toEqual([
      [8, 'block_unavailable'],
      [9, 'block_unavailable'],
    ]);
    expect(res.failed[0]!.message).toMatch(/has blocks 0–7; there is no block 8/);
    expect(r.pad.getTag(UID)!.lockedBlocks).toEqual([6, 7]);
  });

  it('a tag that refuses the lock is reported block by block, not retried, and never claimed locked', async () => {
    const r = rig(family);
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'R1' }));
    r.pad.setFault({ kind: 'write-refused', count: 1, uid: UID });
    const res = await r.reader.lockBlocks(UID, [4, 5, 6]);
    if (family === '3m') {
      // 3M locks block by block: 4 was refused (ERR 0x12), 5 and 6 took.
      expect(res.locked).toEqual([5, 6]);
      expect(res.failed).toEqual([{ block: 4, code: 'write_refused', message: expect.stringMatching(/lock block 4 of E004010012345678: locked \(0x12\)/) }]);
    } else {
      // FEIG locks the run in one command, which stops at the refused block (DB-ADR-E = 4).
      expect(res.locked).toEqual([]);
      expect(res.failed.map((f) => [f.block, f.code])).toEqual([
        [4, 'write_refused'],
        [5, 'write_refused'],
        [6, 'write_refused'],
      ]);
      expect(res.failed[0]!.message).toMatch(/lock blocks 4–6 of E004010012345678 \(stopped at block 4\): ISO 15693 error 0x12/);
    }
    expect(r.pad.getTag(UID)!.lockedBlocks).toEqual(res.locked);
    expect(await r.reader.readLocks(UID, 4, 3)).toEqual([4, 5, 6].map((b) => res.locked.includes(b)));
  });

  it('intermittent RF write errors are retried and the lock verified', async () => {
    const r = rig(family);
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'W1' }));
    r.pad.setFault({ kind: 'write-error', count: 1, uid: UID });
    const res = await r.reader.lockBlocks(UID, [0, 1, 2]);
    expect(res).toEqual({ uid: UID, locked: [0, 1, 2], alreadyLocked: [], failed: [] });
    expect(r.pad.getTag(UID)!.lockedBlocks).toEqual([0, 1, 2]);
  });

  it('a tag taken off the pad during the lock: what could not be read back is reported as not confirmed', async () => {
    const r = rig(family);
    await r.reader.open();
    r.pad.placeTag(libraryTag({ uid: UID, barcode: 'GONE-1' }));
    r.pad.setFault({ kind: 'tag-removed-mid-write', uid: UID });
    const res = await r.reader.lockBlocks(UID, [0, 1]);
    expect(res.locked).toEqual([]);
    expect(res.failed.map((f) => f.block)).toEqual([0, 1]);
    expect(res.failed.every((f) => f.code === 'tag_missing' || f.code === 'verify_failed')).toBe(true);
  });

  it('rejects a bad block list and a missing tag', async () => {
    const r = rig(family);
    await r.reader.open();
    await rejectsWith(r.reader.lockBlocks(UID, []), 'bad_request');
    await rejectsWith(r.reader.lockBlocks(UID, [1.5]), 'bad_request');
    await rejectsWith(r.reader.lockBlocks(UID, [256]), 'bad_request');
    await rejectsWith(r.reader.lockBlocks('E0', [0]), 'bad_request');
    await rejectsWith(r.reader.lockBlocks(UID, [0]), 'tag_missing');
  });
});

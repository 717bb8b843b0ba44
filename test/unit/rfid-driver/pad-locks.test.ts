/** The virtual pad's ISO 15693 lock semantics, which both reader simulators answer from. */
import { describe, expect, it } from 'vitest';
import { RfidPad } from '../../../drivers/rfid/pad.simulator.ts';

describe('RfidPad block locks', () => {
  it('LOCK BLOCK: locks for good; a second lock answers "already locked"; past the end "not available"', () => {
    const pad = new RfidPad();
    const uid = pad.placeTag({ blockCount: 8 });
    expect(pad.lockBlock(uid, 3)).toMatchObject({ ok: true });
    expect(pad.lockBlock(uid, 3)).toMatchObject({ ok: false, error: 'already-locked', done: 0 });
    expect(pad.lockBlock(uid, 8)).toMatchObject({ ok: false, error: 'block-unavailable' });
    expect(pad.getTag(uid)!.lockedBlocks).toEqual([3]);
    // Writes to the locked block are refused (ISO error 0x12 in the front-ends), others go through.
    expect(pad.writeBlocks(uid, 3, new Uint8Array(4).fill(1))).toMatchObject({ ok: false, error: 'locked' });
    expect(pad.writeBlocks(uid, 2, new Uint8Array(4).fill(1))).toMatchObject({ ok: true });
    expect(pad.writeBlocks(uid, 2, new Uint8Array(8).fill(2))).toMatchObject({ ok: false, error: 'locked', done: 1 });
  });

  it('lock of a run stops at the first failing block and says how many it locked', () => {
    const pad = new RfidPad();
    const uid = pad.placeTag({ lockedBlocks: [5] });
    const r = pad.lockBlocks(uid, 2, 6);
    expect(r).toMatchObject({ ok: false, error: 'already-locked', done: 3 });
    expect(pad.getTag(uid)!.lockedBlocks).toEqual([2, 3, 4, 5]);
    expect(r.airUs).toBeGreaterThan(0);
  });

  it('block security status reports the lock flag of each block', () => {
    const pad = new RfidPad();
    const uid = pad.placeTag({ lockedBlocks: [0, 2] });
    expect(pad.blockSecurity(uid, 0, 4)).toMatchObject({ ok: true, value: [true, false, true, false] });
    expect(pad.blockSecurity(uid, 26, 4)).toMatchObject({ ok: false, error: 'block-unavailable' });
    expect(pad.blockSecurity('E004010000000000', 0, 1)).toMatchObject({ ok: false, error: 'no-tag' });
  });

  it('the lock-refused fault refuses locks only: data writes still go through', () => {
    const pad = new RfidPad();
    const uid = pad.placeTag({});
    pad.setFault({ kind: 'lock-refused', count: 1, uid });
    expect(pad.writeBlocks(uid, 0, new Uint8Array(4).fill(7))).toMatchObject({ ok: true });
    expect(pad.lockBlocks(uid, 0, 2)).toMatchObject({ ok: false, error: 'locked', done: 0 });
    expect(pad.lockBlocks(uid, 0, 2)).toMatchObject({ ok: true });
    expect(pad.getTag(uid)!.lockedBlocks).toEqual([0, 1]);
  });
});

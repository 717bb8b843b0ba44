/**
 * Fault injection against both RFID drivers: refused and failing security writes, a tag taken off
 * the pad mid-write, line noise, a silent reader, and the reader unplugged mid-inventory and
 * plugged back. What matters is what the daemon would see: failed is reported as failed (never as
 * done), the tag is left as it was, the device state says what happened, and it recovers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hexToBytes } from '../../../protocols/crc/index.ts';
import { libraryTag, type SimTag } from '../../../drivers/rfid/pad.simulator.ts';
import { detectAndDecode } from '../../../protocols/iso28560/index.ts';
import { closeAll, next, rejectsWith, rig, states, untilState, UID, type Family } from './helpers.ts';

afterEach(closeAll);

describe.each<Family>(['3m', 'feig'])('%s driver under faults', (family) => {
  describe('security writes', () => {
    it('an AFI that will not change is reported as failed, and the tag keeps its AFI', async () => {
      const r = rig(family);
      await r.reader.open();
      r.pad.placeTag(libraryTag({ uid: UID, barcode: 'LOCKED-1', secured: true, afiLocked: true }));
      const err = await rejectsWith(r.reader.setSecurity(UID, false), 'write_refused');
      expect(err.message).toMatch(/tag unchanged/);
      expect(r.pad.getTag(UID)).toMatchObject({ afi: 0x07, eas: true });
      expect((await r.reader.getSecurity(UID)).state).toBe('secured');
    });

    it('a refusal is not retried: one write, then the driver gives up', async () => {
      const r = rig(family);
      await r.reader.open();
      r.pad.placeTag(libraryTag({ uid: UID, barcode: 'R1', secured: false }));
      r.pad.setFault({ kind: 'write-refused', count: 10 });
      const framesBefore = r.sim.stats().requests;
      await rejectsWith(r.reader.setSecurity(UID, true), 'write_refused');
      // read state, one write, then the restore check (reads only): no second write.
      expect(r.sim.stats().requests - framesBefore).toBeLessThanOrEqual(4);
      expect(r.pad.getTag(UID)?.afi).toBe(0xc2);
    });

    it('AFI+EAS site: EAS locked after the AFI took → failed, and the AFI is put back', async () => {
      const r = rig(family, { reader: { security: { method: 'afi+eas' } } });
      await r.reader.open();
      r.pad.placeTag(libraryTag({ uid: UID, barcode: 'HALF-1', secured: true, easLocked: true }));
      const err = await rejectsWith(r.reader.setSecurity(UID, false), 'write_refused');
      expect(err.message).toMatch(/restored AFI 0x07/);
      expect(r.pad.getTag(UID)).toMatchObject({ afi: 0x07, eas: true });
    });

    it('intermittent RF write errors are retried within the budget and then verified', async () => {
      const r = rig(family);
      await r.reader.open();
      r.pad.placeTag(libraryTag({ uid: UID, barcode: 'W1', secured: true }));
      r.pad.setFault({ kind: 'write-error', count: 2 });
      const res = await r.reader.setSecurity(UID, false);
      expect(res).toMatchObject({ state: 'unsecured', afi: 0xc2, attempts: 3, changed: true });
    });

    it('an RF error that persists exhausts the bounded retries and is reported as failed', async () => {
      const r = rig(family, { reader: { securityAttempts: 3, securityRetryDelayMs: 1 } });
      await r.reader.open();
      r.pad.placeTag(libraryTag({ uid: UID, barcode: 'W2', secured: true }));
      r.pad.setFault({ kind: 'write-error', count: 100 });
      const err = await rejectsWith(r.reader.setSecurity(UID, false), 'rf_error');
      expect(err.message).toMatch(/after 3 attempt/);
      expect(r.pad.getTag(UID)?.afi).toBe(0x07);
    });

    it('a tag that is not on the pad fails with tag_missing', async () => {
      const r = rig(family);
      await r.reader.open();
      await rejectsWith(r.reader.setSecurity(UID, true), 'tag_missing');
    });
  });

  describe('writes', () => {
    it('a write interrupted by the tag leaving the field fails cleanly with tag_missing', async () => {
      const r = rig(family);
      await r.reader.open();
      r.reader.startInventory({ intervalMs: 5 });
      const arrived = next(r.reader, 'tag.arrived');
      r.pad.placeTag(libraryTag({ uid: UID, barcode: 'OLD-BARCODE' }));
      await arrived;
      r.pad.setFault({ kind: 'tag-removed-mid-write', uid: UID, afterBlocks: 2 });
      const departed = next(r.reader, 'tag.departed');
      const err = await rejectsWith(r.reader.write(UID, 0, new Uint8Array(36).fill(0x41)), 'tag_missing');
      expect(err.message).toMatch(/no transponder/);
      expect(r.reader.state).toBe('ready');
      const [dep] = await departed;
      expect(dep).toMatchObject({ uid: UID, reason: 'left-field' });
      expect(r.pad.listTags()).toEqual([]);
      // The driver goes on working.
      r.pad.placeTag({ uid: 'E004010000000001' });
      expect((await r.reader.inventory()).map((t) => t.uid)).toEqual(['E004010000000001']);
    });

    it('a first write cut short leaves a tag that reads as blank, never as a short item (block 0 goes last)', async () => {
      const r = rig(family);
      await r.reader.open();
      r.pad.placeTag({ uid: UID }); // blank
      // The simulator drops the tag from the field; keep hold of it to see what was left on it.
      const held = (r.pad as unknown as { tags: Map<string, SimTag> }).tags.get(UID)!;
      r.pad.setFault({ kind: 'tag-removed-mid-write', uid: UID, afterBlocks: 2 });
      await rejectsWith(r.reader.writeItemTag(UID, { primaryItemId: '30100000050', ownerLibrary: 'SI-50000' }), 'tag_missing');
      expect(held.memory.slice(8, 12)).not.toEqual(new Uint8Array(4)); // blocks were written…
      expect([...held.memory.slice(0, 4)]).toEqual([0, 0, 0, 0]); // …but not the head
      const left = detectAndDecode(held.memory, { dsfid: 0 });
      expect(left.ok).toBe(false);
    });

    it('a write to a locked block is refused and nothing is written', async () => {
      const r = rig(family);
      await r.reader.open();
      r.pad.placeTag(libraryTag({ uid: UID, barcode: 'KEEP-ME', lockedBlocks: [0, 1, 2] }));
      const before = r.pad.getTag(UID)!.memory;
      await rejectsWith(r.reader.write(UID, 0, hexToBytes('00 00 00 00')), 'write_refused');
      expect(r.pad.getTag(UID)!.memory).toEqual(before);
      await rejectsWith(r.reader.writeItemTag(UID, { primaryItemId: 'OVERWRITE' }), 'write_refused');
      expect((await r.reader.readItem(UID)).item?.primaryItemId).toBe('KEEP-ME');
    });
  });

  describe('the line', () => {
    it('one answer with a bad CRC is retried without the caller noticing', async () => {
      const r = rig(family);
      await r.reader.open();
      r.pad.placeTag({ uid: UID });
      r.pad.setFault({ kind: 'crc-error' });
      r.clear();
      expect((await r.reader.inventory()).map((t) => t.uid)).toEqual([UID]);
      expect(r.sent()).toHaveLength(2);
      expect(r.sent()[0]).toBe(r.sent()[1]);
      expect(r.reader.lineCounters()).toMatchObject({ crcErrors: 1, retries: 1 });
      expect(r.reader.state).toBe('ready');
    });

    it('stray bytes before an answer are skipped (the splitter resynchronises), no retry needed', async () => {
      const r = rig(family);
      await r.reader.open();
      r.pad.placeTag({ uid: UID });
      r.pad.setFault({ kind: 'line-noise', count: 2 });
      r.clear();
      expect((await r.reader.inventory()).map((t) => t.uid)).toEqual([UID]);
      expect((await r.reader.read(UID, 0, 1)).length).toBe(4);
      expect(r.sent()).toHaveLength(2);
      expect(r.reader.lineCounters()).toMatchObject({ retries: 0, crcErrors: 0, garbageBytes: 10 });
    });

    it('repeated CRC errors fail the request with crc and degrade the reader; a clean answer restores it', async () => {
      const r = rig(family);
      await r.reader.open();
      const seen = states(r.reader);
      r.pad.setFault({ kind: 'crc-error', count: 3 });
      await rejectsWith(r.reader.inventory(), 'crc');
      expect(r.reader.status()).toMatchObject({ state: 'degraded', reason: expect.stringMatching(/3 line errors in a row \(last: crc/) });
      await r.reader.inventory();
      expect(seen.map((s) => s.state)).toEqual(['degraded', 'ready']);
    });

    it('a reader that does not answer times out and the request is sent again', async () => {
      const r = rig(family, { reader: { responseTimeoutMs: 40 } });
      await r.reader.open();
      r.pad.placeTag({ uid: UID });
      r.pad.setFault({ kind: 'no-answer' });
      r.clear();
      expect(await r.reader.inventory()).toHaveLength(1);
      expect(r.sent()).toHaveLength(2);
      expect(r.reader.lineCounters().timeouts).toBe(1);
    });

    it('a reader that stays silent fails with timeout after the bounded retries', async () => {
      const r = rig(family, { reader: { responseTimeoutMs: 30 } });
      await r.reader.open();
      r.pad.setFault({ kind: 'no-answer', count: 10 });
      r.clear();
      const started = performance.now();
      await rejectsWith(r.reader.inventory(), 'timeout');
      expect(r.sent()).toHaveLength(3);
      expect(performance.now() - started).toBeLessThan(500);
      expect(r.reader.state).toBe('degraded');
    });

    it('a reader that never answers the probe does not open', async () => {
      const r = rig(family, { reader: { responseTimeoutMs: 20 } });
      r.pad.setFault({ kind: 'no-answer', count: 10 });
      await rejectsWith(r.reader.open(), 'open_failed');
      expect(r.reader.status()).toMatchObject({ state: 'offline', reason: expect.stringMatching(/did not answer/) });
    });
  });

  describe('unplug and replug', () => {
    it('unplugged mid-inventory: offline with a reason, waiting requests fail, open() works after replug and inventory resumes', async () => {
      const r = rig(family, { timeScale: 1 });
      await r.reader.open();
      r.reader.startInventory({ intervalMs: 10 });
      const arrived = next(r.reader, 'tag.arrived');
      r.pad.placeTag(libraryTag({ uid: UID, barcode: 'ON-THE-PAD' }));
      await arrived;

      // Hold the next inventory answer back so the cable is pulled with a request in flight.
      r.pad.setFault({ kind: 'no-answer', count: 1000 });
      const inFlight = r.reader.inventory();
      const departed = next(r.reader, 'tag.departed');
      await new Promise((resolve) => setTimeout(resolve, 20));
      r.pad.unplug('USB cable pulled');

      const status = await untilState(r.reader, 'offline');
      expect(status.reason).toMatch(/^unplugged: USB cable pulled/);
      await rejectsWith(inFlight, 'unplugged');
      const [dep] = await departed;
      expect(dep).toMatchObject({ uid: UID, reason: 'reader-offline' });
      await rejectsWith(r.reader.read(UID, 0, 1), 'unplugged');
      expect(r.reader.inventoryRunning).toBe(true); // wanted: it resumes after a reopen

      // Still unplugged: opening fails and says why.
      await rejectsWith(r.reader.open(), 'open_failed');
      expect(r.reader.status()).toMatchObject({ state: 'offline', reason: expect.stringMatching(/cannot open/) });

      r.pad.clearFaults();
      r.pad.replug();
      const back = next(r.reader, 'tag.arrived');
      await r.reader.open();
      expect(r.reader.state).toBe('ready');
      const [again] = await back;
      expect(again.item?.primaryItemId).toBe('ON-THE-PAD');
    });

    it('close() while inventorying stops cleanly and reports the tags as gone with reason closed', async () => {
      const r = rig(family);
      await r.reader.open();
      r.reader.startInventory({ intervalMs: 5 });
      const arrived = next(r.reader, 'tag.arrived');
      r.pad.placeTag(libraryTag({ uid: UID, barcode: 'C1' }));
      await arrived;
      const departed = next(r.reader, 'tag.departed');
      await r.reader.close();
      expect((await departed)[0].reason).toBe('closed');
      expect(r.reader.status()).toMatchObject({ state: 'offline', reason: 'closed' });
      await rejectsWith(r.reader.inventory(), 'not_open');
    });
  });
});

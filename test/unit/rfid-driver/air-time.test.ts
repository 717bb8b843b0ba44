/** The ISO 15693 air-time model the simulators delay by and the benchmark measures against. */
import { describe, expect, it } from 'vitest';
import {
  ISO15693_TIMING_US,
  addToBudget,
  answerUs,
  emptyBudget,
  inventoryAirTime,
  readBlocksAirUs,
  requestUs,
  serialMs,
  slotOf,
  writeBlocksAirUs,
} from '../../../drivers/rfid/air-time.ts';

describe('ISO 15693 air-time model', () => {
  it('derives its timings from fc = 13.56 MHz', () => {
    expect(ISO15693_TIMING_US.t1).toBeCloseTo((4320 / 13.56e6) * 1e6, 1);
    expect(ISO15693_TIMING_US.t2).toBeCloseTo((4192 / 13.56e6) * 1e6, 1);
    expect(ISO15693_TIMING_US.vcdByte).toBeCloseTo(4 * 75.52, 2);
    expect(ISO15693_TIMING_US.viccByte).toBeCloseTo(8 * 37.76, 2);
  });

  it('an empty field costs one request and 16 empty slots (≈ 9.8 ms)', () => {
    const t = inventoryAirTime([]);
    expect(t).toMatchObject({ rounds: 1, slots: 16, collisions: 0 });
    expect(t.us).toBeCloseTo(requestUs(5) + 16 * ISO15693_TIMING_US.t3 + 15 * ISO15693_TIMING_US.vcdEof, 3);
    expect(t.us / 1000).toBeGreaterThan(9);
    expect(t.us / 1000).toBeLessThan(11);
  });

  it('places a tag by the UID bits above the mask, least significant first', () => {
    expect(slotOf('E004010012345678', 0)).toBe(8);
    expect(slotOf('E004010012345678', 4)).toBe(7);
    expect(slotOf('E004010012345678', 8)).toBe(6);
  });

  it('collisions open sub-rounds deterministically', () => {
    // Two tags in slot 8 (…78, …F8): a second round with a 4-bit mask separates them (7 vs F).
    const t = inventoryAirTime(['E004010012345678', 'E0040100123456F8', 'E004010012345671']);
    expect(t).toMatchObject({ rounds: 2, collisions: 1, slots: 32 });
    const one = inventoryAirTime(['E004010012345678']);
    expect(one.us - inventoryAirTime([]).us).toBeCloseTo(answerUs(12) - ISO15693_TIMING_US.t3, 3);
  });

  it('ten tags take tens of milliseconds, a 9-block read about 17 ms, a block write about 12 ms', () => {
    const uids = Array.from({ length: 10 }, (_, i) => `E0040100000000${(i * 37).toString(16).toUpperCase().padStart(2, '0')}`);
    const inv = inventoryAirTime(uids).us / 1000;
    expect(inv).toBeGreaterThan(45);
    expect(inv).toBeLessThan(150);
    expect(readBlocksAirUs(9, false) / 1000).toBeCloseTo((requestUs(14) + answerUs(3 + 36)) / 1000, 6);
    expect(readBlocksAirUs(9, false) / 1000).toBeGreaterThan(15);
    expect(readBlocksAirUs(9, false) / 1000).toBeLessThan(20);
    // 17-byte request (5.4 ms) + 5 ms programming + 3-byte answer with t1/t2 (1.8 ms).
    expect(writeBlocksAirUs(1) / 1000).toBeGreaterThan(11);
    expect(writeBlocksAirUs(1) / 1000).toBeLessThan(13);
  });

  it('serial line time: 3M 19200 8N1 is 0.52 ms a byte, FEIG 38400 8E1 0.29 ms', () => {
    expect(serialMs(1, 19200, 10)).toBeCloseTo(0.5208, 4);
    expect(serialMs(1, 38400, 11)).toBeCloseTo(0.2865, 4);
    const b = emptyBudget();
    addToBudget(b, { airMs: 1, lineMs: 2, firmwareMs: 3, gapMs: 4, exchanges: 1 });
    expect(b.totalMs).toBe(10);
  });
});

/**
 * SIP2 fuzz in CI: 10,000 seeded frames (valid requests of every type, mutated) over real TCP, on
 * connections logged in or not, with error detection auto, on and off. The server must answer
 * each frame as the protocol says, ignore it by design, or close the connection, never hang or
 * fall over, and leave the store consistent. `npm run fuzz:sip2` runs 100,000 (run.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_ACCOUNTS, INSTITUTION } from './generator.ts';
import { checkStore, runFuzz, summarise, type FuzzReport } from './harness.ts';
import { MAX_MESSAGE_BYTES, startFuzzServer, type FuzzServer } from './setup.ts';

const SEED = Number(process.env.SIP2_FUZZ_SEED ?? 20260302);
const FRAMES = Number(process.env.SIP2_FUZZ_FRAMES ?? 10_000);

describe('SIP2 server under fuzzed input', () => {
  let s: FuzzServer;
  let report: FuzzReport;
  const crashes: unknown[] = [];
  const onCrash = (e: unknown) => crashes.push(e);

  beforeAll(async () => {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    s = await startFuzzServer();
  });
  afterAll(async () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await s?.fx.close();
  });

  it(`answers, ignores by design or closes for each of ${FRAMES.toLocaleString('en-US')} frames, never hangs, and journals exactly what it reports`, async () => {
    report = await runFuzz(s.fx, s.world, { seed: SEED, frames: FRAMES, maxMessageBytes: MAX_MESSAGE_BYTES, now: s.now, stepTimeoutMs: 3000 });
    const store = checkStore(s.fx.lib.db, s.fx.lib.clock.now(), s.maxPinFailures, s.pinLockoutMinutes);
    console.log(summarise(report, store));
    expect(report.failures, summarise(report)).toEqual([]);
    expect(report.frames).toBe(FRAMES);
    // Every request type was sent, through every kind of connection, and the server answered most.
    expect(Object.keys(report.byRequest).sort()).toEqual(['01', '09', '11', '15', '17', '19', '23', '25', '29', '35', '37', '63', '65', '93', '97', '99']);
    expect(Object.keys(report.byLane)).toHaveLength(5);
    expect(report.replies).toBeGreaterThan(FRAMES);
    // Known requests made unreadable by the mutations (a shortened fixed part, a lost field) were
    // answered with their own response, refused, not left to the client's timeout.
    expect(report.unreadableRefusals).toBeGreaterThan(10);
    expect(report.transactions).toBeGreaterThan(100);
    expect(report.transactions).toBe(report.journalGroups);
    expect(report.errorLogLines).toBe(0);
    expect(crashes).toEqual([]);
    // The store is consistent afterwards.
    expect(store).toMatchObject({
      integrity: 'ok',
      foreignKeyProblems: 0,
      itemsWithTwoOpenLoans: 0,
      badPinFailures: 0,
      badLocks: 0,
      overpaidFees: 0,
      misallocatedPayments: 0,
    });
  }, 120_000);

  it('still serves new connections normally afterwards', async () => {
    const c = await s.fx.client({ errorDetection: true });
    const kiosk = FUZZ_ACCOUNTS[0]!;
    expect(await c.login(kiosk.user, kiosk.password)).toBe(true);
    const free = s.fx.lib.db.prepare(`SELECT barcode FROM items WHERE material_type = 'book' AND kit_id IS NULL AND status_q = '' AND access_p = '' AND id NOT IN (SELECT item_id FROM loans WHERE closed_at IS NULL) AND id NOT IN (SELECT COALESCE(assigned_item_id, 0) FROM holds WHERE closed_at IS NULL) LIMIT 1`).get() as { barcode: string };
    const info = await c.send({ code: '17', transactionDate: s.now, institutionId: INSTITUTION, itemIdentifier: free.barcode });
    expect(info).toMatchObject({ code: '18', circulationStatus: '03' });
    const status = await c.send({ code: '99', statusCode: '0', maxPrintWidth: 40, protocolVersion: '2.00' });
    expect(status).toMatchObject({ code: '98', onlineStatus: true });
    expect(s.fx.server.connections()).toBeLessThan(10);
  });
});

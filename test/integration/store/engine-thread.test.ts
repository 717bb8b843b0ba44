/**
 * The circulation engine in a worker thread (daemon/circulation/engine-thread.ts), as the SIP2
 * bridge uses it: its own connection to the same store file, the main thread's clock, the same
 * outcomes as the engine on the main thread, both writing at once without losing a loan, a crashed
 * worker replaced, and a clean close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EngineThread } from '../../../daemon/circulation/engine-thread.ts';
import { baseData, makeLibrary, TZ, type TestLibrary } from '../../helpers/engine.ts';

let lib: TestLibrary | undefined;
let thread: EngineThread | undefined;
afterEach(async () => {
  await thread?.close();
  thread = undefined;
  lib?.close();
  lib = undefined;
});

const many = (n: number) => ({
  items: Array.from({ length: n }, (_, i) => ({ barcode: `M${i}`, bibId: `TM${i}`, title: `Many ${i}`, materialType: 'book', department: '01' })),
  patrons: Array.from({ length: n }, (_, i) => ({
    barcode: `09${String(i).padStart(5, '0')}`,
    firstName: 'Many',
    lastName: `Reader ${i}`,
    category: 'adult',
    homeDepartment: '01',
    language: 'en',
    membershipExpires: '2027-12-31',
  })),
});

async function start(l: TestLibrary): Promise<EngineThread> {
  return EngineThread.start({
    file: l.file,
    policy: l.policy,
    clock: l.clock,
    site: { department: '01', timezone: TZ, language: 'en' },
    backgroundCheckpoints: false,
  });
}

const openLoan = (l: TestLibrary, barcode: string) =>
  l.db
    .prepare(`SELECT l.status, l.due_date AS due, p.barcode AS patron FROM loans l JOIN items i ON i.id = l.item_id
              JOIN patrons p ON p.id = l.patron_id WHERE i.barcode = ? AND l.closed_at IS NULL`)
    .get(barcode);

describe('EngineThread: the engine in a worker thread', () => {
  it('lends and takes back through the worker: the loan is in the store the main thread reads, with the due date the rules give', async () => {
    lib = makeLibrary({ data: baseData() });
    thread = await start(lib);
    const out = await thread.checkout({ patron: '0100001', item: 'B1' }, { channel: 'sip2' });
    // The engine on the main thread, same clock, same rules, another copy: the same answer.
    const here = await lib.engine.checkout({ patron: '0100002', item: 'B2' }, { channel: 'sip2' });
    expect(out).toMatchObject({ ok: true, item: 'B1', status: 'C', dueDate: '2026-03-23' });
    expect(here.ok && here.dueDate).toBe('2026-03-23');
    expect(openLoan(lib, 'B1')).toEqual({ status: 'C', due: '2026-03-23', patron: '0100001' });
    const info = await thread.patronInformation('0100001');
    expect(info.ok && info.patron.loans.map((l) => l.barcode)).toEqual(['B1']);
    const back = await thread.checkin({ item: 'B1' });
    expect(back).toMatchObject({ ok: true, wasOnLoan: true, securityOn: true, routing: { destination: 'shelf' } });
    expect(openLoan(lib, 'B1')).toBeUndefined();
    // Refusals come back as data, in the patron's language (Ana reads Slovenian).
    const unknown = await thread.checkout({ patron: '0100001', item: 'NOPE' });
    expect(unknown).toMatchObject({ ok: false, reason: 'unknown_item' });
    expect(unknown.ok ? '' : unknown.screenMessage).toMatch(/\S/);
  });

  it("runs on the main thread's clock: a checkout after the clock moves is due from the new date, and the late return is fined", async () => {
    lib = makeLibrary({ data: baseData() });
    thread = await start(lib);
    lib.clock.set('2026-04-01T10:00:00+02:00');
    const out = await thread.checkout({ patron: '0100001', item: 'B3' });
    expect(out.ok && out.dueDate).toBe('2026-04-22');
    lib.clock.set('2026-05-04T10:00:00+02:00'); // 12 days late
    const back = await thread.checkin({ item: 'B3' });
    expect(back.ok && back.fine?.amount).toBeGreaterThan(0);
    const journal = lib.db.prepare(`SELECT at FROM journal WHERE kind = 'checkin' ORDER BY id DESC LIMIT 1`).get() as { at: string };
    expect(journal.at).toBe('2026-05-04T08:00:00.000Z');
  });

  it('the main thread and the worker writing at the same time: every loan is recorded once, none refused for a busy store', async () => {
    lib = makeLibrary({ data: baseData(many(80)) });
    thread = await start(lib);
    const calls: Array<Promise<{ ok: boolean }>> = [];
    for (let i = 0; i < 80; i++) {
      const req = { patron: `09${String(i).padStart(5, '0')}`, item: `M${i}` };
      calls.push(i % 2 ? thread.checkout(req) : lib.engine.checkout(req));
    }
    const outs = await Promise.all(calls);
    expect(outs.filter((o) => !o.ok)).toEqual([]);
    expect((lib.db.prepare(`SELECT COUNT(*) AS n FROM loans WHERE closed_at IS NULL`).get() as { n: number }).n).toBe(80);
    // And the same copy offered to both at once goes to one of them only.
    const race = await Promise.all([
      thread.checkout({ patron: '0100001', item: 'B5' }),
      lib.engine.checkout({ patron: '0100002', item: 'B5' }),
    ]);
    expect(race.filter((o) => o.ok)).toHaveLength(1);
    expect(race.find((o) => !o.ok)).toMatchObject({ reason: 'item_on_loan' });
  });

  it('requests that arrive together are answered each for itself, and share fdatasyncs: one refused among them changes nothing for the others', async () => {
    lib = makeLibrary({ data: baseData(many(60)) });
    thread = await start(lib);
    const calls: Array<Promise<{ ok: boolean; reason?: string }>> = [];
    // Posted in one go: the worker reads them in one turn of its event loop.
    for (let i = 0; i < 60; i++) {
      calls.push(thread.checkout({ patron: `09${String(i).padStart(5, '0')}`, item: i === 30 ? 'NO-SUCH-ITEM' : `M${i}` }));
    }
    const outs = await Promise.all(calls);
    expect(outs[30]).toMatchObject({ ok: false, reason: 'unknown_item' });
    expect(outs.filter((o) => o.ok)).toHaveLength(59);
    // Every loan told as made is in the store, read through the main thread's own connection.
    expect((lib.db.prepare(`SELECT COUNT(*) AS n FROM loans WHERE closed_at IS NULL`).get() as { n: number }).n).toBe(59);
    expect(openLoan(lib, 'M29')).toMatchObject({ status: 'C', patron: '0900029' });
    expect(openLoan(lib, 'M30')).toBeUndefined();
    const stats = await thread.durableStats();
    expect(stats.requests).toBe(60);
    // Flushed by the worker itself, once per turn: far fewer flushes than commits.
    expect(stats.syncs).toBeGreaterThanOrEqual(1);
    expect(stats.syncs).toBeLessThan(30);
  });

  it('a worker that dies fails the requests it had, and the next request gets a new worker', async () => {
    lib = makeLibrary({ data: baseData() });
    thread = await start(lib);
    const first = thread.threadId;
    const pending = thread.itemInformation('B1');
    await thread.kill();
    await expect(pending).rejects.toThrow(/engine thread stopped/);
    const again = await thread.itemInformation('B1');
    expect(again).toMatchObject({ ok: true, item: { barcode: 'B1', status: 'free' } });
    expect(thread.starts).toBe(2);
    expect(thread.threadId).not.toBe(first);
  });

  it('close waits for the requests in flight, then refuses new ones', async () => {
    lib = makeLibrary({ data: baseData() });
    thread = await start(lib);
    const inFlight = thread.checkout({ patron: '0100001', item: 'B4' });
    const closing = thread.close();
    expect(await inFlight).toMatchObject({ ok: true, item: 'B4' });
    await closing;
    await expect(thread.itemInformation('B4')).rejects.toThrow(/closed/);
    expect(await thread.status()).toMatchObject({ online: false });
    expect(openLoan(lib, 'B4')).toMatchObject({ patron: '0100001' });
  });

  it('a store that cannot be opened is reported when starting, with the reason', async () => {
    lib = makeLibrary({ data: baseData() });
    await expect(
      EngineThread.start({
        file: `${lib.file}/not-a-dir/kiosk.sqlite`,
        policy: lib.policy,
        clock: lib.clock,
        site: { department: '01', timezone: TZ, language: 'en' },
        backgroundCheckpoints: false,
      }),
    ).rejects.toThrow(/could not open the store/);
  });
});

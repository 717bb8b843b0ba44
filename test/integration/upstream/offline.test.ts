/**
 * Offline mode (domain.md §10, scenario 25): the upstream goes away, the kiosk keeps lending and
 * returning into a durable queue, the upstream comes back with the same data, the queue is replayed
 * in order with no-block and the original times, and what the live rules refuse is kept for staff.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { baseData } from '../../helpers/engine.ts';
import { until, upstreamPair, type UpstreamPair } from './fixture.ts';

let pair: UpstreamPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const offline = { offline: { enabled: true, maxItemsPerPatron: 2, replayIntervalMs: 100, loanPeriodDays: 14 } };

describe('offline mode', () => {
  it('scenario 25: lend and return offline, no re-lending of an unconfirmed return, replay in order with no-block and original times, refusals for staff', async () => {
    pair = await upstreamPair({
      data: baseData({
        loans: [
          { item: 'B1', patron: '0100002', loanedAt: '@today-3d' },
          { item: 'B5', patron: '0100003', loanedAt: '@today-3d' },
        ],
      }),
      backend: offline,
    });
    const b = pair.backend;
    const clock = pair.fx.lib.clock;
    const upstreamDb = pair.fx.lib.db;
    await b.start();
    expect((await b.status()).online).toBe(true);

    await pair.stopUpstream();
    clock.advanceMs(60_000); // 10:01
    const lent = await b.checkout({ patron: '0100001', item: 'B2' }, { idempotencyKey: 'kiosk-1:1' });
    expect(lent).toMatchObject({ ok: true, item: 'B2', dueDate: '2026-03-16', offline: { provisional: true } });
    clock.advanceMs(60_000); // 10:02
    const returned = await b.checkin({ item: 'B1' });
    expect(returned).toMatchObject({ ok: true, item: 'B1', securityOn: true, routing: { destination: 'staff' } });
    clock.advanceMs(60_000); // 10:03
    // Returned offline, not yet confirmed: it cannot be lent again, offline or not.
    expect(await b.checkout({ patron: '0100003', item: 'B1' })).toMatchObject({ ok: false, reason: 'offline_unconfirmed_return' });
    expect((await b.checkout({ patron: '0100001', item: 'B3' })).ok).toBe(true);
    // Offline limits from the config: two items per card.
    expect(await b.checkout({ patron: '0100001', item: 'B4' })).toMatchObject({ ok: false, reason: 'too_many_items', details: { limit: 2 } });
    expect(await b.checkout({ patron: '0100002', item: 'B2' })).toMatchObject({ ok: false, reason: 'item_on_loan' });
    clock.advanceMs(60_000); // 10:04
    // No validation offline (001:L4778): an unknown card is taken, and found out on upload.
    expect((await b.checkout({ patron: '9999999', item: 'B4' })).ok).toBe(true);
    // B3 was lent here offline a minute ago, due 2026-03-16: an offline renewal could not make that later.
    expect(await b.renew({ patron: '0100001', item: 'B3' })).toMatchObject({ ok: false, reason: 'renewal_no_extension', details: { dueDate: '2026-03-16' } });
    // B5 is not known here: taken, and judged by the upstream on replay.
    expect((await b.renew({ patron: '0100002', item: 'B5' })).ok).toBe(true);
    // A retry of the first loan (same key) is the same loan.
    expect(await b.checkout({ patron: '0100001', item: 'B2' }, { idempotencyKey: 'kiosk-1:1' })).toMatchObject({ ok: true, replayed: true, offline: { queueId: 1 } });

    const st = await b.status();
    expect(st.online).toBe(false);
    expect(st.detail).toMatch(/^offline: working offline, loans and returns are accepted and queued \(5 transactions queued; upstream /);
    expect(upstreamDb.prepare(`SELECT COUNT(*) AS n FROM journal WHERE channel LIKE '%offline'`).get()).toEqual({ n: 0 });

    clock.advanceMs(3_600_000); // 11:04: back online an hour later
    await pair.restartUpstream();
    await until(() => b.queue.countPending() === 0, 5000, 'the replay');

    // In order, with no-block and the time each happened (journal `at`), recorded an hour later.
    const journal = upstreamDb
      .prepare(
        `SELECT j.kind, i.barcode, j.at, j.recorded_at AS recordedAt, j.channel FROM journal j JOIN items i ON i.id = j.item_id
         WHERE j.channel = 'sip2:offline' ORDER BY j.id`,
      )
      .all();
    expect(journal).toEqual([
      { kind: 'checkout', barcode: 'B2', at: '2026-03-02T09:01:00.000Z', recordedAt: '2026-03-02T10:04:00.000Z', channel: 'sip2:offline' },
      { kind: 'checkin', barcode: 'B1', at: '2026-03-02T09:02:00.000Z', recordedAt: '2026-03-02T10:04:00.000Z', channel: 'sip2:offline' },
      { kind: 'checkout', barcode: 'B3', at: '2026-03-02T09:03:00.000Z', recordedAt: '2026-03-02T10:04:00.000Z', channel: 'sip2:offline' },
    ]);
    expect(upstreamDb.prepare(`SELECT l.loaned_at AS loanedAt, l.due_date AS due FROM loans l JOIN items i ON i.id = l.item_id WHERE i.barcode = 'B2' AND l.closed_at IS NULL`).get()).toEqual({
      loanedAt: '2026-03-02T09:01:00.000Z',
      due: '2026-03-23',
    });

    // The unknown card and the renewal of someone else's loan are refused by the live rules: kept for staff.
    const problems = b.offlineProblems();
    expect(problems.map((p) => [p.operation, p.patron, p.item, p.state, p.reason])).toEqual([
      ['checkout', '9999999', 'B4', 'refused', 'unknown_patron'],
      ['renew', '0100002', 'B5', 'refused', 'not_your_loan'],
    ]);
    expect(problems[0]!.result).toMatchObject({ screenMessage: 'This library card is not known. Please ask staff.' });
    expect(b.offlineTransactions({ state: 'replayed_ok' }).map((t) => t.item)).toEqual(['B2', 'B1', 'B3']);
    expect(b.offlineTransactions({ state: 'replayed_ok' })[0]!.result).toMatchObject({ dueDate: '2026-03-23' });

    // The return is confirmed: B1 can be lent again.
    expect((await b.verifyPatron('0100003', '1234')).ok).toBe(true);
    expect(await b.checkout({ patron: '0100003', item: 'B1' })).toMatchObject({ ok: true, dueDate: '2026-03-23' });
    expect((await b.status()).online).toBe(true);

    // Staff deal with a refusal; it stays on record.
    const resolved = b.resolveOfflineTransaction(problems[0]!.id, 'desk-1', 'card number mistyped; lent to 0100004 at the desk');
    expect(resolved).toMatchObject({ state: 'refused', resolvedBy: 'desk-1' });
    expect(b.offlineProblems().map((p) => p.item)).toEqual(['B5']);
  });

  it('the queue is durable: a new backend on the same store replays what the old one queued', async () => {
    pair = await upstreamPair({ data: baseData(), backend: offline });
    await pair.stopUpstream();
    expect((await pair.backend.checkout({ patron: '0100001', item: 'B5' })).ok).toBe(true);
    await pair.backend.close(); // the kiosk restarts
    await pair.restartUpstream();
    const again = pair.makeBackend();
    await again.start();
    await until(() => again.queue.countPending() === 0, 3000, 'the replay');
    expect(pair.fx.lib.db.prepare(`SELECT COUNT(*) AS n FROM loans l JOIN items i ON i.id = l.item_id WHERE i.barcode = 'B5' AND l.closed_at IS NULL`).get()).toEqual({ n: 1 });
  });

  it('new transactions wait for the queue: an offline loan is replayed before an online return of the same item', async () => {
    pair = await upstreamPair({ data: baseData(), backend: { ...offline, offline: { ...offline.offline, replayIntervalMs: 60_000 } } });
    const b = pair.backend;
    await pair.stopUpstream();
    expect((await b.checkout({ patron: '0100001', item: 'B5' })).ok).toBe(true);
    await pair.restartUpstream();
    await new Promise((r) => setTimeout(r, 250)); // past the backoff
    const back = await b.checkin({ item: 'B5' });
    expect(back).toMatchObject({ ok: true, patron: '0100001' });
    expect(b.queue.countPending()).toBe(0);
  });

  it('only the cards the config allows borrow offline; without offline mode the kiosk says the system is unavailable', async () => {
    pair = await upstreamPair({ data: baseData(), backend: { offline: { enabled: true, allowedPatronPattern: '01\\d{5}' } } });
    await pair.stopUpstream();
    expect((await pair.backend.checkout({ patron: '0100001', item: 'B1' })).ok).toBe(true);
    expect(await pair.backend.checkout({ patron: 'GUEST-1', item: 'B2' })).toMatchObject({ ok: false, reason: 'backend_unavailable' });
    expect(await pair.backend.verifyPatron('0100002', '1234')).toMatchObject({ ok: true, patron: { barcode: '0100002' } });
    const strict = pair.makeBackend({ offline: { enabled: false } });
    expect(await strict.checkout({ patron: '0100001', item: 'B2' })).toMatchObject({ ok: false, reason: 'backend_unavailable' });
    expect(await strict.checkin({ item: 'B2' })).toMatchObject({ ok: false, reason: 'backend_unavailable' });
    expect((await strict.status()).detail).toMatch(/^upstream unavailable: cannot reach/);
  });
});

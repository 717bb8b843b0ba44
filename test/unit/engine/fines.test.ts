import { afterEach, describe, expect, it } from 'vitest';
import { baseData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';

let lib: TestLibrary;
afterEach(() => lib?.close());

const fees = (l: TestLibrary) => l.db.prepare('SELECT kind, amount_minor, item_id IS NOT NULL AS has_item FROM fees ORDER BY id').all();

describe('fines', () => {
  it('charges per day per item on open days; closed days are free unless flagged', async () => {
    lib = makeLibrary({
      data: baseData({
        calendar: [
          { date: '2026-03-25', closed: true, note: 'Closed, fines not charged' },
          { date: '2026-03-26', closed: true, fineCharged: true, note: 'Closed, fines charged (blue)' },
          { date: '2026-03-27', closed: false, noFine: true, note: 'Open, no fine (green)' },
        ],
      }),
    });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' }); // due Monday 23 March
    lib.clock.set('2026-03-30T10:00:00+02:00'); // Monday 30 March
    const back = await lib.engine.checkin({ item: 'B1' });
    // 24 (Tue) open +, 25 closed -, 26 closed but charged +, 27 open no-fine -, 28 (Sat) +, 29 (Sun) -, 30 (Mon) +
    expect(back.ok && back.fine).toEqual({ amount: 0.8, currency: 'EUR' });
  });

  it('grace is all or nothing: inside it no fine, after it every overdue day', async () => {
    lib = makeLibrary({ data: baseData(), policy: { fines: { graceDays: 3 } } });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' }); // due Monday 23 March
    await lib.engine.checkout({ patron: '0100001', item: 'B2' });
    lib.clock.set('2026-03-26T10:00:00+01:00'); // 3 days late
    expect((await lib.engine.checkin({ item: 'B1' })).ok && ((await lib.engine.patronInformation('0100001')) as { patron: { balance: number } }).patron.balance).toBe(0);
    lib.clock.set('2026-03-27T10:00:00+01:00'); // 4 days late: all 4 charged
    const back = await lib.engine.checkin({ item: 'B2' });
    expect(back.ok && back.fine).toEqual({ amount: 0.8, currency: 'EUR' });
  });

  it('uses the rate that was valid on each overdue day (historical prices, 001:L5156)', async () => {
    lib = makeLibrary({
      data: baseData(),
      policy: {
        fines: {
          rates: [
            { from: '2000-01-01', perDay: 0.1 },
            { from: '2026-03-26', perDay: 0.3 },
          ],
        },
      },
    });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' }); // due 23 March
    lib.clock.set('2026-03-27T10:00:00+01:00');
    const back = await lib.engine.checkin({ item: 'B1' });
    // 24, 25 at 0.10; 26, 27 at 0.30.
    expect(back.ok && back.fine).toEqual({ amount: 0.8, currency: 'EUR' });
  });

  it('fines a kit once, on its lead unit, at the lead unit type rate', async () => {
    lib = makeLibrary({ data: baseData(), policy: { fines: { rates: [{ from: '2000-01-01', perDay: 0.2, materialTypes: { toy: 0.5, game: 1 } }] } } });
    await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ['K1', 'K2', 'K3'] }); // due 23 March
    lib.clock.set('2026-03-25T10:00:00+01:00');
    const back = await lib.engine.checkin({ item: 'K3', parts: ['K1', 'K2', 'K3'] });
    expect(back.ok && back.fine).toEqual({ amount: 1, currency: 'EUR' });
    expect(fees(lib)).toEqual([{ kind: 'overdue', amount_minor: 100, has_item: 1 }]);
  });

  it('charges nothing for a loan returned on time', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    lib.clock.set('2026-03-23T18:00:00+01:00');
    const back = await lib.engine.checkin({ item: 'B1' });
    expect(back.ok && back.fine).toBeNull();
    expect(fees(lib)).toEqual([]);
  });
});

describe('debt blocks and payments', () => {
  const withFee = (kind: string, amount: number) => baseData({ fees: [{ patron: '0100001', kind, amount, createdAt: '@today-5d' }] });

  it('Katlakalns: any unpaid late fee stops home loans, not reading-room loans; other fees do not', async () => {
    lib = makeLibrary({ preset: 'katlakalns', data: withFee('overdue', 0.03) });
    expect(await lib.engine.checkout({ patron: '0100001', item: 'B1' })).toMatchObject({
      ok: false,
      reason: 'debt_block',
      screenMessage: 'Najprej poravnajte neporavnane terjatve (0.03 EUR).',
    });
    expect((await lib.engine.checkout({ patron: '0100001', item: 'B2', mode: 'reading_room' })).ok).toBe(true);
    lib.close();
    lib = makeLibrary({ preset: 'katlakalns', data: withFee('card', 1.5) });
    expect((await lib.engine.checkout({ patron: '0100001', item: 'B1' })).ok).toBe(true);
  });

  it('Jelgava: any obligation stops every service, overdue items included', async () => {
    lib = makeLibrary({ preset: 'jelgava', data: withFee('card', 1.5) });
    expect(await lib.engine.checkout({ patron: '0100001', item: 'B1', mode: 'reading_room' })).toMatchObject({ ok: false, reason: 'debt_block' });
    expect(await lib.engine.placeHold({ patron: '0100001', bibId: 'T2' })).toMatchObject({ ok: false, reason: 'debt_block' });
    const paid = await lib.engine.feePaid({ patron: '0100001', amount: 1.5, currency: 'EUR', method: 'cash' });
    expect(paid).toMatchObject({ ok: true, paid: 1.5, balance: 0 });
    expect((await lib.engine.checkout({ patron: '0100001', item: 'B1' })).ok).toBe(true);
    lib.clock.advanceDays(20); // 15-day loan: overdue now
    expect(await lib.engine.checkout({ patron: '0100001', item: 'B2' })).toMatchObject({ ok: false, reason: 'overdue_block' });
  });

  it('COBISS: the remainder of a partly paid claim does not block (001:L5341); Jelgava counts it', async () => {
    lib = makeLibrary({ data: withFee('overdue', 15) }); // threshold 10.00
    expect(await lib.engine.checkout({ patron: '0100001', item: 'B1' })).toMatchObject({ ok: false, reason: 'debt_block' });
    const part = await lib.engine.feePaid({ patron: '0100001', amount: 2, currency: 'EUR', method: 'cash' });
    expect(part).toMatchObject({ ok: true, paid: 2, balance: 13, settled: [] });
    expect((await lib.engine.checkout({ patron: '0100001', item: 'B1' })).ok).toBe(true);
    const info = await lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.fees).toMatchObject([{ amount: 15, paid: 2, remaining: 13 }]);
  });

  it('takes payments oldest claim first and refuses nonsense amounts', async () => {
    lib = makeLibrary({
      data: baseData({
        fees: [
          { patron: '0100001', kind: 'overdue', amount: 1.2, createdAt: '@today-9d' },
          { patron: '0100001', kind: 'card', amount: 1.5, createdAt: '@today-2d' },
        ],
      }),
    });
    expect(await lib.engine.feePaid({ patron: '0100001', amount: 5, currency: 'EUR', method: 'cash' })).toMatchObject({
      ok: false,
      reason: 'amount_exceeds_debt',
      details: { amount: '2.70 EUR' },
    });
    expect(await lib.engine.feePaid({ patron: '0100001', amount: -1, currency: 'EUR', method: 'cash' })).toMatchObject({ ok: false, reason: 'invalid_amount' });
    expect(await lib.engine.feePaid({ patron: '0100001', amount: 1, currency: 'HUF', method: 'cash' })).toMatchObject({ ok: false, reason: 'wrong_currency' });
    const p = await lib.engine.feePaid({ patron: '0100001', amount: 2, currency: 'EUR', method: 'card' });
    expect(p).toMatchObject({ ok: true, balance: 0.7 });
    expect(p.ok && p.settled.length).toBe(1);
    expect(await lib.engine.feePaid({ patron: '0100002', amount: 1, currency: 'EUR', method: 'cash' })).toMatchObject({ ok: false, reason: 'nothing_owed' });
    const j = lib.db.prepare(`SELECT code, amount_minor FROM journal WHERE kind = 'payment'`).all();
    expect(j).toEqual([{ code: 32, amount_minor: 200 }]);
  });

  it('a fee-bearing loan needs the patron to accept the fee at the kiosk', async () => {
    lib = makeLibrary({ data: baseData(), policy: { loanFees: { video: 1.0 } } });
    expect(await lib.engine.checkout({ patron: '0100001', item: 'D1' })).toMatchObject({
      ok: false,
      reason: 'fee_not_acknowledged',
      details: { fee: 1 },
    });
    const ok = await lib.engine.checkout({ patron: '0100001', item: 'D1', feeAcknowledged: true });
    expect(ok.ok && ok.fee).toEqual({ amount: 1, currency: 'EUR', kind: 'loan_fee' });
    expect(fees(lib)).toEqual([{ kind: 'loan_fee', amount_minor: 100, has_item: 1 }]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { baseData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';

let lib: TestLibrary;
afterEach(() => lib?.close());

describe('renewals', () => {
  it('counts the new period from the renewal day and moves it past closed days', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' }); // due 23 March
    lib.clock.advanceDays(10); // Thursday 12 March
    const r = await lib.engine.renew({ patron: '0100001', item: 'B1' });
    // 12 March + 21 days = Thursday 2 April.
    expect(r).toMatchObject({ ok: true, dueDate: '2026-04-02', previousDueDate: '2026-03-23', renewals: 1 });
    lib.clock.advanceDays(3); // Sunday 15 March + 21 = Sunday 5 April (Easter) → Tuesday 7 April
    expect(await lib.engine.renew({ patron: '0100001', item: 'B1' })).toMatchObject({ ok: true, dueDate: '2026-04-07', renewals: 2 });
  });

  it('stops at the renewal limit of the member category, exactly as at the desk (scenario 7)', async () => {
    lib = makeLibrary({ data: baseData(), policy: { renewals: { maxCount: { default: 3, categories: { adult: 2 } } } } });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    for (let i = 0; i < 2; i++) {
      lib.clock.advanceDays(1);
      expect((await lib.engine.renew({ patron: '0100001', item: 'B1' })).ok).toBe(true);
    }
    lib.clock.advanceDays(1);
    const third = await lib.engine.renew({ patron: '0100001', item: 'B1' }, { channel: 'self' });
    expect(third).toMatchObject({ ok: false, reason: 'renewal_limit', details: { limit: 2 } });
    const desk = await lib.engine.renew({ patron: '0100001', item: 'B1' }, { channel: 'staff' });
    expect(desk).toMatchObject({ ok: false, reason: 'renewal_limit' });
  });

  it('is refused when another patron has reserved the title', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B2' });
    expect((await lib.engine.placeHold({ patron: '0100002', bibId: 'T2' })).ok).toBe(true);
    expect(await lib.engine.renew({ patron: '0100001', item: 'B2' })).toMatchObject({ ok: false, reason: 'renewal_reserved' });
  });

  it('renews an overdue loan with its fine (COBISS), or refuses it where the preset says (Baloži)', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' }); // due Monday 23 March
    lib.clock.advanceDays(23); // Wednesday 25 March: 2 days late
    const r = await lib.engine.renew({ patron: '0100001', item: 'B1' });
    expect(r).toMatchObject({ ok: true, fine: { amount: 0.4, currency: 'EUR' } });
    lib.close();
    lib = makeLibrary({ preset: 'balozi', data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    lib.clock.advanceDays(20);
    expect(await lib.engine.renew({ patron: '0100001', item: 'B1' })).toMatchObject({ ok: false, reason: 'renewal_overdue' });
  });

  it('never renews a reading-room loan (scenario 9)', async () => {
    lib = makeLibrary({ data: baseData() });
    const s = await lib.engine.checkout({ patron: '0100001', item: 'B3', mode: 'reading_room' });
    expect(s.ok && s.dueDate).toBe('2026-03-02');
    expect(await lib.engine.renew({ patron: '0100001', item: 'B3' })).toMatchObject({ ok: false, reason: 'reading_room_not_renewable' });
  });

  it('renews no unit of a kit whose lead unit may not be renewed (scenario 8)', async () => {
    // cobiss preset: the lead unit's type "toy" has renewal 0d; the other units (game) are renewable.
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ['K1', 'K2', 'K3'] });
    lib.clock.advanceDays(3);
    expect(await lib.engine.renew({ patron: '0100001', item: 'K2' })).toMatchObject({ ok: false, reason: 'not_renewable' });
    const rows = lib.db.prepare('SELECT DISTINCT due_date, renewals FROM loans WHERE closed_at IS NULL').all();
    expect(rows).toEqual([{ due_date: '2026-03-23', renewals: 0 }]);
  });

  it('renews all units of a kit together from its lead unit', async () => {
    lib = makeLibrary({ data: baseData(), policy: { timeParameters: { materialTypes: { toy: { loan: '21d', renewal: '14d' } } } } });
    await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ['K1', 'K2', 'K3'] });
    lib.clock.advanceDays(10);
    const r = await lib.engine.renew({ patron: '0100001', item: 'K3' });
    expect(r).toMatchObject({ ok: true, dueDate: '2026-03-26' });
    const rows = lib.db.prepare('SELECT DISTINCT due_date, renewals FROM loans WHERE closed_at IS NULL').all();
    expect(rows).toEqual([{ due_date: '2026-03-26', renewals: 1 }]);
  });

  it('refuses new acquisitions where the preset says so (Katlakalns)', async () => {
    lib = makeLibrary({
      preset: 'katlakalns',
      data: baseData({ items: [{ barcode: 'NEW', title: 'Jaunā grāmata', materialType: 'book', department: '01', acquiredOn: '@today-10d' }] }),
    });
    await lib.engine.checkout({ patron: '0100001', item: 'NEW' });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    lib.clock.advanceDays(2);
    expect(await lib.engine.renew({ patron: '0100001', item: 'NEW' })).toMatchObject({ ok: false, reason: 'renewal_new_acquisition' });
    expect((await lib.engine.renew({ patron: '0100001', item: 'B1' })).ok).toBe(true);
  });

  it('renew all reports per item what was renewed and why the rest was not', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    await lib.engine.checkout({ patron: '0100001', item: 'B2' });
    await lib.engine.checkout({ patron: '0100001', item: 'B3', mode: 'reading_room' });
    await lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
    lib.clock.advanceDays(1);
    const r = await lib.engine.renewAll({ patron: '0100001' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.renewed.map((x) => [x.item, x.dueDate])).toEqual([['B1', '2026-03-24']]);
    expect(r.refused.map((x) => [x.item, x.reason]).sort()).toEqual([
      ['B2', 'renewal_reserved'],
      ['B3', 'reading_room_not_renewable'],
    ]);
    const b2 = lib.db.prepare(`SELECT due_date, renewals FROM loans l JOIN items i ON i.id = l.item_id WHERE i.barcode = 'B2'`).get();
    expect(b2).toEqual({ due_date: '2026-03-23', renewals: 0 });
  });

  it("someone else's loan is not yours to renew", async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    expect(await lib.engine.renew({ patron: '0100002', item: 'B1' })).toMatchObject({ ok: false, reason: 'not_your_loan' });
    expect(await lib.engine.renew({ patron: '0100002', item: 'B5' })).toMatchObject({ ok: false, reason: 'not_on_loan' });
  });

});

import { afterEach, describe, expect, it } from 'vitest';
import { baseData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';

let lib: TestLibrary;
afterEach(() => lib?.close());

async function dueOf(l: TestLibrary, item: string, patron = '0100001', department?: string): Promise<string> {
  const r = await l.engine.checkout({ patron, item }, department ? { department } : {});
  if (!r.ok) throw new Error(`${item}: ${r.reason}`);
  return r.dueDate;
}

describe('due dates', () => {
  it('uses the material type period of the lending department', async () => {
    // cobiss preset: books 21 days, periodicals and DVDs 7 days.
    lib = makeLibrary({ data: baseData(), policy: { timeParameters: { departments: { '02': { materialTypes: { book: { loan: '28d' } } } } } } });
    expect(await dueOf(lib, 'B1')).toBe('2026-03-23');
    expect(await dueOf(lib, 'P1')).toBe('2026-03-09');
    expect(await dueOf(lib, 'B6', '0100002', '02')).toBe('2026-03-30');
  });

  it('moves a due date that falls on a closed day to the next open day', async () => {
    // 2 March + 21 days = 23 March. Close 23 and 24 March (and Sunday 22 is closed anyway).
    lib = makeLibrary({
      data: baseData({
        calendar: [
          { date: '2026-03-23', closed: true, note: 'Inventory' },
          { date: '2026-03-24', department: '01', closed: true, note: 'Move' },
        ],
      }),
    });
    expect(await dueOf(lib, 'B1')).toBe('2026-03-25');
  });

  it('skips Sundays and national holidays (Easter Monday)', async () => {
    // 15 March + 21 days = Sunday 5 April (Easter) → Monday 6 April (holiday) → Tuesday 7 April.
    lib = makeLibrary({ data: baseData(), now: '2026-03-15T10:00:00+01:00' });
    expect(await dueOf(lib, 'B1')).toBe('2026-04-07');
  });

  it('an item-level period (996p = 3, 996u = 7d) wins over the material type (001:L2127)', async () => {
    lib = makeLibrary({
      data: baseData({
        items: [
          { barcode: 'X3', title: 'Short loan', materialType: 'book', department: '01', access: '3' },
          { barcode: 'XU', title: 'Restricted', materialType: 'book', department: '01', restriction: '7d' },
        ],
      }),
    });
    expect(await dueOf(lib, 'X3')).toBe('2026-03-16');
    expect(await dueOf(lib, 'XU')).toBe('2026-03-09');
  });

  it("a department's fixed due date wins over the type period, but not over an item period unless configured", async () => {
    const data = baseData({ items: [{ barcode: 'X3', title: 'Short loan', materialType: 'book', department: '01', access: '3' }] });
    (data.departments as Array<Record<string, unknown>>)[0]!.fixedDueDate = '2026-06-19';
    lib = makeLibrary({ data });
    expect(await dueOf(lib, 'B1')).toBe('2026-06-19');
    expect(await dueOf(lib, 'X3')).toBe('2026-03-16');
    lib.close();
    lib = makeLibrary({ data, policy: { departmentFixedDateOverridesItem: true } });
    expect(await dueOf(lib, 'X3')).toBe('2026-06-19');
  });

  it('a member category period wins over the material type period', async () => {
    lib = makeLibrary({ data: baseData(), policy: { categoryLoanPeriods: { child: '14d' } } });
    expect(await dueOf(lib, 'B1', '0100003')).toBe('2026-03-16');
    expect(await dueOf(lib, 'B2', '0100001')).toBe('2026-03-23');
  });

  it('a sub-type with no row of its own inherits its parent type (audio-fiction → audio, 14 days)', async () => {
    lib = makeLibrary({ data: baseData({ items: [{ barcode: 'CD1', title: 'Slovenske ljudske', materialType: 'audio-fiction', department: '01' }] }) });
    expect(await dueOf(lib, 'CD1')).toBe('2026-03-16');
  });

  it('a type with loan period 0d is not lent home, but may go to the reading room', async () => {
    lib = makeLibrary({ data: baseData({ items: [{ barcode: 'REF', title: 'Enciklopedija', materialType: 'reference', department: '01' }] }) });
    expect(await lib.engine.checkout({ patron: '0100001', item: 'REF' })).toMatchObject({ ok: false, reason: 'item_not_loanable' });
    const rr = await lib.engine.checkout({ patron: '0100001', item: 'REF', mode: 'reading_room' });
    expect(rr.ok && rr.dueDate).toBe('2026-03-02');
  });

  it('a fixed --clock date is what every rule reads (offline replays use their own time)', async () => {
    lib = makeLibrary({ data: baseData() });
    const r = await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { at: new Date('2026-02-02T09:00:00+01:00'), noBlock: true });
    expect(r.ok && r.dueDate).toBe('2026-02-23');
    const row = lib.db.prepare('SELECT loaned_at FROM loans').get() as { loaned_at: string };
    expect(row.loaned_at).toBe('2026-02-02T08:00:00.000Z');
    const j = lib.db.prepare('SELECT at, recorded_at, channel FROM journal').get();
    expect(j).toEqual({ at: '2026-02-02T08:00:00.000Z', recorded_at: '2026-03-02T09:00:00.000Z', channel: 'self:offline' });
    // A replayed time after now (a client's clock gone wrong) is taken as now.
    const ahead = await lib.engine.checkout({ patron: '0100001', item: 'B2' }, { at: new Date('2031-01-01T09:00:00+01:00'), noBlock: true });
    expect(ahead.ok && ahead.dueDate).toBe('2026-03-23');
  });
});

describe('limits', () => {
  it('refuses past the total limit of the member category; kits count as one item', async () => {
    lib = makeLibrary({
      data: baseData(),
      policy: { limits: { total: { default: 2, categories: { child: 1 } } }, timeParameters: { materialTypes: { game: { loan: '7d' } } } },
    });
    expect((await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ['K1', 'K2', 'K3'] })).ok).toBe(true);
    expect((await lib.engine.checkout({ patron: '0100001', item: 'B1' })).ok).toBe(true);
    expect(await lib.engine.checkout({ patron: '0100001', item: 'B2' })).toMatchObject({
      ok: false,
      reason: 'too_many_items',
      details: { limit: 2, current: 2 },
    });
    expect((await lib.engine.checkout({ patron: '0100003', item: 'B3' })).ok).toBe(true);
    expect(await lib.engine.checkout({ patron: '0100003', item: 'B4' })).toMatchObject({ ok: false, reason: 'too_many_items', details: { limit: 1 } });
  });

  it('applies per-material-type limits together with the total (Jelgava: 5 printed + 10 periodicals, 20 in all)', async () => {
    const items = Array.from({ length: 7 }, (_, i) => ({ barcode: `J${i}`, title: `Grāmata ${i}`, materialType: 'book', department: '01' }));
    lib = makeLibrary({ preset: 'jelgava', data: baseData({ items }) });
    for (let i = 0; i < 5; i++) expect((await lib.engine.checkout({ patron: '0100001', item: `J${i}` })).ok).toBe(true);
    expect(await lib.engine.checkout({ patron: '0100001', item: 'J5' })).toMatchObject({
      ok: false,
      reason: 'too_many_items_of_type',
      details: { limit: 5, materialType: 'book' },
    });
    expect((await lib.engine.checkout({ patron: '0100001', item: 'P1' })).ok).toBe(true); // a periodical still goes
  });

  it('counts per department or over the whole library as the preset says', async () => {
    const policy = { limits: { scope: 'department', totalScope: 'department', total: { default: 1 } } };
    lib = makeLibrary({ data: baseData(), policy });
    expect((await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { department: '01' })).ok).toBe(true);
    expect((await lib.engine.checkout({ patron: '0100001', item: 'B6' }, { department: '02' })).ok).toBe(true);
    lib.close();
    lib = makeLibrary({ data: baseData(), policy: { limits: { ...policy.limits, totalScope: 'library' } } });
    expect((await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { department: '01' })).ok).toBe(true);
    expect(await lib.engine.checkout({ patron: '0100001', item: 'B6' }, { department: '02' })).toMatchObject({ ok: false, reason: 'too_many_items' });
  });

  it("a member's own limit (I) replaces the category's", async () => {
    lib = makeLibrary({
      data: baseData({
        patrons: [{ barcode: '0100009', firstName: 'Eszter', lastName: 'Kovács', category: 'adult', pin: '1234', homeDepartment: '01', limits: { maxItems: 1 } }],
      }),
    });
    expect((await lib.engine.checkout({ patron: '0100009', item: 'B1' })).ok).toBe(true);
    expect(await lib.engine.checkout({ patron: '0100009', item: 'B2' })).toMatchObject({ ok: false, reason: 'too_many_items', details: { limit: 1 } });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { baseData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';

let lib: TestLibrary;
afterEach(() => lib?.close());
const ALL = ['K1', 'K2', 'K3'];

const unitState = (l: TestLibrary) =>
  l.db
    .prepare(`SELECT i.barcode, l.status, i.status_q, i.restriction_u FROM items i
              LEFT JOIN loans l ON l.item_id = i.id AND l.closed_at IS NULL WHERE i.kit_id IS NOT NULL ORDER BY i.barcode`)
    .all();

describe('kits', () => {
  it('refuses an incomplete kit, names the missing part, and changes nothing (scenario 1)', async () => {
    lib = makeLibrary({ data: baseData() });
    const r = await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ['K1', 'K2'] });
    expect(r).toMatchObject({
      ok: false,
      reason: 'kit_incomplete',
      details: { kit: 'FARM', missingParts: [{ barcode: 'K3', partNumber: 3, title: 'Wooden farm — fences' }] },
    });
    expect(r.ok === false && r.screenMessage).toBe('Komplet ni popoln. Manjka: 3/3 Wooden farm — fences.');
    expect(lib.db.prepare('SELECT COUNT(*) AS n FROM loans').get()).toEqual({ n: 0 });
    expect(lib.db.prepare('SELECT COUNT(*) AS n FROM journal').get()).toEqual({ n: 0 });
  });

  it('lends a complete kit with one due date from the lead unit; it counts as one item (scenario 2)', async () => {
    lib = makeLibrary({
      data: baseData(),
      policy: { limits: { total: { default: 1 } }, timeParameters: { materialTypes: { toy: { loan: '21d' }, game: { loan: '7d' } } } },
    });
    const r = await lib.engine.checkout({ patron: '0100001', item: 'K2', parts: ['K3', 'K2', 'K1'] });
    expect(r.ok && r.units.map((u) => [u.barcode, u.dueDate, u.kitPart])).toEqual([
      ['K1', '2026-03-23', 1],
      ['K2', '2026-03-23', 2],
      ['K3', '2026-03-23', 3],
    ]);
    const info = await lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.limits.current).toBe(1);
    expect(info.ok && info.patron.loans.map((l) => l.kit)).toEqual([
      { code: 'FARM', partNumber: 1, partsTotal: 3, lead: true },
      { code: 'FARM', partNumber: 2, partsTotal: 3, lead: false },
      { code: 'FARM', partNumber: 3, partsTotal: 3, lead: false },
    ]);
    // Statistics count units: one journal row per unit, all in one group.
    const j = lib.db.prepare(`SELECT COUNT(*) AS n, COUNT(DISTINCT group_id) AS g FROM journal WHERE kind = 'checkout'`).get();
    expect(j).toEqual({ n: 3, g: 1 });
  });

  it('a kit checkout by any unit without a parts list trusts the device integrity check (RFID, 001:L3426)', async () => {
    lib = makeLibrary({ data: baseData() });
    const r = await lib.engine.checkout({ patron: '0100001', item: 'K3' });
    expect(r.ok && r.units.length).toBe(3);
  });

  it('an incomplete kit on the return pad is not returned at the kiosk (scenario 3)', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ALL });
    const r = await lib.engine.checkin({ item: 'K1', parts: ['K1', 'K2'] });
    expect(r).toMatchObject({ ok: false, reason: 'kit_incomplete', details: { routing: { destination: 'staff' } } });
    expect(unitState(lib).map((u: unknown) => (u as { status: string }).status)).toEqual(['C', 'C', 'C']);
  });

  it('staff mark a forgotten part: the returned units become B, the missing one stays C (scenario 3)', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ALL });
    const r = await lib.engine.kitReturn({ item: 'K1', forgotten: ['K3'] });
    expect(r.ok && r.units).toEqual([
      { barcode: 'K1', status: 'B' },
      { barcode: 'K2', status: 'B' },
      { barcode: 'K3', status: 'C' },
    ]);
    // Later the patron brings the forgotten part to the kiosk: the whole kit is cleared, staff reunite it.
    const back = await lib.engine.checkin({ item: 'K3', parts: ['K3'] });
    expect(back.ok && back.routing.destination).toBe('staff');
    expect(unitState(lib).map((u: unknown) => (u as { status: string | null }).status)).toEqual([null, null, null]);
  });

  it('a damaged part blocks the kit: q = 6, lead u = 0d, member cleared, reservation deleted (scenario 4)', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ALL });
    await lib.engine.placeHold({ patron: '0100002', item: 'K1' });
    const r = await lib.engine.kitReturn({ item: 'K1', damaged: ['K2'] });
    expect(r.ok && r.reservationsDeleted).toBe(1);
    expect(unitState(lib)).toEqual([
      { barcode: 'K1', status: null, status_q: '', restriction_u: '0d' },
      { barcode: 'K2', status: null, status_q: '6', restriction_u: '' },
      { barcode: 'K3', status: null, status_q: '', restriction_u: '' },
    ]);
    const info = await lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.loans).toEqual([]);
    expect(await lib.engine.checkout({ patron: '0100003', item: 'K3', parts: ALL })).toMatchObject({ ok: false, reason: 'kit_blocked' });
    expect(await lib.engine.checkout({ patron: '0100003', item: 'K3', parts: ALL, confirmConditional: true }, { channel: 'staff' })).toMatchObject({
      ok: false,
      reason: 'kit_blocked',
    });
  });

  it('a lost part: returned units B, the lost one L with the rez. expiry, lost count up', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ALL });
    const r = await lib.engine.kitReturn({ item: 'K1', lost: ['K2'] });
    expect(r.ok && r.units.map((u) => u.status)).toEqual(['B', 'L', 'B']);
    const info = await lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.lostCount).toBe(1);
  });

  it('a part lost for good: q = 8 on the unit, the kit blocked through its lead', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ALL });
    await lib.engine.kitReturn({ item: 'K1', lostForGood: ['K3'] });
    expect(unitState(lib)).toEqual([
      { barcode: 'K1', status: null, status_q: '', restriction_u: '0d' },
      { barcode: 'K2', status: null, status_q: '', restriction_u: '' },
      { barcode: 'K3', status: null, status_q: '8', restriction_u: '' },
    ]);
  });

  it('item information reports the set: part n of m and the parts list', async () => {
    lib = makeLibrary({ data: baseData() });
    const info = await lib.engine.itemInformation('K2');
    expect(info.ok && info.item.kit).toEqual({
      code: 'FARM',
      title: 'Wooden farm',
      leadBarcode: 'K1',
      partsTotal: 3,
      partNumber: 2,
      parts: [
        { barcode: 'K1', partNumber: 1, title: 'Wooden farm — box' },
        { barcode: 'K2', partNumber: 2, title: 'Wooden farm — animals' },
        { barcode: 'K3', partNumber: 3, title: 'Wooden farm — fences' },
      ],
    });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { baseData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';

let lib: TestLibrary;
afterEach(() => lib?.close());

const openLoans = (l: TestLibrary, barcode: string) =>
  l.db
    .prepare(`SELECT l.status, l.department, p.barcode AS patron, l.held_reason FROM loans l JOIN items i ON i.id = l.item_id
              LEFT JOIN patrons p ON p.id = l.patron_id WHERE i.barcode = ? AND l.closed_at IS NULL`)
    .all(barcode);

describe('statuses and transitions', () => {
  it('free → C on a home checkout, and back to free on return, with the journal written', async () => {
    lib = makeLibrary({ data: baseData() });
    const out = await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    expect(out.ok).toBe(true);
    expect(openLoans(lib, 'B1')).toEqual([{ status: 'C', department: '01', patron: '0100001', held_reason: null }]);
    const info = await lib.engine.itemInformation('B1');
    expect(info.ok && info.item.status).toBe('C');
    const back = await lib.engine.checkin({ item: 'B1' });
    expect(back.ok && back.routing.destination).toBe('shelf');
    expect(back.ok && back.securityOn).toBe(true);
    expect(openLoans(lib, 'B1')).toEqual([]);
    const kinds = lib.db.prepare('SELECT code, kind FROM journal ORDER BY id').all();
    expect(kinds).toEqual([
      { code: 11, kind: 'checkout' },
      { code: 17, kind: 'checkin' },
    ]);
  });

  it('a reading-room loan (S) is due the same day and can become a home loan (S → C)', async () => {
    lib = makeLibrary({ data: baseData() });
    const s = await lib.engine.checkout({ patron: '0100001', item: 'B2', mode: 'reading_room' });
    expect(s.ok && s.status).toBe('S');
    expect(s.ok && s.dueDate).toBe('2026-03-02');
    const c = await lib.engine.checkout({ patron: '0100001', item: 'B2' });
    expect(c.ok && c.status).toBe('C');
    expect(c.ok && c.dueDate).toBe('2026-03-23');
    expect(openLoans(lib, 'B2')).toMatchObject([{ status: 'C' }]);
  });

  it('an item on loan to someone else is refused, one on loan to you says so', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    const other = await lib.engine.checkout({ patron: '0100002', item: 'B1' });
    expect(other).toMatchObject({ ok: false, reason: 'item_on_loan' });
    const again = await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    expect(again).toMatchObject({ ok: false, reason: 'item_already_yours' });
  });

  it('return with hold → B on the member: not counted, not lendable, cleared by staff, then served to the queue', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    await lib.engine.placeHold({ patron: '0100002', item: 'B1' });
    const held = await lib.engine.returnWithHold({ item: 'B1' });
    expect(held.ok && held.routing.destination).toBe('staff');
    expect(openLoans(lib, 'B1')).toMatchObject([{ status: 'B', patron: '0100001', held_reason: 'inspection' }]);
    const info = await lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.limits.current).toBe(0); // B does not count as a loan (001:L2462)
    expect(await lib.engine.checkout({ patron: '0100003', item: 'B1' })).toMatchObject({ ok: false, reason: 'item_held' });
    const cleared = await lib.engine.clearHeld('B1');
    expect(cleared.ok && cleared.routing).toMatchObject({ destination: 'hold_shelf', forPatron: '0100002' });
    expect((await lib.engine.itemInformation('B1')).ok && ((await lib.engine.itemInformation('B1')) as { item: { status: string } }).item.status).toBe('W');
  });

  it('a lost item (L) counts on the member, and when it turns up the lost count goes back down', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B3' });
    const lost = await lib.engine.markLost({ patron: '0100001', item: 'B3' });
    expect(lost.ok).toBe(true);
    let info = await lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.lostCount).toBe(1);
    expect(info.ok && info.patron.loans.map((l) => l.status)).toEqual(['L']);
    const back = await lib.engine.checkin({ item: 'B3' });
    expect(back.ok && back.routing.destination).toBe('staff');
    info = await lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.lostCount).toBe(0);
    expect(info.ok && info.patron.loans).toEqual([]);
  });

  it('stock status 6 (damaged) is conditional: refused at the kiosk, lent by staff after confirming (scenario 14)', async () => {
    lib = makeLibrary({ data: baseData({ items: [{ barcode: 'X6', title: 'Worn copy', materialType: 'book', department: '01', status: '6' }] }) });
    const kiosk = await lib.engine.checkout({ patron: '0100001', item: 'X6' }, { channel: 'self' });
    expect(kiosk).toMatchObject({ ok: false, reason: 'ask_staff' });
    expect(openLoans(lib, 'X6')).toEqual([]);
    const desk = await lib.engine.checkout({ patron: '0100001', item: 'X6' }, { channel: 'staff' });
    expect(desk).toMatchObject({ ok: false, reason: 'ask_staff', details: { loanMode: 'conditional' } });
    const confirmed = await lib.engine.checkout({ patron: '0100001', item: 'X6', confirmConditional: true }, { channel: 'staff' });
    expect(confirmed.ok).toBe(true);
  });

  it('stock status 8 (lost) and access level 7 are forbidden for everyone', async () => {
    lib = makeLibrary({
      data: baseData({
        items: [
          { barcode: 'X8', title: 'Lost copy', materialType: 'book', department: '01', status: '8', restriction: '0d' },
          { barcode: 'R7', title: 'Leksikon', materialType: 'book', department: '01', access: '7' },
        ],
      }),
    });
    for (const item of ['X8', 'R7']) {
      const r = await lib.engine.checkout({ patron: '0100001', item, confirmConditional: true }, { channel: 'staff' });
      expect(r).toMatchObject({ ok: false, reason: 'item_not_loanable' });
    }
  });

  it('access level 4 is conditional for home loans but unconditional in the reading room (pq 10)', async () => {
    lib = makeLibrary({ data: baseData({ items: [{ barcode: 'A4', title: 'Rare', materialType: 'book', department: '01', access: '4' }] }) });
    expect(await lib.engine.checkout({ patron: '0100001', item: 'A4' })).toMatchObject({ ok: false, reason: 'ask_staff' });
    const rr = await lib.engine.checkout({ patron: '0100001', item: 'A4', mode: 'reading_room' });
    expect(rr.ok && rr.status).toBe('S');
  });

  it('access level 8 (pq 33, undefined in the source) is staff-only at the kiosk', async () => {
    lib = makeLibrary({ data: baseData({ items: [{ barcode: 'A8', title: 'Odd', materialType: 'book', department: '01', access: '8' }] }) });
    expect(await lib.engine.checkout({ patron: '0100001', item: 'A8' })).toMatchObject({ ok: false, reason: 'ask_staff', details: { loanMode: 'undefined' } });
  });

  it('return in another department → cleared from the member, B there, no hold served, fine in the lending department (scenario 19)', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { department: '01' });
    await lib.engine.placeHold({ patron: '0100002', item: 'B1' }, { department: '01' });
    lib.clock.advanceDays(25); // due 23 March; back on 27 March, 4 days late
    const back = await lib.engine.checkin({ item: 'B1' }, { department: '02' });
    expect(back.ok && back.routing).toMatchObject({ destination: 'other_department', department: '01' });
    expect(back.ok && back.fine).toEqual({ amount: 0.8, currency: 'EUR' });
    expect(openLoans(lib, 'B1')).toEqual([{ status: 'B', department: '02', patron: null, held_reason: 'other_department' }]);
    const hold = lib.db.prepare(`SELECT status, assigned_item_id FROM holds`).get();
    expect(hold).toEqual({ status: 'R', assigned_item_id: null }); // no assignment, no arrival notice
    const fee = lib.db.prepare(`SELECT department, amount_minor FROM fees`).get();
    expect(fee).toEqual({ department: '01', amount_minor: 80 });
    const info = await lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.loans).toEqual([]);
    // After the transfer back, the lending department clears it and the reservation is served.
    const cleared = await lib.engine.clearHeld('B1', { department: '01' });
    expect(cleared.ok && cleared.routing).toMatchObject({ destination: 'hold_shelf', forPatron: '0100002' });
  });

  it('a preset without returns in other departments refuses them at the kiosk', async () => {
    lib = makeLibrary({ data: baseData(), policy: { returns: { anyDepartment: false, otherDepartmentFee: 0 } } });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { department: '01' });
    const r = await lib.engine.checkin({ item: 'B1' }, { department: '02' });
    expect(r).toMatchObject({ ok: false, reason: 'return_elsewhere_not_allowed' });
    expect(openLoans(lib, 'B1')).toMatchObject([{ status: 'C' }]);
  });

  it('checking in an item that is not on loan says so and still routes it', async () => {
    lib = makeLibrary({ data: baseData() });
    const r = await lib.engine.checkin({ item: 'B5' });
    expect(r).toMatchObject({ ok: false, reason: 'not_on_loan', details: { routing: { destination: 'shelf' } } });
    expect(await lib.engine.checkin({ item: 'NOPE' })).toMatchObject({ ok: false, reason: 'unknown_item' });
  });
});

describe('inter-department loans (D)', () => {
  it('a D copy is lent only to members in the host department, returns to D there, and comes home whole', async () => {
    lib = makeLibrary({ data: baseData() });
    const d = await lib.engine.lendToDepartment({ item: 'B1', department: '02' }, { department: '01' });
    expect(d).toMatchObject({ ok: true, dueDate: '2026-03-23' });
    expect(openLoans(lib, 'B1')).toEqual([{ status: 'D', department: '02', patron: null, held_reason: null }]);
    // Not in the home department, and not passed on to a third one.
    expect(await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { department: '01' })).toMatchObject({ ok: false, reason: 'item_on_loan' });
    const lent = await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { department: '02' });
    expect(lent.ok).toBe(true);
    expect(openLoans(lib, 'B1')).toMatchObject([{ status: 'C', department: '02', patron: '0100001', held_reason: 'department_loan' }]);
    const back = await lib.engine.checkin({ item: 'B1' }, { department: '02' });
    expect(back.ok && back.routing.note).toBe('on loan to department 02 until 2026-03-23');
    expect(openLoans(lib, 'B1')).toMatchObject([{ status: 'D', department: '02', patron: null }]);
    const home = await lib.engine.checkin({ item: 'B1' }, { department: '01' });
    expect(home.ok && home.routing.destination).toBe('shelf');
    expect(openLoans(lib, 'B1')).toEqual([]);
  });

  it('a D copy returned in a third department becomes B there', async () => {
    lib = makeLibrary({
      data: { ...baseData(), departments: [{ code: '01', name: 'C' }, { code: '02', name: 'B' }, { code: '03', name: 'Children' }] },
    });
    await lib.engine.lendToDepartment({ item: 'B1', department: '02' });
    const r = await lib.engine.checkin({ item: 'B1' }, { department: '03' });
    expect(r.ok && r.routing).toMatchObject({ destination: 'other_department', department: '02' });
    expect(openLoans(lib, 'B1')).toMatchObject([{ status: 'B', department: '03', held_reason: 'other_department' }]);
  });
});

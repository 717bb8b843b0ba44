import { afterEach, describe, expect, it } from 'vitest';
import { baseData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';

let lib: TestLibrary;
afterEach(() => lib?.close());

const holds = (l: TestLibrary) =>
  l.db
    .prepare(`SELECT h.status, p.barcode AS patron, i.barcode AS item, h.expires_on, h.close_reason FROM holds h
              JOIN patrons p ON p.id = h.patron_id LEFT JOIN items i ON i.id = h.assigned_item_id ORDER BY h.id`)
    .all();

describe('holds', () => {
  it('a free copy is reserved as O with the nar. expiry; a copy on loan queues as R with rez.', async () => {
    lib = makeLibrary({ data: baseData() });
    const free = await lib.engine.placeHold({ patron: '0100001', item: 'B5' });
    expect(free.ok && free.hold).toMatchObject({ status: 'O', itemBarcode: 'B5', expiresOn: '2026-03-09' });
    await lib.engine.checkout({ patron: '0100002', item: 'B2' });
    const queued = await lib.engine.placeHold({ patron: '0100001', bibId: 'T2' });
    // rez. 60 days → 1 May (holiday), 2 May (holiday), 3 May (Sunday) → Monday 4 May.
    expect(queued.ok && queued.hold).toMatchObject({ status: 'R', queuePosition: 1, expiresOn: '2026-05-04' });
    // The O copy is kept for its reserver.
    expect(await lib.engine.checkout({ patron: '0100003', item: 'B5' })).toMatchObject({ ok: false, reason: 'item_reserved' });
    const mine = await lib.engine.checkout({ patron: '0100001', item: 'B5' });
    expect(mine.ok && mine.holdFulfilled).toBe(true);
  });

  it('serves the queue in order on return: R → W for the first, with the hold-shelf expiry', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B2' });
    await lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
    lib.clock.advanceDays(1);
    await lib.engine.placeHold({ patron: '0100003', bibId: 'T2' });
    const info = await lib.engine.itemInformation('B2');
    expect(info.ok && info.item.holdQueueLength).toBe(2);
    lib.clock.advanceDays(2); // Thursday 5 March: čak. 7 days → 12 March
    const back = await lib.engine.checkin({ item: 'B2' });
    expect(back.ok && back.routing).toMatchObject({ destination: 'hold_shelf', forPatron: '0100002', holdExpiresOn: '2026-03-12' });
    expect(holds(lib)).toMatchObject([
      { status: 'W', patron: '0100002', item: 'B2' },
      { status: 'R', patron: '0100003', item: null },
    ]);
    // Only the first in the queue may take it.
    expect(await lib.engine.checkout({ patron: '0100003', item: 'B2' })).toMatchObject({ ok: false, reason: 'item_reserved' });
    expect((await lib.engine.checkout({ patron: '0100002', item: 'B2' })).ok).toBe(true);
  });

  it('hold-shelf time follows the preset: 5 days at Baloži, 14 days at the Hungarian library', async () => {
    for (const [preset, expected] of [
      ['balozi', '2026-03-09'], // Wednesday 4 March + 5 days = Monday 9 March
      ['hungarian', '2026-03-18'], // Wednesday 4 March + 14 days = Wednesday 18 March
    ] as const) {
      lib = makeLibrary({ preset, data: baseData() });
      await lib.engine.checkout({ patron: '0100001', item: 'B2' });
      await lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
      lib.clock.advanceDays(2);
      const back = await lib.engine.checkin({ item: 'B2' });
      expect([preset, back.ok && back.routing.holdExpiresOn]).toEqual([preset, expected]);
      lib.close();
    }
  });

  it('moves a hold-shelf expiry off a closed day', async () => {
    lib = makeLibrary({ preset: 'hungarian', data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'B2' });
    await lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
    // Returned Monday 16 March (staff day) + 14 days = Monday 30 March, closed on Mondays → Tuesday 31 March.
    lib.clock.set('2026-03-16T10:00:00+01:00');
    const back = await lib.engine.checkin({ item: 'B2' });
    expect(back.ok && back.routing.holdExpiresOn).toBe('2026-03-31');
  });

  it('in a pickup-place library a returned reserved copy goes to processing (R → O)', async () => {
    lib = makeLibrary({ data: baseData(), policy: { holds: { usePickupPlaces: true } } });
    await lib.engine.checkout({ patron: '0100001', item: 'B2' });
    await lib.engine.placeHold({ patron: '0100002', bibId: 'T2', pickupPlace: '01-DESK' });
    const back = await lib.engine.checkin({ item: 'B2' });
    expect(back.ok && back.routing).toMatchObject({ destination: 'processing', forPatron: '0100002', pickupPlace: '01-DESK' });
    const ready = await lib.engine.holdReady('B2');
    expect(ready.ok && ready.hold).toMatchObject({ status: 'W', expiresOn: '2026-03-09' });
  });

  it('a locker hold waits 72 hours once loaded; locker pickup needs a mobile number (scenario 22)', async () => {
    lib = makeLibrary({ data: baseData() });
    expect(await lib.engine.placeHold({ patron: '0100002', item: 'B5', pickupPlace: 'LOCKER-A' })).toMatchObject({
      ok: false,
      reason: 'locker_needs_mobile',
    });
    const h = await lib.engine.placeHold({ patron: '0100001', item: 'B5', pickupPlace: 'LOCKER-A' });
    expect(h.ok && h.hold.status).toBe('O');
    const ready = await lib.engine.holdReady('B5');
    expect(ready.ok && ready.hold.expiresOn).toBe('2026-03-05');
    const row = lib.db.prepare('SELECT expires_at FROM holds').get() as { expires_at: string };
    expect(row.expires_at).toBe('2026-03-05T09:00:00.000Z');
  });

  it('expired hold-shelf item: unclaimed fee for the first, the copy passes to the next as O (scenario 24)', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100003', item: 'B2' });
    await lib.engine.placeHold({ patron: '0100001', bibId: 'T2' });
    await lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
    await lib.engine.checkin({ item: 'B2' }); // W for 0100001 until 9 March
    lib.clock.advanceDays(7); // 9 March: not yet expired
    let r = await lib.engine.expireHolds();
    expect(r.ok && r.expired).toEqual([]);
    lib.clock.advanceDays(1);
    r = await lib.engine.expireHolds();
    expect(r.ok && r.expired).toMatchObject([{ patron: '0100001', status: 'W', item: 'B2', next: '0100002' }]);
    expect(holds(lib)).toMatchObject([
      { status: 'W', patron: '0100001', close_reason: 'expired' },
      { status: 'O', patron: '0100002', item: 'B2' },
    ]);
    const info = await lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.fees.map((f) => [f.kind, f.amount])).toEqual([['unclaimed_hold', 1]]);
  });

  it('an expired hold with nobody next sends the copy back to the shelf', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.placeHold({ patron: '0100001', item: 'B5' }); // O until 9 March
    lib.clock.advanceDays(8);
    const r = await lib.engine.expireHolds();
    expect(r.ok && r.expired).toMatchObject([{ status: 'O', next: null }]);
    expect((await lib.engine.checkout({ patron: '0100002', item: 'B5' })).ok).toBe(true);
  });

  it('cancelling a waiting hold passes the copy to the next member as W', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100003', item: 'B2' });
    await lib.engine.placeHold({ patron: '0100001', bibId: 'T2' });
    await lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
    await lib.engine.checkin({ item: 'B2' });
    const c = await lib.engine.cancelHold({ patron: '0100001', bibId: 'T2' });
    expect(c.ok && c.cancelled.status).toBe('W');
    expect(holds(lib)).toMatchObject([{ close_reason: 'cancelled' }, { status: 'W', patron: '0100002', item: 'B2' }]);
    expect(await lib.engine.cancelHold({ patron: '0100001', bibId: 'T2' })).toMatchObject({ ok: false, reason: 'hold_not_found' });
  });

  it('refuses what cannot be reserved: a type without rez., a duplicate, your own loan, too many holds', async () => {
    lib = makeLibrary({
      data: baseData({ items: [{ barcode: 'REF', bibId: 'TR', title: 'Enciklopedija', materialType: 'reference', department: '01' }] }),
      policy: { holds: { maxPerPatron: { default: 2 } } },
    });
    expect(await lib.engine.placeHold({ patron: '0100001', item: 'REF' })).toMatchObject({ ok: false, reason: 'not_reservable' });
    expect(await lib.engine.placeHold({ patron: '0100001', bibId: 'T8' })).toMatchObject({ ok: false, reason: 'not_reservable' }); // a kit title
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    expect(await lib.engine.placeHold({ patron: '0100001', bibId: 'T1' })).toMatchObject({ ok: false, reason: 'item_already_yours' });
    expect((await lib.engine.placeHold({ patron: '0100001', bibId: 'T2' })).ok).toBe(true);
    expect(await lib.engine.placeHold({ patron: '0100001', item: 'B2' })).toMatchObject({ ok: false, reason: 'already_reserved' });
    expect((await lib.engine.placeHold({ patron: '0100001', bibId: 'T3' })).ok).toBe(true);
    expect(await lib.engine.placeHold({ patron: '0100001', bibId: 'T4' })).toMatchObject({ ok: false, reason: 'too_many_holds', details: { limit: 2 } });
  });

  it('a kit is reserved through a copy of the kit and waits whole for its reserver', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100001', item: 'K1', parts: ['K1', 'K2', 'K3'] });
    const h = await lib.engine.placeHold({ patron: '0100002', item: 'K3' });
    expect(h.ok && h.hold.status).toBe('R');
    const back = await lib.engine.checkin({ item: 'K2', parts: ['K1', 'K2', 'K3'] });
    expect(back.ok && back.routing).toMatchObject({ destination: 'hold_shelf', forPatron: '0100002' });
    expect(await lib.engine.checkout({ patron: '0100003', item: 'K3', parts: ['K1', 'K2', 'K3'] })).toMatchObject({ ok: false, reason: 'item_reserved' });
    const got = await lib.engine.checkout({ patron: '0100002', item: 'K3', parts: ['K1', 'K2', 'K3'] });
    expect(got.ok && got.holdFulfilled).toBe(true);
  });
});

/**
 * The upstream backend in front of our own SIP2 server (an embedded library), over real TCP:
 * every operation gives the same outcome and reason code as the embedded engine does on an
 * identical library.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EmbeddedBackend } from '../../../daemon/circulation/embedded.ts';
import type { Outcome } from '../../../daemon/circulation/backend.ts';
import type { Sip2UpstreamBackend } from '../../../daemon/circulation/sip2-upstream/index.ts';
import { baseData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';
import { upstreamPair, type UpstreamPair } from './fixture.ts';

let pair: UpstreamPair | undefined;
let ref: TestLibrary | undefined;
afterEach(async () => {
  await pair?.close();
  ref?.close();
  pair = undefined;
  ref = undefined;
});

async function setup(data: Record<string, unknown>, policy?: Record<string, unknown>) {
  ref = makeLibrary({ data, ...(policy ? { policy } : {}) });
  pair = await upstreamPair({ data, ...(policy ? { policy } : {}) });
  const engine = ref.engine;
  const up = pair.backend;
  const clocks = [ref.clock, pair.fx.lib.clock];
  /** The same request on both; the outcomes must agree on ok and on the reason. */
  async function both<T extends object>(op: (b: EmbeddedBackend | Sip2UpstreamBackend) => Promise<Outcome<T>>): Promise<[Outcome<T>, Outcome<T>]> {
    const a = await op(engine);
    const b = await op(up);
    expect({ ok: b.ok, reason: b.ok ? null : b.reason }, JSON.stringify(b)).toEqual({ ok: a.ok, reason: a.ok ? null : a.reason });
    return [a, b];
  }
  const advanceDays = (n: number) => clocks.forEach((c) => c.advanceDays(n));
  return { engine, up, both, advanceDays };
}

function ok<T extends object>(o: Outcome<T>): { ok: true } & T {
  if (!o.ok) throw new Error(`expected success, got ${o.reason}: ${o.screenMessage}`);
  return o;
}

describe('upstream backend ↔ embedded engine: patrons', () => {
  it('identifies patrons and checks PINs with the same outcomes (and the upstream’s own words)', async () => {
    const { both, up } = await setup(baseData());
    const [a] = await both((b) => b.verifyPatron('0100001', '1234'));
    expect(ok(a).patron).toMatchObject({ firstName: 'Ana', lastName: 'Novak' });
    const [, b] = await both((b) => b.verifyPatron('0100001', '1234'));
    expect(ok(b).patron).toMatchObject({ barcode: '0100001', firstName: 'Ana', lastName: 'Novak', blocks: [] });
    // The e-mail address (for e-mailed receipts) comes through, though a 24 has no field for it.
    expect(ok(b).patron.email).toBe(ok(a).patron.email);
    expect(ok(b).patron.email).toBe('ana.novak@example.org');
    const [wrongRef, wrongUp] = await both((b) => b.verifyPatron('0100002', '9999'));
    expect(wrongUp.ok ? '' : wrongUp.screenMessage).toBe(wrongRef.ok ? '' : wrongRef.screenMessage); // "Koda PIN ni pravilna."
    await both((b) => b.verifyPatron('0100002', ''));
    await both((b) => b.verifyPatron('0100002', undefined));
    await both((b) => b.verifyPatron('9999999', '1234'));
    await both((b) => b.lookupPatron('0100003'));
    await both((b) => b.lookupPatron('nobody'));
    // An empty PIN does not pass because the patron was verified earlier on the same pooled connection.
    await both((b) => b.verifyPatron('0100002', '1234'));
    await both((b) => b.verifyPatron('0100002', ''));
    await both((b) => b.endSession('0100001'));
    await both((b) => b.endSession('9999999'));
    expect((await up.status()).online).toBe(true);
  });

  it('blocks and re-enables a card (01/25); a blocked card cannot borrow', async () => {
    const { both } = await setup(baseData());
    await both((b) => b.verifyPatron('0100003', '1234'));
    const [, blocked] = await both((b) => b.blockPatron({ patron: '0100003', cardRetained: false, message: 'Card left in the machine' }));
    expect(ok(blocked).patron.blocks[0]?.reason).toBe('patron_blocked');
    await both((b) => b.checkout({ patron: '0100003', item: 'B5' })); // patron_blocked
    const [, enabled] = await both((b) => b.enablePatron('0100003'));
    expect(ok(enabled).patron.blocks).toEqual([]);
    await both((b) => b.checkout({ patron: '0100003', item: 'B5' }));
    await both((b) => b.blockPatron({ patron: '9999999', cardRetained: true, message: 'x' }));
  });

  it('patron information: loans with due dates, holds ready or waiting, fees and balance', async () => {
    const data = baseData({ fees: [{ patron: '0100001', kind: 'overdue', amount: 3, createdAt: '@today-3d' }] });
    const { both, engine, up } = await setup(data);
    await both((b) => b.verifyPatron('0100001', '1234'));
    await both((b) => b.verifyPatron('0100002', '1234'));
    for (const item of ['B1', 'B2', 'K1']) await both((b) => b.checkout({ patron: '0100001', item }));
    await both((b) => b.checkout({ patron: '0100002', item: 'B3' }));
    await both((b) => b.placeHold({ patron: '0100001', bibId: 'T3' })); // waiting (R)
    await both((b) => b.placeHold({ patron: '0100001', item: 'B5' })); // a free copy reserved (O)
    const a = ok(await engine.patronInformation('0100001')).patron;
    const b = ok(await up.patronInformation('0100001')).patron;
    const loans = (p: typeof a) => p.loans.map((l) => [l.barcode, l.dueDate, l.status, l.kit?.code ?? null, l.kit?.lead ?? null]).sort();
    expect(loans(b)).toEqual(loans(a));
    expect(b.loans.find((l) => l.barcode === 'B1')).toMatchObject({ title: 'Alamut', overdue: false });
    expect(b.holds.map((h) => [h.status, h.itemBarcode ?? h.bibId]).sort()).toEqual(a.holds.map((h) => [h.status, h.itemBarcode ?? h.bibId]).sort());
    // AV lines carry id, amount and text; the kind of fee is not on the wire.
    expect(b.fees.map((f) => [f.id, f.remaining, f.currency])).toEqual(a.fees.map((f) => [f.id, f.remaining, f.currency]));
    expect({ balance: b.balance, currency: b.currency, limits: b.limits }).toEqual({ balance: a.balance, currency: a.currency, limits: { total: a.limits.total, current: 5 } });
    expect(b).toMatchObject({ firstName: 'Ana', lastName: 'Novak', email: a.email }); // BE
    // Without a verified PIN our server gives nothing out, and the backend says why.
    await both((b) => b.patronInformation('nobody'));
    const fresh = pair!.makeBackend();
    const noPin = await fresh.patronInformation('0100002');
    expect(noPin).toMatchObject({ ok: false, reason: 'pin_required' });
  });
});

describe('upstream backend ↔ embedded engine: circulation', () => {
  it('checkout: due dates, refusals with reason codes, kits by the lead unit, loan fees after BO', async () => {
    const { both, up, engine, advanceDays } = await setup(baseData(), { loanFees: { video: 1.5 } });
    for (const p of ['0100001', '0100002', '0100003']) await both((b) => b.verifyPatron(p, '1234'));
    const [a, b] = await both((b) => b.checkout({ patron: '0100001', item: 'B1' }));
    expect(ok(b)).toMatchObject({ dueDate: ok(a).dueDate, title: 'Alamut', status: 'C', renewal: false, units: [{ barcode: 'B1', dueDate: '2026-03-23' }] });
    const [onLoanRef, onLoan] = await both((b) => b.checkout({ patron: '0100003', item: 'B1' })); // item_on_loan
    expect(onLoan.ok ? '' : onLoan.screenMessage).toBe(onLoanRef.ok ? '' : onLoanRef.screenMessage);
    await both((b) => b.checkout({ patron: '0100001', item: 'NOPE' })); // unknown_item
    await both((b) => b.checkout({ patron: '9999999', item: 'B2' })); // unknown_patron
    // A kit: refused while a part is missing from the pad, then lent whole.
    const [, partial] = await both((b) => b.checkout({ patron: '0100002', item: 'K2', parts: ['K1', 'K2'] }));
    expect(partial).toMatchObject({ ok: false, reason: 'kit_incomplete', details: { kit: 'FARM', missingParts: [{ barcode: 'K3', partNumber: 3 }] } });
    const [kitRef, kit] = await both((b) => b.checkout({ patron: '0100002', item: 'K2', parts: ['K1', 'K2', 'K3'] }));
    expect(ok(kit)).toMatchObject({ title: 'Wooden farm', dueDate: ok(kitRef).dueDate });
    expect(ok(kit).units.map((u) => u.barcode)).toEqual(ok(kitRef).units.map((u) => u.barcode));
    // Only the lead unit went upstream (domain.md §7.3): one checkout per unit in the journal, once.
    expect(pair!.fx.lib.db.prepare(`SELECT COUNT(*) AS n FROM journal WHERE kind = 'checkout'`).get()).toEqual({ n: 4 });
    // Loan fee: refused until the patron acknowledges it (BO), then charged once.
    const [, fee] = await both((b) => b.checkout({ patron: '0100001', item: 'D1' }));
    expect(fee).toMatchObject({ ok: false, reason: 'fee_not_acknowledged', details: { fee: 1.5, amount: '1.50 EUR' } });
    const [, paid] = await both((b) => b.checkout({ patron: '0100001', item: 'D1', feeAcknowledged: true }));
    expect(ok(paid).fee).toEqual({ amount: 1.5, currency: 'EUR', kind: 'loan_fee' });
    // Its renewal fee likewise (29 BO): refused with the fee, renewed once accepted.
    advanceDays(7);
    const [, renewFee] = await both((b) => b.renew({ patron: '0100001', item: 'D1' }));
    expect(renewFee).toMatchObject({ ok: false, reason: 'fee_not_acknowledged', details: { fee: 1.5, amount: '1.50 EUR' } });
    const [, renewed] = await both((b) => b.renew({ patron: '0100001', item: 'D1', feeAcknowledged: true }));
    expect(ok(renewed).fee).toEqual({ amount: 1.5, currency: 'EUR' });
    // Reading-room loans do not exist in SIP2.
    expect(await up.checkout({ patron: '0100001', item: 'B3', mode: 'reading_room' })).toMatchObject({ ok: false, reason: 'invalid_request' });
    expect(ok(await engine.itemInformation('K2')).item.kit?.parts.map((p) => p.barcode)).toEqual(ok(await up.itemInformation('K2')).item.kit?.parts.map((p) => p.barcode));
  });

  it('item information (17): status, due date, queue, kit properties from CH', async () => {
    const { both, up } = await setup(baseData());
    await both((b) => b.verifyPatron('0100002', '1234'));
    await both((b) => b.checkout({ patron: '0100002', item: 'B2' }));
    await both((b) => b.placeHold({ patron: '0100002', bibId: 'T1' }));
    await both((b) => b.itemInformation('NOPE'));
    const [a, b] = await both((b) => b.itemInformation('B2'));
    const pick = (i: typeof a) => {
      const x = ok(i).item;
      return { barcode: x.barcode, title: x.title, status: x.status, dueDate: x.dueDate, holdQueueLength: x.holdQueueLength, department: x.department, materialType: x.materialType, kit: x.kit };
    };
    expect(pick(b)).toEqual(pick(a));
    const kit = ok(await up.itemInformation('K3')).item.kit;
    expect(kit).toMatchObject({ code: 'FARM', title: 'Wooden farm', leadBarcode: 'K1', partsTotal: 3, partNumber: 3 });
    await both((b) => b.setItemProperties({ item: 'B1', properties: 'afi=07' }));
    await both((b) => b.setItemProperties({ item: 'NOPE', properties: 'afi=07' }));
  });

  it('checkin: routing to the hold shelf (CV/CY/DA), not on loan, unknown item', async () => {
    const { both } = await setup(baseData());
    for (const p of ['0100001', '0100002']) await both((b) => b.verifyPatron(p, '1234'));
    await both((b) => b.checkout({ patron: '0100001', item: 'B2' }));
    await both((b) => b.placeHold({ patron: '0100002', bibId: 'T2' }));
    const [a, b] = await both((b) => b.checkin({ item: 'B2' }));
    expect(ok(b).routing).toEqual(ok(a).routing);
    expect(ok(b)).toMatchObject({ patron: '0100001', securityOn: true, title: 'Na klancu', routing: { destination: 'hold_shelf', forPatron: '0100002', forPatronName: 'Horvat, M.' } });
    const [, notOut] = await both((b) => b.checkin({ item: 'B5' }));
    expect(notOut).toMatchObject({ ok: false, reason: 'not_on_loan', details: { routing: { destination: 'shelf' } } });
    await both((b) => b.checkin({ item: 'NOPE' }));
    // A kit comes back whole: a missing part is refused before anything is sent.
    await both((b) => b.checkout({ patron: '0100001', item: 'K1' }));
    await both((b) => b.checkin({ item: 'K1', parts: ['K1', 'K3'] }));
    const [, back] = await both((b) => b.checkin({ item: 'K3', parts: ['K1', 'K2', 'K3'] }));
    expect(ok(back).units).toEqual(['K1', 'K2', 'K3']);
  });

  it('renew and renew all: new due dates, and the same refusals (reserved, no extension)', async () => {
    const { both, advanceDays } = await setup(baseData());
    for (const p of ['0100001', '0100002']) await both((b) => b.verifyPatron(p, '1234'));
    await both((b) => b.checkout({ patron: '0100001', item: 'B1' }));
    await both((b) => b.checkout({ patron: '0100001', item: 'B2' }));
    await both((b) => b.placeHold({ patron: '0100002', bibId: 'T2' }));
    advanceDays(2);
    const [a, b] = await both((b) => b.renew({ patron: '0100001', item: 'B1' }));
    expect(ok(b)).toMatchObject({ item: 'B1', title: 'Alamut', dueDate: ok(a).dueDate });
    expect(ok(b).dueDate).toBe('2026-03-25');
    await both((b) => b.renew({ patron: '0100001', item: 'B2' })); // renewal_reserved
    await both((b) => b.renew({ patron: '0100002', item: 'B1' })); // not_your_loan
    await both((b) => b.renew({ patron: '0100001', item: 'B5' })); // not_on_loan
    advanceDays(1);
    const [all, upAll] = await both((b) => b.renewAll({ patron: '0100001' }));
    expect(ok(upAll).renewed.map((r) => [r.item, r.dueDate, r.title])).toEqual(ok(all).renewed.map((r) => [r.item, r.dueDate, r.title]));
    expect(ok(upAll).refused.map((r) => [r.item, r.reason])).toEqual(ok(all).refused.map((r) => [r.item, r.reason]));
    await both((b) => b.renewAll({ patron: '9999999' }));
  });

  it('renew all of an overdue loan: the fine charged for the late days comes through the bridge', async () => {
    const { both, advanceDays } = await setup(baseData());
    await both((b) => b.verifyPatron('0100001', '1234'));
    await both((b) => b.checkout({ patron: '0100001', item: 'B1' }));
    advanceDays(30); // due 2026-03-23, now 2026-04-01
    const [all, upAll] = await both((b) => b.renewAll({ patron: '0100001' }));
    expect(ok(all).renewed[0]).toMatchObject({ item: 'B1', dueDate: '2026-04-22', fine: { amount: 1.6, currency: 'EUR' } });
    expect(ok(upAll).renewed.map((r) => [r.item, r.dueDate, r.fine])).toEqual(ok(all).renewed.map((r) => [r.item, r.dueDate, r.fine]));
  });

  it('holds (15): place, change the pickup place, cancel; refusals as the engine gives them', async () => {
    const { both, up } = await setup(baseData());
    for (const p of ['0100001', '0100002']) await both((b) => b.verifyPatron(p, '1234'));
    await both((b) => b.checkout({ patron: '0100002', item: 'B2' }));
    const [a, b] = await both((b) => b.placeHold({ patron: '0100001', bibId: 'T2', pickupPlace: '01-DESK' }));
    expect(ok(b).hold).toMatchObject({ status: ok(a).hold.status, queuePosition: 1, pickupPlace: '01-DESK', title: 'Na klancu', expiresOn: ok(a).hold.expiresOn });
    await both((b) => b.placeHold({ patron: '0100001', bibId: 'T2' })); // already_reserved
    await both((b) => b.placeHold({ patron: '0100002', item: 'B5', pickupPlace: 'LOCKER-A' })); // locker_needs_mobile
    await both((b) => b.placeHold({ patron: '0100002', item: 'B5', pickupPlace: 'MARS' })); // unknown_pickup_place
    await both((b) => b.placeHold({ patron: '0100002', bibId: 'T2' })); // item_already_yours
    const [, free] = await both((b) => b.placeHold({ patron: '0100001', item: 'B5' }));
    expect(ok(free).hold).toMatchObject({ status: 'O', itemBarcode: 'B5' });
    const [, changed] = await both((b) => b.changeHold({ patron: '0100001', bibId: 'T2', pickupPlace: 'LOCKER-A' }));
    expect(ok(changed).hold.pickupPlace).toBe('LOCKER-A');
    await both((b) => b.cancelHold({ patron: '0100001', bibId: 'T2' }));
    await both((b) => b.cancelHold({ patron: '0100001', bibId: 'T2' })); // hold_not_found
    // A hold listed by patronInformation can be cancelled by the id given there.
    const listed = ok(await up.patronInformation('0100001')).patron.holds;
    expect(listed).toHaveLength(1);
    expect(await up.cancelHold({ patron: '0100001', holdId: listed[0]!.id })).toMatchObject({ ok: true, cancelled: { itemBarcode: 'B5' } });
    expect(await up.cancelHold({ patron: '0100001', holdId: 999 })).toMatchObject({ ok: false, reason: 'hold_not_found' });
  });

  it('fees (37): a payment, a retried payment taken once, and the same refusals', async () => {
    const data = baseData({ fees: [{ patron: '0100001', kind: 'overdue', amount: 3, createdAt: '@today-3d' }] });
    const { both, up } = await setup(data);
    for (const p of ['0100001', '0100003']) await both((b) => b.verifyPatron(p, '1234'));
    const [a, b] = await both((b) => b.feePaid({ patron: '0100001', amount: 2, currency: 'EUR', method: 'cash', reference: 'POS-1' }));
    expect(ok(b)).toMatchObject({ paid: 2, balance: ok(a).balance, currency: 'EUR' });
    expect(ok(b).balance).toBe(1);
    // The device retries: the same reference is one payment upstream.
    await up.feePaid({ patron: '0100001', amount: 2, currency: 'EUR', method: 'cash', reference: 'POS-1' });
    expect(pair!.fx.lib.db.prepare('SELECT COUNT(*) AS n FROM payments').get()).toEqual({ n: 1 });
    await both((b) => b.feePaid({ patron: '0100001', amount: 5, currency: 'EUR', method: 'card', reference: 'POS-2' })); // amount_exceeds_debt
    await both((b) => b.feePaid({ patron: '0100001', amount: 1, currency: 'USD', method: 'card', reference: 'POS-3' })); // wrong_currency
    await both((b) => b.feePaid({ patron: '0100003', amount: 1, currency: 'EUR', method: 'cash', reference: 'POS-4' })); // nothing_owed
    await both((b) => b.feePaid({ patron: '9999999', amount: 1, currency: 'EUR', method: 'cash', reference: 'POS-5' })); // unknown_patron
  });

  it('a retried request with the same idempotency key gets the first answer and changes nothing', async () => {
    const { up } = await setup(baseData());
    await up.verifyPatron('0100001', '1234');
    const first = ok(await up.checkout({ patron: '0100001', item: 'B1' }, { idempotencyKey: 'kiosk-1:42' }));
    const again = await up.checkout({ patron: '0100001', item: 'B1' }, { idempotencyKey: 'kiosk-1:42' });
    expect(again).toMatchObject({ ok: true, dueDate: first.dueDate, replayed: true });
    expect(await up.checkin({ item: 'B1' }, { idempotencyKey: 'kiosk-1:42' })).toMatchObject({ ok: false, reason: 'invalid_request' });
    expect(pair!.fx.lib.db.prepare(`SELECT COUNT(*) AS n FROM journal WHERE kind = 'checkout'`).get()).toEqual({ n: 1 });
  });
});

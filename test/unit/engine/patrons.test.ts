import { afterEach, describe, expect, it } from 'vitest';
import { baseData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';

let lib: TestLibrary;
afterEach(() => lib?.close());

describe('patron checks', () => {
  it('an unknown card is refused with its own reason, in the kiosk language asked for', async () => {
    lib = makeLibrary({ data: baseData() });
    expect(await lib.engine.verifyPatron('9999999', '1234', { language: 'hu' })).toMatchObject({
      ok: false,
      reason: 'unknown_patron',
      screenMessage: 'Ezt az olvasójegyet nem ismerjük. Kérjük, forduljon a könyvtároshoz.',
    });
    expect(await lib.engine.checkout({ patron: '9999999', item: 'B1' })).toMatchObject({ ok: false, reason: 'unknown_patron' });
  });

  it('finds a patron by an alternative id such as the RFID card UID', async () => {
    lib = makeLibrary({ data: baseData() });
    const r = await lib.engine.verifyPatron('E004015012345678', '1234');
    expect(r.ok && r.patron.barcode).toBe('0100003');
  });

  it('never accepts an empty or missing PIN, counts wrong ones and locks out after five', async () => {
    lib = makeLibrary({ data: baseData() });
    expect(await lib.engine.verifyPatron('0100001', '')).toMatchObject({ ok: false, reason: 'pin_required' });
    expect(await lib.engine.verifyPatron('0100001', undefined)).toMatchObject({ ok: false, reason: 'pin_required' });
    for (let i = 4; i >= 1; i--) {
      expect(await lib.engine.verifyPatron('0100001', '0000')).toMatchObject({ ok: false, reason: 'wrong_pin', details: { attemptsLeft: i } });
    }
    expect(await lib.engine.verifyPatron('0100001', '0000')).toMatchObject({ ok: false, reason: 'pin_locked' });
    // Locked: even the right PIN is refused until the lockout ends.
    expect(await lib.engine.verifyPatron('0100001', '1234')).toMatchObject({ ok: false, reason: 'pin_locked' });
    lib.clock.advanceMs(16 * 60_000);
    expect((await lib.engine.verifyPatron('0100001', '1234')).ok).toBe(true);
    const row = lib.db.prepare(`SELECT pin_failures, pin_locked_until FROM patrons WHERE barcode = '0100001'`).get();
    expect(row).toEqual({ pin_failures: 0, pin_locked_until: null });
  });

  it('a right PIN resets the failure count', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.verifyPatron('0100001', '9999');
    await lib.engine.verifyPatron('0100001', '9999');
    expect((await lib.engine.verifyPatron('0100001', '1234')).ok).toBe(true);
    expect(await lib.engine.verifyPatron('0100001', '9999')).toMatchObject({ details: { attemptsLeft: 4 } });
  });

  it('an expired membership, a withheld card and a home-loan ban are distinct reasons', async () => {
    lib = makeLibrary({
      data: baseData({
        patrons: [
          { barcode: 'EXP', firstName: 'Emily', lastName: 'Clarke', category: 'adult', homeDepartment: '01', membershipExpires: '@today-10d' },
          { barcode: 'WHD', firstName: 'Gábor', lastName: 'Nagy', category: 'adult', homeDepartment: '01', block: { reason: 'card_withheld' } },
          { barcode: 'BAN', firstName: 'Līga', lastName: 'Kalniņa', category: 'adult', homeDepartment: '01', block: { reason: 'home_loan_ban' } },
        ],
      }),
    });
    expect(await lib.engine.checkout({ patron: 'EXP', item: 'B1' })).toMatchObject({ ok: false, reason: 'membership_expired' });
    expect(await lib.engine.checkout({ patron: 'WHD', item: 'B1' })).toMatchObject({ ok: false, reason: 'patron_blocked', details: { block: 'card_withheld' } });
    expect(await lib.engine.checkout({ patron: 'BAN', item: 'B1' })).toMatchObject({ ok: false, reason: 'home_loan_ban' });
    expect((await lib.engine.checkout({ patron: 'BAN', item: 'B1', mode: 'reading_room' })).ok).toBe(true);
    const s = await lib.engine.lookupPatron('EXP');
    expect(s.ok && s.patron.blocks.map((b) => b.reason)).toEqual(['membership_expired']);
  });

  it('patron information lists loans with due dates, holds with their place in the queue, and fees', async () => {
    lib = makeLibrary({ data: baseData() });
    await lib.engine.checkout({ patron: '0100002', item: 'B2' });
    await lib.engine.checkout({ patron: '0100001', item: 'B1' });
    await lib.engine.placeHold({ patron: '0100003', bibId: 'T2' });
    await lib.engine.placeHold({ patron: '0100001', bibId: 'T2' });
    lib.clock.advanceDays(22);
    const r = await lib.engine.patronInformation('0100001');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.patron.loans).toMatchObject([{ barcode: 'B1', dueDate: '2026-03-23', overdue: true }]);
    expect(r.patron.holds).toMatchObject([{ bibId: 'T2', status: 'R', queuePosition: 2, title: 'Na klancu' }]);
    expect(r.patron).not.toHaveProperty('pinHash');
    expect(JSON.stringify(r)).not.toContain('scrypt');
  });
});

describe('idempotency', () => {
  it('a retried checkout with the same key returns the first outcome and lends once', async () => {
    lib = makeLibrary({ data: baseData() });
    const first = await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { idempotencyKey: 'k-1' });
    const again = await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { idempotencyKey: 'k-1' });
    expect(first.ok && !first.replayed).toBe(true);
    expect(again).toMatchObject({ ok: true, replayed: true, dueDate: first.ok ? first.dueDate : '' });
    expect(lib.db.prepare('SELECT COUNT(*) AS n FROM loans').get()).toEqual({ n: 1 });
    expect(lib.db.prepare(`SELECT COUNT(*) AS n FROM journal WHERE kind = 'checkout'`).get()).toEqual({ n: 1 });
  });

  it('a refusal is remembered under its key too', async () => {
    lib = makeLibrary({ data: baseData() });
    const r = await lib.engine.checkout({ patron: '0100001', item: 'NOPE' }, { idempotencyKey: 'k-2' });
    expect(r).toMatchObject({ ok: false, reason: 'unknown_item' });
    expect(await lib.engine.checkout({ patron: '0100001', item: 'B1' }, { idempotencyKey: 'k-2' })).toMatchObject({ ok: false, reason: 'unknown_item' });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { computeChecksum, makeSummary, type Sip2Request, type Sip2Response } from '../../../protocols/sip2/index.ts';
import { baseData } from '../../helpers/engine.ts';
import { account, ACCOUNT_PASSWORD, readLines, startSip2Fixture, type Sip2Fixture } from '../../helpers/sip2.ts';

let fx: Sip2Fixture;
afterEach(async () => fx?.close());

const AO = 'SI-50000';
const d = null;
const r = {
  status: (patron: string, pin?: string): Sip2Request => ({ code: '23', language: '000', transactionDate: d, institutionId: AO, patronIdentifier: patron, terminalPassword: '', patronPassword: pin ?? '' }),
  info: (patron: string, pin: string | undefined, category: Parameters<typeof makeSummary>[0] = null, range: { startItem?: number; endItem?: number } = {}): Sip2Request => ({
    code: '63',
    language: '000',
    transactionDate: d,
    summary: makeSummary(category),
    institutionId: AO,
    patronIdentifier: patron,
    ...(pin !== undefined ? { patronPassword: pin } : {}),
    ...range,
  }),
  checkout: (patron: string, item: string, extra: Partial<Extract<Sip2Request, { code: '11' }>> = {}): Sip2Request => ({
    code: '11',
    scRenewalPolicy: false,
    noBlock: false,
    transactionDate: d,
    nbDueDate: d,
    institutionId: AO,
    patronIdentifier: patron,
    itemIdentifier: item,
    terminalPassword: '',
    ...extra,
  }),
  checkin: (item: string, extra: Partial<Extract<Sip2Request, { code: '09' }>> = {}): Sip2Request => ({
    code: '09',
    noBlock: false,
    transactionDate: d,
    returnDate: d,
    currentLocation: '',
    institutionId: AO,
    itemIdentifier: item,
    terminalPassword: '',
    ...extra,
  }),
  item: (item: string): Sip2Request => ({ code: '17', transactionDate: d, institutionId: AO, itemIdentifier: item }),
  renew: (patron: string, item: string, pin?: string): Sip2Request => ({
    code: '29',
    thirdPartyAllowed: false,
    noBlock: false,
    transactionDate: d,
    nbDueDate: d,
    institutionId: AO,
    patronIdentifier: patron,
    itemIdentifier: item,
    ...(pin ? { patronPassword: pin } : {}),
  }),
  renewAll: (patron: string, pin: string): Sip2Request => ({ code: '65', transactionDate: d, institutionId: AO, patronIdentifier: patron, patronPassword: pin }),
  hold: (mode: 'add' | 'cancel' | 'change', patron: string, target: { itemIdentifier?: string; titleIdentifier?: string }, pickup?: string): Sip2Request => ({
    code: '15',
    holdMode: mode,
    transactionDate: d,
    institutionId: AO,
    patronIdentifier: patron,
    patronPassword: '1234',
    ...target,
    ...(pickup ? { pickupLocation: pickup } : {}),
  }),
  fee: (patron: string, amount: string, txn?: string): Sip2Request => ({
    code: '37',
    transactionDate: d,
    feeType: '04',
    paymentType: '00',
    currencyType: 'EUR',
    feeAmount: amount,
    institutionId: AO,
    patronIdentifier: patron,
    patronPassword: '1234',
    ...(txn ? { transactionId: txn } : {}),
  }),
  end: (patron: string): Sip2Request => ({ code: '35', transactionDate: d, institutionId: AO, patronIdentifier: patron }),
  sc: (): Sip2Request => ({ code: '99', statusCode: '0', maxPrintWidth: 40, protocolVersion: '2.00' }),
};

function as<C extends Sip2Response['code']>(m: Sip2Response, code: C): Extract<Sip2Response, { code: C }> {
  expect(m.code).toBe(code);
  return m as Extract<Sip2Response, { code: C }>;
}

describe('SIP2 server: session', () => {
  it('logs in with the account password and refuses a wrong one; three refusals close the connection', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const c = await fx.client();
    expect(await c.login('kiosk', ACCOUNT_PASSWORD)).toBe(true);
    const bad = await fx.client();
    expect(await bad.login('kiosk', 'guess1')).toBe(false);
    expect(await bad.login('nobody', 'guess2')).toBe(false);
    expect(await bad.login('kiosk', 'guess3')).toBe(false);
    await expect(bad.send(r.sc())).rejects.toThrow(/connection (closed|lost)/);
    // Passwords never reach the log, even at debug level where messages are dumped.
    const log = fx.logs.join('');
    expect(log).toContain('sip2 <');
    for (const secret of [ACCOUNT_PASSWORD, 'guess1', 'guess2', 'guess3']) expect(log).not.toContain(secret);
  });

  it('closes a connection that sends a transaction before logging in; answers 99 first only where allowed', async () => {
    fx = await startSip2Fixture({ data: baseData(), accounts: [account(), account({ user: 'early', scStatusBeforeLogin: true })] });
    const s = await fx.socket();
    s.write('9900302.00\r');
    expect((await readLines(s, 1)).lines[0]).toMatch(/^98YYYYYY/);
    const t = await fx.socket();
    t.write('2300020240101    120000AOSI-50000|AA0100001|AC|AD1234|\r');
    expect(await readLines(t, 1)).toEqual({ lines: [], closed: true });
  });

  it('99 reports the ACS status and the messages this account may use', async () => {
    fx = await startSip2Fixture({ data: baseData(), accounts: [account({ user: 'kiosk', messages: ['93', '99', '17', '11'] })] });
    const c = await fx.loggedIn();
    const st = as(await c.send(r.sc()), '98');
    expect(st).toMatchObject({ onlineStatus: true, checkoutOk: true, checkinOk: false, protocolVersion: '2.00', institutionId: AO, libraryName: 'Test Library' });
    expect(st.supportedMessages).toMatchObject({ checkout: true, checkin: false, itemInformation: true, renew: false, login: true });
    // A message outside the account's list gets its own response with ok=0.
    const ci = as(await c.send(r.checkin('B1')), '10');
    expect(ci.ok).toBe(false);
    expect(ci.screenMessage).toEqual(['Message 09 is not enabled for this account.']);
  });
});

describe('SIP2 server: patrons', () => {
  it('23 checks the PIN: CQ=Y only for the right one, never for an empty or missing one', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const c = await fx.loggedIn();
    expect(as(await c.send(r.status('0100001', '1234')), '24')).toMatchObject({ validPatron: true, validPatronPassword: true, personalName: 'Ana Novak', feeAmount: '0.00', currencyType: 'EUR' });
    expect(as(await c.send(r.status('0100002', '9999')), '24')).toMatchObject({ validPatron: true, validPatronPassword: false, screenMessage: ['Koda PIN ni pravilna.'] });
    expect(as(await c.send(r.status('0100002', '')), '24')).toMatchObject({ validPatron: true, validPatronPassword: false });
    const unknown = as(await c.send(r.status('9999999', '1234')), '24');
    expect(unknown).toMatchObject({ validPatron: false, validPatronPassword: false, personalName: '' });
    expect(unknown.patronStatus.chargePrivilegesDenied).toBe(true);
    expect(fx.logs.join('')).not.toContain('AD1234');
  });

  it('24 and 64 give the patron\'s language: 001 for English, 000 for those SIP2 has no code for', async () => {
    const sarah = { barcode: '0100099', firstName: 'Sarah', lastName: 'Jones', category: 'adult', pin: '1234', homeDepartment: '01', language: 'en' };
    fx = await startSip2Fixture({ data: baseData({ patrons: [sarah] }) });
    const c = await fx.loggedIn();
    expect(as(await c.send(r.status('0100099', '1234')), '24').language).toBe('001');
    expect(as(await c.send(r.info('0100099', '1234')), '64').language).toBe('001');
    expect(as(await c.send({ ...r.status('0100001', '1234'), language: '001' } as Sip2Request), '24').language).toBe('000'); // Ana reads Slovenian
  });

  it('63 gives counts always, lists on request with BP/BQ ranges, and nothing private without the PIN', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    for (const item of ['B1', 'B2', 'B3']) await fx.lib.engine.checkout({ patron: '0100001', item });
    await fx.lib.engine.checkout({ patron: '0100002', item: 'B4' });
    await fx.lib.engine.placeHold({ patron: '0100001', bibId: 'T4' });
    const c = await fx.loggedIn();
    const full = as(await c.send(r.info('0100001', '1234', 'chargedItems', { startItem: 2, endItem: 3 })), '64');
    expect(full).toMatchObject({ chargedItemsCount: 3, unavailableHoldsCount: 1, holdItemsCount: 0, validPatronPassword: true, chargedItemsLimit: 15 });
    expect(full.chargedItems).toEqual(['B2', 'B3']);
    const holds = as(await c.send(r.info('0100001', undefined, 'unavailableHolds')), '64'); // verified earlier on this connection
    expect(holds.unavailableHoldItems).toEqual(['T4']);
    const other = await fx.loggedIn();
    const noPin = as(await other.send(r.info('0100001', undefined, 'chargedItems')), '64');
    expect(noPin).toMatchObject({ validPatronPassword: false, chargedItemsCount: 0, personalName: 'Ana Novak' });
    expect(noPin.chargedItems ?? []).toEqual([]);
    expect(noPin.emailAddress).toBeUndefined();
  });

  it('24 denies holds for a debt only where the debt stops every service (Jelgava), not only loans (Katlakalns)', async () => {
    const debt = { fees: [{ patron: '0100001', kind: 'overdue', amount: 0.03, createdAt: '@today-1d' }] };
    fx = await startSip2Fixture({ data: baseData(debt), preset: 'jelgava' });
    const all = as(await (await fx.loggedIn()).send(r.status('0100001', '1234')), '24').patronStatus;
    expect(all).toMatchObject({ chargePrivilegesDenied: true, renewalPrivilegesDenied: true, holdPrivilegesDenied: true, excessiveOutstandingFines: true });
    const refused = as(await (await fx.loggedIn()).send(r.hold('add', '0100001', { titleIdentifier: 'T4' })), '16');
    expect(refused.ok).toBe(false);
    await fx.close();
    fx = await startSip2Fixture({ data: baseData(debt), preset: 'katlakalns' });
    const loans = as(await (await fx.loggedIn()).send(r.status('0100001', '1234')), '24').patronStatus;
    expect(loans).toMatchObject({ chargePrivilegesDenied: true, holdPrivilegesDenied: false });
  });

  it('01 blocks a card and 25 lifts that block', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const c = await fx.loggedIn();
    const nobody = as(await c.send({ code: '01', cardRetained: false, transactionDate: d, institutionId: AO, blockedCardMessage: 'x', patronIdentifier: 'NOBODY', terminalPassword: '' }), '24');
    expect(nobody.screenMessage).toHaveLength(1); // said once, not twice
    const blocked = as(await c.send({ code: '01', cardRetained: false, transactionDate: d, institutionId: AO, blockedCardMessage: 'Card left in the machine', patronIdentifier: '0100001', terminalPassword: '' }), '24');
    expect(blocked.patronStatus.chargePrivilegesDenied).toBe(true);
    expect(as(await c.send(r.checkout('0100001', 'B1', { patronPassword: '1234' })), '12').ok).toBe(false);
    const enabled = as(await c.send({ code: '25', transactionDate: d, institutionId: AO, patronIdentifier: '0100001' }), '26');
    expect(enabled.patronStatus.chargePrivilegesDenied).toBe(false);
    expect(enabled.screenMessage ?? []).toEqual([]);
    // A card the machine kept (01 card retained) stays blocked until staff lift it: 26 says why.
    await c.send({ code: '01', cardRetained: true, transactionDate: d, institutionId: AO, blockedCardMessage: 'Kept', patronIdentifier: '0100002', terminalPassword: '' });
    const kept = as(await c.send({ code: '25', transactionDate: d, institutionId: AO, patronIdentifier: '0100002' }), '26');
    expect(kept.patronStatus.chargePrivilegesDenied).toBe(true);
    expect(kept.screenMessage).toHaveLength(1);
    expect(as(await c.send(r.checkout('0100001', 'B1', { patronPassword: '1234' })), '12').ok).toBe(true);
  });
});

describe('SIP2 server: circulation', () => {
  it('11 lends with a SIP due date and desensitize=Y; refusals say why in the patron language', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const c = await fx.loggedIn();
    const out = as(await c.send(r.checkout('0100001', 'B1', { patronPassword: '1234' })), '12');
    expect(out).toMatchObject({ ok: true, desensitize: true, renewalOk: false, titleIdentifier: 'Alamut', dueDate: '20260323    235959' });
    const taken = as(await c.send(r.checkout('0100003', 'B1', { patronPassword: '1234' })), '12');
    expect(taken).toMatchObject({ ok: false, desensitize: false, titleIdentifier: 'Alamut', screenMessage: ['Šo izdevumu ir izsniegts citam lasītājam. Lūdzu, nododiet to bibliotekāram.'.replace('Šo izdevumu ir', 'Šis izdevums ir')] });
    // A checkout without a verified PIN is refused where the account requires one.
    const other = await fx.loggedIn();
    expect(as(await other.send(r.checkout('0100002', 'B2')), '12')).toMatchObject({ ok: false, screenMessage: ['Vnesite svojo kodo PIN.'] });
    // The same checkout repeated by the same patron is not a second loan.
    const again = as(await c.send(r.checkout('0100001', 'B1')), '12');
    expect(again).toMatchObject({ ok: true, dueDate: '20260323    235959' });
    expect(fx.lib.db.prepare(`SELECT COUNT(*) AS n FROM journal WHERE kind = 'checkout'`).get()).toEqual({ n: 1 });
    // With the SC's renewal policy it is a renewal; refused today (no extension), with the title and the due date that stands.
    const renewal = as(await c.send(r.checkout('0100001', 'B1', { scRenewalPolicy: true })), '12');
    expect(renewal).toMatchObject({ ok: false, titleIdentifier: 'Alamut', dueDate: '20260323    235959' });
    // The transaction log names the card as the admin page does, never in full.
    const logged = fx.logs.filter((l) => l.includes('"sip2 transaction"'));
    expect(logged.join('')).toContain('"patron":"0100***"');
    expect(logged.join('')).not.toContain('0100001');
  });

  it('a kit over SIP2: any unit lends the whole kit (RFID integrity done by the device) and the reply lists the parts', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const c = await fx.loggedIn();
    const out = as(await c.send(r.checkout('0100001', 'K2', { patronPassword: '1234' })), '12');
    expect(out).toMatchObject({ ok: true, titleIdentifier: 'Wooden farm', printLine: ['1/3 K1 Wooden farm — box', '2/3 K2 Wooden farm — animals', '3/3 K3 Wooden farm — fences'] });
    const back = as(await c.send(r.checkin('K3')), '10');
    expect(back).toMatchObject({ ok: true, resensitize: true, alert: false, sortBin: 'SHELF', patronIdentifier: '0100001', printLine: ['1/3 K1', '2/3 K2', '3/3 K3'] });
    const info = as(await c.send(r.item('K2')), '18');
    expect(info).toMatchObject({ circulationStatus: '03', itemProperties: 'kit=FARM;part=2/3;lead=K1;parts=K1,K2,K3', screenMessage: ['Part 2 of 3 of kit FARM "Wooden farm".'] });
    // A 16-column printer (its 99 says so): each print line is wrapped to it, at spaces.
    const narrow = await fx.loggedIn();
    await narrow.send({ ...r.sc(), maxPrintWidth: 16 } as Sip2Request);
    await c.send(r.checkin('K1'));
    const lines = as(await narrow.send(r.checkout('0100001', 'K1', { patronPassword: '1234' })), '12').printLine ?? [];
    expect(lines.slice(0, 3)).toEqual(['1/3 K1 Wooden', 'farm — box', '2/3 K2 Wooden']);
    expect(lines.every((l) => l.length <= 16)).toBe(true);
  });

  it('a fee-bearing loan needs BO=Y: refused with the fee first, lent after the patron accepts', async () => {
    fx = await startSip2Fixture({ data: baseData(), policy: { loanFees: { video: 1.5 } } });
    const c = await fx.loggedIn();
    // 17 says what a loan of it costs beforehand: a rental fee with its amount and currency.
    expect(as(await c.send(r.item('D1')), '18')).toMatchObject({ feeType: '06', feeAmount: '1.50', currencyType: 'EUR' });
    expect(as(await c.send(r.item('B1')), '18').feeAmount).toBeUndefined();
    expect(as(await c.send(r.checkout('0100001', 'D1', { patronPassword: '1234' })), '12')).toMatchObject({ ok: false, feeType: '06', feeAmount: '1.50', currencyType: 'EUR' });
    expect(as(await c.send(r.checkout('0100001', 'D1', { feeAcknowledged: true })), '12')).toMatchObject({ ok: true, feeType: '06', feeAmount: '1.50', currencyType: 'EUR' });
    // A renewal fee too (29 and 65 have BO): refused with the fee, nothing charged, renewed once accepted.
    fx.lib.clock.advanceDays(7);
    const fees = async () => {
      const p = await fx.lib.engine.patronInformation('0100001');
      return p.ok ? p.patron.fees.map((f) => f.amount) : null;
    };
    expect(await fees()).toEqual([1.5]);
    expect(as(await c.send(r.renew('0100001', 'D1')), '30')).toMatchObject({ ok: false, feeType: '06', feeAmount: '1.50', currencyType: 'EUR' });
    const all = as(await c.send(r.renewAll('0100001', '1234')), '66');
    expect(all).toMatchObject({ ok: true, renewedCount: 0, unrenewedCount: 1, unrenewedItems: ['D1'] });
    expect(await fees()).toEqual([1.5]);
    expect(as(await c.send({ ...r.renew('0100001', 'D1'), feeAcknowledged: true } as Sip2Request), '30')).toMatchObject({ ok: true, feeAmount: '1.50' });
    expect(await fees()).toEqual([1.5, 1.5]);
  });

  it('no-block (offline) transactions are recorded with their original time, whatever the blocks', async () => {
    fx = await startSip2Fixture({ data: baseData({ patrons: [{ barcode: 'EXP', firstName: 'E', lastName: 'X', category: 'adult', homeDepartment: '01', membershipExpires: '2020-01-01' }] }) });
    const c = await fx.loggedIn();
    const at = { year: 2026, month: 2, day: 27, hour: 15, minute: 30, second: 0, zone: 'local' };
    const out = as(await c.send(r.checkout('EXP', 'B2', { noBlock: true, transactionDate: at })), '12');
    expect(out).toMatchObject({ ok: true, dueDate: '20260320    235959' });
    expect(fx.lib.db.prepare(`SELECT loaned_at FROM loans`).get()).toEqual({ loaned_at: '2026-02-27T14:30:00.000Z' });
    const back = as(await c.send(r.checkin('B2', { noBlock: true, returnDate: { ...at, day: 28 } })), '10');
    expect(back.ok).toBe(true);
    expect(fx.lib.db.prepare(`SELECT at FROM journal WHERE kind = 'checkin'`).get()).toEqual({ at: '2026-02-28T14:30:00.000Z' });
  });

  it('a no-block date after now (a self-check whose clock is wrong) is taken as now: no loan into the future, no fine for days to come', async () => {
    fx = await startSip2Fixture({ data: baseData() }); // the clock: 2026-03-02 10:00 +01:00
    const c = await fx.loggedIn();
    const future = { year: 2030, month: 1, day: 1, hour: 10, minute: 0, second: 0, zone: 'local' };
    const out = as(await c.send(r.checkout('0100001', 'B2', { noBlock: true, transactionDate: future })), '12');
    expect(out).toMatchObject({ ok: true, dueDate: '20260323    235959' }); // 21 days from today, not from 2030
    expect(fx.lib.db.prepare(`SELECT loaned_at FROM loans`).get()).toEqual({ loaned_at: '2026-03-02T09:00:00.000Z' });
    const back = as(await c.send(r.checkin('B2', { noBlock: true, returnDate: { ...future, year: 2027 } })), '10');
    expect(back).toMatchObject({ ok: true });
    expect(back.screenMessage ?? []).not.toContainEqual(expect.stringMatching(/Fine/));
    const info = await fx.lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.fees).toEqual([]);
  });

  it('09 tells a sorter where the item goes: hold shelf for whom, another department, or staff', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    await fx.lib.engine.checkout({ patron: '0100001', item: 'B2' });
    await fx.lib.engine.checkout({ patron: '0100001', item: 'B3' });
    await fx.lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
    const c = await fx.loggedIn();
    const hold = as(await c.send(r.checkin('B2')), '10');
    expect(hold).toMatchObject({
      ok: true,
      resensitize: true,
      alert: true,
      sortBin: 'HOLD',
      alertType: '01',
      holdPatronId: '0100002',
      holdPatronName: 'Horvat, M.',
      patronIdentifier: '0100001',
      permanentLocation: '01',
      screenMessage: ['Reserved: put on the hold shelf for Horvat, M. until 2026-03-09.'],
    });
    const elsewhere = as(await c.send(r.checkin('B3', { currentLocation: '02' })), '10');
    expect(elsewhere).toMatchObject({ ok: true, alert: true, sortBin: 'DEPT-01', alertType: '04', destinationLocation: '01' });
    // An AP that is not one of our departments (a book drop's name) does not move the return.
    await fx.lib.engine.checkout({ patron: '0100001', item: 'B4' });
    const drop = as(await c.send(r.checkin('B4', { currentLocation: 'BOOKDROP' })), '10');
    expect(drop).toMatchObject({ ok: true, alert: false, sortBin: 'SHELF' });
    const notOut = as(await c.send(r.checkin('B5')), '10');
    expect(notOut).toMatchObject({ ok: true, alert: false, sortBin: 'SHELF', screenMessage: ['This item was not on loan.'] });
    const unknown = as(await c.send(r.checkin('NOPE')), '10');
    expect(unknown).toMatchObject({ ok: false, alert: true, sortBin: 'STAFF', screenMessage: ['This item is not known. Please give it to staff.'] });
  });

  it('29 renews, 65 renews all and lists what was not renewed', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    await fx.lib.engine.checkout({ patron: '0100001', item: 'B1' });
    await fx.lib.engine.checkout({ patron: '0100001', item: 'B2' });
    await fx.lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
    fx.lib.clock.advanceDays(2);
    const c = await fx.loggedIn();
    expect(as(await c.send(r.renew('0100001', 'B1', '1234')), '30')).toMatchObject({ ok: true, renewalOk: true, dueDate: '20260325    235959' });
    expect(as(await c.send(r.renew('0100001', 'B2')), '30')).toMatchObject({ ok: false, dueDate: '20260323    235959', screenMessage: ['Gradivo je rezerviral drug član, zato roka ni mogoče podaljšati.'] });
    fx.lib.clock.advanceDays(1);
    const all = as(await c.send(r.renewAll('0100001', '1234')), '66');
    expect(all).toMatchObject({ ok: true, renewedCount: 1, unrenewedCount: 1, renewedItems: ['B1'], unrenewedItems: ['B2'] });
    expect(all.screenMessage?.[0]).toBe('B1: due 2026-03-26');
  });

  it('65 renewing an overdue loan says the fine it charged (66 has no fee fields)', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    await fx.lib.engine.checkout({ patron: '0100001', item: 'B1' });
    fx.lib.clock.advanceDays(30); // due 2026-03-23, renewed on 2026-04-01
    const c = await fx.loggedIn();
    const all = as(await c.send(r.renewAll('0100001', '1234')), '66');
    expect(all).toMatchObject({ ok: true, renewedCount: 1, renewedItems: ['B1'], screenMessage: ['B1: due 2026-04-22, fine 1.60 EUR'] });
  });

  it('19 stores item properties that 18 gives back; a 19 without CH changes nothing', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const c = await fx.loggedIn();
    const set = (props?: string) => ({ code: '19', transactionDate: d, institutionId: AO, itemIdentifier: 'B1', ...(props !== undefined ? { itemProperties: props } : {}) }) as Sip2Request;
    expect(as(await c.send(set('shelf=3B')), '20')).toMatchObject({ itemPropertiesOk: true, itemProperties: 'shelf=3B' });
    expect(as(await c.send(r.item('B1')), '18').itemProperties).toBe('shelf=3B');
    expect(as(await c.send(set()), '20')).toMatchObject({ itemPropertiesOk: false });
    expect(as(await c.send(r.item('B1')), '18').itemProperties).toBe('shelf=3B');
  });

  it('17 reports circulation status, due date, queue length and hold pickup date', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const c = await fx.loggedIn();
    expect(as(await c.send(r.item('B1')), '18')).toMatchObject({ circulationStatus: '03', titleIdentifier: 'Alamut', holdQueueLength: 0, mediaType: '001', owner: AO });
    await fx.lib.engine.checkout({ patron: '0100001', item: 'B2' });
    await fx.lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
    expect(as(await c.send(r.item('B2')), '18')).toMatchObject({ circulationStatus: '04', dueDate: '20260323    235959', holdQueueLength: 1 });
    await fx.lib.engine.checkin({ item: 'B2' });
    const waiting = as(await c.send(r.item('B2')), '18');
    expect(waiting.circulationStatus).toBe('08');
    expect(waiting.holdPickupDate).toMatchObject({ year: 2026, month: 3, day: 9 });
    expect(as(await c.send(r.item('NOPE')), '18')).toMatchObject({ circulationStatus: '01', titleIdentifier: '' });
  });

  it('15 places, changes and cancels holds', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    await fx.lib.engine.checkout({ patron: '0100002', item: 'B2' });
    const c = await fx.loggedIn();
    expect(as(await c.send(r.hold('add', '0100001', { titleIdentifier: 'T2' }, '01-DESK')), '16')).toMatchObject({ ok: true, available: false, queuePosition: 1, pickupLocation: '01-DESK' });
    expect(as(await c.send(r.hold('change', '0100001', { titleIdentifier: 'T2' }, 'LOCKER-A')), '16')).toMatchObject({ ok: true, pickupLocation: 'LOCKER-A' });
    expect(as(await c.send(r.hold('add', '0100001', { itemIdentifier: 'B5' })), '16')).toMatchObject({ ok: true, available: true, itemIdentifier: 'B5' });
    expect(as(await c.send(r.hold('cancel', '0100001', { titleIdentifier: 'T2' })), '16')).toMatchObject({ ok: true, available: false });
    expect(as(await c.send(r.hold('cancel', '0100001', { titleIdentifier: 'T2' })), '16')).toMatchObject({ ok: false });
  });

  it('15 cancelling a ready reservation that ran out says the unclaimed-hold fee it charged', async () => {
    const expired = { holds: [{ patron: '0100001', item: 'B5', status: 'W', createdAt: '@today-10d', pickupPlace: '01-DESK', expiresOn: '@today-1d' }] };
    fx = await startSip2Fixture({ data: baseData(expired) });
    const c = await fx.loggedIn();
    const reply = as(await c.send(r.hold('cancel', '0100001', { itemIdentifier: 'B5' })), '16');
    expect(reply).toMatchObject({ ok: true, screenMessage: [expect.stringMatching(/^Reservation cancelled: .*\. Unclaimed-hold fee: 1\.00 EUR\.$/)] });
    const info = await fx.lib.engine.patronInformation('0100001');
    expect(info.ok && info.patron.fees.map((f) => [f.kind, f.amount])).toEqual([['unclaimed_hold', 1]]);
  });

  it('37 takes a payment once however often the device retries it', async () => {
    fx = await startSip2Fixture({ data: baseData({ fees: [{ patron: '0100001', kind: 'overdue', amount: 3, createdAt: '@today-3d' }] }) });
    const c = await fx.loggedIn();
    const first = as(await c.send(r.fee('0100001', '2.00', 'POS-77')), '38');
    const retry = as(await c.send(r.fee('0100001', '2.00', 'POS-77')), '38');
    expect(first).toMatchObject({ paymentAccepted: true, screenMessage: ['Paid 2.00 EUR; still owed 1.00 EUR.'] });
    expect(retry.transactionId).toBe(first.transactionId);
    expect(fx.lib.db.prepare('SELECT COUNT(*) AS n, SUM(amount_minor) AS s FROM payments').get()).toEqual({ n: 1, s: 200 });
    expect(as(await c.send(r.fee('0100001', '5.00', 'POS-78')), '38')).toMatchObject({ paymentAccepted: false });
    expect(as(await c.send(r.end('0100001')), '36').endSession).toBe(true);
  });

  it('37 needs the PIN, takes only a plain decimal amount, and says when the fee named in CG is not owed', async () => {
    fx = await startSip2Fixture({ data: baseData({ fees: [{ patron: '0100001', kind: 'overdue', amount: 3, createdAt: '@today-3d' }] }) });
    const c = await fx.loggedIn();
    const noPin = as(await c.send({ ...r.fee('0100001', '1.00'), patronPassword: undefined } as Sip2Request), '38');
    expect(noPin).toMatchObject({ paymentAccepted: false, screenMessage: ['Vnesite svojo kodo PIN.'] });
    expect(noPin.screenMessage!.join('')).not.toMatch(/3\.00|owed/);
    for (const bad of ['0x5', '0b11', '1e-1', '€0.10', '1,000.00', '-1.00']) {
      expect(as(await c.send(r.fee('0100001', bad)), '38'), bad).toMatchObject({ paymentAccepted: false, screenMessage: ['Znesek ni veljaven.'] });
    }
    const unknownFee = as(await c.send({ ...r.fee('0100001', '1.00'), feeIdentifier: '999' } as Sip2Request), '38');
    expect(unknownFee).toMatchObject({ paymentAccepted: false, screenMessage: ['Te terjatve ne poznamo ali pa je že poravnana.'] });
    expect(fx.lib.db.prepare('SELECT COUNT(*) AS n FROM payments').get()).toEqual({ n: 0 });
    expect(as(await c.send(r.fee('0100001', '1,50')), '38')).toMatchObject({ paymentAccepted: true, screenMessage: ['Paid 1.50 EUR; still owed 1.50 EUR.'] });
    // 24 without the PIN says nothing of what the patron owes.
    const other = await fx.loggedIn();
    const status = as(await other.send(r.status('0100001')), '24');
    expect([status.feeAmount, status.currencyType]).toEqual([undefined, undefined]);
  });
});

describe('SIP2 server: the wire', () => {
  const withChecksum = (body: string) => `${body}${computeChecksum(Buffer.from(body, 'latin1'))}\r`;

  it('answers with AY/AZ in kind, asks for a resend (96) of a corrupt message, resends on 97', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const s = await fx.socket();
    s.write(withChecksum(`9300CNkiosk|CO${ACCOUNT_PASSWORD}|AY0AZ`));
    const [login] = (await readLines(s, 1)).lines;
    expect(login).toMatch(/^941AY0AZ[0-9A-F]{4}$/);
    expect(login!.slice(-4)).toBe(computeChecksum(Buffer.from(login!.slice(0, -4), 'latin1')));
    s.write('9900302.00AY1AZ0000\r'); // wrong checksum
    expect((await readLines(s, 1)).lines).toEqual(['96AZFEF6']);
    s.write(withChecksum('9900302.00AY1AZ'));
    const [status] = (await readLines(s, 1)).lines;
    expect(status).toMatch(/^98YYYYYY.*AY1AZ[0-9A-F]{4}$/);
    s.write('97AZFEF5\r');
    expect((await readLines(s, 1)).lines).toEqual([status]);
    // A 97 after a 96 repeats the 96, not the 98 before it (whose AY1 would answer the wrong request).
    s.write('1720260302    100000AOSI-50000|ABB1|AY2AZ0000\r');
    expect((await readLines(s, 1)).lines).toEqual(['96AZFEF6']);
    s.write('97AZFEF5\r');
    expect((await readLines(s, 1)).lines).toEqual(['96AZFEF6']);
    // The 98's own request sent again still gets the 98 (the 96 is not a reply to it).
    s.write(withChecksum('9900302.00AY1AZ'));
    expect((await readLines(s, 1)).lines).toEqual([status]);
  });

  it('a retransmitted checkout (same AY and AZ) gets the first reply and is not done twice', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const s = await fx.socket();
    s.write(withChecksum(`9300CNkiosk|CO${ACCOUNT_PASSWORD}|AY0AZ`));
    await readLines(s, 1);
    const checkout = withChecksum('11NN20260302    100000                  AOSI-50000|AA0100001|AB30100000001|AC|AD1234|AY1AZ'.replace('30100000001', 'B1'));
    s.write(checkout);
    const [first] = (await readLines(s, 1)).lines;
    s.write(checkout);
    const [second] = (await readLines(s, 1)).lines;
    expect(first).toMatch(/^121NNY/);
    expect(second).toBe(first);
    expect(fx.lib.db.prepare(`SELECT COUNT(*) AS n FROM journal WHERE kind = 'checkout'`).get()).toEqual({ n: 1 });
  });

  it('accepts CR, CRLF and LF, and messages split across TCP writes', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const s = await fx.socket();
    const login = `9300CNkiosk|CO${ACCOUNT_PASSWORD}|`;
    for (const ch of login) s.write(ch);
    s.write('\r\n');
    expect((await readLines(s, 1)).lines).toEqual(['941']);
    s.write('1700020260302    100000AOSI-50000|ABB1|\n17000202603');
    s.write('02    100000AOSI-50000|ABB2|\r');
    const { lines } = await readLines(s, 2);
    expect(lines[0]).toMatch(/^1803/);
    expect(lines[0]).toContain('AJAlamut|');
    expect(lines[1]).toContain('AJNa klancu|');
  });

  it('ignores garbage and unknown commands after login, closes on an oversized line', async () => {
    fx = await startSip2Fixture({ data: baseData(), config: { maxMessageBytes: 200 } });
    const s = await fx.socket();
    s.write(`9300CNkiosk|CO${ACCOUNT_PASSWORD}|\r`);
    await readLines(s, 1);
    s.write('\x00\x01garbage\xff\r');
    s.write('XXjunk\r');
    s.write('1700020260302    100000AOSI-50000|ABB1|\r');
    const { lines } = await readLines(s, 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^1803/);
    s.write(`17${'x'.repeat(500)}\r`);
    expect((await readLines(s, 1)).closed).toBe(true);
  });

  it('answers a known request it cannot read with its own response, refused, saying why, and changes nothing', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const s = await fx.socket();
    s.write(`9300CNkiosk|CO${ACCOUNT_PASSWORD}|AY0AZ`);
    s.write(`${computeChecksum(Buffer.from(`9300CNkiosk|CO${ACCOUNT_PASSWORD}|AY0AZ`, 'latin1'))}\r`);
    await readLines(s, 1);
    // A checkout whose fixed part lost its due date: 12, not OK, naming the patron and item it
    // could read, with the reason, error detection answered in kind.
    const noPatron = '11NN20260302|AOSI-50000|AA0100001|ABB1|AY1AZ';
    s.write(`${noPatron}${computeChecksum(Buffer.from(noPatron, 'latin1'))}\r`);
    const [checkout] = (await readLines(s, 1)).lines;
    expect(checkout).toMatch(/^120NNN\d{8} {4}\d{6}AOSI-50000\|AA0100001\|ABB1\|AJ\|AH\|AFMessage 11 could not be read: 11 Checkout needs a 38-character fixed part, got 10\.\|AY1AZ[0-9A-F]{4}$/);
    expect(checkout!.slice(-4)).toBe(computeChecksum(Buffer.from(checkout!.slice(0, -4), 'latin1')));
    // An item information request with no date at all, as a vendor's client might send it: the
    // `|` ends the fixed part, so AB is still read and the reply says why instead of "unknown item".
    const noDate = '17|AOSI-50000|ABB1|AY2AZ';
    s.write(`${noDate}${computeChecksum(Buffer.from(noDate, 'latin1'))}\r`);
    const [undated] = (await readLines(s, 1)).lines;
    expect(undated).toMatch(/^1801000120260302 {4}100000ABB1\|AJ\|AFMessage 17 could not be read: 17 Item Information needs an 18-character fixed part, got 0\.\|AY2AZ[0-9A-F]{4}$/);
    // A patron information request cut short in its fixed part: 64, not a valid patron, why.
    s.write('63000\r');
    const [info] = (await readLines(s, 1)).lines;
    expect(info).toMatch(/^64/);
    expect(info).toContain('|BLN|');
    expect(info).toContain('AFMessage 63 could not be read: 63 Patron Information needs a');
    // 97 repeats that refusal byte for byte; nothing was lent.
    s.write('97\r');
    expect((await readLines(s, 1)).lines).toEqual([info]);
    s.write('1700020260302    100000AOSI-50000|ABB1|\r');
    const [item] = (await readLines(s, 1)).lines;
    expect(item).toMatch(/^1803/);
  });

  it('speaks an old client’s code page (CP852) per account, checksum over the bytes sent', async () => {
    fx = await startSip2Fixture({ data: baseData(), accounts: [account({ charset: 'cp852' })] });
    const c = await fx.loggedIn({ charset: 'cp852', errorDetection: true });
    const out = as(await c.send(r.status('0100003', '1234')), '24');
    expect(out.personalName).toBe('Jānis Bērziņš'.replace('ā', '?').replace('ē', '?').replace('ņ', '?').replace('š', 'š'));
    const hu = as(await c.send(r.item('B3')), '18');
    expect(hu.titleIdentifier).toBe('Egri csillagok');
    // The reply's bytes are CP852: "č" is 0x9F there (UTF-8 would be two bytes).
    await fx.lib.engine.checkout({ patron: '0100001', item: 'B4' });
    const ci = as(await c.send(r.checkin('B4')), '10');
    expect(ci.titleIdentifier).toBe('Mērnieku laiki'.replace('ē', '?'));
    const slName = as(await c.send(r.status('0100001', '1234')), '24');
    expect(slName.personalName).toBe('Ana Novak');
  });

  it('finishes an in-flight transaction on shutdown', async () => {
    fx = await startSip2Fixture({ data: baseData() });
    const c = await fx.loggedIn();
    const pending = c.send(r.checkout('0100001', 'B1', { patronPassword: '1234' }));
    const closing = fx.server.close();
    const reply = await pending;
    await closing;
    expect(as(reply, '12').ok).toBe(true);
    expect(fx.lib.db.prepare(`SELECT COUNT(*) AS n FROM loans WHERE closed_at IS NULL`).get()).toEqual({ n: 1 });
  });
});

describe('SIP2 server: limits and TLS', () => {
  it('closes an idle connection and refuses connections past the limit', async () => {
    fx = await startSip2Fixture({ data: baseData(), config: { idleTimeoutS: 1, maxConnections: 2 } });
    const a = await fx.socket();
    const b = await fx.socket();
    const c = await fx.socket();
    expect((await readLines(c, 1, 1000)).closed).toBe(true); // the third is over the limit
    b.write(`9300CNkiosk|CO${ACCOUNT_PASSWORD}|\r`);
    expect((await readLines(b, 1)).lines).toEqual(['941']);
    const idle = await readLines(a, 1, 3000); // a says nothing for a second
    expect(idle.closed).toBe(true);
    expect(fx.logs.join('')).toContain('"reason":"idle timeout"');
  });

  it('serves SIP2 over TLS when a certificate is configured', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'sip2-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    fx = await startSip2Fixture({ data: baseData(), config: { tls: { cert, key } } });
    const c = await fx.client({ tls: { rejectUnauthorized: false } });
    expect(await c.login('kiosk', ACCOUNT_PASSWORD)).toBe(true);
    expect(as(await c.send(r.item('B1')), '18').titleIdentifier).toBe('Alamut');
    // A plain-text client gets nothing it can read from a TLS port.
    const plain = await fx.socket();
    plain.write(`9300CNkiosk|CO${ACCOUNT_PASSWORD}|\r`);
    const got = await readLines(plain, 1, 1500);
    expect(got.lines.some((l) => l.startsWith('941'))).toBe(false);
  });
});

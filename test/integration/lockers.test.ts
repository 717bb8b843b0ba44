/**
 * Locker pickup (domain.md §8.3, §8.4, §6.4, §9.4) over a real temporary SQLite store, the real
 * engine, and the real Kerong KR-CU driver talking to its board simulator, with a manual clock.
 * E-mails go through a local SMTP listener; SMS through the logging sender, whose log is captured.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { ManualClock } from '../../daemon/clock.ts';
import { loadConfig } from '../../daemon/config.ts';
import { createLogger } from '../../daemon/log.ts';
import { startDaemon } from '../../daemon/main.ts';
import { loginCookie } from '../helpers/staff.ts';
import pino from 'pino';
import { KerongCuLocker } from '../../drivers/locker/kerong-cu.driver.ts';
import { KerongCuSimulator } from '../../drivers/locker/kerong-cu.simulator.ts';
import { lockersConfigSchema } from '../../daemon/lockers/config.ts';
import { LockerService, type LockerAlert, type PickupOutcome } from '../../daemon/lockers/service.ts';
import { LogSmsSender, smtpLockerMailer } from '../../daemon/lockers/notify.ts';
import { hashPickupCode, legacyPickupCodeHash, PICKUP_CODE_KEY_FILE } from '../../daemon/lockers/codes.ts';
import { PadModel } from '../../daemon/station/pad.ts';
import { Station } from '../../daemon/station/station.ts';
import { baseData, makeLibrary, PIN_1234_HASH, type TestLibrary } from '../helpers/engine.ts';
import { startSmtpServer } from '../helpers/smtp.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let simCount = 0;

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A seeded random source: the codes are reproducible, yet drawn as in production. */
function seeded(seed: number): (n: number) => Buffer {
  let s = seed >>> 0;
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      b[i] = s >>> 24;
    }
    return b;
  };
}

interface Rig {
  lib: TestLibrary;
  sim: KerongCuSimulator;
  driver: KerongCuLocker;
  service: LockerService;
  mails: string[];
  sms: LogSmsSender;
  logLines: string[];
  alerts: LockerAlert[];
  /** The pickup-code key the service hashes with. */
  codeKey: Buffer;
  /** The code of the last SMS (what the patron types). */
  lastCode(): string;
  hold(patron: string, item: string): Promise<void>;
  loans(): Array<{ barcode: string; patron: string; due_date: string }>;
}

/** A fixed pickup-code key for the tests (the daemon reads its own from the data directory). */
const TEST_CODE_KEY = Buffer.alloc(32, 7);

async function rig(opts: { holdHours?: number; keyFromFile?: boolean } = {}): Promise<Rig> {
  const lib = makeLibrary({
    data: baseData({
      patrons: [
        { barcode: '0100004', firstName: 'Mojca', lastName: 'Kovačič', category: 'adult', pinHash: PIN_1234_HASH, homeDepartment: '01', language: 'en', mobile: '+38640222333', email: 'mojca@example.org', membershipExpires: '2027-12-31' },
        { barcode: '0100005', firstName: 'Eva', lastName: 'Zupan', category: 'adult', pinHash: PIN_1234_HASH, homeDepartment: '01', language: 'en', mobile: '+38641999888', membershipExpires: '2027-12-31' },
      ],
    }),
  });
  cleanups.push(() => lib.close());

  const smtp = await startSmtpServer();
  cleanups.push(() => smtp.close());

  const sim = new KerongCuSimulator({ path: `/dev/sim-locker-test-${++simCount}`, boards: [{ address: 0, doors: 4 }], replyDelayMs: 1 });
  const driver = new KerongCuLocker({ id: 'locker1', path: sim.path, boards: [{ address: 0, doors: 4 }], pollIntervalMs: 20, unlockSettleMs: 30 }, { binding: sim.binding });
  await driver.open();
  cleanups.push(async () => {
    await driver.close();
    sim.stop();
  });

  const logLines: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    }),
  );
  const sms = new LogSmsSender(logger);
  const config = lockersConfigSchema.parse({
    banks: [
      {
        id: 'L1',
        name: 'Locker wall',
        pickupPlace: 'LOCKER-A',
        device: 'locker1',
        ...(opts.holdHours ? { holdHours: opts.holdHours } : {}),
        compartments: [
          { number: '01', size: 'S', board: 0, lock: 1 },
          { number: '02', size: 'S', board: 0, lock: 2 },
          { number: '03', size: 'L', board: 0, lock: 3 },
        ],
      },
    ],
    leftOpenAlertS: 60,
    itemSizes: { default: 'S', materialTypes: { toy: 'L', game: 'L' } },
  });
  const service = new LockerService({
    db: lib.db,
    engine: lib.engine,
    config,
    policy: lib.policy,
    clock: lib.clock,
    logger,
    site: { name: 'Demo Library', timezone: 'Europe/Ljubljana', language: 'en' },
    controller: () => driver,
    mailer: smtpLockerMailer({ host: '127.0.0.1', port: smtp.port, secure: false, from: 'library@example.org' }),
    sms,
    random: seeded(42),
    ...(opts.keyFromFile ? {} : { codeKey: TEST_CODE_KEY }),
    timers: false,
  });
  service.start();
  cleanups.push(() => service.close());
  const alerts: LockerAlert[] = [];
  service.on('alert', (a) => alerts.push(a));

  return {
    lib,
    sim,
    driver,
    service,
    mails: smtp.mails,
    sms,
    logLines,
    alerts,
    codeKey: opts.keyFromFile ? readPickupCodeKey(lib.db) : TEST_CODE_KEY,
    lastCode() {
      const text = sms.sent.at(-1)!.text;
      return /(?:Code|Koda|Kods|Kód) (\d{4} \d{4})/.exec(text)![1]!.replace(' ', '');
    },
    async hold(patron, item) {
      const h = await lib.engine.placeHold({ patron, item, pickupPlace: 'LOCKER-A' });
      expect(h).toMatchObject({ ok: true, hold: { status: 'O' } });
    },
    loans() {
      return lib.db
        .prepare(
          `SELECT i.barcode, p.barcode AS patron, l.due_date FROM loans l JOIN items i ON i.id = l.item_id JOIN patrons p ON p.id = l.patron_id
           WHERE l.closed_at IS NULL ORDER BY i.barcode`,
        )
        .all() as Array<{ barcode: string; patron: string; due_date: string }>;
    },
  };
}

/** The key file the service made beside the store (codes.ts). */
function readPickupCodeKey(db: { name: string }): Buffer {
  return Buffer.from(readFileSync(join(dirname(db.name), PICKUP_CODE_KEY_FILE), 'utf8').trim(), 'hex');
}

/** A kiosk station on the rig's engine (no pad reader or printer needed: the receipt is built, not printed). */
function kioskStation(r: Rig): Station {
  return new Station({
    backend: r.lib.engine,
    pad: new PadModel(r.lib.engine),
    rfid: () => null,
    printer: () => null,
    mailer: null,
    clock: r.lib.clock,
    logger: pino({ level: 'silent' }),
    site: { name: 'Demo Library', department: '01', language: 'en', timezone: 'Europe/Ljubljana' },
    pinRequired: true,
    rfidSecurity: false,
  });
}

let keySeq = 0;
const k = (what: string) => `${what}-${++keySeq}`;

/** Staff load a compartment and shut the door; resolves when the service has made the holds W. */
async function loadAndClose(r: Rig, number: string, lock: number): Promise<void> {
  const loaded = await r.service.load('L1', number);
  expect(loaded).toMatchObject({ ok: true, assignment: { state: 'loading' } });
  expect(r.sim.door(0, lock).open).toBe(true);
  const before = r.sms.sent.length;
  r.sim.closeDoor(0, lock);
  await waitFor('the notice', () => r.sms.sent.length > before);
}

describe('locker service', () => {
  it('assigns a fitting compartment, joins holds until the door is opened, then takes a new one', async () => {
    const r = await rig();
    await r.hold('0100001', 'B1');
    await r.hold('0100001', 'B2');
    await r.hold('0100001', 'B3');

    const first = await r.service.finishProcessing('B1');
    expect(first).toMatchObject({ ok: true, bank: 'L1', compartment: '01', joined: false });
    const second = await r.service.finishProcessing('B2');
    expect(second).toMatchObject({ ok: true, compartment: '01', joined: true });
    if (!second.ok) throw new Error('unreachable');
    expect(second.assignment.items.map((i) => i.barcode)).toEqual(['B1', 'B2']);
    // Finishing the same copy again changes nothing.
    expect(await r.service.finishProcessing('B1')).toMatchObject({ ok: true, compartment: '01', already: true });

    expect(await r.service.load('L1', '01')).toMatchObject({ ok: true });
    // The door was opened for loading: the next copy for the same patron takes a new compartment.
    expect(await r.service.finishProcessing('B3')).toMatchObject({ ok: true, compartment: '02', joined: false });
  });

  it('a big item goes to a large compartment; with none free the hold stays in processing and staff are told', async () => {
    const r = await rig();
    await r.hold('0100001', 'K1'); // the wooden-farm kit, lead unit a toy: size L
    expect(await r.service.finishProcessing('K1')).toMatchObject({ ok: true, compartment: '03' });
    await r.hold('0100004', 'B1');
    await r.hold('0100005', 'B2');
    await r.hold('0100004', 'B4');
    expect(await r.service.finishProcessing('B1')).toMatchObject({ ok: true, compartment: '01' });
    expect(await r.service.finishProcessing('B2')).toMatchObject({ ok: true, compartment: '02' });
    // 0100004's compartment 01 joins; a third patron finds nothing free.
    expect(await r.service.finishProcessing('B4')).toMatchObject({ ok: true, compartment: '01', joined: true });
    // Ana's kit compartment is opened for loading, so her next copy cannot join it, and nothing else is free.
    expect(await r.service.load('L1', '03')).toMatchObject({ ok: true });
    await r.hold('0100001', 'B5');
    const none = await r.service.finishProcessing('B5');
    expect(none).toMatchObject({ ok: false, code: 'no_free_compartment' });
    expect(r.alerts).toContainEqual(expect.objectContaining({ kind: 'no_free_compartment', bank: 'L1' }));
    const info = await r.lib.engine.itemInformation('B5');
    expect(info.ok && info.item.status).toBe('O'); // still in processing
  });

  it('closing the loaded door makes the holds W with the bank expiry and notifies by e-mail (QR) and SMS', async () => {
    const r = await rig();
    await r.hold('0100001', 'B1');
    await r.hold('0100001', 'B2');
    await r.service.finishProcessing('B1');
    await r.service.finishProcessing('B2');
    await loadAndClose(r, '01', 1);

    const a = r.service.assignments()[0]!;
    expect(a).toMatchObject({ state: 'ready', compartment: '01', expiresAt: '2026-03-05T09:00:00.000Z' }); // 72 h after 10:00 CET
    const holds = r.lib.db.prepare(`SELECT status, expires_at FROM holds WHERE closed_at IS NULL ORDER BY id`).all();
    expect(holds).toEqual([
      { status: 'W', expires_at: '2026-03-05T09:00:00.000Z' },
      { status: 'W', expires_at: '2026-03-05T09:00:00.000Z' },
    ]);
    // SMS through the logging sender: the number masked in the log, the code in the message.
    const code = r.lastCode();
    expect(code).toMatch(/^\d{8}$/);
    // Ana reads Slovenian: the titles, the bank, the compartment, the code and the expiry.
    expect(r.sms.sent.at(-1)!.text).toBe(`Demo Library: "Alamut", "Na klancu" vas čaka v paketniku Locker wall, predal 01. Koda ${code.slice(0, 4)} ${code.slice(4)}, do 5. 3. 2026, 10:00.`);
    const line = r.logLines.find((l) => l.includes('SMS to'))!;
    expect(line).toContain('SMS to +386…222:');
    expect(line).not.toContain('+38640111222');
    // Only the keyed hash of the code is stored.
    expect(r.lib.db.prepare('SELECT code_hash FROM locker_pickup_codes').all()).toEqual([{ code_hash: hashPickupCode(code, r.codeKey) }]);
    expect(JSON.stringify(r.lib.db.prepare('SELECT * FROM locker_pickup_codes').all())).not.toContain(code);
    // The e-mail in Slovenian (the patron's language), with the code and its QR image.
    await waitFor('the e-mail', () => r.mails.length === 1);
    const mail = r.mails[0]!;
    expect(mail).toMatch(/^To: ana\.novak@example\.org/m);
    expect(mail).toMatch(/^Subject: .*paketniku/m);
    expect(mail).toContain('Content-Type: image/png');
    expect(mail).toContain('Content-ID: <pickup-code>');
    expect(mail).toContain(`${code.slice(0, 4)} ${code.slice(4)}`);
  });

  it('a pickup code opens the door and lends every item with its due date; a retry is not lent twice; a second use is refused', async () => {
    const r = await rig();
    await r.hold('0100001', 'B1');
    await r.hold('0100001', 'B2');
    await r.service.finishProcessing('B1');
    await r.service.finishProcessing('B2');
    await loadAndClose(r, '01', 1);
    const code = r.lastCode();
    expect(r.service.readyFor('0100001')).toEqual([{ bank: 'L1', number: '01', items: 2, expiresAt: '2026-03-05T09:00:00.000Z' }]);

    r.lib.clock.advanceMs(3_600_000); // an hour later
    const out = await r.service.pickupByCode(`${code.slice(0, 4)} ${code.slice(4)}`, { idempotencyKey: 'pick-1' });
    expect(out).toEqual({
      ok: true,
      patron: '0100001',
      compartments: [
        {
          bank: 'L1',
          bankName: 'Locker wall',
          number: '01',
          opened: true,
          items: [
            { barcode: 'B1', title: 'Alamut', dueDate: '2026-03-23', ok: true },
            { barcode: 'B2', title: 'Na klancu', dueDate: '2026-03-23', ok: true },
          ],
        },
      ],
    } satisfies PickupOutcome);
    expect(r.sim.door(0, 1).open).toBe(true);
    expect(r.loans()).toEqual([
      { barcode: 'B1', patron: '0100001', due_date: '2026-03-23' },
      { barcode: 'B2', patron: '0100001', due_date: '2026-03-23' },
    ]);
    // The holds were satisfied by the loans.
    expect(r.lib.db.prepare(`SELECT close_reason FROM holds ORDER BY id`).all()).toEqual([{ close_reason: 'fulfilled' }, { close_reason: 'fulfilled' }]);

    // The kiosk retries the same request (dropped socket): same answer, nothing lent twice.
    expect(await r.service.pickupByCode(code, { idempotencyKey: 'pick-1' })).toEqual(out);
    expect(r.loans()).toHaveLength(2);
    // The code again, as a new request: used.
    expect(await r.service.pickupByCode(code, { idempotencyKey: 'pick-2' })).toMatchObject({ ok: false, code: 'code_used' });
    expect(await r.service.pickupByCode('0000 0000', { idempotencyKey: 'pick-3' })).toMatchObject({ ok: false, code: 'code_unknown' });
    expect(r.service.readyFor('0100001')).toEqual([]);

    // Left open: staff hear about it after leftOpenAlertS; once shut, the compartment is free.
    r.lib.clock.advanceMs(61_000);
    await r.service.tick();
    expect(r.alerts).toContainEqual(expect.objectContaining({ kind: 'left_open', compartment: '01' }));
    r.sim.closeDoor(0, 1);
    await waitFor('the compartment to be free', () => r.service.listBanks()[0]!.compartments[0]!.state === 'free');
  });

  it('pickup by an identified patron opens every compartment waiting for them', async () => {
    const r = await rig();
    await r.hold('0100001', 'B1');
    await r.service.finishProcessing('B1');
    await loadAndClose(r, '01', 1);
    expect(await r.service.pickupForPatron('0100004', { idempotencyKey: 'p0' })).toMatchObject({ ok: false, code: 'nothing_ready' });
    const out = await r.service.pickupForPatron('0100001', { idempotencyKey: 'p1', language: 'sl' });
    expect(out).toMatchObject({ ok: true, compartments: [{ number: '01', items: [{ barcode: 'B1', ok: true, dueDate: '2026-03-23' }] }] });
  });

  it('a jammed door lends nothing and alerts staff', async () => {
    const r = await rig();
    await r.hold('0100001', 'B1');
    await r.service.finishProcessing('B1');
    await loadAndClose(r, '01', 1);
    const code = r.lastCode();
    r.sim.jam(0, 1);
    const out = await r.service.pickupByCode(code, { idempotencyKey: 'jam-1', language: 'en' });
    expect(out).toMatchObject({ ok: false, code: 'door_failed', compartment: '01' });
    if (out.ok) throw new Error('unreachable');
    expect(out.message).toMatch(/did not open/);
    expect(r.loans()).toEqual([]);
    expect(r.alerts).toContainEqual(expect.objectContaining({ kind: 'door_failed', bank: 'L1', compartment: '01' }));
    // The code still works once the door is fixed.
    r.sim.jam(0, 1, false);
    expect(await r.service.pickupByCode(code, { idempotencyKey: 'jam-2' })).toMatchObject({ ok: true });
    expect(r.loans().map((l) => l.barcode)).toEqual(['B1']);
  });

  it('five unknown codes pause code entry for five minutes (even the right code waits) and alert staff', async () => {
    const r = await rig();
    await r.hold('0100001', 'B1');
    await r.service.finishProcessing('B1');
    await loadAndClose(r, '01', 1);
    const code = r.lastCode();
    const wrong = code === '11111111' ? '22222222' : '11111111';
    for (let i = 0; i < 5; i++) {
      expect(await r.service.pickupByCode(wrong, { idempotencyKey: `guess-${i}` })).toMatchObject({ ok: false, code: 'code_unknown' });
      r.lib.clock.advanceMs(20_000);
    }
    expect(r.alerts).toContainEqual(expect.objectContaining({ kind: 'code_guessing', bank: 'L1' }));
    const paused = await r.service.pickupByCode(code, { idempotencyKey: 'right-but-paused', language: 'en' });
    expect(paused).toMatchObject({ ok: false, code: 'too_many_attempts' });
    if (paused.ok) throw new Error('unreachable');
    expect(paused.message).toMatch(/Too many wrong codes/);
    expect(r.loans()).toEqual([]);
    r.lib.clock.advanceMs(5 * 60_000); // the pause runs from the last wrong code
    expect(await r.service.pickupByCode(code, { idempotencyKey: 'right' })).toMatchObject({ ok: true });
    expect(r.loans().map((l) => l.barcode)).toEqual(['B1']);
  });

  it('an expired locker hold is released to the next patron with the unclaimed fee, and the compartment goes on the list to empty', async () => {
    const r = await rig();
    await r.hold('0100001', 'B1');
    // Eva queues for the same title behind Ana.
    expect(await r.lib.engine.placeHold({ patron: '0100005', bibId: 'T1', pickupPlace: 'LOCKER-A' })).toMatchObject({ ok: true, hold: { status: 'O' } });
    // (T1 has a second copy B6 in the branch, which Eva got as a free copy; take it out of the picture.)
    await r.lib.engine.cancelHold({ patron: '0100005', bibId: 'T1' });
    await r.lib.engine.checkout({ patron: '0100003', item: 'B6' }, { channel: 'staff' });
    expect(await r.lib.engine.placeHold({ patron: '0100005', bibId: 'T1', pickupPlace: 'LOCKER-A' })).toMatchObject({ ok: true, hold: { status: 'R' } });

    await r.service.finishProcessing('B1');
    await loadAndClose(r, '01', 1);
    const code = r.lastCode();

    r.lib.clock.advanceMs(73 * 3_600_000);
    expect(await r.service.pickupByCode(code, { idempotencyKey: 'late' })).toMatchObject({ ok: false, code: 'hold_expired' });
    const x = await r.service.expireNow();
    expect(x).toMatchObject({ ok: true, expired: [{ bank: 'L1', patron: '0100001', item: 'B1', next: '0100005', fee: 1 }], toEmpty: ['L1/01'] });
    const fee = r.lib.db.prepare(`SELECT f.kind, f.amount_minor, p.barcode FROM fees f JOIN patrons p ON p.id = f.patron_id`).all();
    expect(fee).toEqual([{ kind: 'unclaimed_hold', amount_minor: 100, barcode: '0100001' }]);
    const next = r.lib.db.prepare(`SELECT p.barcode, h.status FROM holds h JOIN patrons p ON p.id = h.patron_id WHERE h.closed_at IS NULL`).all();
    expect(next).toEqual([{ barcode: '0100005', status: 'O' }]);
    expect(r.alerts).toContainEqual(expect.objectContaining({ kind: 'expired_to_empty', compartment: '01' }));
    expect(r.service.toEmpty()).toEqual([{ bank: 'L1', compartment: '01', reason: 'expired', patron: '0100001', items: ['B1'], fault: null }]);

    // Staff empty it: the door opens, the compartment is free again, and Eva's copy can be processed.
    expect(await r.service.empty('L1', '01')).toMatchObject({ ok: true });
    expect(r.sim.door(0, 1).open).toBe(true);
    r.sim.closeDoor(0, 1);
    await waitFor('the door to close', () => !r.service.listBanks()[0]!.compartments[0]!.doorOpen);
    expect(r.service.toEmpty()).toEqual([]);
    expect(await r.service.finishProcessing('B1')).toMatchObject({ ok: true, compartment: '01', assignment: { patron: '0100005' } });
  });

  it('a return into a compartment is a deposit, not a check-in, until staff check the item in', async () => {
    const r = await rig();
    await r.lib.engine.checkout({ patron: '0100001', item: 'B3' }, { channel: 'staff' });
    const started = await r.service.startDeposit('0100001', { items: ['B3'] });
    expect(started).toMatchObject({ ok: true, deposit: { compartment: '01', state: 'open', items: ['B3'] } });
    expect(r.sim.door(0, 1).open).toBe(true);
    r.sim.closeDoor(0, 1);
    await waitFor('the deposit', () => r.service.deposits({ open: true })[0]?.state === 'deposited');
    // Still on loan: a deposit is not a return (domain.md §8.4).
    expect(r.loans()).toEqual([{ barcode: 'B3', patron: '0100001', due_date: '2026-03-23' }]);
    expect(r.service.toEmpty()).toEqual([{ bank: 'L1', compartment: '01', reason: 'deposit', patron: '0100001', items: ['B3'], fault: null }]);
    expect(await r.service.empty('L1', '01')).toMatchObject({ ok: true, emptied: { deposit: { state: 'emptied' } } });
    expect(r.service.deposits({ open: true })).toMatchObject([{ state: 'emptied' }]);
    // Staff scan it: a normal check-in, which closes the deposit.
    expect(await r.lib.engine.checkin({ item: 'B3' }, { channel: 'staff' })).toMatchObject({ ok: true });
    expect(r.service.deposits({ open: true })).toEqual([]);
    expect(r.service.deposits()[0]).toMatchObject({ state: 'closed' });
    // Without a mobile number no locker return (as in COBISS+).
    expect(await r.service.startDeposit('0100002')).toMatchObject({ ok: false, code: 'locker_needs_mobile' });
  });

  it('a door forced open alerts staff; a patron without a mobile number cannot choose the locker', async () => {
    const r = await rig();
    r.sim.openByHand(0, 2);
    await waitFor('the forced alert', () => r.alerts.find((a) => a.kind === 'forced'));
    expect(r.alerts.find((a) => a.kind === 'forced')).toMatchObject({ bank: 'L1', compartment: '02' });
    expect(await r.lib.engine.placeHold({ patron: '0100002', item: 'B1', pickupPlace: 'LOCKER-A' })).toMatchObject({ ok: false, reason: 'locker_needs_mobile' });
  });
});

/** The patron's copies in two compartments: 01 (B1) is opened for loading before B2 is finished, so B2 takes 02. */
async function twoCompartments(r: Rig, patron: string): Promise<void> {
  await r.hold(patron, 'B1');
  await r.hold(patron, 'B2');
  expect(await r.service.finishProcessing('B1')).toMatchObject({ ok: true, compartment: '01' });
  await loadAndClose(r, '01', 1);
  expect(await r.service.finishProcessing('B2')).toMatchObject({ ok: true, compartment: '02', joined: false });
  await loadAndClose(r, '02', 2);
}

describe('locker service: reviewed defects', () => {
  it('a patron cancelling a loaded locker hold: the next patron gets the copy as O to be loaded again, the compartment is to be emptied as cancelled', async () => {
    const r = await rig();
    await r.hold('0100001', 'B1');
    // Eva queues for the title (T1's other copy B6 is out of the picture, on loan to Jānis).
    await r.lib.engine.checkout({ patron: '0100003', item: 'B6' }, { channel: 'staff' });
    expect(await r.lib.engine.placeHold({ patron: '0100005', bibId: 'T1', pickupPlace: 'LOCKER-A' })).toMatchObject({ ok: true, hold: { status: 'R' } });
    await r.service.finishProcessing('B1');
    await loadAndClose(r, '01', 1);
    const code = r.lastCode();

    r.lib.clock.advanceMs(3_600_000);
    expect(await r.lib.engine.cancelHold({ patron: '0100001', item: 'B1' })).toMatchObject({ ok: true, cancelled: { status: 'W' } });
    // The copy is in compartment 01, not on the hold shelf: Eva's reservation is to be processed (O),
    // without the desk's hold-shelf expiry, and no fee for Ana (she cancelled in time).
    const next = r.lib.db.prepare(`SELECT p.barcode, h.status, h.expires_at FROM holds h JOIN patrons p ON p.id = h.patron_id WHERE h.closed_at IS NULL`).all();
    expect(next).toEqual([{ barcode: '0100005', status: 'O', expires_at: null }]);
    expect(r.lib.db.prepare('SELECT COUNT(*) AS n FROM fees').get()).toEqual({ n: 0 });

    // The periodic check puts 01 on the list to empty, as cancelled, with the right alert.
    await r.service.tick();
    expect(r.service.toEmpty()).toEqual([{ bank: 'L1', compartment: '01', reason: 'cancelled', patron: '0100001', items: ['B1'], fault: null }]);
    const alert = r.alerts.find((a) => a.compartment === '01' && a.kind.endsWith('_to_empty'));
    expect(alert).toMatchObject({ kind: 'released_to_empty' });
    expect(alert!.message).toContain('cancelled');
    expect(alert!.message).not.toContain('not collected in time');
    expect(await r.service.pickupByCode(code, { idempotencyKey: k('cancelled') })).toMatchObject({ ok: false, code: 'hold_expired' });
    // The expiry job has nothing to add: no second row, no fee.
    expect(await r.service.expireNow()).toMatchObject({ ok: true, expired: [], toEmpty: [] });
    expect(r.service.toEmpty()).toHaveLength(1);

    // Staff empty 01 and finish processing the copy for Eva: a compartment, loaded, her code, 72 h.
    expect(await r.service.empty('L1', '01')).toMatchObject({ ok: true });
    r.sim.closeDoor(0, 1);
    await waitFor('the door to close', () => !r.service.listBanks()[0]!.compartments[0]!.doorOpen);
    expect(await r.service.finishProcessing('B1')).toMatchObject({ ok: true, compartment: '01', assignment: { patron: '0100005' } });
    await loadAndClose(r, '01', 1);
    expect(r.sms.sent.at(-1)!.to).toBe('+38641999888');
    const eva = r.lib.db.prepare(`SELECT status, expires_at FROM holds WHERE closed_at IS NULL`).all();
    expect(eva).toEqual([{ status: 'W', expires_at: '2026-03-05T10:00:00.000Z' }]); // 72 h after loading at 11:00 CET
  });

  it('a W cancelled on the desk hold shelf passes on as O when the next patron waits for a locker', async () => {
    const r = await rig();
    await r.lib.engine.checkout({ patron: '0100003', item: 'B2' }, { channel: 'staff' });
    await r.lib.engine.placeHold({ patron: '0100001', bibId: 'T2' });
    await r.lib.engine.placeHold({ patron: '0100005', bibId: 'T2', pickupPlace: 'LOCKER-A' });
    await r.lib.engine.checkin({ item: 'B2' }, { channel: 'staff' });
    await r.lib.engine.holdReady('B2');
    await r.lib.engine.cancelHold({ patron: '0100001', bibId: 'T2' });
    expect(r.lib.db.prepare(`SELECT status FROM holds WHERE closed_at IS NULL`).all()).toEqual([{ status: 'O' }]);
    expect(await r.service.finishProcessing('B2')).toMatchObject({ ok: true, assignment: { patron: '0100005' } });
  });

  it('a deposit stays until staff empty it, even of an item on loan to someone else; it closes when the item is checked in', async () => {
    const r = await rig();
    await r.lib.engine.checkout({ patron: '0100001', item: 'B3' }, { channel: 'staff' });
    await r.lib.engine.checkout({ patron: '0100004', item: 'B4' }, { channel: 'staff' });
    // Mojca returns Ana's book into the locker.
    const started = await r.service.startDeposit('0100004', { items: ['B3'] });
    expect(started).toMatchObject({ ok: true, deposit: { compartment: '01', state: 'open' } });
    r.sim.closeDoor(0, 1);
    await waitFor('the deposit', () => r.service.deposits({ open: true })[0]?.state === 'deposited');
    r.lib.clock.advanceMs(10_000);
    await r.service.tick();
    r.lib.clock.advanceMs(3_600_000);
    await r.service.tick();
    expect(r.service.deposits({ open: true })).toMatchObject([{ compartment: '01', state: 'deposited', emptiedAt: null, closedAt: null }]);
    expect(r.service.toEmpty()).toEqual([{ bank: 'L1', compartment: '01', reason: 'deposit', patron: '0100004', items: ['B3'], fault: null }]);
    expect(r.service.listBanks()[0]!.compartments[0]).toMatchObject({ number: '01', state: 'deposited' });
    // The book is inside: a reservation gets another compartment.
    await r.hold('0100005', 'B1');
    expect(await r.service.finishProcessing('B1')).toMatchObject({ ok: true, compartment: '02' });

    expect(await r.service.empty('L1', '01')).toMatchObject({ ok: true, emptied: { deposit: { state: 'emptied' } } });
    r.sim.closeDoor(0, 1);
    await r.service.tick();
    expect(r.service.deposits({ open: true })).toMatchObject([{ state: 'emptied' }]); // B3 is still on loan to Ana
    expect(await r.lib.engine.checkin({ item: 'B3' }, { channel: 'staff' })).toMatchObject({ ok: true });
    await r.service.tick();
    expect(r.service.deposits({ open: true })).toEqual([]);
    expect(r.service.deposits()[0]).toMatchObject({ state: 'closed' });
    expect(r.loans()).toEqual([{ barcode: 'B4', patron: '0100004', due_date: '2026-03-23' }]);
  });

  it('one of two doors jammed at pickup: each compartment with its own outcome on screen data and the receipt', async () => {
    const r = await rig();
    await twoCompartments(r, '0100001');
    r.sim.jam(0, 2);
    const station = kioskStation(r);
    expect(await station.identify({ key: k('id'), identifier: '0100001', pin: '1234' })).toMatchObject({ ok: true });
    const out = await station.lockerPickup(r.service, { key: k('pick') });
    if (!out.ok) throw new Error(JSON.stringify(out));
    expect(out.data.compartments.map((c) => [c.number, c.opened, c.items.map((i) => [i.barcode, i.status])])).toEqual([
      ['01', true, [['B1', 'done']]],
      ['02', false, [['B2', 'refused']]],
    ]);
    expect(r.loans().map((l) => l.barcode)).toEqual(['B1']);
    expect(r.alerts).toContainEqual(expect.objectContaining({ kind: 'door_failed', compartment: '02' }));
    const receipt = station.buildReceipt()!;
    expect(receipt.patron).toEqual({ cardNumber: '0100001', name: 'Ana Novak' });
    const loans = receipt.sections.find((x) => x.kind === 'loans');
    expect(loans && 'items' in loans && loans.items.map((i) => i.barcode)).toEqual(['B1']);
    const notes = receipt.sections.filter((x) => x.kind === 'note').flatMap((x) => ('lines' in x ? x.lines : []));
    // Ana reads Slovenian.
    expect(notes).toEqual([
      'Prevzeto iz predala 01 paketnika (Locker wall)',
      'Predal 02 paketnika (Locker wall) se ni odprl: iz njega ni bilo nič izposojeno. Osebje je obveščeno.',
    ]);
    const notDone = receipt.sections.find((x) => x.kind === 'not-processed');
    expect(notDone && 'items' in notDone && notDone.items.map((i) => i.barcode)).toEqual(['B2']);
  });

  it('a door that failed while its board was silent: the reservation stays visible, one row per compartment, the fault clears when the board answers', async () => {
    const r = await rig();
    await twoCompartments(r, '0100001');
    r.sim.setSilent(0, true);
    expect(await r.service.pickupForPatron('0100001', { idempotencyKey: k('silent') })).toMatchObject({ ok: false, code: 'door_failed' });
    expect(r.loans()).toEqual([]);
    const comps = () => r.service.listBanks()[0]!.compartments.slice(0, 2).map((c) => [c.number, c.state, c.fault, c.assignment?.patron ?? null]);
    expect(comps()).toEqual([
      ['01', 'ready', 'no_answer', '0100001'],
      ['02', 'ready', 'no_answer', '0100001'],
    ]);
    expect(r.service.toEmpty()).toEqual([
      { bank: 'L1', compartment: '01', reason: 'fault', patron: '0100001', items: ['B1'], fault: 'no_answer' },
      { bank: 'L1', compartment: '02', reason: 'fault', patron: '0100001', items: ['B2'], fault: 'no_answer' },
    ]);
    // The board answers again: the doors are not faulty any more, and the patron can collect.
    r.sim.setSilent(0, false);
    await waitFor('the faults to clear', () => r.service.toEmpty().length === 0, 5000);
    expect(comps()).toEqual([
      ['01', 'ready', null, '0100001'],
      ['02', 'ready', null, '0100001'],
    ]);

    // A jammed door stays faulty; staff cannot empty a waiting reservation, but can check the door.
    r.sim.jam(0, 1);
    expect(await r.service.checkDoor('L1', '01')).toMatchObject({ ok: false, code: 'door_failed' });
    const inUse = await r.service.empty('L1', '01');
    expect(inUse).toMatchObject({ ok: false, code: 'compartment_in_use' });
    expect(!inUse.ok && inUse.message).toContain('/check');
    expect(r.service.toEmpty()).toEqual([{ bank: 'L1', compartment: '01', reason: 'fault', patron: '0100001', items: ['B1'], fault: 'jammed' }]);

    // Not collected in time: each compartment once, the fault kept on its row.
    r.lib.clock.advanceMs(73 * 3_600_000);
    expect(await r.service.expireNow()).toMatchObject({ ok: true, toEmpty: ['L1/01', 'L1/02'] });
    expect(r.service.toEmpty()).toEqual([
      { bank: 'L1', compartment: '01', reason: 'expired', patron: '0100001', items: ['B1'], fault: 'jammed' },
      { bank: 'L1', compartment: '02', reason: 'expired', patron: '0100001', items: ['B2'], fault: null },
    ]);
    expect(await r.service.empty('L1', '01')).toMatchObject({ ok: false, code: 'door_failed' });
    r.sim.jam(0, 1, false);
    // Repaired: checking the door opens it and clears the fault; emptying then frees it.
    expect(await r.service.checkDoor('L1', '01')).toMatchObject({ ok: true, compartment: { number: '01', state: 'to_empty', fault: null } });
    r.sim.closeDoor(0, 1);
    await waitFor('the door to close', () => !r.service.listBanks()[0]!.compartments[0]!.doorOpen);
    expect(await r.service.empty('L1', '01')).toMatchObject({ ok: true });
    r.sim.closeDoor(0, 1);
    await waitFor('01 free', () => r.service.listBanks()[0]!.compartments[0]!.state === 'free');
    expect(r.service.toEmpty().map((x) => x.compartment)).toEqual(['02']);
  });

  it('kiosk receipts name the borrower: a code pickup gets its own session and receipt; another patron\'s code in an identified session is refused before the door opens', async () => {
    const r = await rig();
    await r.hold('0100001', 'B1');
    await r.service.finishProcessing('B1');
    await loadAndClose(r, '01', 1);
    const ana = r.lastCode();
    await r.hold('0100005', 'B2');
    await r.service.finishProcessing('B2');
    await loadAndClose(r, '02', 2);
    const eva = r.lastCode();
    await r.hold('0100004', 'B3');
    await r.service.finishProcessing('B3');
    await loadAndClose(r, '03', 3);
    const mojca = r.lastCode();
    const station = kioskStation(r);

    // Ana collects with her code: the receipt names her (domain.md §9.1: card number and name).
    expect(await station.lockerPickup(r.service, { key: k('ana'), code: ana, language: 'en' })).toMatchObject({ ok: true });
    expect(station.buildReceipt()).toMatchObject({ patron: { cardNumber: '0100001', name: 'Ana Novak' }, sections: expect.arrayContaining([{ kind: 'loans', items: [expect.objectContaining({ barcode: 'B1' })] }]) });

    // Nobody pressed Done; Eva's code next: her own session and receipt, without Ana's loan.
    expect(await station.lockerPickup(r.service, { key: k('eva'), code: eva, language: 'en' })).toMatchObject({ ok: true });
    const evas = station.buildReceipt()!;
    expect(evas.patron).toEqual({ cardNumber: '0100005', name: 'Eva Zupan' });
    expect(evas.sections.flatMap((x) => ('items' in x ? x.items.map((i) => i.barcode) : []))).toEqual(['B2']);

    // Still not ended: Mojca identifies with card and PIN and starts afresh.
    expect(await station.identify({ key: k('id'), identifier: '0100004', pin: '1234' })).toMatchObject({ ok: true });
    expect(station.buildReceipt()).toBeNull();
    // Inside Mojca's session, someone else's code does not open anything.
    const refused = await station.lockerPickup(r.service, { key: k('other'), code: eva });
    expect(refused).toMatchObject({ ok: false, error: { code: 'code_other_patron', messageKey: 'locker.code_other_patron' } });
    expect(r.sim.door(0, 3).open).toBe(false);
    // Her own code works, and the receipt names her, with her loan only.
    expect(await station.lockerPickup(r.service, { key: k('mojca'), code: mojca })).toMatchObject({ ok: true });
    const hers = station.buildReceipt()!;
    expect(hers.patron).toEqual({ cardNumber: '0100004', name: 'Mojca Kovačič' });
    expect(hers.sections.flatMap((x) => ('items' in x ? x.items.map((i) => i.barcode) : []))).toEqual(['B3']);
    expect(r.loans().map((l) => [l.barcode, l.patron])).toEqual([
      ['B1', '0100001'],
      ['B2', '0100005'],
      ['B3', '0100004'],
    ]);
  });

  it('pickup codes are stored as HMAC-SHA-256 under a key file (mode 0600) beside the store; a code stored by an earlier version (plain SHA-256) still opens', async () => {
    const r = await rig({ keyFromFile: true });
    const file = join(dirname(r.lib.db.name), PICKUP_CODE_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(r.codeKey).toHaveLength(32);
    await r.hold('0100001', 'B1');
    await r.service.finishProcessing('B1');
    await loadAndClose(r, '01', 1);
    const code = r.lastCode();
    const stored = (r.lib.db.prepare('SELECT code_hash FROM locker_pickup_codes').get() as { code_hash: string }).code_hash;
    expect(stored).toBe(hashPickupCode(code, r.codeKey));
    // Not the plain hash, which the database alone would reverse by trying all 10^8 codes.
    expect(stored).not.toBe(legacyPickupCodeHash(code));
    // Another installation's key gives another hash.
    expect(hashPickupCode(code, TEST_CODE_KEY)).not.toBe(stored);

    // A notice sent before the update: its row holds the plain hash, and the code still opens.
    r.lib.db.prepare('UPDATE locker_pickup_codes SET code_hash = ?').run(legacyPickupCodeHash(code));
    expect(await r.service.pickupByCode(code, { idempotencyKey: k('legacy') })).toMatchObject({ ok: true, patron: '0100001' });
  });
});

describe('locker staff API in the daemon (demo configuration)', () => {
  it('staff finish processing, load and close; the patron collects with the code; every staff action is audited', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kiosk-lockers-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const loaded = loadConfig({ dataDir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const { config, policy } = loaded.value;
    const clock = new ManualClock('2026-03-02T10:00:00+01:00');
    const daemon = await startDaemon({ config, policy, clock, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => daemon.close());
    const lockers = daemon.lockers!;
    expect(lockers).not.toBeNull();
    const base = daemon.http.url;
    const api = async (path: string, cookie: string | null, body?: unknown) => {
      const res = await fetch(new URL(`/api/lockers${path}`, base), {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as { ok: boolean; data?: any; error?: { code: string; message: string } } };
    };
    expect(await api('/banks', null)).toMatchObject({ status: 401, body: { ok: false, error: { code: 'login_required' } } });
    const cookie = await loginCookie(base, 'staff', 'staff');

    const banks = await api('/banks', cookie);
    expect(banks.body.data[0]).toMatchObject({ id: 'L1', pickupPlace: 'PAK1', holdHours: 72, deviceState: 'ready' });
    expect(banks.body.data[0].compartments).toHaveLength(12);
    expect(await api('/finish-processing', cookie, {})).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect(await api('/finish-processing', cookie, { item: '30100000001' })).toMatchObject({ status: 404, body: { error: { code: 'hold_not_found' } } });
    // The demo patron 0100009 has two copies reserved for the locker wall.
    expect(await api('/finish-processing', cookie, { item: '30100000040' })).toMatchObject({ status: 200, body: { ok: true, data: { compartment: '01', joined: false } } });
    expect(await api('/finish-processing', cookie, { item: '30100000041' })).toMatchObject({ status: 200, body: { ok: true, data: { compartment: '01', joined: true } } });
    expect(await api('/banks/L1/compartments/01/load', cookie, {})).toMatchObject({ status: 200, body: { ok: true, data: { assignment: { state: 'loading' } } } });
    const sim = daemon.simulator!.locker;
    expect(sim.state().doors.find((d: { lock: number }) => d.lock === 1)).toMatchObject({ open: true });
    sim.closeDoor(0, 1);
    const sms = lockers.smsSender as LogSmsSender;
    await waitFor('the notice', () => sms.sent.length === 1);
    expect(sms.sent[0]!.to).toBe('+38640222333');
    expect(lockers.readyFor('0100009')).toEqual([{ bank: 'L1', number: '01', items: 2, expiresAt: '2026-03-05T09:00:00.000Z' }]);

    const code = /Koda (\d{4} \d{4})/.exec(sms.sent[0]!.text)![1]!;
    const out = await lockers.pickupByCode(code, { idempotencyKey: 'kiosk-1' });
    expect(out).toMatchObject({ ok: true, patron: '0100009', compartments: [{ number: '01', items: [{ ok: true }, { ok: true }] }] });
    const info = await daemon.backend.itemInformation('30100000040');
    expect(info.ok && info.item.status).toBe('C');

    const audit = daemon.db.prepare(`SELECT actor, action, target, outcome FROM audit_log WHERE action LIKE 'locker.%' ORDER BY id`).all();
    expect(audit).toEqual([
      { actor: 'staff', action: 'locker.finish_processing', target: null, outcome: 'refused' },
      { actor: 'staff', action: 'locker.finish_processing', target: '30100000001', outcome: 'refused' },
      { actor: 'staff', action: 'locker.finish_processing', target: '30100000040', outcome: 'ok' },
      { actor: 'staff', action: 'locker.finish_processing', target: '30100000041', outcome: 'ok' },
      { actor: 'staff', action: 'locker.load', target: 'L1/01', outcome: 'ok' },
    ]);
  });
});

/**
 * The locker service (notes/locker-contract.md; domain.md §8.3 linked parcel lockers, §8.4 returns
 * into a locker, §6.4 expiry, §9.4 unclaimed-hold fee), for banks whose doors we drive ourselves.
 *
 *  1. Staff finish processing a reservation for a locker pickup place: the copy gets a compartment
 *     of a fitting size; further copies for the same patron join it until its door is opened
 *     (001:L4419); with no free compartment the reservation stays in processing and staff are told.
 *  2. Staff load: the door opens; when it closes, the copies go O → W with the bank's expiry, a
 *     one-time pickup code is made (stored hashed) and the patron is notified by e-mail and SMS.
 *  3. The patron collects at the kiosk with the code or with card and PIN: the door opens, and only
 *     then is every copy in it lent (001:L4417) with its reservation satisfied.
 *  4. Expiry: copies not collected in time are released (next patron as O, or the shelf) with the
 *     unclaimed-hold fee; their compartments go on the staff's list to empty.
 *  5. Returns put into a compartment are deposits, not check-ins, until staff check the items in.
 *
 * The compartments have no RFID antenna (the Kerong CU boards drive locks and read door sensors
 * only), so the security bits of the items are not touched at pickup: a locker wall stands outside
 * the security gates, and the bits are set again on the normal check-in. A bank with shelf readers
 * would clear them where the pickup records the loans (see `collect`).
 */
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Policy } from '../../config/schema.ts';
import type { DoorAddress, LockerController } from '../../drivers/locker/index.ts';
import type { Clock } from '../clock.ts';
import type { EmbeddedBackend } from '../circulation/embedded.ts';
import type { KioskLanguage } from '../../protocols/kiosk-api/reasons.ts';
import { durable, type Db } from '../store/db.ts';
import { TypedEmitter } from '../../drivers/device.ts';
import {
  defaultRandom,
  hashPickupCode,
  legacyPickupCodeHash,
  loadOrCreatePickupCodeKey,
  newPickupCode,
  normalizePickupCode,
  PICKUP_CODE_KEY_FILE,
  type RandomSource,
} from './codes.ts';
import { sizeRank, type CompartmentSize, type LockerBankConfig, type LockersConfig } from './config.ts';
import { buildNoticeMail, maskPhone, smsText, type LockerMailer, type NoticeLanguage, type SmsSender } from './notify.ts';
import { asNoticeLanguage, pickupFailureText, type PickupFailure } from './texts.ts';

export type { PickupFailure } from './texts.ts';

/** What became of a copy whose reservation closed while it was in (or bound for) a compartment. */
function closedOutcome(h: { closeReason: string | null } | null): 'expired' | 'lent_elsewhere' | 'cancelled' | 'withdrawn' {
  if (h?.closeReason === 'expired') return 'expired';
  if (h?.closeReason === 'fulfilled') return 'lent_elsewhere';
  if (h?.closeReason === 'cancelled') return 'cancelled';
  return 'withdrawn';
}

export interface PickupItem {
  barcode: string;
  title: string;
  dueDate: string | null;
  ok: boolean;
  reason?: string;
  message?: string;
}
export interface PickupCompartment {
  bank: string;
  bankName: string;
  number: string;
  /**
   * Whether this door opened. One that did not lent nothing (its items say door_failed) and staff
   * were alerted; the other compartments of the same pickup are not held back by it.
   */
  opened: boolean;
  items: PickupItem[];
}
export type PickupOutcome =
  | { ok: true; patron: string; compartments: PickupCompartment[] }
  | { ok: false; code: PickupFailure; message: string; compartment?: string };

export type LockerAlertKind =
  | 'door_failed'
  | 'left_open'
  | 'forced'
  | 'no_free_compartment'
  /** Loaded, not collected in time: to be emptied. */
  | 'expired_to_empty'
  /** Loaded, but its reservations were cancelled (or lent elsewhere): to be emptied. */
  | 'released_to_empty'
  | 'code_guessing';

/**
 * Wrong pickup codes: after WRONG_CODE_LIMIT unknown codes within WRONG_CODE_WINDOW_MS, code entry
 * at this service point rests for WRONG_CODE_PAUSE_MS from the last one, and staff are alerted.
 * With 8-digit codes and a dozen live ones, that keeps a guesser near one chance in ten thousand a day.
 */
const WRONG_CODE_LIMIT = 5;
const WRONG_CODE_WINDOW_MS = 10 * 60_000;
const WRONG_CODE_PAUSE_MS = 5 * 60_000;
/** A board fault younger than this is not cleared by the periodic check (the board may be going down). */
const BOARD_FAULT_SETTLE_MS = 30_000;
export interface LockerAlert {
  kind: LockerAlertKind;
  bank: string;
  compartment?: string;
  message: string;
}

interface LockerServiceEvents {
  alert: [LockerAlert];
  /** Something staff look at changed (assignment, compartment, deposit): for live staff pages. */
  changed: [{ bank: string; compartment?: string }];
}

/** Staff command results: data, not exceptions (DESIGN.md). */
export type StaffOutcome<T extends object> = ({ ok: true } & T) | { ok: false; code: string; message: string };

export type AssignmentState = 'reserved' | 'loading' | 'ready' | 'collecting' | 'collected' | 'to_empty' | 'emptied' | 'cancelled';

interface AssignmentRow {
  id: number;
  bank: string;
  compartment: string;
  patron_id: number;
  state: AssignmentState;
  created_at: string;
  opened_at: string | null;
  loaded_at: string | null;
  expires_at: string | null;
  collected_at: string | null;
  closed_at: string | null;
  close_reason: string | null;
}
interface AssignmentItemRow {
  assignment_id: number;
  hold_id: number;
  item_id: number;
  added_at: string;
  outcome: string | null;
  barcode: string;
  title: string;
}
interface CompartmentRow {
  bank: string;
  number: string;
  size: CompartmentSize;
  board: number;
  lock: number;
  fault: string | null;
  fault_at: string | null;
  retired: number;
}
interface DepositRow {
  id: number;
  bank: string;
  compartment: string;
  patron_id: number;
  state: 'open' | 'deposited' | 'emptied' | 'closed' | 'cancelled';
  items: string | null;
  opened_at: string;
  deposited_at: string | null;
  emptied_at: string | null;
  closed_at: string | null;
  close_reason: string | null;
}

export interface AssignmentView {
  id: number;
  bank: string;
  compartment: string;
  patron: string;
  state: AssignmentState;
  createdAt: string;
  loadedAt: string | null;
  expiresAt: string | null;
  items: Array<{ barcode: string; title: string; holdId: number; outcome: string | null }>;
}
export interface CompartmentView {
  number: string;
  size: CompartmentSize;
  board: number;
  lock: number;
  /**
   * free | reserved | loading | ready | collecting | collected | to_empty | deposit_open | deposited,
   * or fault for an empty compartment whose door failed (`fault` says why, whatever the state).
   */
  state: string;
  fault: string | null;
  doorOpen: boolean;
  assignment: AssignmentView | null;
  deposit: DepositView | null;
}
export interface BankView {
  id: string;
  name: string;
  pickupPlace: string;
  driver: 'ours' | 'vendor';
  device: string | null;
  deviceState: string;
  holdHours: number;
  compartments: CompartmentView[];
}
export interface ToEmptyRow {
  bank: string;
  compartment: string;
  reason: 'expired' | 'cancelled' | 'lent_elsewhere' | 'deposit' | 'fault';
  /** Whose items are inside (the reservation's or the depositor's card), null when nobody's. */
  patron: string | null;
  items: string[];
  /** The code of the door's last failure to open (jammed, no_answer, …), null when it works. */
  fault: string | null;
}
export interface DepositView {
  id: number;
  bank: string;
  compartment: string;
  patron: string;
  state: DepositRow['state'];
  items: string[] | null;
  openedAt: string;
  depositedAt: string | null;
  emptiedAt: string | null;
  closedAt: string | null;
}

export interface LockerServiceOptions {
  db: Db;
  engine: EmbeddedBackend;
  config: LockersConfig;
  policy: Policy;
  clock: Clock;
  logger: Logger;
  site: { name: string; timezone: string; language: KioskLanguage };
  /** The door controller of a bank (DeviceManager.locker(bank.device)); null when there is none. */
  controller: (bank: LockerBankConfig) => LockerController | null;
  mailer: LockerMailer | null;
  sms: SmsSender;
  random?: RandomSource;
  /**
   * The secret key of the pickup-code hashes (codes.ts). Default: read from (or made in) the key
   * file `codeKeyFile`, which defaults to locker-code.key beside the database file (the data
   * directory); a store in memory gets a key of its own for the life of the process.
   */
  codeKey?: Buffer;
  codeKeyFile?: string;
  /** Run tick() on a timer (the daemon: yes; tests call tick() after moving the clock). */
  timers?: boolean;
  /** How often tick() runs on the timer (real time; the checks themselves read the clock). */
  tickMs?: number;
}

interface OpenDoor {
  bank: string;
  number: string;
  sinceMs: number;
  purpose: 'load' | 'pickup' | 'empty' | 'deposit' | 'check' | 'forced' | 'unknown';
  alerted: boolean;
}

type HoldView = NonNullable<ReturnType<EmbeddedBackend['lockerHoldById']>>;

export class LockerService extends TypedEmitter<LockerServiceEvents> {
  private readonly o: LockerServiceOptions;
  private readonly log: Logger;
  private readonly random: RandomSource;
  /** The key of the stored pickup-code hashes (never logged). */
  private readonly codeKey: Buffer;
  private readonly banks = new Map<string, LockerBankConfig>();
  private readonly openDoors = new Map<string, OpenDoor>();
  private readonly recentAlerts: Array<LockerAlert & { at: string }> = [];
  private readonly detach: Array<() => void> = [];
  /** Times (ms) of the recent unknown pickup codes. */
  private wrongCodes: number[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private nextExpiryMs: number;
  private closed = false;

  constructor(opts: LockerServiceOptions) {
    super();
    this.o = opts;
    this.log = opts.logger;
    this.random = opts.random ?? defaultRandom;
    this.codeKey = opts.codeKey ?? this.loadCodeKey(opts);
    for (const b of opts.config.banks) this.banks.set(b.id, b);
    this.syncCompartments();
    this.nextExpiryMs = opts.clock.now().getTime();
  }

  // ------------------------------------------------------------------ lifecycle

  /** The installation's pickup-code key, from the data directory (codes.ts). */
  private loadCodeKey(opts: LockerServiceOptions): Buffer {
    const file = opts.codeKeyFile ?? (opts.db.memory ? null : join(dirname(opts.db.name), PICKUP_CODE_KEY_FILE));
    if (!file) return defaultRandom(32);
    const k = loadOrCreatePickupCodeKey(file);
    if (k.created) this.log.info({ file }, 'locker pickup-code key made (keep it with the database backups, apart from them)');
    if (k.tooOpen) this.log.warn({ file }, 'the locker pickup-code key file can be read by other users: chmod 600 it');
    return k.key;
  }

  /** The stored hashes a typed code may have: the keyed one, and the plain one of earlier versions. */
  private codeHashes(code: string): [string, string] {
    return [hashPickupCode(code, this.codeKey), legacyPickupCodeHash(code)];
  }

  /** Subscribes to the door controllers' events and starts the periodic job. */
  start(): void {
    const seen = new Set<LockerController>();
    for (const bank of this.ourBanks()) {
      const c = this.o.controller(bank);
      if (!c) {
        this.log.warn({ bank: bank.id, device: bank.device }, 'locker bank has no door controller: its doors cannot be opened');
        continue;
      }
      const opened = (e: { board: number; lock: number; forced: boolean }) => this.onDoorOpened(bank, e);
      const closed = (e: { board: number; lock: number }) => void this.exclusive(() => this.onDoorClosed(bank, e));
      const state = (st: { state: string }) => {
        if (st.state === 'ready') void this.exclusive(async () => this.clearBoardFaults(bank));
      };
      c.on('door.opened', opened);
      c.on('door.closed', closed);
      c.on('state', state);
      this.detach.push(() => {
        c.off('door.opened', opened);
        c.off('door.closed', closed);
        c.off('state', state);
      });
      seen.add(c);
      // Faults left from a board outage before a restart: the boards answer now.
      if (c.status().state === 'ready') void this.exclusive(async () => this.clearBoardFaults(bank));
    }
    if (this.o.timers !== false) {
      this.timer = setInterval(() => void this.tick().catch((e: unknown) => this.log.error({ err: e }, 'locker tick failed')), this.o.tickMs ?? 5000);
      this.timer.unref();
    }
  }

  /** Stops the timer and the event subscriptions; waits for a command in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const d of this.detach.splice(0)) d();
    await this.chain.catch(() => undefined);
  }

  /**
   * The periodic work, reading the clock: alerts for doors left open, reservations closed elsewhere,
   * deposits whose items were checked in, and the expiry job every `expiryIntervalS`.
   */
  async tick(): Promise<void> {
    if (this.closed) return;
    const now = this.o.clock.now().getTime();
    for (const d of this.openDoors.values()) {
      if (!d.alerted && now - d.sinceMs >= this.o.config.leftOpenAlertS * 1000) {
        d.alerted = true;
        this.alert({
          kind: 'left_open',
          bank: d.bank,
          compartment: d.number,
          message: `Compartment ${d.number} of ${this.bankName(d.bank)} has been open for more than ${this.o.config.leftOpenAlertS} s`,
        });
      }
    }
    this.closeCheckedInDeposits();
    await this.exclusive(async () => {
      // A door fault from a board that did not answer once, while the controller has been ready
      // since (every board answers its polls), is over; a fresh one may still be a board going down.
      const settled = new Date(now - BOARD_FAULT_SETTLE_MS).toISOString();
      for (const bank of this.ourBanks()) {
        if (this.o.controller(bank)?.status().state === 'ready') this.clearBoardFaults(bank, settled);
      }
      // Reservations cancelled or lent elsewhere since: their compartments go on the list to empty
      // now, not at the next expiry run.
      if (this.reconcileAssignments().length) await durable(this.o.db);
    });
    if (now >= this.nextExpiryMs) {
      this.nextExpiryMs = now + this.o.config.expiryIntervalS * 1000;
      await this.expireNow();
    }
  }

  // ------------------------------------------------------------------ kiosk (the contract)

  /**
   * Kiosk, with a one-time pickup code (typed or scanned from the QR in the notification). `patron`:
   * the card of the patron identified in the kiosk session, if any; a code for someone else's
   * reservations is then refused before any door opens (code_other_patron), so that one session and
   * its receipt never mix two patrons' loans.
   */
  pickupByCode(code: string, opts: { idempotencyKey: string; language?: string; patron?: string }): Promise<PickupOutcome> {
    return this.exclusive(async () => {
      const prior = this.storedOutcome(opts.idempotencyKey);
      if (prior) return prior;
      const fallback = asNoticeLanguage(opts.language, asNoticeLanguage(this.o.site.language, 'en'));
      const fail = (c: PickupFailure, lang: NoticeLanguage, compartment?: string): PickupOutcome => ({
        ok: false,
        code: c,
        message: pickupFailureText(c, lang),
        ...(compartment ? { compartment } : {}),
      });
      const nowMs = this.o.clock.now().getTime();
      this.wrongCodes = this.wrongCodes.filter((t) => t > nowMs - WRONG_CODE_WINDOW_MS);
      const last = this.wrongCodes[this.wrongCodes.length - 1];
      if (this.wrongCodes.length >= WRONG_CODE_LIMIT && last !== undefined && nowMs - last < WRONG_CODE_PAUSE_MS) {
        return fail('too_many_attempts', fallback);
      }
      const wrong = (): PickupOutcome => {
        this.wrongCodes.push(nowMs);
        if (this.wrongCodes.length === WRONG_CODE_LIMIT) {
          const bank = [...this.banks.values()][0];
          this.alert({
            kind: 'code_guessing',
            bank: bank?.id ?? '',
            message: `${WRONG_CODE_LIMIT} unknown pickup codes within ${WRONG_CODE_WINDOW_MS / 60_000} minutes: code entry paused for ${WRONG_CODE_PAUSE_MS / 60_000} minutes`,
          });
        }
        return fail('code_unknown', fallback);
      };
      const digits = normalizePickupCode(code);
      if (!digits) return wrong();
      const row = this.q('SELECT * FROM locker_pickup_codes WHERE code_hash IN (?, ?)').get(...this.codeHashes(digits)) as
        | { assignment_id: number; used_at: string | null; expires_at: string }
        | undefined;
      if (!row) return wrong();
      const a = this.assignment(row.assignment_id)!;
      const patron = this.patronBarcode(a.patron_id);
      if (opts.patron !== undefined && this.patronRow(opts.patron)?.id !== a.patron_id) return fail('code_other_patron', fallback);
      const lang = asNoticeLanguage(opts.language, this.patronLanguage(a.patron_id) ?? fallback);
      if (row.used_at || a.state === 'collecting' || a.state === 'collected') return fail('code_used', lang, a.compartment);
      if (this.isExpired(a)) return fail('hold_expired', lang, a.compartment);
      if (a.state !== 'ready') return fail('nothing_ready', lang, a.compartment);
      const out = await this.collect(patron, [a], opts.idempotencyKey, lang);
      if (out.ok) this.store(opts.idempotencyKey, out);
      await durable(this.o.db);
      return out;
    });
  }

  /** Kiosk, for a patron already identified by card + PIN in the kiosk session. */
  pickupForPatron(patronBarcode: string, opts: { idempotencyKey: string; language?: string }): Promise<PickupOutcome> {
    return this.exclusive(async () => {
      const prior = this.storedOutcome(opts.idempotencyKey);
      if (prior) return prior;
      const fallback = asNoticeLanguage(opts.language, asNoticeLanguage(this.o.site.language, 'en'));
      const p = this.patronRow(patronBarcode);
      if (!p) return { ok: false, code: 'nothing_ready', message: pickupFailureText('nothing_ready', fallback) };
      const lang = asNoticeLanguage(opts.language, asNoticeLanguage(p.language, fallback));
      const open = this.q(`SELECT * FROM locker_assignments WHERE patron_id = ? AND closed_at IS NULL ORDER BY id`).all(p.id) as AssignmentRow[];
      const ready = open.filter((a) => a.state === 'ready' && !this.isExpired(a) && this.banks.has(a.bank));
      if (!ready.length) {
        const expired = open.some((a) => (a.state === 'ready' && this.isExpired(a)) || a.state === 'to_empty');
        const c: PickupFailure = expired ? 'hold_expired' : 'nothing_ready';
        return { ok: false, code: c, message: pickupFailureText(c, lang) };
      }
      const out = await this.collect(p.barcode, ready, opts.idempotencyKey, lang);
      if (out.ok) this.store(opts.idempotencyKey, out);
      await durable(this.o.db);
      return out;
    });
  }

  /** What is waiting for this patron (for the kiosk's menu: show "Collect from locker" only when > 0). */
  readyFor(patronBarcode: string): Array<{ bank: string; number: string; items: number; expiresAt: string }> {
    const p = this.patronRow(patronBarcode);
    if (!p) return [];
    const rows = this.q(`SELECT * FROM locker_assignments WHERE patron_id = ? AND state = 'ready' AND closed_at IS NULL ORDER BY id`).all(p.id) as AssignmentRow[];
    return rows
      .filter((a) => !this.isExpired(a) && this.banks.has(a.bank))
      .map((a) => ({ bank: a.bank, number: a.compartment, items: this.openItems(a.id).length, expiresAt: a.expires_at! }));
  }

  /**
   * Opens the compartments and records the loans. The loan rules are asked first (a dry run), so a
   * door opens only when the loans can be recorded; a door that does not open lends nothing.
   */
  private async collect(patron: string, assignments: AssignmentRow[], key: string, lang: NoticeLanguage): Promise<PickupOutcome> {
    const work: Array<{ a: AssignmentRow; bank: LockerBankConfig; items: AssignmentItemRow[] }> = [];
    for (const a of assignments) {
      const items = this.liveItems(a);
      if (items.length) work.push({ a, bank: this.banks.get(a.bank)!, items });
    }
    if (!work.length) return { ok: false, code: 'nothing_ready', message: pickupFailureText('nothing_ready', lang) };
    for (const w of work) {
      const c = this.o.controller(w.bank);
      if (!c || c.status().state === 'offline') {
        return { ok: false, code: 'locker_offline', message: pickupFailureText('locker_offline', lang), compartment: w.a.compartment };
      }
    }
    const language = lang as KioskLanguage;
    const barcodes = work.flatMap((w) => w.items.map((i) => i.barcode));
    const check = await this.o.engine.lockerCheckout({ patron, items: barcodes }, { channel: 'self', language }, { dryRun: true });
    if (!check.ok) return { ok: false, code: 'patron_refused', message: `${check.screenMessage} ${pickupFailureText('patron_refused', lang)}` };
    const refused = check.results.find((r) => !r.ok);
    if (refused && !refused.ok) {
      return { ok: false, code: 'patron_refused', message: `${refused.refusal.screenMessage} ${pickupFailureText('patron_refused', lang)}` };
    }

    const opened: typeof work = [];
    const failed: Array<(typeof work)[number] & { message: string }> = [];
    for (const w of work) {
      this.setState(w.a.id, 'collecting');
      const r = await this.unlock(w.bank, w.a.compartment, 'pickup');
      if (r.ok) opened.push(w);
      else {
        this.setState(w.a.id, 'ready');
        failed.push({ ...w, message: r.message });
      }
    }
    if (!opened.length) {
      return { ok: false, code: 'door_failed', message: pickupFailureText('door_failed', lang), compartment: failed[0]?.a.compartment };
    }
    // The door is open: now the loans (one engine transaction, idempotent on the kiosk's key).
    const lent = await this.o.engine.lockerCheckout(
      { patron, items: opened.flatMap((w) => w.items.map((i) => i.barcode)) },
      { channel: 'self', language, idempotencyKey: `locker-pickup:${key}` },
    );
    const now = this.nowIso();
    const compartments: PickupCompartment[] = [];
    this.o.db.transaction(() => {
      for (const w of opened) {
        const items: PickupItem[] = w.items.map((i) => {
          const r = lent.ok ? lent.results.find((x) => x.item === i.barcode) : undefined;
          if (r?.ok) return { barcode: i.barcode, title: r.loan.title, dueDate: r.loan.dueDate, ok: true };
          const refusal = r && !r.ok ? r.refusal : lent.ok ? undefined : lent;
          return { barcode: i.barcode, title: i.title, dueDate: null, ok: false, reason: refusal?.reason ?? 'internal_error', message: refusal?.screenMessage ?? '' };
        });
        for (const it of items) {
          const row = w.items.find((i) => i.barcode === it.barcode)!;
          this.q('UPDATE locker_assignment_items SET outcome = ? WHERE assignment_id = ? AND hold_id = ?').run(it.ok ? 'collected' : 'not_lent', w.a.id, row.hold_id);
        }
        this.q(`UPDATE locker_assignments SET state = 'collected', collected_at = ? WHERE id = ?`).run(now, w.a.id);
        this.q('UPDATE locker_pickup_codes SET used_at = ? WHERE assignment_id = ? AND used_at IS NULL').run(now, w.a.id);
        compartments.push({ bank: w.bank.id, bankName: w.bank.name, number: w.a.compartment, opened: true, items });
        const notLent = items.filter((i) => !i.ok);
        if (notLent.length) {
          // The patron has the copies in hand, but the loans were not recorded: staff must see to it.
          this.alert({
            kind: 'door_failed',
            bank: w.bank.id,
            compartment: w.a.compartment,
            message: `Compartment ${w.a.compartment} was opened for a pickup, but ${notLent.map((i) => i.barcode).join(', ')} could not be lent: check the loans`,
          });
        }
      }
      for (const f of failed) {
        compartments.push({
          bank: f.bank.id,
          bankName: f.bank.name,
          number: f.a.compartment,
          opened: false,
          items: f.items.map((i) => ({ barcode: i.barcode, title: i.title, dueDate: null, ok: false, reason: 'door_failed', message: pickupFailureText('door_failed', lang) })),
        });
      }
    })();
    for (const w of opened) this.changed(w.bank.id, w.a.compartment);
    return { ok: true, patron, compartments };
  }

  // ------------------------------------------------------------------ staff: processing and loading

  /**
   * "Zaključi obdelavo" for a copy reserved for a locker pickup place (001:L4247, L4410-4421): the
   * reservation gets a compartment, joining the patron's compartment that has not been opened yet.
   */
  finishProcessing(
    itemBarcode: string,
  ): Promise<StaffOutcome<{ bank: string; compartment: string; joined: boolean; already: boolean; assignment: AssignmentView }>> {
    return this.exclusive(async () => {
      const found = this.o.engine.lockerHoldForItem(itemBarcode.trim());
      if (!found.ok) return { ok: false, code: found.reason, message: found.screenMessage };
      const hold = found.hold;
      const bank = [...this.banks.values()].find((b) => b.pickupPlace === hold.pickupPlace);
      if (!bank) {
        return { ok: false, code: 'not_locker_hold', message: `The reservation of ${itemBarcode} is not for a locker pickup place (pickup place: ${hold.pickupPlace ?? 'none'})` };
      }
      if (bank.driver !== 'ours') {
        return { ok: false, code: 'vendor_bank', message: `${bank.name} is run by the locker vendor's own system: load it there (docs/locker-vendor.md)` };
      }
      const existing = this.q(
        `SELECT a.* FROM locker_assignment_items i JOIN locker_assignments a ON a.id = i.assignment_id
         WHERE i.hold_id = ? AND i.outcome IS NULL AND a.closed_at IS NULL`,
      ).get(hold.id) as AssignmentRow | undefined;
      if (existing) {
        return { ok: true, bank: existing.bank, compartment: existing.compartment, joined: false, already: true, assignment: this.assignmentView(existing) };
      }
      if (hold.status !== 'O') {
        return { ok: false, code: 'not_in_processing', message: `The reservation of ${itemBarcode} is ${hold.status}, not being processed (O)` };
      }
      if (!hold.patron.mobile) {
        // Placing the hold already refuses this (locker_needs_mobile); a number removed since is caught here.
        return { ok: false, code: 'locker_needs_mobile', message: 'The patron has no mobile number: a locker pickup is not possible (001:L2073-2076)' };
      }
      const need = this.sizeFor(hold.item!.materialType);
      const now = this.nowIso();
      const result = this.o.db.transaction(() => {
        // Join the patron's compartment that is reserved and not yet opened, if the copy fits in it.
        const candidates = this.q(
          `SELECT a.*, c.size FROM locker_assignments a JOIN locker_compartments c ON c.bank = a.bank AND c.number = a.compartment
           WHERE a.bank = ? AND a.patron_id = ? AND a.state = 'reserved' AND a.closed_at IS NULL ORDER BY a.id`,
        ).all(bank.id, hold.patron.id) as Array<AssignmentRow & { size: CompartmentSize }>;
        const join = candidates.find((c) => sizeRank(c.size) >= sizeRank(need));
        let a: AssignmentRow;
        if (join) a = join;
        else {
          const free = this.freeCompartments(bank.id).filter((c) => sizeRank(c.size) >= sizeRank(need));
          // The smallest compartment that fits keeps the big ones for big items.
          free.sort((x, y) => sizeRank(x.size) - sizeRank(y.size) || x.number.localeCompare(y.number, 'en', { numeric: true }));
          const c = free[0];
          if (!c) return null;
          const id = Number(
            this.q(`INSERT INTO locker_assignments (bank, compartment, patron_id, state, created_at) VALUES (?, ?, ?, 'reserved', ?)`).run(
              bank.id,
              c.number,
              hold.patron.id,
              now,
            ).lastInsertRowid,
          );
          a = this.assignment(id)!;
        }
        this.q('INSERT INTO locker_assignment_items (assignment_id, hold_id, item_id, added_at) VALUES (?, ?, ?, ?)').run(a.id, hold.id, hold.item!.id, now);
        return { a, joined: !!join };
      })();
      if (!result) {
        const message = `No free ${need} (or larger) compartment in ${bank.name} for ${itemBarcode}: the reservation stays in processing; try again later or agree another pickup place with the patron`;
        this.alert({ kind: 'no_free_compartment', bank: bank.id, message });
        return { ok: false, code: 'no_free_compartment', message };
      }
      await durable(this.o.db);
      this.changed(bank.id, result.a.compartment);
      return {
        ok: true,
        bank: bank.id,
        compartment: result.a.compartment,
        joined: result.joined,
        already: false,
        assignment: this.assignmentView(this.assignment(result.a.id)!),
      };
    });
  }

  /** Staff loading: opens the door of a reserved compartment; closing it makes the copies W (see onDoorClosed). */
  load(bankId: string, number: string): Promise<StaffOutcome<{ assignment: AssignmentView }>> {
    return this.exclusive(async () => {
      const bank = this.ourBank(bankId);
      if ('error' in bank) return bank.error;
      const a = this.openAssignment(bankId, number);
      if (!a || (a.state !== 'reserved' && a.state !== 'loading')) {
        return { ok: false, code: 'nothing_to_load', message: `Compartment ${number} of ${bank.b.name} has no reservation waiting to be loaded` };
      }
      const r = await this.unlock(bank.b, number, 'load');
      if (!r.ok) return { ok: false, code: r.code, message: r.message };
      // From now on further reservations of this patron take a new compartment (001:L4419).
      this.q(`UPDATE locker_assignments SET state = 'loading', opened_at = COALESCE(opened_at, ?) WHERE id = ?`).run(this.nowIso(), a.id);
      await durable(this.o.db);
      this.changed(bankId, number);
      return { ok: true, assignment: this.assignmentView(this.assignment(a.id)!) };
    });
  }

  /**
   * Staff check a door (after a fault, or after repairing it): it opens, and a door that opens is no
   * longer faulty. Nothing else changes: a waiting reservation stays waiting with its code (staff
   * close the door again), an empty compartment is free again once it is shut.
   */
  checkDoor(bankId: string, number: string): Promise<StaffOutcome<{ compartment: CompartmentView }>> {
    return this.exclusive(async () => {
      const bank = this.ourBank(bankId);
      if ('error' in bank) return bank.error;
      const comp = this.compartment(bankId, number);
      if (!comp || comp.retired) return { ok: false, code: 'unknown_compartment', message: `${bank.b.name} has no compartment ${number}` };
      if (this.openDoors.has(`${bankId}/${number}`)) {
        return { ok: false, code: 'door_open', message: `Compartment ${number} of ${bank.b.name} is open: close it first` };
      }
      const a = this.openAssignment(bankId, number);
      if (a?.state === 'collecting') {
        return { ok: false, code: 'compartment_in_use', message: `Compartment ${number} of ${bank.b.name} is being opened for a pickup` };
      }
      const r = await this.unlock(bank.b, number, 'check');
      if (!r.ok) return { ok: false, code: r.code, message: r.message };
      await durable(this.o.db);
      this.changed(bankId, number);
      return { ok: true, compartment: this.listBanks().find((b) => b.id === bankId)!.compartments.find((c) => c.number === number)! };
    });
  }

  /** Staff emptying a compartment (expired reservations, a deposit, a fault): opens it and frees it. */
  empty(bankId: string, number: string): Promise<StaffOutcome<{ emptied: { assignment: AssignmentView | null; deposit: DepositView | null } }>> {
    return this.exclusive(async () => {
      const bank = this.ourBank(bankId);
      if ('error' in bank) return bank.error;
      const comp = this.compartment(bankId, number);
      if (!comp || comp.retired) return { ok: false, code: 'unknown_compartment', message: `${bank.b.name} has no compartment ${number}` };
      const a = this.openAssignment(bankId, number);
      const d = this.q(`SELECT * FROM locker_deposits WHERE bank = ? AND compartment = ? AND state IN ('open','deposited')`).get(bankId, number) as DepositRow | undefined;
      if (a && a.state !== 'to_empty' && a.state !== 'cancelled') {
        return {
          ok: false,
          code: 'compartment_in_use',
          message: comp.fault
            ? `Compartment ${number} holds a reservation that is ${a.state}, and its door failed (${comp.fault}): check the door (POST /api/lockers/banks/${bankId}/compartments/${number}/check); it is emptied once the reservation has expired or been cancelled`
            : `Compartment ${number} holds a reservation that is ${a.state}; it is emptied once it has expired or been cancelled (or use "expire now")`,
        };
      }
      if (!a && !d && !comp.fault) return { ok: false, code: 'nothing_to_empty', message: `Compartment ${number} of ${bank.b.name} is empty` };
      const r = await this.unlock(bank.b, number, 'empty');
      if (!r.ok) return { ok: false, code: r.code, message: r.message };
      const now = this.nowIso();
      this.o.db.transaction(() => {
        if (a) this.q(`UPDATE locker_assignments SET state = 'emptied', closed_at = ?, close_reason = 'emptied' WHERE id = ?`).run(now, a.id);
        if (d) this.q(`UPDATE locker_deposits SET state = 'emptied', emptied_at = ? WHERE id = ?`).run(now, d.id);
        this.q('UPDATE locker_compartments SET fault = NULL, fault_at = NULL WHERE bank = ? AND number = ?').run(bankId, number);
      })();
      await durable(this.o.db);
      this.changed(bankId, number);
      return {
        ok: true,
        emptied: { assignment: a ? this.assignmentView(this.assignment(a.id)!) : null, deposit: d ? this.depositView(this.depositRow(d.id)!) : null },
      };
    });
  }

  /**
   * The expiry job (also a staff command): the engine expires this bank's reservations that ran out
   * (unclaimed-hold fee where the preset charges one; the copy to the next patron as O, or the
   * shelf); compartments whose copies all left the reservation go on the list to empty.
   */
  expireNow(): Promise<StaffOutcome<{ expired: Array<{ bank: string; holdId: number; patron: string; item: string | null; title: string; next: string | null; fee: number }>; toEmpty: string[] }>> {
    return this.exclusive(async () => {
      const expired: Array<{ bank: string; holdId: number; patron: string; item: string | null; title: string; next: string | null; fee: number }> = [];
      for (const bank of this.ourBanks()) {
        const r = await this.o.engine.expirePickupPlaceHolds(bank.pickupPlace, { channel: 'staff' });
        if (!r.ok) return { ok: false, code: r.reason, message: r.screenMessage };
        for (const e of r.expired) expired.push({ bank: bank.id, ...e });
      }
      const toEmpty = this.reconcileAssignments();
      await durable(this.o.db);
      if (expired.length) this.log.info({ expired: expired.length, toEmpty }, 'locker reservations expired');
      return { ok: true, expired, toEmpty };
    });
  }

  /**
   * Open compartments whose reservations were closed (expired here or by the library-wide job,
   * cancelled, lent at the desk): the copies leave the compartment's list; a loaded compartment
   * left with none goes on the list to empty; a reserved one not yet loaded is freed.
   */
  private reconcileAssignments(): string[] {
    const toEmpty: string[] = [];
    const open = this.q(`SELECT * FROM locker_assignments WHERE closed_at IS NULL AND state IN ('reserved','loading','ready')`).all() as AssignmentRow[];
    const now = this.nowIso();
    for (const a of open) {
      const items = this.openItems(a.id);
      for (const i of items) {
        const h = this.o.engine.lockerHoldById(i.hold_id);
        if (h && !h.closedAt) continue;
        this.q('UPDATE locker_assignment_items SET outcome = ? WHERE assignment_id = ? AND hold_id = ?').run(closedOutcome(h), a.id, i.hold_id);
      }
      if (this.openItems(a.id).length) continue;
      if (a.state === 'reserved') {
        // Never loaded: the copies are still with staff, the compartment is free again.
        this.q(`UPDATE locker_assignments SET state = 'cancelled', closed_at = ?, close_reason = 'holds_closed' WHERE id = ?`).run(now, a.id);
        this.changed(a.bank, a.compartment);
        continue;
      }
      this.q(`UPDATE locker_assignments SET state = 'to_empty' WHERE id = ?`).run(a.id);
      this.q('UPDATE locker_pickup_codes SET expires_at = ? WHERE assignment_id = ? AND used_at IS NULL').run(now, a.id);
      toEmpty.push(`${a.bank}/${a.compartment}`);
      const reason = this.toEmptyReason(a.id);
      const where = `Compartment ${a.compartment} of ${this.bankName(a.bank)}`;
      this.alert({
        kind: reason === 'expired' ? 'expired_to_empty' : 'released_to_empty',
        bank: a.bank,
        compartment: a.compartment,
        message:
          reason === 'expired'
            ? `${where} was not collected in time: empty it and process the items`
            : reason === 'cancelled'
              ? `${where} holds reservations that were cancelled: empty it and process the items`
              : `${where} holds copies that were lent elsewhere: empty it and check what is in it`,
      });
      this.changed(a.bank, a.compartment);
    }
    return toEmpty;
  }

  // ------------------------------------------------------------------ returns into a compartment (§8.4)

  /**
   * A patron returns items into a compartment: a free one opens, and closing it records a deposit,
   * not a check-in (domain.md §8.4: fines keep running until staff check the items in).
   * Preconditions as in COBISS+: at least one item on loan and a mobile number.
   */
  startDeposit(patronBarcode: string, opts: { bank?: string; items?: string[] } = {}): Promise<StaffOutcome<{ deposit: DepositView }>> {
    return this.exclusive(async () => {
      const p = this.patronRow(patronBarcode);
      if (!p) return { ok: false, code: 'unknown_patron', message: `No patron with card ${patronBarcode}` };
      if (!p.mobile) return { ok: false, code: 'locker_needs_mobile', message: 'A return into a locker needs a mobile number on the account (001:L2534-2541)' };
      const loans = (this.q(`SELECT COUNT(*) AS n FROM loans WHERE patron_id = ? AND closed_at IS NULL AND status IN ('C','S')`).get(p.id) as { n: number }).n;
      if (!loans) return { ok: false, code: 'nothing_on_loan', message: 'The patron has nothing on loan to return' };
      const banks = opts.bank ? [this.banks.get(opts.bank)].filter((b): b is LockerBankConfig => !!b && b.driver === 'ours') : this.ourBanks();
      if (!banks.length) return { ok: false, code: 'unknown_bank', message: `No locker bank ${opts.bank ?? ''} driven by us` };
      const items = opts.items?.map((s) => s.trim()).filter(Boolean) ?? null;
      let need: CompartmentSize = this.o.config.itemSizes.default;
      for (const b of items ?? []) {
        const t = this.q('SELECT material_type FROM items WHERE barcode = ?').get(b) as { material_type: string } | undefined;
        if (!t) return { ok: false, code: 'unknown_item', message: `No item with barcode ${b}` };
        const s = this.sizeFor(t.material_type);
        if (sizeRank(s) > sizeRank(need)) need = s;
      }
      for (const bank of banks) {
        const free = this.freeCompartments(bank.id)
          .filter((c) => sizeRank(c.size) >= sizeRank(need))
          .sort((x, y) => sizeRank(x.size) - sizeRank(y.size) || x.number.localeCompare(y.number, 'en', { numeric: true }));
        const c = free[0];
        if (!c) continue;
        const id = Number(
          this.q(`INSERT INTO locker_deposits (bank, compartment, patron_id, state, items, opened_at) VALUES (?, ?, ?, 'open', ?, ?)`).run(
            bank.id,
            c.number,
            p.id,
            items ? JSON.stringify(items) : null,
            this.nowIso(),
          ).lastInsertRowid,
        );
        const r = await this.unlock(bank, c.number, 'deposit');
        if (!r.ok) {
          this.q(`UPDATE locker_deposits SET state = 'cancelled', closed_at = ?, close_reason = 'door_failed' WHERE id = ?`).run(this.nowIso(), id);
          await durable(this.o.db);
          return { ok: false, code: r.code, message: r.message };
        }
        await durable(this.o.db);
        this.changed(bank.id, c.number);
        return { ok: true, deposit: this.depositView(this.depositRow(id)!) };
      }
      this.alert({ kind: 'no_free_compartment', bank: banks[0]!.id, message: `No free ${need} compartment for a return by a patron` });
      return { ok: false, code: 'no_free_compartment', message: `No free ${need} (or larger) compartment for the return` };
    });
  }

  /**
   * A deposit closes when staff have emptied its compartment and checked its items in (a normal
   * check-in, not ours). Until staff empty it, it stays, whatever happens to the items' loans: the
   * books are still inside, so the compartment is not free (domain.md §8.4). A listed item counts as
   * checked in when it is on loan to nobody, or was checked in after the deposit (and lent again).
   */
  private closeCheckedInDeposits(): void {
    const rows = this.q(`SELECT * FROM locker_deposits WHERE state = 'emptied'`).all() as DepositRow[];
    const now = this.nowIso();
    for (const d of rows) {
      const since = d.deposited_at ?? d.opened_at;
      let done: boolean;
      if (d.items) {
        const items = JSON.parse(d.items) as string[];
        done = items.every((b) => {
          const item = this.q('SELECT id FROM items WHERE barcode = ?').get(b) as { id: number } | undefined;
          if (!item) return true;
          const onLoan = this.q(`SELECT 1 FROM loans WHERE item_id = ? AND closed_at IS NULL AND status IN ('C','S')`).get(item.id);
          return !onLoan || !!this.q(`SELECT 1 FROM journal WHERE kind = 'checkin' AND item_id = ? AND at >= ? LIMIT 1`).get(item.id, since);
        });
      } else {
        // Items not known: the first check-in for the depositor after the deposit is staff emptying it.
        done = !!this.q(`SELECT 1 FROM journal WHERE kind = 'checkin' AND patron_id = ? AND at >= ? LIMIT 1`).get(d.patron_id, since);
      }
      if (done) {
        this.q(`UPDATE locker_deposits SET state = 'closed', closed_at = ?, close_reason = 'checked_in' WHERE id = ?`).run(now, d.id);
        this.changed(d.bank, d.compartment);
      }
    }
  }

  // ------------------------------------------------------------------ staff views

  listBanks(): BankView[] {
    return [...this.banks.values()].map((b) => {
      const c = b.driver === 'ours' ? this.o.controller(b) : null;
      const comps = this.q('SELECT * FROM locker_compartments WHERE bank = ? AND retired = 0').all(b.id) as CompartmentRow[];
      comps.sort((x, y) => x.number.localeCompare(y.number, 'en', { numeric: true }));
      return {
        id: b.id,
        name: b.name,
        pickupPlace: b.pickupPlace,
        driver: b.driver,
        device: b.device ?? null,
        deviceState: b.driver === 'vendor' ? 'vendor' : (c?.status().state ?? 'missing'),
        holdHours: this.holdHours(b),
        compartments: comps.map((row) => {
          const a = this.openAssignment(b.id, row.number);
          const d = this.q(`SELECT * FROM locker_deposits WHERE bank = ? AND compartment = ? AND state IN ('open','deposited')`).get(b.id, row.number) as DepositRow | undefined;
          // A failed door does not hide what is in the compartment: the fault is its own field.
          const state = a ? a.state : d ? (d.state === 'open' ? 'deposit_open' : 'deposited') : row.fault ? 'fault' : 'free';
          return {
            number: row.number,
            size: row.size,
            board: row.board,
            lock: row.lock,
            state,
            fault: row.fault,
            doorOpen: this.openDoors.has(`${b.id}/${row.number}`),
            assignment: a ? this.assignmentView(a) : null,
            deposit: d ? this.depositView(d) : null,
          };
        }),
      };
    });
  }

  assignments(opts: { open?: boolean } = {}): AssignmentView[] {
    const rows = (
      opts.open === false
        ? this.q('SELECT * FROM locker_assignments ORDER BY id DESC LIMIT 500').all()
        : this.q('SELECT * FROM locker_assignments WHERE closed_at IS NULL ORDER BY id').all()
    ) as AssignmentRow[];
    return rows.map((a) => this.assignmentView(a));
  }

  /**
   * The staff list of compartments to empty, one row per compartment: loaded compartments whose
   * reservations ran out (expired) or were closed (cancelled, lent elsewhere), deposits waiting in a
   * compartment, and doors that failed to open (fault). A row says whose items are inside and, when
   * its door last failed, the fault. A faulty compartment that still holds a waiting reservation is
   * listed with it (reason fault): staff check the door (POST …/check) rather than empty it.
   */
  toEmpty(): ToEmptyRow[] {
    const out = new Map<string, ToEmptyRow>();
    const faults = new Map(
      (this.q('SELECT * FROM locker_compartments WHERE fault IS NOT NULL AND retired = 0').all() as CompartmentRow[]).map((c) => [`${c.bank}/${c.number}`, c.fault]),
    );
    const itemsOf = (id: number, open: boolean): string[] =>
      (
        this.q(
          `SELECT i.barcode FROM locker_assignment_items x JOIN items i ON i.id = x.item_id WHERE x.assignment_id = ? ${open ? 'AND x.outcome IS NULL' : ''} ORDER BY x.added_at, x.hold_id`,
        ).all(id) as Array<{ barcode: string }>
      ).map((i) => i.barcode);
    for (const a of this.q(`SELECT * FROM locker_assignments WHERE state = 'to_empty' AND closed_at IS NULL ORDER BY id`).all() as AssignmentRow[]) {
      const key = `${a.bank}/${a.compartment}`;
      out.set(key, { bank: a.bank, compartment: a.compartment, reason: this.toEmptyReason(a.id), patron: this.patronBarcode(a.patron_id), items: itemsOf(a.id, false), fault: faults.get(key) ?? null });
    }
    for (const d of this.q(`SELECT * FROM locker_deposits WHERE state = 'deposited' ORDER BY id`).all() as DepositRow[]) {
      const key = `${d.bank}/${d.compartment}`;
      if (out.has(key)) continue;
      out.set(key, { bank: d.bank, compartment: d.compartment, reason: 'deposit', patron: this.patronBarcode(d.patron_id), items: d.items ? (JSON.parse(d.items) as string[]) : [], fault: faults.get(key) ?? null });
    }
    for (const [key, fault] of faults) {
      if (out.has(key)) continue;
      const [bank, compartment] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
      const a = this.openAssignment(bank, compartment);
      const d = a ? undefined : (this.q(`SELECT * FROM locker_deposits WHERE bank = ? AND compartment = ? AND state IN ('open','deposited')`).get(bank, compartment) as DepositRow | undefined);
      out.set(key, {
        bank,
        compartment,
        reason: 'fault',
        patron: a ? this.patronBarcode(a.patron_id) : d ? this.patronBarcode(d.patron_id) : null,
        items: a ? itemsOf(a.id, true) : d?.items ? (JSON.parse(d.items) as string[]) : [],
        fault,
      });
    }
    return [...out.values()].sort((x, y) => x.bank.localeCompare(y.bank) || x.compartment.localeCompare(y.compartment, 'en', { numeric: true }));
  }

  deposits(opts: { open?: boolean } = {}): DepositView[] {
    this.closeCheckedInDeposits();
    const rows = (
      opts.open
        ? this.q(`SELECT * FROM locker_deposits WHERE state IN ('open','deposited','emptied') ORDER BY id`).all()
        : this.q('SELECT * FROM locker_deposits ORDER BY id DESC LIMIT 500').all()
    ) as DepositRow[];
    return rows.map((d) => this.depositView(d));
  }

  /** The SMS sender in use (the demo's LogSmsSender keeps the last messages for the simulator panel and tests). */
  get smsSender(): SmsSender {
    return this.o.sms;
  }

  alerts(): Array<LockerAlert & { at: string }> {
    return [...this.recentAlerts];
  }

  // ------------------------------------------------------------------ doors

  private async unlock(
    bank: LockerBankConfig,
    number: string,
    purpose: OpenDoor['purpose'],
  ): Promise<{ ok: true } | { ok: false; code: 'door_failed' | 'locker_offline' | 'unknown_compartment'; message: string }> {
    const comp = this.compartment(bank.id, number);
    if (!comp || comp.retired) return { ok: false, code: 'unknown_compartment', message: `${bank.name} has no compartment ${number}` };
    const c = this.o.controller(bank);
    if (!c) return { ok: false, code: 'locker_offline', message: `${bank.name} has no door controller (${bank.device ?? 'no device'})` };
    const door: DoorAddress = { board: comp.board, lock: comp.lock };
    const key = `${bank.id}/${number}`;
    // Registered before the command: the driver may report the opening before unlock() resolves.
    const before = this.openDoors.get(key);
    this.openDoors.set(key, { bank: bank.id, number, sinceMs: this.o.clock.now().getTime(), purpose, alerted: false });
    let r: Awaited<ReturnType<LockerController['unlock']>>;
    try {
      r = await c.unlock(door);
    } catch (e) {
      r = { ok: false, code: 'disconnected', message: (e as Error).message };
    }
    if (r.ok) {
      // The door works: a fault recorded earlier is over.
      if (comp.fault) this.q('UPDATE locker_compartments SET fault = NULL, fault_at = NULL WHERE bank = ? AND number = ?').run(bank.id, number);
      return { ok: true };
    }
    if (before) this.openDoors.set(key, before);
    else this.openDoors.delete(key);
    const message = `Compartment ${number} of ${bank.name} did not open (${r.code}: ${r.message})`;
    this.q('UPDATE locker_compartments SET fault = ?, fault_at = ? WHERE bank = ? AND number = ?').run(r.code, this.nowIso(), bank.id, number);
    this.alert({ kind: 'door_failed', bank: bank.id, compartment: number, message });
    this.changed(bank.id, number);
    return { ok: false, code: r.code === 'disconnected' ? 'locker_offline' : 'door_failed', message };
  }

  /**
   * The bank's boards all answer again (the controller is ready): a door that failed only because
   * its board or the bus did not answer (no_answer, bad_reply, disconnected) is not faulty. A door
   * that jammed while its board answered stays faulty until it opens again (a pickup, loading,
   * emptying, or staff checking it: POST …/check).
   */
  private clearBoardFaults(bank: LockerBankConfig, recordedBefore?: string): void {
    if (this.closed) return;
    const before = recordedBefore ?? '9999';
    const rows = this.q(
      `SELECT * FROM locker_compartments WHERE bank = ? AND retired = 0 AND fault IN ('no_answer','bad_reply','disconnected') AND fault_at < ?`,
    ).all(bank.id, before) as CompartmentRow[];
    if (!rows.length) return;
    const clear = this.q('UPDATE locker_compartments SET fault = NULL, fault_at = NULL WHERE bank = ? AND number = ?');
    for (const r of rows) clear.run(bank.id, r.number);
    this.log.info({ bank: bank.id, compartments: rows.map((r) => r.number) }, 'locker board answers again: door faults cleared');
    for (const r of rows) this.changed(bank.id, r.number);
  }

  private onDoorOpened(bank: LockerBankConfig, e: { board: number; lock: number; forced: boolean }): void {
    const comp = this.compartmentAt(bank.id, e.board, e.lock);
    if (!comp) return;
    const key = `${bank.id}/${comp.number}`;
    if (this.openDoors.has(key)) return; // our own unlock
    this.openDoors.set(key, { bank: bank.id, number: comp.number, sinceMs: this.o.clock.now().getTime(), purpose: e.forced ? 'forced' : 'unknown', alerted: false });
    if (e.forced) {
      this.alert({ kind: 'forced', bank: bank.id, compartment: comp.number, message: `Compartment ${comp.number} of ${bank.name} was opened without an unlock (forced)` });
    }
    this.changed(bank.id, comp.number);
  }

  private async onDoorClosed(bank: LockerBankConfig, e: { board: number; lock: number }): Promise<void> {
    const comp = this.compartmentAt(bank.id, e.board, e.lock);
    if (!comp) return;
    const key = `${bank.id}/${comp.number}`;
    const door = this.openDoors.get(key);
    this.openDoors.delete(key);
    const a = this.openAssignment(bank.id, comp.number);
    const now = this.nowIso();
    if (a?.state === 'loading' && door?.purpose !== 'forced') await this.loaded(bank, a);
    else if (a?.state === 'collected') {
      this.q(`UPDATE locker_assignments SET closed_at = ?, close_reason = 'collected' WHERE id = ?`).run(now, a.id);
    }
    const d = this.q(`SELECT * FROM locker_deposits WHERE bank = ? AND compartment = ? AND state = 'open'`).get(bank.id, comp.number) as DepositRow | undefined;
    if (d) this.q(`UPDATE locker_deposits SET state = 'deposited', deposited_at = ? WHERE id = ?`).run(now, d.id);
    await durable(this.o.db);
    this.changed(bank.id, comp.number);
  }

  /** The loaded door closed: O → W with the bank's expiry, a pickup code, the notice (001:L4417). */
  private async loaded(bank: LockerBankConfig, a: AssignmentRow): Promise<void> {
    const items = this.liveItems(a, ['O', 'W']);
    if (!items.length) {
      this.q(`UPDATE locker_assignments SET state = 'cancelled', closed_at = ?, close_reason = 'holds_closed' WHERE id = ?`).run(this.nowIso(), a.id);
      return;
    }
    const now = this.o.clock.now();
    const expiresAt = new Date(now.getTime() + this.holdHours(bank) * 3_600_000);
    const r = await this.o.engine.lockerHoldsLoaded(
      items.map((i) => i.hold_id),
      expiresAt,
      { channel: 'staff' },
    );
    if (!r.ok) {
      this.log.error({ bank: bank.id, compartment: a.compartment, reason: r.reason }, 'locker loaded, but the reservations could not be made ready');
      return;
    }
    let code = '';
    this.o.db.transaction(() => {
      for (let attempt = 0; ; attempt++) {
        code = newPickupCode(this.random);
        const taken = this.q('SELECT 1 FROM locker_pickup_codes WHERE code_hash IN (?, ?)').get(...this.codeHashes(code));
        if (!taken) break;
        if (attempt > 20) throw new Error('no unused pickup code found');
      }
      this.q('INSERT INTO locker_pickup_codes (code_hash, assignment_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(
        hashPickupCode(code, this.codeKey),
        a.id,
        now.toISOString(),
        expiresAt.toISOString(),
      );
      this.q(`UPDATE locker_assignments SET state = 'ready', loaded_at = ?, expires_at = ? WHERE id = ?`).run(now.toISOString(), expiresAt.toISOString(), a.id);
    })();
    await durable(this.o.db);
    await this.notify(bank, a, items, expiresAt, code);
  }

  private async notify(bank: LockerBankConfig, a: AssignmentRow, items: AssignmentItemRow[], expiresAt: Date, code: string): Promise<void> {
    const hold = this.o.engine.lockerHoldById(items[0]!.hold_id)!;
    const place = this.q('SELECT name FROM pickup_places WHERE code = ?').get(bank.pickupPlace) as { name: string } | undefined;
    const facts = {
      language: asNoticeLanguage(hold.patron.language, 'en'),
      firstName: hold.patron.firstName,
      titles: items.map((i) => i.title),
      bankName: bank.name,
      location: place?.name ?? bank.pickupPlace,
      compartment: a.compartment,
      expiresAt,
      code,
      libraryName: this.o.site.name,
      timezone: this.o.site.timezone,
    };
    const sent: string[] = [];
    if (hold.patron.mobile) {
      try {
        await this.o.sms.send(hold.patron.mobile, smsText(facts));
        sent.push(`sms ${maskPhone(hold.patron.mobile)}`);
      } catch (e) {
        this.log.error({ err: e, bank: bank.id, compartment: a.compartment }, 'locker notice: SMS failed');
      }
    }
    if (hold.patron.email && this.o.mailer) {
      try {
        await this.o.mailer.send(await buildNoticeMail(facts, hold.patron.email));
        sent.push('e-mail');
      } catch (e) {
        this.log.error({ err: e, bank: bank.id, compartment: a.compartment }, 'locker notice: e-mail failed');
      }
    }
    this.log.info({ bank: bank.id, compartment: a.compartment, items: items.length, sent }, 'locker loaded, patron notified');
  }

  // ------------------------------------------------------------------ helpers

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private q(sql: string) {
    return this.o.db.prepare(sql);
  }

  private nowIso(): string {
    return this.o.clock.now().toISOString();
  }

  private alert(a: LockerAlert): void {
    this.recentAlerts.push({ ...a, at: this.nowIso() });
    if (this.recentAlerts.length > 100) this.recentAlerts.shift();
    this.log.warn({ alert: a.kind, bank: a.bank, compartment: a.compartment }, a.message);
    this.emit('alert', a);
  }

  private changed(bank: string, compartment?: string): void {
    this.emit('changed', compartment ? { bank, compartment } : { bank });
  }

  private ourBanks(): LockerBankConfig[] {
    return [...this.banks.values()].filter((b) => b.driver === 'ours');
  }

  private ourBank(id: string): { b: LockerBankConfig } | { error: { ok: false; code: string; message: string } } {
    const b = this.banks.get(id);
    if (!b) return { error: { ok: false, code: 'unknown_bank', message: `No locker bank "${id}"` } };
    if (b.driver !== 'ours') return { error: { ok: false, code: 'vendor_bank', message: `${b.name} is run by the vendor's own system` } };
    return { b };
  }

  private bankName(id: string): string {
    return this.banks.get(id)?.name ?? id;
  }

  private holdHours(b: LockerBankConfig): number {
    return b.holdHours ?? this.o.policy.holds.lockerHoldHours;
  }

  /** The size an item needs: its material type's, else its parent type's, else the default. */
  sizeFor(materialType: string): CompartmentSize {
    const sizes = this.o.config.itemSizes;
    let t: string | null = materialType;
    for (let depth = 0; t && depth < 10; depth++) {
      const s = sizes.materialTypes[t];
      if (s) return s;
      t = (this.q('SELECT parent FROM material_types WHERE code = ?').get(t) as { parent: string | null } | undefined)?.parent ?? null;
    }
    return sizes.default;
  }

  /** The config's compartments, kept in the store so assignments refer to rows that exist. */
  private syncCompartments(): void {
    this.o.db.transaction(() => {
      this.q('UPDATE locker_compartments SET retired = 1').run();
      for (const b of this.o.config.banks) {
        for (const c of b.compartments) {
          this.q(
            `INSERT INTO locker_compartments (bank, number, size, board, lock, retired) VALUES (?, ?, ?, ?, ?, 0)
             ON CONFLICT (bank, number) DO UPDATE SET size = excluded.size, board = excluded.board, lock = excluded.lock, retired = 0`,
          ).run(b.id, c.number, c.size, c.board, c.lock);
        }
      }
    })();
  }

  private compartment(bank: string, number: string): CompartmentRow | undefined {
    return this.q('SELECT * FROM locker_compartments WHERE bank = ? AND number = ?').get(bank, number) as CompartmentRow | undefined;
  }

  private compartmentAt(bank: string, board: number, lock: number): CompartmentRow | undefined {
    return this.q('SELECT * FROM locker_compartments WHERE bank = ? AND board = ? AND lock = ? AND retired = 0').get(bank, board, lock) as CompartmentRow | undefined;
  }

  /** Free: in the config, not faulty, no open assignment, no deposit in it, door not standing open. */
  private freeCompartments(bank: string): CompartmentRow[] {
    const rows = this.q(
      `SELECT c.* FROM locker_compartments c
       WHERE c.bank = ? AND c.retired = 0 AND c.fault IS NULL
         AND NOT EXISTS (SELECT 1 FROM locker_assignments a WHERE a.bank = c.bank AND a.compartment = c.number AND a.closed_at IS NULL)
         AND NOT EXISTS (SELECT 1 FROM locker_deposits d WHERE d.bank = c.bank AND d.compartment = c.number AND d.state IN ('open','deposited'))`,
    ).all(bank) as CompartmentRow[];
    return rows.filter((c) => !this.openDoors.has(`${bank}/${c.number}`));
  }

  private assignment(id: number): AssignmentRow | undefined {
    return this.q('SELECT * FROM locker_assignments WHERE id = ?').get(id) as AssignmentRow | undefined;
  }

  private openAssignment(bank: string, number: string): AssignmentRow | undefined {
    return this.q('SELECT * FROM locker_assignments WHERE bank = ? AND compartment = ? AND closed_at IS NULL').get(bank, number) as AssignmentRow | undefined;
  }

  private setState(id: number, state: AssignmentState): void {
    this.q('UPDATE locker_assignments SET state = ? WHERE id = ?').run(state, id);
  }

  private isExpired(a: AssignmentRow): boolean {
    if (a.state === 'to_empty' || a.state === 'emptied') return true;
    return !!a.expires_at && a.expires_at <= this.nowIso();
  }

  private openItems(assignmentId: number): AssignmentItemRow[] {
    return this.q(
      `SELECT x.*, i.barcode, i.title FROM locker_assignment_items x JOIN items i ON i.id = x.item_id
       WHERE x.assignment_id = ? AND x.outcome IS NULL ORDER BY x.added_at, x.hold_id`,
    ).all(assignmentId) as AssignmentItemRow[];
  }

  /** The copies of an assignment whose reservations are still open in the given states; the others leave its list. */
  private liveItems(a: AssignmentRow, statuses: Array<HoldView['status']> = ['W']): AssignmentItemRow[] {
    const live: AssignmentItemRow[] = [];
    for (const i of this.openItems(a.id)) {
      const h = this.o.engine.lockerHoldById(i.hold_id);
      if (h && !h.closedAt && statuses.includes(h.status) && h.patron.id === a.patron_id) {
        live.push({ ...i, title: h.item?.title ?? i.title, barcode: h.item?.barcode ?? i.barcode });
      } else if (!h || h.closedAt) {
        this.q('UPDATE locker_assignment_items SET outcome = ? WHERE assignment_id = ? AND hold_id = ?').run(closedOutcome(h), a.id, i.hold_id);
      }
    }
    return live;
  }

  /**
   * Why a loaded compartment is to be emptied, from what became of its reservations: one expired
   * makes it "expired" (the fee was charged); otherwise cancelled (by the patron or staff), or lent
   * elsewhere (the copies were taken out and lent at the desk).
   */
  private toEmptyReason(assignmentId: number): 'expired' | 'cancelled' | 'lent_elsewhere' {
    const outcomes = (this.q('SELECT outcome FROM locker_assignment_items WHERE assignment_id = ?').all(assignmentId) as Array<{ outcome: string | null }>).map((r) => r.outcome);
    if (outcomes.includes('expired')) return 'expired';
    if (outcomes.some((o) => o === 'cancelled' || o === 'withdrawn')) return 'cancelled';
    return 'lent_elsewhere';
  }

  private patronRow(barcode: string): { id: number; barcode: string; language: string; mobile: string | null } | undefined {
    const b = barcode.trim();
    return (this.q('SELECT id, barcode, language, mobile FROM patrons WHERE barcode = ?').get(b) ??
      this.q('SELECT p.id, p.barcode, p.language, p.mobile FROM patron_ids x JOIN patrons p ON p.id = x.patron_id WHERE x.value = ?').get(b)) as
      | { id: number; barcode: string; language: string; mobile: string | null }
      | undefined;
  }

  private patronBarcode(id: number): string {
    return (this.q('SELECT barcode FROM patrons WHERE id = ?').get(id) as { barcode: string } | undefined)?.barcode ?? '';
  }

  private patronLanguage(id: number): NoticeLanguage | null {
    const l = (this.q('SELECT language FROM patrons WHERE id = ?').get(id) as { language: string } | undefined)?.language;
    return l ? asNoticeLanguage(l, 'en') : null;
  }

  private storedOutcome(key: string): PickupOutcome | null {
    if (!key) return null;
    const r = this.q('SELECT outcome FROM locker_pickups WHERE key = ?').get(key) as { outcome: string } | undefined;
    return r ? (JSON.parse(r.outcome) as PickupOutcome) : null;
  }

  private store(key: string, out: PickupOutcome): void {
    if (!key) return;
    this.q('INSERT OR IGNORE INTO locker_pickups (key, outcome, created_at) VALUES (?, ?, ?)').run(key, JSON.stringify(out), this.nowIso());
  }

  private assignmentView(a: AssignmentRow): AssignmentView {
    const items = this.q(
      `SELECT x.hold_id, x.outcome, i.barcode, i.title FROM locker_assignment_items x JOIN items i ON i.id = x.item_id WHERE x.assignment_id = ? ORDER BY x.added_at, x.hold_id`,
    ).all(a.id) as Array<{ hold_id: number; outcome: string | null; barcode: string; title: string }>;
    return {
      id: a.id,
      bank: a.bank,
      compartment: a.compartment,
      patron: this.patronBarcode(a.patron_id),
      state: a.state,
      createdAt: a.created_at,
      loadedAt: a.loaded_at,
      expiresAt: a.expires_at,
      items: items.map((i) => ({ barcode: i.barcode, title: i.title, holdId: i.hold_id, outcome: i.outcome })),
    };
  }

  private depositRow(id: number): DepositRow | undefined {
    return this.q('SELECT * FROM locker_deposits WHERE id = ?').get(id) as DepositRow | undefined;
  }

  private depositView(d: DepositRow): DepositView {
    return {
      id: d.id,
      bank: d.bank,
      compartment: d.compartment,
      patron: this.patronBarcode(d.patron_id),
      state: d.state,
      items: d.items ? (JSON.parse(d.items) as string[]) : null,
      openedAt: d.opened_at,
      depositedAt: d.deposited_at,
      emptiedAt: d.emptied_at,
      closedAt: d.closed_at,
    };
  }
}

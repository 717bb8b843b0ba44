/**
 * The kiosk station: the daemon side of a self-check. It holds the patron session (so a reloaded
 * browser finds it again), and runs each checkout and return as one daemon operation per item:
 * ask the backend, then set the security bit on every tag of the item (off on checkout, on on
 * return), verified by the driver, and report per item: done, refused with the reason, or
 * done-but-security-failed (flagged for staff, the patron told to ask at the desk). An item is never
 * reported done with its security state wrong. Every command carries an idempotency key; a retry
 * gets the first outcome.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { messageKey, reasonText, type KioskLanguage, type ReasonCode } from '../../protocols/kiosk-api/reasons.ts';
import type {
  AccountView,
  Envelope,
  ItemOutcome,
  LockerCompartmentView,
  LockerFailureCode,
  LockerPickupResult,
  LockerWaitingView,
  PatronView,
  RoutingView,
  SessionView,
  UiLanguage,
} from '../../protocols/kiosk-api/events.ts';
import { reasonCodes } from '../../protocols/kiosk-api/reasons.ts';
import type { RfidReader } from '../../drivers/rfid/index.ts';
import type { ReceiptPrinter } from '../../drivers/printer/index.ts';
import type { Receipt, ReceiptSection } from '../../drivers/receipt/receipt.ts';
import { renderReceiptHtml } from '../../drivers/receipt/receipt.ts';
import type { Clock } from '../clock.ts';
import type { CirculationBackend, PatronSummary, Refusal, Routing } from '../circulation/backend.ts';
import type { PadModel } from './pad.ts';
import { maskCard } from '../log.ts';

/** An e-mail as the station and the desk send it; nodemailer takes the attachments as given. */
export interface Mail {
  to: string;
  subject: string;
  html: string;
  text: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

export interface StationOptions {
  backend: CirculationBackend;
  pad: PadModel;
  rfid: () => RfidReader | null;
  printer: () => ReceiptPrinter | null;
  mailer: Mailer | null;
  clock: Clock;
  logger: Logger;
  site: { name: string; department: string; language: KioskLanguage; timezone: string };
  pinRequired: boolean;
  /** Items carry RFID tags whose security bit must change with the loan. */
  rfidSecurity: boolean;
}

/**
 * What the station needs of the locker service (daemon/lockers; the contract in
 * notes/locker-contract.md), structurally, so the station does not depend on how lockers work.
 */
export type LockerPickupFailure = Exclude<LockerFailureCode, 'locker_unavailable'>;
export type LockerPickupOutcome =
  | {
      ok: true;
      patron: string;
      compartments: Array<{
        bank: string;
        bankName: string;
        number: string;
        /** The door opened (its items were lent, or say why not); false: it did not, nothing from it was lent. */
        opened: boolean;
        items: Array<{ barcode: string; title: string; dueDate: string | null; ok: boolean; reason?: string; message?: string }>;
      }>;
    }
  | { ok: false; code: LockerPickupFailure; message: string; compartment?: string };

export interface LockerPickupPort {
  /** `patron`: the identified patron of the session; a code for another patron's holds is refused (code_other_patron). */
  pickupByCode(code: string, opts: { idempotencyKey: string; language?: string; patron?: string }): Promise<LockerPickupOutcome>;
  pickupForPatron(patronBarcode: string, opts: { idempotencyKey: string; language?: string }): Promise<LockerPickupOutcome>;
  readyFor(patronBarcode: string): Array<{ bank: string; number: string; items: number; expiresAt: string }>;
}

interface Session {
  id: string;
  patron: PatronSummary | null;
  patronBarcode: string | null;
  outcomes: ItemOutcome[];
  language: UiLanguage;
  /** What the receipt lists: loans, returns and renewals of this session. */
  kinds: Map<string, 'checkout' | 'checkin' | 'renew'>;
  /**
   * The patron whose holds a pickup code collected. The code opens their compartment and lets the
   * receipt go to their e-mail address; it does not identify them for anything else (no PIN was
   * given), so it is kept apart from `patronBarcode`.
   */
  pickupPatron: PatronSummary | null;
  /** The compartments of this session's pickups, for the receipt: "collected from 07", or "05 did not open". */
  lockers: Array<{ bankName: string; number: string; opened: boolean }>;
}

export interface StaffFlag {
  at: string;
  barcode: string;
  problem: string;
}

type Result<T> = Envelope<T>;

function fail<T>(code: string, details?: Record<string, unknown>): Result<T> {
  return { ok: false, error: { code, messageKey: `reason.${code}`, ...(details ? { details } : {}) } };
}

function routingView(r: Routing | null | undefined): RoutingView | null {
  if (!r) return null;
  return { destination: r.destination, department: r.department, pickupPlace: r.pickupPlace, forPatronName: r.forPatronName };
}

export class Station extends EventEmitter {
  private session: Session | null = null;
  private readonly replies = new Map<string, Result<unknown>>();
  readonly flags: StaffFlag[] = [];
  private seq = 0;

  constructor(private readonly o: StationOptions) {
    super();
  }

  view(): SessionView | null {
    const s = this.session;
    if (!s) return null;
    return { id: s.id, patron: s.patron ? this.patronView(s.patron) : null, outcomes: s.outcomes, language: s.language };
  }

  private patronView(p: PatronSummary): PatronView {
    return {
      displayName: p.firstName,
      language: p.language,
      hasEmail: !!p.email,
      blocks: p.blocks.map((b) => ({ reason: b.reason, details: b.details ?? {} })),
    };
  }

  private changed(): void {
    this.emit('session.changed', this.view());
  }

  private ensureSession(language?: UiLanguage): Session {
    if (!this.session) {
      this.session = {
        id: `s${this.o.clock.now().getTime().toString(36)}-${++this.seq}`,
        patron: null,
        patronBarcode: null,
        outcomes: [],
        language: language ?? this.o.site.language,
        kinds: new Map(),
        pickupPatron: null,
        lockers: [],
      };
    }
    return this.session;
  }

  /** Runs a command once per idempotency key; a retry gets the stored reply. */
  private async onceOnly<T>(key: string, run: () => Promise<Result<T>>): Promise<Result<T>> {
    const prior = this.replies.get(key);
    if (prior) return prior as Result<T>;
    const r = await run();
    this.replies.set(key, r);
    if (this.replies.size > 2000) this.replies.delete(this.replies.keys().next().value!);
    return r;
  }

  private ctx(key: string) {
    return { channel: 'self' as const, department: this.o.site.department, idempotencyKey: key, language: this.session?.language ?? this.o.site.language };
  }

  // ------------------------------------------------------------------ identify

  async identify(args: { key: string; identifier?: string; pin?: string }): Promise<Result<{ patron: PatronView | null; needsPin: boolean }>> {
    const identifier = args.identifier ?? this.o.pad.state().entries.find((e) => e.kind === 'card')?.barcode ?? undefined;
    if (!identifier) return fail('unknown_patron');
    const lang = this.session?.language ?? this.o.site.language;
    const look = await this.o.backend.lookupPatron(identifier, { language: lang });
    if (!look.ok) return fail(look.reason);
    if (this.o.pinRequired && look.patron.pinSet && (args.pin === undefined || args.pin === '')) {
      return { ok: true, data: { patron: null, needsPin: true } };
    }
    const v = await this.o.backend.verifyPatron(identifier, args.pin, { language: lang, channel: 'self' });
    if (!v.ok) return fail(v.reason, v.details);
    // A session another patron left open (identified, or a pickup by code) holds their loans and
    // would give their receipt to this patron: it ends here, and this patron starts afresh.
    const prev = this.session;
    const owner = prev?.patronBarcode ?? prev?.pickupPatron?.barcode ?? null;
    if (prev && owner && owner !== v.patron.barcode) {
      if (prev.patronBarcode) await this.o.backend.endSession(prev.patronBarcode);
      this.o.logger.info({ session: prev.id }, 'kiosk session of another patron ended by a new identification');
      this.session = null;
    }
    const s = this.ensureSession();
    s.patron = v.patron;
    s.patronBarcode = v.patron.barcode;
    s.language = v.patron.language;
    this.changed();
    this.o.logger.info({ session: s.id, patron: maskCard(v.patron.barcode) }, 'patron identified');
    return { ok: true, data: { patron: this.patronView(v.patron), needsPin: false } };
  }

  // ------------------------------------------------------------------ security

  /**
   * Sets the security state of every tag of the given units that is on the pad. Returns the
   * problems; an empty list means every tag verifiably holds the wanted state.
   */
  private async secure(units: string[], secured: boolean): Promise<string[]> {
    if (!this.o.rfidSecurity) return [];
    const problems: string[] = [];
    const reader = this.o.rfid();
    for (const barcode of units) {
      const uids = this.o.pad.uidsFor(barcode);
      if (uids.length === 0) {
        problems.push(`${barcode}: tag not on the pad`);
        continue;
      }
      if (!reader || reader.state === 'offline') {
        problems.push(`${barcode}: RFID reader offline`);
        continue;
      }
      for (const uid of uids) {
        try {
          await reader.setSecurity(uid, secured);
        } catch (e) {
          problems.push(`${barcode}: ${(e as Error).message}`);
        }
      }
    }
    return problems;
  }

  private flag(barcode: string, problem: string): void {
    const f = { at: this.o.clock.now().toISOString(), barcode, problem };
    this.flags.push(f);
    if (this.flags.length > 500) this.flags.shift();
    this.o.logger.warn(f, 'item flagged for staff: security state not set');
    this.emit('flag', f);
  }

  private record(outcome: ItemOutcome, kind: 'checkout' | 'checkin' | 'renew'): void {
    const s = this.ensureSession();
    s.outcomes = [...s.outcomes.filter((o) => !(o.barcode === outcome.barcode && s.kinds.get(o.barcode) === kind)), outcome];
    s.kinds.set(outcome.barcode, kind);
    this.changed();
  }

  private refused(barcode: string, title: string, r: Refusal): ItemOutcome {
    return {
      barcode,
      title,
      status: 'refused',
      reason: r.reason,
      messageKey: messageKey(r.reason),
      details: r.details ?? {},
      dueDate: null,
      routing: routingView(r.details?.routing as Routing | undefined),
      units: [],
      fine: null,
    };
  }

  // ------------------------------------------------------------------ checkout and return

  async checkout(args: { key: string; barcode: string }): Promise<Result<ItemOutcome>> {
    return this.onceOnly(args.key, async () => {
      const s = this.session;
      if (!s?.patronBarcode) return fail('unknown_patron');
      const entry = this.o.pad.entry(args.barcode);
      const parts = entry?.kit ? entry.kit.present.map((p) => p.barcode) : undefined;
      const title = entry?.title ?? args.barcode;
      const r = await this.o.backend.checkout({ patron: s.patronBarcode, item: args.barcode, ...(parts ? { parts } : {}) }, this.ctx(args.key));
      let outcome: ItemOutcome;
      if (!r.ok) outcome = this.refused(args.barcode, title, r);
      else {
        const units = r.units.map((u) => u.barcode);
        const problems = await this.secure(units, false);
        this.o.pad.invalidate(units);
        outcome = {
          barcode: args.barcode,
          title: r.title,
          status: problems.length ? 'security_failed' : 'done',
          reason: null,
          messageKey: problems.length ? 'outcome.security_failed' : null,
          details: problems.length ? { problems } : {},
          dueDate: r.dueDate,
          routing: null,
          units: r.units.map((u) => ({ barcode: u.barcode, title: u.title, partNumber: u.kitPart })),
          fine: null,
        };
        for (const p of problems) this.flag(args.barcode, `lent but still secured: ${p}`);
      }
      this.record(outcome, 'checkout');
      return { ok: true, data: outcome };
    });
  }

  async checkin(args: { key: string; barcode: string }): Promise<Result<ItemOutcome>> {
    return this.onceOnly(args.key, async () => {
      this.ensureSession();
      const entry = this.o.pad.entry(args.barcode);
      const parts = entry?.kit ? entry.kit.present.map((p) => p.barcode) : undefined;
      const title = entry?.title ?? args.barcode;
      const r = await this.o.backend.checkin({ item: args.barcode, ...(parts ? { parts } : {}) }, this.ctx(args.key));
      let outcome: ItemOutcome;
      if (!r.ok) {
        outcome = this.refused(args.barcode, title, r);
        // An item that was not on loan belongs in the library: make sure it is secured.
        if (r.reason === 'not_on_loan') await this.secure(entry?.kit ? entry.kit.present.map((p) => p.barcode) : [args.barcode], true);
      } else {
        const problems = await this.secure(r.units, true);
        this.o.pad.invalidate(r.units);
        outcome = {
          barcode: args.barcode,
          title: r.title,
          status: problems.length ? 'security_failed' : 'done',
          reason: null,
          messageKey: problems.length ? 'outcome.security_failed' : null,
          details: problems.length ? { problems } : {},
          dueDate: null,
          routing: routingView(r.routing),
          units: r.units.map((u) => ({ barcode: u, title: '', partNumber: null })),
          fine: r.fine,
        };
        // Never leave an item checked in with its security off: staff must see it.
        for (const p of problems) this.flag(args.barcode, `returned but not secured: ${p}`);
      }
      this.record(outcome, 'checkin');
      return { ok: true, data: outcome };
    });
  }

  async renew(args: { key: string; barcodes: string[] | 'all' }): Promise<Result<ItemOutcome[]>> {
    return this.onceOnly(args.key, async () => {
      const s = this.session;
      if (!s?.patronBarcode) return fail('unknown_patron');
      const outcomes: ItemOutcome[] = [];
      let list = args.barcodes;
      if (list === 'all') {
        const info = await this.o.backend.patronInformation(s.patronBarcode, this.ctx(args.key));
        if (!info.ok) return fail(info.reason);
        const seen = new Set<string>();
        list = info.patron.loans
          .filter((l) => {
            const k = l.kit?.code ?? l.barcode;
            if (seen.has(k)) return false;
            seen.add(k);
            return true;
          })
          .map((l) => l.barcode);
      }
      for (const [i, barcode] of list.entries()) {
        const r = await this.o.backend.renew({ patron: s.patronBarcode, item: barcode }, this.ctx(`${args.key}:${i}`));
        const o: ItemOutcome = r.ok
          ? { barcode, title: r.title, status: 'done', reason: null, messageKey: null, details: {}, dueDate: r.dueDate, routing: null, units: [], fine: r.fine }
          : this.refused(barcode, (r.details?.title as string | undefined) ?? barcode, r);
        if (!r.ok) {
          const info = await this.o.backend.itemInformation(barcode);
          if (info.ok) o.title = info.item.title;
        }
        outcomes.push(o);
        this.record(o, 'renew');
      }
      return { ok: true, data: outcomes };
    });
  }

  async account(): Promise<Result<AccountView>> {
    const s = this.session;
    if (!s?.patronBarcode) return fail('unknown_patron');
    const r = await this.o.backend.patronInformation(s.patronBarcode, { language: s.language });
    if (!r.ok) return fail(r.reason);
    const p = r.patron;
    return {
      ok: true,
      data: {
        loans: p.loans
          .filter((l) => !l.kit || l.kit.lead)
          .map((l) => ({
            barcode: l.barcode,
            title: l.title,
            dueDate: l.dueDate,
            overdue: l.overdue,
            renewals: l.renewals,
            status: l.status,
            ...(l.kit ? { parts: l.kit.partsTotal } : {}),
          })),
        holds: p.holds.map((h) => ({ title: h.title, status: h.status, pickupPlace: h.pickupPlace, expiresOn: h.expiresOn, queuePosition: h.queuePosition })),
        fees: p.fees.map((f) => ({ kind: f.kind, itemTitle: f.itemTitle ?? null, description: f.description, remaining: f.remaining, currency: f.currency })),
        balance: p.balance,
        currency: p.currency,
      },
    };
  }

  setLanguage(language: UiLanguage): Result<{ language: UiLanguage }> {
    const s = this.ensureSession(language);
    s.language = language;
    this.changed();
    return { ok: true, data: { language } };
  }

  // ------------------------------------------------------------------ locker pickup

  /** What waits in a locker for the identified patron (the menu offers the pickup when there is some). */
  lockerWaiting(lockers: LockerPickupPort | null): Result<LockerWaitingView> {
    const s = this.session;
    if (!s?.patronBarcode) return fail('unknown_patron');
    if (!lockers) return { ok: true, data: { compartments: [] } };
    return { ok: true, data: { compartments: lockers.readyFor(s.patronBarcode) } };
  }

  /**
   * Locker pickup (domain.md §8.3): with a one-time code, the code's holds; without, the identified
   * patron's. The locker service opens the door and records the loans when the door reports open;
   * here the loans join the session like any checkout, so the receipt path prints or e-mails them
   * with their due dates and the compartment. A refusal is an envelope whose messageKey is
   * `locker.<code>`; the compartment (when known) is in the details.
   */
  async lockerPickup(lockers: LockerPickupPort | null, args: { key: string; code?: string; language?: UiLanguage }): Promise<Result<LockerPickupResult>> {
    return this.onceOnly(args.key, async () => {
      if (!lockers) return lockerFail('locker_unavailable');
      // The patron's own language once identified; with a code, the language on the screen.
      const identified = !!this.session?.patronBarcode;
      const language = (identified ? this.session?.language : args.language) ?? this.session?.language ?? this.o.site.language;
      const opts = { idempotencyKey: args.key, language };
      let r: LockerPickupOutcome;
      if (args.code !== undefined) {
        // Identified: only a code for this patron's own reservations (the receipt is theirs).
        const own = this.session?.patronBarcode;
        r = await lockers.pickupByCode(args.code, own ? { ...opts, patron: own } : opts);
      } else {
        const patron = this.session?.patronBarcode;
        if (!patron) return fail('unknown_patron');
        r = await lockers.pickupForPatron(patron, opts);
      }
      if (!r.ok) {
        this.o.logger.info({ code: r.code, compartment: r.compartment ?? null, byCode: args.code !== undefined }, 'locker pickup refused');
        return lockerFail(r.code, { message: r.message, ...(r.compartment ? { compartment: r.compartment } : {}) });
      }
      if (!identified && this.session?.pickupPatron && this.session.pickupPatron.barcode !== r.patron) {
        // A code pickup of another patron's reservations after one that was not ended: its own
        // session, so that each receipt lists only the loans of the patron it names.
        this.session = null;
      }
      const s = this.ensureSession(language);
      if (!identified) s.language = language;
      let who: PatronSummary | null = s.patron && s.patronBarcode === r.patron ? s.patron : null;
      if (!who) {
        const look = await this.o.backend.lookupPatron(r.patron, { language: s.language });
        who = look.ok ? look.patron : null;
        if (!s.patronBarcode) s.pickupPatron = who;
      }
      const compartments: LockerCompartmentView[] = r.compartments.map((c) => ({
        bank: c.bank,
        bankName: c.bankName,
        number: c.number,
        opened: c.opened !== false,
        items: c.items.map((it) => this.pickupOutcome(c, it)),
      }));
      for (const c of compartments) {
        const known = s.lockers.find((l) => l.bankName === c.bankName && l.number === c.number);
        if (!known) s.lockers.push({ bankName: c.bankName, number: c.number, opened: c.opened });
        else known.opened ||= c.opened;
        for (const o of c.items) this.record(o, 'checkout');
      }
      this.o.logger.info(
        { session: s.id, patron: r.patron, compartments: compartments.map((c) => `${c.bank}/${c.number}`), items: compartments.reduce((n, c) => n + c.items.length, 0) },
        'locker pickup',
      );
      return { ok: true, data: { compartments, patron: who ? { displayName: who.firstName, hasEmail: !!who.email } : null } };
    });
  }

  private pickupOutcome(
    c: { bank: string; number: string },
    it: { barcode: string; title: string; dueDate: string | null; ok: boolean; reason?: string; message?: string },
  ): ItemOutcome {
    const reason = it.ok ? null : isReason(it.reason) ? it.reason : null;
    return {
      barcode: it.barcode,
      title: it.title,
      status: it.ok ? 'done' : 'refused',
      reason,
      messageKey: reason ? messageKey(reason) : it.ok ? null : 'locker.item_not_lent',
      details: { bank: c.bank, compartment: c.number, ...(it.ok || !it.message ? {} : { message: it.message }) },
      dueDate: it.ok ? it.dueDate : null,
      routing: null,
      units: [],
      fine: null,
    };
  }

  // ------------------------------------------------------------------ receipt

  /** The receipt of this session: loans, renewals and returns, and what was not done. */
  buildReceipt(): Receipt | null {
    const s = this.session;
    if (!s || s.outcomes.length === 0) return null;
    const borrower = s.patron ?? s.pickupPatron;
    const sections: ReceiptSection[] = [];
    // Listed by kind: what was done, including an item whose security tag could not be set (it is
    // lent or returned all the same); a note under them says which to show at the desk.
    const done = (k: 'checkout' | 'checkin' | 'renew') => s.outcomes.filter((o) => s.kinds.get(o.barcode) === k && o.status !== 'refused');
    const loanLine = (o: ItemOutcome) => {
      // A kit: the lead unit's line, with the other units indented under it (domain.md §9.1).
      const [lead, ...others] = o.units; // the backend lists a kit's units lead first
      return {
        title: o.title,
        barcode: o.units.length > 1 && lead ? lead.barcode : o.barcode,
        dueDate: o.dueDate ?? '',
        ...(o.units.length > 1
          ? {
              kit: {
                unit: lead?.partNumber ?? 1,
                unitCount: o.units.length,
                parts: others.map((u, i) => ({ barcode: u.barcode, unit: u.partNumber ?? i + 2, label: u.title })),
              },
            }
          : {}),
      };
    };
    const loans = done('checkout');
    if (loans.length) sections.push({ kind: 'loans', items: loans.map(loanLine) });
    const renewed = done('renew');
    if (renewed.length) sections.push({ kind: 'renewals', items: renewed.map(loanLine) });
    const returns = done('checkin');
    if (returns.length) sections.push({ kind: 'returns', items: returns.map((o) => ({ title: o.title, barcode: o.barcode })) });
    if (s.lockers.length) sections.push({ kind: 'note', lines: s.lockers.map((l) => (l.opened ? lockerReceiptLine(s.language, l) : lockerFailedLine(s.language, l))) });
    const unsecured = s.outcomes.filter((o) => o.status === 'security_failed');
    if (unsecured.length) sections.push({ kind: 'note', lines: unsecured.map((o) => securityFailedLine(s.language, o.title, s.kinds.get(o.barcode) === 'checkin')) });
    const notDone = s.outcomes.filter((o) => o.status === 'refused');
    if (notDone.length) {
      sections.push({
        kind: 'not-processed',
        items: notDone.map((o) => ({
          title: o.title,
          barcode: o.barcode,
          // The patron's own words for why, as on the screen; never a reason code.
          message: o.reason ? reasonText(o.reason, s.language, o.details) : typeof o.details.message === 'string' ? o.details.message : '',
        })),
      });
    }
    return {
      language: s.language,
      printedAt: this.o.clock.now().toISOString(),
      timeZone: this.o.site.timezone,
      header: { libraryName: this.o.site.name },
      // The borrower (domain.md §9.1 default content): the identified patron, or whose holds a pickup code collected.
      ...(borrower ? { patron: { cardNumber: borrower.barcode, name: `${borrower.firstName} ${borrower.lastName}` } } : {}),
      sections,
      footer: { thankYou: true },
    };
  }

  async receipt(args: { key: string; kind: 'print' | 'email' | 'none' }): Promise<Result<{ printed: boolean; emailed: boolean; reprintPending: boolean }>> {
    return this.onceOnly(args.key, async () => {
      if (args.kind === 'none') return { ok: true, data: { printed: false, emailed: false, reprintPending: false } };
      const receipt = this.buildReceipt();
      if (!receipt) return fail('invalid_request', { reason: 'nothing to put on a receipt' });
      if (args.kind === 'print') {
        const printer = this.o.printer();
        if (!printer || printer.state === 'offline') return fail('printer_offline');
        const r = await printer.print(receipt);
        if (!r.ok) {
          this.o.logger.warn({ code: r.code }, 'receipt not printed; kept for reprint');
          return { ok: false, error: { code: `printer_${r.code}`, messageKey: `printer.${r.code}`, details: { reprintPending: true } } };
        }
        return { ok: true, data: { printed: true, emailed: false, reprintPending: false } };
      }
      const s = this.session;
      const toPatron = s?.patronBarcode ?? s?.pickupPatron?.barcode ?? null;
      if (!s || !toPatron || !this.o.mailer) return fail('email_unavailable');
      const info = await this.o.backend.patronInformation(toPatron);
      const to = info.ok ? info.patron.email : null;
      if (!to) return fail('email_unavailable');
      try {
        await this.o.mailer.send({
          to,
          subject: `${this.o.site.name}: ${receiptSubject(s.language)}`,
          html: renderReceiptHtml(receipt),
          text: receiptPlainText(receipt),
        });
      } catch (e) {
        this.o.logger.warn({ err: (e as Error).message }, 'receipt e-mail failed');
        return fail('email_failed');
      }
      return { ok: true, data: { printed: false, emailed: true, reprintPending: false } };
    });
  }

  async end(args: { key: string }): Promise<Result<{ ended: boolean }>> {
    return this.onceOnly(args.key, async () => {
      const s = this.session;
      if (s?.patronBarcode) await this.o.backend.endSession(s.patronBarcode);
      this.session = null;
      this.changed();
      return { ok: true, data: { ended: !!s } };
    });
  }
}

function lockerFail<T>(code: string, details?: Record<string, unknown>): Result<T> {
  return { ok: false, error: { code, messageKey: `locker.${code}`, ...(details ? { details } : {}) } };
}

function isReason(code: string | undefined): code is ReasonCode {
  return code !== undefined && (reasonCodes as readonly string[]).includes(code);
}

/** The receipt's line for an opened compartment, in the receipt language. */
function lockerReceiptLine(lang: UiLanguage, l: { bankName: string; number: string }): string {
  const t = {
    en: `Collected from locker compartment ${l.number} (${l.bankName})`,
    sl: `Prevzeto iz predala ${l.number} paketnika (${l.bankName})`,
    lv: `Saņemts no pakomāta nodalījuma ${l.number} (${l.bankName})`,
    hu: `Átvéve a csomagautomata ${l.number}. rekeszéből (${l.bankName})`,
  };
  return t[lang];
}

/** The receipt's note for an item lent or returned whose security tag could not be cleared or set. */
function securityFailedLine(lang: UiLanguage, title: string, returned: boolean): string {
  if (returned) {
    return {
      en: `${title}: returned, but its security tag could not be set. Please show it at the desk.`,
      sl: `${title}: vrnjeno, vendar zaščite ni bilo mogoče vklopiti. Pokažite ga pri pultu.`,
      lv: `${title}: nodots, bet drošības birku neizdevās ieslēgt. Lūdzu, parādiet to apkalpošanas vietā.`,
      hu: `${title}: visszavéve, de a biztonsági jelölést nem sikerült bekapcsolni. Kérjük, mutassa meg a pultnál.`,
    }[lang];
  }
  return {
    en: `${title}: borrowed, but its security tag could not be cleared. Please show it at the desk.`,
    sl: `${title}: izposojeno, vendar zaščite ni bilo mogoče izklopiti. Pokažite ga pri pultu.`,
    lv: `${title}: izsniegts, bet drošības birku neizdevās izslēgt. Lūdzu, parādiet to apkalpošanas vietā.`,
    hu: `${title}: kölcsönözve, de a biztonsági jelölést nem sikerült kikapcsolni. Kérjük, mutassa meg a pultnál.`,
  }[lang];
}

/** The receipt's line for a compartment whose door did not open at a pickup. */
function lockerFailedLine(lang: UiLanguage, l: { bankName: string; number: string }): string {
  const t = {
    en: `Locker compartment ${l.number} (${l.bankName}) did not open: nothing from it was lent. Staff have been alerted.`,
    sl: `Predal ${l.number} paketnika (${l.bankName}) se ni odprl: iz njega ni bilo nič izposojeno. Osebje je obveščeno.`,
    lv: `Pakomāta nodalījums ${l.number} (${l.bankName}) neatvērās: no tā nekas netika izsniegts. Darbinieki ir informēti.`,
    hu: `A csomagautomata ${l.number}. rekesze (${l.bankName}) nem nyílt ki: belőle semmit sem kölcsönöztünk ki. A személyzetet értesítettük.`,
  };
  return t[lang];
}

function receiptSubject(lang: UiLanguage): string {
  return { en: 'your loan receipt', sl: 'vaša zadolžnica', lv: 'jūsu izsniegumu kvīts', hu: 'kölcsönzési bizonylata' }[lang];
}

function receiptPlainText(r: Receipt): string {
  const lines: string[] = [r.header.libraryName, ''];
  for (const s of r.sections) {
    if ('items' in s) for (const i of s.items as Array<{ title?: string; barcode: string; dueDate?: string }>) lines.push(`${i.barcode} ${i.title ?? ''}${i.dueDate ? ` ${i.dueDate}` : ''}`);
  }
  return lines.join('\n');
}

export type { ReasonCode };

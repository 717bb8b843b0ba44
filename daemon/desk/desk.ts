/**
 * The staff desk's devices (issue 6, "Desk devices"): the signature tablet for enrolment forms and
 * signed loan receipts, fee payment with a printed receipt and the cash drawer, and the day's cash
 * closing report.
 *
 *  - Signing (domain.md §9.3): the member's data and the declaration, in the language the §9.3 rule
 *    picks, go to the tablet as pages; the member pages through, signs, clears and signs again (blue
 *    arrows) or cancels (red cross); on the green tick the signed PDF is archived with the member's
 *    record (never amended: each signing is a new document), e-mailed when the member has an
 *    address and SMTP is configured, and a signed loan receipt is printed on the receipt printer.
 *    Staff can cancel from the desk too. One capture at a time per tablet.
 *  - Payment (§9.4): selected fees are settled through the backend's feePaid (idempotent per
 *    request key and fee), one desk payment row records the settlement (method, amount, cash
 *    tendered and change, the staff user), a receipt is printed and, for cash, the drawer opened.
 *    Without a drawer staff see "cash drawer not connected" (Blagajniški predal ni priključen).
 *  - Closing (§9.4): the day's unclosed desk payments, totals per method and per staff user,
 *    printed; closing them cannot be undone, so a second close of the day finds nothing.
 *
 * Results are data (`ok: false` with a stable code and a message for staff), never exceptions.
 */
import type { Logger } from 'pino';
import type { CashDrawer, ReceiptPrinter } from '../../drivers/printer/index.ts';
import type { Receipt } from '../../drivers/receipt/receipt.ts';
import { formatReceiptAmount, receiptFormat } from '../../drivers/receipt/format.ts';
import type { SignatureTablet } from '../../drivers/signature/index.ts';
import { tabletPageText, type TabletPage } from '../../protocols/signature/index.ts';
import type { CirculationBackend, FeeLine, PatronInformation } from '../circulation/backend.ts';
import type { Clock } from '../clock.ts';
import type { Mailer } from '../station/station.ts';
import { durable, type Db } from '../store/db.ts';
import { DeskArchive, totalsOf, type Closing, type ClosingTotals, type DeskPayment, type DocumentMeta, type PaymentLine } from './archive.ts';
import type { DeskConfig, DeskLanguage } from './config.ts';
import {
  composeSignedPdf,
  documentLanguage,
  expandLoans,
  MEMBER_ATTRIBUTES,
  tabletPages,
  templateFor,
  templateVariables,
  type DocumentKind,
  type MemberAttribute,
  type MemberData,
} from './document.ts';
import { CLOSING_TEXTS, deskTexts } from './texts.ts';

export interface DeskDevices {
  signature(id?: string): SignatureTablet | undefined;
  printer(id?: string): ReceiptPrinter | undefined;
  drawer(id?: string): CashDrawer | undefined;
}

export interface DeskOptions {
  db: Db;
  backend: CirculationBackend;
  devices: DeskDevices;
  mailer: Mailer | null;
  clock: Clock;
  logger: Logger;
  config: DeskConfig;
  site: { name: string; department: string; timezone: string; language: string };
  currency: string;
}

export type DeskErrorCode =
  | 'bad_request'
  | 'unknown_patron'
  | 'not_found'
  | 'tablet_not_connected'
  | 'tablet_busy'
  | 'fee_not_open'
  | 'method_not_allowed'
  | 'insufficient_cash'
  | 'payment_refused'
  | 'nothing_to_close'
  | 'drawer_not_connected'
  | 'backend_error';

export type DeskResult<T> = { ok: true; data: T } | { ok: false; error: { code: DeskErrorCode; message: string; details?: Record<string, unknown> } };

function fail<T>(code: DeskErrorCode, message: string, details?: Record<string, unknown>): DeskResult<T> {
  return { ok: false, error: { code, message, ...(details ? { details } : {}) } };
}

const toMinor = (amount: number): number => Math.round(amount * 100);
const fromMinor = (minor: number): number => minor / 100;

/** The calendar day of an instant in a time zone, YYYY-MM-DD. */
export function businessDay(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export interface PatronDeskView {
  barcode: string;
  firstName: string;
  lastName: string;
  category: string;
  email: string | null;
  membershipExpires: string | null;
  blocks: string[];
  attributes: Partial<Record<MemberAttribute, string>>;
  /** The language of the tablet text and the form (§9.3) and why. */
  documentLanguage: { language: DeskLanguage; why: string };
  loans: Array<{ barcode: string; title: string; dueDate: string | null; overdue: boolean }>;
  fees: Array<{ id: number; description: string; kind: string; amount: number; remaining: number; itemBarcode: string | null; createdAt: string }>;
  balance: number;
  currency: string;
  documents: DocumentMeta[];
}

export type SigningStatus = 'on_tablet' | 'saving' | 'signed' | 'cancelled' | 'timeout' | 'error';

export interface SigningView {
  id: string;
  kind: DocumentKind;
  patron: string;
  staff: string;
  language: DeskLanguage;
  status: SigningStatus;
  startedAt: string;
  /** The pages as the tablet shows them (plain text), for the staff preview. */
  pages: string[];
  document: DocumentMeta | null;
  emailed: boolean | null;
  printed: boolean | null;
  message: string | null;
}

interface Signing extends SigningView {
  controller: AbortController;
  done: Promise<SigningView>;
}

export interface PaymentOutcome {
  payment: DeskPayment;
  amount: number;
  tendered: number | null;
  change: number | null;
  currency: string;
  balance: number | null;
  /** Fees the backend refused while others in the same request were paid. */
  refused: Array<{ feeId: number; message: string }>;
  receipt: { printed: boolean; message: string | null };
  drawer: { opened: boolean; message: string | null } | null;
  replayed: boolean;
}

export interface ClosingReport {
  businessDay: string;
  department: string;
  payments: DeskPayment[];
  totals: ClosingTotals;
}

const ATTRIBUTE_RULES: Record<MemberAttribute, { pattern: RegExp; hint: string; max: number }> = {
  gender: { pattern: /^.{1,20}$/u, hint: 'at most 20 characters', max: 20 },
  birthDate: { pattern: /^\d{4}-\d{2}-\d{2}$/, hint: 'a date YYYY-MM-DD', max: 10 },
  address: { pattern: /^.{1,120}$/u, hint: 'at most 120 characters', max: 120 },
  postcode: { pattern: /^[A-Za-z0-9 -]{1,12}$/, hint: 'letters, digits, spaces and -, at most 12', max: 12 },
  city: { pattern: /^.{1,80}$/u, hint: 'at most 80 characters', max: 80 },
  country: { pattern: /^[A-Za-z]{2}$/, hint: 'a two-letter country code such as SI', max: 2 },
  citizenship: { pattern: /^[A-Za-z]{2}$/, hint: 'a two-letter country code such as SI', max: 2 },
  phone: { pattern: /^[0-9 +()/-]{3,30}$/, hint: 'digits, spaces and + ( ) / -', max: 30 },
  guardian: { pattern: /^.{1,120}$/u, hint: 'at most 120 characters', max: 120 },
};

export class DeskService {
  readonly archive: DeskArchive;
  readonly #o: DeskOptions;
  readonly #log: Logger;
  readonly #signings = new Map<string, Signing>();
  /** The running capture per tablet id. */
  readonly #busy = new Map<string, Signing>();
  #seq = 0;

  constructor(options: DeskOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.archive = new DeskArchive(options.db);
  }

  get currency(): string {
    return this.#o.currency;
  }

  #now(): Date {
    return this.#o.clock.now();
  }

  #ctx(key?: string) {
    return { channel: 'staff' as const, department: this.#o.site.department, ...(key ? { idempotencyKey: key } : {}) };
  }

  async #info(barcode: string): Promise<DeskResult<PatronInformation>> {
    try {
      const r = await this.#o.backend.patronInformation(barcode, this.#ctx());
      if (!r.ok) return fail(r.reason === 'unknown_patron' ? 'unknown_patron' : 'backend_error', r.screenMessage || `patron ${barcode}: ${r.reason}`);
      return { ok: true, data: r.patron };
    } catch (e) {
      return fail('backend_error', `the library system did not answer: ${(e as Error).message}`);
    }
  }

  #member(info: PatronInformation): MemberData {
    return {
      card: info.barcode,
      surname: info.lastName,
      name: info.firstName,
      category: info.category,
      email: info.email,
      membershipExpires: info.membershipExpires,
      attributes: this.archive.attributes(info.barcode),
    };
  }

  // ------------------------------------------------------------------------------------- patrons

  /**
   * Finds members by card number (through the backend, alternative ids included) or, with the
   * embedded engine, by name (accents and case ignored).
   */
  async findPatrons(query: string): Promise<DeskResult<Array<{ barcode: string; firstName: string; lastName: string }>>> {
    const q = query.trim();
    if (q.length < 2 || q.length > 64) return fail('bad_request', 'type at least 2 and at most 64 characters of a card number or a name');
    const found: Array<{ barcode: string; firstName: string; lastName: string }> = [];
    const look = await this.#o.backend.lookupPatron(q, this.#ctx()).catch(() => null);
    if (look?.ok) found.push({ barcode: look.patron.barcode, firstName: look.patron.firstName, lastName: look.patron.lastName });
    if (this.#o.backend.kind === 'embedded') {
      const key = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
      const words = key(q).split(/\s+/).filter(Boolean);
      const rows = this.#o.db.prepare('SELECT barcode, first_name, last_name FROM patrons ORDER BY last_name, first_name').all() as Array<{
        barcode: string;
        first_name: string;
        last_name: string;
      }>;
      for (const r of rows) {
        if (found.length >= 25) break;
        const hay = key(`${r.first_name} ${r.last_name} ${r.barcode}`);
        if (words.every((w) => hay.includes(w)) && !found.some((f) => f.barcode === r.barcode)) {
          found.push({ barcode: r.barcode, firstName: r.first_name, lastName: r.last_name });
        }
      }
    }
    return { ok: true, data: found };
  }

  async patron(barcode: string): Promise<DeskResult<PatronDeskView>> {
    const r = await this.#info(barcode);
    if (!r.ok) return r;
    const info = r.data;
    const member = this.#member(info);
    return {
      ok: true,
      data: {
        barcode: info.barcode,
        firstName: info.firstName,
        lastName: info.lastName,
        category: info.category,
        email: info.email,
        membershipExpires: info.membershipExpires,
        blocks: info.blocks.map((b) => b.reason),
        attributes: member.attributes,
        documentLanguage: documentLanguage(member, this.#o.config.language),
        loans: info.loans.map((l) => ({ barcode: l.barcode, title: l.title, dueDate: l.dueDate, overdue: l.overdue })),
        fees: openFees(info.fees),
        balance: info.balance,
        currency: info.currency,
        documents: this.archive.documents(info.barcode),
      },
    };
  }

  async setAttributes(barcode: string, values: Record<string, unknown>, staff: string): Promise<DeskResult<Partial<Record<MemberAttribute, string>>>> {
    const problems: string[] = [];
    const clean: Partial<Record<MemberAttribute, string>> = {};
    for (const [name, raw] of Object.entries(values)) {
      if (!(MEMBER_ATTRIBUTES as readonly string[]).includes(name)) {
        problems.push(`${name}: not a member attribute (one of ${MEMBER_ATTRIBUTES.join(', ')})`);
        continue;
      }
      if (raw !== null && typeof raw !== 'string') {
        problems.push(`${name}: must be text`);
        continue;
      }
      const v = (raw ?? '').trim();
      const rule = ATTRIBUTE_RULES[name as MemberAttribute];
      if (v !== '' && !rule.pattern.test(v)) {
        problems.push(`${name}: ${rule.hint}`);
        continue;
      }
      if (name === 'birthDate' && v !== '' && Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
        problems.push('birthDate: not a real date');
        continue;
      }
      clean[name as MemberAttribute] = name === 'country' || name === 'citizenship' ? v.toUpperCase() : v;
    }
    if (problems.length) return fail('bad_request', problems.join('; '), { problems });
    const info = await this.#info(barcode);
    if (!info.ok) return info;
    this.archive.setAttributes(info.data.barcode, clean, staff, this.#now().toISOString());
    await durable(this.#o.db);
    return { ok: true, data: this.archive.attributes(info.data.barcode) };
  }

  // ------------------------------------------------------------------------------------- signing

  #tablet(): SignatureTablet | undefined {
    return this.#o.devices.signature(this.#o.config.tabletDevice ?? undefined);
  }

  /** Puts the document on the tablet. Resolves once it is showing; the outcome comes later (`signing`). */
  async startSigning(kind: DocumentKind, barcode: string, staff: string): Promise<DeskResult<SigningView>> {
    const tablet = this.#tablet();
    // domain.md §9.3: "If it is not connected, a message appears."
    if (!tablet || tablet.state === 'offline') {
      return fail('tablet_not_connected', `The signature tablet is not connected${tablet?.status().reason ? ` (${tablet.status().reason})` : ''}.`);
    }
    const running = this.#busy.get(tablet.id);
    if (running) return fail('tablet_busy', `The tablet is showing a document for card ${running.patron}; finish or cancel it first.`, { signing: running.id });
    const r = await this.#info(barcode);
    if (!r.ok) return r;
    const info = r.data;
    const member = this.#member(info);
    const { language } = documentLanguage(member, this.#o.config.language);
    const now = this.#now();
    const textCtx = { library: this.#o.site.name, department: this.#o.site.department, language, timeZone: this.#o.site.timezone, now };
    let template = templateFor(this.#o.config, kind, language);
    if (kind === 'loan_receipt') template = expandLoans(template, info.loans, textCtx);
    const pages = tabletPages(template, templateVariables(member, textCtx, { count: String(info.loans.length) }));
    const id = `sig-${now.getTime().toString(36)}-${++this.#seq}`;
    const controller = new AbortController();
    const signing: Signing = {
      id,
      kind,
      patron: info.barcode,
      staff,
      language,
      status: 'on_tablet',
      startedAt: now.toISOString(),
      pages: pages.map(tabletPageText),
      document: null,
      emailed: null,
      printed: null,
      message: null,
      controller,
      done: Promise.resolve(null as unknown as SigningView),
    };
    this.#signings.set(id, signing);
    if (this.#signings.size > 200) this.#signings.delete(this.#signings.keys().next().value!);
    this.#busy.set(tablet.id, signing);
    let capture;
    try {
      capture = tablet.capture(pages, { language, signal: controller.signal });
    } catch (e) {
      this.#busy.delete(tablet.id);
      return fail('tablet_not_connected', `The signature tablet could not start: ${(e as Error).message}`);
    }
    signing.done = capture
      .then(async (result) => {
        if (result.status !== 'signed') {
          signing.status = result.status;
          signing.message = result.status === 'cancelled' ? 'Signing was cancelled; nothing was stored.' : 'The member did not sign in time; nothing was stored.';
          return;
        }
        signing.status = 'saving';
        await this.#store(signing, info, member, pages, result);
      })
      .catch((e: unknown) => {
        signing.status = 'error';
        signing.message = `The tablet failed: ${(e as Error).message}`;
        this.#log.warn({ signing: id, err: (e as Error).message }, 'signature capture failed');
      })
      .finally(() => {
        if (this.#busy.get(tablet.id) === signing) this.#busy.delete(tablet.id);
      })
      .then(() => this.#view(signing));
    return { ok: true, data: this.#view(signing) };
  }

  async #store(
    signing: Signing,
    info: PatronInformation,
    member: MemberData,
    pages: TabletPage[],
    result: Extract<Awaited<ReturnType<SignatureTablet['capture']>>, { status: 'signed' }>,
  ): Promise<void> {
    const t = deskTexts(signing.language);
    const title = signing.kind === 'enrolment' ? t.enrolmentTitle : t.loanReceiptTitle;
    const signedAt = this.#now();
    const pdf = composeSignedPdf({
      kind: signing.kind,
      title,
      library: this.#o.site.name,
      card: member.card,
      language: signing.language,
      timeZone: this.#o.site.timezone,
      pages,
      signature: { strokes: result.strokes, width: result.width, height: result.height },
      signedAt,
      device: result.device,
    });
    const doc = this.archive.addDocument({
      patron: member.card,
      kind: signing.kind,
      language: signing.language,
      title,
      pdf,
      device: result.device,
      staff: signing.staff,
      createdAt: signedAt.toISOString(),
    });
    await durable(this.#o.db);
    signing.document = doc;
    signing.status = 'signed';
    this.#log.info({ signing: signing.id, document: doc.id, kind: doc.kind, bytes: doc.sizeBytes }, 'signed document archived');

    // §9.3: e-mailed to the member when an e-mail address exists.
    if (this.#o.config.emailSigned && this.#o.mailer && member.email) {
      try {
        await this.#o.mailer.send({
          to: member.email,
          subject: `${this.#o.site.name}: ${title}`,
          text: `${t.mailBody}\n\n${title} - ${member.card}\nSHA-256: ${doc.sha256}\n`,
          html: `<p>${escapeHtml(t.mailBody)}</p><p>${escapeHtml(title)} - ${escapeHtml(member.card)}<br>SHA-256: <code>${doc.sha256}</code></p>`,
          attachments: [{ filename: `${fileName(title)}-${member.card}-${doc.id}.pdf`, content: Buffer.from(pdf), contentType: 'application/pdf' }],
        });
        signing.emailed = true;
      } catch (e) {
        signing.emailed = false;
        signing.message = `Stored, but the e-mail could not be sent (${(e as Error).message}).`;
        this.#log.warn({ document: doc.id, err: (e as Error).message }, 'signed document e-mail failed');
      }
    } else signing.emailed = false;

    // §9.3 "Signing a loan receipt": print it on the receipt printer.
    if (signing.kind === 'loan_receipt') {
      const receipt: Receipt = {
        language: signing.language,
        printedAt: signedAt.toISOString(),
        timeZone: this.#o.site.timezone,
        title: t.signedReceipt,
        header: { libraryName: this.#o.site.name, department: this.#o.site.department },
        patron: { cardNumber: member.card, name: `${member.surname} ${member.name}` },
        sections: [
          { kind: 'on-loan', items: info.loans.map((l) => ({ title: l.title, barcode: l.barcode, dueDate: l.dueDate ?? '' })) },
          { kind: 'note', lines: [`${t.signedOn}: ${t.document} ${doc.id}`, `SHA-256 ${doc.sha256.slice(0, 16)}`] },
        ],
        footer: { thankYou: true },
      };
      const printed = await this.#print(receipt);
      signing.printed = printed.printed;
      if (!printed.printed) signing.message = `Stored, but the receipt was not printed: ${printed.message}`;
    }
  }

  #view(s: Signing): SigningView {
    const { controller: _c, done: _d, ...view } = s;
    return { ...view, pages: [...view.pages] };
  }

  signing(id: string): DeskResult<SigningView> {
    const s = this.#signings.get(id);
    return s ? { ok: true, data: this.#view(s) } : fail('not_found', `no signing ${id}`);
  }

  /** Resolves with the outcome once the member confirmed, cancelled or timed out. */
  async signingDone(id: string): Promise<SigningView | null> {
    const s = this.#signings.get(id);
    return s ? s.done : null;
  }

  /** Staff take the tablet back (the desk's cancel); the member's red cross does the same on the tablet. */
  cancelSigning(id: string): DeskResult<SigningView> {
    const s = this.#signings.get(id);
    if (!s) return fail('not_found', `no signing ${id}`);
    if (s.status === 'on_tablet') s.controller.abort();
    return { ok: true, data: this.#view(s) };
  }

  document(id: number): { meta: DocumentMeta; pdf: Buffer } | null {
    return this.archive.documentPdf(id);
  }

  // ------------------------------------------------------------------------------------- printer

  async #print(receipt: Receipt): Promise<{ printed: boolean; message: string | null }> {
    const printer = this.#o.devices.printer(this.#o.config.printerDevice ?? undefined);
    if (!printer) return { printed: false, message: 'no receipt printer is configured' };
    if (printer.state === 'offline') return { printed: false, message: `the receipt printer is offline${printer.status().reason ? ` (${printer.status().reason})` : ''}` };
    try {
      const r = await printer.print(receipt);
      return r.ok ? { printed: true, message: null } : { printed: false, message: `${r.message} (kept for reprint)` };
    } catch (e) {
      return { printed: false, message: (e as Error).message };
    }
  }

  /**
   * Kicks the drawer on the desk's printer. §9.4: with no drawer attached the message "cash drawer
   * not connected" (Blagajniški predal ni priključen) appears.
   */
  async kickDrawer(): Promise<DeskResult<{ opened: boolean; drawerOpen: boolean | null }>> {
    const printerId = this.#o.config.printerDevice ?? undefined;
    const drawer = this.#o.devices.drawer(printerId);
    if (!drawer) return fail('drawer_not_connected', 'Cash drawer not connected (Blagajniški predal ni priključen).');
    try {
      const r = await drawer.kick();
      if (!r.ok) {
        return fail(
          'drawer_not_connected',
          r.code === 'not_configured'
            ? 'Cash drawer not connected (Blagajniški predal ni priključen).'
            : `Cash drawer not connected: ${r.message} (Blagajniški predal ni priključen).`,
        );
      }
      return { ok: true, data: { opened: true, drawerOpen: r.drawerOpen } };
    } catch (e) {
      return fail('drawer_not_connected', `Cash drawer not connected: ${(e as Error).message}`);
    }
  }

  // ------------------------------------------------------------------------------------- payment

  async fees(barcode: string): Promise<DeskResult<{ fees: PatronDeskView['fees']; balance: number; currency: string }>> {
    const r = await this.#info(barcode);
    if (!r.ok) return r;
    return { ok: true, data: { fees: openFees(r.data.fees), balance: r.data.balance, currency: r.data.currency } };
  }

  /**
   * Settles the selected fees. `key` makes it idempotent: a retry (double click, reload) gets the
   * first outcome and neither pays, prints nor opens the drawer again.
   */
  async pay(req: { key: string; patron: string; feeIds: number[]; method: 'cash' | 'card' | 'other'; tendered?: number | null }, staff: string): Promise<DeskResult<PaymentOutcome>> {
    const prior = this.archive.paymentByKey(req.key);
    if (prior) {
      if (prior.patron !== req.patron) return fail('bad_request', 'this payment key was used for another patron');
      return { ok: true, data: this.#outcome(prior, [], { printed: false, message: 'already paid; the receipt was printed then' }, null, null, true) };
    }
    if (!this.#o.config.paymentMethods.includes(req.method)) {
      return fail('method_not_allowed', `payment method ${req.method} is not accepted at this desk (${this.#o.config.paymentMethods.join(', ')})`);
    }
    const ids = [...new Set(req.feeIds)];
    if (ids.length === 0) return fail('bad_request', 'select at least one fee to pay');
    const r = await this.#info(req.patron);
    if (!r.ok) return r;
    const info = r.data;
    const open = openFees(info.fees);
    const missing = ids.filter((id) => !open.some((f) => f.id === id));
    if (missing.length) return fail('fee_not_open', `fee ${missing.join(', ')} is not an open fee of card ${info.barcode} (already paid, or another patron's)`, { missing });
    const selected = open.filter((f) => ids.includes(f.id));
    const dueMinor = selected.reduce((n, f) => n + toMinor(f.remaining), 0);
    const fmt = receiptFormat({ language: 'en', timeZone: this.#o.site.timezone });
    const money = (minor: number) => formatReceiptAmount(fromMinor(minor), info.currency, fmt);
    let tenderedMinor: number | null = null;
    if (req.method === 'cash') {
      tenderedMinor = req.tendered === undefined || req.tendered === null ? dueMinor : toMinor(req.tendered);
      if (!Number.isFinite(tenderedMinor) || tenderedMinor < dueMinor) {
        return fail('insufficient_cash', `cash tendered ${money(tenderedMinor)} is less than the amount due ${money(dueMinor)}`, { dueMinor });
      }
    }

    const paid: PaymentLine[] = [];
    const backendPayments: number[] = [];
    const refused: Array<{ feeId: number; message: string }> = [];
    let balance: number | null = null;
    for (const fee of selected) {
      try {
        const p = await this.#o.backend.feePaid(
          { patron: info.barcode, amount: fee.remaining, currency: info.currency, feeId: fee.id, method: req.method },
          this.#ctx(`desk-pay:${req.key}:${fee.id}`),
        );
        if (!p.ok) {
          refused.push({ feeId: fee.id, message: p.screenMessage || p.reason });
          continue;
        }
        paid.push({ feeId: fee.id, description: fee.description, amount: fee.remaining, itemBarcode: fee.itemBarcode });
        backendPayments.push(p.paymentId);
        balance = p.balance;
      } catch (e) {
        refused.push({ feeId: fee.id, message: `the library system did not answer: ${(e as Error).message}` });
      }
    }
    if (paid.length === 0) return fail('payment_refused', refused.map((x) => `fee ${x.feeId}: ${x.message}`).join('; '), { refused });

    const amountMinor = paid.reduce((n, l) => n + toMinor(l.amount), 0);
    const now = this.#now();
    const row = this.archive.addPayment({
      key: req.key,
      patron: info.barcode,
      staff,
      method: req.method,
      amountMinor,
      tenderedMinor: req.method === 'cash' ? tenderedMinor : null,
      changeMinor: req.method === 'cash' && tenderedMinor !== null ? tenderedMinor - amountMinor : null,
      currency: info.currency,
      lines: paid,
      backendPayments,
      department: this.#o.site.department,
      businessDay: businessDay(now, this.#o.site.timezone),
      createdAt: now.toISOString(),
    });
    await durable(this.#o.db);
    this.#log.info({ payment: row.id, method: row.method, amountMinor: row.amountMinor, fees: paid.length }, 'desk payment recorded');

    const receipt = this.#paymentReceipt(row, info, balance);
    const printed = await this.#print(receipt);
    let drawer: { opened: boolean; message: string | null } | null = null;
    if (req.method === 'cash') {
      const k = await this.kickDrawer();
      drawer = k.ok ? { opened: true, message: null } : { opened: false, message: k.error.message };
    }
    return { ok: true, data: this.#outcome(row, refused, printed, drawer, balance, false) };
  }

  #outcome(
    row: DeskPayment,
    refused: PaymentOutcome['refused'],
    receipt: PaymentOutcome['receipt'],
    drawer: PaymentOutcome['drawer'],
    balance: number | null,
    replayed: boolean,
  ): PaymentOutcome {
    return {
      payment: row,
      amount: fromMinor(row.amountMinor),
      tendered: row.tenderedMinor === null ? null : fromMinor(row.tenderedMinor),
      change: row.changeMinor === null ? null : fromMinor(row.changeMinor),
      currency: row.currency,
      balance,
      refused,
      receipt,
      drawer,
      replayed,
    };
  }

  #paymentReceipt(row: DeskPayment, info: PatronInformation, balance: number | null): Receipt {
    const language = info.language;
    const t = deskTexts(language);
    const fmt = receiptFormat({ language, timeZone: this.#o.site.timezone });
    const money = (minor: number) => formatReceiptAmount(fromMinor(minor), row.currency, fmt);
    const notes = [`${t.method[row.method]}: ${money(row.amountMinor)}`];
    // §9.4 column 10: cash tendered and change are shown by default.
    if (row.tenderedMinor !== null) notes.push(`${t.tendered}: ${money(row.tenderedMinor)}`);
    if (row.changeMinor !== null) notes.push(`${t.change}: ${money(row.changeMinor)}`);
    if (balance !== null && balance > 0) notes.push(`${t.remaining}: ${formatReceiptAmount(balance, row.currency, fmt)}`);
    notes.push(`${t.paymentNo}: ${this.#o.site.department}-${row.id}`, `${t.cashier}: ${row.staff}`);
    return {
      language,
      printedAt: row.createdAt,
      timeZone: this.#o.site.timezone,
      title: t.paymentTitle,
      header: { libraryName: this.#o.site.name, department: this.#o.site.department },
      patron: { cardNumber: info.barcode, name: `${info.lastName} ${info.firstName}` },
      sections: [
        { kind: 'fees', currency: row.currency, items: row.lines.map((l) => ({ description: l.description, amount: l.amount, ...(l.itemBarcode ? { barcode: l.itemBarcode } : {}) })) },
        { kind: 'note', lines: notes },
      ],
      footer: { thankYou: true },
    };
  }

  // ------------------------------------------------------------------------------------- closing

  #day(day?: string): DeskResult<string> {
    const d = day ?? businessDay(this.#now(), this.#o.site.timezone);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`))) return fail('bad_request', `day must be a date YYYY-MM-DD, got "${d}"`);
    return { ok: true, data: d };
  }

  /** The day's unclosed desk payments and their totals (nothing is changed). */
  closingReport(day?: string): DeskResult<ClosingReport> {
    const d = this.#day(day);
    if (!d.ok) return d;
    const payments = this.archive.openPayments(d.data, this.#o.site.department);
    return { ok: true, data: { businessDay: d.data, department: this.#o.site.department, payments, totals: totalsOf(payments, this.#o.currency) } };
  }

  /** Closes the day's payments (cannot be undone) and prints the report. */
  async closeDay(day: string | undefined, staff: string): Promise<DeskResult<{ closing: Closing; printed: boolean; printMessage: string | null }>> {
    const d = this.#day(day);
    if (!d.ok) return d;
    const closed = this.archive.close(d.data, this.#o.site.department, staff, this.#now().toISOString(), this.#o.currency);
    if (!closed) return fail('nothing_to_close', `There are no unclosed payments for ${d.data}.`);
    await durable(this.#o.db);
    this.#log.info({ closing: closed.closing.id, day: d.data, payments: closed.closing.paymentCount }, 'cash day closed');
    const printed = await this.#print(this.closingReceipt(closed.closing));
    return { ok: true, data: { closing: closed.closing, printed: printed.printed, printMessage: printed.message } };
  }

  /** The closing report as a receipt (the cash annex handed to accounting, §9.4). */
  closingReceipt(c: Pick<Closing, 'businessDay' | 'department' | 'closedBy' | 'closedAt' | 'totals'> & { id: number | null }): Receipt {
    const language = (this.#o.site.language in CLOSING_TEXTS ? this.#o.site.language : 'en') as DeskLanguage;
    const ct = CLOSING_TEXTS[language];
    const t = deskTexts(language);
    const fmt = receiptFormat({ language, timeZone: this.#o.site.timezone });
    const money = (minor: number) => formatReceiptAmount(fromMinor(minor), c.totals.currency, fmt);
    const method = (m: string) => t.method[m as 'cash'] ?? m;
    return {
      language,
      printedAt: c.closedAt,
      timeZone: this.#o.site.timezone,
      title: ct.title,
      header: { libraryName: this.#o.site.name, department: c.department },
      sections: [
        {
          kind: 'note',
          lines: [
            ...(c.id === null ? [ct.preview] : [`${ct.closingNo}: ${c.department}-${c.id}`]),
            `${ct.day}: ${c.businessDay}`,
            `${ct.closedBy}: ${c.closedBy}`,
            `${ct.payments}: ${c.totals.count}`,
          ],
        },
        { kind: 'fees', heading: ct.perMethod, currency: c.totals.currency, items: c.totals.byMethod.map((m) => ({ description: `${method(m.method)} (${m.count})`, amount: fromMinor(m.totalMinor) })) },
        {
          kind: 'note',
          heading: ct.perStaff,
          lines: c.totals.byStaff.map(
            (s) =>
              `${s.staff} (${s.count}): ${money(s.totalMinor)} - ${Object.entries(s.byMethod)
                .map(([m, v]) => `${method(m)} ${money(v)}`)
                .join(', ')}`,
          ),
        },
      ],
      footer: { thankYou: false },
    };
  }
}

function openFees(fees: readonly FeeLine[]): PatronDeskView['fees'] {
  return fees
    .filter((f) => f.remaining > 0)
    .map((f) => ({ id: f.id, description: f.description || f.kind, kind: f.kind, amount: f.amount, remaining: f.remaining, itemBarcode: f.itemBarcode, createdAt: f.createdAt }));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fileName(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
}

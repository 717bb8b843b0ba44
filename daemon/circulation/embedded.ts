/**
 * The embedded circulation engine: CirculationBackend on SQLite, following the loan rules of
 * domain.md (COBISS3 and the Latvian and Hungarian seed libraries) as configured by a policy preset.
 *
 * Every change is one better-sqlite3 transaction, and it is on disk (group commit, daemon/store/db.ts)
 * before the caller is told it happened; a failure midway leaves nothing behind. Time comes from the injected
 * Clock (or from ctx.at for offline replays), never from the system clock.
 */
import type { Logger } from 'pino';
import type { Policy } from '../../config/schema.ts';
import { messageKey, reasonText, type KioskLanguage, type ReasonCode } from '../../protocols/kiosk-api/reasons.ts';
import type { Clock } from '../clock.ts';
import { durable, STORE_BUSY_TIMEOUT_MS, type Db } from '../store/db.ts';
import { prepareRows, type RowStatement } from '../store/rows.ts';
import type {
  BackendStatus,
  CancelHoldRequest,
  CheckinRequest,
  CheckinResult,
  CheckoutRequest,
  CheckoutResult,
  CirculationBackend,
  FeeLine,
  FeePaidRequest,
  FeePaidResult,
  HoldLine,
  HoldRequest,
  HoldResult,
  ItemInformation,
  ItemStatus,
  KitInfo,
  LoanLine,
  Outcome,
  PatronInformation,
  PatronSummary,
  Refusal,
  RenewAllResult,
  RenewResult,
  RequestContext,
  Routing,
} from './backend.ts';
import { Calendar, type CalendarDay } from './calendar.ts';
import { addPeriod, daysBetween, localDate, parsePeriod, type Period, type PlainDate } from './dates.ts';
import { verifyPin, verifyPinAsync } from './pin.ts';
import { computeFine, countFor, fromMinor, loanMode, timeParameter, toMinor } from './policy.ts';

export interface SiteInfo {
  department: string;
  timezone: string;
  language: KioskLanguage;
}

export interface EmbeddedOptions {
  db: Db;
  policy: Policy;
  clock: Clock;
  site: SiteInfo;
  logger?: Logger;
}

interface ItemRow {
  id: number;
  barcode: string;
  bib_id: string;
  title: string;
  author: string;
  material_type: string;
  department: string;
  call_number: string;
  access_p: string;
  status_q: string;
  restriction_u: string;
  price_minor: number | null;
  acquired_on: string | null;
  kit_id: number | null;
  kit_part: number | null;
  /** SIP2 19 item properties (CH) a self-check stored. */
  sc_properties?: string | null;
}

interface PatronRow {
  id: number;
  barcode: string;
  first_name: string;
  last_name: string;
  category: string;
  pin_hash: string | null;
  pin_failures: number;
  pin_locked_until: string | null;
  email: string | null;
  mobile: string | null;
  home_department: string;
  language: string;
  membership_expires: string | null;
  block_reason: string | null;
  block_note: string | null;
  max_items: number | null;
  max_renewals: number | null;
  max_holds: number | null;
  lost_count: number;
}

interface LoanRow {
  id: number;
  item_id: number;
  patron_id: number | null;
  status: 'C' | 'S' | 'D' | 'B' | 'L';
  department: string;
  kit_group: number | null;
  loaned_at: string;
  due_date: string | null;
  renewals: number;
  renewed_at: string | null;
  held_reason: string | null;
  held_expires: string | null;
}

interface HoldRow {
  id: number;
  patron_id: number;
  bib_id: string;
  item_id: number | null;
  assigned_item_id: number | null;
  status: 'R' | 'O' | 'W' | 'U';
  pickup_place: string | null;
  created_at: string;
  expires_on: string | null;
  expires_at: string | null;
  ready_at: string | null;
}

interface Unit {
  item: ItemRow;
  loan: LoanRow | undefined;
}

/** COBISS transaction codes (domain.md §2.4) used in the journal. */
const TX = {
  homeLoan: 11,
  readingRoomLoan: 12,
  holdTitle: 13,
  holdCopy: 14,
  renewal: 16,
  return: 17,
  returnWithHold: 18,
  lost: 19,
  holdEdit: 39,
  payment: 32,
  claim: 1,
} as const;

type Block = { reason: ReasonCode; details?: Record<string, unknown> };
type BlockScope = 'home_loan' | 'reading_room' | 'renew' | 'hold';

/** Thrown inside a transaction to roll it back and answer with a refusal. */
class RefusalSignal extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.reason);
  }
}

/**
 * How long the embedded engine may take to answer: the wait for another connection's write lock
 * (STORE_BUSY_TIMEOUT_MS; the desk, the kiosk and the SIP2 bridge share the store), then the
 * transaction, its flush and a PIN check, milliseconds each on a working machine, within one second.
 */
export const EMBEDDED_REPLY_WITHIN_MS = STORE_BUSY_TIMEOUT_MS + 1000;

export class EmbeddedBackend implements CirculationBackend {
  readonly kind = 'embedded' as const;
  readonly calendar: Calendar;
  private readonly db: Db;
  private readonly policy: Policy;
  private readonly clock: Clock;
  private readonly site: SiteInfo;
  private readonly log: Logger | undefined;
  private readonly stmts = new Map<string, RowStatement>();
  /**
   * One better-sqlite3 transaction wrapper for every request: `inTransaction(fn)` runs fn in a
   * transaction (a savepoint when one is open), `.immediate(fn)` with the write lock taken first.
   * Made once: building the wrapper (db.transaction) for each request cost about 10 µs.
   */
  private readonly inTransaction: { <T>(fn: () => T): T; immediate<T>(fn: () => T): T };
  private parents = new Map<string, string | null>();
  private fixedDueDates = new Map<string, string | null>();
  private closed = false;

  constructor(opts: EmbeddedOptions) {
    this.db = opts.db;
    this.policy = opts.policy;
    this.clock = opts.clock;
    this.site = opts.site;
    this.log = opts.logger;
    this.inTransaction = this.db.transaction((fn: () => unknown) => fn()) as unknown as EmbeddedBackend['inTransaction'];
    this.calendar = new Calendar(opts.policy.calendar);
    this.reloadReferenceData();
  }

  get currency(): string {
    return this.policy.currency;
  }

  /** Re-reads material types, departments and calendar days after an import or staff edit. */
  reloadReferenceData(): void {
    this.parents = new Map(
      (this.db.prepare('SELECT code, parent FROM material_types').all() as { code: string; parent: string | null }[]).map(
        (r) => [r.code, r.parent],
      ),
    );
    this.fixedDueDates = new Map(
      (this.db.prepare('SELECT code, fixed_due_date FROM departments').all() as { code: string; fixed_due_date: string | null }[]).map(
        (r) => [r.code, r.fixed_due_date],
      ),
    );
    const days = new Map<string, Map<PlainDate, CalendarDay>>();
    for (const r of this.db.prepare('SELECT * FROM calendar_days').all() as Array<{
      department: string;
      date: string;
      closed: number;
      fine_charged: number;
      no_fine: number;
      note: string | null;
    }>) {
      let m = days.get(r.department);
      if (!m) days.set(r.department, (m = new Map()));
      m.set(r.date, { closed: !!r.closed, fineCharged: !!r.fine_charged, noFine: !!r.no_fine, note: r.note });
    }
    this.calendar.replaceSpecialDays(days);
  }

  // ---------------------------------------------------------------- plumbing

  private q(sql: string): RowStatement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = prepareRows(this.db, sql)));
    return s;
  }

  /**
   * The time of a request: now, or the original time of an offline/no-block transaction. A time
   * after now is a client's clock gone wrong (a self-check's batch dated next year): it is taken as
   * now, so it can neither charge fines for days that have not happened nor lend into the future.
   */
  private now(ctx: RequestContext): Date {
    const now = this.clock.now();
    return ctx.at && ctx.at.getTime() < now.getTime() ? ctx.at : now;
  }

  private today(ctx: RequestContext): PlainDate {
    return localDate(this.now(ctx), this.site.timezone);
  }

  private dept(ctx: RequestContext): string {
    return ctx.department ?? this.site.department;
  }

  private parentOf = (t: string): string | null => this.parents.get(t) ?? null;

  private lang(ctx: RequestContext, patron?: PatronRow): KioskLanguage {
    return ctx.language ?? (patron?.language as KioskLanguage | undefined) ?? this.site.language;
  }

  refusal(reason: ReasonCode, language: KioskLanguage, details?: Record<string, unknown>): Refusal {
    return {
      ok: false,
      reason,
      messageKey: messageKey(reason),
      screenMessage: reasonText(reason, language, details),
      ...(details ? { details } : {}),
    };
  }

  private refuse(reason: ReasonCode, language: KioskLanguage, details?: Record<string, unknown>): never {
    throw new RefusalSignal(this.refusal(reason, language, details));
  }

  private money(minor: number): string {
    return `${fromMinor(minor).toFixed(2)} ${this.policy.currency}`;
  }

  /**
   * Runs one request as one transaction. A refusal rolls back whatever the request wrote, except
   * what `keepOnRefusal` writes (PIN failure counts). With an idempotency key the outcome is stored
   * in the same transaction and a retry returns it unchanged.
   */
  private async run<T extends object>(operation: string, ctx: RequestContext, fn: () => T): Promise<Outcome<T>> {
    const out = this.runTransaction(operation, ctx, fn);
    // Group commit (daemon/store/db.ts): the answer leaves only once the commit is on disk.
    await durable(this.db);
    return out;
  }

  private runTransaction<T extends object>(operation: string, ctx: RequestContext, fn: () => T): Outcome<T> {
    if (this.closed) return this.refusal('backend_unavailable', this.lang(ctx));
    const key = ctx.idempotencyKey;
    try {
      return this.inTransaction.immediate((): Outcome<T> => {
        if (key) {
          const prior = this.q('SELECT operation, result FROM idempotency WHERE key = ?').get(key) as
            | { operation: string; result: string }
            | undefined;
          if (prior) {
            // A key belongs to one request: reusing it for another operation is a client error.
            if (prior.operation !== operation) {
              return this.refusal('invalid_request', this.lang(ctx), { reason: `idempotency key already used for ${prior.operation}` });
            }
            return { ...(JSON.parse(prior.result) as Outcome<T>), replayed: true } as Outcome<T>;
          }
        }
        let out: Outcome<T>;
        try {
          out = { ok: true, ...fn() } as Outcome<T>;
        } catch (e) {
          if (!(e instanceof RefusalSignal)) throw e;
          out = e.refusal;
        }
        if (key) {
          this.q('INSERT INTO idempotency (key, operation, result, created_at) VALUES (?, ?, ?, ?)').run(
            key,
            operation,
            JSON.stringify(out),
            this.clock.now().toISOString(),
          );
        }
        if (!out.ok) throw new RefusalSignal(out as Refusal);
        return out;
        // IMMEDIATE: the write lock is taken before the first read. Another connection to the store
        // (the SIP2 bridge's engine thread, engine-thread.ts) may commit meanwhile; a deferred
        // transaction that read first would then fail to write (SQLITE_BUSY_SNAPSHOT) instead of waiting.
      });
    } catch (e) {
      if (e instanceof RefusalSignal) {
        // Rolled back. Store the refusal under its key in its own transaction, so a retry
        // gets the same answer.
        if (key) {
          this.q('INSERT OR IGNORE INTO idempotency (key, operation, result, created_at) VALUES (?, ?, ?, ?)').run(
            key,
            operation,
            JSON.stringify(e.refusal),
            this.clock.now().toISOString(),
          );
        }
        return e.refusal;
      }
      this.log?.error({ err: e, operation }, 'circulation request failed');
      return this.refusal('internal_error', this.lang(ctx));
    }
  }

  private journal(
    code: number,
    kind: string,
    ctx: RequestContext,
    fields: { patronId?: number | null; itemId?: number | null; groupId?: number | null; amountMinor?: number | null; detail?: unknown },
  ): void {
    this.q(
      `INSERT INTO journal (at, recorded_at, code, kind, channel, department, patron_id, item_id, group_id, amount_minor, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      this.now(ctx).toISOString(),
      this.clock.now().toISOString(),
      code,
      kind,
      ctx.noBlock ? `${ctx.channel ?? 'self'}:offline` : (ctx.channel ?? 'self'),
      this.dept(ctx),
      fields.patronId ?? null,
      fields.itemId ?? null,
      fields.groupId ?? null,
      fields.amountMinor ?? null,
      fields.detail === undefined ? null : JSON.stringify(fields.detail),
    );
  }

  // ---------------------------------------------------------------- lookups

  private findPatron(identifier: string): PatronRow | undefined {
    const id = identifier.trim();
    if (!id) return undefined;
    return (
      (this.q('SELECT * FROM patrons WHERE barcode = ?').get(id) as PatronRow | undefined) ??
      (this.q('SELECT p.* FROM patrons p JOIN patron_ids i ON i.patron_id = p.id WHERE i.value = ?').get(id) as
        | PatronRow
        | undefined)
    );
  }

  private patronById(id: number): PatronRow | undefined {
    return this.q('SELECT * FROM patrons WHERE id = ?').get(id) as PatronRow | undefined;
  }

  private findItem(barcode: string): ItemRow | undefined {
    return this.q('SELECT * FROM items WHERE barcode = ?').get(barcode.trim()) as ItemRow | undefined;
  }

  private itemById(id: number): ItemRow | undefined {
    return this.q('SELECT * FROM items WHERE id = ?').get(id) as ItemRow | undefined;
  }

  private openLoan(itemId: number): LoanRow | undefined {
    return this.q('SELECT * FROM loans WHERE item_id = ? AND closed_at IS NULL').get(itemId) as LoanRow | undefined;
  }

  /** A kit's units in part order, and its lead unit; a single item is its own lead. */
  private unitsOf(item: ItemRow): { lead: ItemRow; units: ItemRow[]; kit: { id: number; code: string; title: string } | null } {
    if (item.kit_id === null) return { lead: item, units: [item], kit: null };
    const kit = this.q('SELECT id, code, title, lead_item_id FROM kits WHERE id = ?').get(item.kit_id) as {
      id: number;
      code: string;
      title: string;
      lead_item_id: number | null;
    };
    const units = this.q('SELECT * FROM items WHERE kit_id = ? ORDER BY kit_part').all(item.kit_id) as ItemRow[];
    const lead = units.find((u) => u.id === kit.lead_item_id) ?? units[0] ?? item;
    return { lead, units, kit: { id: kit.id, code: kit.code, title: kit.title } };
  }

  private kitInfo(item: ItemRow): KitInfo | null {
    const { lead, units, kit } = this.unitsOf(item);
    if (!kit) return null;
    return {
      code: kit.code,
      title: kit.title,
      leadBarcode: lead.barcode,
      partsTotal: units.length,
      partNumber: item.kit_part ?? 0,
      parts: units.map((u) => ({ barcode: u.barcode, partNumber: u.kit_part ?? 0, title: u.title })),
    };
  }

  /** The hold a copy is assigned to (O/W), if any; a kit is assigned through its lead unit. */
  private assignedHold(leadId: number): HoldRow | undefined {
    return this.q('SELECT * FROM holds WHERE assigned_item_id = ? AND closed_at IS NULL').get(leadId) as HoldRow | undefined;
  }

  /** The reservation queue a returned copy serves: holds on this copy, then on its title. */
  private queueFor(lead: ItemRow, isKit: boolean): HoldRow[] {
    const rows = isKit
      ? this.q(`SELECT * FROM holds WHERE closed_at IS NULL AND status = 'R' AND item_id = ? ORDER BY created_at, id`).all(lead.id)
      : this.q(
          // Two indexed lookups rather than one OR that scans every open hold.
          `SELECT * FROM (
             SELECT * FROM holds WHERE closed_at IS NULL AND status = 'R' AND item_id = ?
             UNION ALL
             SELECT * FROM holds WHERE closed_at IS NULL AND status = 'R' AND bib_id = ? AND item_id IS NULL
           ) ORDER BY created_at, id`,
        ).all(lead.id, lead.bib_id);
    return rows as HoldRow[];
  }

  private itemStatus(item: ItemRow): ItemStatus {
    const { lead } = this.unitsOf(item);
    const loan = this.openLoan(item.id);
    if (loan) return loan.status;
    const hold = this.assignedHold(lead.id);
    if (hold && (hold.status === 'O' || hold.status === 'W')) return hold.status;
    return 'free';
  }

  // ---------------------------------------------------------------- patron rules

  private unpaidMinor(patronId: number, forBlock: boolean): number {
    const kinds = this.policy.debtBlock.feeKinds;
    const rows = this.q(
      'SELECT kind, amount_minor, paid_minor, waived_minor FROM fees WHERE patron_id = ? AND paid_minor + waived_minor < amount_minor',
    ).all(patronId) as Array<{ kind: string; amount_minor: number; paid_minor: number; waived_minor: number }>;
    let sum = 0;
    for (const r of rows) {
      if (forBlock) {
        if (kinds !== 'all' && !kinds.includes(r.kind as never)) continue;
        // The remainder of a partly paid claim is a "debt" that does not restrict services (001:L5341).
        if (!this.policy.debtBlock.partialPaymentDebtsCount && r.paid_minor > 0) continue;
      }
      sum += r.amount_minor - r.paid_minor - r.waived_minor;
    }
    return sum;
  }

  /** Everything that stops this patron from the given kind of service, first reason first. */
  private patronBlocks(p: PatronRow, today: PlainDate, scope: BlockScope | 'any'): Block[] {
    const blocks: Block[] = [];
    if (this.policy.patrons.checkMembershipExpiry && p.membership_expires && p.membership_expires < today) {
      blocks.push({ reason: 'membership_expired', details: { expired: p.membership_expires } });
    }
    if (p.block_reason === 'home_loan_ban') {
      if (scope === 'home_loan' || scope === 'renew' || scope === 'any') blocks.push({ reason: 'home_loan_ban' });
    } else if (p.block_reason) {
      // visits_disabled, card_withheld, staff, and sc_blocked (set by a self-check with SIP2 01)
      blocks.push({ reason: 'patron_blocked', details: { block: p.block_reason } });
    }
    const db = this.policy.debtBlock;
    const debtApplies = db.scope === 'all_services' || scope === 'home_loan' || scope === 'renew' || scope === 'any';
    if (debtApplies && db.threshold !== null) {
      const unpaid = this.unpaidMinor(p.id, true);
      if (unpaid > 0 && unpaid > toMinor(db.threshold)) {
        blocks.push({ reason: 'debt_block', details: { amount: this.money(unpaid), ...(db.scope === 'all_services' ? { allServices: true } : {}) } });
      }
    }
    if (debtApplies && db.overdueItemsBlock) {
      const overdue = this.q(
        `SELECT COUNT(*) AS n FROM loans WHERE patron_id = ? AND closed_at IS NULL AND status IN ('C','D') AND due_date < ?`,
      ).get(p.id, today) as { n: number };
      if (overdue.n > 0) blocks.push({ reason: 'overdue_block', details: { items: overdue.n, ...(db.scope === 'all_services' ? { allServices: true } : {}) } });
    }
    return blocks;
  }

  private summary(p: PatronRow, today: PlainDate): PatronSummary {
    return {
      barcode: p.barcode,
      firstName: p.first_name,
      lastName: p.last_name,
      category: p.category,
      language: p.language as KioskLanguage,
      homeDepartment: p.home_department,
      email: p.email,
      hasMobile: !!p.mobile,
      membershipExpires: p.membership_expires,
      blocks: this.patronBlocks(p, today, 'any'),
      pinSet: !!p.pin_hash,
    };
  }

  /** Loans that count against item limits: a kit counts as one (001:L3416). */
  private loanCount(patronId: number, statuses: string[], department: string | null, materialTypes: string[] | null): number {
    const params: unknown[] = [patronId];
    let sql = `SELECT COUNT(DISTINCT COALESCE(l.kit_group, l.id)) AS n FROM loans l JOIN items i ON i.id = l.item_id
      WHERE l.patron_id = ? AND l.closed_at IS NULL AND l.status IN (${statuses.map(() => '?').join(',')})`;
    params.push(...statuses);
    if (department) {
      sql += ' AND l.department = ?';
      params.push(department);
    }
    if (materialTypes) {
      // Only the kit's lead row carries the kit's type: the kit group is the lead's loan id.
      sql += ` AND (l.kit_group IS NULL OR l.kit_group = l.id) AND i.material_type IN (${materialTypes.map(() => '?').join(',')})`;
      params.push(...materialTypes);
    }
    return (this.q(sql).get(...params) as { n: number }).n;
  }

  private typeChain(t: string): string[] {
    const chain: string[] = [];
    for (let c: string | null = t; c && !chain.includes(c); c = this.parentOf(c)) chain.push(c);
    return chain;
  }

  /** Material types counted together with t: t and its sub-types. */
  private typeAndSubtypes(t: string): string[] {
    return [...this.parents.keys()].filter((c) => this.typeChain(c).includes(t));
  }

  private checkLimits(p: PatronRow, lead: ItemRow, mode: 'home' | 'reading_room', dept: string, lang: KioskLanguage): void {
    const lim = this.policy.limits;
    if (mode === 'reading_room') {
      const max = countFor(lim.readingRoomTotal, p.category);
      if (max !== null && this.loanCount(p.id, ['S'], null, null) + 1 > max) {
        this.refuse('too_many_items', lang, { limit: max });
      }
      return;
    }
    const total = p.max_items ?? countFor(lim.total, p.category);
    if (total !== null) {
      const current = this.loanCount(p.id, ['C', 'D'], lim.totalScope === 'department' ? dept : null, null);
      if (current + 1 > total) this.refuse('too_many_items', lang, { limit: total, current });
    }
    for (const t of this.typeChain(lead.material_type)) {
      const rule = lim.materialTypes[t];
      if (!rule) continue;
      const max = countFor(rule, p.category);
      if (max === null) break;
      const current = this.loanCount(p.id, ['C', 'D'], lim.scope === 'department' ? dept : null, this.typeAndSubtypes(t));
      if (current + 1 > max) this.refuse('too_many_items_of_type', lang, { limit: max, current, materialType: t });
      break;
    }
  }

  // ---------------------------------------------------------------- dates

  private period(name: Parameters<typeof timeParameter>[1], item: ItemRow, dept: string | null): Period | null {
    return timeParameter(this.policy, name, item.material_type, dept, this.parentOf);
  }

  /** An item-level loan period: 996u, else p = 1/2/3 (001:L2127). */
  private itemPeriod(item: ItemRow): Period | null {
    const u = item.restriction_u ? parsePeriod(item.restriction_u) : null;
    if (u && u.amount > 0) return u;
    const p = this.policy.itemPeriods[item.access_p as '1' | '2' | '3'];
    return p ? parsePeriod(p) : null;
  }

  private shift(date: PlainDate, period: Period, dept: string | null): PlainDate {
    const isClosed = (d: PlainDate) => this.calendar.isClosed(d, dept);
    return this.calendar.nextOpenDay(addPeriod(date, period, isClosed), dept);
  }

  /**
   * Due date of a home loan (domain.md §3.2, precedence of §5.3): an item-level period, else the
   * department's fixed due date, else the member category's period, else the material type's
   * period in this department; then moved past closed days. The department's fixed date wins over
   * the item period only where the preset says so (the "special parameter" of 001:L2131).
   */
  private dueDateFor(lead: ItemRow, p: PatronRow, today: PlainDate, dept: string): PlainDate | null {
    const itemPeriod = this.itemPeriod(lead);
    const fixed = this.fixedDueDates.get(dept) ?? null;
    if (fixed && fixed >= today && (!itemPeriod || this.policy.departmentFixedDateOverridesItem)) return fixed;
    if (itemPeriod) return this.shift(today, itemPeriod, dept);
    const cat = this.policy.categoryLoanPeriods[p.category];
    const catPeriod = cat ? parsePeriod(cat) : null;
    if (catPeriod && catPeriod.amount > 0) return this.shift(today, catPeriod, dept);
    const typePeriod = this.period('loan', lead, dept);
    if (!typePeriod || typePeriod.amount === 0) return null;
    return this.shift(today, typePeriod, dept);
  }

  /** Expiry of a reservation or a B/L status from a time parameter, moved past closed days. */
  private expiry(name: Parameters<typeof timeParameter>[1], lead: ItemRow, from: PlainDate, dept: string | null): PlainDate | null {
    const p = this.period(name, lead, dept) ?? (name === 'quarantine' ? this.period('holdTitle', lead, dept) : null);
    if (!p || p.amount === 0) return null;
    return this.shift(from, p, dept);
  }

  /** The due date a loan made on `date` would get (import of loans without a due date). */
  computeDueDate(itemBarcode: string, patronBarcode: string, date: PlainDate, dept: string, readingRoom = false): PlainDate | null {
    if (readingRoom) return date;
    const item = this.findItem(itemBarcode);
    const p = this.findPatron(patronBarcode);
    if (!item || !p) return null;
    return this.dueDateFor(this.unitsOf(item).lead, p, date, dept);
  }

  /** The expiry a reservation made on `date` would get (import of holds without one). */
  computeHoldExpiry(status: 'R' | 'O' | 'W', itemId: number | null, bibId: string, date: PlainDate): PlainDate | null {
    const item =
      (itemId !== null ? this.itemById(itemId) : undefined) ??
      (this.q('SELECT * FROM items WHERE bib_id = ? LIMIT 1').get(bibId) as ItemRow | undefined);
    if (!item) return null;
    const name = status === 'R' ? 'holdTitle' : status === 'O' ? 'holdCopy' : 'holdShelf';
    return this.expiry(name, item, date, item.department);
  }

  // ---------------------------------------------------------------- fines and fees

  private addFee(
    patronId: number,
    kind: string,
    amountMinor: number,
    ctx: RequestContext,
    opts: { itemId?: number | null; loanId?: number | null; department?: string | null; description?: string },
  ): number {
    const r = this.q(
      `INSERT INTO fees (patron_id, item_id, loan_id, kind, amount_minor, currency, department, created_at, description)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      patronId,
      opts.itemId ?? null,
      opts.loanId ?? null,
      kind,
      amountMinor,
      this.policy.currency,
      opts.department ?? this.dept(ctx),
      this.now(ctx).toISOString(),
      opts.description ?? '',
    );
    this.journal(TX.claim, `fee:${kind}`, ctx, { patronId, itemId: opts.itemId ?? null, amountMinor });
    return Number(r.lastInsertRowid);
  }

  /** Records the overdue fine of a loan (a kit: once, on its lead unit) and returns it. */
  private chargeFine(loan: LoanRow, lead: ItemRow, today: PlainDate, ctx: RequestContext): number {
    if (!loan.due_date || loan.patron_id === null || loan.due_date >= today) return 0;
    const readingRoom = loan.status === 'S';
    if (readingRoom && this.policy.fines.readingRoomPerDay === null) return 0;
    const fine = computeFine({
      policy: this.policy,
      calendar: this.calendar,
      dueDate: loan.due_date,
      returnDate: today,
      materialType: lead.material_type,
      department: loan.department,
      parentOf: this.parentOf,
      readingRoom,
    });
    if (fine.amountMinor <= 0) return 0;
    this.addFee(loan.patron_id, 'overdue', fine.amountMinor, ctx, {
      itemId: lead.id,
      loanId: loan.id,
      department: loan.department,
      description: `${lead.title}: ${fine.chargedDays} day(s) overdue (due ${loan.due_date})`,
    });
    return fine.amountMinor;
  }

  private loanFeeMinor(lead: ItemRow): number {
    for (const t of this.typeChain(lead.material_type)) {
      const v = this.policy.loanFees[t];
      if (v !== undefined) return toMinor(v);
    }
    return 0;
  }

  // ---------------------------------------------------------------- patrons

  async status(): Promise<BackendStatus> {
    let online = !this.closed;
    let detail = 'embedded SQLite engine';
    try {
      if (online) this.q('SELECT 1').get();
    } catch (e) {
      online = false;
      detail = (e as Error).message;
    }
    return {
      kind: 'embedded',
      online,
      detail,
      currency: this.policy.currency,
      replyWithinMs: EMBEDDED_REPLY_WITHIN_MS,
      supports: { checkout: true, checkin: true, renew: true, holds: true, fees: true },
    };
  }

  async lookupPatron(identifier: string, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronSummary }>> {
    const p = this.findPatron(identifier);
    if (!p) return this.refusal('unknown_patron', this.lang(ctx));
    return { ok: true, patron: this.summary(p, this.today(ctx)) };
  }

  async verifyPatron(identifier: string, pin: string | undefined, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronSummary }>> {
    if (this.closed) return this.refusal('backend_unavailable', this.lang(ctx));
    // Not through run(): a wrong PIN is a refusal that must still be written (the failure count).
    // The scrypt check runs off the event loop first; the count is then read and written in one
    // transaction, so two wrong PINs arriving together both count.
    const first = this.findPatron(identifier);
    const pinOk =
      first?.pin_hash && pin !== undefined && pin !== '' ? await verifyPinAsync(pin, first.pin_hash) : false;
    const out = this.inTransaction.immediate((): Outcome<{ patron: PatronSummary }> => {
      const p = this.findPatron(identifier);
      if (!p) return this.refusal('unknown_patron', this.lang(ctx));
      const lang = this.lang(ctx, p);
      const now = this.now(ctx);
      if (p.pin_locked_until && p.pin_locked_until > now.toISOString()) {
        return this.refusal('pin_locked', lang, { until: p.pin_locked_until });
      }
      if (!p.pin_hash) {
        if (this.policy.patrons.pinRequired) return this.refusal('pin_required', lang, { notSet: true });
        return { ok: true, patron: this.summary(p, this.today(ctx)) };
      }
      // An empty or missing PIN never passes for a patron who has one.
      if (pin === undefined || pin === '') return this.refusal('pin_required', lang);
      // The PIN changed while we were hashing: check against the new one.
      const matches = p.pin_hash === first?.pin_hash ? pinOk : verifyPin(pin, p.pin_hash);
      if (!matches) {
        const failures = p.pin_failures + 1;
        if (failures >= this.policy.patrons.maxPinFailures) {
          const until = new Date(now.getTime() + this.policy.patrons.pinLockoutMinutes * 60_000).toISOString();
          this.q('UPDATE patrons SET pin_failures = 0, pin_locked_until = ? WHERE id = ?').run(until, p.id);
          this.journal(0, 'pin_lockout', ctx, { patronId: p.id });
          return this.refusal('pin_locked', lang, { until });
        }
        this.q('UPDATE patrons SET pin_failures = ? WHERE id = ?').run(failures, p.id);
        return this.refusal('wrong_pin', lang, { attemptsLeft: this.policy.patrons.maxPinFailures - failures });
      }
      if (p.pin_failures > 0 || p.pin_locked_until) {
        this.q('UPDATE patrons SET pin_failures = 0, pin_locked_until = NULL WHERE id = ?').run(p.id);
      }
      return { ok: true, patron: this.summary(p, this.today(ctx)) };
    });
    await durable(this.db);
    return out;
  }

  async patronInformation(identifier: string, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronInformation }>> {
    const p = this.findPatron(identifier);
    if (!p) return this.refusal('unknown_patron', this.lang(ctx));
    const today = this.today(ctx);
    const loans = (
      this.q(
        `SELECT l.*, i.barcode, i.title, i.author, i.kit_id, i.kit_part FROM loans l JOIN items i ON i.id = l.item_id
         WHERE l.patron_id = ? AND l.closed_at IS NULL ORDER BY l.due_date, i.barcode`,
      ).all(p.id) as Array<LoanRow & { barcode: string; title: string; author: string; kit_id: number | null; kit_part: number | null }>
    ).map((l): LoanLine => {
      let kit: LoanLine['kit'] = null;
      if (l.kit_id !== null) {
        const k = this.q('SELECT code, lead_item_id, (SELECT COUNT(*) FROM items WHERE kit_id = kits.id) AS n FROM kits WHERE id = ?').get(
          l.kit_id,
        ) as { code: string; lead_item_id: number; n: number };
        kit = { code: k.code, partNumber: l.kit_part ?? 0, partsTotal: k.n, lead: k.lead_item_id === l.item_id };
      }
      return {
        barcode: l.barcode,
        title: l.title,
        author: l.author,
        status: l.status,
        loanedAt: l.loaned_at,
        dueDate: l.due_date,
        renewals: l.renewals,
        overdue: (l.status === 'C' || l.status === 'S' || l.status === 'D') && !!l.due_date && l.due_date < today,
        kit,
      };
    });
    const holds = (this.q('SELECT * FROM holds WHERE patron_id = ? AND closed_at IS NULL ORDER BY created_at, id').all(p.id) as HoldRow[]).map(
      (h) => this.holdLine(h),
    );
    const fees = this.feeLines(p.id);
    const balanceMinor = this.unpaidMinor(p.id, false);
    // The summary completed in place: spreading it into a new literal cost several times the object.
    const patron = this.summary(p, today) as PatronInformation;
    patron.loans = loans;
    patron.holds = holds;
    patron.fees = fees;
    patron.balance = fromMinor(balanceMinor);
    patron.currency = this.policy.currency;
    patron.lostCount = p.lost_count;
    patron.limits = {
      total: p.max_items ?? countFor(this.policy.limits.total, p.category),
      // As the checkout counts them (totalScope): by default the loans of this service point's department.
      current: this.loanCount(p.id, ['C', 'D'], this.policy.limits.totalScope === 'department' ? this.dept(ctx) : null, null),
    };
    return { ok: true, patron };
  }

  private feeLines(patronId: number): FeeLine[] {
    return (
      this.q(
        `SELECT f.*, i.barcode, i.title FROM fees f LEFT JOIN items i ON i.id = f.item_id
         WHERE f.patron_id = ? AND f.paid_minor + f.waived_minor < f.amount_minor ORDER BY f.created_at, f.id`,
      ).all(patronId) as Array<{
        id: number;
        kind: string;
        amount_minor: number;
        paid_minor: number;
        waived_minor: number;
        currency: string;
        created_at: string;
        barcode: string | null;
        title: string | null;
        description: string;
      }>
    ).map((f) => ({
      id: f.id,
      kind: f.kind,
      amount: fromMinor(f.amount_minor),
      paid: fromMinor(f.paid_minor),
      remaining: fromMinor(f.amount_minor - f.paid_minor - f.waived_minor),
      currency: f.currency,
      createdAt: f.created_at,
      itemBarcode: f.barcode,
      itemTitle: f.title,
      description: f.description,
    }));
  }

  private holdLine(h: HoldRow): HoldLine {
    const item = h.assigned_item_id ?? h.item_id;
    const it = item !== null ? this.itemById(item) : undefined;
    const title =
      it?.title ?? (this.q('SELECT title FROM items WHERE bib_id = ? LIMIT 1').get(h.bib_id) as { title: string } | undefined)?.title ?? '';
    let queuePosition: number | null = null;
    if (h.status === 'R') {
      const ahead = this.q(
        `SELECT COUNT(*) AS n FROM holds WHERE closed_at IS NULL AND status = 'R' AND bib_id = ?
           AND (created_at < ? OR (created_at = ? AND id < ?))`,
      ).get(h.bib_id, h.created_at, h.created_at, h.id) as { n: number };
      queuePosition = ahead.n + 1;
    }
    return {
      id: h.id,
      bibId: h.bib_id,
      title,
      status: h.status,
      itemBarcode: it?.barcode ?? null,
      pickupPlace: h.pickup_place,
      createdAt: h.created_at,
      expiresOn: h.expires_on,
      queuePosition,
    };
  }

  async itemInformation(barcode: string, ctx: RequestContext = {}): Promise<Outcome<{ item: ItemInformation }>> {
    const item = this.findItem(barcode);
    if (!item) return this.refusal('unknown_item', this.lang(ctx));
    const { lead, units } = this.unitsOf(item);
    const loan = this.openLoan(item.id);
    const hold = this.assignedHold(lead.id);
    const queue = this.queueFor(lead, units.length > 1);
    let patronBarcode: string | null = null;
    if (loan?.patron_id) patronBarcode = this.patronById(loan.patron_id)?.barcode ?? null;
    else if (hold) patronBarcode = this.patronById(hold.patron_id)?.barcode ?? null;
    return {
      ok: true,
      item: {
        barcode: item.barcode,
        bibId: item.bib_id,
        title: item.title,
        author: item.author,
        materialType: item.material_type,
        department: item.department,
        callNumber: item.call_number,
        status: this.itemStatus(item),
        stockStatus: item.status_q,
        accessLevel: item.access_p,
        restriction: item.restriction_u,
        dueDate: loan?.due_date ?? null,
        patronBarcode,
        holdQueueLength: queue.length + (hold ? 1 : 0),
        holdPickupPlace: hold?.pickup_place ?? null,
        holdExpiresOn: hold?.expires_on ?? null,
        loanMode: {
          home: loanMode(this.policy, lead.access_p, lead.status_q, 'home'),
          readingRoom: loanMode(this.policy, lead.access_p, lead.status_q, 'reading_room'),
        },
        kit: this.kitInfo(item),
        price: item.price_minor === null ? null : fromMinor(item.price_minor),
        currency: this.policy.currency,
        loanFee: this.loanFeeMinor(lead) > 0 ? fromMinor(this.loanFeeMinor(lead)) : null,
        scProperties: item.sc_properties ?? null,
      },
    };
  }

  // ---------------------------------------------------------------- checkout

  async checkout(req: CheckoutRequest, ctx: RequestContext = {}): Promise<Outcome<CheckoutResult>> {
    return this.run('checkout', ctx, () => this.doCheckout(req, ctx));
  }

  private doCheckout(req: CheckoutRequest, ctx: RequestContext): CheckoutResult {
    const p = this.findPatron(req.patron);
    if (!p) this.refuse('unknown_patron', this.lang(ctx));
    const lang = this.lang(ctx, p);
    const item = this.findItem(req.item);
    if (!item) this.refuse('unknown_item', lang, { item: req.item });
    const mode = req.mode ?? 'home';
    const today = this.today(ctx);
    const dept = this.dept(ctx);
    const channel = ctx.channel ?? 'self';
    const { lead, units, kit } = this.unitsOf(item);

    if (!ctx.noBlock) {
      const blocks = this.patronBlocks(p, today, mode === 'home' ? 'home_loan' : 'reading_room');
      if (blocks[0]) this.refuse(blocks[0].reason, lang, { ...blocks[0].details, blocks: blocks.map((b) => b.reason) });
    }

    // Only a complete kit is lent (001:L3403); the parts on the pad are checked when we are told them.
    if (kit && req.parts) {
      const present = new Set(req.parts.map((b) => b.trim()));
      const missing = units.filter((u) => !present.has(u.barcode));
      if (missing.length) {
        this.refuse('kit_incomplete', lang, {
          kit: kit.code,
          missing: missing.map((u) => `${u.kit_part}/${units.length} ${u.title}`).join(', '),
          missingParts: missing.map((u) => ({ barcode: u.barcode, partNumber: u.kit_part, title: u.title })),
        });
      }
    }

    // The state of every unit: a kit moves as a whole.
    const state: Unit[] = units.map((u) => ({ item: u, loan: this.openLoan(u.id) }));
    let conversion = false;
    for (const { item: u, loan } of state) {
      if (!loan) continue;
      // An item lent to this department (D) may be lent to its members here, and only here (001:L2270-2291).
      if (loan.status === 'D' && loan.patron_id === null && loan.department === dept && mode === 'home') continue;
      if (loan.patron_id === p.id && loan.status === 'S' && mode === 'home') {
        conversion = true; // reading-room loan turned into a home loan (001:L2123)
        continue;
      }
      if (loan.patron_id === p.id && (loan.status === 'C' || loan.status === 'S')) {
        this.refuse('item_already_yours', lang, { item: u.barcode, dueDate: loan.due_date });
      }
      if (loan.status === 'B') this.refuse('item_held', lang, { item: u.barcode });
      if (loan.status === 'L') this.refuse('item_lost', lang, { item: u.barcode });
      this.refuse('item_on_loan', lang, { item: u.barcode });
    }

    const hold = this.assignedHold(lead.id);
    if (hold && hold.patron_id !== p.id) this.refuse('item_reserved', lang, { item: lead.barcode });

    // Loan mode: 996u = 0d and damaged or lost units block a kit (001:L3485); else the pq table.
    if (kit && (lead.restriction_u === '0d' || units.some((u) => u.status_q === '6' || u.status_q === '8'))) {
      this.refuse('kit_blocked', lang, { kit: kit.code });
    }
    if (lead.restriction_u === '0d') this.refuse('item_not_loanable', lang, { item: lead.barcode });
    const m = loanMode(this.policy, lead.access_p, lead.status_q, mode);
    if (m === 'forbidden') this.refuse('item_not_loanable', lang, { item: lead.barcode, loanMode: m });
    if (m === 'conditional' || m === 'undefined') {
      // Self-service never completes a conditional loan (domain.md §4.4); staff confirm it.
      if (!(channel === 'staff' && req.confirmConditional)) this.refuse('ask_staff', lang, { item: lead.barcode, loanMode: m });
    }

    let dueDate: PlainDate;
    if (mode === 'reading_room') dueDate = today; // due the same day (001:L2204)
    else {
      const d = this.dueDateFor(lead, p, today, dept);
      if (!d) this.refuse('item_not_loanable', lang, { item: lead.barcode, reason: 'no loan period for this material type' });
      dueDate = d;
    }

    if (!ctx.noBlock) this.checkLimits(p, lead, mode, dept, lang);

    const feeMinor = mode === 'home' ? this.loanFeeMinor(lead) : 0;
    if (feeMinor > 0 && channel !== 'staff' && !req.feeAcknowledged && !ctx.noBlock) {
      this.refuse('fee_not_acknowledged', lang, { amount: this.money(feeMinor), fee: fromMinor(feeMinor), currency: this.policy.currency });
    }

    // Write: one row per unit, the lead first; every row carries the lead row's id as kit group.
    const now = this.now(ctx).toISOString();
    const status = mode === 'home' ? 'C' : 'S';
    const ordered = [lead, ...units.filter((u) => u.id !== lead.id)];
    let group: number | null = null;
    for (const u of ordered) {
      const existing = state.find((s) => s.item.id === u.id)?.loan;
      const fromDepartmentLoan = existing?.status === 'D';
      if (existing) {
        this.q(`UPDATE loans SET closed_at = ?, close_reason = ? WHERE id = ?`).run(now, fromDepartmentLoan ? 'lent_in_host' : 'converted', existing.id);
      }
      // A loan made from a department's D copy remembers it, so the copy goes back to D on return there.
      const r = this.q(
        `INSERT INTO loans (item_id, patron_id, status, department, kit_group, loaned_at, due_date, held_reason, held_expires)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(u.id, p.id, status, dept, group, now, dueDate, fromDepartmentLoan ? 'department_loan' : null, fromDepartmentLoan ? existing.due_date : null);
      if (kit && group === null) {
        group = Number(r.lastInsertRowid);
        this.q('UPDATE loans SET kit_group = ? WHERE id = ?').run(group, group);
      }
      this.journal(mode === 'home' ? TX.homeLoan : TX.readingRoomLoan, mode === 'home' ? 'checkout' : 'checkout_reading_room', ctx, {
        patronId: p.id,
        itemId: u.id,
        groupId: group,
        detail: { dueDate },
      });
    }
    if (hold) {
      this.q(`UPDATE holds SET closed_at = ?, close_reason = 'fulfilled' WHERE id = ?`).run(now, hold.id);
    }
    if (feeMinor > 0) {
      this.addFee(p.id, 'loan_fee', feeMinor, ctx, { itemId: lead.id, description: `Loan fee: ${lead.title}` });
    }
    return {
      patron: p.barcode,
      item: item.barcode,
      title: kit ? kit.title : item.title,
      dueDate,
      status,
      units: ordered.map((u) => ({ barcode: u.barcode, title: u.title, dueDate, kitPart: u.kit_part })),
      renewal: false,
      fee: feeMinor > 0 ? { amount: fromMinor(feeMinor), currency: this.policy.currency, kind: 'loan_fee' } : null,
      holdFulfilled: !!hold,
      ...(conversion ? { convertedFromReadingRoom: true } : {}),
    };
  }

  // ---------------------------------------------------------------- checkin

  async checkin(req: CheckinRequest, ctx: RequestContext = {}): Promise<Outcome<CheckinResult>> {
    return this.run('checkin', ctx, () => {
      const found: { item?: ItemRow } = {};
      const r = this.doCheckin(req, ctx, false, found);
      // The item as doCheckin read it (a return changes none of these), completed in place, not spread.
      const it = found.item!;
      r.itemDetails = { title: it.title, department: it.department, materialType: it.material_type, callNumber: it.call_number };
      return r;
    });
  }

  /** Staff "Zadrži": return with hold → B on the member's record until inspected (001:L2455). */
  async returnWithHold(req: CheckinRequest, ctx: RequestContext = {}): Promise<Outcome<CheckinResult>> {
    return this.run('return_with_hold', { channel: 'staff', ...ctx }, () => this.doCheckin(req, { channel: 'staff', ...ctx }, true));
  }

  private shelfRouting(): Routing {
    return { destination: 'shelf', forPatron: null, forPatronName: null, department: null, pickupPlace: null, holdExpiresOn: null, note: null };
  }

  private staffRouting(note: string): Routing {
    return { ...this.shelfRouting(), destination: 'staff', note };
  }

  /** `found.item` is set to the item's row once it is known (checkin adds its details to the reply). */
  private doCheckin(req: CheckinRequest, ctx: RequestContext, withHold: boolean, found?: { item?: ItemRow }): CheckinResult {
    const lang = this.lang(ctx);
    const item = this.findItem(req.item);
    if (!item) this.refuse('unknown_item', lang, { item: req.item });
    if (found) found.item = item;
    const today = this.today(ctx);
    const dept = this.dept(ctx);
    const channel = ctx.channel ?? 'self';
    const now = this.now(ctx).toISOString();
    const { lead, units, kit } = this.unitsOf(item);
    const state: Unit[] = units.map((u) => ({ item: u, loan: this.openLoan(u.id) }));
    const onMember = state.filter((s) => s.loan && s.loan.patron_id !== null);
    const anyLoan = state.find((s) => s.loan)?.loan;

    if (!anyLoan || (onMember.length === 0 && anyLoan.status === 'B')) {
      // Not on loan: say where it goes all the same (a sorter needs to know).
      const hold = this.assignedHold(lead.id);
      const routing = hold
        ? this.holdRouting(hold, lead)
        : anyLoan
          ? this.staffRouting(anyLoan.held_reason === 'other_department' ? 'held: returned in another department' : 'held for inspection')
          : this.shelfRouting();
      this.refuse('not_on_loan', lang, { item: item.barcode, routing, securityOn: true });
    }

    // Kits come back whole at a kiosk; an incomplete kit is not returned and goes to staff (001:L3432).
    const forgottenEarlier = state.some((s) => s.loan?.status === 'B' && s.loan.held_reason === 'kit_incomplete');
    if (kit && req.parts) {
      const present = new Set(req.parts.map((b) => b.trim()));
      // Units already back (B) are in the library; the patron brings the rest.
      const stillOut = state.filter((s) => s.loan && s.loan.status !== 'B');
      const missing = stillOut.filter((s) => !present.has(s.item.barcode)).map((s) => s.item);
      if (missing.length && channel !== 'staff') {
        this.refuse('kit_incomplete', lang, {
          kit: kit.code,
          missing: missing.map((u) => `${u.kit_part}/${units.length} ${u.title}`).join(', '),
          missingParts: missing.map((u) => ({ barcode: u.barcode, partNumber: u.kit_part, title: u.title })),
          routing: this.staffRouting('incomplete kit'),
        });
      }
    }

    const leadLoan = state.find((s) => s.item.id === lead.id)?.loan ?? anyLoan;
    const patronId = onMember[0]?.loan?.patron_id ?? null;
    const patron = patronId !== null ? this.patronById(patronId) : undefined;
    const lendingDept = leadLoan.department;

    // A D copy, or a member's loan made from one, returned at the copy's home department just comes home.
    const homeComing = (leadLoan.held_reason === 'department_loan' || leadLoan.status === 'D') && dept === lead.department;
    // Return in another department → B there; no reservation is served (001:L2487-2530).
    if (lendingDept !== dept && !withHold && leadLoan.status !== 'B' && !homeComing) {
      if (!this.policy.returns.anyDepartment && channel !== 'staff') {
        this.refuse('return_elsewhere_not_allowed', lang, { department: lendingDept, routing: this.staffRouting('wrong department') });
      }
      const fine = this.chargeFine(leadLoan, lead, today, ctx);
      const heldExpires = this.expiry('quarantine', lead, today, dept);
      let group: number | null = null;
      for (const s of state) {
        if (!s.loan) continue;
        this.q(`UPDATE loans SET closed_at = ?, close_reason = 'returned_other_department' WHERE id = ?`).run(now, s.loan.id);
        const r = this.q(
          `INSERT INTO loans (item_id, patron_id, status, department, kit_group, loaned_at, held_reason, held_expires)
           VALUES (?, NULL, 'B', ?, ?, ?, 'other_department', ?)`,
        ).run(s.item.id, dept, group, now, heldExpires);
        if (kit && group === null) {
          group = Number(r.lastInsertRowid);
          this.q('UPDATE loans SET kit_group = ? WHERE id = ?').run(group, group);
        }
        this.journal(TX.return, 'checkin_other_department', ctx, {
          patronId,
          itemId: s.item.id,
          groupId: group,
          detail: { lendingDepartment: lendingDept },
        });
      }
      if (patronId !== null && this.policy.returns.otherDepartmentFee > 0) {
        this.addFee(patronId, 'other_department', toMinor(this.policy.returns.otherDepartmentFee), ctx, {
          itemId: lead.id,
          department: dept,
          description: `Returned in department ${dept}`,
        });
      }
      return {
        item: item.barcode,
        title: kit ? kit.title : item.title,
        patron: patron?.barcode ?? null,
        units: units.map((u) => u.barcode),
        routing: {
          ...this.shelfRouting(),
          destination: 'other_department',
          department: lendingDept,
          note: `Vrnjeno v drugem oddelku / return to department ${lendingDept}`,
        },
        securityOn: true,
        fine: fine > 0 ? { amount: fromMinor(fine), currency: this.policy.currency } : null,
        wasOnLoan: true,
      };
    }

    const fine = leadLoan.status === 'B' ? 0 : this.chargeFine(leadLoan, lead, today, ctx);

    if (withHold) {
      const heldExpires = this.expiry('quarantine', lead, today, dept);
      for (const s of state) {
        if (!s.loan || (s.loan.status !== 'C' && s.loan.status !== 'S' && s.loan.status !== 'D')) continue;
        this.q(`UPDATE loans SET status = 'B', held_reason = 'inspection', held_expires = ?, department = ? WHERE id = ?`).run(
          heldExpires,
          dept,
          s.loan.id,
        );
        this.journal(TX.returnWithHold, 'return_with_hold', ctx, { patronId, itemId: s.item.id, groupId: s.loan.kit_group });
      }
      return {
        item: item.barcode,
        title: kit ? kit.title : item.title,
        patron: patron?.barcode ?? null,
        units: units.map((u) => u.barcode),
        routing: this.staffRouting('returned with hold (B): inspect before clearing'),
        securityOn: true,
        fine: fine > 0 ? { amount: fromMinor(fine), currency: this.policy.currency } : null,
        wasOnLoan: true,
      };
    }

    // A normal return: the member is cleared of every unit.
    let lostFound = 0;
    for (const s of state) {
      if (!s.loan) continue;
      if (s.loan.status === 'L') lostFound++;
      this.q(`UPDATE loans SET closed_at = ?, close_reason = 'returned' WHERE id = ?`).run(now, s.loan.id);
      this.journal(TX.return, 'checkin', ctx, { patronId: s.loan.patron_id, itemId: s.item.id, groupId: s.loan.kit_group });
    }
    if (lostFound && patronId !== null) {
      // A lost item found: the member's lost count goes back down (001:L3357).
      this.q('UPDATE patrons SET lost_count = MAX(0, lost_count - ?) WHERE id = ?').run(lostFound, patronId);
    }

    let routing: Routing;
    if (leadLoan.held_reason === 'department_loan' && !homeComing) {
      // Back to the host department's D record until the department returns it home.
      for (const s of state) {
        if (!s.loan) continue;
        this.q(
          `INSERT INTO loans (item_id, patron_id, status, department, loaned_at, due_date) VALUES (?, NULL, 'D', ?, ?, ?)`,
        ).run(s.item.id, dept, now, s.loan.held_expires);
      }
      return {
        item: item.barcode,
        title: kit ? kit.title : item.title,
        patron: patron?.barcode ?? null,
        units: units.map((u) => u.barcode),
        routing: { ...this.shelfRouting(), department: dept, note: `on loan to department ${dept} until ${leadLoan.held_expires ?? '-'}` },
        securityOn: true,
        fine: fine > 0 ? { amount: fromMinor(fine), currency: this.policy.currency } : null,
        wasOnLoan: true,
      };
    }
    if (lostFound) routing = this.staffRouting('item was recorded as lost');
    else if (forgottenEarlier) routing = this.staffRouting('kit parts returned earlier are with staff: reunite the kit');
    else routing = this.assignOnReturn(lead, units.length > 1, ctx);

    return {
      item: item.barcode,
      title: kit ? kit.title : item.title,
      patron: patron?.barcode ?? null,
      units: units.map((u) => u.barcode),
      routing,
      securityOn: true,
      fine: fine > 0 ? { amount: fromMinor(fine), currency: this.policy.currency } : null,
      wasOnLoan: true,
    };
  }

  private holdRouting(hold: HoldRow, lead: ItemRow): Routing {
    const p = this.patronById(hold.patron_id);
    return {
      destination: hold.status === 'W' ? 'hold_shelf' : 'processing',
      forPatron: p?.barcode ?? null,
      forPatronName: p ? `${p.last_name}, ${p.first_name.slice(0, 1)}.` : null,
      department: lead.department,
      pickupPlace: hold.pickup_place,
      holdExpiresOn: hold.expires_on,
      note: null,
    };
  }

  /**
   * A returned copy goes to the first reservation in its queue (R → W, or R → O in pickup-place
   * libraries); a copy that is only conditionally available, or not available, goes to staff, who
   * decide (001:L2550, domain.md §4.4).
   */
  private assignOnReturn(lead: ItemRow, isKit: boolean, ctx: RequestContext): Routing {
    const queue = this.queueFor(lead, isKit);
    const first = queue[0];
    if (!first) return this.shelfRouting();
    const mode = loanMode(this.policy, lead.access_p, lead.status_q, 'home');
    if (lead.restriction_u === '0d' || mode === 'forbidden') return this.staffRouting('reserved, but not available for loan');
    if (mode !== 'unconditional') return this.staffRouting('reserved, conditionally available: staff decide');
    const today = this.today(ctx);
    const now = this.now(ctx).toISOString();
    if (this.policy.holds.usePickupPlaces) {
      const expires = this.expiry('holdCopy', lead, today, lead.department);
      this.q(
        `UPDATE holds SET status = 'O', assigned_item_id = ?, processing = 'arrived', expires_on = ? WHERE id = ?`,
      ).run(lead.id, expires, first.id);
    } else {
      const expires = this.expiry('holdShelf', lead, today, lead.department);
      this.q(`UPDATE holds SET status = 'W', assigned_item_id = ?, ready_at = ?, expires_on = ?, processing = 'ready' WHERE id = ?`).run(
        lead.id,
        now,
        expires,
        first.id,
      );
    }
    this.journal(TX.holdCopy, 'hold_assigned', ctx, { patronId: first.patron_id, itemId: lead.id });
    const hold = this.q('SELECT * FROM holds WHERE id = ?').get(first.id) as HoldRow;
    return this.holdRouting(hold, lead);
  }

  // ---------------------------------------------------------------- renewals

  async renew(req: { patron: string; item: string; feeAcknowledged?: boolean }, ctx: RequestContext = {}): Promise<Outcome<RenewResult>> {
    return this.run('renew', ctx, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(ctx));
      const lang = this.lang(ctx, p);
      const blocks = this.patronBlocks(p, this.today(ctx), 'renew');
      if (blocks[0] && !ctx.noBlock) this.refuse(blocks[0].reason, lang, blocks[0].details);
      const item = this.findItem(req.item);
      if (!item) this.refuse('unknown_item', lang, { item: req.item });
      return this.doRenew(p, item, ctx, lang, req.feeAcknowledged === true);
    });
  }

  private doRenew(p: PatronRow, item: ItemRow, ctx: RequestContext, lang: KioskLanguage, feeAcknowledged: boolean): RenewResult {
    const today = this.today(ctx);
    const dept = this.dept(ctx);
    const { lead, units, kit } = this.unitsOf(item);
    const loan = this.openLoan(lead.id) ?? this.openLoan(item.id);
    if (!loan) this.refuse('not_on_loan', lang, { item: item.barcode });
    if (loan.patron_id !== p.id) this.refuse('not_your_loan', lang, { item: item.barcode });
    if (loan.status === 'S') this.refuse('reading_room_not_renewable', lang, { item: item.barcode });
    if (loan.status !== 'C' && loan.status !== 'D') this.refuse('not_renewable', lang, { item: item.barcode, status: loan.status });

    // Every restriction is checked on the lead unit only (001:L3586).
    const max = p.max_renewals ?? countFor(this.policy.renewals.maxCount, p.category);
    if (max !== null && loan.renewals >= max) this.refuse('renewal_limit', lang, { item: item.barcode, limit: max });
    if (this.policy.renewals.refuseIfReserved && !ctx.noBlock) {
      const queue = this.queueFor(lead, !!kit).filter((h) => h.patron_id !== p.id);
      if (queue.length) this.refuse('renewal_reserved', lang, { item: item.barcode, queue: queue.length });
    }
    const overdue = !!loan.due_date && loan.due_date < today;
    if (overdue && this.policy.renewals.refuseIfOverdue && !ctx.noBlock) this.refuse('renewal_overdue', lang, { item: item.barcode });
    const newDays = this.policy.renewals.newAcquisitionDays;
    if (newDays !== null && lead.acquired_on && daysBetween(lead.acquired_on, today) < newDays) {
      this.refuse('renewal_new_acquisition', lang, { item: item.barcode });
    }
    if (lead.restriction_u === '0d' || loanMode(this.policy, lead.access_p, lead.status_q, 'home') !== 'unconditional') {
      this.refuse('not_renewable', lang, { item: item.barcode });
    }
    const period = this.itemPeriod(lead) ?? this.period('renewal', lead, dept);
    if (!period || period.amount === 0) this.refuse('not_renewable', lang, { item: item.barcode });
    // Counted from the day of renewal, moved past closed days (001:L2611, L2646).
    const fixed = this.fixedDueDates.get(dept) ?? null;
    const newDue = fixed && fixed >= today && !this.itemPeriod(lead) ? fixed : this.shift(today, period, dept);
    if (loan.due_date && newDue <= loan.due_date) this.refuse('renewal_no_extension', lang, { item: item.barcode, dueDate: loan.due_date });

    const feeMinor = this.loanFeeMinor(lead);
    // A renewal fee is accepted first, as at checkout (SIP2 29/65 BO); nothing is charged before.
    if (feeMinor > 0 && ctx.channel !== 'staff' && !feeAcknowledged && !ctx.noBlock) {
      this.refuse('fee_not_acknowledged', lang, { item: item.barcode, amount: this.money(feeMinor), fee: fromMinor(feeMinor), currency: this.policy.currency });
    }
    const fine = overdue ? this.chargeFine(loan, lead, today, ctx) : 0;
    if (feeMinor > 0) this.addFee(p.id, 'loan_fee', feeMinor, ctx, { itemId: lead.id, description: `Renewal fee: ${lead.title}` });
    const now = this.now(ctx).toISOString();
    const ids = kit ? units.map((u) => this.openLoan(u.id)).filter((l): l is LoanRow => !!l && l.patron_id === p.id) : [loan];
    for (const l of ids) {
      this.q('UPDATE loans SET due_date = ?, renewals = renewals + 1, renewed_at = ? WHERE id = ?').run(newDue, now, l.id);
      this.journal(TX.renewal, 'renewal', ctx, { patronId: p.id, itemId: l.item_id, groupId: l.kit_group, detail: { dueDate: newDue } });
    }
    return {
      item: item.barcode,
      title: kit ? kit.title : item.title,
      dueDate: newDue,
      previousDueDate: loan.due_date,
      renewals: loan.renewals + 1,
      fine: fine > 0 ? { amount: fromMinor(fine), currency: this.policy.currency } : null,
      fee: feeMinor > 0 ? { amount: fromMinor(feeMinor), currency: this.policy.currency } : null,
    };
  }

  async renewAll(req: { patron: string; feeAcknowledged?: boolean }, ctx: RequestContext = {}): Promise<Outcome<RenewAllResult>> {
    return this.run('renew_all', ctx, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(ctx));
      const lang = this.lang(ctx, p);
      const blocks = this.patronBlocks(p, this.today(ctx), 'renew');
      if (blocks[0] && !ctx.noBlock) this.refuse(blocks[0].reason, lang, blocks[0].details);
      const loans = this.q(
        `SELECT l.*, i.barcode FROM loans l JOIN items i ON i.id = l.item_id
         WHERE l.patron_id = ? AND l.closed_at IS NULL AND l.status IN ('C','D','S')
           AND (l.kit_group IS NULL OR l.kit_group = l.id) ORDER BY l.due_date, i.barcode`,
      ).all(p.id) as Array<LoanRow & { barcode: string }>;
      const out: RenewAllResult = { renewed: [], refused: [] };
      for (const l of loans) {
        const item = this.itemById(l.item_id)!;
        // Each item in its own savepoint: a refused item changes nothing, the others go on.
        try {
          out.renewed.push(this.inTransaction(() => this.doRenew(p, item, ctx, lang, req.feeAcknowledged === true)));
        } catch (e) {
          if (!(e instanceof RefusalSignal)) throw e;
          out.refused.push({ item: item.barcode, title: item.title, reason: e.refusal.reason, screenMessage: e.refusal.screenMessage });
        }
      }
      return out;
    });
  }

  // ---------------------------------------------------------------- holds

  async placeHold(req: HoldRequest, ctx: RequestContext = {}): Promise<Outcome<HoldResult>> {
    return this.run('place_hold', ctx, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(ctx));
      const lang = this.lang(ctx, p);
      const today = this.today(ctx);
      const blocks = this.patronBlocks(p, today, 'hold');
      if (blocks[0]) this.refuse(blocks[0].reason, lang, blocks[0].details);
      if (req.pickupPlace) {
        const place = this.q('SELECT * FROM pickup_places WHERE code = ?').get(req.pickupPlace) as { kind: string } | undefined;
        if (!place) this.refuse('unknown_pickup_place', lang, { pickupPlace: req.pickupPlace });
        // Locker and delivery pickup need a mobile number (001:L2073-2076).
        if ((place.kind === 'locker' || place.kind === 'delivery') && !p.mobile) this.refuse('locker_needs_mobile', lang);
      }
      const max = p.max_holds ?? countFor(this.policy.holds.maxPerPatron, p.category);
      const current = (this.q('SELECT COUNT(*) AS n FROM holds WHERE patron_id = ? AND closed_at IS NULL').get(p.id) as { n: number }).n;
      if (max !== null && current + 1 > max) this.refuse('too_many_holds', lang, { limit: max });

      let target: ItemRow | undefined;
      let isKit = false;
      let bibId: string;
      if (req.item) {
        const item = this.findItem(req.item);
        if (!item) this.refuse('unknown_item', lang, { item: req.item });
        const u = this.unitsOf(item);
        target = u.lead;
        isKit = !!u.kit;
        bibId = u.lead.bib_id;
      } else if (req.bibId) {
        const copies = this.q('SELECT * FROM items WHERE bib_id = ? ORDER BY (department = ?) DESC, barcode').all(req.bibId, this.dept(ctx)) as ItemRow[];
        if (!copies.length) this.refuse('unknown_item', lang, { bibId: req.bibId });
        // A title whose copies belong to kits is reserved through a copy of the kit (001:L3623).
        if (copies.some((c) => c.kit_id !== null)) this.refuse('not_reservable', lang, { bibId: req.bibId, reason: 'kit' });
        bibId = req.bibId;
        target = copies.find((c) => this.isFreeForHold(c));
        if (!target && !copies.some((c) => loanMode(this.policy, c.access_p, c.status_q, 'home') !== 'forbidden')) {
          this.refuse('not_reservable', lang, { bibId });
        }
        const sample = target ?? copies[0]!;
        const rez = this.period('holdTitle', sample, this.dept(ctx));
        if (!rez || rez.amount === 0) this.refuse('not_reservable', lang, { bibId });
      } else {
        this.refuse('invalid_request', lang, { reason: 'an item or a title is needed' });
      }

      if (target) {
        const rez = this.period('holdTitle', target, this.dept(ctx));
        // No rez. value: the type cannot be reserved (001:L122).
        if (!rez || rez.amount === 0) this.refuse('not_reservable', lang, { item: target.barcode });
        if (loanMode(this.policy, target.access_p, target.status_q, 'home') === 'forbidden' || target.restriction_u === '0d') {
          this.refuse('not_reservable', lang, { item: target.barcode });
        }
      }
      const mine = this.q(
        `SELECT COUNT(*) AS n FROM loans l JOIN items i ON i.id = l.item_id
         WHERE l.patron_id = ? AND l.closed_at IS NULL AND l.status IN ('C','S','D') AND i.bib_id = ?`,
      ).get(p.id, bibId) as { n: number };
      // A member may reserve what they hold as B (001:L2742), not what they have on loan.
      if (mine.n > 0) this.refuse('item_already_yours', lang, { bibId });
      const dup = this.q('SELECT COUNT(*) AS n FROM holds WHERE patron_id = ? AND bib_id = ? AND closed_at IS NULL').get(p.id, bibId) as {
        n: number;
      };
      if (dup.n > 0) this.refuse('already_reserved', lang, { bibId });

      const now = this.now(ctx).toISOString();
      const dept = this.dept(ctx);
      let id: number;
      if (target && this.isFreeForHold(target)) {
        // A free copy is reserved as such: O, expiry from nar. (001:L2752-2760).
        const expires = this.expiry('holdCopy', target, today, dept) ?? this.expiry('holdTitle', target, today, dept);
        id = Number(
          this.q(
            `INSERT INTO holds (patron_id, bib_id, item_id, assigned_item_id, status, pickup_place, created_at, expires_on, processing)
             VALUES (?, ?, ?, ?, 'O', ?, ?, ?, 'arrived')`,
          ).run(p.id, bibId, target.id, target.id, req.pickupPlace ?? null, now, expires).lastInsertRowid,
        );
        this.journal(TX.holdCopy, 'hold_copy', ctx, { patronId: p.id, itemId: target.id });
      } else {
        // Non-free: queue on the title, or on the kit's lead unit (001:L3623); expiry from rez.
        const sample = target ?? (this.q('SELECT * FROM items WHERE bib_id = ? LIMIT 1').get(bibId) as ItemRow);
        const expires = this.expiry('holdTitle', sample, today, dept);
        id = Number(
          this.q(
            `INSERT INTO holds (patron_id, bib_id, item_id, status, pickup_place, created_at, expires_on)
             VALUES (?, ?, ?, 'R', ?, ?, ?)`,
          ).run(p.id, bibId, req.item && target ? target.id : null, req.pickupPlace ?? null, now, expires).lastInsertRowid,
        );
        this.journal(TX.holdTitle, 'hold_title', ctx, { patronId: p.id, itemId: target?.id ?? null, detail: { bibId, kit: isKit } });
      }
      return { hold: this.holdLine(this.q('SELECT * FROM holds WHERE id = ?').get(id) as HoldRow) };
    });
  }

  private isFreeForHold(item: ItemRow): boolean {
    if (this.openLoan(item.id) || this.assignedHold(item.id)) return false;
    if (item.restriction_u === '0d') return false;
    if (item.kit_id !== null) {
      const { units } = this.unitsOf(item);
      if (units.some((u) => this.openLoan(u.id))) return false;
    }
    return loanMode(this.policy, item.access_p, item.status_q, 'home') === 'unconditional';
  }

  async cancelHold(req: CancelHoldRequest, ctx: RequestContext = {}): Promise<Outcome<{ cancelled: HoldLine; fee?: { amount: number; currency: string } }>> {
    return this.run('cancel_hold', ctx, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(ctx));
      const lang = this.lang(ctx, p);
      const hold = this.findPatronHold(p.id, req);
      if (!hold) this.refuse('hold_not_found', lang);
      const line = this.holdLine(hold);
      const today = this.today(ctx);
      this.q(`UPDATE holds SET closed_at = ?, close_reason = 'cancelled' WHERE id = ?`).run(this.now(ctx).toISOString(), hold.id);
      this.journal(TX.holdEdit, 'hold_cancelled', ctx, { patronId: p.id, itemId: hold.assigned_item_id ?? hold.item_id });
      // Cancelling an expired W still costs the unclaimed-hold fee (001:L2931); the reply says so.
      let fee: { amount: number; currency: string } | undefined;
      if (hold.status === 'W' && hold.expires_on && hold.expires_on < today && this.policy.holds.unclaimedFee > 0) {
        this.addFee(p.id, 'unclaimed_hold', toMinor(this.policy.holds.unclaimedFee), ctx, {
          itemId: hold.assigned_item_id,
          description: `Reserved item not collected: ${line.title}`,
        });
        fee = { amount: this.policy.holds.unclaimedFee, currency: this.policy.currency };
      }
      // A W on the hold shelf passes on as W, where it lies. A W in a locker compartment (or a copy
      // whose next reservation is for a locker) passes on as O: staff take it out and process it
      // for the next pickup place, as on expiry (domain.md §8.3 step 9).
      if (hold.assigned_item_id !== null) this.passOn(hold, hold.status === 'W' && !this.isLockerPlace(hold.pickup_place) ? 'W' : 'O', ctx);
      return fee ? { cancelled: line, fee } : { cancelled: line };
    });
  }

  /** A patron's open reservation, by id, by a copy (or its kit), or by title. */
  private findPatronHold(patronId: number, req: CancelHoldRequest): HoldRow | undefined {
    if (req.holdId !== undefined) {
      return this.q('SELECT * FROM holds WHERE id = ? AND patron_id = ? AND closed_at IS NULL').get(req.holdId, patronId) as HoldRow | undefined;
    }
    if (req.item) {
      const item = this.findItem(req.item);
      if (!item) return undefined;
      const lead = this.unitsOf(item).lead;
      return this.q(
        `SELECT * FROM holds WHERE patron_id = ? AND closed_at IS NULL
           AND (assigned_item_id = ? OR item_id = ? OR (item_id IS NULL AND bib_id = ?)) ORDER BY id LIMIT 1`,
      ).get(patronId, lead.id, lead.id, lead.bib_id) as HoldRow | undefined;
    }
    if (req.bibId) {
      return this.q('SELECT * FROM holds WHERE patron_id = ? AND bib_id = ? AND closed_at IS NULL ORDER BY id LIMIT 1').get(patronId, req.bibId) as
        | HoldRow
        | undefined;
    }
    return undefined;
  }

  private isLockerPlace(code: string | null): boolean {
    if (!code) return false;
    return (this.q('SELECT kind FROM pickup_places WHERE code = ?').get(code) as { kind: string } | undefined)?.kind === 'locker';
  }

  /**
   * A copy freed by a cancelled or expired reservation goes to the next in its queue (001:L2905-2924).
   * A next reservation for a locker pickup place always gets it as O: a locker hold becomes W only
   * when its compartment is loaded and closed (with the locker's hours, not čak.).
   */
  private passOn(hold: HoldRow, wanted: 'O' | 'W', ctx: RequestContext): { toPatron: string | null } {
    const lead = this.itemById(hold.assigned_item_id!)!;
    const isKit = lead.kit_id !== null;
    const next = this.queueFor(lead, isKit)[0];
    if (!next) return { toPatron: null };
    const as = wanted === 'W' && this.isLockerPlace(next.pickup_place) ? 'O' : wanted;
    const today = this.today(ctx);
    const expires = as === 'W' ? this.expiry('holdShelf', lead, today, lead.department) : this.expiry('holdCopy', lead, today, lead.department);
    this.q(
      `UPDATE holds SET status = ?, assigned_item_id = ?, expires_on = ?, ready_at = ?, processing = ? WHERE id = ?`,
    ).run(as, lead.id, expires, as === 'W' ? this.now(ctx).toISOString() : null, as === 'W' ? 'ready' : 'in_processing', next.id);
    this.journal(TX.holdEdit, 'hold_passed_on', ctx, { patronId: next.patron_id, itemId: lead.id });
    return { toPatron: this.patronById(next.patron_id)?.barcode ?? null };
  }

  /** Staff: a reserved copy is ready for pickup (O → W, "Za prevzem"); a locker hold runs in hours. */
  async holdReady(itemBarcode: string, ctx: RequestContext = {}): Promise<Outcome<{ hold: HoldLine }>> {
    return this.run('hold_ready', { channel: 'staff', ...ctx }, () => {
      const lang = this.lang(ctx);
      const item = this.findItem(itemBarcode);
      if (!item) this.refuse('unknown_item', lang);
      const lead = this.unitsOf(item).lead;
      const hold = this.assignedHold(lead.id);
      if (!hold || hold.status !== 'O') this.refuse('hold_not_found', lang);
      const place = hold.pickup_place
        ? (this.q('SELECT kind FROM pickup_places WHERE code = ?').get(hold.pickup_place) as { kind: string } | undefined)
        : undefined;
      const now = this.now(ctx);
      let expiresOn: string | null;
      let expiresAt: string | null = null;
      if (place?.kind === 'locker') {
        const at = new Date(now.getTime() + this.policy.holds.lockerHoldHours * 3_600_000);
        expiresAt = at.toISOString();
        expiresOn = localDate(at, this.site.timezone);
      } else {
        expiresOn = this.expiry('holdShelf', lead, this.today(ctx), lead.department);
      }
      this.q(`UPDATE holds SET status = 'W', ready_at = ?, expires_on = ?, expires_at = ?, processing = 'ready' WHERE id = ?`).run(
        now.toISOString(),
        expiresOn,
        expiresAt,
        hold.id,
      );
      this.journal(TX.holdEdit, 'hold_ready', ctx, { patronId: hold.patron_id, itemId: lead.id });
      return { hold: this.holdLine(this.q('SELECT * FROM holds WHERE id = ?').get(hold.id) as HoldRow) };
    });
  }

  /**
   * Batch expiry of reservations (001:L2933-2958): expired R, O and U are deleted; an expired W is
   * deleted with the unclaimed-hold fee, and its copy passes to the next member as O, to be
   * processed, or back to the shelf. Returns what staff must pull from the hold shelf.
   */
  async expireHolds(
    ctx: RequestContext = {},
    opts: { exceptPickupPlaces?: readonly string[] } = {},
  ): Promise<Outcome<{ expired: Array<{ holdId: number; patron: string; status: string; item: string | null; title: string; next: string | null }> }>> {
    return this.run('expire_holds', { channel: 'staff', ...ctx }, () => {
      const now = this.now(ctx);
      const today = this.today(ctx);
      // Places whose own job expires them (our locker banks: compartments to empty, alerts) are left to it.
      const except = JSON.stringify(opts.exceptPickupPlaces ?? []);
      const due = this.q(
        `SELECT * FROM holds WHERE closed_at IS NULL AND (
           (expires_at IS NOT NULL AND expires_at < ?) OR (expires_at IS NULL AND expires_on IS NOT NULL AND expires_on < ?))
           AND (pickup_place IS NULL OR pickup_place NOT IN (SELECT value FROM json_each(?)))
         ORDER BY id`,
      ).all(now.toISOString(), today, except) as HoldRow[];
      const expired = [];
      for (const h of due) {
        const line = this.holdLine(h);
        this.q(`UPDATE holds SET closed_at = ?, close_reason = 'expired' WHERE id = ?`).run(now.toISOString(), h.id);
        this.journal(TX.holdEdit, 'hold_expired', ctx, { patronId: h.patron_id, itemId: h.assigned_item_id ?? h.item_id });
        if (h.status === 'W' && this.policy.holds.unclaimedFee > 0) {
          this.addFee(h.patron_id, 'unclaimed_hold', toMinor(this.policy.holds.unclaimedFee), ctx, {
            itemId: h.assigned_item_id,
            description: `Reserved item not collected: ${line.title}`,
          });
        }
        const next = h.assigned_item_id !== null ? this.passOn(h, 'O', ctx).toPatron : null;
        expired.push({
          holdId: h.id,
          patron: this.patronById(h.patron_id)?.barcode ?? '',
          status: h.status,
          item: line.itemBarcode,
          title: line.title,
          next,
        });
      }
      return { expired };
    });
  }

  // ---------------------------------------------------------------- staff operations on items

  /**
   * Staff return of a kit in the Komplet window (001:L3465-3525), unit by unit: returned,
   * forgotten (stays C, the returned ones become B), damaged (q = 6, lead u = 0d, member cleared of
   * all units, reservations deleted), lost (L, expiry from rez.), lost for good (q = 8, lead u = 0d).
   */
  async kitReturn(
    req: { item: string; forgotten?: string[]; damaged?: string[]; lost?: string[]; lostForGood?: string[] },
    ctx: RequestContext = {},
  ): Promise<Outcome<{ kit: string; units: Array<{ barcode: string; status: string }>; reservationsDeleted: number }>> {
    const sctx: RequestContext = { channel: 'staff', ...ctx };
    return this.run('kit_return', sctx, () => {
      const lang = this.lang(sctx);
      const item = this.findItem(req.item);
      if (!item) this.refuse('unknown_item', lang);
      const { lead, units, kit } = this.unitsOf(item);
      if (!kit) this.refuse('invalid_request', lang, { reason: 'not a kit' });
      const state: Unit[] = units.map((u) => ({ item: u, loan: this.openLoan(u.id) }));
      const leadLoan = state.find((s) => s.loan && s.loan.patron_id !== null)?.loan;
      if (!leadLoan) this.refuse('not_on_loan', lang);
      const patronId = leadLoan.patron_id!;
      const today = this.today(sctx);
      const dept = this.dept(sctx);
      const now = this.now(sctx).toISOString();
      const set = (xs?: string[]) => new Set((xs ?? []).map((s) => s.trim()));
      const forgotten = set(req.forgotten);
      const damaged = set(req.damaged);
      const lost = set(req.lost);
      const lostForGood = set(req.lostForGood);
      const blocking = damaged.size > 0 || lostForGood.size > 0;
      this.chargeFine(leadLoan, lead, today, sctx); // once, on the lead unit (001:L3447)
      const out: Array<{ barcode: string; status: string }> = [];
      let lostCount = 0;
      for (const s of state) {
        const b = s.item.barcode;
        if (!s.loan) continue;
        if (forgotten.has(b)) {
          out.push({ barcode: b, status: s.loan.status });
          continue; // stays C on the member
        }
        if (blocking || (!forgotten.size && !lost.size)) {
          this.q(`UPDATE loans SET closed_at = ?, close_reason = 'returned' WHERE id = ?`).run(now, s.loan.id);
          this.journal(TX.return, 'kit_return', sctx, { patronId, itemId: s.item.id, groupId: s.loan.kit_group });
          if (damaged.has(b)) this.q(`UPDATE items SET status_q = '6' WHERE id = ?`).run(s.item.id);
          if (lostForGood.has(b)) this.q(`UPDATE items SET status_q = '8' WHERE id = ?`).run(s.item.id);
          out.push({ barcode: b, status: damaged.has(b) ? '6' : lostForGood.has(b) ? '8' : 'free' });
        } else if (lost.has(b)) {
          const expires = this.expiry('holdTitle', lead, today, dept);
          this.q(`UPDATE loans SET status = 'L', lost_at = ?, held_expires = ? WHERE id = ?`).run(now, expires, s.loan.id);
          this.journal(TX.lost, 'lost', sctx, { patronId, itemId: s.item.id, groupId: s.loan.kit_group });
          lostCount++;
          out.push({ barcode: b, status: 'L' });
        } else {
          const expires = this.expiry('quarantine', lead, today, dept);
          this.q(`UPDATE loans SET status = 'B', held_reason = 'kit_incomplete', held_expires = ?, department = ? WHERE id = ?`).run(
            expires,
            dept,
            s.loan.id,
          );
          this.journal(TX.returnWithHold, 'kit_return_incomplete', sctx, { patronId, itemId: s.item.id, groupId: s.loan.kit_group });
          out.push({ barcode: b, status: 'B' });
        }
      }
      if (lostCount) this.q('UPDATE patrons SET lost_count = lost_count + ? WHERE id = ?').run(lostCount, patronId);
      let reservationsDeleted = 0;
      if (blocking) {
        // The kit is blocked through its lead unit, and its reservations are deleted (001:L3485).
        this.q(`UPDATE items SET restriction_u = '0d' WHERE id = ?`).run(lead.id);
        reservationsDeleted = this.q(
          `UPDATE holds SET closed_at = ?, close_reason = 'kit_blocked' WHERE closed_at IS NULL AND (item_id = ? OR assigned_item_id = ?)`,
        ).run(now, lead.id, lead.id).changes;
      }
      return { kit: kit.code, units: out, reservationsDeleted };
    });
  }

  /** Staff: final "Vrni" of a held (B) item after inspection or transfer; reservations are served now. */
  async clearHeld(itemBarcode: string, ctx: RequestContext = {}): Promise<Outcome<{ item: string; routing: Routing }>> {
    const sctx: RequestContext = { channel: 'staff', ...ctx };
    return this.run('clear_held', sctx, () => {
      const lang = this.lang(sctx);
      const item = this.findItem(itemBarcode);
      if (!item) this.refuse('unknown_item', lang);
      const { lead, units } = this.unitsOf(item);
      const now = this.now(sctx).toISOString();
      let any = false;
      for (const u of units) {
        const l = this.openLoan(u.id);
        if (l?.status !== 'B') continue;
        any = true;
        this.q(`UPDATE loans SET closed_at = ?, close_reason = 'cleared' WHERE id = ?`).run(now, l.id);
        this.journal(TX.return, 'held_cleared', sctx, { patronId: l.patron_id, itemId: u.id, groupId: l.kit_group });
      }
      if (!any) this.refuse('not_on_loan', lang);
      const stillOut = units.some((u) => this.openLoan(u.id));
      return { item: item.barcode, routing: stillOut ? this.staffRouting('kit parts still on loan') : this.assignOnReturn(lead, units.length > 1, sctx) };
    });
  }

  /**
   * Staff: inter-department loan (D), recorded in the home department. The home department's
   * period and calendar give the due date (001:L2276); the copy may be lent only to members of the
   * host department and not passed on.
   */
  async lendToDepartment(req: { item: string; department: string }, ctx: RequestContext = {}): Promise<Outcome<{ item: string; dueDate: string }>> {
    const sctx: RequestContext = { channel: 'staff', ...ctx };
    return this.run('department_loan', sctx, () => {
      const lang = this.lang(sctx);
      const item = this.findItem(req.item);
      if (!item) this.refuse('unknown_item', lang);
      if (!this.fixedDueDates.has(req.department) || req.department === item.department) {
        this.refuse('invalid_request', lang, { reason: 'not another department of this library' });
      }
      const { lead, units } = this.unitsOf(item);
      for (const u of units) if (this.openLoan(u.id)) this.refuse('item_on_loan', lang, { item: u.barcode });
      const hold = this.assignedHold(lead.id);
      if (hold) this.refuse('item_reserved', lang);
      const home = lead.department;
      const period = this.period('loan', lead, home);
      if (!period || period.amount === 0 || loanMode(this.policy, lead.access_p, lead.status_q, 'home') === 'forbidden') {
        this.refuse('item_not_loanable', lang);
      }
      const dueDate = this.shift(this.today(sctx), period, home);
      const now = this.now(sctx).toISOString();
      let group: number | null = null;
      for (const u of [lead, ...units.filter((x) => x.id !== lead.id)]) {
        const r = this.q(
          `INSERT INTO loans (item_id, patron_id, status, department, kit_group, loaned_at, due_date) VALUES (?, NULL, 'D', ?, ?, ?, ?)`,
        ).run(u.id, req.department, group, now, dueDate);
        if (units.length > 1 && group === null) {
          group = Number(r.lastInsertRowid);
          this.q('UPDATE loans SET kit_group = ? WHERE id = ?').run(group, group);
        }
        this.journal(TX.homeLoan, 'department_loan', sctx, { itemId: u.id, groupId: group, detail: { department: req.department, dueDate } });
      }
      return { item: item.barcode, dueDate };
    });
  }

  /** Staff: record a loan as lost (C/S → L, 001:L3333-3353); a kit's units all become L. */
  async markLost(req: { patron: string; item: string }, ctx: RequestContext = {}): Promise<Outcome<{ units: string[] }>> {
    const sctx: RequestContext = { channel: 'staff', ...ctx };
    return this.run('mark_lost', sctx, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(sctx));
      const lang = this.lang(sctx, p);
      const item = this.findItem(req.item);
      if (!item) this.refuse('unknown_item', lang);
      const { lead, units } = this.unitsOf(item);
      const now = this.now(sctx).toISOString();
      const expires = this.expiry('holdTitle', lead, this.today(sctx), this.dept(sctx));
      const done: string[] = [];
      for (const u of units) {
        const l = this.openLoan(u.id);
        if (!l || l.patron_id !== p.id || (l.status !== 'C' && l.status !== 'S')) continue;
        this.q(`UPDATE loans SET status = 'L', lost_at = ?, held_expires = ? WHERE id = ?`).run(now, expires, l.id);
        this.journal(TX.lost, 'lost', sctx, { patronId: p.id, itemId: u.id, groupId: l.kit_group });
        done.push(u.barcode);
      }
      if (!done.length) this.refuse('not_your_loan', lang);
      this.q('UPDATE patrons SET lost_count = lost_count + ? WHERE id = ?').run(done.length, p.id);
      return { units: done };
    });
  }

  // ---------------------------------------------------------------- fees

  async feePaid(req: FeePaidRequest, ctx: RequestContext = {}): Promise<Outcome<FeePaidResult>> {
    return this.run('fee_paid', ctx, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(ctx));
      const lang = this.lang(ctx, p);
      if (req.currency !== this.policy.currency) this.refuse('wrong_currency', lang, { currency: this.policy.currency });
      const amountMinor = toMinor(req.amount);
      if (!Number.isFinite(req.amount) || amountMinor <= 0) this.refuse('invalid_amount', lang);
      const open = (
        req.feeId !== undefined
          ? this.q('SELECT * FROM fees WHERE id = ? AND patron_id = ? AND paid_minor + waived_minor < amount_minor').all(req.feeId, p.id)
          : this.q('SELECT * FROM fees WHERE patron_id = ? AND paid_minor + waived_minor < amount_minor ORDER BY created_at, id').all(p.id)
      ) as Array<{ id: number; amount_minor: number; paid_minor: number; waived_minor: number }>;
      const owed = open.reduce((s, f) => s + f.amount_minor - f.paid_minor - f.waived_minor, 0);
      if (owed === 0) this.refuse(req.feeId !== undefined ? 'fee_not_found' : 'nothing_owed', lang);
      if (amountMinor > owed) this.refuse('amount_exceeds_debt', lang, { amount: this.money(owed) });
      const now = this.now(ctx).toISOString();
      const paymentId = Number(
        this.q('INSERT INTO payments (patron_id, amount_minor, currency, method, reference, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          p.id,
          amountMinor,
          req.currency,
          req.method,
          req.reference ?? null,
          now,
        ).lastInsertRowid,
      );
      let left = amountMinor;
      const settled: number[] = [];
      for (const f of open) {
        if (left === 0) break;
        const take = Math.min(left, f.amount_minor - f.paid_minor - f.waived_minor);
        this.q('UPDATE fees SET paid_minor = paid_minor + ? WHERE id = ?').run(take, f.id);
        this.q('INSERT INTO payment_allocations (payment_id, fee_id, amount_minor) VALUES (?, ?, ?)').run(paymentId, f.id, take);
        if (take === f.amount_minor - f.paid_minor - f.waived_minor) settled.push(f.id);
        left -= take;
      }
      this.journal(TX.payment, 'payment', ctx, { patronId: p.id, amountMinor, detail: { method: req.method, settled } });
      return {
        paid: fromMinor(amountMinor),
        balance: fromMinor(this.unpaidMinor(p.id, false)),
        currency: this.policy.currency,
        settled,
        paymentId,
      };
    });
  }

  async blockPatron(req: { patron: string; cardRetained: boolean; message: string }, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronSummary }>> {
    return this.run('block_patron', ctx, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(ctx));
      // A staff block is never overwritten by a device; a device block is remembered as such.
      if (!p.block_reason || p.block_reason === 'sc_blocked' || p.block_reason === 'card_withheld') {
        this.q('UPDATE patrons SET block_reason = ?, block_note = ?, blocked_at = ? WHERE id = ?').run(
          req.cardRetained ? 'card_withheld' : 'sc_blocked',
          req.message.slice(0, 255),
          this.now(ctx).toISOString(),
          p.id,
        );
      }
      this.journal(0, 'patron_blocked', ctx, { patronId: p.id, detail: { cardRetained: req.cardRetained } });
      return { patron: this.summary(this.patronById(p.id)!, this.today(ctx)) };
    });
  }

  async enablePatron(patron: string, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronSummary }>> {
    return this.run('enable_patron', ctx, () => {
      const p = this.findPatron(patron);
      if (!p) this.refuse('unknown_patron', this.lang(ctx));
      if (p.block_reason === 'sc_blocked') {
        this.q('UPDATE patrons SET block_reason = NULL, block_note = NULL, blocked_at = NULL WHERE id = ?').run(p.id);
        this.journal(0, 'patron_enabled', ctx, { patronId: p.id });
      }
      return { patron: this.summary(this.patronById(p.id)!, this.today(ctx)) };
    });
  }

  async changeHold(req: CancelHoldRequest & { pickupPlace: string }, ctx: RequestContext = {}): Promise<Outcome<HoldResult>> {
    return this.run('change_hold', ctx, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(ctx));
      const lang = this.lang(ctx, p);
      const hold = this.findPatronHold(p.id, req);
      if (!hold) this.refuse('hold_not_found', lang);
      const place = this.q('SELECT * FROM pickup_places WHERE code = ?').get(req.pickupPlace) as { kind: string } | undefined;
      if (!place) this.refuse('unknown_pickup_place', lang, { pickupPlace: req.pickupPlace });
      if ((place.kind === 'locker' || place.kind === 'delivery') && !p.mobile) this.refuse('locker_needs_mobile', lang);
      this.q('UPDATE holds SET pickup_place = ? WHERE id = ?').run(req.pickupPlace, hold.id);
      this.journal(TX.holdEdit, 'hold_changed', ctx, { patronId: p.id, detail: { pickupPlace: req.pickupPlace } });
      return { hold: this.holdLine(this.q('SELECT * FROM holds WHERE id = ?').get(hold.id) as HoldRow) };
    });
  }

  async setItemProperties(req: { item: string; properties: string }, ctx: RequestContext = {}): Promise<Outcome<{ item: string; title: string }>> {
    return this.run('item_properties', ctx, () => {
      const item = this.findItem(req.item);
      if (!item) this.refuse('unknown_item', this.lang(ctx));
      this.q('UPDATE items SET sc_properties = ? WHERE id = ?').run(req.properties.slice(0, 255), item.id);
      return { item: item.barcode, title: item.title };
    });
  }

  async endSession(patron: string, ctx: RequestContext = {}): Promise<Outcome<{ patron: string }>> {
    const p = this.findPatron(patron);
    if (!p) return this.refusal('unknown_patron', this.lang(ctx));
    return { ok: true, patron: p.barcode };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ---------------------------------------------------------------- lockers (daemon/lockers, domain.md §8.3)

  /** A reservation as the locker service needs it: the copy, the patron's contact data, the state. */
  private lockerHoldView(h: HoldRow & { processing?: string | null; closed_at?: string | null; close_reason?: string | null }) {
    const lead = this.itemById(h.assigned_item_id ?? h.item_id ?? -1);
    const p = this.patronById(h.patron_id)!;
    const kit = lead ? this.unitsOf(lead).kit : null;
    return {
      id: h.id,
      status: h.status,
      processing: h.processing ?? null,
      pickupPlace: h.pickup_place,
      expiresOn: h.expires_on,
      expiresAt: h.expires_at,
      closedAt: h.closed_at ?? null,
      closeReason: h.close_reason ?? null,
      item: lead
        ? { id: lead.id, barcode: lead.barcode, title: kit ? kit.title : lead.title, materialType: lead.material_type, kit: kit?.code ?? null }
        : null,
      patron: {
        id: p.id,
        barcode: p.barcode,
        firstName: p.first_name,
        lastName: p.last_name,
        email: p.email,
        mobile: p.mobile,
        language: (p.language as KioskLanguage) ?? this.site.language,
      },
    };
  }

  /** Locker service: the open reservation a copy (or the kit it belongs to) is assigned to. */
  lockerHoldForItem(itemBarcode: string, language?: KioskLanguage): { ok: true; hold: ReturnType<EmbeddedBackend['lockerHoldView']> } | Refusal {
    const lang = language ?? this.site.language;
    const item = this.findItem(itemBarcode);
    if (!item) return this.refusal('unknown_item', lang, { item: itemBarcode });
    const hold = this.assignedHold(this.unitsOf(item).lead.id);
    if (!hold) return this.refusal('hold_not_found', lang, { item: itemBarcode });
    return { ok: true, hold: this.lockerHoldView(hold) };
  }

  /** Locker service: a reservation by id, open or closed (to see what became of a hold in a compartment). */
  lockerHoldById(holdId: number): ReturnType<EmbeddedBackend['lockerHoldView']> | null {
    const h = this.q('SELECT * FROM holds WHERE id = ?').get(holdId) as HoldRow | undefined;
    return h ? this.lockerHoldView(h) : null;
  }

  /**
   * Locker loading: the compartment was closed with the items in it, so their reservations go O → W
   * with the bank's expiry instant (72 h by default, set by the locker rather than čak., 001:L102,
   * L4417). One transaction for the whole compartment.
   */
  async lockerHoldsLoaded(holdIds: number[], expiresAt: Date, ctx: RequestContext = {}): Promise<Outcome<{ holds: HoldLine[] }>> {
    return this.run('locker_loaded', { channel: 'staff', ...ctx }, () => {
      const lang = this.lang(ctx);
      const now = this.now(ctx).toISOString();
      const lines: HoldLine[] = [];
      for (const id of holdIds) {
        const h = this.q('SELECT * FROM holds WHERE id = ? AND closed_at IS NULL').get(id) as HoldRow | undefined;
        if (!h || (h.status !== 'O' && h.status !== 'W')) this.refuse('hold_not_found', lang, { holdId: id });
        this.q(`UPDATE holds SET status = 'W', ready_at = ?, expires_on = ?, expires_at = ?, processing = 'ready' WHERE id = ?`).run(
          now,
          localDate(expiresAt, this.site.timezone),
          expiresAt.toISOString(),
          h.id,
        );
        this.journal(TX.holdEdit, 'hold_ready', ctx, { patronId: h.patron_id, itemId: h.assigned_item_id, detail: { locker: true } });
        lines.push(this.holdLine(this.q('SELECT * FROM holds WHERE id = ?').get(h.id) as HoldRow));
      }
      return { holds: lines };
    });
  }

  /**
   * Locker pickup: every copy in the compartment is lent to the patron, its reservation satisfied
   * (001:L4417: "COBISS3 automatically records the checkout"). Per copy a result, so one refused
   * copy does not hide the others. The reservation was the patron's consent to a loan fee, so it is
   * acknowledged here. `dryRun` runs the same rules and rolls everything back: the service asks it
   * before it opens a door, so a door opens only when the loans can be recorded.
   */
  async lockerCheckout(
    req: { patron: string; items: string[] },
    ctx: RequestContext = {},
    opts: { dryRun?: boolean } = {},
  ): Promise<Outcome<{ results: Array<{ item: string; ok: true; loan: CheckoutResult } | { item: string; ok: false; refusal: Refusal }> }>> {
    const all = () => {
      const results: Array<{ item: string; ok: true; loan: CheckoutResult } | { item: string; ok: false; refusal: Refusal }> = [];
      for (const item of req.items) {
        try {
          // doCheckout refuses before it writes anything, so a refused copy leaves no trace.
          results.push({ item, ok: true, loan: this.doCheckout({ patron: req.patron, item, feeAcknowledged: true }, ctx) });
        } catch (e) {
          if (!(e instanceof RefusalSignal)) throw e;
          results.push({ item, ok: false, refusal: e.refusal });
        }
      }
      return { results };
    };
    if (!opts.dryRun) return this.run('locker_checkout', ctx, all);
    if (this.closed) return this.refusal('backend_unavailable', this.lang(ctx));
    let out: { results: Array<{ item: string; ok: true; loan: CheckoutResult } | { item: string; ok: false; refusal: Refusal }> } | undefined;
    const rollback = new Error('locker dry run');
    try {
      this.inTransaction.immediate(() => {
        out = all();
        throw rollback;
      });
    } catch (e) {
      if (e !== rollback) {
        this.log?.error({ err: e }, 'locker checkout check failed');
        return this.refusal('internal_error', this.lang(ctx));
      }
    }
    return { ok: true, ...out! };
  }

  /**
   * Expiry of the reservations of one pickup place (a locker bank), as the batch deletion does for
   * the whole library (001:L2933-2958): an expired W costs the unclaimed-hold fee where the preset
   * charges one (001:L5222), and its copy passes to the next member as O, or back to the shelf.
   */
  async expirePickupPlaceHolds(pickupPlace: string, ctx: RequestContext = {}): Promise<
    Outcome<{ expired: Array<{ holdId: number; patron: string; status: string; item: string | null; title: string; next: string | null; fee: number }> }>
  > {
    return this.run('expire_holds', { channel: 'staff', ...ctx }, () => {
      const now = this.now(ctx);
      const today = this.today(ctx);
      const due = this.q(
        `SELECT * FROM holds WHERE closed_at IS NULL AND pickup_place = ? AND (
           (expires_at IS NOT NULL AND expires_at < ?) OR (expires_at IS NULL AND expires_on IS NOT NULL AND expires_on < ?))
         ORDER BY id`,
      ).all(pickupPlace, now.toISOString(), today) as HoldRow[];
      const expired = [];
      for (const h of due) {
        const line = this.holdLine(h);
        this.q(`UPDATE holds SET closed_at = ?, close_reason = 'expired' WHERE id = ?`).run(now.toISOString(), h.id);
        this.journal(TX.holdEdit, 'hold_expired', ctx, { patronId: h.patron_id, itemId: h.assigned_item_id ?? h.item_id });
        let fee = 0;
        if (h.status === 'W' && this.policy.holds.unclaimedFee > 0) {
          fee = this.policy.holds.unclaimedFee;
          this.addFee(h.patron_id, 'unclaimed_hold', toMinor(fee), ctx, {
            itemId: h.assigned_item_id,
            description: `Reserved item not collected: ${line.title}`,
          });
        }
        const next = h.assigned_item_id !== null ? this.passOn(h, 'O', ctx).toPatron : null;
        expired.push({ holdId: h.id, patron: this.patronById(h.patron_id)?.barcode ?? '', status: h.status, item: line.itemBarcode, title: line.title, next, fee });
      }
      return { expired };
    });
  }

  // ------------------------------------------------ locker vendor over SIP2 (docs/locker-vendor.md)
  //
  // A bank driven by the vendor's own system (lockers.banks[].driver: vendor) reaches us only through
  // the SIP2 bridge. The vendor's account names the pickup places of its banks; these methods act only
  // on reservations for those places (domain.md §8.3).

  /** A "not collected" this much before our expiry instant still counts as the expiry (the clocks differ). */
  static readonly VENDOR_EXPIRY_SLACK_MS = 15 * 60_000;

  private vendorHoldView(h: HoldRow): import('./backend.ts').LockerHold {
    const lead = this.itemById(h.assigned_item_id!)!;
    const { units, kit } = this.unitsOf(lead);
    const p = this.patronById(h.patron_id)!;
    return {
      holdId: h.id,
      status: h.status === 'W' ? 'W' : 'O',
      pickupPlace: h.pickup_place ?? '',
      patron: p.barcode,
      patronName: `${p.last_name}, ${p.first_name.slice(0, 1)}.`,
      item: lead.barcode,
      units: units.map((u) => u.barcode),
      title: kit ? kit.title : lead.title,
      readyAt: h.status === 'W' ? h.ready_at : null,
      expiresAt: h.status === 'W' ? h.expires_at : null,
      expiresOn: h.expires_on,
    };
  }

  /**
   * Why the vendor's report about this copy and patron does not match a reservation at its places:
   * machine-readable, so the SIP2 bridge can say it plainly. A copy reserved for another patron and
   * one reserved for this patron at another place get the same answer: were they told apart, a vendor
   * could try card numbers until the answer changed and so learn who reserved the copy.
   */
  private vendorMismatch(
    p: PatronRow,
    lead: ItemRow,
    hold: HoldRow | undefined,
    places: string[],
  ): { situation: 'not_for_patron_here' | 'on_loan' | 'not_reserved' } {
    if (hold && (hold.patron_id !== p.id || !(hold.pickup_place && places.includes(hold.pickup_place)))) return { situation: 'not_for_patron_here' };
    if (this.openLoan(lead.id)) return { situation: 'on_loan' };
    return { situation: 'not_reserved' };
  }

  /** SIP2 17 from a locker vendor: the reservation a copy (or its kit) is assigned to, if any. */
  async lockerVendorHold(itemBarcode: string, ctx: RequestContext = {}): Promise<Outcome<{ hold: import('./backend.ts').LockerHold | null }>> {
    const item = this.findItem(itemBarcode);
    if (!item) return this.refusal('unknown_item', this.lang(ctx), { item: itemBarcode });
    const hold = this.assignedHold(this.unitsOf(item).lead.id);
    return { ok: true, hold: hold ? this.vendorHoldView(hold) : null };
  }

  /** SIP2 63 from a locker vendor: a patron's reservations for pickup at its places, and the mobile for its SMS. */
  async lockerVendorPatron(req: { patron: string; pickupPlaces: string[] }, ctx: RequestContext = {}): Promise<Outcome<import('./backend.ts').LockerPatron>> {
    const p = this.findPatron(req.patron);
    if (!p) return this.refusal('unknown_patron', this.lang(ctx));
    const rows = this.q(
      `SELECT * FROM holds WHERE patron_id = ? AND closed_at IS NULL AND status IN ('O','W') AND assigned_item_id IS NOT NULL ORDER BY id`,
    ).all(p.id) as HoldRow[];
    return {
      ok: true,
      patron: { barcode: p.barcode, firstName: p.first_name, lastName: p.last_name, mobile: p.mobile, language: this.lang({}, p) },
      holds: rows.filter((h) => h.pickup_place !== null && req.pickupPlaces.includes(h.pickup_place)).map((h) => this.vendorHoldView(h)),
    };
  }

  /**
   * SIP2 09 from a locker vendor: staff closed a compartment on a reserved copy, so it goes O → W
   * with the locker expiry (the bank's holdHours, else the preset's 72 h, counted from now: the
   * locker sets it, not čak.; 001:L102, L4417). Closing it again changes nothing. A copy on loan is
   * refused: a return into a locker is a deposit, not a check-in, until staff scan the item
   * (domain.md §8.4).
   */
  async lockerVendorLoad(
    req: { item: string; pickupPlace: string; holdHours?: number },
    ctx: RequestContext = {},
  ): Promise<Outcome<{ hold: import('./backend.ts').LockerHold; alreadyLoaded: boolean }>> {
    return this.run('locker_vendor_load', ctx, () => {
      const lang = this.lang(ctx);
      const place = this.q('SELECT code, kind FROM pickup_places WHERE code = ?').get(req.pickupPlace) as { code: string; kind: string } | undefined;
      if (!place || place.kind !== 'locker') this.refuse('unknown_pickup_place', lang, { pickupPlace: req.pickupPlace, situation: 'not_a_locker' });
      const item = this.findItem(req.item);
      if (!item) this.refuse('unknown_item', lang, { item: req.item });
      const { lead, units } = this.unitsOf(item);
      const hold = this.assignedHold(lead.id);
      if (!hold || hold.pickup_place !== place.code) {
        const onLoan = units.some((u) => this.openLoan(u.id));
        this.refuse('hold_not_found', lang, {
          item: item.barcode,
          situation: onLoan ? 'on_loan' : hold ? 'other_place' : 'not_reserved',
          ...(hold ? { pickupPlace: hold.pickup_place ?? '' } : {}),
        });
      }
      if (hold.status === 'W') return { hold: this.vendorHoldView(hold), alreadyLoaded: true };
      const now = this.now(ctx);
      const hours = req.holdHours !== undefined && Number.isInteger(req.holdHours) && req.holdHours > 0 ? req.holdHours : this.policy.holds.lockerHoldHours;
      const expiresAt = new Date(now.getTime() + hours * 3_600_000);
      this.q(`UPDATE holds SET status = 'W', ready_at = ?, expires_on = ?, expires_at = ?, processing = 'ready' WHERE id = ?`).run(
        now.toISOString(),
        localDate(expiresAt, this.site.timezone),
        expiresAt.toISOString(),
        hold.id,
      );
      this.journal(TX.holdEdit, 'hold_ready', ctx, { patronId: hold.patron_id, itemId: lead.id, detail: { locker: place.code, by: 'vendor' } });
      return { hold: this.vendorHoldView(this.q('SELECT * FROM holds WHERE id = ?').get(hold.id) as HoldRow), alreadyLoaded: false };
    });
  }

  /**
   * SIP2 11 from a locker vendor: the patron opened the compartment, so the copy is lent and the
   * reservation satisfied ("COBISS3 automatically records the checkout", 001:L4417). This records
   * what already happened: the door is open and the copy gone, so blocks, limits and a loan fee that
   * arose since the copy was reserved do not refuse it (a refusal would only lose track of the copy);
   * a loan fee is charged. Only a copy reserved for this patron at one of the vendor's places is
   * lent. A pickup reported again (a new sequence number) finds the loan it made and answers with it.
   */
  async lockerVendorPickup(
    req: { patron: string; item: string; pickupPlaces: string[] },
    ctx: RequestContext = {},
  ): Promise<Outcome<import('./backend.ts').LockerPickupResult>> {
    return this.run('locker_vendor_pickup', ctx, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(ctx));
      const lang = this.lang(ctx, p);
      const item = this.findItem(req.item);
      if (!item) this.refuse('unknown_item', lang, { item: req.item });
      const { lead, units, kit } = this.unitsOf(item);
      const hold = this.assignedHold(lead.id);
      if (hold && hold.patron_id === p.id && hold.pickup_place && req.pickupPlaces.includes(hold.pickup_place)) {
        // An O hold too: the copy was in the compartment even if its load report (09) never reached us.
        const mark = (this.q('SELECT COALESCE(MAX(id), 0) AS n FROM journal').get() as { n: number }).n;
        const loan = this.doCheckout({ patron: p.barcode, item: item.barcode, feeAcknowledged: true }, { ...ctx, noBlock: true });
        // doCheckout marks a no-block loan as an offline replay; this one is live unless the vendor said so.
        if (!ctx.noBlock) this.q('UPDATE journal SET channel = ? WHERE id > ?').run(ctx.channel ?? 'sip2', mark);
        return { ...loan, pickupPlace: hold.pickup_place, alreadyRecorded: false };
      }
      const loan = this.openLoan(lead.id);
      if (loan && loan.patron_id === p.id) {
        // The loan and the hold it fulfilled were written in one transaction, at one instant.
        const done = this.q(
          `SELECT * FROM holds WHERE patron_id = ? AND assigned_item_id = ? AND close_reason = 'fulfilled' AND closed_at = ? ORDER BY id DESC LIMIT 1`,
        ).get(p.id, lead.id, loan.loaned_at) as HoldRow | undefined;
        if (done?.pickup_place && req.pickupPlaces.includes(done.pickup_place)) {
          const dueDate = loan.due_date ?? '';
          return {
            patron: p.barcode,
            item: item.barcode,
            title: kit ? kit.title : item.title,
            dueDate,
            status: loan.status === 'S' ? ('S' as const) : ('C' as const),
            units: [lead, ...units.filter((u) => u.id !== lead.id)].map((u) => ({ barcode: u.barcode, title: u.title, dueDate, kitPart: u.kit_part })),
            renewal: false,
            fee: null,
            holdFulfilled: true,
            pickupPlace: done.pickup_place,
            alreadyRecorded: true,
          };
        }
      }
      this.refuse('hold_not_found', lang, { item: item.barcode, ...this.vendorMismatch(p, lead, hold, req.pickupPlaces) });
    });
  }

  /**
   * SIP2 15 `-` from a locker vendor: the copy was not collected and comes out of the compartment
   * (or the patron cancelled in the vendor's app). At or after the expiry instant it is the expiry of
   * §8.3 step 9: the reservation closes as expired, with the unclaimed-hold fee where the preset
   * charges one (001:L2931, L5222); before it, a cancellation without a fee. Either way the copy
   * goes to the next reservation in its queue as O, to be processed for that pickup place, or back
   * to the shelf (001:L2905-2924). Reported again, the first outcome is repeated (no second fee).
   */
  async lockerVendorRelease(
    req: { patron: string; item: string; pickupPlaces: string[] },
    ctx: RequestContext = {},
  ): Promise<Outcome<import('./backend.ts').LockerReleaseResult>> {
    // One instant for every row written, so a repeated report can find the fee of the first one.
    const c: RequestContext = { ...ctx, at: this.now(ctx) };
    return this.run('locker_vendor_release', c, () => {
      const p = this.findPatron(req.patron);
      if (!p) this.refuse('unknown_patron', this.lang(c));
      const lang = this.lang(c, p);
      const item = this.findItem(req.item);
      if (!item) this.refuse('unknown_item', lang, { item: req.item });
      const { lead } = this.unitsOf(item);
      const hold = this.assignedHold(lead.id);
      const nextOf = (): { patron: string; pickupPlace: string | null } | null => {
        const h = this.assignedHold(lead.id);
        const np = h ? this.patronById(h.patron_id) : undefined;
        return h && np ? { patron: np.barcode, pickupPlace: h.pickup_place } : null;
      };
      if (hold && hold.patron_id === p.id && hold.pickup_place && req.pickupPlaces.includes(hold.pickup_place)) {
        const view = this.vendorHoldView(hold);
        const now = this.now(c);
        let expired = false;
        if (hold.status === 'W') {
          if (hold.expires_at) expired = now.getTime() >= Date.parse(hold.expires_at) - EmbeddedBackend.VENDOR_EXPIRY_SLACK_MS;
          else if (hold.expires_on) expired = hold.expires_on < this.today(c);
        }
        const outcome = expired ? ('expired' as const) : ('cancelled' as const);
        this.q('UPDATE holds SET closed_at = ?, close_reason = ? WHERE id = ?').run(now.toISOString(), outcome, hold.id);
        this.journal(TX.holdEdit, expired ? 'hold_expired' : 'hold_cancelled', c, {
          patronId: p.id,
          itemId: lead.id,
          detail: { locker: hold.pickup_place, by: 'vendor' },
        });
        let fee: { amount: number; currency: string } | null = null;
        if (expired && this.policy.holds.unclaimedFee > 0) {
          this.addFee(p.id, 'unclaimed_hold', toMinor(this.policy.holds.unclaimedFee), c, {
            itemId: lead.id,
            description: `Reserved item not collected: ${view.title}`,
          });
          fee = { amount: this.policy.holds.unclaimedFee, currency: this.policy.currency };
        }
        this.passOn(hold, 'O', c);
        return { hold: view, outcome, fee, next: nextOf(), alreadyRecorded: false };
      }
      if (!hold || hold.patron_id !== p.id) {
        const done = this.q(
          `SELECT * FROM holds WHERE patron_id = ? AND assigned_item_id = ? AND closed_at IS NOT NULL
             AND close_reason IN ('expired', 'cancelled') ORDER BY closed_at DESC, id DESC LIMIT 1`,
        ).get(p.id, lead.id) as (HoldRow & { closed_at: string; close_reason: 'expired' | 'cancelled' }) | undefined;
        // Only when nothing happened to the copy since (no loan after the release).
        const since = this.q('SELECT COUNT(*) AS n FROM loans WHERE item_id = ? AND loaned_at > ?').get(lead.id, done?.closed_at ?? '') as { n: number };
        if (done?.pickup_place && req.pickupPlaces.includes(done.pickup_place) && since.n === 0) {
          // The fee of that release (the library's own expiry job may have written it a moment later).
          const f = this.q(
            `SELECT amount_minor FROM fees WHERE patron_id = ? AND item_id = ? AND kind = 'unclaimed_hold' AND created_at BETWEEN ? AND ? ORDER BY id LIMIT 1`,
          ).get(p.id, lead.id, done.closed_at, new Date(Date.parse(done.closed_at) + 5_000).toISOString()) as { amount_minor: number } | undefined;
          return {
            hold: this.vendorHoldView(done),
            outcome: done.close_reason,
            fee: f ? { amount: fromMinor(f.amount_minor), currency: this.policy.currency } : null,
            next: nextOf(),
            alreadyRecorded: true,
          };
        }
      }
      this.refuse('hold_not_found', lang, { item: item.barcode, ...this.vendorMismatch(p, lead, hold, req.pickupPlaces) });
    });
  }
}

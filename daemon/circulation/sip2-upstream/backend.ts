/**
 * CirculationBackend on an upstream library system over SIP2 (Koha, Evergreen, FOLIO, a
 * COBISS-style system, or another open-kiosk daemon), with an offline mode.
 *
 * Each method is one or a few SIP2 exchanges on a pooled, logged-in connection (pool.ts):
 *   lookupPatron/verifyPatron → 23 (FOLIO: 63 for a lookup without PIN), patronInformation → 63 per
 *   item list + 17 per item, itemInformation → 17, checkout → 11, checkin → 09, renew → 29,
 *   renewAll → 65, placeHold/cancelHold/changeHold → 15, feePaid → 37, endSession → 35,
 *   blockPatron → 01, enablePatron → 25, setItemProperties → 19, status → 99/98.
 * Refusals come back with the closest reason code and the upstream's own text (reasons.ts).
 *
 * Patron PINs: SIP2 servers check AD on each request, but the contract verifies a PIN once
 * (verifyPatron) and then lends. The PIN is therefore kept in memory for the patron's session (until
 * endSession or `patronSessionS`) and sent as AD; it is never written to disk or to a log.
 *
 * Offline (domain.md §10, scenario 25): when the upstream cannot be reached and offline mode is on,
 * lending, returning and renewing are accepted within the offline limits and written to the offline
 * queue (offline-queue.ts) with their original time; they are replayed in order with no-block=Y
 * when the upstream is back, before any new transaction goes to it. What the live rules refuse on
 * replay stays listed for staff. A replay that is sent and gets no usable answer (connection
 * dropped, timeout) counts as an attempt; after 5 it is listed for staff as failed, and the later
 * transactions of that item wait until staff have resolved it (doReplay). A loan or return sent
 * online and never answered is queued whatever the offline limits say. An item returned offline is
 * not lent again until its return is confirmed (reason offline_unconfirmed_return). Loans, returns
 * and renewals are also written to the local journal for the admin page (journal()).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { UpstreamBackendConfig } from '../../../config/schema.ts';
import { messageKey, reasonText, type KioskLanguage, type ReasonCode } from '../../../protocols/kiosk-api/reasons.ts';
import {
  makeSummary,
  sipDateFromInstant,
  sipEndOfDay,
  type CheckinResponse,
  type HoldResponse,
  type PatronInformationResponse,
  type PatronStatusResponse,
  type PatronEnableResponse,
  type Sip2Request,
  type SipDateTime,
  type SummaryCategory,
} from '../../../protocols/sip2/index.ts';
import type { Clock } from '../../clock.ts';
import { durable, type Db } from '../../store/db.ts';
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
  LoanLine,
  Outcome,
  PatronInformation,
  PatronSummary,
  Refusal,
  RenewAllResult,
  RenewResult,
  RequestContext,
  Routing,
} from '../backend.ts';
import { addDays, localDate } from '../dates.ts';
import { OfflineQueue, type OfflineTransaction } from '../offline-queue.ts';
import { resolveDialect, type Dialect } from './dialects.ts';
import {
  blocksFrom,
  entryBarcode,
  feeLineFrom,
  fineFrom,
  isUnknownItem,
  itemFrom,
  itemStatusOf,
  languageOf,
  money,
  parseDueDate,
  parseKitProperties,
  plainDateOf,
  routingFrom,
  splitName,
} from './mapping.ts';
import { Sip2UpstreamPool, UpstreamUnavailable, type PoolStatus, type UpstreamConnection } from './pool.ts';
import { FALLBACK_REASON, reasonFromText, type Operation, type ReasonMatch } from './reasons.ts';

export interface SiteInfo {
  department: string;
  timezone: string;
  language: KioskLanguage;
}

export interface Sip2UpstreamOptions {
  config: UpstreamBackendConfig;
  /** The 93 login password, already read from `passwordEnv` or `password` (resolveUpstreamPassword). */
  password: string;
  /** The daemon's store: the offline queue and the idempotency records live there. */
  db: Db;
  clock: Clock;
  site: SiteInfo;
  /** The library's currency, for amounts the upstream sends without BH. */
  currency: string;
  logger?: Logger;
  /** Idempotency keys for offline rows that came without one. */
  newKey?: () => string;
  /** Backoff jitter. */
  random?: () => number;
}

/** Marks a result the kiosk got while offline: the due date is provisional until the replay. */
export interface OfflineMark {
  offline: { queueId: number; idempotencyKey: string; provisional: true };
}

export interface ReplaySummary {
  replayed: number;
  refused: number;
  failed: number;
  remaining: number;
}

export interface UpstreamStatusEvent {
  online: boolean;
  detail: string;
  queued: number;
}

/** The login password from the environment variable named in the config, or the config itself. */
export function resolveUpstreamPassword(config: UpstreamBackendConfig, env: NodeJS.ProcessEnv = process.env): { password: string } | { error: string } {
  if (config.passwordEnv !== undefined) {
    const v = env[config.passwordEnv];
    if (v === undefined || v === '') return { error: `backend.passwordEnv: environment variable ${config.passwordEnv} is not set` };
    return { password: v };
  }
  if (config.user && config.password === undefined) return { error: 'backend.passwordEnv: the upstream login needs a password (name an environment variable)' };
  return { password: config.password ?? '' };
}

function tlsOptions(tls: UpstreamBackendConfig['tls']): boolean | ConnectionOptions {
  if (typeof tls === 'boolean') return tls;
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
  };
}

const MAX_REPLAY_ATTEMPTS = 5;

export class Sip2UpstreamBackend implements CirculationBackend {
  readonly kind = 'sip2-upstream' as const;
  readonly dialect: Dialect;
  readonly queue: OfflineQueue;
  private readonly pool: Sip2UpstreamPool;
  private readonly cfg: UpstreamBackendConfig;
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly site: SiteInfo;
  private readonly currency: string;
  private readonly tz: string;
  private readonly location: string;
  private readonly log: Logger | undefined;
  private readonly newKey: () => string;
  private readonly pins = new Map<string, { pin: string; expiresMs: number }>();
  private readonly holdTargets = new Map<number, { patron: string; item?: string; bibId?: string }>();
  private readonly holdIds = new Map<string, number>();
  private nextHoldId = 1;
  private replaying: Promise<ReplaySummary> | null = null;
  private replayTimer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(e: UpstreamStatusEvent) => void>();
  private closed = false;
  private readonly allowedPatron: RegExp | null;

  constructor(opts: Sip2UpstreamOptions) {
    const c = opts.config;
    this.cfg = c;
    this.db = opts.db;
    this.clock = opts.clock;
    this.site = opts.site;
    this.currency = opts.currency;
    this.tz = c.timezone ?? opts.site.timezone;
    this.location = c.location ?? opts.site.department;
    this.log = opts.logger;
    this.newKey = opts.newKey ?? (() => `offline:${randomUUID()}`);
    this.dialect = resolveDialect(c);
    this.queue = new OfflineQueue(opts.db, opts.clock);
    this.allowedPatron = c.offline.allowedPatronPattern !== null ? new RegExp(`^(?:${c.offline.allowedPatronPattern})$`) : null;
    this.pool = new Sip2UpstreamPool({
      host: c.host,
      port: c.port,
      tls: tlsOptions(c.tls),
      charset: this.dialect.charset,
      terminator: this.dialect.terminator,
      errorDetection: this.dialect.errorDetection,
      timeoutMs: c.timeoutMs,
      connectTimeoutMs: c.connectTimeoutMs,
      retries: c.retries,
      user: c.user,
      password: opts.password,
      location: this.location,
      poolSize: c.poolSize,
      reconnectMinMs: c.reconnect.minMs,
      reconnectMaxMs: c.reconnect.maxMs,
      keepaliveMs: c.keepaliveS * 1000,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
    this.pool.onChange((s) => {
      this.emit(s);
      // Back online: what was taken offline goes first (in order), before anything new.
      if (s.state === 'online' && this.queue.countPending() > 0) void this.replayOffline();
    });
  }

  /**
   * Connects (without failing the daemon when the upstream is down) and starts the replay timer.
   * Resolves after the first connection attempt.
   */
  async start(): Promise<void> {
    if (!this.replayTimer) {
      this.replayTimer = setInterval(() => {
        if (this.closed || this.queue.countPending() === 0) return;
        const s = this.pool.status();
        if (s.state === 'offline' && (s.nextAttemptInMs ?? 0) > 0) return; // the pool's probe will bring it back
        void this.replayOffline();
      }, this.cfg.offline.replayIntervalMs);
      this.replayTimer.unref();
    }
    await this.pool.probe();
    if (this.queue.countPending() > 0 && this.pool.status().state === 'online') await this.replayOffline();
  }

  /** Called when the upstream goes on or offline or the queue changes (for the kiosk's "offline" banner). */
  onStatusChange(listener: (e: UpstreamStatusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  poolStatus(): PoolStatus {
    return this.pool.status();
  }

  // ---------------------------------------------------------------- plumbing

  private sipNow(at?: Date): SipDateTime {
    return sipDateFromInstant(at ?? this.clock.now(), this.tz);
  }

  private lang(ctx: RequestContext = {}): KioskLanguage {
    return ctx.language ?? this.site.language;
  }

  private refusal(reason: ReasonCode, lang: KioskLanguage, text?: string, details?: Record<string, unknown>): Refusal {
    const screen = text?.trim();
    return {
      ok: false,
      reason,
      messageKey: messageKey(reason),
      screenMessage: screen || reasonText(reason, lang, details ?? {}),
      ...(details && Object.keys(details).length ? { details } : {}),
    };
  }

  /** A refusal from a reply's screen messages: the stated reason, else the operation's closest one. */
  private refusalFrom(op: Operation, screen: string[] | undefined, lang: KioskLanguage, details: Record<string, unknown> = {}, known?: ReasonMatch | null): Refusal {
    const m = known ?? reasonFromText(screen, op, this.dialect.reasonCatalogue) ?? { reason: FALLBACK_REASON[op] };
    return this.refusal(m.reason, lang, (screen ?? []).find((s) => s.trim()), { ...details, ...m.details });
  }

  private unavailable(lang: KioskLanguage, e: UpstreamUnavailable): Refusal {
    return this.refusal('backend_unavailable', lang, undefined, { upstream: e.message, outcomeUnknown: e.written });
  }

  private get ids() {
    return { institutionId: this.cfg.institutionId, terminalPassword: this.cfg.terminalPassword };
  }

  private pinFor(patron: string): string | undefined {
    const p = this.pins.get(patron);
    if (!p) return undefined;
    if (p.expiresMs < this.clock.now().getTime()) {
      this.pins.delete(patron);
      return undefined;
    }
    return p.pin;
  }

  private rememberPin(patron: string, pin: string): void {
    const now = this.clock.now().getTime();
    for (const [k, v] of this.pins) if (v.expiresMs < now) this.pins.delete(k);
    this.pins.set(patron, { pin, expiresMs: now + this.cfg.patronSessionS * 1000 });
  }

  private ad(patron: string): { patronPassword?: string } {
    const pin = this.pinFor(patron);
    return pin !== undefined ? { patronPassword: pin } : {};
  }

  /** Runs SIP2 exchanges on a pooled connection; an unreachable upstream comes back as UpstreamUnavailable. */
  private async call<T>(fn: (c: UpstreamConnection) => Promise<T>): Promise<T | UpstreamUnavailable> {
    if (this.closed) return new UpstreamUnavailable('closing', 'the backend is closed');
    try {
      return await this.pool.run(fn);
    } catch (e) {
      if (e instanceof UpstreamUnavailable) return e;
      throw e;
    }
  }

  /** A stored outcome for a retried request (same idempotency key), from the offline queue or the idempotency table. */
  private prior<T extends object>(operation: string, ctx: RequestContext): Outcome<T> | null {
    const key = ctx.idempotencyKey;
    if (!key) return null;
    const row = this.queue.byKey(key);
    if (row) {
      if (row.operation !== operation) {
        return this.refusal('invalid_request', this.lang(ctx), undefined, { reason: `idempotency key already used for ${row.operation}` });
      }
      return { ...(row.offlineResult as object), replayed: true } as Outcome<T>;
    }
    const r = this.db.prepare('SELECT operation, result FROM idempotency WHERE key = ?').get(key) as { operation: string; result: string } | undefined;
    if (!r) return null;
    if (r.operation !== operation) {
      return this.refusal('invalid_request', this.lang(ctx), undefined, { reason: `idempotency key already used for ${r.operation}` });
    }
    return { ...(JSON.parse(r.result) as object), replayed: true } as Outcome<T>;
  }

  /** Keeps the upstream's answer under the request's key (not a "cannot reach it": that may change). */
  private remember<T extends object>(operation: string, ctx: RequestContext, out: Outcome<T>): Outcome<T> {
    if (ctx.idempotencyKey && (out.ok || out.reason !== 'backend_unavailable')) {
      this.db
        .prepare('INSERT OR IGNORE INTO idempotency (key, operation, result, created_at) VALUES (?, ?, ?, ?)')
        .run(ctx.idempotencyKey, operation, JSON.stringify(out), this.clock.now().toISOString());
    }
    return out;
  }

  /**
   * A loan, return or renewal made through this kiosk, in the local journal (the admin page's recent
   * transactions and hourly counts, daemon/http/admin.ts). The upstream keeps the real record; on
   * this store the engine's tables are empty, so the row names the card, item and title itself (in
   * `detail`, patron_id and item_id null). Codes are COBISS's (domain.md §2.4) as the engine writes
   * them; an offline-queued one names its queue row and has the channel `…:offline`, as the engine
   * marks a no-block replay.
   */
  private journal(
    kind: 'checkout' | 'checkin' | 'renewal',
    ctx: RequestContext,
    f: { card: string | null; item: string; title: string; dueDate: string | null; offlineQueueId?: number },
  ): void {
    const code = kind === 'checkout' ? 11 : kind === 'checkin' ? 17 : 16;
    const channel = ctx.channel ?? 'self';
    const offline = ctx.noBlock || f.offlineQueueId !== undefined;
    // Key order fixed: knownDueDate finds an item's rows by the text `"item":"…"`.
    const detail = { item: f.item, card: f.card, title: f.title, dueDate: f.dueDate, ...(f.offlineQueueId !== undefined ? { offlineQueueId: f.offlineQueueId } : {}) };
    try {
      this.db
        .prepare(
          `INSERT INTO journal (at, recorded_at, code, kind, channel, department, patron_id, item_id, group_id, amount_minor, detail)
           VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?)`,
        )
        .run((ctx.at ?? this.clock.now()).toISOString(), this.clock.now().toISOString(), code, kind, offline ? `${channel}:offline` : channel, ctx.department ?? this.location, JSON.stringify(detail));
    } catch (err) {
      // A local record for the admin page: the transaction itself is done (or queued) and stands.
      this.log?.error({ err, kind, item: f.item }, 'transaction could not be written to the local journal');
    }
  }

  /** Journal rows for a checkout result: one per unit, as the engine writes a kit. */
  private journalCheckout(ctx: RequestContext, r: CheckoutResult, offlineQueueId?: number): void {
    for (const u of r.units) this.journal('checkout', ctx, { card: r.patron, item: u.barcode, title: u.title || r.title, dueDate: u.dueDate || r.dueDate, ...(offlineQueueId !== undefined ? { offlineQueueId } : {}) });
  }

  private journalCheckin(ctx: RequestContext, r: CheckinResult, offlineQueueId?: number): void {
    for (const u of r.units) this.journal('checkin', ctx, { card: r.patron, item: u, title: r.title, dueDate: null, ...(offlineQueueId !== undefined ? { offlineQueueId } : {}) });
  }

  /**
   * The latest due date this kiosk has given or seen for the current loan of an item (its own loans
   * and renewals, online or offline, since the item's last return through it), or null. The
   * journal has no index on the item (the engine never needs one); `instr` on the row's text
   * keeps the JSON parsing to the rows that name the item. Only offline renewals ask.
   */
  private knownDueDate(item: string): string | null {
    const needle = `"item":${JSON.stringify(item.trim())},`;
    const rows = this.db
      .prepare(`SELECT kind, json_extract(detail, '$.dueDate') AS due FROM journal WHERE patron_id IS NULL AND instr(detail, ?) > 0 AND json_valid(detail) ORDER BY id`)
      .all(needle) as Array<{ kind: string; due: string | null }>;
    let latest: string | null = null;
    for (const r of rows) {
      if (r.kind === 'checkin') latest = null;
      else if (r.due && /^\d{4}-\d{2}-\d{2}$/.test(r.due) && (latest === null || r.due > latest)) latest = r.due;
    }
    return latest;
  }

  private holdId(patron: string, target: { item?: string; bibId?: string }): number {
    const k = `${patron}\u0000${target.item ?? ''}\u0000${target.bibId ?? ''}`;
    let id = this.holdIds.get(k);
    if (id === undefined) {
      // Ids only need to outlive a kiosk session; keep the map from growing for ever.
      if (this.holdIds.size >= 10_000) {
        this.holdIds.clear();
        this.holdTargets.clear();
      }
      id = this.nextHoldId++;
      this.holdIds.set(k, id);
      this.holdTargets.set(id, { patron, ...target });
    }
    return id;
  }

  private emit(s: PoolStatus = this.pool.status()): void {
    if (!this.listeners.size) return;
    const queued = this.queue.countPending();
    const e = { online: s.state === 'online', detail: this.detail(s, queued), queued };
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log?.error({ err }, 'upstream status listener failed');
      }
    }
  }

  private detail(s: PoolStatus, queued: number): string {
    const where = `${this.cfg.host}:${this.cfg.port}`;
    if (s.state === 'online') {
      return `SIP2 upstream ${where} (${this.dialect.name})${queued ? `; ${queued} offline transactions queued for it` : ''}`;
    }
    const why = s.reason ?? `not connected to ${where}`;
    // "offline" first: the kiosk shows its offline banner on it (main.ts); the rest is the SIP2 98's AF.
    if (this.cfg.offline.enabled) return `offline: working offline, loans and returns are accepted and queued (${queued} transactions queued; upstream ${where}: ${why})`;
    return `upstream unavailable: ${why}`;
  }

  // ---------------------------------------------------------------- status

  async status(): Promise<BackendStatus> {
    let s = this.pool.status();
    if (!this.closed && (s.state !== 'offline' || (s.nextAttemptInMs ?? 0) === 0)) {
      await this.pool.probe(); // 99 on a connection, or a (re)connect when it is time
      s = this.pool.status();
    }
    const queued = this.queue.countPending();
    const acs = s.acs;
    const online = !this.closed && s.state === 'online' && (acs?.onlineStatus ?? true);
    const bx = acs?.supportedMessages;
    return {
      kind: 'sip2-upstream',
      online,
      detail: this.closed ? 'closed' : acs && s.state === 'online' && !acs.onlineStatus ? `the upstream reports itself offline (98)` : this.detail(s, queued),
      currency: this.currency,
      // Connecting, logging in, resends and the pool's queue each have their own limit (backend
      // config); how long the upstream itself takes is its own, so the sum is not ours to promise.
      replyWithinMs: null,
      supports: {
        checkout: bx ? bx.checkout && (acs?.checkoutOk ?? true) : true,
        checkin: bx ? bx.checkin && (acs?.checkinOk ?? true) : true,
        renew: bx ? bx.renew : true,
        holds: bx ? bx.hold : true,
        fees: bx ? bx.feePaid : true,
      },
      offline: {
        enabled: this.cfg.offline.enabled,
        // Unreachable (not merely reporting itself offline in a 98: then its answers still decide).
        active: this.cfg.offline.enabled && !this.closed && s.state !== 'online',
        queued,
        unresolved: this.queue.countUnresolved(),
      },
    };
  }

  // ---------------------------------------------------------------- patrons

  private summaryFrom(r: PatronStatusResponse | PatronInformationResponse | PatronEnableResponse, identifier: string): PatronSummary {
    const names = splitName(r.personalName);
    const email = 'emailAddress' in r ? (r.emailAddress ?? null) : null;
    return {
      barcode: r.patronIdentifier || identifier,
      firstName: names.firstName,
      lastName: names.lastName,
      category: r.extra?.find((f) => f.id === 'PC')?.value ?? '', // Envisionware patron class, where sent (reference §6)
      // SIP2 has a code for English (001) only; other languages come as 000: the site's.
      language: languageOf('language' in r ? r.language : undefined, this.site.language),
      homeDepartment: this.location,
      email,
      hasMobile: false, // SIP2 has no mobile number field
      membershipExpires: null,
      blocks: blocksFrom(r.patronStatus, r.screenMessage, this.dialect),
      pinSet: true, // not knowable over SIP2: assume so, so a PIN is always asked for
    };
  }

  /** Unknown patron: BL=N, or (servers without BL) no name. FOLIO puts the identifier in AE, so BL comes first. */
  private unknownPatron(r: { validPatron?: boolean; personalName: string }): boolean {
    return r.validPatron === false || (r.validPatron === undefined && !r.personalName.trim());
  }

  private offlinePatron(identifier: string): PatronSummary {
    return {
      barcode: identifier,
      firstName: '',
      lastName: '',
      category: '',
      language: this.site.language,
      homeDepartment: this.location,
      email: null,
      hasMobile: false,
      membershipExpires: null,
      blocks: [],
      pinSet: false,
    };
  }

  private offlineAllowed(patron: string): boolean {
    return this.cfg.offline.enabled && (!this.allowedPatron || this.allowedPatron.test(patron.trim()));
  }

  private req23(patron: string, pin: string): Sip2Request {
    return { code: '23', language: '000', transactionDate: this.sipNow(), ...this.ids, patronIdentifier: patron, patronPassword: pin };
  }

  private req63(patron: string, category: SummaryCategory | null, range: { startItem?: number; endItem?: number } = {}): Sip2Request {
    return {
      code: '63',
      language: '000',
      transactionDate: this.sipNow(),
      summary: makeSummary(category),
      ...this.ids,
      patronIdentifier: patron,
      ...this.ad(patron),
      ...range,
    };
  }

  async lookupPatron(identifier: string, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronSummary }>> {
    const lang = this.lang(ctx);
    const out = await this.call(async (c): Promise<Outcome<{ patron: PatronSummary }>> => {
      const r =
        this.dialect.lookupWith63 && this.pinFor(identifier) === undefined
          ? await c.send(this.req63(identifier, null), '64')
          : await c.send(this.req23(identifier, this.pinFor(identifier) ?? ''), '24');
      if (this.unknownPatron(r)) return this.refusalFrom('patron', r.screenMessage, lang, {}, { reason: 'unknown_patron' });
      return { ok: true, patron: this.summaryFrom(r, identifier) };
    });
    if (!(out instanceof UpstreamUnavailable)) return out;
    if (this.offlineAllowed(identifier)) return { ok: true, patron: this.offlinePatron(identifier) };
    return this.unavailable(lang, out);
  }

  async verifyPatron(identifier: string, pin: string | undefined, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronSummary }>> {
    const lang = this.lang(ctx);
    const given = pin ?? '';
    const out = await this.call(async (c): Promise<Outcome<{ patron: PatronSummary }>> => {
      if (given === '' && this.dialect.trustEmptyPinCq) {
        // Our server also says CQ=Y for a patron verified earlier on the same connection, and pooled
        // connections serve many kiosk sessions: end that patron's session on it first (35), so CQ=Y
        // can only mean "this patron has no PIN".
        await c.send({ code: '35', transactionDate: this.sipNow(), ...this.ids, patronIdentifier: identifier }, '36');
      }
      const r = await c.send(this.req23(identifier, given), '24');
      if (this.unknownPatron(r)) return this.refusalFrom('patron', r.screenMessage, lang, {}, { reason: 'unknown_patron' });
      // An empty PIN passes only where the server is known to say CQ=Y solely for patrons without one.
      const pinOk = r.validPatronPassword === true && (given !== '' || this.dialect.trustEmptyPinCq);
      if (pinOk) {
        if (given) this.rememberPin(identifier, given);
        let patron = this.summaryFrom(r, identifier);
        // A 24 carries no e-mail address (BE is a 64 field): ask once, so the kiosk can offer an
        // e-mailed receipt to a patron who has an address.
        if (patron.email === null) {
          const info = await c.send(this.req63(identifier, null), '64');
          if (info.validPatronPassword !== false && info.emailAddress) patron = { ...patron, email: info.emailAddress };
        }
        return { ok: true, patron: given ? patron : { ...patron, pinSet: false } };
      }
      this.pins.delete(identifier);
      const stated = reasonFromText(r.screenMessage, 'patron', this.dialect.reasonCatalogue);
      const pinReason = stated && ['wrong_pin', 'pin_locked', 'pin_required'].includes(stated.reason) ? stated : { reason: given ? ('wrong_pin' as const) : ('pin_required' as const) };
      const text = stated && stated.reason === pinReason.reason ? r.screenMessage?.[0] : undefined;
      return this.refusal(pinReason.reason, lang, text, pinReason.details);
    });
    if (!(out instanceof UpstreamUnavailable)) return out;
    // Offline a PIN cannot be checked: a card allowed offline is taken as it is (like the COBISS
    // bookmobile application, which validates nothing until upload, domain.md §10.2).
    if (this.offlineAllowed(identifier)) return { ok: true, patron: this.offlinePatron(identifier) };
    return this.unavailable(lang, out);
  }

  /** An item list of a 64, paging with BP/BQ when the server sent fewer entries than its count. */
  private async itemList(c: UpstreamConnection, patron: string, category: SummaryCategory, key: keyof PatronInformationResponse, count: number | null, first?: PatronInformationResponse): Promise<string[]> {
    const r = first ?? (await c.send(this.req63(patron, category), '64'));
    const got = [...((r[key] as string[] | undefined) ?? [])];
    const page = this.dialect.listPageSize;
    while (page !== null && count !== null && got.length < count) {
      const more = await c.send(this.req63(patron, category, { startItem: got.length + 1, endItem: Math.min(count, got.length + page) }), '64');
      const list = (more[key] as string[] | undefined) ?? [];
      if (!list.length) break;
      got.push(...list);
    }
    return got;
  }

  async patronInformation(identifier: string, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronInformation }>> {
    const lang = this.lang(ctx);
    const pinGiven = this.pinFor(identifier) !== undefined;
    const out = await this.call(async (c): Promise<Outcome<{ patron: PatronInformation }>> => {
      const first = await c.send(this.req63(identifier, 'chargedItems'), '64');
      if (this.unknownPatron(first)) return this.refusalFrom('patron', first.screenMessage, lang, {}, { reason: 'unknown_patron' });
      if (pinGiven && first.validPatronPassword === false) {
        this.pins.delete(identifier);
        return this.refusalFrom('patron', first.screenMessage, lang, {}, { reason: 'wrong_pin' });
      }
      if (!pinGiven && first.validPatronPassword === false) {
        // Our server gives out no details without a verified PIN and says so.
        const stated = reasonFromText(first.screenMessage, 'patron', this.dialect.reasonCatalogue);
        if (stated?.reason === 'pin_required') return this.refusal('pin_required', lang, first.screenMessage?.[0]);
      }
      const charged = (await this.itemList(c, identifier, 'chargedItems', 'chargedItems', first.chargedItemsCount, first)).map((e) => entryBarcode(e, this.dialect));
      const overdue = new Set(
        first.overdueItemsCount ? (await this.itemList(c, identifier, 'overdueItems', 'overdueItems', first.overdueItemsCount)).map((e) => entryBarcode(e, this.dialect)) : [],
      );
      const holdEntries = first.holdItemsCount ? await this.itemList(c, identifier, 'holdItems', 'holdItems', first.holdItemsCount) : [];
      const unavailableEntries =
        this.dialect.cdIsUnavailableHolds && (first.unavailableHoldsCount ?? 0) > 0
          ? await this.itemList(c, identifier, 'unavailableHolds', 'unavailableHoldItems', first.unavailableHoldsCount)
          : [];
      const fineEntries = first.fineItemsCount ? await this.itemList(c, identifier, 'fineItems', 'fineItems', first.fineItemsCount) : [];

      const today = localDate(this.clock.now(), this.tz);
      const loans: LoanLine[] = [];
      for (const barcode of charged) {
        const i = await c.send(this.req17(barcode), '18');
        const kit = parseKitProperties(i.itemProperties, barcode, i.titleIdentifier, i.screenMessage);
        const due = parseDueDate(i.dueDate, this.tz);
        loans.push({
          barcode,
          title: i.titleIdentifier,
          author: '',
          status: 'C',
          loanedAt: '',
          dueDate: due,
          renewals: 0,
          overdue: overdue.has(barcode) || (!!due && due < today),
          kit: kit ? { code: kit.code, partNumber: kit.partNumber, partsTotal: kit.partsTotal, lead: kit.leadBarcode === barcode } : null,
        });
      }
      const holds: HoldLine[] = [];
      const seen = new Set<string>();
      const addHold = async (entry: string, listed: 'ready' | 'unavailable' | 'any') => {
        const key = entryBarcode(entry, this.dialect);
        if (!key || seen.has(key)) return;
        seen.add(key);
        const i = await c.send(this.req17(key), '18');
        const known = !isUnknownItem(i);
        const st = known ? itemStatusOf(i.circulationStatus).status : 'free';
        const status: HoldLine['status'] =
          listed === 'ready' ? 'W' : st === 'W' ? 'W' : known && st === 'B' && listed === 'unavailable' ? 'O' : 'R';
        holds.push({
          id: this.holdId(identifier, known ? { item: key } : { bibId: key }),
          bibId: known ? '' : key,
          title: known ? i.titleIdentifier : key,
          status,
          itemBarcode: known ? key : null,
          pickupPlace: known ? (i.destinationLocation ?? null) : null,
          createdAt: '',
          expiresOn: status === 'W' ? plainDateOf(i.holdPickupDate, this.tz) : null,
          queuePosition: null,
        });
      };
      if (this.dialect.holdItems === 'ready') {
        for (const e of holdEntries) await addHold(e, 'ready');
      } else {
        for (const e of holdEntries) await addHold(e, 'any');
      }
      for (const e of unavailableEntries) await addHold(e, 'unavailable');

      const currency = first.currencyType || this.currency;
      const fees: FeeLine[] = fineEntries.map((e, n) => {
        const f = feeLineFrom(e, n, currency);
        return { id: f.id, kind: f.kind, amount: f.amount, paid: 0, remaining: f.amount, currency: f.currency, createdAt: '', itemBarcode: f.itemBarcode, description: f.description };
      });
      const summary = this.summaryFrom(first, identifier);
      return {
        ok: true,
        patron: {
          ...summary,
          email: first.emailAddress ?? null,
          loans,
          holds,
          fees,
          balance: money(first.feeAmount) ?? fees.reduce((s, f) => s + f.remaining, 0),
          currency,
          lostCount: first.patronStatus.tooManyItemsLost ? 1 : 0,
          limits: { total: first.chargedItemsLimit ?? null, current: first.chargedItemsCount ?? loans.length },
        },
      };
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    return out;
  }

  // ---------------------------------------------------------------- items

  private req17(barcode: string): Sip2Request {
    return { code: '17', transactionDate: this.sipNow(), ...this.ids, itemIdentifier: barcode };
  }

  async itemInformation(barcode: string, ctx: RequestContext = {}): Promise<Outcome<{ item: ItemInformation }>> {
    const lang = this.lang(ctx);
    const out = await this.call(async (c): Promise<Outcome<{ item: ItemInformation }>> => {
      const r = await c.send(this.req17(barcode), '18');
      if (isUnknownItem(r)) return this.refusalFrom('item', r.screenMessage, lang, { item: barcode }, { reason: 'unknown_item' });
      return { ok: true, item: itemFrom(r, { timeZone: this.tz, currency: this.currency, dialect: this.dialect }) };
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    return out;
  }

  async setItemProperties(req: { item: string; properties: string }, ctx: RequestContext = {}): Promise<Outcome<{ item: string; title: string }>> {
    const lang = this.lang(ctx);
    const out = await this.call(async (c): Promise<Outcome<{ item: string; title: string }>> => {
      const r = await c.send({ code: '19', transactionDate: this.sipNow(), ...this.ids, itemIdentifier: req.item, itemProperties: req.properties }, '20');
      if (r.itemPropertiesOk) return { ok: true, item: r.itemIdentifier || req.item, title: r.titleIdentifier ?? '' };
      return this.refusalFrom('item', r.screenMessage, lang, { item: req.item });
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    return out;
  }

  /**
   * The kit of an item when the kiosk says which parts are on the pad: incomplete → refused here
   * (nothing sent upstream); complete → the transaction goes out for the lead unit only (domain.md §7.3).
   */
  private async kitCheck(c: UpstreamConnection, item: string, parts: string[] | undefined, lang: KioskLanguage): Promise<{ barcode: string } | Refusal> {
    if (!parts?.length) return { barcode: item };
    const i = await c.send(this.req17(item), '18');
    const kit = parseKitProperties(i.itemProperties, item, i.titleIdentifier, i.screenMessage);
    if (!kit || !kit.parts.length) return { barcode: item };
    const present = new Set(parts.map((p) => p.trim()));
    const missing = kit.parts.filter((p) => !present.has(p.barcode));
    if (missing.length) {
      return this.refusal('kit_incomplete', lang, undefined, {
        kit: kit.code,
        missing: missing.map((p) => `${p.partNumber}/${kit.partsTotal} ${p.barcode}`).join(', '),
        missingParts: missing.map((p) => ({ barcode: p.barcode, partNumber: p.partNumber, title: p.title })),
      });
    }
    return { barcode: kit.leadBarcode };
  }

  // ---------------------------------------------------------------- checkout

  async checkout(req: CheckoutRequest, ctx: RequestContext = {}): Promise<Outcome<CheckoutResult>> {
    const lang = this.lang(ctx);
    const prior = this.prior<CheckoutResult>('checkout', ctx);
    if (prior) return prior;
    if (req.mode === 'reading_room') {
      return this.refusal('invalid_request', lang, undefined, { reason: 'reading-room loans cannot be made over SIP2' });
    }
    await this.drainFirst();
    for (const b of [req.item, ...(req.parts ?? [])]) {
      if (this.queue.isUnconfirmedReturn(b)) return this.refusal('offline_unconfirmed_return', lang, undefined, { item: b });
    }
    // An offline loan of the item the upstream has not taken yet (still waiting, e.g. behind a failed
    // transaction of the same item): the item is out, whatever the upstream says about it now.
    const holder = this.queue.offlineBorrower(req.item);
    if (holder !== null) return this.refusal(holder === req.patron ? 'item_already_yours' : 'item_on_loan', lang, undefined, { item: req.item });
    const out = await this.call(async (c): Promise<Outcome<CheckoutResult>> => {
      const kit = await this.kitCheck(c, req.item, req.parts, lang);
      if ('ok' in kit) return kit;
      const r = await c.send(
        {
          code: '11',
          scRenewalPolicy: false,
          noBlock: !!ctx.noBlock,
          transactionDate: this.sipNow(ctx.at),
          nbDueDate: null,
          ...this.ids,
          patronIdentifier: req.patron,
          itemIdentifier: kit.barcode,
          ...this.ad(req.patron),
          feeAcknowledged: req.feeAcknowledged === true,
        },
        '12',
      );
      const fee = money(r.feeAmount);
      if (r.ok) {
        const dueDate = parseDueDate(r.dueDate, this.tz) ?? r.dueDate.trim();
        const units = (r.printLine ?? [])
          .map((l) => /^(\d+)\/(\d+) (\S+) ?(.*)$/.exec(l.trim()))
          .filter((m): m is RegExpExecArray => !!m)
          .map((m) => ({ barcode: m[3]!, title: m[4] ?? '', dueDate, kitPart: Number(m[1]) }));
        return {
          ok: true,
          patron: r.patronIdentifier || req.patron,
          item: req.item,
          title: r.titleIdentifier,
          dueDate,
          status: 'C',
          units: units.length ? units : [{ barcode: r.itemIdentifier || kit.barcode, title: r.titleIdentifier, dueDate, kitPart: null }],
          renewal: r.renewalOk,
          fee: fee ? { amount: fee, currency: r.currencyType || this.currency, kind: r.feeType === '06' ? 'loan_fee' : 'fee' } : null,
          holdFulfilled: false, // SIP2 does not say
        };
      }
      const details: Record<string, unknown> = { item: req.item };
      if (fee) Object.assign(details, { fee, amount: `${fee.toFixed(2)} ${r.currencyType || this.currency}` });
      const missingParts = (r.screenMessage ?? [])
        .map((l) => /^missing (\d+): (\S+) ?(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => ({ partNumber: Number(m[1]), barcode: m[2]!, title: m[3] ?? '' }));
      if (missingParts.length) details.missingParts = missingParts;
      let m = reasonFromText(r.screenMessage, 'checkout', this.dialect.reasonCatalogue);
      // A fee came back and we had not acknowledged one: the patron has to confirm it (reference §5 11/12, BO).
      if ((!m || m.reason === 'item_not_loanable') && fee && !req.feeAcknowledged) m = { reason: 'fee_not_acknowledged' };
      m ??= await this.diagnoseCheckout(c, req.patron, kit.barcode);
      return this.refusalFrom('checkout', r.screenMessage, lang, details, m);
    });
    if (out instanceof UpstreamUnavailable) return this.offlineCheckout(req, ctx, out);
    if (out.ok) this.journalCheckout(ctx, out);
    return this.remember('checkout', ctx, out);
  }

  /**
   * A refusal whose text says nothing we recognise: ask the protocol's structured fields. 23 tells
   * an unknown card (BL) and the patron status flags; 17 tells where the item is.
   */
  private async diagnoseCheckout(c: UpstreamConnection, patron: string, item: string): Promise<ReasonMatch> {
    try {
      const p = await c.send(this.req23(patron, this.pinFor(patron) ?? ''), '24');
      if (this.unknownPatron(p)) return { reason: 'unknown_patron' };
      const s = p.patronStatus;
      if (s.chargePrivilegesDenied || s.cardReportedLost || s.excessiveOutstandingFines || s.excessiveOutstandingFees || s.tooManyItemsOverdue) {
        const b = blocksFrom(s, p.screenMessage, this.dialect)[0];
        if (b) return b;
      }
      if (s.tooManyItemsCharged) return { reason: 'too_many_items' };
      const i = await c.send(this.req17(item), '18');
      if (isUnknownItem(i)) return { reason: 'unknown_item' };
      switch (itemStatusOf(i.circulationStatus).status) {
        case 'C':
          return { reason: 'item_on_loan' };
        case 'W':
          return { reason: 'item_reserved' };
        case 'L':
          return { reason: 'item_lost' };
        case 'B':
          return { reason: 'item_held' };
        default:
          return { reason: FALLBACK_REASON.checkout };
      }
    } catch {
      return { reason: FALLBACK_REASON.checkout };
    }
  }

  private offlineDueDate(at: Date): string {
    return addDays(localDate(at, this.tz), this.cfg.offline.loanPeriodDays);
  }

  /**
   * Queues a transaction for the upstream and answers with the result the kiosk gets meanwhile.
   * `unknownOutcome`: the request had already been sent online and no answer came (the upstream may
   * have done it): the log says so, and the no-block replay settles it either way.
   */
  private async enqueue<T extends object>(
    operation: OfflineTransaction['operation'],
    ctx: RequestContext,
    fields: { patron: string | null; item: string; dueDate: string | null },
    result: T,
    unknownOutcome?: UpstreamUnavailable,
  ): Promise<Outcome<T & OfflineMark>> {
    const key = ctx.idempotencyKey ?? this.newKey();
    const at = ctx.at ?? this.clock.now();
    const placeholder = { queueId: 0, idempotencyKey: key, provisional: true as const };
    // One transaction: the row, and the answer a retry will get (which names the row's id).
    const { row, created, full } = this.db.transaction(() => {
      const { row, created } = this.queue.enqueue({
        idempotencyKey: key,
        operation,
        patron: fields.patron,
        item: fields.item.trim(),
        at,
        department: ctx.department ?? this.location,
        dueDate: fields.dueDate,
        offlineResult: { ok: true, ...result, offline: placeholder },
      });
      const full = { ok: true as const, ...result, offline: { ...placeholder, queueId: row.id } };
      if (created) {
        this.db.prepare('UPDATE offline_queue SET offline_result = ? WHERE id = ?').run(JSON.stringify(full), row.id);
        const jctx = { ...ctx, at };
        if (operation === 'checkout') this.journalCheckout(jctx, result as unknown as CheckoutResult, row.id);
        else if (operation === 'checkin') this.journalCheckin(jctx, result as unknown as CheckinResult, row.id);
        else this.journal('renewal', jctx, { card: fields.patron, item: fields.item.trim(), title: '', dueDate: fields.dueDate, offlineQueueId: row.id });
      }
      return { row, created, full };
    })();
    await durable(this.db); // the queued row is on disk before the kiosk says "done"
    if (unknownOutcome) {
      this.log?.warn({ queueId: row.id, item: fields.item, err: unknownOutcome.message }, `${operation} outcome unknown; queued for a no-block replay`);
    } else {
      this.log?.info({ queueId: row.id, operation, item: fields.item, at: at.toISOString() }, 'offline transaction queued');
    }
    this.emit();
    return created ? full : ({ ...(row.offlineResult as object), replayed: true } as Outcome<T & OfflineMark>);
  }

  private async offlineCheckout(req: CheckoutRequest, ctx: RequestContext, e: UpstreamUnavailable): Promise<Outcome<CheckoutResult>> {
    const lang = this.lang(ctx);
    if (!this.cfg.offline.enabled) {
      if (e.written) this.log?.warn({ item: req.item, err: e.message }, 'checkout outcome unknown; offline mode is off, so the kiosk was told the system is unavailable (the upstream may have made the loan)');
      return this.unavailable(lang, e);
    }
    // Sent and unanswered: the upstream may have made the loan, and the patron may leave with the
    // item. The offline limits (which cards, how many items) govern new offline work, not a request
    // that was made online: it is queued as it is, so the loan has a record here and the no-block
    // replay settles it (a loan the upstream already has comes back as done, see replayRow). The
    // item checks ran before it was sent (checkout()).
    if (!e.written) {
      if (!this.offlineAllowed(req.patron)) {
        return this.refusal('backend_unavailable', lang, undefined, { upstream: e.message, offline: 'this card may not borrow while the library system is offline' });
      }
      if (this.queue.isUnconfirmedReturn(req.item)) return this.refusal('offline_unconfirmed_return', lang, undefined, { item: req.item });
      const holder = this.queue.offlineBorrower(req.item);
      if (holder !== null) return this.refusal(holder === req.patron ? 'item_already_yours' : 'item_on_loan', lang, undefined, { item: req.item });
      const max = this.cfg.offline.maxItemsPerPatron;
      const current = this.queue.offlineLoanCount(req.patron);
      if (current + 1 > max) return this.refusal('too_many_items', lang, undefined, { limit: max, current, offline: true });
    }
    const dueDate = this.offlineDueDate(ctx.at ?? this.clock.now());
    const result: CheckoutResult = {
      patron: req.patron,
      item: req.item,
      title: '',
      dueDate,
      status: 'C',
      units: [{ barcode: req.item, title: '', dueDate, kitPart: null }],
      renewal: false,
      fee: null,
      holdFulfilled: false,
    };
    return this.enqueue('checkout', ctx, { patron: req.patron, item: req.item, dueDate }, result, e.written ? e : undefined);
  }

  // ---------------------------------------------------------------- checkin

  async checkin(req: CheckinRequest, ctx: RequestContext = {}): Promise<Outcome<CheckinResult>> {
    const lang = this.lang(ctx);
    const prior = this.prior<CheckinResult>('checkin', ctx);
    if (prior) return prior;
    await this.drainFirst();
    // A transaction of this item still waits for the upstream (its replay failed for now, or it waits
    // behind one that failed): the return goes into the queue after it, so the upstream gets them in
    // the order they happened (a return sent first would be undone by the older loan's replay).
    if (this.cfg.offline.enabled && this.queue.hasQueued(req.item)) return this.offlineCheckin(req, ctx);
    const out = await this.call(async (c): Promise<Outcome<CheckinResult>> => {
      const kit = await this.kitCheck(c, req.item, req.parts, lang);
      if ('ok' in kit) return kit;
      const at = this.sipNow(ctx.at);
      const r = await c.send(
        {
          code: '09',
          noBlock: !!ctx.noBlock,
          transactionDate: at,
          returnDate: at,
          currentLocation: ctx.department ?? this.location,
          ...this.ids,
          itemIdentifier: kit.barcode,
        },
        '10',
      );
      return this.checkinOutcome(r, req.item, lang);
    });
    if (out instanceof UpstreamUnavailable) {
      if (!this.cfg.offline.enabled) {
        if (out.written) this.log?.warn({ item: req.item, err: out.message }, 'checkin outcome unknown; offline mode is off, so the kiosk was told the system is unavailable (the upstream may have taken the return)');
        return this.unavailable(lang, out);
      }
      // Returns have no offline limits: a sent one is queued like any other (a return the upstream
      // already took comes back "not on loan" on replay, which is what the return had to establish).
      return this.offlineCheckin(req, ctx, out.written ? out : undefined);
    }
    if (out.ok) this.journalCheckin(ctx, out);
    return this.remember('checkin', ctx, out);
  }

  private offlineCheckin(req: CheckinRequest, ctx: RequestContext, unknownOutcome?: UpstreamUnavailable): Promise<Outcome<CheckinResult>> {
    const routing: Routing = {
      destination: 'staff',
      forPatron: null,
      forPatronName: null,
      department: null,
      pickupPlace: null,
      holdExpiresOn: null,
      note: 'returned offline: keep it apart until the library system confirms the return',
    };
    const result: CheckinResult = { item: req.item, title: '', patron: null, units: [req.item], routing, securityOn: true, fine: null, wasOnLoan: true };
    return this.enqueue('checkin', ctx, { patron: null, item: req.item, dueDate: null }, result, unknownOutcome);
  }

  private checkinOutcome(r: CheckinResponse, item: string, lang: KioskLanguage): Outcome<CheckinResult> {
    const routing = routingFrom(r, this.dialect, this.tz);
    const screen = r.screenMessage ?? [];
    const stated = reasonFromText(screen, 'checkin', this.dialect.reasonCatalogue);
    if (r.ok && stated?.reason !== 'not_on_loan') {
      const units = (r.printLine ?? []).map((l) => /^\d+\/\d+ (\S+)/.exec(l.trim())?.[1]).filter((b): b is string => !!b);
      return {
        ok: true,
        item,
        title: r.titleIdentifier ?? '',
        patron: r.patronIdentifier || null,
        units: units.length ? units : [item],
        routing,
        securityOn: r.resensitize,
        fine: fineFrom(screen),
        wasOnLoan: true,
      };
    }
    // "Not checked out" comes as ok=1 with a message from servers set up for return machines
    // (Koha checked_in_ok, our checkinOkWhenNotOnLoan): the same refusal as the embedded engine's.
    if (stated?.reason === 'not_on_loan') return this.refusal('not_on_loan', lang, screen[0], { item, routing, securityOn: true });
    const unknown = !r.titleIdentifier && !r.permanentLocation;
    const m = stated ?? (unknown ? { reason: 'unknown_item' as const } : null);
    const staff: Routing = routing.destination === 'shelf' ? { ...routing, destination: 'staff', note: screen[0] ?? null } : routing;
    return this.refusalFrom('checkin', screen, lang, { item, routing: staff, securityOn: true }, m);
  }

  // ---------------------------------------------------------------- renewals

  async renew(req: { patron: string; item: string; feeAcknowledged?: boolean }, ctx: RequestContext = {}): Promise<Outcome<RenewResult>> {
    const lang = this.lang(ctx);
    const prior = this.prior<RenewResult>('renew', ctx);
    if (prior) return prior;
    await this.drainFirst();
    const out = await this.call(async (c): Promise<Outcome<RenewResult>> => {
      const r = await c.send(
        {
          code: '29',
          thirdPartyAllowed: false,
          noBlock: !!ctx.noBlock,
          transactionDate: this.sipNow(ctx.at),
          nbDueDate: null,
          ...this.ids,
          patronIdentifier: req.patron,
          itemIdentifier: req.item,
          ...this.ad(req.patron),
          ...(req.feeAcknowledged ? { feeAcknowledged: true } : {}),
        },
        '30',
      );
      const dueDate = parseDueDate(r.dueDate, this.tz);
      if (r.ok) {
        const fee = money(r.feeAmount);
        return {
          ok: true,
          item: r.itemIdentifier || req.item,
          title: r.titleIdentifier,
          dueDate: dueDate ?? r.dueDate.trim(),
          previousDueDate: null, // not in a 30
          renewals: 0, // not in a 30
          fine: fineFrom(r.screenMessage),
          fee: fee ? { amount: fee, currency: r.currencyType || this.currency } : null,
        };
      }
      // A renewal fee offered (BV on a refusal) and not yet accepted: the kiosk asks, as for a checkout.
      const offered = money(r.feeAmount);
      if (offered && !req.feeAcknowledged) {
        const currency = r.currencyType || this.currency;
        return this.refusal('fee_not_acknowledged', lang, undefined, { item: req.item, fee: offered, currency, amount: `${offered.toFixed(2)} ${currency}` });
      }
      return this.refusalFrom('renew', r.screenMessage, lang, { item: req.item, ...(dueDate ? { dueDate } : {}) });
    });
    if (out instanceof UpstreamUnavailable) return this.offlineRenew(req, ctx, out);
    if (out.ok) this.journal('renewal', ctx, { card: req.patron, item: out.item, title: out.title, dueDate: out.dueDate });
    return this.remember('renew', ctx, out);
  }

  private async offlineRenew(req: { patron: string; item: string }, ctx: RequestContext, e: UpstreamUnavailable): Promise<Outcome<RenewResult>> {
    const lang = this.lang(ctx);
    if (e.written) {
      // Sent and unanswered: the upstream may have renewed. Unlike a loan nothing left the building,
      // so nothing needs a record here, and a replay could renew twice (a renewal used up, a due
      // date set back to the offline one). The patron is told it was not done; if it was, the loan
      // is simply due later than they think.
      this.log?.warn({ item: req.item, err: e.message }, 'renewal outcome unknown; not queued, the kiosk was told the system is unavailable (the upstream may have renewed)');
      return this.unavailable(lang, e);
    }
    if (!this.cfg.offline.enabled || !this.cfg.offline.allowRenewals || !this.offlineAllowed(req.patron)) return this.unavailable(lang, e);
    const dueDate = this.offlineDueDate(ctx.at ?? this.clock.now());
    // An offline renewal gives today + offline.loanPeriodDays. When this kiosk knows the loan is
    // already due that day or later (it lent or renewed it, online or offline), a "renewal" would set
    // the date back, or change nothing and still use up a renewal on replay: it is refused, and the
    // patron keeps the date they have (nothing lost; online the upstream's own rules decide).
    const current = this.knownDueDate(req.item);
    if (current !== null && dueDate <= current) {
      return this.refusal('renewal_no_extension', lang, undefined, { item: req.item, dueDate: current, offlineDueDate: dueDate, offline: true });
    }
    const result: RenewResult = { item: req.item, title: '', dueDate, previousDueDate: current, renewals: 0, fine: null, fee: null };
    return this.enqueue('renew', ctx, { patron: req.patron, item: req.item, dueDate }, result);
  }

  async renewAll(req: { patron: string; feeAcknowledged?: boolean }, ctx: RequestContext = {}): Promise<Outcome<RenewAllResult>> {
    const lang = this.lang(ctx);
    const prior = this.prior<RenewAllResult>('renew_all', ctx);
    if (prior) return prior;
    await this.drainFirst();
    const out = await this.call(async (c): Promise<Outcome<RenewAllResult>> => {
      const r = await c.send(
        { code: '65', transactionDate: this.sipNow(ctx.at), ...this.ids, patronIdentifier: req.patron, ...this.ad(req.patron), ...(req.feeAcknowledged ? { feeAcknowledged: true } : {}) },
        '66',
      );
      if (!r.ok) return this.refusalFrom('renew_all', r.screenMessage, lang);
      const screen = r.screenMessage ?? [];
      // Our server explains each item in AF: "B1: due 2026-03-25[, fine 3.20 EUR][, fee 1.00 EUR]" /
      // "B2: <reason text>".
      const lineFor = (item: string) => screen.find((s) => s.startsWith(`${item}: `))?.slice(item.length + 2);
      const amount = (m: RegExpExecArray, at: number) => (m[at] ? { amount: Number(m[at]!.replace(',', '.')), currency: m[at + 1]! } : null);
      const out: RenewAllResult = { renewed: [], refused: [] };
      for (const entry of r.renewedItems ?? []) {
        const item = entryBarcode(entry, this.dialect);
        const i = await c.send(this.req17(item), '18');
        const stated = /^due (\d{4}-\d{2}-\d{2})(?:, fine (\d+(?:[.,]\d+)?) ([A-Z]{3}))?(?:, fee (\d+(?:[.,]\d+)?) ([A-Z]{3}))?$/.exec(lineFor(item) ?? '');
        out.renewed.push({
          item,
          title: i.titleIdentifier,
          dueDate: stated?.[1] ?? parseDueDate(i.dueDate, this.tz) ?? '',
          previousDueDate: null,
          renewals: 0,
          fine: stated ? amount(stated, 2) : null,
          fee: stated ? amount(stated, 4) : null,
        });
      }
      for (const entry of r.unrenewedItems ?? []) {
        const item = entryBarcode(entry, this.dialect);
        const why = lineFor(item) ?? entry.trim().slice(item.length).trim();
        const m = reasonFromText(why ? [why] : [], 'renew_all', this.dialect.reasonCatalogue) ?? { reason: FALLBACK_REASON.renew_all };
        const i = await c.send(this.req17(item), '18');
        out.refused.push({ item, title: i.titleIdentifier, reason: m.reason, screenMessage: why || reasonText(m.reason, lang) });
      }
      return { ok: true, ...out };
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    if (out.ok) for (const r of out.renewed) this.journal('renewal', ctx, { card: req.patron, item: r.item, title: r.title, dueDate: r.dueDate || null });
    return this.remember('renew_all', ctx, out);
  }

  // ---------------------------------------------------------------- holds

  private holdLineFrom(r: HoldResponse, patron: string, target: { item?: string; bibId?: string }, pickupPlace?: string): HoldLine {
    const item = r.itemIdentifier || target.item || null;
    return {
      id: this.holdId(patron, target),
      bibId: target.bibId ?? '',
      title: r.titleIdentifier ?? '',
      status: r.available ? 'O' : 'R',
      itemBarcode: item,
      pickupPlace: r.pickupLocation || pickupPlace || null,
      createdAt: this.clock.now().toISOString(),
      expiresOn: plainDateOf(r.expirationDate, this.tz),
      queuePosition: r.queuePosition ?? null,
    };
  }

  private req15(mode: 'add' | 'cancel' | 'change', patron: string, target: { item?: string; bibId?: string }, pickupPlace?: string): Sip2Request {
    return {
      code: '15',
      holdMode: mode,
      transactionDate: this.sipNow(),
      ...(pickupPlace ? { pickupLocation: pickupPlace } : {}),
      // BY: 3 = this copy, 2 = any copy of the title (reference §5 15/16).
      ...(mode === 'add' ? { holdType: target.item ? '3' : '2' } : {}),
      ...this.ids,
      patronIdentifier: patron,
      ...this.ad(patron),
      ...(target.item ? { itemIdentifier: target.item } : {}),
      ...(target.bibId && !target.item ? { titleIdentifier: target.bibId } : {}),
    };
  }

  async placeHold(req: HoldRequest, ctx: RequestContext = {}): Promise<Outcome<HoldResult>> {
    const lang = this.lang(ctx);
    if (!req.item && !req.bibId) return this.refusal('invalid_request', lang, undefined, { reason: 'an item or a title is needed' });
    const prior = this.prior<HoldResult>('place_hold', ctx);
    if (prior) return prior;
    const target = { ...(req.item ? { item: req.item } : {}), ...(req.bibId ? { bibId: req.bibId } : {}) };
    const out = await this.call(async (c): Promise<Outcome<HoldResult>> => {
      const r = await c.send(this.req15('add', req.patron, target, req.pickupPlace), '16');
      if (!r.ok) return this.refusalFrom('hold', r.screenMessage, lang);
      return { ok: true, hold: this.holdLineFrom(r, req.patron, target, req.pickupPlace) };
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    return this.remember('place_hold', ctx, out);
  }

  /** The copy or title of a hold: given directly, or remembered from the id we gave it in a listing. */
  private holdTarget(req: CancelHoldRequest): { item?: string; bibId?: string } | null {
    if (req.item || req.bibId) return { ...(req.item ? { item: req.item } : {}), ...(req.bibId ? { bibId: req.bibId } : {}) };
    if (req.holdId === undefined) return null;
    const t = this.holdTargets.get(req.holdId);
    if (!t || t.patron !== req.patron) return null;
    return { ...(t.item ? { item: t.item } : {}), ...(t.bibId ? { bibId: t.bibId } : {}) };
  }

  async cancelHold(req: CancelHoldRequest, ctx: RequestContext = {}): Promise<Outcome<{ cancelled: HoldLine; replayed?: boolean }>> {
    const lang = this.lang(ctx);
    const target = this.holdTarget(req);
    if (!target) return this.refusal('hold_not_found', lang);
    const prior = this.prior<{ cancelled: HoldLine }>('cancel_hold', ctx);
    if (prior) return prior;
    const out = await this.call(async (c): Promise<Outcome<{ cancelled: HoldLine }>> => {
      const r = await c.send(this.req15('cancel', req.patron, target), '16');
      if (!r.ok) return this.refusalFrom('hold', r.screenMessage, lang, {}, reasonFromText(r.screenMessage, 'hold', this.dialect.reasonCatalogue) ?? { reason: 'hold_not_found' });
      return { ok: true, cancelled: { ...this.holdLineFrom(r, req.patron, target), status: 'R' } };
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    return this.remember('cancel_hold', ctx, out);
  }

  async changeHold(req: CancelHoldRequest & { pickupPlace: string }, ctx: RequestContext = {}): Promise<Outcome<HoldResult>> {
    const lang = this.lang(ctx);
    const target = this.holdTarget(req);
    if (!target) return this.refusal('hold_not_found', lang);
    const prior = this.prior<HoldResult>('change_hold', ctx);
    if (prior) return prior;
    const out = await this.call(async (c): Promise<Outcome<HoldResult>> => {
      const r = await c.send(this.req15('change', req.patron, target, req.pickupPlace), '16');
      if (!r.ok) return this.refusalFrom('hold', r.screenMessage, lang);
      return { ok: true, hold: this.holdLineFrom(r, req.patron, target, req.pickupPlace) };
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    return this.remember('change_hold', ctx, out);
  }

  // ---------------------------------------------------------------- fees and patron state

  async feePaid(req: FeePaidRequest, ctx: RequestContext = {}): Promise<Outcome<FeePaidResult>> {
    const lang = this.lang(ctx);
    if (!Number.isFinite(req.amount) || req.amount <= 0) return this.refusal('invalid_amount', lang);
    const prior = this.prior<FeePaidResult>('fee_paid', ctx);
    if (prior) return prior;
    // BK carries the payment's own id, so a server that dedupes on it (ours, edge-sip2 practice)
    // takes a retried payment once (reference §5 37/38).
    const transactionId = req.reference ?? ctx.idempotencyKey;
    const out = await this.call(async (c): Promise<Outcome<FeePaidResult>> => {
      const r = await c.send(
        {
          code: '37',
          transactionDate: this.sipNow(ctx.at),
          feeType: '01',
          // 00 cash, 02 credit card (reference §5 37); "other" has no code of its own in the spec.
          paymentType: req.method === 'card' ? '02' : '00',
          currencyType: req.currency,
          feeAmount: req.amount.toFixed(2),
          ...this.ids,
          patronIdentifier: req.patron,
          ...this.ad(req.patron),
          ...(req.feeId !== undefined ? { feeIdentifier: String(req.feeId) } : {}),
          ...(transactionId ? { transactionId } : {}),
        },
        '38',
      );
      if (!r.paymentAccepted) return this.refusalFrom('fee', r.screenMessage, lang);
      const screen = r.screenMessage ?? [];
      let balance: number | null = null;
      for (const s of screen) {
        const m = /still owed (\d+(?:[.,]\d+)?)/.exec(s);
        if (m) balance = Number(m[1]!.replace(',', '.'));
      }
      if (balance === null) {
        try {
          const st = await c.send(this.req23(req.patron, this.pinFor(req.patron) ?? ''), '24');
          balance = money(st.feeAmount);
        } catch {
          balance = null;
        }
      }
      return {
        ok: true,
        paid: req.amount,
        balance: balance ?? 0,
        currency: req.currency,
        settled: req.feeId !== undefined ? [req.feeId] : [],
        paymentId: Number(r.transactionId) || 0,
      };
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    return this.remember('fee_paid', ctx, out);
  }

  async endSession(patron: string, ctx: RequestContext = {}): Promise<Outcome<{ patron: string }>> {
    const lang = this.lang(ctx);
    const out = await this.call(async (c): Promise<Outcome<{ patron: string }>> => {
      const r = await c.send({ code: '35', transactionDate: this.sipNow(), ...this.ids, patronIdentifier: patron, ...this.ad(patron) }, '36');
      const stated = reasonFromText(r.screenMessage, 'session', this.dialect.reasonCatalogue);
      if (!r.endSession || stated?.reason === 'unknown_patron') {
        return this.refusalFrom('session', r.screenMessage, lang, {}, stated ?? { reason: 'invalid_request' });
      }
      return { ok: true, patron: r.patronIdentifier || patron };
    });
    this.pins.delete(patron);
    // Ending a session is local too: offline it simply ends.
    if (out instanceof UpstreamUnavailable) return { ok: true, patron };
    return out;
  }

  async blockPatron(req: { patron: string; cardRetained: boolean; message: string }, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronSummary }>> {
    const lang = this.lang(ctx);
    const out = await this.call(async (c): Promise<Outcome<{ patron: PatronSummary }>> => {
      const r = await c.send(
        { code: '01', cardRetained: req.cardRetained, transactionDate: this.sipNow(), ...this.ids, blockedCardMessage: req.message, patronIdentifier: req.patron },
        '24',
      );
      if (this.unknownPatron(r)) return this.refusalFrom('patron', r.screenMessage, lang, {}, { reason: 'unknown_patron' });
      return { ok: true, patron: this.summaryFrom(r, req.patron) };
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    return out;
  }

  async enablePatron(patron: string, ctx: RequestContext = {}): Promise<Outcome<{ patron: PatronSummary }>> {
    const lang = this.lang(ctx);
    const out = await this.call(async (c): Promise<Outcome<{ patron: PatronSummary }>> => {
      const r = await c.send({ code: '25', transactionDate: this.sipNow(), ...this.ids, patronIdentifier: patron, ...this.ad(patron) }, '26');
      if (this.unknownPatron(r)) return this.refusalFrom('patron', r.screenMessage, lang, {}, { reason: 'unknown_patron' });
      return { ok: true, patron: this.summaryFrom(r, patron) };
    });
    if (out instanceof UpstreamUnavailable) return this.unavailable(lang, out);
    return out;
  }

  // ---------------------------------------------------------------- offline queue

  /** Before a new transaction goes upstream, what was taken offline goes first (in order). */
  private async drainFirst(): Promise<void> {
    if (this.queue.countPending() === 0) return;
    const s = this.pool.status();
    if (s.state === 'offline' && (s.nextAttemptInMs ?? 0) > 0) return;
    await this.replayOffline();
  }

  /** Replays the queue now (also runs by itself when the upstream comes back, and on a timer). */
  replayOffline(): Promise<ReplaySummary> {
    if (this.closed) return Promise.resolve({ replayed: 0, refused: 0, failed: 0, remaining: this.queue.countPending() });
    if (!this.replaying) {
      this.replaying = this.doReplay().finally(() => {
        this.replaying = null;
      });
    }
    return this.replaying;
  }

  /** Offline transactions, for staff: all of them, by state, or the unresolved refusals and errors. */
  offlineTransactions(filter: Parameters<OfflineQueue['list']>[0] = {}): OfflineTransaction[] {
    return this.queue.list(filter);
  }

  /** Refused and failed replays nobody has dealt with yet (what staff must look at). */
  offlineProblems(): OfflineTransaction[] {
    return this.queue.list({ unresolved: true });
  }

  /** One offline transaction by its queue id. */
  offlineTransaction(id: number): OfflineTransaction | undefined {
    return this.queue.get(id);
  }

  /** Transactions waiting for the upstream. */
  offlineQueued(): number {
    return this.queue.countPending();
  }

  /** Queued transactions of the same item waiting behind a failed one (released when staff resolve it). */
  offlineWaitingBehind(id: number): number {
    const row = this.queue.get(id);
    return row && row.state === 'error' && row.resolvedAt === null ? this.queue.countQueuedAfter(row) : 0;
  }

  /**
   * Staff dealt with a refused or failed replay (e.g. corrected the loan at the desk). Only such a
   * row can be resolved; the row is kept. Later transactions of the item that waited for it go on.
   */
  resolveOfflineTransaction(id: number, staff: string, note: string): OfflineTransaction | undefined {
    const row = this.queue.resolve(id, staff, note);
    if (row?.resolvedAt && this.queue.countPending() > 0 && this.pool.status().state === 'online') void this.replayOffline();
    this.emit();
    return row;
  }

  /**
   * Replays the queue in order. Order matters per item (a loan, then its return); across items the
   * queue goes on past a row that failed for good. A row whose outcome upstream is unknown (`error`:
   * sent, never a usable answer) holds back the later rows of the same item until staff have dealt
   * with it: replaying a return on top of a loan that may or may not exist, or a loan to someone else
   * on top of a return that may not have happened, would give the upstream a wrong picture with no
   * one told. A `refused` row does not hold them back: the upstream said no, so its state is known and
   * the next transaction is judged against it.
   */
  private async doReplay(): Promise<ReplaySummary> {
    const summary: ReplaySummary = { replayed: 0, refused: 0, failed: 0, remaining: 0 };
    const held = new Set<string>();
    for (const row of this.queue.pending()) {
      if (this.closed) break;
      if (held.has(row.item) || this.queue.unsettledBefore(row) !== null) {
        held.add(row.item);
        continue;
      }
      const step = await this.replayRow(row);
      if (step === 'stop') break;
      summary[step]++;
    }
    summary.remaining = this.queue.countPending();
    if (summary.replayed || summary.refused || summary.failed) {
      this.log?.info({ ...summary, held: held.size }, 'offline transactions replayed');
      this.emit();
    }
    return summary;
  }

  private async replayRow(row: OfflineTransaction): Promise<'replayed' | 'refused' | 'failed' | 'stop'> {
    const at = this.sipNow(new Date(row.at));
    const nb = row.dueDate ? sipEndOfDay(row.dueDate) : null;
    const base = { transactionDate: at, ...this.ids };
    let reply;
    try {
      reply = await this.pool.run(async (c) => {
        switch (row.operation) {
          case 'checkout':
            // no-block = Y: the loan was made offline; the ACS records it and does not refuse it on
            // its blocks; nb due date = the date the patron was given (reference §5 11/12).
            return c.send({ code: '11', scRenewalPolicy: false, noBlock: true, nbDueDate: nb, ...base, patronIdentifier: row.patron ?? '', itemIdentifier: row.item }, '12');
          case 'checkin':
            // return date = when the item actually came back (reference §5 09/10).
            return c.send({ code: '09', noBlock: true, returnDate: at, currentLocation: row.department ?? this.location, ...base, itemIdentifier: row.item }, '10');
          case 'renew':
            return c.send({ code: '29', thirdPartyAllowed: false, noBlock: true, nbDueDate: nb, ...base, patronIdentifier: row.patron ?? '', itemIdentifier: row.item }, '30');
        }
      });
    } catch (e) {
      if (!(e instanceof UpstreamUnavailable)) throw e;
      if (!e.written && e.code !== 'protocol') {
        // Never left this machine (no connection, backoff, login refused, all connections busy):
        // not an attempt of this row. Stop here, keep the order, try later.
        this.queue.noteUnsent(row.id, e.message);
        return 'stop';
      }
      // Sent, and no usable answer: the upstream dropped the connection, timed out or answered
      // nonsense. Every such attempt counts, whatever the cause, so a transaction the upstream chokes
      // on cannot hold the queue for ever; below the limit the queue stops and keeps its order.
      const state = this.queue.recordFailure(row.id, `${e.code}: ${e.message}`, MAX_REPLAY_ATTEMPTS);
      if (state === 'error') {
        this.log?.error({ queueId: row.id, operation: row.operation, item: row.item, attempts: MAX_REPLAY_ATTEMPTS, err: e.message }, 'offline transaction could not be replayed; handed to staff');
        return 'failed';
      }
      this.log?.warn({ queueId: row.id, operation: row.operation, item: row.item, err: e.message }, 'offline transaction replay failed; tried again later');
      return 'stop';
    }
    const lang = this.site.language;
    const screen = reply.screenMessage ?? [];
    const said = { screenMessage: screen, title: 'titleIdentifier' in reply ? (reply.titleIdentifier ?? '') : '' };
    if (reply.code === '10') {
      const outcome = this.checkinOutcome(reply, row.item, lang);
      // Not on loan upstream either: the item is in the library and nobody has it, which is all the
      // return had to establish.
      if (outcome.ok || outcome.reason === 'not_on_loan') {
        this.queue.markReplayed(row.id, { ...said, ...(outcome.ok ? {} : { note: outcome.screenMessage, reason: outcome.reason }) });
        return 'replayed';
      }
      this.queue.markRefused(row.id, outcome.reason, { ...said, screenMessage: outcome.screenMessage, details: outcome.details ?? null });
      this.log?.warn({ queueId: row.id, operation: row.operation, reason: outcome.reason }, 'offline return refused on replay');
      return 'refused';
    }
    if (reply.ok) {
      this.queue.markReplayed(row.id, { ...said, dueDate: parseDueDate(reply.dueDate, this.tz) ?? reply.dueDate });
      return 'replayed';
    }
    const op: Operation = row.operation === 'renew' ? 'renew' : 'checkout';
    const m = reasonFromText(screen, op, this.dialect.reasonCatalogue) ?? { reason: FALLBACK_REASON[op] };
    if (row.operation === 'checkout' && m.reason === 'item_already_yours') {
      // The upstream already has this loan (a checkout whose answer was lost, or made again at the
      // desk): the patron has the item on their card, which is all the replay had to establish.
      this.queue.markReplayed(row.id, { ...said, note: screen.find((x) => x.trim()) ?? null, reason: m.reason });
      return 'replayed';
    }
    const r = this.refusal(m.reason, lang, screen.find((s) => s.trim()), m.details);
    this.queue.markRefused(row.id, r.reason, { ...said, screenMessage: r.screenMessage });
    this.log?.warn({ queueId: row.id, operation: row.operation, item: row.item, reason: r.reason }, 'offline transaction refused on replay; listed for staff');
    return 'refused';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.replayTimer) clearInterval(this.replayTimer);
    await this.replaying?.catch(() => undefined);
    this.pins.clear();
    this.listeners.clear();
    await this.pool.close();
  }
}

/**
 * The admin page (issue 6, "Admin page and security"): GET /admin (role admin), a plain HTML/JS page
 * from ./admin-page/ (no build step), its JSON API under /admin/api/… and the socket.io namespace
 * `/admin` (session-checked) that pushes live:
 *
 * - every device's state and last error (`device.state`, as it happens);
 * - the SIP2 connections (remote address, account, since, message count, last message);
 * - recent transactions from the engine's journal, patron cards masked (`0100***`), no names;
 * - counts per local hour of today: loans, returns, renewals (journal), refusals by reason (the
 *   backend decorator in daemon/metrics.ts: the engine does not journal refusals), kit exceptions;
 * - open staff sessions (revocable) and the latest audit rows;
 * - with the SIP2 upstream backend, its offline queue: how many transactions wait for the upstream,
 *   and the replays it refused or that failed, which staff mark as dealt with.
 *
 * In upstream mode the journal holds what this kiosk did through the upstream (written by
 * daemon/circulation/sip2-upstream), with the card and item in its detail, and offline-queued ones
 * link to their queue row.
 *
 * Revoking a session and resolving an offline transaction are admin actions, audited like every other.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Namespace, Server as SocketServer } from 'socket.io';
import type { Audit, Auth, StaffPrincipal } from '../auth/index.ts';
import type { BackendStatus } from '../circulation/backend.ts';
import type { OfflineState, OfflineTransaction } from '../circulation/offline-queue.ts';
import type { Clock } from '../clock.ts';
import type { DeviceManager, ManagedDeviceStatus } from '../devices/manager.ts';
import type { Metrics } from '../metrics.ts';
import type { Sip2ConnectionInfo } from '../sip2/server.ts';
import { durable, type Db } from '../store/db.ts';

export const ADMIN_PAGE_DIR = fileURLToPath(new URL('./admin-page/', import.meta.url));

/** socket.io's browser client, shipped inside the socket.io package (a runtime dependency). */
export const SOCKET_IO_CLIENT = join(dirname(createRequire(import.meta.url).resolve('socket.io/package.json')), 'client-dist', 'socket.io.min.js');

// ------------------------------------------------------------------------------------------ views

/** What the upstream said about a refused replay, or why a failed one failed. */
function problemMessage(t: OfflineTransaction): string | null {
  const said = t.result?.screenMessage;
  const text = Array.isArray(said) ? said.filter((x) => typeof x === 'string' && x.trim()).join(' ') : typeof said === 'string' ? said : '';
  return text || t.lastError || null;
}

export { maskCard } from '../log.ts';
import { maskCard } from '../log.ts';

export interface TransactionView {
  id: number;
  at: string;
  kind: string;
  channel: string;
  department: string | null;
  card: string | null;
  item: string | null;
  title: string | null;
  amount: number | null;
  /** Taken offline (SIP2 upstream backend): its queue row and where it stands with the upstream. */
  offline: { queueId: number; state: OfflineState; resolved: boolean } | null;
}

/** A refused or failed replay of an offline transaction, as staff see it. */
export interface OfflineProblemView {
  id: number;
  /** When it happened (the kiosk's time, sent upstream on replay). */
  at: string;
  kind: 'checkout' | 'checkin' | 'renew';
  item: string;
  card: string | null;
  state: 'refused' | 'error';
  /** Our reason code for a refusal; null for a failure. */
  reason: string | null;
  /** What the upstream said (screen message), or for a failure the last error. */
  message: string | null;
  attempts: number;
  /** When the upstream refused it, or when it was given up. */
  decidedAt: string | null;
  /** Later transactions of the same item that wait until this one is resolved. */
  waiting: number;
}

export interface OfflineView {
  queued: number;
  problems: OfflineProblemView[];
}

/** The SIP2 upstream backend's offline queue (Sip2UpstreamBackend has these methods). */
export interface OfflineQueueSource {
  offlineQueued(): number;
  offlineProblems(): OfflineTransaction[];
  offlineTransaction(id: number): OfflineTransaction | undefined;
  offlineWaitingBehind(id: number): number;
  resolveOfflineTransaction(id: number, staff: string, note: string): OfflineTransaction | undefined;
}

export interface HourCounts {
  hour: number;
  loans: number;
  returns: number;
  renewals: number;
  refusals: Record<string, number>;
  kitExceptions: number;
}

export interface AdminSnapshot {
  now: string;
  user: string;
  site: { name: string; department: string; timezone: string };
  backend: { kind: string; online: boolean; detail: string } | null;
  devices: ManagedDeviceStatus[];
  sip2: { host: string; port: number; connections: Sip2ConnectionInfo[] } | null;
  transactions: TransactionView[];
  today: { date: string; hours: HourCounts[] };
  sessions: ReturnType<Auth['activeSessions']>;
  /** Null on the embedded engine: there is no upstream, so nothing is ever queued offline. */
  offline: OfflineView | null;
}

/** Journal kinds (daemon/circulation/embedded.ts) in the admin page's columns. */
const LOAN_KINDS = new Set(['checkout', 'checkout_reading_room']);
const RETURN_KINDS = new Set(['checkin', 'checkin_other_department', 'return_with_hold', 'kit_return', 'kit_return_incomplete']);
const RENEWAL_KINDS = new Set(['renewal']);
/** A kit returned without all its parts, or a part written off as lost on a kit return. */
const isKitException = (kind: string, groupId: number | null) => kind === 'kit_return_incomplete' || (kind === 'lost' && groupId !== null);
/** Refusals that are about a kit's integrity (daemon/metrics.ts counts them by reason). */
const KIT_REFUSALS = new Set(['kit_incomplete', 'kit_blocked']);

export interface AdminServiceOptions {
  db: Db;
  clock: Clock;
  auth: Auth;
  audit: Audit;
  metrics: Metrics;
  devices: DeviceManager;
  site: { name: string; department: string; timezone: string };
  backendStatus(): Promise<BackendStatus>;
  sip2(): { host: string; port: number; connectionList(): Sip2ConnectionInfo[] } | null;
  /** The upstream backend's offline queue; absent or null on the embedded engine. */
  offline?: OfflineQueueSource | null;
  logger?: Logger;
  /** How often the namespace looks for new transactions, SIP2 and audit changes (default 1 s). */
  pollMs?: number;
}

export class AdminService {
  readonly #o: AdminServiceOptions;
  readonly #log: Logger | undefined;
  #ns: Namespace | null = null;
  #timer: NodeJS.Timeout | null = null;
  #last = { journal: -1, audit: -1, sip2: '', backend: '', sessions: '', offline: '' };

  constructor(o: AdminServiceOptions) {
    this.#o = o;
    this.#log = o.logger?.child({ component: 'admin' });
  }

  // ------------------------------------------------------------------------------------- queries

  /**
   * The latest journal rows, newest first, with the patron's card masked and no names. The engine's
   * rows name the patron and item by id; the upstream backend's name them in `detail` (the engine's
   * tables are empty in that mode), and an offline-queued one links to its queue row.
   */
  transactions(limit = 50): TransactionView[] {
    const db = this.#o.db;
    const rows = db
      .prepare(
        `SELECT j.id, j.at, j.kind, j.channel, j.department, j.amount_minor, j.detail, j.patron_id, j.item_id, p.barcode AS card, i.barcode AS item, i.title
         FROM journal j LEFT JOIN patrons p ON p.id = j.patron_id LEFT JOIN items i ON i.id = j.item_id
         ORDER BY j.id DESC LIMIT ?`,
      )
      .all(limit) as Array<{
      id: number;
      at: string;
      kind: string;
      channel: string;
      department: string | null;
      amount_minor: number | null;
      detail: string | null;
      patron_id: number | null;
      item_id: number | null;
      card: string | null;
      item: string | null;
      title: string | null;
    }>;
    const queueRow = db.prepare('SELECT state, resolved_at FROM offline_queue WHERE id = ?');
    return rows.map((r) => {
      let named: { card?: unknown; item?: unknown; title?: unknown; offlineQueueId?: unknown } = {};
      if (r.patron_id === null && r.item_id === null && r.detail) {
        try {
          named = JSON.parse(r.detail) as typeof named;
        } catch {
          named = {};
        }
      }
      const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
      let offline: TransactionView['offline'] = null;
      if (typeof named.offlineQueueId === 'number') {
        const q = queueRow.get(named.offlineQueueId) as { state: OfflineState; resolved_at: string | null } | undefined;
        if (q) offline = { queueId: named.offlineQueueId, state: q.state, resolved: q.resolved_at !== null };
      }
      return {
        id: r.id,
        at: r.at,
        kind: r.kind,
        channel: r.channel,
        department: r.department,
        card: maskCard(r.card ?? str(named.card)),
        item: r.item ?? str(named.item),
        title: r.title ?? str(named.title),
        amount: r.amount_minor === null ? null : r.amount_minor / 100,
        offline,
      };
    });
  }

  /** The offline queue for staff: what waits, and the refused and failed replays nobody dealt with. */
  offline(): OfflineView | null {
    const src = this.#o.offline;
    if (!src) return null;
    return {
      queued: src.offlineQueued(),
      problems: src
        .offlineProblems()
        .reverse() // newest first, as the other tables
        .map((t) => ({
          id: t.id,
          at: t.at,
          kind: t.operation,
          item: t.item,
          card: maskCard(t.patron),
          state: t.state as 'refused' | 'error',
          reason: t.reason,
          message: problemMessage(t),
          attempts: t.attempts,
          decidedAt: t.replayedAt,
          waiting: src.offlineWaitingBehind(t.id),
        })),
    };
  }

  /** Counts per local hour of today (the site's time zone). */
  today(): { date: string; hours: HourCounts[] } {
    const now = this.#o.clock.now();
    const date = this.#o.metrics.localHour(now).slice(0, 10);
    const hours: HourCounts[] = Array.from({ length: 24 }, (_, hour) => ({ hour, loans: 0, returns: 0, renewals: 0, refusals: {}, kitExceptions: 0 }));
    // Today began at most 26 hours ago in any time zone (DST included); the journal is in append
    // order, so the first row of that period is found by a binary search on the rowid instead of a
    // scan (the journal has no index on time: migration 3).
    const from = new Date(now.getTime() - 26 * 3_600_000).toISOString();
    const firstId = this.#firstJournalIdRecordedAfter(from);
    if (firstId !== null) {
      const rows = this.#o.db.prepare('SELECT at, kind, group_id FROM journal WHERE id >= ?').all(firstId) as Array<{ at: string; kind: string; group_id: number | null }>;
      for (const r of rows) {
        const h = this.#o.metrics.localHour(new Date(r.at));
        if (!h.startsWith(`${date}T`)) continue;
        const b = hours[Number(h.slice(11, 13))]!;
        if (LOAN_KINDS.has(r.kind)) b.loans++;
        else if (RETURN_KINDS.has(r.kind)) b.returns++;
        else if (RENEWAL_KINDS.has(r.kind)) b.renewals++;
        if (isKitException(r.kind, r.group_id)) b.kitExceptions++;
      }
    }
    for (const [hour, reasons] of this.#o.metrics.refusalsByHour(date)) {
      const b = hours[hour]!;
      b.refusals = reasons;
      for (const [reason, n] of Object.entries(reasons)) if (KIT_REFUSALS.has(reason)) b.kitExceptions += n;
    }
    return { date, hours };
  }

  #firstJournalIdRecordedAfter(iso: string): number | null {
    const db = this.#o.db;
    const bounds = db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM journal').get() as { lo: number | null; hi: number | null };
    if (bounds.lo === null || bounds.hi === null) return null;
    const at = db.prepare('SELECT recorded_at FROM journal WHERE id >= ? ORDER BY id LIMIT 1');
    let lo = bounds.lo;
    let hi = bounds.hi + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = at.get(mid) as { recorded_at: string } | undefined;
      if (!row || row.recorded_at >= iso) hi = mid;
      else lo = mid + 1;
    }
    return lo > bounds.hi ? null : lo;
  }

  async snapshot(user: string): Promise<AdminSnapshot> {
    const b = await this.#o.backendStatus().catch(() => null);
    const sip2 = this.#o.sip2();
    return {
      now: this.#o.clock.now().toISOString(),
      user,
      site: this.#o.site,
      backend: b ? { kind: b.kind, online: b.online, detail: b.detail } : null,
      devices: this.#o.devices.list(),
      sip2: sip2 ? { host: sip2.host, port: sip2.port, connections: sip2.connectionList() } : null,
      transactions: this.transactions(),
      today: this.today(),
      sessions: this.#o.auth.activeSessions(),
      offline: this.offline(),
    };
  }

  // -------------------------------------------------------------------------------------- router

  /** Mounted at /admin. */
  router(): express.Router {
    const { auth, audit } = this.#o;
    const r = express.Router();
    const page = auth.requirePage('admin');
    const api = auth.requireApi('admin');
    const noStore = (_req: Request, res: Response, next: () => void) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    };
    r.get('/', page, noStore, (_req, res) => {
      res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
      res.sendFile(join(ADMIN_PAGE_DIR, 'index.html'));
    });
    r.get('/socket.io.min.js', page, (_req, res) => res.sendFile(SOCKET_IO_CLIENT));
    r.get(['/admin.js', '/admin.css'], page, noStore, (req, res) => res.sendFile(join(ADMIN_PAGE_DIR, req.path.slice(1))));
    r.get('/api/snapshot', api, (_req, res, next) => {
      const p = res.locals.principal as StaffPrincipal;
      this.snapshot(p.user).then((s) => res.json({ ok: true, data: s }), next);
    });
    r.get('/api/audit', api, (req, res) => {
      const limit = Number(req.query.limit ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        res.status(400).json({ ok: false, error: { code: 'invalid_request', message: 'limit: a whole number 1-1000' } });
        return;
      }
      res.json({ ok: true, data: audit.recent(limit) });
    });
    r.post('/api/sessions/:id/revoke', api, (req, res, next) => {
      const p = res.locals.principal as StaffPrincipal;
      const id = String(req.params.id ?? '');
      void (async () => {
        const target = auth.activeSessions().find((s) => s.id === id);
        if (!target) {
          audit.record({ actor: p.user, action: 'session.revoke', target: id.slice(0, 64), outcome: 'refused', detail: { reason: 'not_found' } });
          await durable(this.#o.db);
          res.status(404).json({ ok: false, error: { code: 'not_found', message: 'No open session with this id.' } });
          return;
        }
        await auth.endSession(id, 'revoked');
        audit.record({ actor: p.user, action: 'session.revoke', target: target.user, outcome: 'ok', detail: { session: id } });
        await durable(this.#o.db);
        this.#pushNow();
        res.json({ ok: true, data: { revoked: id, user: target.user } });
      })().catch(next);
    });
    r.post('/api/offline/:id/resolve', api, express.json({ limit: '4kb' }), (req, res, next) => {
      const p = res.locals.principal as StaffPrincipal;
      const src = this.#o.offline;
      const raw = String(req.params.id ?? '');
      const id = Number(raw);
      const body = (req.body ?? {}) as { note?: unknown };
      void (async () => {
        const refuse = async (status: number, code: string, message: string) => {
          audit.record({ actor: p.user, action: 'offline.resolve', target: `offline:${raw.slice(0, 32)}`, outcome: 'refused', detail: { reason: code } });
          await durable(this.#o.db);
          res.status(status).json({ ok: false, error: { code, message } });
        };
        if (!src) return refuse(404, 'no_upstream', 'This daemon uses its embedded engine: there is no upstream, so there is no offline queue.');
        if (!/^[1-9]\d{0,15}$/.test(raw)) return refuse(400, 'invalid_request', `"${raw.slice(0, 32)}" is not an offline transaction id (a whole number from 1).`);
        if (body.note !== undefined && (typeof body.note !== 'string' || body.note.length > 500)) return refuse(400, 'invalid_request', 'note: text of at most 500 characters.');
        const row = src.offlineTransaction(id);
        if (!row) return refuse(404, 'not_found', `No offline transaction ${id}.`);
        if (row.state !== 'refused' && row.state !== 'error') {
          return refuse(409, 'not_a_problem', `Offline transaction ${id} is ${row.state === 'queued' ? 'still waiting for the library system' : 'confirmed by the library system'}; only refused or failed ones are resolved.`);
        }
        if (row.resolvedAt !== null) return refuse(409, 'already_resolved', `Offline transaction ${id} was resolved by ${row.resolvedBy ?? 'someone'} already.`);
        const note = typeof body.note === 'string' && body.note.trim() ? body.note.trim() : 'resolved on the admin page';
        const done = src.resolveOfflineTransaction(id, p.user, note);
        audit.record({
          actor: p.user,
          action: 'offline.resolve',
          target: `offline:${id}`,
          outcome: 'ok',
          detail: { operation: row.operation, item: row.item, card: maskCard(row.patron), state: row.state, refusal: row.reason, note },
        });
        await durable(this.#o.db);
        this.#pushNow();
        res.json({ ok: true, data: { id, resolvedAt: done?.resolvedAt ?? null, resolvedBy: done?.resolvedBy ?? p.user } });
      })().catch(next);
    });
    return r;
  }

  // ----------------------------------------------------------------------------------- namespace

  /** The `/admin` socket.io namespace: session-checked, snapshot on connect, then live changes. */
  attach(io: SocketServer): Namespace {
    const ns = io.of('/admin');
    ns.use(this.#o.auth.socketGuard('admin'));
    ns.on('connection', (socket) => {
      const p = socket.data.principal as StaffPrincipal;
      void this.snapshot(p.user).then(
        (s) => socket.emit('snapshot', s),
        (e: unknown) => this.#log?.error({ err: e }, 'admin snapshot failed'),
      );
      socket.emit('audit', this.#o.audit.recent(100));
      this.#startPolling();
    });
    this.#o.devices.on('device.state', (d) => {
      if (ns.sockets.size > 0) ns.emit('device.state', d);
    });
    this.#ns = ns;
    return ns;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #startPolling(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#poll(), this.#o.pollMs ?? 1000);
    this.#timer.unref();
  }

  #pushNow(): void {
    this.#last.sessions = '';
    this.#last.offline = '';
    this.#poll();
  }

  /** Pushes what changed since the last look; stops looking while nobody watches. */
  #poll(): void {
    const ns = this.#ns;
    if (!ns || !this.#o.db.open) return;
    if (ns.sockets.size === 0) {
      this.close();
      return;
    }
    try {
      const j = (this.#o.db.prepare('SELECT max(id) AS id FROM journal').get() as { id: number | null }).id ?? 0;
      // The offline queue changes without a new journal row (a replay confirms or refuses a row).
      const offline = this.offline();
      const offlineText = JSON.stringify([offline, this.#o.offline ? this.#o.db.prepare(`SELECT max(replayed_at) AS t FROM offline_queue`).get() : null]);
      const offlineChanged = offlineText !== this.#last.offline;
      if (offlineChanged) {
        this.#last.offline = offlineText;
        ns.emit('offline', offline);
      }
      if (j !== this.#last.journal || offlineChanged) {
        this.#last.journal = j;
        ns.emit('transactions', { transactions: this.transactions(), today: this.today() });
      }
      const a = (this.#o.db.prepare('SELECT max(id) AS id FROM audit_log').get() as { id: number | null }).id ?? 0;
      if (a !== this.#last.audit) {
        this.#last.audit = a;
        ns.emit('audit', this.#o.audit.recent(100));
      }
      const sip2 = this.#o.sip2();
      const sip2View = sip2 ? { host: sip2.host, port: sip2.port, connections: sip2.connectionList() } : null;
      const sip2Text = JSON.stringify(sip2View);
      if (sip2Text !== this.#last.sip2) {
        this.#last.sip2 = sip2Text;
        ns.emit('sip2', sip2View);
      }
      const sessions = this.#o.auth.activeSessions();
      const sessionsText = JSON.stringify(sessions.map((s) => [s.id, s.lastSeenAt]));
      if (sessionsText !== this.#last.sessions) {
        this.#last.sessions = sessionsText;
        ns.emit('sessions', sessions);
      }
      void this.#o.backendStatus().then((b) => {
        const view = { kind: b.kind, online: b.online, detail: b.detail };
        const text = JSON.stringify(view);
        if (text !== this.#last.backend) {
          this.#last.backend = text;
          ns.emit('backend', view);
        }
      }, () => undefined);
    } catch (e) {
      this.#log?.error({ err: e }, 'admin poll failed');
    }
  }
}

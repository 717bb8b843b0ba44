/**
 * Staff and admin logins (issue 6, "Admin page and security"; the contract is
 * ../../../notes/auth-contract.md as published to the other services):
 *
 * - local accounts in the store (`staff_accounts`), passwords hashed with scrypt off the event loop;
 * - sessions: a random token in the `kiosk_session` cookie (HttpOnly, SameSite=Strict, Path=/), only
 *   its SHA-256 stored; a session ends at its absolute expiry, after an idle time, on logout, when
 *   revoked, or when its account is disabled or its password changed;
 * - rate-limited logins: consecutive failures per user name and per remote address lead to a
 *   lockout that doubles each time (429 with Retry-After); every attempt is recorded;
 * - guards for pages (302 to /login), JSON APIs (401/403) and socket.io namespaces;
 * - every login, logout, failure and account change goes to the audit log.
 *
 * Times come from the daemon's Clock, so tests move session expiry and lockouts with a manual clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../clock.ts';
import { durable, type Db } from '../store/db.ts';
import { Audit } from './audit.ts';
import { dummyHash, hashPassword, verifyPassword } from './password.ts';

export { Audit, scrubDetail, type AuditEvent, type AuditOutcome, type AuditRow } from './audit.ts';

export type StaffRole = 'staff' | 'admin';
export const STAFF_ROLES: readonly StaffRole[] = ['staff', 'admin'];
export interface StaffPrincipal {
  user: string;
  role: StaffRole;
  sessionId: string;
}

export type AuthConfig = Config['auth'];

export const SESSION_COOKIE = 'kiosk_session';
export const LOGIN_PAGE_DIR = fileURLToPath(new URL('../http/login-page/', import.meta.url));

/** User names: what a person types, and safe in logs, URLs and the audit log. */
export const USER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MAX_PASSWORD = 1024;

export class AuthError extends Error {
  constructor(
    readonly code: 'invalid_user' | 'invalid_password' | 'invalid_role' | 'exists' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

export interface AccountView {
  user: string;
  role: StaffRole;
  createdAt: string;
  passwordChangedAt: string;
  disabledAt: string | null;
  lastLoginAt: string | null;
  activeSessions: number;
}

export type LoginResult =
  | { ok: true; token: string; principal: StaffPrincipal; expiresAt: string }
  | { ok: false; code: 'bad_credentials' }
  | { ok: false; code: 'too_many_attempts'; retryAfterS: number };

interface AccountRow {
  id: number;
  user: string;
  role: StaffRole;
  password_hash: string;
  created_at: string;
  password_changed_at: string;
  disabled_at: string | null;
  last_login_at: string | null;
}

interface SessionRow {
  id: string;
  account_id: number;
  expires_at: string;
  last_seen_at: string;
  ended_at: string | null;
  user: string;
  role: StaffRole;
  disabled_at: string | null;
}

interface LockoutRow {
  key: string;
  failures: number;
  last_failure_at: string;
  lockouts: number;
  locked_until: string | null;
}

/** Lockouts in a row are forgotten after a day without a failure. */
const LOCKOUT_MEMORY_MS = 86_400_000;
/** last_seen_at is written at most this often per session (a page load is several requests). */
const SEEN_WRITE_MS = 30_000;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function roleAllows(have: StaffRole, need: StaffRole): boolean {
  return have === 'admin' || have === need;
}

/** The value of one cookie in a Cookie header (RFC 6265 §5.4 pairs). */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  }
  return null;
}

/** A local path to return to after login; anything else (another origin, `//host`) becomes null. */
export function safeNext(next: unknown): string | null {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  if (/[\r\n\t]/.test(next) || next.length > 2000) return null;
  if (next.startsWith('/login') || next.startsWith('/api/')) return null;
  return next;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function forbiddenPage(p: StaffPrincipal, need: StaffRole): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not allowed · open-kiosk</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/login/login.css"></head>
<body><main class="card"><h1>Not allowed</h1>
<p>You are logged in as <strong>${escapeHtml(p.user)}</strong> (${escapeHtml(p.role)}). This page needs the ${escapeHtml(need)} role.</p>
<p><a href="/login">Log in as someone else</a></p></main></body></html>`;
}

export interface AuthOptions {
  db: Db;
  clock: Clock;
  config: AuthConfig;
  audit: Audit;
  logger?: Logger;
}

export class Auth {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #config: AuthConfig;
  readonly #audit: Audit;
  readonly #log: Logger | undefined;
  /** Live sockets per session id: disconnected when the session ends. */
  readonly #sockets = new Map<string, Set<Socket>>();
  #sweep: NodeJS.Timeout | null = null;
  /** Failed logins since start, for /metrics (by reason). */
  readonly loginFailures: Record<'bad_password' | 'unknown_user' | 'disabled' | 'locked', number> = {
    bad_password: 0,
    unknown_user: 0,
    disabled: 0,
    locked: 0,
  };

  constructor(opts: AuthOptions) {
    this.#db = opts.db;
    this.#clock = opts.clock;
    this.#config = opts.config;
    this.#audit = opts.audit;
    this.#log = opts.logger?.child({ component: 'auth' });
    // Sockets outlive the request that opened them: every minute, drop those whose session ended
    // (expired) and count a live page as use of its session (see #touchLiveSessions).
    this.#sweep = setInterval(() => this.#sweepSockets(), 60_000);
    this.#sweep.unref();
  }

  get config(): AuthConfig {
    return this.#config;
  }

  close(): void {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = null;
    for (const set of this.#sockets.values()) for (const s of set) s.disconnect(true);
    this.#sockets.clear();
  }

  // ------------------------------------------------------------------------------------ accounts

  /** Creates an account. Throws AuthError (invalid_user, invalid_password, invalid_role, exists). */
  async createAccount(user: string, password: string, role: StaffRole): Promise<void> {
    checkUser(user);
    checkPassword(password);
    if (!STAFF_ROLES.includes(role)) throw new AuthError('invalid_role', `role must be staff or admin, not "${String(role)}"`);
    if (this.#account(user)) throw new AuthError('exists', `an account "${user}" already exists`);
    const hash = await hashPassword(password);
    const now = this.#now().toISOString();
    try {
      this.#db
        .prepare('INSERT INTO staff_accounts (user, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)')
        .run(user, role, hash, now, now);
    } catch (e) {
      // Two creations of the same name racing through the hash: the UNIQUE constraint decides.
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new AuthError('exists', `an account "${user}" already exists`);
      throw e;
    }
    await durable(this.#db);
  }

  /** Sets a new password; every open session of the account ends. */
  async setPassword(user: string, password: string): Promise<void> {
    checkPassword(password);
    const a = this.#account(user);
    if (!a) throw new AuthError('not_found', `no account "${user}"`);
    const hash = await hashPassword(password);
    const now = this.#now().toISOString();
    this.#db.transaction(() => {
      this.#db.prepare('UPDATE staff_accounts SET password_hash = ?, password_changed_at = ? WHERE id = ?').run(hash, now, a.id);
      this.#endAccountSessions(a.id, 'password_changed');
    })();
    // A locked-out user whose password an admin reset may log in with the new one.
    this.#db.prepare('DELETE FROM login_lockouts WHERE key = ?').run(`user:${a.user.toLowerCase()}`);
    await durable(this.#db);
  }

  /** Disables (or enables) an account; disabling ends its sessions at once. Returns whether it changed. */
  async setDisabled(user: string, disabled: boolean): Promise<boolean> {
    const a = this.#account(user);
    if (!a) throw new AuthError('not_found', `no account "${user}"`);
    if (!!a.disabled_at === disabled) return false;
    this.#db.transaction(() => {
      this.#db.prepare('UPDATE staff_accounts SET disabled_at = ? WHERE id = ?').run(disabled ? this.#now().toISOString() : null, a.id);
      if (disabled) this.#endAccountSessions(a.id, 'account_disabled');
    })();
    await durable(this.#db);
    return true;
  }

  listAccounts(): AccountView[] {
    const now = this.#now().toISOString();
    const rows = this.#db
      .prepare(
        `SELECT a.*, (SELECT COUNT(*) FROM staff_sessions s WHERE s.account_id = a.id AND s.ended_at IS NULL AND s.expires_at > ?) AS active
         FROM staff_accounts a ORDER BY a.user`,
      )
      .all(now) as Array<AccountRow & { active: number }>;
    return rows.map((r) => ({
      user: r.user,
      role: r.role,
      createdAt: r.created_at,
      passwordChangedAt: r.password_changed_at,
      disabledAt: r.disabled_at,
      lastLoginAt: r.last_login_at,
      activeSessions: r.active,
    }));
  }

  hasAccounts(): boolean {
    return !!this.#db.prepare('SELECT 1 FROM staff_accounts LIMIT 1').get();
  }

  /**
   * The demo accounts (staff/staff, admin/admin) for a store that just got the demo library and has
   * no accounts yet. Logged as a warning: they must not survive into production.
   */
  async createDemoAccounts(): Promise<boolean> {
    if (this.hasAccounts()) return false;
    await this.createAccount('staff', 'staff', 'staff');
    await this.createAccount('admin', 'admin', 'admin');
    this.#audit.record({ actor: 'system', action: 'account.create', target: 'staff', outcome: 'ok', detail: { role: 'staff', demo: true } });
    this.#audit.record({ actor: 'system', action: 'account.create', target: 'admin', outcome: 'ok', detail: { role: 'admin', demo: true } });
    await durable(this.#db);
    this.#log?.warn(
      { accounts: ['staff', 'admin'] },
      'demo staff accounts created with their names as passwords (staff/staff, admin/admin): change them with `kiosk admin passwd` or disable them with `kiosk admin disable` before real use',
    );
    return true;
  }

  /**
   * The demo logins that still open with their demo passwords (staff/staff, admin/admin) and are
   * not disabled: said at every start, not only the first, until someone changes or disables them.
   */
  async demoLoginsInUse(): Promise<string[]> {
    const out: string[] = [];
    for (const user of ['staff', 'admin']) {
      const a = this.#db.prepare('SELECT password_hash, disabled_at FROM staff_accounts WHERE user = ?').get(user) as
        | { password_hash: string; disabled_at: string | null }
        | undefined;
      if (a && !a.disabled_at && (await verifyPassword(user, a.password_hash))) out.push(user);
    }
    return out;
  }

  // ----------------------------------------------------------------------------------- sessions

  /**
   * Checks a login. Never throws for bad input. An unknown user costs the same scrypt time as a
   * wrong password; a locked user name or address is refused without checking the password at all
   * (so a lockout cannot be used to keep guessing).
   */
  async login(userInput: string, password: string, remote: string | null): Promise<LoginResult> {
    const user = userInput.trim();
    const userKey = `user:${user.toLowerCase()}`;
    const addrKey = remote ? `addr:${remote}` : null;
    const detail = { remote };
    const locked = Math.max(this.#lockedFor(userKey), addrKey ? this.#lockedFor(addrKey) : 0);
    if (locked > 0) {
      this.#attempt(user, remote, 'locked');
      this.loginFailures.locked++;
      this.#audit.record({ actor: user || '-', action: 'auth.login', target: user || null, outcome: 'refused', detail: { ...detail, reason: 'locked', retryAfterS: locked } });
      await durable(this.#db);
      return { ok: false, code: 'too_many_attempts', retryAfterS: locked };
    }
    const a = USER_PATTERN.test(user) ? this.#account(user) : undefined;
    const matches = await verifyPassword(password.slice(0, MAX_PASSWORD), a?.password_hash ?? (await dummyHash()));
    if (!a || !matches || a.disabled_at) {
      const reason = !a ? 'unknown_user' : !matches ? 'bad_password' : 'disabled';
      this.#attempt(user, remote, reason);
      this.loginFailures[reason]++;
      let retryAfterS = this.#failure(userKey, this.#config.lockout.userFailures);
      if (addrKey) retryAfterS = Math.max(retryAfterS, this.#failure(addrKey, this.#config.lockout.addressFailures));
      this.#audit.record({
        actor: user || '-',
        action: 'auth.login',
        target: user || null,
        outcome: 'refused',
        detail: { ...detail, reason, ...(retryAfterS > 0 ? { lockedForS: retryAfterS } : {}) },
      });
      if (retryAfterS > 0) {
        // Say which lock it is: this user name's (userFailures), or this address's for every user (addressFailures).
        const scope = addrKey && this.#lockedFor(addrKey) >= retryAfterS ? 'address' : 'user';
        this.#log?.warn({ user, remote, lockedForS: retryAfterS, scope }, scope === 'address' ? 'logins from this address locked after repeated failures' : 'logins of this user locked after repeated failures');
      }
      await durable(this.#db);
      return retryAfterS > 0 ? { ok: false, code: 'too_many_attempts', retryAfterS } : { ok: false, code: 'bad_credentials' };
    }
    const now = this.#now();
    const token = randomBytes(32).toString('base64url');
    const id = randomBytes(12).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.#config.sessionTtlS * 1000).toISOString();
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO staff_sessions (id, token_hash, account_id, created_at, expires_at, last_seen_at, remote) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, sha256(token), a.id, now.toISOString(), expiresAt, now.toISOString(), remote);
      this.#db.prepare('UPDATE staff_accounts SET last_login_at = ? WHERE id = ?').run(now.toISOString(), a.id);
      this.#db.prepare('DELETE FROM login_lockouts WHERE key = ?').run(userKey);
      if (addrKey) this.#db.prepare('DELETE FROM login_lockouts WHERE key = ?').run(addrKey);
      this.#attempt(a.user, remote, 'ok');
      this.#audit.record({ actor: a.user, action: 'auth.login', target: a.user, outcome: 'ok', detail: { ...detail, session: id } });
    })();
    await durable(this.#db);
    return { ok: true, token, principal: { user: a.user, role: a.role, sessionId: id }, expiresAt };
  }

  /** The session a cookie token stands for, if it is still valid (and marks it used). */
  principalFromToken(token: string | null): (StaffPrincipal & { expiresAt: string }) | null {
    if (!token || token.length > 200) return null;
    const row = this.#db
      .prepare(
        `SELECT s.id, s.account_id, s.expires_at, s.last_seen_at, s.ended_at, a.user, a.role, a.disabled_at
         FROM staff_sessions s JOIN staff_accounts a ON a.id = s.account_id WHERE s.token_hash = ?`,
      )
      .get(sha256(token)) as SessionRow | undefined;
    if (!row || row.ended_at || row.disabled_at) return null;
    const now = this.#now();
    if (Date.parse(row.expires_at) <= now.getTime()) return null;
    if (Date.parse(row.last_seen_at) + this.#config.idleTimeoutS * 1000 <= now.getTime()) return null;
    if (now.getTime() - Date.parse(row.last_seen_at) >= SEEN_WRITE_MS) {
      this.#db.prepare('UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?').run(now.toISOString(), row.id);
    }
    return { user: row.user, role: row.role, sessionId: row.id, expiresAt: row.expires_at };
  }

  principalFromRequest(req: Request): (StaffPrincipal & { expiresAt: string }) | null {
    return this.principalFromToken(cookieValue(req.headers.cookie, SESSION_COOKIE));
  }

  /** Ends a session (logout or an admin's revocation); its live sockets are disconnected. */
  async endSession(sessionId: string, reason: 'logout' | 'revoked'): Promise<boolean> {
    const r = this.#db
      .prepare('UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL')
      .run(this.#now().toISOString(), reason, sessionId);
    this.#dropSockets(sessionId);
    await durable(this.#db);
    return r.changes > 0;
  }

  /** Open sessions, newest first (the admin page's list; never the token). */
  activeSessions(): Array<{ id: string; user: string; role: StaffRole; createdAt: string; expiresAt: string; lastSeenAt: string; remote: string | null }> {
    const now = this.#now();
    const idleCut = new Date(now.getTime() - this.#config.idleTimeoutS * 1000).toISOString();
    return this.#db
      .prepare(
        `SELECT s.id, a.user, a.role, s.created_at AS createdAt, s.expires_at AS expiresAt, s.last_seen_at AS lastSeenAt, s.remote
         FROM staff_sessions s JOIN staff_accounts a ON a.id = s.account_id
         WHERE s.ended_at IS NULL AND a.disabled_at IS NULL AND s.expires_at > ? AND s.last_seen_at > ? ORDER BY s.created_at DESC`,
      )
      .all(now.toISOString(), idleCut) as Array<{ id: string; user: string; role: StaffRole; createdAt: string; expiresAt: string; lastSeenAt: string; remote: string | null }>;
  }

  // ------------------------------------------------------------------------------------- guards

  /** HTML pages: not logged in → 302 to /login?next=<original url>; wrong role → 403 page. Sets res.locals.principal. */
  requirePage(role: StaffRole): RequestHandler {
    return (req, res, next) => {
      const p = this.principalFromRequest(req);
      if (!p) {
        res.setHeader('Cache-Control', 'no-store');
        res.redirect(302, `/login?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      if (!roleAllows(p.role, role)) {
        res.status(403).type('html').setHeader('Cache-Control', 'no-store');
        res.send(forbiddenPage(p, role));
        return;
      }
      res.locals.principal = { user: p.user, role: p.role, sessionId: p.sessionId } satisfies StaffPrincipal;
      next();
    };
  }

  /** JSON APIs: 401 {ok:false,error:{code:'login_required'}} / 403 {ok:false,error:{code:'forbidden'}}. Sets res.locals.principal. */
  requireApi(role: StaffRole): RequestHandler {
    return (req, res, next) => {
      const p = this.principalFromRequest(req);
      res.setHeader('Cache-Control', 'no-store');
      if (!p) {
        res.status(401).json({ ok: false, error: { code: 'login_required', message: 'Please log in.' } });
        return;
      }
      if (!roleAllows(p.role, role)) {
        res.status(403).json({ ok: false, error: { code: 'forbidden', message: `This needs the ${role} role.` } });
        return;
      }
      res.locals.principal = { user: p.user, role: p.role, sessionId: p.sessionId } satisfies StaffPrincipal;
      next();
    };
  }

  /**
   * socket.io namespace middleware (ns.use(...)): checks the session cookie of the handshake;
   * sets socket.data.principal. A refused socket gets a connect_error whose `data.code` is
   * login_required or forbidden. The socket is disconnected when its session ends.
   */
  socketGuard(role: StaffRole): (socket: Socket, next: (err?: Error) => void) => void {
    return (socket, next) => {
      const p = this.principalFromToken(cookieValue(socket.handshake.headers.cookie, SESSION_COOKIE));
      if (!p || !roleAllows(p.role, role)) {
        const err = new Error(p ? 'forbidden' : 'login_required') as Error & { data?: unknown };
        err.data = { code: p ? 'forbidden' : 'login_required' };
        next(err);
        return;
      }
      const principal: StaffPrincipal = { user: p.user, role: p.role, sessionId: p.sessionId };
      socket.data.principal = principal;
      let set = this.#sockets.get(p.sessionId);
      if (!set) this.#sockets.set(p.sessionId, (set = new Set()));
      set.add(socket);
      socket.on('disconnect', () => {
        const s = this.#sockets.get(p.sessionId);
        s?.delete(socket);
        if (s && s.size === 0) this.#sockets.delete(p.sessionId);
      });
      next();
    };
  }

  // ------------------------------------------------------------------------------------- router

  /**
   * GET /login (the page), POST /api/login, POST /api/logout, GET /api/session. Mounted at "/".
   * Commands take JSON bodies only: a form of another origin cannot post them without a CORS
   * preflight, which the daemon never grants; the cookie is SameSite=Strict besides.
   */
  router(): express.Router {
    const r = express.Router();
    const page = readFileSync(`${LOGIN_PAGE_DIR}index.html`, 'utf8');
    r.get('/login', (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
      res.type('html').send(page);
    });
    r.use('/login', express.static(LOGIN_PAGE_DIR, { index: false, fallthrough: false, maxAge: 0 }));
    const json = express.json({ limit: '8kb', type: () => true });
    const needJson: RequestHandler = (req, res, next) => {
      if (!req.is('application/json')) {
        res.status(415).json({ ok: false, error: { code: 'unsupported_media_type', message: 'Send the request as application/json.' } });
        return;
      }
      next();
    };
    r.post('/api/login', needJson, json, (req, res, next) => {
      void this.#handleLogin(req, res).catch(next);
    });
    r.post('/api/logout', (req, res, next) => {
      void (async () => {
        const p = this.principalFromRequest(req);
        if (p) {
          await this.endSession(p.sessionId, 'logout');
          this.#audit.record({ actor: p.user, action: 'auth.logout', target: p.user, outcome: 'ok', detail: { session: p.sessionId, remote: remoteOf(req) } });
          await durable(this.#db);
        }
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Set-Cookie', clearCookie(req));
        res.json({ ok: true, data: { loggedOut: !!p } });
      })().catch(next);
    });
    r.get('/api/session', (req, res) => {
      const p = this.principalFromRequest(req);
      res.setHeader('Cache-Control', 'no-store');
      if (!p) return void res.status(401).json({ ok: false, error: { code: 'login_required', message: 'Please log in.' } });
      res.json({ ok: true, data: { user: p.user, role: p.role, expiresAt: p.expiresAt } });
    });
    // A body that is not JSON at all: a clear 400 instead of express's HTML error page.
    r.use('/api', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
      const e = err as { type?: string; status?: number };
      if (e && (e.type === 'entity.parse.failed' || e.type === 'entity.too.large')) {
        res.status(e.status ?? 400).json({ ok: false, error: { code: 'invalid_request', message: e.type === 'entity.too.large' ? 'The request is too large.' : 'The request body is not valid JSON.' } });
        return;
      }
      next(err);
    });
    return r;
  }

  async #handleLogin(req: Request, res: Response): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    const body = req.body as { user?: unknown; password?: unknown } | undefined;
    const problems: string[] = [];
    if (!body || typeof body !== 'object' || Array.isArray(body)) problems.push('the body must be a JSON object {user, password}');
    else {
      if (typeof body.user !== 'string' || body.user.trim() === '') problems.push('user: enter your user name');
      else if (body.user.length > 64) problems.push('user: at most 64 characters');
      if (typeof body.password !== 'string' || body.password === '') problems.push('password: enter your password');
      else if (body.password.length > MAX_PASSWORD) problems.push(`password: at most ${MAX_PASSWORD} characters`);
    }
    if (problems.length) {
      res.status(400).json({ ok: false, error: { code: 'invalid_request', message: problems.join('; ') } });
      return;
    }
    const r = await this.login((body as { user: string }).user, (body as { password: string }).password, remoteOf(req));
    if (!r.ok) {
      if (r.code === 'too_many_attempts') {
        res.setHeader('Retry-After', String(r.retryAfterS));
        res.status(429).json({
          ok: false,
          error: { code: 'too_many_attempts', message: `Too many failed logins. Try again in ${describeWait(r.retryAfterS)}.`, retryAfterS: r.retryAfterS },
        });
      } else {
        res.status(401).json({ ok: false, error: { code: 'bad_credentials', message: 'The user name or password is not correct.' } });
      }
      return;
    }
    res.setHeader('Set-Cookie', sessionCookie(req, r.token, this.#config.sessionTtlS));
    res.json({ ok: true, data: { user: r.principal.user, role: r.principal.role, expiresAt: r.expiresAt } });
  }

  // ------------------------------------------------------------------------------------ private

  #now(): Date {
    return this.#clock.now();
  }

  #account(user: string): AccountRow | undefined {
    return this.#db.prepare('SELECT * FROM staff_accounts WHERE user = ?').get(user) as AccountRow | undefined;
  }

  #attempt(user: string, remote: string | null, outcome: 'ok' | 'bad_password' | 'unknown_user' | 'disabled' | 'locked'): void {
    this.#db.prepare('INSERT INTO login_attempts (at, user, remote, outcome) VALUES (?, ?, ?, ?)').run(this.#now().toISOString(), user.slice(0, 64), remote, outcome);
  }

  /** Seconds until `key` may try again (0: not locked). */
  #lockedFor(key: string): number {
    const row = this.#db.prepare('SELECT locked_until FROM login_lockouts WHERE key = ?').get(key) as { locked_until: string | null } | undefined;
    if (!row?.locked_until) return 0;
    const ms = Date.parse(row.locked_until) - this.#now().getTime();
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
  }

  /**
   * Counts a failure for `key`; at `threshold` failures in a row (within the window) the key is
   * locked for baseS·2^(lockouts in a row), at most maxS. Returns the lockout in seconds, or 0.
   */
  #failure(key: string, threshold: number): number {
    const { baseS, maxS, windowS } = this.#config.lockout;
    const now = this.#now().getTime();
    const row = this.#db.prepare('SELECT * FROM login_lockouts WHERE key = ?').get(key) as LockoutRow | undefined;
    const sinceLast = row ? now - Date.parse(row.last_failure_at) : Infinity;
    let failures = row && sinceLast <= windowS * 1000 ? row.failures + 1 : 1;
    let lockouts = row && sinceLast <= LOCKOUT_MEMORY_MS ? row.lockouts : 0;
    let lockedUntil: string | null = null;
    let lockS = 0;
    if (failures >= threshold) {
      lockS = Math.min(baseS * 2 ** Math.min(lockouts, 30), maxS);
      lockedUntil = new Date(now + lockS * 1000).toISOString();
      lockouts++;
      failures = 0;
    }
    this.#db
      .prepare(
        `INSERT INTO login_lockouts (key, failures, last_failure_at, lockouts, locked_until) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at,
           lockouts = excluded.lockouts, locked_until = excluded.locked_until`,
      )
      .run(key, failures, new Date(now).toISOString(), lockouts, lockedUntil);
    return lockS;
  }

  #endAccountSessions(accountId: number, reason: string): void {
    const ids = this.#db.prepare('SELECT id FROM staff_sessions WHERE account_id = ? AND ended_at IS NULL').all(accountId) as Array<{ id: string }>;
    this.#db.prepare('UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE account_id = ? AND ended_at IS NULL').run(this.#now().toISOString(), reason, accountId);
    for (const { id } of ids) this.#dropSockets(id);
  }

  #dropSockets(sessionId: string): void {
    const set = this.#sockets.get(sessionId);
    if (!set) return;
    this.#sockets.delete(sessionId);
    for (const s of set) s.disconnect(true);
  }

  /**
   * A page kept open with a live socket is in use: its session's last_seen_at moves on (so the idle
   * timeout ends only sessions nobody is looking at); sockets of ended or expired sessions go.
   */
  #sweepSockets(): void {
    if (!this.#db.open) return;
    const now = this.#now();
    for (const id of [...this.#sockets.keys()]) {
      const row = this.#db
        .prepare(
          `SELECT s.expires_at, s.ended_at, a.disabled_at FROM staff_sessions s JOIN staff_accounts a ON a.id = s.account_id WHERE s.id = ?`,
        )
        .get(id) as { expires_at: string; ended_at: string | null; disabled_at: string | null } | undefined;
      if (!row || row.ended_at || row.disabled_at || Date.parse(row.expires_at) <= now.getTime()) this.#dropSockets(id);
      else this.#db.prepare('UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?').run(now.toISOString(), id);
    }
  }
}

function checkUser(user: string): void {
  if (typeof user !== 'string' || !USER_PATTERN.test(user)) {
    throw new AuthError('invalid_user', `user name "${String(user)}" is not valid: 1-64 characters, letters, digits and . _ @ -, starting with a letter or digit`);
  }
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length === 0) throw new AuthError('invalid_password', 'the password is empty');
  if (password.length > MAX_PASSWORD) throw new AuthError('invalid_password', `the password is longer than ${MAX_PASSWORD} characters`);
}

/** The peer's address as the socket sees it (no proxy headers: the daemon is not behind one). */
export function remoteOf(req: Request): string | null {
  return req.socket.remoteAddress ?? null;
}

function sessionCookie(req: Request, token: string, maxAgeS: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${req.secure ? '; Secure' : ''}`;
}

function clearCookie(req: Request): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${req.secure ? '; Secure' : ''}`;
}

export function describeWait(s: number): string {
  if (s < 90) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.ceil(s / 60);
  return `${m} minute${m === 1 ? '' : 's'}`;
}

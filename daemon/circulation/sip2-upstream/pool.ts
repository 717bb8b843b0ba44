/**
 * A small pool of logged-in SIP2 connections to the upstream, built on daemon/sip2/client.ts.
 *
 * - Each connection logs in once (93, then 99, reference §4) and then serves one request at a time;
 *   concurrent kiosk sessions use different connections, up to `poolSize`.
 * - A connection that times out, closes or keeps sending corrupt replies (after the client's 97
 *   resends) is thrown away: its byte stream can no longer be trusted to pair requests and replies.
 * - A read (23, 63, 17, 99) that fails that way is retried on a fresh connection. A transaction (11,
 *   09, 29, …) is retried only if it never left this machine; once written, its outcome is unknown
 *   and the caller decides (offline queue or "backend unavailable").
 * - When the upstream cannot be reached or refuses the login, the pool is offline: requests fail at
 *   once instead of each waiting for a connect timeout, and a timer tries again with exponential
 *   backoff (reconnect.minMs doubling up to reconnect.maxMs, ±20 % jitter so a room of kiosks does
 *   not reconnect in step).
 * - An idle connection gets a 99 every keepalive period so the upstream's idle timeout does not
 *   close it under us and a dead upstream is noticed before a patron is waiting.
 */
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { AcsStatusResponse, Sip2Request, Sip2Response } from '../../../protocols/sip2/index.ts';
import { Sip2Client, Sip2ClientError } from '../../sip2/client.ts';

export type UnavailableCode = 'connect' | 'login' | 'backoff' | 'closed' | 'timeout' | 'corrupt' | 'protocol' | 'busy' | 'closing';

/** The upstream could not answer. `written`: a transaction had been sent, so its outcome is unknown. */
export class UpstreamUnavailable extends Error {
  constructor(
    readonly code: UnavailableCode,
    message: string,
    readonly written: boolean = false,
  ) {
    super(message);
    this.name = 'UpstreamUnavailable';
  }
}

/** Requests that change something upstream (never blindly repeated once written). */
const TRANSACTION_CODES: ReadonlySet<string> = new Set(['11', '09', '29', '65', '15', '37', '01', '25', '19']);

export interface PoolOptions {
  host: string;
  port: number;
  tls: boolean | ConnectionOptions;
  charset: string;
  terminator: 'CR' | 'CRLF';
  errorDetection: boolean;
  timeoutMs: number;
  connectTimeoutMs: number;
  retries: number;
  /** 93 CN; empty = no login. */
  user: string;
  password: string;
  /** 93 CP. */
  location?: string;
  poolSize: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** 0 = no keepalive. */
  keepaliveMs: number;
  logger?: Logger;
  /** For the backoff jitter. */
  random?: () => number;
  /** Real time for network timers (not the library clock). */
  nowMs?: () => number;
}

export type PoolState = 'unknown' | 'online' | 'offline';

export interface PoolStatus {
  state: PoolState;
  /** Why the upstream is offline (never contains the password). */
  reason: string | null;
  /** The last 98 the upstream sent. */
  acs: AcsStatusResponse | null;
  /** Milliseconds until the next reconnect attempt, when offline. */
  nextAttemptInMs: number | null;
  open: number;
  busy: number;
}

/** One logged-in connection, leased to one caller at a time. */
export class UpstreamConnection {
  /** A transaction went out on this lease: its outcome is the upstream's, not ours to repeat. */
  wroteTransaction = false;
  broken = false;
  busy = false;
  lastUsedMs: number;

  constructor(
    readonly id: number,
    private readonly client: Sip2Client,
    private readonly pool: Sip2UpstreamPool,
    nowMs: number,
  ) {
    this.lastUsedMs = nowMs;
  }

  get alive(): boolean {
    return !this.broken && this.client.connected;
  }

  /**
   * Sends a request and returns the reply of the expected type. A 98 in place of the reply is the
   * ACS telling us its status changed: the request is repeated once (reference §4).
   */
  async send<C extends Sip2Response['code']>(message: Sip2Request, expect: C): Promise<Extract<Sip2Response, { code: C }>> {
    if (TRANSACTION_CODES.has(message.code)) this.wroteTransaction = true;
    for (let attempt = 0; ; attempt++) {
      let reply: Sip2Response;
      try {
        reply = await this.client.send(message);
      } catch (e) {
        this.broken = true;
        throw toUnavailable(e, this.wroteTransaction);
      } finally {
        // The client keeps every frame for `kiosk sip2`; a long-lived pool must not (memory, and
        // the login and PIN bytes).
        this.client.transcript.length = 0;
        this.lastUsedMs = this.pool.now();
      }
      if (reply.code === expect) return reply as Extract<Sip2Response, { code: C }>;
      if (reply.code === '98') {
        this.pool.noteAcsStatus(reply);
        if (message.code !== '99' && attempt === 0) continue;
      }
      this.broken = true;
      throw new UpstreamUnavailable('protocol', `the upstream answered ${message.code} with ${reply.code}, expected ${expect}`, this.wroteTransaction);
    }
  }

  close(): void {
    this.broken = true;
    this.client.close();
  }
}

function toUnavailable(e: unknown, written: boolean): UpstreamUnavailable {
  if (e instanceof UpstreamUnavailable) return e;
  if (e instanceof Sip2ClientError) {
    const code: UnavailableCode =
      e.code === 'timeout' ? 'timeout' : e.code === 'connect' ? 'connect' : e.code === 'closed' ? 'closed' : 'corrupt';
    return new UpstreamUnavailable(code, e.message, written);
  }
  return new UpstreamUnavailable('protocol', (e as Error)?.message ?? String(e), written);
}

interface Waiter {
  resolve: (c: UpstreamConnection) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Sip2UpstreamPool {
  private readonly conns = new Set<UpstreamConnection>();
  private idle: UpstreamConnection[] = [];
  private waiters: Waiter[] = [];
  private creating = 0;
  private nextId = 1;
  private state: PoolState = 'unknown';
  private reason: string | null = null;
  private failures = 0;
  private nextAttemptAtMs = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private acs: AcsStatusResponse | null = null;
  private closed = false;
  private readonly listeners = new Set<(s: PoolStatus) => void>();
  private readonly log: Logger | undefined;
  readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: PoolOptions) {
    this.log = opts.logger;
    this.now = opts.nowMs ?? Date.now;
    this.random = opts.random ?? Math.random;
    if (opts.keepaliveMs > 0) {
      this.keepaliveTimer = setInterval(() => void this.keepalive(), Math.max(50, Math.floor(opts.keepaliveMs / 2)));
      this.keepaliveTimer.unref();
    }
  }

  status(): PoolStatus {
    return {
      state: this.state,
      reason: this.reason,
      acs: this.acs,
      nextAttemptInMs: this.state === 'offline' ? Math.max(0, this.nextAttemptAtMs - this.now()) : null,
      open: this.conns.size,
      busy: [...this.conns].filter((c) => c.busy).length,
    };
  }

  /** Called on every change of state or reason. Returns an unsubscribe function. */
  onChange(listener: (s: PoolStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  noteAcsStatus(acs: AcsStatusResponse): void {
    this.acs = acs;
  }

  /**
   * Runs `fn` on a leased connection. Failures of the connection are retried on a fresh one while
   * nothing was written; otherwise they are thrown as UpstreamUnavailable for the caller to decide.
   */
  async run<T>(fn: (c: UpstreamConnection) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.acquire();
      conn.wroteTransaction = false;
      try {
        const out = await fn(conn);
        this.release(conn);
        this.markOnline();
        return out;
      } catch (e) {
        if (!(e instanceof UpstreamUnavailable)) {
          this.release(conn);
          throw e;
        }
        this.discard(conn);
        this.log?.warn({ conn: conn.id, code: e.code, written: e.written, err: e.message }, 'upstream request failed');
        // A read is tried again on a fresh connection (whose connect and 99 show whether the upstream
        // is there at all); a timeout is not, so a hung upstream costs the patron one wait, not several.
        if (!e.written && attempt < this.opts.retries && e.code !== 'timeout') continue;
        throw e;
      }
    }
  }

  /** Tries to reach the upstream now (ignoring the backoff); true when a logged-in connection works. */
  async probe(): Promise<boolean> {
    if (this.closed) return false;
    const conn = this.idle.find((c) => c.alive);
    if (conn) {
      this.idle = this.idle.filter((c) => c !== conn);
      conn.busy = true;
      try {
        this.acs = await conn.send(scStatus(), '98');
        this.release(conn);
        this.markOnline();
        return true;
      } catch (e) {
        if (!(e instanceof UpstreamUnavailable)) throw e;
        this.discard(conn); // and see whether a new connection works
      }
    }
    if (this.conns.size + this.creating >= this.opts.poolSize) return this.state === 'online';
    try {
      this.release(await this.create());
      return true;
    } catch (e) {
      if (!(e instanceof UpstreamUnavailable)) throw e;
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new UpstreamUnavailable('closing', 'the backend is closing'));
    }
    for (const c of this.conns) c.close();
    this.conns.clear();
    this.idle = [];
    this.listeners.clear();
  }

  // ------------------------------------------------------------------ internals

  private async acquire(): Promise<UpstreamConnection> {
    if (this.closed) throw new UpstreamUnavailable('closing', 'the backend is closing');
    while (this.idle.length) {
      const c = this.idle.pop()!;
      if (c.alive) {
        c.busy = true;
        return c;
      }
      this.discard(c);
    }
    if (this.conns.size + this.creating < this.opts.poolSize) {
      if (this.state === 'offline' && this.now() < this.nextAttemptAtMs) {
        throw new UpstreamUnavailable('backoff', this.reason ?? 'the upstream is offline');
      }
      return this.create();
    }
    return new Promise<UpstreamConnection>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new UpstreamUnavailable('busy', `all ${this.opts.poolSize} upstream connections stayed busy for ${this.opts.timeoutMs} ms`));
        }, this.opts.timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private release(c: UpstreamConnection): void {
    c.busy = false;
    if (!c.alive || this.closed) {
      this.discard(c);
      return;
    }
    const w = this.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      c.busy = true;
      w.resolve(c);
      return;
    }
    this.idle.push(c);
  }

  private discard(c: UpstreamConnection): void {
    c.close();
    this.conns.delete(c);
    this.idle = this.idle.filter((x) => x !== c);
    // Someone waiting for a connection gets a new one in place of the lost one.
    const w = this.waiters[0];
    if (w && !this.closed && this.conns.size + this.creating < this.opts.poolSize) {
      this.waiters.shift();
      clearTimeout(w.timer);
      this.create().then(w.resolve, w.reject);
    }
  }

  private async create(): Promise<UpstreamConnection> {
    this.creating++;
    const o = this.opts;
    let client: Sip2Client | null = null;
    try {
      client = await Sip2Client.connect({
        host: o.host,
        port: o.port,
        tls: o.tls,
        charset: o.charset,
        terminator: o.terminator,
        errorDetection: o.errorDetection,
        timeoutMs: o.timeoutMs,
        connectTimeoutMs: o.connectTimeoutMs,
        retries: o.retries,
      });
      const conn = new UpstreamConnection(this.nextId++, client, this, this.now());
      conn.busy = true;
      if (o.user) {
        const login = await conn.send(
          { code: '93', uidAlgorithm: '0', pwdAlgorithm: '0', loginUserId: o.user, loginPassword: o.password, ...(o.location ? { locationCode: o.location } : {}) },
          '94',
        );
        if (!login.ok) {
          conn.close();
          throw new UpstreamUnavailable('login', `the upstream refused the login of user "${o.user}" (94 ok=0)`);
        }
      }
      // 99 after 93 (reference §4): the ACS's status and the messages it supports.
      this.acs = await conn.send(scStatus(), '98');
      if (this.closed) {
        conn.close();
        throw new UpstreamUnavailable('closing', 'the backend is closing');
      }
      this.conns.add(conn);
      this.log?.info({ conn: conn.id, host: o.host, port: o.port, online: this.acs.onlineStatus }, 'upstream connection ready');
      this.markOnline();
      return conn;
    } catch (e) {
      client?.close();
      const u = toUnavailable(e, false);
      if (u.code !== 'closing') {
        const why = u.code === 'login' ? u.message : `cannot reach ${o.host}:${o.port}: ${u.message}`;
        this.markOffline(why);
        u.message = why;
      }
      throw u;
    } finally {
      this.creating--;
    }
  }

  private markOnline(): void {
    if (this.probeTimer) {
      clearTimeout(this.probeTimer);
      this.probeTimer = null;
    }
    this.failures = 0;
    if (this.state === 'online') return;
    this.state = 'online';
    this.reason = null;
    this.log?.info({ host: this.opts.host, port: this.opts.port }, 'upstream online');
    this.emit();
  }

  private markOffline(reason: string): void {
    if (this.closed) return;
    this.failures++;
    const base = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectMinMs * 2 ** Math.min(30, this.failures - 1));
    const delay = Math.max(1, Math.round(base * (0.8 + 0.4 * this.random())));
    this.nextAttemptAtMs = this.now() + delay;
    const changed = this.state !== 'offline' || this.reason !== reason;
    this.state = 'offline';
    this.reason = reason;
    for (const c of [...this.idle]) this.discard(c);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      void this.probe();
    }, delay);
    this.probeTimer.unref();
    if (changed) {
      this.log?.warn({ reason, retryInMs: delay }, 'upstream offline');
      this.emit();
    } else {
      this.log?.debug({ reason, retryInMs: delay, failures: this.failures }, 'upstream still offline');
    }
  }

  private emit(): void {
    const s = this.status();
    for (const l of this.listeners) {
      try {
        l(s);
      } catch (e) {
        this.log?.error({ err: e }, 'upstream status listener failed');
      }
    }
  }

  private async keepalive(): Promise<void> {
    if (this.closed) return;
    const due = this.idle.filter((c) => this.now() - c.lastUsedMs >= this.opts.keepaliveMs);
    for (const c of due) {
      if (!this.idle.includes(c)) continue;
      this.idle = this.idle.filter((x) => x !== c);
      c.busy = true;
      try {
        this.acs = await c.send(scStatus(), '98');
        this.release(c);
      } catch (e) {
        this.log?.info({ conn: c.id, err: (e as Error).message }, 'upstream keepalive failed; connection dropped');
        this.discard(c);
        // Is the upstream still there? Finding out now lets the kiosk show "offline" before a patron waits.
        await this.probe();
        return;
      }
    }
  }
}

function scStatus(): Sip2Request {
  return { code: '99', statusCode: '0', maxPrintWidth: 40, protocolVersion: '2.00' };
}

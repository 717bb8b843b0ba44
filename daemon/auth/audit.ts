/**
 * The audit log (issue 6, "no staff action without an audit record"): one row per staff action —
 * who, what, on which target, with what outcome, and a small detail object. Secrets never reach a
 * row: detail keys that name a PIN, password, token, cookie or secret are replaced by "***" however
 * deep they sit, so a careless caller cannot write one.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Db } from '../store/db.ts';

export type AuditOutcome = 'ok' | 'refused' | 'error';

export interface AuditEvent {
  /** The staff user name, `system` for the daemon itself, `cli:<os user>` for the kiosk command. */
  actor: string;
  /** Dotted verb, e.g. `auth.login`, `account.disable`, `pairing.revoke`. */
  action: string;
  target?: string | null;
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  detail: Record<string, unknown> | null;
}

const SECRET_KEY = /pin|pass(word)?|token|secret|cookie|hash|credential/i;

/** A copy of `v` with secret-named keys masked; long strings cut, depth limited. */
export function scrubDetail(v: unknown, depth = 0): unknown {
  if (depth > 4) return '…';
  if (typeof v === 'string') return v.length > 500 ? `${v.slice(0, 500)}…` : v;
  if (Array.isArray(v)) return v.slice(0, 50).map((x) => scrubDetail(x, depth + 1));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, SECRET_KEY.test(k) ? '***' : scrubDetail(x, depth + 1)]));
  }
  return v;
}

export class Audit {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  #insert: { run(...args: unknown[]): unknown } | null = null;

  constructor(opts: { db: Db; clock: Clock; logger?: Logger }) {
    this.#db = opts.db;
    this.#clock = opts.clock;
    this.#log = opts.logger?.child({ component: 'audit' });
  }

  /**
   * One row per staff action (who, what, on which target, outcome); never a PIN/password/token.
   * Synchronous (one INSERT); a caller that reports the action's success awaits `durable(db)` first.
   */
  record(e: AuditEvent): void {
    if (!e.actor || !e.action) throw new Error('audit record needs an actor and an action');
    const detail = e.detail === undefined ? null : JSON.stringify(scrubDetail(e.detail));
    this.#insert ??= this.#db.prepare('INSERT INTO audit_log (at, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)');
    try {
      this.#insert.run(this.#clock.now().toISOString(), e.actor, e.action, e.target ?? null, e.outcome, detail);
    } catch (err) {
      // A closed store at shutdown must not turn a staff action into a crash; it is logged instead.
      this.#log?.error({ err, actor: e.actor, action: e.action, outcome: e.outcome }, 'audit record could not be written');
      return;
    }
    this.#log?.info({ actor: e.actor, action: e.action, target: e.target ?? null, outcome: e.outcome }, 'audit');
  }

  /** The latest rows, newest first. */
  recent(limit = 100, opts: { actor?: string; action?: string } = {}): AuditRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.actor) {
      where.push('actor = ?');
      args.push(opts.actor);
    }
    if (opts.action) {
      where.push('action = ?');
      args.push(opts.action);
    }
    const rows = this.#db
      .prepare(`SELECT id, at, actor, action, target, outcome, detail FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args, Math.max(1, Math.min(1000, Math.trunc(limit)))) as Array<Omit<AuditRow, 'detail'> & { detail: string | null }>;
    return rows.map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }));
  }
}

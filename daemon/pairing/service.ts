/**
 * Pairing a staff desk PC with this daemon's RFID pad (issue 6, "Staff pairing of RFID pads to desk
 * PCs").
 *
 * - The pad shows a one-time code (code.ts) on the admin page and in the log (info level: it is a
 *   code meant to be read off a screen, not a password). It changes every `pairing.codeTtlS`, after
 *   every successful pairing, and after `pairing.maxWrongCodes` wrong tries in a row.
 * - A staff member logged in on /staff types it; the pairing gets a random 256-bit token, handed to
 *   the desk once and stored only as its SHA-256 (migration 7). The token expires after
 *   `pairing.tokenTtlH` and is revoked by an admin, by the staff member ("unpair") or by a newer
 *   pairing of the same pad.
 * - One desk per pad: a new pairing REPLACES the old one (the old desk is disconnected and told
 *   why). Refusing instead would let a desk PC that crashed, or was left logged in, lock the pad
 *   out until an admin steps in; whoever can read the current code is at the pad or on the admin
 *   page, which is exactly who may move the pad to another desk. The replacement is audited.
 * - The code is always required. The desk's remote address is recorded for display on the admin
 *   page only; no decision anywhere reads it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.ts';
import type { AuditEvent } from '../auth/audit.ts';
import type { Clock } from '../clock.ts';
import { durable, type Db } from '../store/db.ts';
import { cryptoRandom, generatePairingCode, normalizeCode, type RandomSource } from './code.ts';

export interface AuditSink {
  record(e: AuditEvent): void;
}

export interface PairingView {
  id: number;
  pad: string;
  desk: string;
  user: string;
  remoteAddress: string | null;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string | null;
}

export type EndReason = 'admin' | 'unpaired' | 'replaced' | 'expired';

export interface PairingEvents {
  /** A pairing stopped being live: its desk must be disconnected. */
  ended: [PairingView, EndReason];
  /** The pad shows a new code. */
  code: [{ code: string; expiresAt: string }];
}

export type PairResult =
  | { ok: true; token: string; pairing: PairingView; replaced: PairingView[] }
  | { ok: false; code: 'bad_code' | 'wrong_code' | 'bad_desk'; message: string };

export interface PairingServiceOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The pairing settings (the `programming` part is the desk's, see desk.ts). */
  config: Pick<Config['pairing'], 'codeTtlS' | 'tokenTtlH' | 'maxWrongCodes'>;
  /** The RFID device id of the pad this daemon pairs out. */
  pad: string;
  audit: AuditSink;
  random?: RandomSource;
  /** How often the code's and the pairings' expiry are checked (ms). Default 1000. */
  tickMs?: number;
}

interface Row {
  id: number;
  pad: string;
  desk: string;
  user: string;
  remote_address: string | null;
  created_at: string;
  expires_at: string;
  last_seen_at: string | null;
}

const DESK_NAME = /^[\p{L}\p{N} ._#()/-]{1,40}$/u;

function view(r: Row): PairingView {
  return {
    id: r.id,
    pad: r.pad,
    desk: r.desk,
    user: r.user,
    remoteAddress: r.remote_address,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastSeenAt: r.last_seen_at,
  };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class PairingService extends EventEmitter<PairingEvents> {
  readonly pad: string;
  private readonly o: PairingServiceOptions;
  private readonly log: Logger;
  private readonly random: RandomSource;
  private code = '';
  private codeExpiresMs = 0;
  private wrongInARow = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(o: PairingServiceOptions) {
    super();
    this.o = o;
    this.pad = o.pad;
    this.log = o.logger.child({ component: 'pairing' });
    this.random = o.random ?? cryptoRandom;
    this.rotate('start');
  }

  /** Starts the background check that rotates the code and ends expired pairings on time. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check: a code past its time is replaced; pairings past theirs end ('expired'). */
  tick(): void {
    if (!this.o.db.open) return;
    this.currentCode();
    this.sweep();
  }

  // ------------------------------------------------------------------------------------- code

  private rotate(reason: 'start' | 'expired' | 'used' | 'wrong_codes'): void {
    this.code = generatePairingCode(this.random).replace('-', '');
    this.codeExpiresMs = this.o.clock.now().getTime() + this.o.config.codeTtlS * 1000;
    this.wrongInARow = 0;
    const shown = this.display();
    const expiresAt = new Date(this.codeExpiresMs).toISOString();
    // Info level on purpose: staff read it off the log when the admin page is not at hand.
    this.log.info({ pad: this.pad, expiresAt, reason }, `pairing code for pad ${this.pad}: ${shown}`);
    this.emit('code', { code: shown, expiresAt });
  }

  private display(): string {
    return `${this.code.slice(0, 4)}-${this.code.slice(4)}`;
  }

  /** The code the pad shows now (rotated first when its time is up). */
  currentCode(): { code: string; expiresAt: string } {
    if (this.o.clock.now().getTime() >= this.codeExpiresMs) this.rotate('expired');
    return { code: this.display(), expiresAt: new Date(this.codeExpiresMs).toISOString() };
  }

  // ---------------------------------------------------------------------------------- pairing

  /**
   * Pairs a desk: the code must be the pad's current one. On success the code changes (single use),
   * any earlier pairing of the pad is revoked ('replaced'), and the token is returned once.
   */
  async pair(req: { code: string; desk: string; user: string; sessionId: string | null; remoteAddress: string | null }): Promise<PairResult> {
    const desk = req.desk.trim();
    const audit = (outcome: 'ok' | 'refused', detail: Record<string, unknown>, target: string | null = null) =>
      this.o.audit.record({ actor: req.user, action: 'pairing.pair', target, outcome, detail: { pad: this.pad, desk, remoteAddress: req.remoteAddress, ...detail } });
    if (!DESK_NAME.test(desk)) {
      audit('refused', { reason: 'bad_desk' });
      return { ok: false, code: 'bad_desk', message: 'Give the desk a name of 1–40 letters, digits, spaces or . _ # ( ) / -' };
    }
    const typed = normalizeCode(req.code);
    this.currentCode(); // an expired code is replaced before it is compared
    if (!typed) {
      audit('refused', { reason: 'bad_code' });
      this.wrong();
      return { ok: false, code: 'bad_code', message: 'A pairing code has 8 characters, like K7QX-3HMA: read it off the pad’s admin page.' };
    }
    // Constant time: the comparison does not tell a guesser how many characters were right.
    if (!timingSafeEqual(Buffer.from(typed), Buffer.from(this.code))) {
      audit('refused', { reason: 'wrong_code' });
      this.wrong();
      return { ok: false, code: 'wrong_code', message: 'That is not the code the pad shows now (codes change every few minutes and after each use).' };
    }
    this.rotate('used');
    const token = Buffer.from(this.random(32)).toString('base64url');
    const now = this.o.clock.now();
    const expiresAt = new Date(now.getTime() + this.o.config.tokenTtlH * 3_600_000).toISOString();
    const db = this.o.db;
    const { row, replaced } = db.transaction(() => {
      const old = db.prepare(`SELECT * FROM desk_pairings WHERE pad = ? AND revoked_at IS NULL AND expires_at > ?`).all(this.pad, now.toISOString()) as Row[];
      db.prepare(`UPDATE desk_pairings SET revoked_at = ?, revoked_by = ?, revoke_reason = 'replaced' WHERE pad = ? AND revoked_at IS NULL`).run(now.toISOString(), req.user, this.pad);
      const id = Number(
        db
          .prepare(
            `INSERT INTO desk_pairings (pad, desk, user, session_id, remote_address, token_hash, created_at, expires_at, last_seen_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(this.pad, desk, req.user, req.sessionId, req.remoteAddress, hashToken(token), now.toISOString(), expiresAt, now.toISOString()).lastInsertRowid,
      );
      return { row: db.prepare('SELECT * FROM desk_pairings WHERE id = ?').get(id) as Row, replaced: old };
    })();
    const pairing = view(row);
    audit('ok', { pairing: pairing.id, expiresAt, replaced: replaced.map((r) => ({ id: r.id, desk: r.desk, user: r.user })) }, `pairing:${pairing.id}`);
    for (const r of replaced) {
      this.o.audit.record({ actor: req.user, action: 'pairing.revoke', target: `pairing:${r.id}`, outcome: 'ok', detail: { reason: 'replaced', desk: r.desk, pairedBy: r.user, by: pairing.id } });
    }
    await durable(db);
    this.log.info({ pad: this.pad, pairing: pairing.id, desk, user: req.user, replaced: replaced.map((r) => r.id) }, 'desk paired');
    for (const r of replaced) this.emit('ended', view(r), 'replaced');
    return { ok: true, token, pairing, replaced: replaced.map(view) };
  }

  private wrong(): void {
    if (++this.wrongInARow >= this.o.config.maxWrongCodes) {
      this.log.warn({ pad: this.pad, wrong: this.wrongInARow }, 'too many wrong pairing codes: the code changes');
      this.rotate('wrong_codes');
    }
  }

  /** The live pairing a token belongs to (not revoked, not expired), or null. Notes it was seen. */
  verify(token: unknown): PairingView | null {
    if (typeof token !== 'string' || token.length < 20 || token.length > 200 || !this.o.db.open) return null;
    const now = this.o.clock.now().toISOString();
    const row = this.o.db
      .prepare(`SELECT * FROM desk_pairings WHERE token_hash = ? AND pad = ? AND revoked_at IS NULL AND expires_at > ?`)
      .get(hashToken(token), this.pad, now) as Row | undefined;
    if (!row) return null;
    this.o.db.prepare('UPDATE desk_pairings SET last_seen_at = ? WHERE id = ?').run(now, row.id);
    return view({ ...row, last_seen_at: now });
  }

  /** Whether pairing `id` is still live (used before every staff action). */
  isLive(id: number): boolean {
    if (!this.o.db.open) return false;
    return !!this.o.db.prepare('SELECT 1 FROM desk_pairings WHERE id = ? AND revoked_at IS NULL AND expires_at > ?').get(id, this.o.clock.now().toISOString());
  }

  get(id: number): PairingView | null {
    const row = this.o.db.prepare('SELECT * FROM desk_pairings WHERE id = ?').get(id) as Row | undefined;
    return row ? view(row) : null;
  }

  /** Ends a live pairing. 'admin' from the admin page, 'unpaired' by the desk's own staff member. */
  async revoke(id: number, by: { user: string; reason: 'admin' | 'unpaired' }): Promise<PairingView | null> {
    const now = this.o.clock.now().toISOString();
    const row = this.o.db.prepare('SELECT * FROM desk_pairings WHERE id = ? AND revoked_at IS NULL').get(id) as Row | undefined;
    const action = by.reason === 'admin' ? 'pairing.revoke' : 'pairing.unpair';
    if (!row) {
      this.o.audit.record({ actor: by.user, action, target: `pairing:${id}`, outcome: 'refused', detail: { reason: 'not_live' } });
      return null;
    }
    this.o.db.prepare('UPDATE desk_pairings SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?').run(now, by.user, by.reason, id);
    this.o.audit.record({ actor: by.user, action, target: `pairing:${id}`, outcome: 'ok', detail: { desk: row.desk, pairedBy: row.user } });
    await durable(this.o.db);
    this.log.info({ pad: this.pad, pairing: id, by: by.user, reason: by.reason }, 'desk pairing ended');
    this.emit('ended', view(row), by.reason);
    return view(row);
  }

  /** Ends pairings whose time is up; returns them. */
  sweep(): PairingView[] {
    if (!this.o.db.open) return [];
    const now = this.o.clock.now().toISOString();
    const rows = this.o.db
      .prepare(`SELECT * FROM desk_pairings WHERE pad = ? AND revoked_at IS NULL AND expires_at <= ?`)
      .all(this.pad, now) as Row[];
    if (rows.length === 0) return [];
    const upd = this.o.db.prepare(`UPDATE desk_pairings SET revoked_at = ?, revoked_by = 'system', revoke_reason = 'expired' WHERE id = ?`);
    this.o.db.transaction(() => {
      for (const r of rows) upd.run(now, r.id);
    })();
    for (const r of rows) {
      this.o.audit.record({ actor: 'system', action: 'pairing.expire', target: `pairing:${r.id}`, outcome: 'ok', detail: { desk: r.desk, pairedBy: r.user } });
      this.log.info({ pad: this.pad, pairing: r.id }, 'desk pairing expired');
      this.emit('ended', view(r), 'expired');
    }
    return rows.map(view);
  }

  /** Live pairings, newest first. */
  live(): PairingView[] {
    const rows = this.o.db
      .prepare(`SELECT * FROM desk_pairings WHERE pad = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY id DESC`)
      .all(this.pad, this.o.clock.now().toISOString()) as Row[];
    return rows.map(view);
  }

  /** What GET /api/admin/pairing answers. */
  adminView(): { pad: string; code: string; codeExpiresAt: string; pairings: Array<Omit<PairingView, 'pad'>> } {
    const c = this.currentCode();
    return {
      pad: this.pad,
      code: c.code,
      codeExpiresAt: c.expiresAt,
      pairings: this.live().map(({ pad: _pad, ...p }) => p),
    };
  }
}

/**
 * The durable queue of transactions taken while the upstream library system was unreachable
 * (domain.md §10, scenario 25): lend, return and renew, each with its original time, replayed in
 * order when the upstream is back. A row is written and committed (WAL, synchronous=FULL) before
 * the kiosk tells the patron anything, so an offline loan survives a crash.
 *
 * States: `queued` (waiting for the upstream), `replayed_ok`, `refused` (the live rules said no:
 * unknown card, item already out, renewal not allowed — kept for staff, never dropped), `error`
 * (no usable answer after several attempts: the connection dropped, the reply timed out or made no
 * sense — also for staff; its outcome upstream is unknown, so later rows of the same item wait until
 * staff have dealt with it). Staff mark a refused or failed row as dealt with (`resolve`); the row
 * itself is kept.
 *
 * An item returned offline is "returned, unconfirmed" until its return is replayed successfully
 * (or staff resolve a refused one): it must not be lent again meanwhile, because the library system
 * still thinks it is on loan (001:L4807).
 */
import type { Clock } from '../clock.ts';
import type { Db } from '../store/db.ts';

export type OfflineOperation = 'checkout' | 'checkin' | 'renew';
export type OfflineState = 'queued' | 'replayed_ok' | 'refused' | 'error';

export interface OfflineTransaction {
  id: number;
  idempotencyKey: string;
  operation: OfflineOperation;
  patron: string | null;
  item: string;
  /** When it happened (ISO instant): sent as the SIP2 transaction date on replay. */
  at: string;
  department: string | null;
  /** The due date the patron was given offline (loans and renewals). */
  dueDate: string | null;
  state: OfflineState;
  attempts: number;
  lastError: string | null;
  /** For refused rows: our reason code. */
  reason: string | null;
  /** What the upstream said on replay (screen message, due date, …). */
  result: Record<string, unknown> | null;
  /** What the kiosk was told when the transaction was taken. */
  offlineResult: Record<string, unknown> | null;
  recordedAt: string;
  replayedAt: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

interface Row {
  id: number;
  idempotency_key: string;
  operation: OfflineOperation;
  patron: string | null;
  item: string;
  at: string;
  department: string | null;
  due_date: string | null;
  state: OfflineState;
  attempts: number;
  last_error: string | null;
  reason: string | null;
  result: string | null;
  offline_result: string | null;
  recorded_at: string;
  replayed_at: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution: string | null;
}

function fromRow(r: Row): OfflineTransaction {
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    operation: r.operation,
    patron: r.patron,
    item: r.item,
    at: r.at,
    department: r.department,
    dueDate: r.due_date,
    state: r.state,
    attempts: r.attempts,
    lastError: r.last_error,
    reason: r.reason,
    result: r.result ? (JSON.parse(r.result) as Record<string, unknown>) : null,
    offlineResult: r.offline_result ? (JSON.parse(r.offline_result) as Record<string, unknown>) : null,
    recordedAt: r.recorded_at,
    replayedAt: r.replayed_at,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    resolution: r.resolution,
  };
}

export interface EnqueueRequest {
  idempotencyKey: string;
  operation: OfflineOperation;
  patron: string | null;
  item: string;
  at: Date;
  department: string | null;
  dueDate: string | null;
  offlineResult: Record<string, unknown>;
}

export class OfflineQueue {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Adds a transaction; the same idempotency key again returns the row already there. */
  enqueue(req: EnqueueRequest): { row: OfflineTransaction; created: boolean } {
    return this.db.transaction(() => {
      const prior = this.byKey(req.idempotencyKey);
      if (prior) return { row: prior, created: false };
      const id = Number(
        this.db
          .prepare(
            `INSERT INTO offline_queue (idempotency_key, operation, patron, item, at, department, due_date, offline_result, recorded_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            req.idempotencyKey,
            req.operation,
            req.patron,
            req.item,
            req.at.toISOString(),
            req.department,
            req.dueDate,
            JSON.stringify(req.offlineResult),
            this.clock.now().toISOString(),
          ).lastInsertRowid,
      );
      return { row: this.get(id)!, created: true };
    })();
  }

  get(id: number): OfflineTransaction | undefined {
    const r = this.db.prepare('SELECT * FROM offline_queue WHERE id = ?').get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  byKey(key: string): OfflineTransaction | undefined {
    const r = this.db.prepare('SELECT * FROM offline_queue WHERE idempotency_key = ?').get(key) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  /** Waiting rows in the order they were taken. */
  pending(): OfflineTransaction[] {
    return (this.db.prepare(`SELECT * FROM offline_queue WHERE state = 'queued' ORDER BY id`).all() as Row[]).map(fromRow);
  }

  countPending(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM offline_queue WHERE state = 'queued'`).get() as { n: number }).n;
  }

  /** Rows for staff: everything, or by state; `unresolved` keeps refused/error rows nobody dealt with. */
  list(filter: { state?: OfflineState; unresolved?: boolean; limit?: number } = {}): OfflineTransaction[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state) {
      where.push('state = ?');
      params.push(filter.state);
    }
    if (filter.unresolved) where.push(`state IN ('refused','error') AND resolved_at IS NULL`);
    const sql = `SELECT * FROM offline_queue ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return (this.db.prepare(sql).all(...params, filter.limit ?? 1000) as Row[]).map(fromRow);
  }

  markReplayed(id: number, result: Record<string, unknown>): void {
    this.db
      .prepare(`UPDATE offline_queue SET state = 'replayed_ok', result = ?, replayed_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`)
      .run(JSON.stringify(result), this.clock.now().toISOString(), id);
  }

  markRefused(id: number, reason: string, result: Record<string, unknown>): void {
    this.db
      .prepare(`UPDATE offline_queue SET state = 'refused', reason = ?, result = ?, replayed_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`)
      .run(reason, JSON.stringify(result), this.clock.now().toISOString(), id);
  }

  /**
   * A replay that reached the upstream and went wrong (no usable answer: the connection dropped, the
   * reply timed out or made no sense). Every such attempt counts; after `maxAttempts` the row is
   * handed to staff as `error`.
   */
  recordFailure(id: number, error: string, maxAttempts: number | null): OfflineState {
    this.db.prepare('UPDATE offline_queue SET attempts = attempts + 1, last_error = ? WHERE id = ?').run(error.slice(0, 500), id);
    const row = this.get(id)!;
    if (maxAttempts !== null && row.attempts >= maxAttempts) {
      this.db.prepare(`UPDATE offline_queue SET state = 'error', replayed_at = ? WHERE id = ?`).run(this.clock.now().toISOString(), id);
      return 'error';
    }
    return row.state;
  }

  /** A replay that never left this machine (no connection, backoff, login refused): not an attempt of the row. */
  noteUnsent(id: number, error: string): void {
    this.db.prepare('UPDATE offline_queue SET last_error = ? WHERE id = ?').run(error.slice(0, 500), id);
  }

  /** Refused and failed rows nobody has dealt with yet. */
  countUnresolved(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM offline_queue WHERE state IN ('refused','error') AND resolved_at IS NULL`).get() as { n: number }).n;
  }

  /**
   * The earlier row of the same item whose outcome upstream is unknown (`error`, not yet dealt with
   * by staff), if any: a later row of that item waits for it (see the backend's replay).
   */
  unsettledBefore(row: { id: number; item: string }): number | null {
    const r = this.db
      .prepare(`SELECT id FROM offline_queue WHERE item = ? AND id < ? AND state = 'error' AND resolved_at IS NULL ORDER BY id LIMIT 1`)
      .get(row.item, row.id) as { id: number } | undefined;
    return r?.id ?? null;
  }

  /** Queued rows of the same item after this one (waiting for it when it failed). */
  countQueuedAfter(row: { id: number; item: string }): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM offline_queue WHERE item = ? AND id > ? AND state = 'queued'`).get(row.item, row.id) as { n: number }).n;
  }

  /** Whether a transaction of this item still waits for the upstream. */
  hasQueued(item: string): boolean {
    return this.db.prepare(`SELECT 1 FROM offline_queue WHERE item = ? AND state = 'queued' LIMIT 1`).get(item.trim()) !== undefined;
  }

  /** Staff dealt with a refused or failed row (e.g. corrected the loan at the desk). */
  resolve(id: number, by: string, note: string): OfflineTransaction | undefined {
    this.db
      .prepare(`UPDATE offline_queue SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ? AND state IN ('refused','error')`)
      .run(this.clock.now().toISOString(), by, note.slice(0, 500), id);
    return this.get(id);
  }

  /** Returned offline and not yet confirmed by the upstream: must not be lent again. */
  isUnconfirmedReturn(item: string): boolean {
    const r = this.db
      .prepare(
        `SELECT 1 FROM offline_queue WHERE item = ? AND operation = 'checkin'
           AND (state = 'queued' OR (state IN ('refused','error') AND resolved_at IS NULL)) LIMIT 1`,
      )
      .get(item.trim());
    return r !== undefined;
  }

  /** Who has the item by an offline loan not yet replayed (and not returned offline after it), if anyone. */
  offlineBorrower(item: string): string | null {
    const last = this.db
      .prepare(`SELECT operation, patron FROM offline_queue WHERE item = ? AND state = 'queued' AND operation IN ('checkout','checkin') ORDER BY id DESC LIMIT 1`)
      .get(item.trim()) as { operation: OfflineOperation; patron: string | null } | undefined;
    return last?.operation === 'checkout' ? last.patron : null;
  }

  /** Offline loans of a patron still waiting for the upstream (an offline return cancels one). */
  offlineLoanCount(patron: string): number {
    const rows = this.db
      .prepare(`SELECT item, operation, patron FROM offline_queue WHERE state = 'queued' AND operation IN ('checkout','checkin') ORDER BY id`)
      .all() as Array<{ item: string; operation: OfflineOperation; patron: string | null }>;
    const holder = new Map<string, string | null>();
    for (const r of rows) holder.set(r.item, r.operation === 'checkout' ? r.patron : null);
    let n = 0;
    for (const p of holder.values()) if (p === patron) n++;
    return n;
  }
}

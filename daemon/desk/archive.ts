/**
 * The desk's tables (migration 8): signed documents (immutable), member attributes, desk payments
 * and day closings. Synchronous better-sqlite3; callers await `durable(db)` before they report a
 * write as done.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../store/db.ts';
import type { DocumentKind, MemberAttribute } from './document.ts';
import { MEMBER_ATTRIBUTES } from './document.ts';

export interface DocumentMeta {
  id: number;
  patron: string;
  kind: DocumentKind;
  language: string;
  title: string;
  sha256: string;
  sizeBytes: number;
  device: string;
  staff: string;
  createdAt: string;
}

interface DocumentRow {
  id: number;
  patron: string;
  kind: DocumentKind;
  language: string;
  title: string;
  sha256: string;
  size_bytes: number;
  device: string;
  staff: string;
  created_at: string;
}

const meta = (r: DocumentRow): DocumentMeta => ({
  id: r.id,
  patron: r.patron,
  kind: r.kind,
  language: r.language,
  title: r.title,
  sha256: r.sha256,
  sizeBytes: r.size_bytes,
  device: r.device,
  staff: r.staff,
  createdAt: r.created_at,
});

export interface PaymentLine {
  feeId: number;
  description: string;
  amount: number;
  itemBarcode: string | null;
}

export interface DeskPayment {
  id: number;
  key: string;
  patron: string;
  staff: string;
  method: 'cash' | 'card' | 'other';
  amountMinor: number;
  tenderedMinor: number | null;
  changeMinor: number | null;
  currency: string;
  lines: PaymentLine[];
  backendPayments: number[];
  department: string;
  businessDay: string;
  createdAt: string;
  closingId: number | null;
}

interface PaymentRow {
  id: number;
  idempotency_key: string;
  patron: string;
  staff: string;
  method: DeskPayment['method'];
  amount_minor: number;
  tendered_minor: number | null;
  change_minor: number | null;
  currency: string;
  lines: string;
  backend_payments: string;
  department: string;
  business_day: string;
  created_at: string;
  closing_id: number | null;
}

const payment = (r: PaymentRow): DeskPayment => ({
  id: r.id,
  key: r.idempotency_key,
  patron: r.patron,
  staff: r.staff,
  method: r.method,
  amountMinor: r.amount_minor,
  tenderedMinor: r.tendered_minor,
  changeMinor: r.change_minor,
  currency: r.currency,
  lines: JSON.parse(r.lines) as PaymentLine[],
  backendPayments: JSON.parse(r.backend_payments) as number[],
  department: r.department,
  businessDay: r.business_day,
  createdAt: r.created_at,
  closingId: r.closing_id,
});

export interface ClosingTotals {
  currency: string;
  count: number;
  totalMinor: number;
  byMethod: Array<{ method: string; count: number; totalMinor: number }>;
  byStaff: Array<{ staff: string; count: number; totalMinor: number; byMethod: Record<string, number> }>;
}

export interface Closing {
  id: number;
  businessDay: string;
  department: string;
  closedBy: string;
  closedAt: string;
  paymentCount: number;
  totals: ClosingTotals;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function totalsOf(payments: readonly DeskPayment[], currency: string): ClosingTotals {
  const byMethod = new Map<string, { count: number; totalMinor: number }>();
  const byStaff = new Map<string, { count: number; totalMinor: number; byMethod: Record<string, number> }>();
  for (const p of payments) {
    const m = byMethod.get(p.method) ?? { count: 0, totalMinor: 0 };
    m.count++;
    m.totalMinor += p.amountMinor;
    byMethod.set(p.method, m);
    const s = byStaff.get(p.staff) ?? { count: 0, totalMinor: 0, byMethod: {} };
    s.count++;
    s.totalMinor += p.amountMinor;
    s.byMethod[p.method] = (s.byMethod[p.method] ?? 0) + p.amountMinor;
    byStaff.set(p.staff, s);
  }
  return {
    currency,
    count: payments.length,
    totalMinor: payments.reduce((n, p) => n + p.amountMinor, 0),
    byMethod: [...byMethod].map(([method, v]) => ({ method, ...v })).sort((a, b) => a.method.localeCompare(b.method)),
    byStaff: [...byStaff].map(([staff, v]) => ({ staff, ...v })).sort((a, b) => a.staff.localeCompare(b.staff)),
  };
}

export class DeskArchive {
  constructor(private readonly db: Db) {}

  // ------------------------------------------------------------------ documents

  addDocument(d: { patron: string; kind: DocumentKind; language: string; title: string; pdf: Uint8Array; device: string; staff: string; createdAt: string }): DocumentMeta {
    const sha = sha256Hex(d.pdf);
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO patron_documents (patron, kind, language, title, pdf, sha256, size_bytes, device, staff, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(d.patron, d.kind, d.language, d.title, Buffer.from(d.pdf), sha, d.pdf.length, d.device, d.staff, d.createdAt).lastInsertRowid,
    );
    return this.documentMeta(id)!;
  }

  documentMeta(id: number): DocumentMeta | null {
    const r = this.db.prepare('SELECT id, patron, kind, language, title, sha256, size_bytes, device, staff, created_at FROM patron_documents WHERE id = ?').get(id) as
      | DocumentRow
      | undefined;
    return r ? meta(r) : null;
  }

  documentPdf(id: number): { meta: DocumentMeta; pdf: Buffer } | null {
    const r = this.db.prepare('SELECT * FROM patron_documents WHERE id = ?').get(id) as (DocumentRow & { pdf: Buffer }) | undefined;
    return r ? { meta: meta(r), pdf: r.pdf } : null;
  }

  documents(patron: string): DocumentMeta[] {
    return (
      this.db
        .prepare('SELECT id, patron, kind, language, title, sha256, size_bytes, device, staff, created_at FROM patron_documents WHERE patron = ? ORDER BY id DESC')
        .all(patron) as DocumentRow[]
    ).map(meta);
  }

  // ------------------------------------------------------------------ attributes

  attributes(patron: string): Partial<Record<MemberAttribute, string>> {
    const rows = this.db.prepare('SELECT name, value FROM patron_attributes WHERE patron = ?').all(patron) as Array<{ name: string; value: string }>;
    const out: Partial<Record<MemberAttribute, string>> = {};
    for (const r of rows) if ((MEMBER_ATTRIBUTES as readonly string[]).includes(r.name)) out[r.name as MemberAttribute] = r.value;
    return out;
  }

  /** Sets the given attributes; an empty value removes one. */
  setAttributes(patron: string, values: Partial<Record<MemberAttribute, string>>, staff: string, at: string): void {
    const put = this.db.prepare(
      `INSERT INTO patron_attributes (patron, name, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (patron, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    );
    const del = this.db.prepare('DELETE FROM patron_attributes WHERE patron = ? AND name = ?');
    this.db.transaction(() => {
      for (const [name, value] of Object.entries(values)) {
        const v = (value ?? '').trim();
        if (v === '') del.run(patron, name);
        else put.run(patron, name, v, at, staff);
      }
    })();
  }

  // ------------------------------------------------------------------ payments

  paymentByKey(key: string): DeskPayment | null {
    const r = this.db.prepare('SELECT * FROM desk_payments WHERE idempotency_key = ?').get(key) as PaymentRow | undefined;
    return r ? payment(r) : null;
  }

  addPayment(p: Omit<DeskPayment, 'id' | 'closingId'>): DeskPayment {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO desk_payments (idempotency_key, patron, staff, method, amount_minor, tendered_minor, change_minor, currency, lines,
             backend_payments, department, business_day, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          p.key,
          p.patron,
          p.staff,
          p.method,
          p.amountMinor,
          p.tenderedMinor,
          p.changeMinor,
          p.currency,
          JSON.stringify(p.lines),
          JSON.stringify(p.backendPayments),
          p.department,
          p.businessDay,
          p.createdAt,
        ).lastInsertRowid,
    );
    return payment(this.db.prepare('SELECT * FROM desk_payments WHERE id = ?').get(id) as PaymentRow);
  }

  openPayments(businessDay: string, department: string): DeskPayment[] {
    return (
      this.db.prepare('SELECT * FROM desk_payments WHERE business_day = ? AND department = ? AND closing_id IS NULL ORDER BY id').all(businessDay, department) as PaymentRow[]
    ).map(payment);
  }

  /** Closes the day's open payments in one transaction; null when there is nothing to close. */
  close(businessDay: string, department: string, closedBy: string, closedAt: string, currency: string): { closing: Closing; payments: DeskPayment[] } | null {
    return this.db.transaction(() => {
      const open = this.openPayments(businessDay, department);
      if (open.length === 0) return null;
      const totals = totalsOf(open, currency);
      const id = Number(
        this.db
          .prepare('INSERT INTO cash_closings (business_day, department, closed_by, closed_at, payment_count, totals) VALUES (?, ?, ?, ?, ?, ?)')
          .run(businessDay, department, closedBy, closedAt, open.length, JSON.stringify(totals)).lastInsertRowid,
      );
      const mark = this.db.prepare('UPDATE desk_payments SET closing_id = ? WHERE id = ? AND closing_id IS NULL');
      for (const p of open) mark.run(id, p.id);
      return {
        closing: { id, businessDay, department, closedBy, closedAt, paymentCount: open.length, totals },
        payments: open.map((p) => ({ ...p, closingId: id })),
      };
    })();
  }

  closings(limit = 30): Closing[] {
    const rows = this.db.prepare('SELECT * FROM cash_closings ORDER BY id DESC LIMIT ?').all(limit) as Array<{
      id: number;
      business_day: string;
      department: string;
      closed_by: string;
      closed_at: string;
      payment_count: number;
      totals: string;
    }>;
    return rows.map((r) => ({
      id: r.id,
      businessDay: r.business_day,
      department: r.department,
      closedBy: r.closed_by,
      closedAt: r.closed_at,
      paymentCount: r.payment_count,
      totals: JSON.parse(r.totals) as ClosingTotals,
    }));
  }
}

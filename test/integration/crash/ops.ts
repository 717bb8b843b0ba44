/**
 * The deterministic operation stream shared by the crash worker (test/fixtures/crash-worker.ts)
 * and the crash test: operation n depends only on the seed and n, so a restarted worker that
 * resumes at n issues exactly the request the killed one issued, with the same idempotency key.
 * Also the fixture library and an independent model of the expected outcomes.
 */

/** Fewer items than the cobiss preset's loan limit (15), so limits never refuse a checkout. */
export const ITEM_COUNT = 12;
export const PATRON_COUNT = 4;
export const DEPARTMENT = '01';
export const TIMEZONE = 'Europe/Ljubljana';
/** A Monday; the worker's clock stands still here, so no loan is ever overdue. */
export const CLOCK_START = '2026-03-02T10:00:00+01:00';

export type OpKind = 'checkout' | 'checkin';

export interface Op {
  index: number;
  kind: OpKind;
  item: string;
  /** Checkouts only. */
  patron: string | null;
}

export const itemBarcode = (n: number): string => `CR${String(n).padStart(4, '0')}`;
export const patronBarcode = (n: number): string => `77${String(n).padStart(5, '0')}`;
export const idempotencyKey = (index: number): string => `op-${index}`;

/** A 32-bit mix of seed and index (murmur3 finaliser). */
export function hash32(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Operation n: even indices are checkouts, odd ones checkins, over a small pool of items. */
export function opAt(seed: number, index: number): Op {
  const h = hash32(seed, index);
  const item = itemBarcode(h % ITEM_COUNT);
  if (index % 2 === 0) return { index, kind: 'checkout', item, patron: patronBarcode((h >>> 12) % PATRON_COUNT) };
  return { index, kind: 'checkin', item, patron: null };
}

/** A small seeded PRNG (mulberry32) for the test's own random choices. */
export { mulberry32 } from '../../../drivers/seeded-random.ts';

/** The library the crash test imports (through the real importer). */
export function fixtureData(): Record<string, unknown> {
  return {
    departments: [{ code: DEPARTMENT, name: 'Central' }],
    materialTypes: [{ code: 'book', name: 'Book' }],
    categories: [{ code: 'adult', name: 'Adult' }],
    items: Array.from({ length: ITEM_COUNT }, (_, n) => ({
      barcode: itemBarcode(n),
      bibId: `CRASH-${n}`,
      title: `Crash test title ${n}`,
      materialType: 'book',
      department: DEPARTMENT,
    })),
    patrons: Array.from({ length: PATRON_COUNT }, (_, n) => ({
      barcode: patronBarcode(n),
      firstName: 'Crash',
      lastName: `Patron ${n}`,
      category: 'adult',
      homeDepartment: DEPARTMENT,
      membershipExpires: '2099-12-31',
    })),
  };
}

/** What one operation should come back with: ok, or the refusal reason. */
export type Expected = 'ok' | `refused:${string}`;

/**
 * The loan state the engine should be in, kept independently of the engine: item → patron.
 * `apply` returns the outcome the engine must give for the operation and updates the state.
 */
export class LoanModel {
  readonly onLoan = new Map<string, string>();
  /** The journal rows the successful operations must have written, in order. */
  readonly journal: string[] = [];

  apply(op: Op): Expected {
    const holder = this.onLoan.get(op.item);
    if (op.kind === 'checkout') {
      const patron = op.patron!;
      if (holder === patron) return 'refused:item_already_yours';
      if (holder !== undefined) return 'refused:item_on_loan';
      this.onLoan.set(op.item, patron);
      this.journal.push(`checkout ${op.item} ${patron}`);
      return 'ok';
    }
    if (holder === undefined) return 'refused:not_on_loan';
    this.onLoan.delete(op.item);
    this.journal.push(`checkin ${op.item} ${holder}`);
    return 'ok';
  }
}

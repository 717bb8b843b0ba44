/**
 * Test fixture: a real SQLite file in a temporary directory, a policy preset with overrides, a
 * manual clock and the embedded engine on top. Data goes in through the real importer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Policy } from '../../config/schema.ts';
import { ManualClock } from '../../daemon/clock.ts';
import { EmbeddedBackend } from '../../daemon/circulation/embedded.ts';
import { loadPreset, repoRoot } from '../../daemon/config.ts';
import { openStore, type Db } from '../../daemon/store/db.ts';
import { importData } from '../../daemon/store/import.ts';
import { hashPin } from '../../daemon/circulation/pin.ts';

/** Hashed once per test process: scrypt is slow on purpose. */
export const PIN_1234_HASH = hashPin('1234');

export interface TestLibrary {
  db: Db;
  dir: string;
  file: string;
  clock: ManualClock;
  policy: Policy;
  engine: EmbeddedBackend;
  load(data: Record<string, unknown> | string): void;
  close(): void;
}

export const TZ = 'Europe/Ljubljana';

export function makeLibrary(opts: {
  preset?: string;
  policy?: Record<string, unknown>;
  now?: string;
  department?: string;
  data?: Record<string, unknown> | string;
} = {}): TestLibrary {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-test-'));
  const file = join(dir, 'kiosk.sqlite');
  const db = openStore({ file });
  const clock = new ManualClock(opts.now ?? '2026-03-02T10:00:00+01:00'); // a Monday
  const policy = loadPreset(opts.preset ?? 'cobiss', opts.policy ?? {});
  const engine = new EmbeddedBackend({
    db,
    policy,
    clock,
    site: { department: opts.department ?? '01', timezone: TZ, language: 'en' },
  });
  const lib: TestLibrary = {
    db,
    dir,
    file,
    clock,
    policy,
    engine,
    load(data) {
      const text = typeof data === 'string' ? data : stringify(data);
      const r = importData(db, text, 'fixture.yaml', { clock, timezone: TZ, currency: policy.currency, engine });
      if (!r.ok) throw new Error(`fixture import failed:\n${r.problems.join('\n')}`);
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (opts.data) lib.load(opts.data);
  return lib;
}

export function demoData(): string {
  return readFileSync(join(repoRoot, 'config', 'demo', 'demo-library.yaml'), 'utf8');
}

/** A small library: two departments, a few types and categories, items, a 3-part kit, patrons. */
export function baseData(extra: Record<string, unknown[]> = {}): Record<string, unknown> {
  const items = [
    { barcode: 'B1', bibId: 'T1', title: 'Alamut', author: 'Vladimir Bartol', materialType: 'book', department: '01', price: 20 },
    { barcode: 'B2', bibId: 'T2', title: 'Na klancu', author: 'Ivan Cankar', materialType: 'book', department: '01' },
    { barcode: 'B3', bibId: 'T3', title: 'Egri csillagok', author: 'Gárdonyi Géza', materialType: 'book', department: '01' },
    { barcode: 'B4', bibId: 'T4', title: 'Mērnieku laiki', author: 'Kaudzītes', materialType: 'book', department: '01' },
    { barcode: 'B5', bibId: 'T5', title: 'Emma', author: 'Jane Austen', materialType: 'book', department: '01' },
    { barcode: 'B6', bibId: 'T1', title: 'Alamut', author: 'Vladimir Bartol', materialType: 'book', department: '02' },
    { barcode: 'P1', bibId: 'T6', title: 'Mladina 2026/09', materialType: 'periodical', department: '01' },
    { barcode: 'D1', bibId: 'T7', title: 'Kekec', materialType: 'video', department: '01' },
    { barcode: 'K1', bibId: 'T8', title: 'Wooden farm — box', materialType: 'toy', department: '01' },
    { barcode: 'K2', bibId: 'T8', title: 'Wooden farm — animals', materialType: 'game', department: '01' },
    { barcode: 'K3', bibId: 'T8', title: 'Wooden farm — fences', materialType: 'game', department: '01' },
    ...((extra.items as unknown[]) ?? []),
  ];
  return {
    departments: [
      { code: '01', name: 'Central' },
      { code: '02', name: 'Branch' },
    ],
    materialTypes: [
      { code: 'book', name: 'Book' },
      { code: 'periodical', name: 'Periodical' },
      { code: 'video', name: 'DVD' },
      { code: 'toy', name: 'Toy' },
      { code: 'game', name: 'Game' },
      { code: 'reference', name: 'Reference' },
      { code: 'audio', name: 'CD' },
      { code: 'audio-fiction', name: 'CD fiction', parent: 'audio' },
    ],
    categories: [
      { code: 'adult', name: 'Adult' },
      { code: 'child', name: 'Child' },
    ],
    pickupPlaces: [
      { code: '01-DESK', department: '01', kind: 'desk', name: 'Desk' },
      { code: 'LOCKER-A', department: '01', kind: 'locker', name: 'Locker' },
    ],
    items,
    kits: [{ code: 'FARM', title: 'Wooden farm', lead: 'K1', parts: ['K1', 'K2', 'K3'] }],
    patrons: [
      { barcode: '0100001', firstName: 'Ana', lastName: 'Novak', category: 'adult', pinHash: PIN_1234_HASH, homeDepartment: '01', language: 'sl', mobile: '+38640111222', email: 'ana.novak@example.org', membershipExpires: '2027-12-31' },
      { barcode: '0100002', firstName: 'Marko', lastName: 'Horvat', category: 'adult', pinHash: PIN_1234_HASH, homeDepartment: '01', language: 'sl', membershipExpires: '2027-12-31' },
      { barcode: '0100003', firstName: 'Jānis', lastName: 'Bērziņš', category: 'child', pinHash: PIN_1234_HASH, homeDepartment: '01', language: 'lv', membershipExpires: '2027-12-31', altIds: ['E004015012345678'] },
      ...((extra.patrons as unknown[]) ?? []),
    ],
    ...(extra.loans ? { loans: extra.loans } : {}),
    ...(extra.holds ? { holds: extra.holds } : {}),
    ...(extra.fees ? { fees: extra.fees } : {}),
    ...(extra.calendar ? { calendar: extra.calendar } : {}),
  };
}

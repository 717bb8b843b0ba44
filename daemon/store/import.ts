/**
 * `kiosk import` and `kiosk export`: the open-kiosk/1 data format of docs/import-format.md.
 * An import is one transaction: every problem is collected with its FILE:LINE and field, and if
 * there is any, nothing of the file is kept.
 */
import { z } from 'zod';
import { stringify } from 'yaml';
import type { Clock } from '../clock.ts';
import { addDays, isPlainDate, localDate } from '../circulation/dates.ts';
import type { EmbeddedBackend } from '../circulation/embedded.ts';
import { hashPin, isPinHash } from '../circulation/pin.ts';
import { fromMinor, toMinor } from '../circulation/policy.ts';
import { formatPath, isPlainObject, issuesByKey, parseYamlSource } from '../yaml-source.ts';
import type { Db } from './db.ts';

const RELATIVE = /^@today(?:([+-])(\d{1,5})d)?$/;

const code = z.string().min(1).max(40);
const barcode = z
  .string({ error: 'must be a quoted string (an unquoted number loses its leading zeros)' })
  .trim()
  .min(1, 'must not be blank')
  .max(64, 'is longer than 64 characters')
  // SIP2 carries barcodes as AA/AB fields delimited by `|` (reference §1); a control character cannot be scanned or typed.
  .refine((v) => !/[|\u0000-\u001f\u007f]/.test(v), 'must not contain "|" (the SIP2 field delimiter) or control characters');
const dateish = z.union([z.string(), z.date()], { error: 'must be a date YYYY-MM-DD or @today±Nd' });
const amount = z.number().nonnegative().multipleOf(0.01, 'at most two decimals');

/** One row of each section (docs/import-format.md); a row is checked on its own, so a file's problems of form and of meaning are found in one run. */
const rowSchemas = {
  departments: z.object({ code, name: z.string().min(1), fixedDueDate: dateish.nullish() }).strict(),
  materialTypes: z.object({ code, name: z.string().min(1), parent: code.nullish() }).strict(),
  categories: z.object({ code, name: z.string().min(1) }).strict(),
  pickupPlaces: z.object({ code, department: code, kind: z.enum(['desk', 'locker', 'delivery']), name: z.string().min(1) }).strict(),
  items: z
    .object({
      barcode,
      bibId: z.string().min(1).optional(),
      title: z.string().min(1),
      author: z.string().default(''),
      materialType: code,
      department: code,
      callNumber: z.string().default(''),
      language: z.string().nullish(),
      access: z.enum(['', '1', '2', '3', '4', '5', '6', '7', '8']).default(''),
      status: z
        .enum(['', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '+', '-'])
        .default(''),
      restriction: z
        .string()
        .regex(/^(\d{1,4}[dwmy])?$/, 'an item loan period such as 14d or 0d, or empty')
        .default(''),
      price: amount.nullish(),
      acquiredOn: dateish.nullish(),
    })
    .strict(),
  kits: z.object({ code, title: z.string().min(1), lead: barcode, parts: z.array(barcode).min(2).refine((a) => new Set(a).size === a.length, 'a part is listed twice') }).strict(),
  patrons: z
    .object({
      barcode,
      altIds: z.array(barcode).default([]),
      firstName: z.string().min(1),
      lastName: z.string().min(1),
      category: code,
      pin: z.string({ error: 'must be a quoted string' }).regex(/^\d{4,12}$/, 'a PIN is 4 to 12 digits').nullish(),
      pinHash: z.string().refine(isPinHash, 'not a hash written by kiosk export').nullish(),
      email: z.email().nullish(),
      mobile: z.string().regex(/^\+?[0-9 ]{6,20}$/, 'a phone number').nullish(),
      homeDepartment: code,
      language: z.enum(['en', 'sl', 'lv', 'hu']).default('en'),
      membershipExpires: dateish.nullish(),
      block: z
        .object({
          reason: z.enum(['card_withheld', 'home_loan_ban', 'visits_disabled', 'staff']),
          note: z.string().nullish(),
        })
        .strict()
        .nullish(),
      limits: z
        .object({
          maxItems: z.number().int().min(0).nullish(),
          maxRenewals: z.number().int().min(0).nullish(),
          maxHolds: z.number().int().min(0).nullish(),
        })
        .strict()
        .nullish(),
    })
    .strict(),
  loans: z
    .object({
      item: barcode,
      patron: barcode,
      status: z.enum(['C', 'S', 'L']).default('C'),
      department: code.nullish(),
      loanedAt: dateish,
      dueDate: dateish.nullish(),
      renewals: z.number().int().min(0).default(0),
    })
    .strict(),
  holds: z
    .object({
      patron: barcode,
      bibId: z.string().nullish(),
      item: barcode.nullish(),
      status: z.enum(['R', 'O', 'W']).default('R'),
      createdAt: dateish,
      pickupPlace: code.nullish(),
      expiresOn: dateish.nullish(),
    })
    .strict(),
  fees: z
    .object({
      patron: barcode,
      kind: z.enum(['overdue', 'lost', 'card', 'unclaimed_hold', 'loan_fee', 'other_department', 'other']),
      amount: amount.refine((v) => v > 0, 'must be more than 0'),
      item: barcode.nullish(),
      createdAt: dateish,
      description: z.string().default(''),
    })
    .strict(),
  calendar: z
    .object({
      date: dateish,
      department: code.nullish(),
      closed: z.boolean(),
      fineCharged: z.boolean().default(false),
      noFine: z.boolean().default(false),
      note: z.string().nullish(),
    })
    .strict(),
} as const;

type Section = keyof typeof rowSchemas;
const SECTIONS = Object.keys(rowSchemas) as Section[];
export type ImportDocument = { [K in Section]?: z.infer<(typeof rowSchemas)[K]>[] };

/** The document's outline: known sections, each a list; the rows themselves are checked by rowSchemas. */
const outlineSchema = z
  .object({
    format: z.literal('open-kiosk/1').optional(),
    departments: z.array(z.unknown()).optional(),
    materialTypes: z.array(z.unknown()).optional(),
    categories: z.array(z.unknown()).optional(),
    pickupPlaces: z.array(z.unknown()).optional(),
    items: z.array(z.unknown()).optional(),
    kits: z.array(z.unknown()).optional(),
    patrons: z.array(z.unknown()).optional(),
    loans: z.array(z.unknown()).optional(),
    holds: z.array(z.unknown()).optional(),
    fees: z.array(z.unknown()).optional(),
    calendar: z.array(z.unknown()).optional(),
  })
  .strict();

export interface ImportOptions {
  clock: Clock;
  timezone: string;
  currency: string;
  /** When given, due dates and hold expiries left out of the file are computed by its policy. */
  engine?: EmbeddedBackend;
}

export interface ImportCounts {
  departments: number;
  materialTypes: number;
  categories: number;
  pickupPlaces: number;
  items: number;
  kits: number;
  patrons: number;
  loans: number;
  holds: number;
  fees: number;
  calendar: number;
}

export type ImportResult = { ok: true; counts: ImportCounts } | { ok: false; problems: string[] };

class Abort extends Error {}

type RefKind = 'department' | 'materialType' | 'category' | 'pickupPlace' | 'item' | 'patron';
/** The fields of each section that name another row, and what they name. */
const REFERENCES: Partial<Record<Section, Record<string, RefKind>>> = {
  materialTypes: { parent: 'materialType' },
  pickupPlaces: { department: 'department' },
  items: { materialType: 'materialType', department: 'department' },
  patrons: { category: 'category', homeDepartment: 'department' },
  loans: { item: 'item', patron: 'patron', department: 'department' },
  holds: { patron: 'patron', item: 'item', pickupPlace: 'pickupPlace' },
  fees: { patron: 'patron', item: 'item' },
  calendar: { department: 'department' },
};
const REF_WORDS: Record<RefKind, string> = {
  department: 'department',
  materialType: 'material type',
  category: 'category',
  pickupPlace: 'pickup place',
  item: 'item',
  patron: 'patron',
};
const SPOILT_OF: Record<RefKind, 'codes' | 'items' | 'patrons'> = {
  department: 'codes',
  materialType: 'codes',
  category: 'codes',
  pickupPlace: 'codes',
  item: 'items',
  patron: 'patrons',
};
/** The date fields of each section: a calendar date, or an instant. */
const DATES: Partial<Record<Section, Record<string, 'date' | 'instant'>>> = {
  departments: { fixedDueDate: 'date' },
  items: { acquiredOn: 'date' },
  patrons: { membershipExpires: 'date' },
  loans: { loanedAt: 'instant', dueDate: 'date' },
  holds: { createdAt: 'instant', expiresOn: 'date' },
  fees: { createdAt: 'instant' },
  calendar: { date: 'date' },
};

/**
 * The text of an import file, which must be UTF-8 (docs/import-format.md). A file saved in a legacy
 * code page (Windows-1250, ISO-8859-2: `č` as one byte 0xE8) would otherwise be read with every
 * such letter replaced by U+FFFD and imported so, the titles and names quietly spoiled; UTF-16 (what
 * some spreadsheet programs save as "Unicode text") would not parse at all, with a baffling message.
 */
export function decodeImportFile(bytes: Uint8Array, file: string): { ok: true; text: string } | { ok: false; problem: string } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { ok: false, problem: `${file}:1: the file is UTF-16; save it as UTF-8` };
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // Where: the text up to the first replacement character was valid, so its UTF-8 length is the offset.
    const loose = new TextDecoder('utf-8').decode(bytes);
    const valid = loose.slice(0, Math.max(0, loose.indexOf('\uFFFD')));
    const at = Buffer.byteLength(valid, 'utf8');
    const line = valid.split('\n').length;
    const byte = bytes[at]?.toString(16).toUpperCase().padStart(2, '0') ?? '??';
    return { ok: false, problem: `${file}:${line}: byte 0x${byte} is not UTF-8 (a file saved in a legacy code page such as Windows-1250?); save it as UTF-8` };
  }
}

export function importData(db: Db, text: string, file: string, opts: ImportOptions): ImportResult {
  const src = parseYamlSource(text, file);
  if (src.syntaxErrors.length) return { ok: false, problems: src.syntaxErrors };
  if (src.value === null || src.value === undefined) return { ok: false, problems: [`${file}:1: the file is empty`] };
  const at = (path: PropertyKey[]) => `${file}:${src.lineOf(path) ?? 1}: ${formatPath(path)}`;
  const problems: string[] = [];
  const outline = outlineSchema.safeParse(src.value);
  if (!outline.success) {
    for (const { path, message } of issuesByKey(outline.error.issues, 'unknown section')) problems.push(`${at(path)}: ${message}`);
  }
  if (!isPlainObject(src.value)) return { ok: false, problems };

  // Form: each row on its own. A row with a problem is left out of the meaning checks below (its
  // slot stays, so the index in every message is the file's own), and what other rows would find
  // under its key (a barcode, a code) is remembered, so that a loan of a badly written item is not
  // reported a second time as "unknown item".
  const doc: { [K in Section]?: Array<z.infer<(typeof rowSchemas)[K]> | undefined> } = {};
  const spoilt = { codes: new Set<string>(), items: new Set<string>(), patrons: new Set<string>(), bibs: new Set<string>() };
  /** The fields with a problem of form, by `section:index` of a row left out. */
  const formIssues = new Map<string, Set<string>>();
  for (const section of SECTIONS) {
    const rows = src.value[section];
    if (!Array.isArray(rows)) continue;
    doc[section] = rows.map((row, i) => {
      const r = rowSchemas[section].safeParse(row);
      if (r.success) return r.data;
      const issues = issuesByKey(r.error.issues, 'unknown field');
      for (const { path, message } of issues) problems.push(`${at([section, i, ...path])}: ${message}`);
      formIssues.set(`${section}:${i}`, new Set(issues.map((x) => String(x.path[0] ?? ''))));
      if (isPlainObject(row)) {
        const keyed = (set: Set<string>, v: unknown) => (Array.isArray(v) ? v : [v]).forEach((x) => typeof x === 'string' && set.add(x.trim()));
        if (section === 'items') keyed(spoilt.items, row.barcode);
        if (section === 'items') keyed(spoilt.bibs, row.bibId ?? `ITEM-${String(row.barcode).trim()}`);
        if (section === 'patrons') keyed(spoilt.patrons, [row.barcode, ...(Array.isArray(row.altIds) ? row.altIds : [])]);
        if (section !== 'items' && section !== 'patrons') keyed(spoilt.codes, row.code);
      }
      return undefined;
    }) as never; // TypeScript cannot tie each row's type to `section` inside the loop
  }
  /** Each row that passed the form check, with its index in the file. */
  const each = <T>(rows: ReadonlyArray<T | undefined> | undefined, fn: (row: T, i: number) => unknown) =>
    rows?.forEach((row, i) => row !== undefined && fn(row, i));
  /** An unknown reference, unless it names a row of this file that was already reported and left out. */
  const unknown = (kind: keyof typeof spoilt, value: string, path: PropertyKey[], message: string) => {
    if (!spoilt[kind].has(value)) problems.push(`${at(path)}: ${message}`);
    return true;
  };
  const now = opts.clock.now();
  const today = localDate(now, opts.timezone);

  /** A date or @today±Nd, as YYYY-MM-DD. */
  const date = (v: string | Date | null | undefined, path: PropertyKey[]): string | null => {
    if (v === null || v === undefined) return null;
    if (v instanceof Date) return v.toISOString().slice(0, 10);
    const rel = RELATIVE.exec(v);
    if (rel) return addDays(today, rel[1] ? Number(`${rel[1]}${rel[2]}`) : 0);
    if (isPlainDate(v)) return v;
    problems.push(`${at(path)}: "${v}" is not a date YYYY-MM-DD or @today±Nd`);
    return null;
  };
  /** A date-time, a date (its local noon) or @today±Nd (now, shifted), as an ISO instant. */
  const instant = (v: string | Date, path: PropertyKey[]): string | null => {
    if (v instanceof Date) return v.toISOString();
    const rel = RELATIVE.exec(v);
    if (rel) return new Date(now.getTime() + (rel[1] ? Number(`${rel[1]}${rel[2]}`) : 0) * 86_400_000).toISOString();
    if (isPlainDate(v)) return new Date(`${v}T12:00:00Z`).toISOString();
    const d = new Date(v);
    if (/^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(d.getTime())) return d.toISOString();
    problems.push(`${at(path)}: "${v}" is not a date-time (ISO 8601) or @today±Nd`);
    return null;
  };

  const exists = (table: string, column: string, value: unknown): boolean =>
    !!db.prepare(`SELECT 1 FROM ${table} WHERE ${column} = ?`).get(value);
  const itemId = (b: string) => (db.prepare('SELECT id FROM items WHERE barcode = ?').get(b) as { id: number } | undefined)?.id;
  const patronId = (b: string) => (db.prepare('SELECT id FROM patrons WHERE barcode = ?').get(b) as { id: number } | undefined)?.id;
  const counts: ImportCounts = {
    departments: 0,
    materialTypes: 0,
    categories: 0,
    pickupPlaces: 0,
    items: 0,
    kits: 0,
    patrons: 0,
    loans: 0,
    holds: 0,
    fees: 0,
    calendar: 0,
  };

  const apply = db.transaction(() => {
    each(doc.departments, (d, i) => {
      if (exists('departments', 'code', d.code)) return problems.push(`${at(['departments', i, 'code'])}: department "${d.code}" exists already`);
      db.prepare('INSERT INTO departments (code, name, fixed_due_date) VALUES (?, ?, ?)').run(
        d.code,
        d.name,
        date(d.fixedDueDate, ['departments', i, 'fixedDueDate']),
      );
      counts.departments++;
    });
    each(doc.materialTypes, (m, i) => {
      if (exists('material_types', 'code', m.code)) return problems.push(`${at(['materialTypes', i, 'code'])}: material type "${m.code}" exists already`);
      if (m.parent && !exists('material_types', 'code', m.parent)) {
        spoilt.codes.add(m.code);
        return unknown('codes', m.parent, ['materialTypes', i, 'parent'], `unknown material type "${m.parent}" (list the parent first)`);
      }
      db.prepare('INSERT INTO material_types (code, name, parent) VALUES (?, ?, ?)').run(m.code, m.name, m.parent ?? null);
      counts.materialTypes++;
    });
    each(doc.categories, (c, i) => {
      if (exists('categories', 'code', c.code)) return problems.push(`${at(['categories', i, 'code'])}: category "${c.code}" exists already`);
      db.prepare('INSERT INTO categories (code, name) VALUES (?, ?)').run(c.code, c.name);
      counts.categories++;
    });
    each(doc.pickupPlaces, (p, i) => {
      if (exists('pickup_places', 'code', p.code)) return problems.push(`${at(['pickupPlaces', i, 'code'])}: pickup place "${p.code}" exists already`);
      if (!exists('departments', 'code', p.department)) {
        spoilt.codes.add(p.code);
        return unknown('codes', p.department, ['pickupPlaces', i, 'department'], `unknown department "${p.department}"`);
      }
      db.prepare('INSERT INTO pickup_places (code, department, kind, name) VALUES (?, ?, ?, ?)').run(p.code, p.department, p.kind, p.name);
      counts.pickupPlaces++;
    });
    each(doc.items, (it, i) => {
      const path = ['items', i];
      const before = problems.length;
      if (itemId(it.barcode) !== undefined) problems.push(`${at([...path, 'barcode'])}: item "${it.barcode}" exists already`);
      const badType = !exists('material_types', 'code', it.materialType);
      const badDepartment = !exists('departments', 'code', it.department);
      if (badType) unknown('codes', it.materialType, [...path, 'materialType'], `unknown material type "${it.materialType}"`);
      if (badDepartment) unknown('codes', it.department, [...path, 'department'], `unknown department "${it.department}"`);
      if (problems.length > before || badType || badDepartment) {
        spoilt.items.add(it.barcode);
        spoilt.bibs.add(it.bibId ?? `ITEM-${it.barcode}`);
        return;
      }
      db.prepare(
        `INSERT INTO items (barcode, bib_id, title, author, material_type, department, call_number, language, access_p, status_q,
           restriction_u, price_minor, acquired_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        it.barcode,
        it.bibId ?? `ITEM-${it.barcode}`,
        it.title,
        it.author,
        it.materialType,
        it.department,
        it.callNumber,
        it.language ?? null,
        it.access,
        it.status,
        it.restriction,
        it.price === null || it.price === undefined ? null : toMinor(it.price),
        date(it.acquiredOn, [...path, 'acquiredOn']),
      );
      counts.items++;
    });
    each(doc.kits, (k, i) => {
      const path = ['kits', i];
      if (exists('kits', 'code', k.code)) return problems.push(`${at([...path, 'code'])}: kit "${k.code}" exists already`);
      if (!k.parts.includes(k.lead)) return problems.push(`${at([...path, 'lead'])}: the lead unit "${k.lead}" must be one of the parts`);
      if (new Set(k.parts).size !== k.parts.length) return problems.push(`${at([...path, 'parts'])}: a part is listed twice`);
      const ids: number[] = [];
      k.parts.forEach((b, j) => {
        const id = itemId(b);
        if (id === undefined) return unknown('items', b, [...path, 'parts', j], `unknown item "${b}"`);
        const inKit = db.prepare('SELECT kit_id FROM items WHERE id = ?').get(id) as { kit_id: number | null };
        if (inKit.kit_id !== null) return problems.push(`${at([...path, 'parts', j])}: item "${b}" is already part of another kit`);
        ids.push(id);
      });
      if (ids.length !== k.parts.length) return;
      const kitId = Number(db.prepare('INSERT INTO kits (code, title, lead_item_id) VALUES (?, ?, ?)').run(k.code, k.title, itemId(k.lead)).lastInsertRowid);
      ids.forEach((id, j) => db.prepare('UPDATE items SET kit_id = ?, kit_part = ? WHERE id = ?').run(kitId, j + 1, id));
      counts.kits++;
    });
    each(doc.calendar, (c, i) => {
      const path = ['calendar', i];
      if (c.department && !exists('departments', 'code', c.department)) {
        return unknown('codes', c.department, [...path, 'department'], `unknown department "${c.department}"`);
      }
      if (c.fineCharged && !c.closed) return problems.push(`${at([...path, 'fineCharged'])}: only a closed day can be marked "fine charged"`);
      if (c.noFine && c.closed) return problems.push(`${at([...path, 'noFine'])}: only an open day can be marked "no fine"`);
      const d = date(c.date, [...path, 'date']);
      if (!d) return;
      db.prepare(
        `INSERT INTO calendar_days (department, date, closed, fine_charged, no_fine, note) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (department, date) DO UPDATE SET closed = excluded.closed, fine_charged = excluded.fine_charged,
           no_fine = excluded.no_fine, note = excluded.note`,
      ).run(c.department ?? '', d, c.closed ? 1 : 0, c.fineCharged ? 1 : 0, c.noFine ? 1 : 0, c.note ?? null);
      counts.calendar++;
    });
    opts.engine?.reloadReferenceData();

    const seenIds = new Set<string>();
    each(doc.patrons, (p, i) => {
      const path = ['patrons', i];
      const before = problems.length;
      for (const [j, id] of [p.barcode, ...p.altIds].entries()) {
        const where = j === 0 ? [...path, 'barcode'] : [...path, 'altIds', j - 1];
        if (seenIds.has(id) || patronId(id) !== undefined || exists('patron_ids', 'value', id)) {
          problems.push(`${at(where)}: identifier "${id}" is already used by another patron`);
        }
        seenIds.add(id);
      }
      const badCategory = !exists('categories', 'code', p.category);
      const badDepartment = !exists('departments', 'code', p.homeDepartment);
      if (badCategory) unknown('codes', p.category, [...path, 'category'], `unknown category "${p.category}"`);
      if (badDepartment) unknown('codes', p.homeDepartment, [...path, 'homeDepartment'], `unknown department "${p.homeDepartment}"`);
      if (p.pin && p.pinHash) problems.push(`${at([...path, 'pin'])}: give either pin or pinHash, not both`);
      if (problems.length > before || badCategory || badDepartment) {
        for (const id of [p.barcode, ...p.altIds]) spoilt.patrons.add(id);
        return;
      }
      const id = Number(
        db
          .prepare(
            `INSERT INTO patrons (barcode, first_name, last_name, category, pin_hash, email, mobile, home_department, language,
               membership_expires, block_reason, block_note, max_items, max_renewals, max_holds)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            p.barcode,
            p.firstName,
            p.lastName,
            p.category,
            p.pinHash ?? (p.pin ? hashPin(p.pin) : null),
            p.email ?? null,
            p.mobile ?? null,
            p.homeDepartment,
            p.language,
            date(p.membershipExpires, [...path, 'membershipExpires']),
            p.block?.reason ?? null,
            p.block?.note ?? null,
            p.limits?.maxItems ?? null,
            p.limits?.maxRenewals ?? null,
            p.limits?.maxHolds ?? null,
          ).lastInsertRowid,
      );
      for (const alt of p.altIds) db.prepare('INSERT INTO patron_ids (value, patron_id) VALUES (?, ?)').run(alt, id);
      counts.patrons++;
    });

    each(doc.loans, (l, i) => {
      const path = ['loans', i];
      // Every field is checked before the row is given up, so one run names all of its problems.
      const iid = itemId(l.item);
      const pid = patronId(l.patron);
      if (iid === undefined) unknown('items', l.item, [...path, 'item'], `unknown item "${l.item}"`);
      if (pid === undefined) unknown('patrons', l.patron, [...path, 'patron'], `unknown patron "${l.patron}"`);
      const item = iid === undefined ? undefined : (db.prepare('SELECT * FROM items WHERE id = ?').get(iid) as { department: string; kit_id: number | null; barcode: string });
      const dept = l.department ?? item?.department;
      const badDept = dept !== undefined && !exists('departments', 'code', dept);
      if (badDept) unknown('codes', dept, [...path, 'department'], `unknown department "${dept}"`);
      const loanedAt = instant(l.loanedAt, [...path, 'loanedAt']);
      let due = date(l.dueDate, [...path, 'dueDate']);
      if (iid === undefined || pid === undefined || !item || dept === undefined || badDept || !loanedAt || (l.dueDate != null && !due)) return;
      if (!due && l.status !== 'L') {
        if (!opts.engine) return problems.push(`${at([...path, 'dueDate'])}: a due date is needed`);
        due = opts.engine.computeDueDate(l.item, l.patron, localDate(new Date(loanedAt), opts.timezone), dept, l.status === 'S');
        if (!due) return problems.push(`${at([...path, 'item'])}: the policy gives no loan period for this item; give a dueDate`);
      }
      const units = item.kit_id === null ? [iid] : (db.prepare('SELECT id FROM items WHERE kit_id = ? ORDER BY (id = (SELECT lead_item_id FROM kits WHERE id = ?)) DESC, kit_part').all(item.kit_id, item.kit_id) as { id: number }[]).map((r) => r.id);
      let group: number | null = null;
      for (const u of units) {
        if (db.prepare('SELECT 1 FROM loans WHERE item_id = ? AND closed_at IS NULL').get(u)) {
          return problems.push(`${at([...path, 'item'])}: item "${l.item}" (or a part of its kit) is already on loan`);
        }
        const r = db
          .prepare(
            `INSERT INTO loans (item_id, patron_id, status, department, kit_group, loaned_at, due_date, renewals, lost_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(u, pid, l.status, dept, group, loanedAt, due, l.renewals, l.status === 'L' ? loanedAt : null);
        if (item.kit_id !== null && group === null) {
          group = Number(r.lastInsertRowid);
          db.prepare('UPDATE loans SET kit_group = ? WHERE id = ?').run(group, group);
        }
      }
      if (l.status === 'L') db.prepare('UPDATE patrons SET lost_count = lost_count + ? WHERE id = ?').run(units.length, pid);
      counts.loans++;
    });

    each(doc.holds, (h, i) => {
      const path = ['holds', i];
      // Every field is checked before the row is given up, so one run names all of its problems.
      const pid = patronId(h.patron);
      let bad = false;
      if (pid === undefined) bad = unknown('patrons', h.patron, [...path, 'patron'], `unknown patron "${h.patron}"`);
      if (!h.item && !h.bibId) bad = !!problems.push(`${at(path)}: a hold needs an item or a bibId`);
      if (h.pickupPlace && !exists('pickup_places', 'code', h.pickupPlace)) {
        bad = unknown('codes', h.pickupPlace, [...path, 'pickupPlace'], `unknown pickup place "${h.pickupPlace}"`);
      }
      let iid: number | null = null;
      let bib = h.bibId ?? null;
      if (h.item) {
        const id = itemId(h.item);
        if (id === undefined) bad = unknown('items', h.item, [...path, 'item'], `unknown item "${h.item}"`);
        else {
          const row = db.prepare('SELECT i.bib_id, k.lead_item_id FROM items i LEFT JOIN kits k ON k.id = i.kit_id WHERE i.id = ?').get(id) as {
            bib_id: string;
            lead_item_id: number | null;
          };
          iid = row.lead_item_id ?? id;
          bib = row.bib_id;
        }
      } else if (bib !== null && !exists('items', 'bib_id', bib)) {
        bad = unknown('bibs', bib, [...path, 'bibId'], `no item has bibId "${bib}"`);
      }
      const createdAt = instant(h.createdAt, [...path, 'createdAt']);
      let expires = date(h.expiresOn, [...path, 'expiresOn']);
      if (bad || pid === undefined || !createdAt || (h.expiresOn != null && !expires)) return;
      if (h.status !== 'R') {
        if (iid === null) return problems.push(`${at([...path, 'status'])}: an ${h.status} hold needs an item`);
        if (db.prepare('SELECT 1 FROM loans WHERE item_id = ? AND closed_at IS NULL').get(iid)) {
          return problems.push(`${at([...path, 'item'])}: item "${h.item}" is on loan, so it cannot be ${h.status}`);
        }
        if (db.prepare('SELECT 1 FROM holds WHERE assigned_item_id = ? AND closed_at IS NULL').get(iid)) {
          return problems.push(`${at([...path, 'item'])}: item "${h.item}" is already assigned to another hold`);
        }
      }
      if (!expires && opts.engine) expires = opts.engine.computeHoldExpiry(h.status, iid, bib!, localDate(new Date(createdAt), opts.timezone));
      db.prepare(
        `INSERT INTO holds (patron_id, bib_id, item_id, assigned_item_id, status, pickup_place, created_at, expires_on, ready_at, processing)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        pid,
        bib,
        iid,
        h.status === 'R' ? null : iid,
        h.status,
        h.pickupPlace ?? null,
        createdAt,
        expires,
        h.status === 'W' ? createdAt : null,
        h.status === 'W' ? 'ready' : h.status === 'O' ? 'arrived' : null,
      );
      counts.holds++;
    });

    each(doc.fees, (f, i) => {
      const path = ['fees', i];
      const pid = patronId(f.patron);
      let bad = false;
      if (pid === undefined) bad = unknown('patrons', f.patron, [...path, 'patron'], `unknown patron "${f.patron}"`);
      let iid: number | null = null;
      if (f.item) {
        iid = itemId(f.item) ?? null;
        if (iid === null) bad = unknown('items', f.item, [...path, 'item'], `unknown item "${f.item}"`);
      }
      const createdAt = instant(f.createdAt, [...path, 'createdAt']);
      if (bad || pid === undefined || !createdAt) return;
      db.prepare(
        `INSERT INTO fees (patron_id, item_id, kind, amount_minor, currency, created_at, description) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(pid, iid, f.kind, toMinor(f.amount), opts.currency, createdAt, f.description);
      counts.fees++;
    });

    // The rows left out for their form: what of them can be read is checked too (references, dates),
    // so that one run names every problem of the file, not one kind after another.
    const refExists: Record<RefKind, (v: string) => boolean> = {
      department: (v) => exists('departments', 'code', v),
      materialType: (v) => exists('material_types', 'code', v),
      category: (v) => exists('categories', 'code', v),
      pickupPlace: (v) => exists('pickup_places', 'code', v),
      item: (v) => itemId(v) !== undefined,
      patron: (v) => patronId(v) !== undefined || exists('patron_ids', 'value', v),
    };
    for (const [key, bad] of formIssues) {
      const [section, index] = key.split(':') as [Section, string];
      const i = Number(index);
      const raw = (src.value as Record<string, unknown[]>)[section]?.[i];
      if (!isPlainObject(raw)) continue;
      for (const [field, kind] of Object.entries(REFERENCES[section] ?? {})) {
        const v = raw[field];
        if (typeof v !== 'string' || bad.has(field) || refExists[kind](v.trim())) continue;
        unknown(SPOILT_OF[kind], v.trim(), [section, i, field], `unknown ${REF_WORDS[kind]} "${v.trim()}"`);
      }
      for (const [field, how] of Object.entries(DATES[section] ?? {})) {
        const v = raw[field];
        if (typeof v !== 'string' || bad.has(field)) continue;
        if (how === 'date') date(v, [section, i, field]);
        else instant(v, [section, i, field]);
      }
    }

    if (problems.length) throw new Abort();
  });

  try {
    apply();
  } catch (e) {
    if (!(e instanceof Abort)) problems.push(`${file}: ${(e as Error).message}`);
  } finally {
    opts.engine?.reloadReferenceData();
  }
  // In the order of the file, whichever check found them.
  const lineOf = (p: string) => Number(/^:(\d+):/.exec(p.slice(file.length))?.[1] ?? Infinity);
  problems.sort((x, y) => lineOf(x) - lineOf(y));
  return problems.length ? { ok: false, problems } : { ok: true, counts };
}

/** The store as an open-kiosk/1 document (open loans, holds and unpaid fees). */
export function exportData(db: Db): string {
  const rows = <T>(sql: string) => db.prepare(sql).all() as T[];
  const opt = <T>(v: T | null) => (v === null ? undefined : v);
  const doc = {
    format: 'open-kiosk/1',
    departments: rows<{ code: string; name: string; fixed_due_date: string | null }>('SELECT * FROM departments ORDER BY code').map((d) => ({
      code: d.code,
      name: d.name,
      fixedDueDate: d.fixed_due_date,
    })),
    materialTypes: rows<{ code: string; name: string; parent: string | null }>(
      // Parents before their sub-types, so the file imports again.
      `WITH RECURSIVE t(code, name, parent, depth) AS (
         SELECT code, name, parent, 0 FROM material_types WHERE parent IS NULL
         UNION ALL SELECT m.code, m.name, m.parent, t.depth + 1 FROM material_types m JOIN t ON m.parent = t.code)
       SELECT code, name, parent FROM t ORDER BY depth, code`,
    ).map((m) => ({ code: m.code, name: m.name, parent: m.parent })),
    categories: rows<{ code: string; name: string }>('SELECT * FROM categories ORDER BY code'),
    pickupPlaces: rows<{ code: string; department: string; kind: string; name: string }>('SELECT * FROM pickup_places ORDER BY code'),
    items: rows<Record<string, never>>('SELECT * FROM items ORDER BY barcode').map((i: Record<string, unknown>) => ({
      barcode: i.barcode,
      bibId: i.bib_id,
      title: i.title,
      author: i.author,
      materialType: i.material_type,
      department: i.department,
      callNumber: i.call_number,
      language: opt(i.language as string | null),
      access: i.access_p,
      status: i.status_q,
      restriction: i.restriction_u,
      price: i.price_minor === null ? undefined : fromMinor(i.price_minor as number),
      acquiredOn: opt(i.acquired_on as string | null),
    })),
    kits: rows<{ id: number; code: string; title: string; lead: string }>(
      'SELECT k.id, k.code, k.title, i.barcode AS lead FROM kits k JOIN items i ON i.id = k.lead_item_id ORDER BY k.code',
    ).map((k) => ({
      code: k.code,
      title: k.title,
      lead: k.lead,
      parts: (db.prepare('SELECT barcode FROM items WHERE kit_id = ? ORDER BY kit_part').all(k.id) as { barcode: string }[]).map((r) => r.barcode),
    })),
    patrons: rows<Record<string, unknown>>('SELECT * FROM patrons ORDER BY barcode').map((p) => ({
      barcode: p.barcode,
      altIds: (db.prepare('SELECT value FROM patron_ids WHERE patron_id = ? ORDER BY value').all(p.id) as { value: string }[]).map((r) => r.value),
      firstName: p.first_name,
      lastName: p.last_name,
      category: p.category,
      pinHash: opt(p.pin_hash as string | null),
      email: opt(p.email as string | null),
      mobile: opt(p.mobile as string | null),
      homeDepartment: p.home_department,
      language: p.language,
      membershipExpires: opt(p.membership_expires as string | null),
      block: p.block_reason ? { reason: p.block_reason, note: opt(p.block_note as string | null) } : undefined,
      limits:
        p.max_items !== null || p.max_renewals !== null || p.max_holds !== null
          ? { maxItems: opt(p.max_items), maxRenewals: opt(p.max_renewals), maxHolds: opt(p.max_holds) }
          : undefined,
    })),
    loans: rows<Record<string, unknown>>(
      `SELECT l.*, i.barcode AS item, p.barcode AS patron FROM loans l JOIN items i ON i.id = l.item_id JOIN patrons p ON p.id = l.patron_id
       WHERE l.closed_at IS NULL AND l.status IN ('C','S','L') AND (l.kit_group IS NULL OR l.kit_group = l.id) ORDER BY l.id`,
    ).map((l) => ({
      item: l.item,
      patron: l.patron,
      status: l.status,
      department: l.department,
      loanedAt: l.loaned_at,
      dueDate: opt(l.due_date as string | null),
      renewals: l.renewals,
    })),
    holds: rows<Record<string, unknown>>(
      `SELECT h.*, p.barcode AS patron, i.barcode AS item FROM holds h JOIN patrons p ON p.id = h.patron_id
       LEFT JOIN items i ON i.id = COALESCE(h.assigned_item_id, h.item_id) WHERE h.closed_at IS NULL AND h.status IN ('R','O','W') ORDER BY h.created_at, h.id`,
    ).map((h) => ({
      patron: h.patron,
      bibId: h.item ? undefined : h.bib_id,
      item: opt(h.item as string | null),
      status: h.status,
      createdAt: h.created_at,
      pickupPlace: opt(h.pickup_place as string | null),
      expiresOn: opt(h.expires_on as string | null),
    })),
    fees: rows<Record<string, unknown>>(
      `SELECT f.*, p.barcode AS patron, i.barcode AS item FROM fees f JOIN patrons p ON p.id = f.patron_id LEFT JOIN items i ON i.id = f.item_id
       WHERE f.paid_minor + f.waived_minor < f.amount_minor ORDER BY f.created_at, f.id`,
    ).map((f) => ({
      patron: f.patron,
      kind: f.kind,
      // What is still owed: a partly paid claim is exported as its remainder.
      amount: fromMinor((f.amount_minor as number) - (f.paid_minor as number) - (f.waived_minor as number)),
      item: opt(f.item as string | null),
      createdAt: f.created_at,
      description: f.description,
    })),
    calendar: rows<Record<string, unknown>>('SELECT * FROM calendar_days ORDER BY date, department').map((c) => ({
      date: c.date,
      department: c.department === '' ? null : c.department,
      closed: !!c.closed,
      fineCharged: !!c.fine_charged,
      noFine: !!c.no_fine,
      note: c.note,
    })),
  };
  return stringify(doc, { lineWidth: 0 });
}

export function isStoreEmpty(db: Db): boolean {
  return !db.prepare('SELECT 1 FROM items LIMIT 1').get() && !db.prepare('SELECT 1 FROM patrons LIMIT 1').get();
}

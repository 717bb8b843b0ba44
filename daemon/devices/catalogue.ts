/**
 * What the simulator panel offers to put on the pad: the demo library's items (kits included) and
 * patrons, read from config/demo/demo-library.yaml with the scenario notes its comments carry
 * ("Scenario 2: blocked for debt"). Patron names are abbreviated ("Ana N."): the panel is a
 * developer tool, but it still shows no more of a person than it needs to.
 *
 * The item lookup the simulator API uses to tag a kit part "part n of m" comes from here or, in the
 * daemon, from the circulation backend's `itemInformation` (`backendItemLookup`), which knows the
 * store as it is now.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { CirculationBackend } from '../circulation/backend.ts';
import { configDir } from '../config.ts';

export interface CatalogueItem {
  barcode: string;
  title: string;
  author: string;
  materialType: string;
  department: string;
  /** Part n of m when the item is a unit of a kit. */
  kit: { code: string; partNumber: number; partsTotal: number; lead: boolean } | null;
  /** Card number of the patron the demo lends it to, if the demo data has it on loan. */
  onLoanTo: string | null;
  /** The demo data's comment on the item ("lost in stock (status 8)"). */
  note: string | null;
}

export interface CatalogueKit {
  code: string;
  title: string;
  lead: string;
  /** Unit barcodes in part order (part 1 first). */
  parts: string[];
}

export interface CataloguePatron {
  barcode: string;
  /** First name and initial: "Ana N.". */
  name: string;
  category: string;
  /** Other identifiers, e.g. an RFID card UID (16 hex digits). */
  altIds: string[];
  /** The demo data's scenario comment. */
  note: string | null;
}

export interface SimulatorCatalogue {
  items: CatalogueItem[];
  kits: CatalogueKit[];
  patrons: CataloguePatron[];
}

/** What the simulator needs to know about an item to tag it. */
export interface SimItemInfo {
  barcode: string;
  title: string;
  /** On loan now: its tag is unsecured (it left the library through the gate). */
  onLoan: boolean;
  kit: { code: string; title: string; partNumber: number; partsTotal: number; parts: Array<{ barcode: string; partNumber: number; title: string }> } | null;
}

/** Item data by barcode; null for a barcode the library does not know. */
export type ItemLookup = (barcode: string) => Promise<SimItemInfo | null>;

export const DEMO_LIBRARY_FILE = join(configDir, 'demo', 'demo-library.yaml');

/** "Ana", "Novak" → "Ana N." */
export function abbreviateName(first: string, last: string): string {
  const initial = last.trim().charAt(0);
  return [first.trim(), initial ? `${initial}.` : ''].filter(Boolean).join(' ');
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function comment(text: string | null | undefined): string | null {
  const t = text?.trim();
  // "--- Slovenian ---" and the like head a section of the file; they say nothing about the entry.
  return t && !/^-{2,}.*-{2,}$/.test(t) ? t : null;
}

/** Comments of the sequence `key` at the top of the document, per entry (before it, or after its first value). */
function entryComments(doc: ReturnType<typeof parseDocument>, key: string): Array<string | null> {
  const seq = doc.get(key, true) as Node | undefined;
  if (!isSeq(seq)) return [];
  const root = doc.contents;
  const pair = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
  return seq.items.map((entry, k) => {
    const before = (entry as { commentBefore?: string | null }).commentBefore ?? (k === 0 ? seq.commentBefore ?? (pair?.value as Node | undefined)?.commentBefore : null);
    let trailing: string | null | undefined;
    if (isMap(entry)) {
      const first = entry.items[0];
      if (first && isScalar(first.value)) trailing = first.value.comment;
    }
    return comment(before) ?? comment(trailing);
  });
}

/** Reads the demo library (or another file in the import format). */
export function loadDemoCatalogue(file: string = DEMO_LIBRARY_FILE): SimulatorCatalogue {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const data = (doc.toJS() ?? {}) as Record<string, unknown>;
  const list = (k: string): Array<Record<string, unknown>> =>
    Array.isArray(data[k]) ? (data[k] as unknown[]).filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

  const kits: CatalogueKit[] = list('kits').map((k) => ({
    code: str(k['code']),
    title: str(k['title']),
    lead: str(k['lead']),
    parts: Array.isArray(k['parts']) ? (k['parts'] as unknown[]).map(str) : [],
  }));
  const kitOf = new Map<string, { kit: CatalogueKit; partNumber: number }>();
  for (const kit of kits) kit.parts.forEach((b, i) => kitOf.set(b, { kit, partNumber: i + 1 }));

  const loans = new Map<string, string>();
  for (const l of list('loans')) if (l['status'] !== 'returned') loans.set(str(l['item']), str(l['patron']));

  const itemNotes = entryComments(doc, 'items');
  const items: CatalogueItem[] = list('items').map((i, k) => {
    const barcode = str(i['barcode']);
    const inKit = kitOf.get(barcode);
    return {
      barcode,
      title: str(i['title']),
      author: str(i['author']),
      materialType: str(i['materialType']),
      department: str(i['department']),
      kit: inKit
        ? { code: inKit.kit.code, partNumber: inKit.partNumber, partsTotal: inKit.kit.parts.length, lead: inKit.kit.lead === barcode }
        : null,
      onLoanTo: loans.get(barcode) ?? null,
      note: itemNotes[k] ?? null,
    };
  });

  const patronNotes = entryComments(doc, 'patrons');
  const patrons: CataloguePatron[] = list('patrons').map((p, k) => ({
    barcode: str(p['barcode']),
    name: abbreviateName(str(p['firstName']), str(p['lastName'])),
    category: str(p['category']),
    altIds: Array.isArray(p['altIds']) ? (p['altIds'] as unknown[]).map(str).filter(Boolean) : [],
    note: patronNotes[k] ?? null,
  }));

  return { items, kits, patrons };
}

/** Item lookup from the catalogue alone (tests, or a panel without a backend). */
export function catalogueItemLookup(catalogue: SimulatorCatalogue): ItemLookup {
  const byBarcode = new Map(catalogue.items.map((i) => [i.barcode, i]));
  return async (barcode) => {
    const item = byBarcode.get(barcode);
    if (!item) return null;
    const kit = item.kit ? catalogue.kits.find((k) => k.code === item.kit?.code) : undefined;
    return {
      barcode,
      title: item.title,
      onLoan: item.onLoanTo !== null,
      kit:
        item.kit && kit
          ? {
              code: kit.code,
              title: kit.title,
              partNumber: item.kit.partNumber,
              partsTotal: item.kit.partsTotal,
              parts: kit.parts.map((b, i) => ({ barcode: b, partNumber: i + 1, title: byBarcode.get(b)?.title ?? b })),
            }
          : null,
    };
  };
}

/** Item lookup through the circulation backend (the store as it is now: loans, kits, parts). */
export function backendItemLookup(backend: Pick<CirculationBackend, 'itemInformation'>): ItemLookup {
  return async (barcode) => {
    const r = await backend.itemInformation(barcode, { language: 'en' });
    if (!r.ok) return null;
    const i = r.item;
    return {
      barcode: i.barcode,
      title: i.title,
      // C/S/L/B: the item is out (on loan, lost by a patron …): its tag was unsecured at checkout.
      onLoan: i.dueDate !== null,
      kit: i.kit
        ? { code: i.kit.code, title: i.kit.title, partNumber: i.kit.partNumber, partsTotal: i.kit.partsTotal, parts: i.kit.parts.map((p) => ({ ...p })) }
        : null,
    };
  };
}

/** The first lookup that knows the barcode wins. */
export function chainLookups(...lookups: ItemLookup[]): ItemLookup {
  return async (barcode) => {
    for (const lookup of lookups) {
      const found = await lookup(barcode).catch(() => null);
      if (found) return found;
    }
    return null;
  };
}

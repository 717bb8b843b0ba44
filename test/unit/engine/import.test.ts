import { afterEach, describe, expect, it } from 'vitest';
import { exportData, importData } from '../../../daemon/store/import.ts';
import { demoData, makeLibrary, TZ, type TestLibrary } from '../../helpers/engine.ts';

let lib: TestLibrary;
let other: TestLibrary | undefined;
afterEach(() => {
  lib?.close();
  other?.close();
  other = undefined;
});

const count = (l: TestLibrary, table: string) => (l.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const run = (l: TestLibrary, text: string, name = 'data.yaml') =>
  importData(l.db, text, name, { clock: l.clock, timezone: TZ, currency: 'EUR', engine: l.engine });

describe('import', () => {
  it('loads the demo library: every count the issue asks for', () => {
    lib = makeLibrary({ data: demoData() });
    expect(count(lib, 'items')).toBeGreaterThanOrEqual(200);
    expect(count(lib, 'patrons')).toBe(20);
    expect(count(lib, 'kits')).toBe(5);
    const langs = lib.db.prepare('SELECT DISTINCT language FROM items WHERE language IS NOT NULL ORDER BY language').all();
    expect(langs).toEqual([{ language: 'en' }, { language: 'hu' }, { language: 'lv' }, { language: 'sl' }]);
  });

  it('the demo patrons cover the scenarios: blocked for debt, overdue items, a hold waiting', async () => {
    lib = makeLibrary({ data: demoData() });
    const debt = await lib.engine.checkout({ patron: '0100002', item: '30100000001' });
    expect(debt).toMatchObject({ ok: false, reason: 'debt_block' });
    const overdue = await lib.engine.patronInformation('0100003');
    expect(overdue.ok && overdue.patron.loans.filter((l) => l.overdue).length).toBe(2);
    const waiting = await lib.engine.patronInformation('0100004');
    expect(waiting.ok && waiting.patron.holds).toMatchObject([{ status: 'W', itemBarcode: '30100000081' }]);
    const kit = await lib.engine.itemInformation('30100000912');
    expect(kit.ok && kit.item.kit?.partsTotal).toBe(4);
  });

  it('is atomic: a bad row names its line and field, and nothing of the file is kept', () => {
    lib = makeLibrary();
    const text = [
      'departments:',
      '  - {code: "01", name: Central}',
      'materialTypes:',
      '  - {code: book, name: Book}',
      'categories:',
      '  - {code: adult, name: Adult}',
      'items:',
      '  - {barcode: "A1", title: Alamut, materialType: book, department: "01"}',
      '  - {barcode: "A2", title: Emma, materialType: cd, department: "01"}',
      '  - {barcode: "A1", title: Alamut again, materialType: book, department: "01"}',
      'patrons:',
      '  - {barcode: "P1", firstName: Ana, lastName: Novak, category: adult, homeDepartment: "01", pin: "12"}',
      '',
    ].join('\n');
    const r = run(lib, text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // Problems of form (the PIN) and of meaning (the type, the duplicate) in one run, in the file's order.
    expect(r.problems).toEqual([
      'data.yaml:9: items[1].materialType: unknown material type "cd"',
      'data.yaml:10: items[2].barcode: item "A1" exists already',
      'data.yaml:12: patrons[0].pin: a PIN is 4 to 12 digits',
    ]);
    for (const t of ['departments', 'material_types', 'categories', 'items', 'patrons']) expect(count(lib, t)).toBe(0);
  });

  it('a row reported for its form is not reported again by the rows that refer to it', () => {
    lib = makeLibrary();
    const text = [
      'departments:',
      '  - {code: "01", name: Central}',
      'materialTypes:',
      '  - {code: book, name: Book}',
      'categories:',
      '  - {code: adult}',
      'items:',
      '  - {barcode: "A1", title: Alamut, materialType: book, department: "01", price: -3}',
      '  - {barcode: "A2", title: Emma, materialType: book, department: "01"}',
      'patrons:',
      '  - {barcode: "P1", firstName: Ana, lastName: Novak, category: adult, homeDepartment: "01"}',
      '  - {barcode: "P2", firstName: Bor, lastName: Kos, category: child, homeDepartment: "01"}',
      'loans:',
      '  - {item: "A1", patron: "P2", loanedAt: "2026-03-01"}',
      '  - {item: "A2", patron: "P3", loanedAt: "2026-03-01"}',
      'unknownSection: []',
      '',
    ].join('\n');
    const r = run(lib, text);
    // categories[0] has no name, so patron P1 (category adult) is not reported as well; nor is the
    // loan of A1 (its row has a bad price) to P2 (whose category is unknown); P3 is truly unknown.
    expect(!r.ok && r.problems).toEqual([
      'data.yaml:6: categories[0].name: is required',
      'data.yaml:8: items[0].price: Too small: expected number to be >=0',
      'data.yaml:12: patrons[1].category: unknown category "child"',
      'data.yaml:15: loans[1].patron: unknown patron "P3"',
      'data.yaml:16: unknownSection: unknown section',
    ]);
    for (const t of ['departments', 'material_types', 'categories', 'items', 'patrons', 'loans']) expect(count(lib, t)).toBe(0);
  });

  it('one run names every problem: a row\'s other fields are checked even when one is wrong', () => {
    lib = makeLibrary();
    const text = [
      'departments: [{code: "01", name: Central}]',
      'materialTypes: [{code: book, name: Book}]',
      'categories: [{code: adult, name: Adult}]',
      'items:',
      '  - {barcode: "A1", title: One, materialType: book, department: "01"}',
      'patrons:',
      '  - {barcode: "P1", firstName: Ana, lastName: N, category: adult, membershipExpires: "2027-02-30"}',
      '  - {barcode: "P2", firstName: Bo, lastName: B, category: child}',
      'loans:',
      '  - {item: "A1", patron: "P9", loanedAt: "yesterday", dueDate: "soon"}',
      'fees:',
      '  - {patron: "P8", kind: overdue, amount: 1, item: "A9", createdAt: "@today"}',
      '',
    ].join('\n');
    expect(!run(lib, text).ok && (run(lib, text) as { problems: string[] }).problems).toEqual([
      'data.yaml:7: patrons[0].homeDepartment: is required',
      'data.yaml:7: patrons[0].membershipExpires: "2027-02-30" is not a date YYYY-MM-DD or @today±Nd',
      'data.yaml:8: patrons[1].homeDepartment: is required',
      'data.yaml:8: patrons[1].category: unknown category "child"',
      'data.yaml:10: loans[0].patron: unknown patron "P9"',
      'data.yaml:10: loans[0].loanedAt: "yesterday" is not a date-time (ISO 8601) or @today±Nd',
      'data.yaml:10: loans[0].dueDate: "soon" is not a date YYYY-MM-DD or @today±Nd',
      'data.yaml:12: fees[0].patron: unknown patron "P8"',
      'data.yaml:12: fees[0].item: unknown item "A9"',
    ]);
  });

  it('refuses an unquoted numeric barcode, which would lose its leading zeros', () => {
    lib = makeLibrary();
    const r = run(lib, 'patrons:\n  - barcode: 0100001\n    firstName: A\n    lastName: B\n    category: adult\n    homeDepartment: "01"\n');
    expect(!r.ok && r.problems[0]).toMatch(/^data\.yaml:2: patrons\[0\]\.barcode: must be a quoted string/);
  });

  it('reads JSON with line numbers too', () => {
    lib = makeLibrary();
    const json = JSON.stringify({ departments: [{ code: '01', name: 'Central' }], categories: [{ code: 'adult' }] }, null, 2);
    const r = run(lib, json, 'data.json');
    expect(!r.ok && r.problems).toEqual(['data.json:9: categories[0].name: is required']);
  });

  it('resolves @today dates against the clock and computes missing due dates from the policy', () => {
    lib = makeLibrary();
    lib.load({
      departments: [{ code: '01', name: 'C' }],
      materialTypes: [{ code: 'book', name: 'Book' }],
      categories: [{ code: 'adult', name: 'A' }],
      items: [{ barcode: 'A1', title: 'Alamut', materialType: 'book', department: '01' }],
      patrons: [{ barcode: 'P1', firstName: 'Ana', lastName: 'Novak', category: 'adult', homeDepartment: '01', membershipExpires: '@today+30d' }],
      loans: [{ item: 'A1', patron: 'P1', loanedAt: '@today-7d' }],
    });
    expect(lib.db.prepare('SELECT due_date FROM loans').get()).toEqual({ due_date: '2026-03-16' }); // 23 Feb + 21
    expect(lib.db.prepare('SELECT membership_expires FROM patrons').get()).toEqual({ membership_expires: '2026-04-01' });
  });

  it('export → import into an empty store → export gives the same document', () => {
    lib = makeLibrary({ data: demoData() });
    const first = exportData(lib.db);
    expect(first).not.toContain('pin: ');
    expect(first).toContain('pinHash: scrypt$');
    other = makeLibrary();
    const r = run(other, first, 'export.yaml');
    expect(r.ok).toBe(true);
    expect(exportData(other.db)).toBe(first);
  });
});

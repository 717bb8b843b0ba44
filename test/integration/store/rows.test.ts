/**
 * prepareRows (daemon/store/rows.ts): the rows the engine reads are the objects better-sqlite3 itself
 * would give — same keys in the same order, same values of every storage class, a later duplicate
 * column name winning — built from raw arrays; writes and RETURNING work through it unchanged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Db } from '../../../daemon/store/db.ts';
import { prepareRows } from '../../../daemon/store/rows.ts';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(): Db {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-rows-'));
  dirs.push(dir);
  const db = openStore({ file: join(dir, 'kiosk.sqlite') });
  dbs.push(db);
  db.exec(`CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT, price REAL, photo BLOB, note TEXT);
           CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, name TEXT, "odd name" TEXT, "1" INTEGER);`);
  db.prepare('INSERT INTO a (id, name, price, photo, note) VALUES (?, ?, ?, ?, ?)').run(1, 'Poezije', 12.9, Buffer.from([0, 1, 255]), null);
  db.prepare('INSERT INTO a (id, name, price, photo, note) VALUES (?, ?, ?, ?, ?)').run(2, 'Krst pri Savici', 9, null, 'ščž');
  db.prepare('INSERT INTO b (id, a_id, name, "odd name", "1") VALUES (?, ?, ?, ?, ?)').run(10, 1, 'part', 'x"y', 7);
  return db;
}

describe('prepareRows', () => {
  const queries = [
    'SELECT * FROM a WHERE id = ?',
    'SELECT * FROM a ORDER BY id',
    // Two columns called name and id: the later one wins, as in better-sqlite3's own objects.
    'SELECT a.*, b.* FROM a LEFT JOIN b ON b.a_id = a.id ORDER BY a.id',
    'SELECT COUNT(*), MAX(price) AS top FROM a',
  ];

  it.each(queries)('%s: the same objects as better-sqlite3, keys in the same order', (sql) => {
    const db = store();
    const ours = prepareRows(db, sql);
    const theirs = db.prepare(sql);
    const params = sql.includes('?') ? [1] : [];
    const a = ours.get(...params) as Record<string, unknown>;
    const b = theirs.get(...params) as Record<string, unknown>;
    expect(a).toEqual(b);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    const all = ours.all(...params) as Array<Record<string, unknown>>;
    expect(all).toEqual(theirs.all(...params));
    expect(all.map((r) => Object.keys(r))).toEqual((theirs.all(...params) as Array<Record<string, unknown>>).map((r) => Object.keys(r)));
  });

  it('values keep their types: integer, real, text in UTF-8, blob as a Buffer, null', () => {
    const db = store();
    const row = prepareRows(db, 'SELECT * FROM a WHERE id = ?').get(1) as Record<string, unknown>;
    expect(row).toEqual({ id: 1, name: 'Poezije', price: 12.9, photo: Buffer.from([0, 1, 255]), note: null });
    expect(Buffer.isBuffer(row.photo)).toBe(true);
    expect((prepareRows(db, 'SELECT note FROM a WHERE id = ?').get(2) as { note: string }).note).toBe('ščž');
  });

  it('no row: get gives undefined, all an empty list', () => {
    const db = store();
    const s = prepareRows(db, 'SELECT * FROM a WHERE id = ?');
    expect(s.get(99)).toBeUndefined();
    expect(s.all(99)).toEqual([]);
  });

  it('writes run as before, RETURNING rows come back as objects, named parameters work', () => {
    const db = store();
    const ins = prepareRows(db, 'INSERT INTO a (name, price) VALUES (@name, @price)');
    const r = ins.run({ name: 'Alamut', price: 20 });
    expect(r.changes).toBe(1);
    expect(Number(r.lastInsertRowid)).toBe(3);
    const ret = prepareRows(db, 'UPDATE a SET price = price + 1 WHERE id = ? RETURNING id, price');
    expect(ret.get(3)).toEqual({ id: 3, price: 21 });
    expect(prepareRows(db, 'SELECT price FROM a WHERE id = 3').get()).toEqual({ price: 21 });
  });
});

/**
 * Prepared statements whose rows are cheap to build.
 *
 * better-sqlite3 builds a row object a property at a time and makes each column's name into a
 * JavaScript string again for every row (its Data::GetFlatRowJS). For the engine's wide rows (a
 * patron has 20 columns, an item 17) that is most of a lookup's cost: on this machine a patron by
 * barcode took about 17 µs as an object and 10 µs as a raw array, and in a profile of the SIP2
 * bridge's engine thread under bench:sip2 (perf) GetFlatRowJS had 16 % of the samples. So a
 * RowStatement asks for the raw array and turns it into the object with a function made once per
 * statement from the statement's column names: one object literal, the same plain object with the
 * same keys in the same order (a later duplicate name wins, as before), for well under a microsecond.
 */
import type Database from 'better-sqlite3';

type Params = unknown[];

export interface RowStatement {
  /** The first row as an object, or undefined. */
  get(...params: Params): unknown;
  /** Every row as an object. */
  all(...params: Params): unknown[];
  run(...params: Params): Database.RunResult;
}

export function prepareRows(db: Database.Database, sql: string): RowStatement {
  const stmt = db.prepare(sql);
  if (!stmt.reader) return stmt as unknown as RowStatement;
  const names = stmt.columns().map((c) => c.name);
  // The names are the statement's own result columns, each written as a JSON string literal.
  const toObject = new Function('r', `return { ${names.map((n, i) => `${JSON.stringify(n)}: r[${i}]`).join(', ')} };`) as (
    r: unknown[],
  ) => Record<string, unknown>;
  const raw = stmt.raw(true);
  return {
    get(...params: Params) {
      const r = raw.get(...params) as unknown[] | undefined;
      return r === undefined ? undefined : toObject(r);
    },
    all(...params: Params) {
      const rows = raw.all(...params) as unknown[][];
      const out = new Array<Record<string, unknown>>(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = toObject(rows[i]!);
      return out;
    },
    run: (...params: Params) => raw.run(...params),
  };
}

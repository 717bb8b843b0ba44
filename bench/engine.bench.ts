/**
 * Engine benchmark: `npm run bench:engine` (node --import tsx bench/engine.bench.ts).
 *
 * 1. Generates a store of 100,000 items and 10,000 patrons (plus open and historical loans,
 *    journal rows and small unpaid fees) in a temporary directory, with bulk inserts in one
 *    transaction into the real schema (openStore runs the migrations).
 * 2. Runs checkout + checkin cycles through the embedded engine for BENCH_SECONDS (default 10):
 *    random free item, random patron, each call its own durable transaction (WAL,
 *    synchronous=FULL) with an idempotency key, as the kiosk sends them.
 * 3. On the same disk (same directory), the rate of bare durable SQLite inserts: another database
 *    file, WAL, synchronous=FULL, one INSERT per transaction, for the same duration.
 * 4. The raw write + fdatasync rate of that disk: the physical limit of any durable commit.
 * Phases 2-4 take turns in BENCH_ROUNDS slices so that a drifting disk affects them alike. Then,
 * as a diagnostic, the engine once more with synchronous=OFF (not durable): its CPU cost alone.
 *
 * 2b. Checkouts back to back (each its own durable transaction): the direct measure of durable
 *    checkouts per second; the items are checked in again afterwards, untimed.
 * Prints a table and PASS/FAIL per target (≥ 1,000 durable checkouts/s; checkouts within 3× the
 * bare-insert rate). Exits 0 either way: it is a measurement. The temporary directory is removed.
 *
 * Environment: BENCH_SECONDS (per phase, default 10), BENCH_ROUNDS (5: the phases take turns in
 * this many slices), BENCH_ITEMS (100000), BENCH_PATRONS (10000), BENCH_FEES (1000 fee rows),
 * BENCH_SEED (1), BENCH_IDEMPOTENCY=0 to send no idempotency keys, BENCH_DIR (parent of the
 * temporary directory; default the OS temp dir), BENCH_KEEP=1 to keep the directory.
 */
import { mulberry32, ms, rate, Samples, table } from './common.ts';
import Database from 'better-sqlite3';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../daemon/clock.ts';
import { EmbeddedBackend } from '../daemon/circulation/embedded.ts';
import { loadPreset } from '../daemon/config.ts';
import { openStore, type Db } from '../daemon/store/db.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const PATRONS = Number(process.env.BENCH_PATRONS ?? 10_000);
const SEED = Number(process.env.BENCH_SEED ?? 1);
const USE_KEYS = process.env.BENCH_IDEMPOTENCY !== '0';
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const OPEN_LOANS = Math.round(ITEMS * 0.05); // 5,000: a few thousand items out on loan
const CLOSED_LOANS = Math.round(ITEMS * 0.3); // loan history
const FEES = Number(process.env.BENCH_FEES ?? Math.round(PATRONS * 0.1)); // small unpaid fees, below the debt block
const TIMEZONE = 'Europe/Ljubljana';
const SITE_DEPARTMENT = '01';

const TARGET_CHECKOUTS_PER_S = 1_000;
const TARGET_RATIO = 3;

// ------------------------------------------------------------------ helpers

const rand = mulberry32(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
/** Picks from [value, weight] pairs. */
function weighted<T>(table: ReadonlyArray<readonly [T, number]>): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [v, w] of table) if ((r -= w) < 0) return v;
  return table[table.length - 1]![0];
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000);

// ------------------------------------------------------------------ 1. the store

interface Generated {
  /** Items a checkout may take: loanable and not on loan. */
  freeItems: string[];
  patrons: string[];
  counts: Record<string, number>;
  ms: number;
}

function generate(db: Db): Generated {
  const t0 = process.hrtime.bigint();
  const departments = [
    ['01', 'Central library'],
    ['02', 'Branch North'],
    ['03', 'Branch South'],
    ['04', 'Mobile library'],
  ] as const;
  const types = [
    ['book', 'Book', null, 70],
    ['periodical', 'Periodical', null, 8],
    ['video', 'DVD', null, 6],
    ['audio', 'CD', null, 3],
    ['audio-fiction', 'CD fiction', 'audio', 3],
    ['game', 'Game', null, 3],
    ['toy', 'Toy', null, 2],
    ['language-course', 'Language course', null, 2],
    ['reference', 'Reference', null, 3], // not for home loan
  ] as const;
  const categories = [
    ['adult', 'Adult', 70],
    ['child', 'Child', 18],
    ['student', 'Student', 8],
    ['senior', 'Senior', 4],
  ] as const;
  const firstNames = ['Ana', 'Marko', 'Jānis', 'Eszter', 'Luka', 'Maja', 'Péter', 'Ilze', 'Nika', 'Žiga', 'Anna', 'Gábor'];
  const lastNames = ['Novak', 'Horvat', 'Bērziņš', 'Kovács', 'Krajnc', 'Zupan', 'Ozola', 'Nagy', 'Potočnik', 'Kalniņš'];
  const words = ['river', 'night', 'garden', 'winter', 'stone', 'city', 'letters', 'forest', 'island', 'road', 'mirror', 'song'];

  const freeItems: string[] = [];
  const patrons: string[] = [];
  const counts: Record<string, number> = {};
  db.transaction(() => {
    const dep = db.prepare('INSERT INTO departments (code, name) VALUES (?, ?)');
    for (const [code, name] of departments) dep.run(code, name);
    const mt = db.prepare('INSERT INTO material_types (code, name, parent) VALUES (?, ?, ?)');
    for (const [code, name, parent] of types) mt.run(code, name, parent);
    const cat = db.prepare('INSERT INTO categories (code, name) VALUES (?, ?)');
    for (const [code, name] of categories) cat.run(code, name);

    const item = db.prepare(
      `INSERT INTO items (id, barcode, bib_id, title, author, material_type, department, call_number, language, access_p,
         status_q, restriction_u, price_minor, acquired_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', ?, ?)`,
    );
    const typeTable = types.map(([code, , , w]) => [code, w] as const);
    const deptTable = [['01', 55], ['02', 20], ['03', 20], ['04', 5]] as const;
    const itemType: string[] = [''];
    const itemBarcode: string[] = [''];
    const titles = Math.max(1, Math.round(ITEMS * 0.6)); // several copies of popular titles
    for (let id = 1; id <= ITEMS; id++) {
      const type = weighted(typeTable);
      const barcode = `3${String(id).padStart(8, '0')}`;
      const bib = 1 + Math.floor(rand() * titles);
      item.run(
        id,
        barcode,
        `BIB${bib}`,
        `The ${pick(words)} of ${pick(words)} ${bib}`,
        `${pick(lastNames)}, ${pick(firstNames)}`,
        type,
        weighted(deptTable),
        `821.163.6 ${pick(lastNames).slice(0, 3).toUpperCase()}`,
        pick(['slv', 'eng', 'lav', 'hun']),
        500 + Math.floor(rand() * 4000),
        isoDate(daysFromNow(-Math.floor(rand() * 7000))),
      );
      itemType.push(type);
      itemBarcode.push(barcode);
    }

    const patron = db.prepare(
      `INSERT INTO patrons (id, barcode, first_name, last_name, category, pin_hash, email, home_department, language,
         membership_expires) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
    );
    const catTable = categories.map(([code, , w]) => [code, w] as const);
    const expires = isoDate(daysFromNow(3650));
    for (let id = 1; id <= PATRONS; id++) {
      const barcode = `01${String(id).padStart(6, '0')}`;
      patron.run(
        id,
        barcode,
        pick(firstNames),
        pick(lastNames),
        weighted(catTable),
        rand() < 0.6 ? `patron${id}@example.org` : null,
        weighted(deptTable),
        pick(['sl', 'en', 'lv', 'hu']),
        expires,
      );
      patrons.push(barcode);
    }

    // Loans: history (closed) and the items out now (open, not overdue, one per item).
    const loan = db.prepare(
      `INSERT INTO loans (item_id, patron_id, status, department, loaned_at, due_date, closed_at, close_reason)
       VALUES (?, ?, 'C', ?, ?, ?, ?, ?)`,
    );
    const journal = db.prepare(
      `INSERT INTO journal (at, recorded_at, code, kind, channel, department, patron_id, item_id)
       VALUES (?, ?, ?, ?, 'self', ?, ?, ?)`,
    );
    const itemDept = db.prepare('SELECT department FROM items WHERE id = ?').pluck();
    for (let n = 0; n < CLOSED_LOANS; n++) {
      const itemId = 1 + Math.floor(rand() * ITEMS);
      const patronId = 1 + Math.floor(rand() * PATRONS);
      const dept = itemDept.get(itemId) as string;
      const out = daysFromNow(-30 - Math.floor(rand() * 700));
      const back = new Date(out.getTime() + Math.floor(rand() * 25) * 86_400_000);
      loan.run(itemId, patronId, dept, out.toISOString(), isoDate(new Date(out.getTime() + 21 * 86_400_000)), back.toISOString(), 'returned');
      journal.run(out.toISOString(), out.toISOString(), 11, 'checkout', dept, patronId, itemId);
      journal.run(back.toISOString(), back.toISOString(), 17, 'checkin', dept, patronId, itemId);
    }
    const onLoan = new Set<number>();
    const perPatron = new Map<number, number>();
    while (onLoan.size < OPEN_LOANS) {
      const itemId = 1 + Math.floor(rand() * ITEMS);
      if (onLoan.has(itemId) || itemType[itemId] === 'reference') continue;
      const patronId = 1 + Math.floor(rand() * PATRONS);
      if ((perPatron.get(patronId) ?? 0) >= 4) continue; // well under every limit
      onLoan.add(itemId);
      perPatron.set(patronId, (perPatron.get(patronId) ?? 0) + 1);
      const dept = itemDept.get(itemId) as string;
      const out = daysFromNow(-Math.floor(rand() * 14));
      loan.run(itemId, patronId, dept, out.toISOString(), isoDate(daysFromNow(7 + Math.floor(rand() * 14))), null, null);
      journal.run(out.toISOString(), out.toISOString(), 11, 'checkout', dept, patronId, itemId);
    }
    const fee = db.prepare(
      `INSERT INTO fees (patron_id, item_id, kind, amount_minor, currency, department, created_at, description)
       VALUES (?, ?, 'overdue', ?, 'EUR', '01', ?, 'late return')`,
    );
    for (let n = 0; n < FEES; n++) {
      fee.run(1 + Math.floor(rand() * PATRONS), 1 + Math.floor(rand() * ITEMS), 20 + Math.floor(rand() * 300), daysFromNow(-Math.floor(rand() * 200)).toISOString());
    }
    for (let id = 1; id <= ITEMS; id++) {
      if (!onLoan.has(id) && itemType[id] !== 'reference') freeItems.push(itemBarcode[id]!);
    }
  })();
  db.pragma('optimize');
  for (const t of ['items', 'patrons', 'loans', 'journal', 'fees']) {
    counts[t] = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  }
  counts['open loans'] = (db.prepare('SELECT COUNT(*) AS n FROM loans WHERE closed_at IS NULL').get() as { n: number }).n;
  return { freeItems, patrons, counts, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

// ------------------------------------------------------------------ 2. the engine

interface EngineResult {
  seconds: number;
  cycles: number;
  checkouts: number;
  checkins: number;
  refused: Map<string, number>;
  checkout: Samples;
  checkin: Samples;
  /** Process CPU time (user + system) spent in the measured slices, microseconds. */
  cpuMicros: number;
}

const newEngineResult = (): EngineResult => ({
  seconds: 0,
  cycles: 0,
  checkouts: 0,
  checkins: 0,
  refused: new Map(),
  checkout: new Samples(),
  checkin: new Samples(),
  cpuMicros: 0,
});

class EngineBench {
  private readonly engine: EmbeddedBackend;
  private n = 0;
  constructor(
    db: Db,
    private readonly gen: Generated,
  ) {
    this.engine = new EmbeddedBackend({
      db,
      policy: loadPreset('cobiss'),
      clock: systemClock,
      site: { department: SITE_DEPARTMENT, timezone: TIMEZONE, language: 'en' },
    });
  }

  private key(suffix: string): { idempotencyKey?: string } {
    return USE_KEYS ? { idempotencyKey: `bench-${this.n}-${suffix}` } : {};
  }

  /**
   * Checkouts only, back to back, for `seconds` (each its own durable transaction), then the same
   * items checked in again untimed: the direct measure of "durable checkouts per second".
   */
  async burst(seconds: number, res: { seconds: number; count: number; latency: Samples }): Promise<void> {
    const out: string[] = [];
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(seconds * 1e9));
    let now = start;
    const taken = new Set<string>();
    while (now < end) {
      this.n++;
      const item = pick(this.gen.freeItems);
      if (taken.has(item)) continue;
      const t0 = process.hrtime.bigint();
      const r = await this.engine.checkout({ patron: pick(this.gen.patrons), item }, this.key('burst'));
      now = process.hrtime.bigint();
      if (!r.ok) continue;
      taken.add(item);
      out.push(item);
      res.latency.add(Number(now - t0));
      res.count++;
    }
    res.seconds += Number(now - start) / 1e9;
    for (const item of out) {
      this.n++;
      await this.engine.checkin({ item }, this.key('burst-in'));
    }
  }

  /** Checkout + checkin cycles for `seconds`, added to `res`. */
  async run(seconds: number, res: EngineResult): Promise<void> {
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(seconds * 1e9));
    let now = start;
    while (now < end) {
      this.n++;
      const item = pick(this.gen.freeItems);
      const patron = pick(this.gen.patrons);
      const t0 = process.hrtime.bigint();
      const out = await this.engine.checkout({ patron, item }, this.key('out'));
      const t1 = process.hrtime.bigint();
      res.checkout.add(Number(t1 - t0));
      now = t1;
      if (!out.ok) {
        res.refused.set(`checkout:${out.reason}`, (res.refused.get(`checkout:${out.reason}`) ?? 0) + 1);
        continue;
      }
      res.checkouts++;
      const back = await this.engine.checkin({ item }, this.key('in'));
      const t2 = process.hrtime.bigint();
      res.checkin.add(Number(t2 - t1));
      now = t2;
      if (!back.ok) {
        res.refused.set(`checkin:${back.reason}`, (res.refused.get(`checkin:${back.reason}`) ?? 0) + 1);
        continue;
      }
      res.checkins++;
      res.cycles++;
    }
    res.seconds += Number(now - start) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    res.cpuMicros += cpu.user + cpu.system;
  }
}

// ------------------------------------------------------------------ 3. bare inserts

interface LoopResult {
  seconds: number;
  count: number;
  latency: Samples;
}

class BareInsertBench {
  private readonly db: Database.Database;
  private readonly ins: Database.Statement;
  private readonly payload = 'x'.repeat(120);
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT NOT NULL, payload TEXT NOT NULL)');
    this.ins = this.db.prepare('INSERT INTO t (at, payload) VALUES (?, ?)');
  }
  run(seconds: number, res: LoopResult): void {
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(seconds * 1e9));
    let now = start;
    while (now < end) {
      const t0 = process.hrtime.bigint();
      this.ins.run(new Date().toISOString(), this.payload); // autocommit: one transaction, one WAL fsync
      now = process.hrtime.bigint();
      res.latency.add(Number(now - t0));
      res.count++;
    }
    res.seconds += Number(now - start) / 1e9;
  }
  close(): void {
    this.db.close();
  }
}

// ------------------------------------------------------------------ 4. fdatasync

class FdatasyncBench {
  private readonly fd: number;
  private readonly page = Buffer.alloc(4096, 0x5a);
  private readonly region = 1024; // a 4 MiB region overwritten in turn, like a WAL reused after checkpoints
  private i = 0;
  constructor(file: string) {
    this.fd = openSync(file, 'w+');
    for (let i = 0; i < this.region; i++) writeSync(this.fd, this.page, 0, this.page.length, i * this.page.length);
    fdatasyncSync(this.fd);
  }
  run(seconds: number, res: LoopResult): void {
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(seconds * 1e9));
    let now = start;
    while (now < end) {
      const t0 = process.hrtime.bigint();
      writeSync(this.fd, this.page, 0, this.page.length, (this.i++ % this.region) * this.page.length);
      fdatasyncSync(this.fd);
      now = process.hrtime.bigint();
      res.latency.add(Number(now - t0));
      res.count++;
    }
    res.seconds += Number(now - start) / 1e9;
  }
  close(): void {
    closeSync(this.fd);
  }
}

const newLoopResult = (): LoopResult => ({ seconds: 0, count: 0, latency: new Samples() });

// ------------------------------------------------------------------ main

/** A one-line progress note, on a terminal only. */
function progress(text: string): void {
  if (process.stdout.isTTY) process.stdout.write(`\r${text.padEnd(50)}${text ? '' : '\r'}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'kiosk-bench-'));
  try {
    console.log(`engine benchmark: ${ITEMS.toLocaleString('en-US')} items, ${PATRONS.toLocaleString('en-US')} patrons, ` +
      `${SECONDS} s per phase, idempotency keys ${USE_KEYS ? 'on' : 'off'}, seed ${SEED}, dir ${dir}`);
    const file = join(dir, 'kiosk.sqlite');
    const db = openStore({ file });
    const gen = generate(db);
    console.log(
      `store generated in ${(gen.ms / 1000).toFixed(2)} s: ` +
        Object.entries(gen.counts).map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`).join(', ') +
        `; ${(statSync(file).size / 1e6).toFixed(1)} MB; journal_mode=${db.pragma('journal_mode', { simple: true })}, ` +
        `synchronous=${db.pragma('synchronous', { simple: true })}`,
    );

    // The three loops take turns in ROUNDS slices, so a disk whose speed drifts (shared machines,
    // background writeback) weighs on all of them alike.
    const engineBench = new EngineBench(db, gen);
    const bareBench = new BareInsertBench(join(dir, 'bare.sqlite'));
    const syncBench = new FdatasyncBench(join(dir, 'fsync.bin'));
    await engineBench.run(0.5, newEngineResult()); // warm-up: statement cache, JIT
    bareBench.run(0.2, newLoopResult());
    const e = newEngineResult();
    const bare = newLoopResult();
    const sync = newLoopResult();
    const burst = newLoopResult();
    const slice = SECONDS / ROUNDS;
    for (let r = 0; r < ROUNDS; r++) {
      progress(`round ${r + 1}/${ROUNDS}: engine … `);
      await engineBench.run(slice, e);
      progress(`round ${r + 1}/${ROUNDS}: checkouts … `);
      await engineBench.burst(slice, burst);
      progress(`round ${r + 1}/${ROUNDS}: bare inserts … `);
      bareBench.run(slice, bare);
      progress(`round ${r + 1}/${ROUNDS}: fdatasync …    `);
      syncBench.run(slice, sync);
    }
    // Diagnostic only: the same engine cycles with synchronous=OFF (not durable) show its CPU cost.
    progress('diagnostic: engine with synchronous=OFF … ');
    const nd = newEngineResult();
    db.pragma('synchronous = OFF');
    await engineBench.run(Math.min(3, SECONDS / 2), nd);
    db.pragma('synchronous = FULL');
    progress('');
    bareBench.close();
    syncBench.close();
    db.close();

    const cyclesPerS = e.cycles / e.seconds;
    const checkoutsPerS = e.checkouts / e.seconds;
    const transactionsPerS = (e.checkout.n + e.checkin.n) / e.seconds;
    const checkoutCapacity = 1e9 / e.checkout.mean();
    const barePerS = bare.count / bare.seconds;
    const syncPerS = sync.count / sync.seconds;
    const cpuPerTxn = e.cpuMicros / (e.checkout.n + e.checkin.n);
    const ndCpuPerTxn = nd.cpuMicros / (nd.checkout.n + nd.checkin.n);
    const burstPerS = burst.count / burst.seconds;
    const ratio = barePerS / burstPerS;

    console.log(
      table([
        ['measure', 'rate /s', 'p50', 'p99', 'mean'],
        ['engine cycles (checkout + checkin)', rate(cyclesPerS), '', '', ''],
        ['  durable checkouts', rate(checkoutsPerS), ms(e.checkout.quantile(0.5)), ms(e.checkout.quantile(0.99)), ms(e.checkout.mean())],
        ['  durable checkins', rate(e.checkins / e.seconds), ms(e.checkin.quantile(0.5)), ms(e.checkin.quantile(0.99)), ms(e.checkin.mean())],
        ['  engine transactions (both)', rate(transactionsPerS), '', '', ''],
        ['  checkout capacity (1 / mean checkout)', rate(checkoutCapacity), '', '', ''],
        ['durable checkouts, back to back', rate(burstPerS), ms(burst.latency.quantile(0.5)), ms(burst.latency.quantile(0.99)), ms(burst.latency.mean())],
        ['bare durable inserts (1 per txn)', rate(barePerS), ms(bare.latency.quantile(0.5)), ms(bare.latency.quantile(0.99)), ms(bare.latency.mean())],
        ['raw write 4 KiB + fdatasync', rate(syncPerS), ms(sync.latency.quantile(0.5)), ms(sync.latency.quantile(0.99)), ms(sync.latency.mean())],
        ['diagnostic, synchronous=OFF (not durable):', '', '', '', ''],
        ['  engine checkouts', rate(nd.checkouts / nd.seconds), ms(nd.checkout.quantile(0.5)), ms(nd.checkout.quantile(0.99)), ms(nd.checkout.mean())],
        ['  engine checkins', rate(nd.checkins / nd.seconds), ms(nd.checkin.quantile(0.5)), ms(nd.checkin.quantile(0.99)), ms(nd.checkin.mean())],
      ]),
    );
    const refused = [...e.refused.entries()].map(([k, v]) => `${k} ×${v}`).join(', ');
    console.log(
      `\n${e.cycles.toLocaleString('en-US')} cycles in ${e.seconds.toFixed(2)} s` + (refused ? `; refused: ${refused}` : '; nothing refused'),
    );
    console.log(`ratio bare inserts / durable checkouts (back to back): ${ratio.toFixed(2)}×`);
    console.log(`ratio bare inserts / engine transactions in cycles: ${(barePerS / transactionsPerS).toFixed(2)}×`);
    console.log(
      `engine CPU per transaction: ${cpuPerTxn.toFixed(0)} µs durable, ${ndCpuPerTxn.toFixed(0)} µs with synchronous=OFF ` +
        `(CPU ceiling ≈ ${rate(1e6 / ndCpuPerTxn / 2)} cycles/s on one core)\n`,
    );

    // "Durable checkouts per second" is measured directly: checkouts back to back, each one its own
    // fsynced transaction. The cycle rate (a checkout and a checkin each) is printed above too.
    const pass1 = burstPerS >= TARGET_CHECKOUTS_PER_S;
    const pass2 = ratio <= TARGET_RATIO;
    console.log(
      `${pass1 ? 'PASS' : 'FAIL'}  durable checkouts/s ≥ ${TARGET_CHECKOUTS_PER_S.toLocaleString('en-US')}: ${rate(burstPerS)} ` +
        `(cycles of checkout + checkin: ${rate(cyclesPerS)}/s)`,
    );
    console.log(`${pass2 ? 'PASS' : 'FAIL'}  within ${TARGET_RATIO}× the bare-insert rate: ${ratio.toFixed(2)}×`);
    console.log(`verdict: ${pass1 && pass2 ? 'PASS' : 'FAIL'} (physical limit of this disk: ~${rate(syncPerS)} fdatasync/s)`);
  } finally {
    if (process.env.BENCH_KEEP === '1') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();

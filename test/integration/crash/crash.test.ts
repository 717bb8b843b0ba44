/**
 * Crash test: a worker process runs a deterministic stream of checkouts and checkins against a
 * real SQLite store and is killed with SIGKILL at random moments, 20 times. After every kill the
 * store is reopened (WAL recovery, as a restarted daemon would) and checked:
 *
 *  - PRAGMA integrity_check is ok and no foreign key is dangling;
 *  - the idempotency keys are exactly op-0..op-M, M being the last reported operation or the one
 *    after it (committed, not yet reported), each under the right operation name;
 *  - every stored outcome, and every outcome reported on stdout, is what an independent model of
 *    the loans says the operation must return; a report repeated across a restart is identical,
 *    and a success that was already committed comes back marked `replayed`;
 *  - the journal holds exactly one row per successful operation, in order (so a reported success
 *    is in it, and nothing was applied twice); the loans table has one row per successful
 *    checkout, one closed per successful checkin, at most one open loan per item, and the open
 *    loans are those of the model.
 *
 * The worker is restarted at the last reported operation (the next index minus one), so both the
 * last reported request and the possibly committed-but-unreported one after it are retried with
 * their original idempotency keys.
 *
 * What SIGKILL tests is that nothing is reported before it is committed and that a retry is never
 * applied twice. It cannot test the fsync itself (a killed process loses nothing the kernel already
 * has); the worker's `ready` line lets us at least assert WAL with synchronous=FULL.
 *
 * CRASH_SEED picks another stream; CRASH_FAULT (see the worker) checks that this test can fail.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ManualClock } from '../../../daemon/clock.ts';
import { repoRoot } from '../../../daemon/config.ts';
import { integrityCheck, openStore } from '../../../daemon/store/db.ts';
import { importData } from '../../../daemon/store/import.ts';
import { CLOCK_START, LoanModel, TIMEZONE, fixtureData, idempotencyKey, mulberry32, opAt, type Expected, type Op } from './ops.ts';

const KILLS = 20;
const SEED = Number(process.env.CRASH_SEED ?? 20260302);
const WORKER = join(repoRoot, 'test', 'fixtures', 'crash-worker.ts');
/** A worker that has not said `ready` by then is stuck. */
const READY_TIMEOUT_MS = 15_000;

interface Report {
  index: number;
  op: string;
  item: string;
  outcome: Expected;
  replayed: boolean;
}

interface RunResult {
  start: number;
  ready: { journalMode: string; synchronous: string } | null;
  reports: Report[];
  killedAfterMs: number;
  selfExit: number | null;
  stderr: string;
}

function parseReport(line: string): Report {
  const m = /^done (\d+) (checkout|checkin) (\S+) (ok|refused:\S+)( replayed)?$/.exec(line);
  if (!m) throw new Error(`unexpected worker line: ${JSON.stringify(line)}`);
  return { index: Number(m[1]), op: m[2]!, item: m[3]!, outcome: m[4] as Expected, replayed: !!m[5] };
}

/** Spawns the worker at `start`, lets it run `runMs` after it is ready, then SIGKILLs it. */
function runWorker(file: string, start: number, runMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, file, String(SEED), String(start)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    });
    const result: RunResult = { start, ready: null, reports: [], killedAfterMs: 0, selfExit: null, stderr: '' };
    let pending = '';
    let killed = false;
    let readyAt = 0n;
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => {
      if (!result.ready) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, READY_TIMEOUT_MS);
    const onLine = (line: string) => {
      if (line.startsWith('ready ')) {
        const [, , journalMode = '', synchronous = ''] = line.split(' ');
        result.ready = { journalMode, synchronous };
        readyAt = process.hrtime.bigint();
        timer = setTimeout(() => {
          killed = true;
          result.killedAfterMs = Number(process.hrtime.bigint() - readyAt) / 1e6;
          child.kill('SIGKILL');
        }, runMs);
        return;
      }
      result.reports.push(parseReport(line));
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          onLine(line);
        } catch (e) {
          killed = true;
          child.kill('SIGKILL');
          reject(e as Error);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      result.stderr += chunk;
    });
    child.on('error', reject);
    // 'close' comes after stdout is drained: every line the worker wrote before dying is in.
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (pending) result.stderr += `\n(partial stdout line: ${JSON.stringify(pending)})`;
      if (!killed || signal !== 'SIGKILL') result.selfExit = code ?? -1;
      resolve(result);
    });
  });
}

interface StoreState {
  /** Highest op-<n> committed (-1: none). */
  committed: number;
  /** Outcome stored under each key, by index. */
  stored: Map<number, Expected>;
}

/** Reopens the store after a kill and checks it against the model; returns what is committed. */
function verifyStore(file: string): StoreState {
  const db = openStore({ file });
  try {
    expect(integrityCheck(db)).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);

    // Idempotency keys: a contiguous prefix op-0..op-M, each under its own operation.
    const rows = db.prepare('SELECT key, operation, result FROM idempotency').all() as Array<{
      key: string;
      operation: string;
      result: string;
    }>;
    const stored = new Map<number, Expected>();
    const storedResult = new Map<number, { ok: boolean; reason?: string; item?: string; patron?: string | null }>();
    for (const r of rows) {
      const m = /^op-(\d+)$/.exec(r.key);
      expect(m, `foreign idempotency key ${r.key}`).not.toBeNull();
      const index = Number(m![1]);
      expect(stored.has(index), `key ${r.key} twice`).toBe(false);
      const op = opAt(SEED, index);
      expect(r.operation, `operation of ${r.key}`).toBe(op.kind);
      const res = JSON.parse(r.result) as { ok: boolean; reason?: string; item?: string; patron?: string | null };
      stored.set(index, res.ok ? 'ok' : `refused:${res.reason}`);
      storedResult.set(index, res);
    }
    const committed = rows.length - 1;
    for (let i = 0; i <= committed; i++) expect(stored.has(i), `gap in the idempotency keys at ${idempotencyKey(i)}`).toBe(true);

    // Replay the committed prefix through the model: every stored outcome must be the expected one.
    const model = new LoanModel();
    let checkoutsOk = 0;
    let checkinsOk = 0;
    for (let i = 0; i <= committed; i++) {
      const op = opAt(SEED, i);
      const expected = model.apply(op);
      expect(stored.get(i), `stored outcome of ${describeOp(op)}`).toBe(expected);
      if (expected === 'ok') {
        const res = storedResult.get(i)!;
        expect(res.item, `stored item of ${describeOp(op)}`).toBe(op.item);
        if (op.kind === 'checkout') {
          expect(res.patron, `stored patron of ${describeOp(op)}`).toBe(op.patron);
          checkoutsOk++;
        } else checkinsOk++;
      }
    }

    // The journal: exactly one row per successful operation, in order.
    const journal = (
      db
        .prepare(
          `SELECT j.kind, i.barcode AS item, p.barcode AS patron FROM journal j
             LEFT JOIN items i ON i.id = j.item_id LEFT JOIN patrons p ON p.id = j.patron_id ORDER BY j.id`,
        )
        .all() as Array<{ kind: string; item: string | null; patron: string | null }>
    ).map((r) => `${r.kind} ${r.item} ${r.patron}`);
    expect(journal).toEqual(model.journal);
    const kinds = Object.fromEntries(
      (db.prepare('SELECT kind, COUNT(*) AS n FROM journal GROUP BY kind').all() as Array<{ kind: string; n: number }>).map((r) => [r.kind, r.n]),
    );
    const okKeys = db
      .prepare(`SELECT operation, COUNT(*) AS n FROM idempotency WHERE json_extract(result, '$.ok') = 1 GROUP BY operation`)
      .all() as Array<{ operation: string; n: number }>;
    const okByOp = Object.fromEntries(okKeys.map((r) => [r.operation, r.n]));
    expect(kinds.checkout ?? 0).toBe(okByOp.checkout ?? 0);
    expect(kinds.checkin ?? 0).toBe(okByOp.checkin ?? 0);

    // Loans: one row per successful checkout, closed by a successful checkin; one open per item.
    const loans = db
      .prepare(
        `SELECT COUNT(*) AS total, COUNT(closed_at) AS closed, SUM(close_reason = 'returned') AS returned FROM loans`,
      )
      .get() as { total: number; closed: number; returned: number | null };
    expect(loans.total).toBe(checkoutsOk);
    expect(loans.closed).toBe(checkinsOk);
    expect(loans.returned ?? 0).toBe(checkinsOk);
    expect(db.prepare('SELECT item_id, COUNT(*) AS n FROM loans WHERE closed_at IS NULL GROUP BY item_id HAVING n > 1').all()).toEqual([]);
    const open = db
      .prepare(
        `SELECT i.barcode AS item, p.barcode AS patron, l.status FROM loans l JOIN items i ON i.id = l.item_id
           JOIN patrons p ON p.id = l.patron_id WHERE l.closed_at IS NULL ORDER BY i.barcode`,
      )
      .all() as Array<{ item: string; patron: string; status: string }>;
    expect(open.map((l) => `${l.item} ${l.patron} ${l.status}`)).toEqual(
      [...model.onLoan.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([item, patron]) => `${item} ${patron} C`),
    );
    return { committed, stored };
  } finally {
    db.close();
  }
}

function describeOp(op: Op): string {
  return `${idempotencyKey(op.index)} (${op.kind} ${op.item}${op.patron ? ` by ${op.patron}` : ''})`;
}

describe('crash safety of the embedded engine (SIGKILL at random moments)', () => {
  let dir = '';
  let file = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiosk-crash-'));
    file = join(dir, 'kiosk.sqlite');
    const db = openStore({ file });
    try {
      const r = importData(db, stringify(fixtureData()), 'crash-fixture.yaml', {
        clock: new ManualClock(CLOCK_START),
        timezone: TIMEZONE,
        currency: 'EUR',
      });
      if (!r.ok) throw new Error(`fixture import failed:\n${r.problems.join('\n')}`);
    } finally {
      db.close();
    }
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps every reported result and applies nothing twice across ${KILLS} kills (seed ${SEED})`, async () => {
    const rand = mulberry32(SEED ^ 0x5eed);
    /** Every outcome ever reported, by index (the first report). */
    const reported = new Map<number, Report>();
    let lastReported = -1;
    let committed = -1;
    let runsWithProgress = 0;
    let unreportedCommits = 0;
    let replays = 0;
    const log: string[] = [];

    for (let k = 0; k < KILLS; k++) {
      const start = Math.max(0, lastReported); // the next index after the last reported, minus one
      const runMs = 30 + Math.floor(rand() * 271);
      const run = await runWorker(file, start, runMs);
      expect(run.selfExit, `worker ended by itself (code ${run.selfExit}):\n${run.stderr}`).toBeNull();
      expect(run.ready, `worker never became ready:\n${run.stderr}`).not.toBeNull();
      expect(run.ready!.journalMode).toBe('wal');
      // NORMAL: each commit's WAL frames are fdatasynced by durable() (group commit) before the
      // engine's promise resolves, i.e. before the worker reports the result.
      expect(run.ready!.synchronous).toBe('1');

      // The reports of this run: consecutive from `start`, each consistent with earlier reports.
      let fresh = 0;
      run.reports.forEach((r, n) => {
        expect(r.index, `report ${n} of run ${k}`).toBe(start + n);
        const op = opAt(SEED, r.index);
        expect(`${r.op} ${r.item}`).toBe(`${op.kind} ${op.item}`);
        const earlier = reported.get(r.index);
        if (earlier) expect(r.outcome, `outcome of ${describeOp(op)} changed on retry`).toBe(earlier.outcome);
        else reported.set(r.index, r);
        // A request committed before this run started is answered from the idempotency table.
        const wasCommitted = r.index <= committed;
        if (r.outcome === 'ok') {
          expect(r.replayed, `${describeOp(op)}: replayed flag (committed before the restart: ${wasCommitted})`).toBe(wasCommitted);
          if (r.replayed) replays++;
        }
        if (!wasCommitted) fresh++;
      });
      if (fresh > 0) runsWithProgress++;
      if (run.reports.length) lastReported = run.reports.at(-1)!.index;

      const state = verifyStore(file);
      // Committed: everything reported, and at most the one request after it (done, not yet said).
      expect(state.committed, `committed prefix after run ${k}`).toBeGreaterThanOrEqual(lastReported);
      expect(state.committed, `committed prefix after run ${k}`).toBeLessThanOrEqual(lastReported + 1);
      if (state.committed === lastReported + 1) unreportedCommits++;
      // Every reported outcome is the stored one.
      for (const [index, r] of reported) {
        expect(state.stored.get(index), `reported ${describeOp(opAt(SEED, index))} → ${r.outcome} is not in the store`).toBe(r.outcome);
      }
      committed = state.committed;
      log.push(`run ${k}: start ${start}, ${runMs} ms, ${run.reports.length} reports (${fresh} new), committed through ${committed}`);
    }

    console.log(
      `crash test seed ${SEED}: ${KILLS} kills, ${reported.size} operations reported, committed through op-${committed}, ` +
        `${runsWithProgress} runs made progress, ${replays} successes replayed, ${unreportedCommits} kills between commit and report\n  ` +
        log.join('\n  '),
    );
    // The kills landed mid-stream and the stream moved on across restarts.
    expect(runsWithProgress).toBeGreaterThanOrEqual(KILLS / 2);
    expect(lastReported).toBeGreaterThan(KILLS);
    expect(replays).toBeGreaterThan(0);
  }, 110_000);
});

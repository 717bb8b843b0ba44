/**
 * Group commit (daemon/store/db.ts): commits made together share one fdatasync of the -wal file,
 * a commit made while a flush runs waits for the next one, and what durable() acknowledged is in
 * the file when another process opens it.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { durable, durableStats, openStore, releaseDurable, syncOnThisThread } from '../../../daemon/store/db.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempStore() {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-durable-'));
  dirs.push(dir);
  const file = join(dir, 'kiosk.sqlite');
  const db = openStore({ file });
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  return { db, file };
}

function rowsSeenByAnotherConnection(file: string): number {
  const other = new Database(file, { readonly: true });
  try {
    return (other.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
  } finally {
    other.close();
  }
}

/** 'a' committed, a TRUNCATE checkpoint (it empties the -wal file in place), 'b' committed: durable() syncs both. */
async function commitsAroundTruncatingCheckpoint(db: ReturnType<typeof openStore>): Promise<void> {
  db.prepare('INSERT INTO t (v) VALUES (?)').run('a');
  await durable(db);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.prepare('INSERT INTO t (v) VALUES (?)').run('b');
  await durable(db);
  expect(durableStats(db).syncs).toBe(2);
}

describe('durable(): group commit on the WAL', () => {
  it('runs the store in WAL with synchronous=NORMAL (durability comes from durable())', () => {
    const { db } = tempStore();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    db.close();
  });

  it('50 commits made together are served by far fewer fdatasyncs, and all are acknowledged', async () => {
    const { db, file } = tempStore();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const acks: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      insert.run(`row ${i}`);
      acks.push(durable(db));
    }
    await Promise.all(acks);
    const stats = durableStats(db);
    expect(stats.requests).toBe(50);
    expect(stats.syncs).toBeGreaterThanOrEqual(1);
    expect(stats.syncs).toBeLessThanOrEqual(2);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    // Another connection (another process would see the same) reads every acknowledged row.
    expect(rowsSeenByAnotherConnection(file)).toBe(50);
    await releaseDurable(db);
    db.close();
  });

  it('a commit made while a flush is running waits for a flush that starts after it', async () => {
    const { db } = tempStore();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    insert.run('first');
    const first = durable(db);
    insert.run('second'); // its frames may be written after the running flush began
    const second = durable(db);
    expect(second).not.toBe(first);
    const third = durable(db); // joins the pending flush instead of queueing a third
    expect(third).toBe(second);
    await Promise.all([first, second, third]);
    expect(durableStats(db).syncs).toBe(2);
    await releaseDurable(db);
    db.close();
  });

  it('resolves at once for an in-memory store, and keeps working after the -wal file is recreated', async () => {
    const mem = openStore({ file: ':memory:' });
    await durable(mem);
    expect(durableStats(mem).syncs).toBe(0);
    mem.close();

    const { db, file } = tempStore();
    await commitsAroundTruncatingCheckpoint(db);
    await releaseDurable(db);
    db.close();
    const reopened = openStore({ file });
    expect((reopened.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(2);
    reopened.close();
  });
});

describe('durable() flushed on the calling thread (syncOnThisThread, the engine thread)', () => {
  it('the commits of one turn of the event loop share one fdatasync at its end; nothing resolves before it', async () => {
    const { db, file } = tempStore();
    syncOnThisThread(db);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const acked: number[] = [];
    const acks: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      insert.run(`row ${i}`);
      acks.push(durable(db).then(() => void acked.push(i)));
    }
    // Still in the same turn, and after the microtasks of this one: no flush yet, nobody told.
    await Promise.resolve();
    expect(acked).toEqual([]);
    expect(durableStats(db)).toEqual({ requests: 20, syncs: 0 });
    await Promise.all(acks);
    expect(acked).toHaveLength(20);
    expect(durableStats(db)).toEqual({ requests: 20, syncs: 1 });
    // A commit in a later turn gets a flush of its own.
    insert.run('later');
    await durable(db);
    expect(durableStats(db)).toEqual({ requests: 21, syncs: 2 });
    expect(rowsSeenByAnotherConnection(file)).toBe(21);
    await releaseDurable(db);
    db.close();
  });

  it('a turn with no commit waiting does not flush; the -wal file truncated by a checkpoint is synced again; close flushes what waits', async () => {
    const { db, file } = tempStore();
    syncOnThisThread(db);
    await new Promise((r) => setImmediate(r));
    expect(durableStats(db).syncs).toBe(0);
    await commitsAroundTruncatingCheckpoint(db);
    // Closing with a commit still waiting for its flush: the flush runs before the file is let go.
    db.prepare('INSERT INTO t (v) VALUES (?)').run('c');
    const last = durable(db);
    await releaseDurable(db);
    await last;
    db.close();
    const reopened = openStore({ file });
    expect((reopened.prepare('SELECT v FROM t ORDER BY id').all() as { v: string }[]).map((r) => r.v)).toEqual(['a', 'b', 'c']);
    reopened.close();
  });
});

describe('BackgroundCheckpointer: WAL checkpoints in a worker thread', () => {
  it('copies committed pages back into the database file while the main connection never checkpoints', async () => {
    const { BackgroundCheckpointer } = await import('../../../daemon/store/checkpointer.ts');
    const { db, file } = tempStore();
    const cp = BackgroundCheckpointer.start(db, { intervalMs: 20 })!;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const sizeBefore = statSync(file).size;
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(`a longer row to fill pages ${i} ${'x'.repeat(100)}`);
    })();
    await durable(db);
    // The worker's PASSIVE checkpoint grows the database file with the new pages.
    // (The worker's report of the checkpoint may arrive a moment after the file has grown.)
    for (let waited = 0; (statSync(file).size <= sizeBefore + 500_000 || cp.checkpoints === 0) && waited < 5000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(statSync(file).size).toBeGreaterThan(sizeBefore + 500_000);
    expect(cp.checkpoints).toBeGreaterThan(0);
    await cp.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await releaseDurable(db);
    db.close();
  });
});

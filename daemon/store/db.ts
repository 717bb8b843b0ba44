/**
 * The SQLite store. better-sqlite3 is synchronous, so a circulation change is one `transaction()`
 * that either commits whole or not at all.
 *
 * Durability by group commit: WAL with synchronous=NORMAL, so a COMMIT writes its frames to the
 * -wal file without waiting for the disk, and then `durable(db)` fdatasyncs the -wal file on the
 * libuv thread pool before the caller answers. Every commit made while one fdatasync runs shares the
 * next one, so 50 SIP2 clients committing together cost one disk flush instead of fifty, and the
 * event loop never waits for the disk. What a patron is told succeeded is on disk, as with FULL.
 * (SQLite's WAL with NORMAL never corrupts on power loss; it may only lose commits not yet synced,
 * and those were not yet acknowledged.) Checkpoints still sync the WAL before copying it back.
 * A thread that does nothing but transactions (the SIP2 bridge's engine thread) instead flushes on
 * itself, once at the end of each turn of its event loop (syncOnThisThread).
 */
import Database from 'better-sqlite3';
import { closeSync, fdatasyncSync, mkdirSync, openSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { migrations, type Migration } from './migrations.ts';

export type Db = Database.Database;

/**
 * How long a connection waits for another's write lock before its statement fails with SQLITE_BUSY.
 * The only wait in an embedded transaction, so it bounds how long the engine takes to answer.
 */
export const STORE_BUSY_TIMEOUT_MS = 5000;

/** Page cache per connection, in KiB. */
export const STORE_CACHE_KIB = 32 * 1024;

export interface OpenOptions {
  /** Path of the database file; ':memory:' for throwaway stores. */
  file: string;
  readonly?: boolean;
}

export function openStore({ file, readonly = false }: OpenOptions): Db {
  if (file !== ':memory:' && !readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly, fileMustExist: readonly });
  db.pragma(`busy_timeout = ${STORE_BUSY_TIMEOUT_MS}`);
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    // NORMAL for a file store: durability comes from durable() (see above). :memory: has no disk.
    db.pragma(file === ':memory:' ? 'synchronous = OFF' : 'synchronous = NORMAL');
  }
  // SQLite's page cache: 32 MiB instead of the default 2 MiB, so the indexes and rows a SIP2 bridge
  // or kiosk looks up stay in memory instead of being read back through a system call each time.
  // It fills only as pages are used; a small library's store never reaches it.
  if (file !== ':memory:') db.pragma(`cache_size = -${STORE_CACHE_KIB}`);
  db.pragma('foreign_keys = ON');
  if (!readonly) migrate(db);
  return db;
}

/**
 * Group commit of one flush operation: one flush runs at a time; callers that arrive while it runs
 * share the next one, which starts when it ends. A caller never rides on a flush that started
 * before it called, since what it wrote may not be covered by that flush.
 */
export class GroupFlush {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  /** Calls of request(), and flushes started to serve them. */
  requests = 0;
  flushes = 0;

  constructor(private readonly flushOnce: () => Promise<void>) {}

  /** Resolves once a flush that started after this call has finished. */
  request(): Promise<void> {
    this.requests++;
    if (!this.running) return this.start();
    this.next ??= this.running.then(
      () => {
        this.next = null;
        return this.running ?? this.start();
      },
      () => {
        this.next = null;
        return this.start();
      },
    );
    return this.next;
  }

  /** Waits for the flushes under way (their errors are their callers'). */
  async settle(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.next?.catch(() => undefined);
  }

  private start(): Promise<void> {
    this.flushes++;
    const run = this.flushOnce().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}

interface WalSync {
  walPath: string;
  handle: FileHandle | null;
  group: GroupFlush;
  /** On-thread mode (syncOnThisThread): see there. */
  inline: InlineSync | null;
}

interface InlineSync {
  fd: number | null;
  /** Callers of durable() waiting for the flush at the end of this turn. */
  waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }>;
  scheduled: boolean;
}

const walSyncs = new WeakMap<Db, WalSync>();

function walSyncOf(db: Db): WalSync {
  let s = walSyncs.get(db);
  if (!s) {
    const state: WalSync = { walPath: `${db.name}-wal`, handle: null, group: new GroupFlush(() => syncWal(state)), inline: null };
    walSyncs.set(db, (s = state));
  }
  return s;
}

/**
 * Resolves when every transaction this connection has committed so far is on disk. Call it after a
 * write and before telling anyone it succeeded. Concurrent callers share one fdatasync.
 */
export function durable(db: Db): Promise<void> {
  if (db.memory || db.readonly || !db.open) return Promise.resolve();
  const s = walSyncOf(db);
  const inline = s.inline;
  if (!inline) return s.group.request();
  s.group.requests++;
  return new Promise<void>((resolve, reject) => {
    inline.waiting.push({ resolve, reject });
    schedule(s, inline);
  });
}

/**
 * For a thread that does nothing but this connection's transactions (the SIP2 bridge's engine
 * thread): durable(db) then waits for one fdatasync run on this thread when the turn of its event
 * loop ends, after every message that had arrived has been handled. No hand-off to the thread pool
 * and back for each flush; every commit of the turn shares it.
 */
export function syncOnThisThread(db: Db): void {
  if (db.memory || db.readonly) return;
  walSyncOf(db).inline ??= { fd: null, waiting: [], scheduled: false };
}

function schedule(s: WalSync, inline: InlineSync): void {
  if (inline.scheduled) return;
  inline.scheduled = true;
  setImmediate(flushInline, s);
}

function flushInline(s: WalSync): void {
  const inline = s.inline!;
  inline.scheduled = false;
  let error: unknown = null;
  const waiting = inline.waiting;
  inline.waiting = [];
  if (waiting.length) {
    s.group.flushes++;
    error = fdatasyncWal(s, inline);
  }
  for (const w of waiting) {
    if (error) w.reject(error);
    else w.resolve();
  }
}

function fdatasyncWal(s: WalSync, inline: InlineSync): unknown {
  for (let attempt = 0; ; attempt++) {
    try {
      inline.fd ??= openSync(s.walPath, 'r');
      fdatasyncSync(inline.fd);
      return null;
    } catch (e) {
      // As syncWal: the -wal file may have been removed and recreated; missing means nothing pending.
      if (inline.fd !== null) {
        try {
          closeSync(inline.fd);
        } catch {
          // already closed
        }
      }
      inline.fd = null;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if (attempt >= 1) return e;
    }
  }
}

async function syncWal(state: WalSync): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      state.handle ??= await openFile(state.walPath, 'r');
      await state.handle.datasync();
      return;
    } catch (e) {
      // The -wal file is removed when the last connection closes and recreated on the next
      // write: reopen once by path. A missing file means nothing is pending in it.
      const h = state.handle;
      state.handle = null;
      await h?.close().catch(() => undefined);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      if (attempt >= 1) throw e;
    }
  }
}

/** How many durable() calls this connection has had, and how many fdatasyncs served them. */
export function durableStats(db: Db): { requests: number; syncs: number } {
  const s = walSyncs.get(db);
  return { requests: s?.group.requests ?? 0, syncs: s?.group.flushes ?? 0 };
}

/** Closes the -wal file handle kept by durable(); call before closing the database. */
export async function releaseDurable(db: Db): Promise<void> {
  const s = walSyncs.get(db);
  if (!s) return;
  walSyncs.delete(db);
  await s.group.settle();
  await s.handle?.close().catch(() => undefined);
  if (s.inline) {
    if (s.inline.waiting.length) flushInline(s);
    if (s.inline.fd !== null) closeSync(s.inline.fd);
  }
}

export function migrate(db: Db, list: Migration[] = migrations): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const ran: number[] = [];
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
    ran.push(m.version);
  }
  return ran;
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

export function integrityCheck(db: Db): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).join('; ');
}

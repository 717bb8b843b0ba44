/**
 * WAL checkpoints off the event loop. By default SQLite checkpoints inside the COMMIT that pushes
 * the WAL past 1,000 pages, on the committing thread: a write of the changed pages back into the
 * database file and two fsyncs, several milliseconds during which no SIP2 client or kiosk is
 * answered. The daemon turns that off on its connection and runs PASSIVE checkpoints from a worker
 * thread with its own connection instead (checkpoint.worker.mjs).
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Db } from './db.ts';

export interface CheckpointerOptions {
  /** How often the worker checkpoints (ms). */
  intervalMs?: number;
  logger?: Logger;
  /** Called if the worker dies: other connections that turned their autocheckpoint off turn it on again. */
  onFailure?: () => void;
}

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | null = null;
  checkpoints = 0;
  lastWalPages = 0;

  private constructor(
    private readonly db: Db,
    opts: CheckpointerOptions,
  ) {
    const log = opts.logger;
    this.worker = new Worker(new URL('./checkpoint.worker.mjs', import.meta.url), {
      workerData: { file: db.name, intervalMs: opts.intervalMs ?? 250 },
    });
    this.worker.on('message', (m: { type: string; checkpoints?: number; walPages?: number; message?: string }) => {
      if (m.type === 'checkpointed') {
        this.checkpoints = m.checkpoints ?? this.checkpoints;
        this.lastWalPages = m.walPages ?? 0;
      } else if (m.type === 'error') {
        log?.warn({ error: m.message }, 'background checkpoint failed; it is retried');
      }
    });
    this.worker.on('error', (e) => {
      // The worker is gone: fall back to SQLite's own checkpoints on the main connection.
      log?.error({ err: e }, 'background checkpointer stopped; checkpoints run in the commits again');
      if (db.open) db.pragma('wal_autocheckpoint = 1000');
      opts.onFailure?.();
    });
    this.worker.unref();
  }

  /** Starts checkpointing `db` (a WAL file store) in the background; null for an in-memory store. */
  static start(db: Db, opts: CheckpointerOptions = {}): BackgroundCheckpointer | null {
    if (db.memory || db.readonly) return null;
    db.pragma('wal_autocheckpoint = 0');
    return new BackgroundCheckpointer(db, opts);
  }

  /** A last checkpoint, then the worker ends. Call before closing the main connection. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const done = () => resolve();
      this.worker.once('exit', done);
      this.worker.on('message', (m: { type: string; checkpoints?: number }) => {
        if (m.type === 'stopped') this.checkpoints = m.checkpoints ?? this.checkpoints;
      });
      // Held open while stopping: an unref'd worker would let the process exit mid-stop.
      this.worker.ref();
      this.worker.postMessage({ type: 'stop' });
      // A worker that does not end within 5 s is ended: the last connection's close checkpoints anyway.
      const timer = setTimeout(() => void this.worker.terminate().then(done, done), 5000);
      this.worker.once('exit', () => clearTimeout(timer));
    }).finally(() => {
      if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
    });
    return this.stopped;
  }
}

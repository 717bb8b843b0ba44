/**
 * The circulation engine in a worker thread (the other half of engine-thread.ts): its own SQLite
 * connection to the store file, its own EmbeddedBackend, answering the calls the main thread posts.
 *
 * Time: the engine asks its Clock for "now"; here that is the main thread's clock as read when the
 * call was made (sent with every call), so a fixed or moved test clock and `--clock` act on both
 * threads alike, and a call queued behind others keeps the time it arrived.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Clock } from '../clock.ts';
import { createLogger } from '../log.ts';
import { durableStats, openStore, releaseDurable, syncOnThisThread, type Db } from '../store/db.ts';
import { EmbeddedBackend, type SiteInfo } from './embedded.ts';
import type { Policy } from '../../config/schema.ts';
import { ENGINE_THREAD_METHODS, type EngineBatch, type EngineCall, type EngineInit, type EngineReply } from './engine-thread-protocol.ts';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts runs only as a worker thread (see engine-thread.ts)');
const init = workerData as EngineInit;

let now = Date.now();
const clock: Clock = { now: () => new Date(now) };
const allowed = new Set<string>(ENGINE_THREAD_METHODS);

let db: Db | null = null;
let engine: EmbeddedBackend | null = null;
try {
  db = openStore({ file: init.file });
  // The background checkpointer (daemon/store/checkpointer.ts) copies the WAL back, not our commits.
  db.pragma(`wal_autocheckpoint = ${init.walAutocheckpoint}`);
  // This thread does nothing else: it flushes the WAL itself, once per turn of its event loop (db.ts).
  syncOnThisThread(db);
  // Log records go to the main thread's logger (one destination, same redaction there and here).
  const logger = createLogger({
    level: init.logLevel,
    destination: { write: (line: string) => port.postMessage({ type: 'log', line }) } as unknown as NodeJS.WritableStream,
  });
  engine = new EmbeddedBackend({ db, policy: init.policy as Policy, clock, site: init.site as SiteInfo, logger });
  port.postMessage({ type: 'ready' });
} catch (e) {
  port.postMessage({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
  db?.close();
  port.close();
}

let inFlight = 0;
let closeRequested = false;

async function close(): Promise<void> {
  await engine?.close();
  if (db?.open) {
    await releaseDurable(db);
    db.close();
  }
  port!.postMessage({ type: 'closed' });
  port!.close();
}

port.on('message', (m: EngineCall | EngineBatch<EngineCall> | { type: 'close' } | { type: 'autocheckpoint'; pages: number } | { type: 'durableStats'; id: number }) => {
  if ('type' in m) {
    if (m.type === 'batch') {
      for (const c of m.items) call(c);
    } else if (m.type === 'durableStats') {
      port.postMessage({ id: m.id, value: db ? durableStats(db) : { requests: 0, syncs: 0 } });
    } else if (m.type === 'close') {
      closeRequested = true;
      if (inFlight === 0) void close();
    } else if (m.type === 'autocheckpoint' && db?.open) {
      db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(m.pages))}`);
    }
    return;
  }
  call(m);
});

function call(m: EngineCall): void {
  now = m.now;
  inFlight++;
  if (!engine || !allowed.has(m.method)) {
    reply({ id: m.id, error: { message: `the circulation engine thread has no operation ${JSON.stringify(m.method)}` } });
    return;
  }
  const fn = (engine as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[m.method]!;
  // Module-level callbacks, not closures per call: this runs for every SIP2 message.
  fn.apply(engine, m.args).then(replyValue.bind(m.id), replyError.bind(m.id));
}

/** Replies settled in the same microtask checkpoint (the commits one flush made durable) leave in one message. */
let outbox: EngineReply[] = [];

function reply(r: EngineReply): void {
  outbox.push(r);
  if (outbox.length === 1) queueMicrotask(sendOutbox);
}

function sendOutbox(): void {
  const replies = outbox;
  outbox = [];
  port!.postMessage(replies.length === 1 ? replies[0] : ({ type: 'batch', items: replies } satisfies EngineBatch<EngineReply>));
  inFlight -= replies.length;
  if (inFlight === 0 && closeRequested) void close();
}

function replyValue(this: number, value: unknown): void {
  reply({ id: this, value });
}

function replyError(this: number, e: unknown): void {
  reply({ id: this, error: { message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined } });
}

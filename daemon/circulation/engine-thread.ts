/**
 * The embedded circulation engine behind the SIP2 bridge, run in a worker thread (engine-worker.ts)
 * with its own connection to the store file. Why: a SIP2 request spends about a third of its CPU
 * time in the engine and SQLite; on the main thread that time is taken from decoding, encoding and
 * socket writes for every other connection, and at a few thousand messages per second the one
 * thread saturates and the tail latency grows (issue 3, bench/sip2.bench.ts). In a worker, the
 * engine's work runs on the second core while the main thread keeps framing and answering.
 *
 * The class is a CirculationBackend (plus the locker vendor operations): each call is posted to the
 * worker with the main thread's clock reading and resolves with the engine's outcome, unchanged
 * (outcomes are plain data). Both threads' connections write the same WAL store; the engine takes
 * the write lock at the start of each transaction (BEGIN IMMEDIATE), so a daemon whose kiosk and
 * SIP2 bridge write at the same moment queues one behind the other instead of failing.
 *
 * Hand-offs are batched both ways: the calls made in one turn of the main event loop (the SIP2
 * connections that were readable together) go to the worker in one message, and the worker's replies
 * that one flush made durable come back in one. Under a burst that is one wake-up of the other thread
 * for the lot instead of one per request; alone, a request pays nothing for it.
 *
 * If the worker dies (a native crash, an out-of-memory), the calls it had are rejected (their
 * connections are closed like after a crash: the client retries) and the next call starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type {
  BackendStatus,
  CancelHoldRequest,
  CheckinRequest,
  CheckinResult,
  CheckoutRequest,
  CheckoutResult,
  CirculationBackend,
  FeePaidRequest,
  FeePaidResult,
  HoldLine,
  HoldRequest,
  HoldResult,
  ItemInformation,
  LockerHold,
  LockerPatron,
  LockerPickupResult,
  LockerReleaseResult,
  Outcome,
  PatronInformation,
  PatronSummary,
  RenewAllResult,
  RenewResult,
  RequestContext,
} from './backend.ts';
import { EMBEDDED_REPLY_WITHIN_MS, type SiteInfo } from './embedded.ts';
import type { EngineBatch, EngineCall, EngineInit, EngineMethod, EngineReply } from './engine-thread-protocol.ts';
import type { Policy } from '../../config/schema.ts';

export interface EngineThreadOptions {
  /** The store file (a WAL database; an in-memory store cannot be shared between threads). */
  file: string;
  policy: Policy;
  site: SiteInfo;
  clock: Clock;
  logger?: Logger;
  /** True while a BackgroundCheckpointer runs: the worker's commits then never checkpoint. */
  backgroundCheckpoints: boolean;
  /** How long a starting worker may take (tsx compiles the engine on first start). */
  startTimeoutMs?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class EngineThreadError extends Error {
  override name = 'EngineThreadError';
}

export class EngineThread implements CirculationBackend {
  readonly kind = 'embedded' as const;
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed: Promise<void> | null = null;
  private walAutocheckpoint: number;
  private readonly log: Logger | undefined;
  /** Workers started so far (1 unless one died and was replaced). */
  starts = 0;

  private constructor(private readonly opts: EngineThreadOptions) {
    this.log = opts.logger;
    this.walAutocheckpoint = opts.backgroundCheckpoints ? 0 : 1000;
  }

  /** Starts the worker and resolves once its engine is open; rejects with the reason it could not. */
  static async start(opts: EngineThreadOptions): Promise<EngineThread> {
    const t = new EngineThread(opts);
    await t.spawn();
    return t;
  }

  /** The background checkpointer stopped: the worker's own commits checkpoint again (SQLite's default). */
  setWalAutocheckpoint(pages: number): void {
    this.walAutocheckpoint = pages;
    this.worker?.postMessage({ type: 'autocheckpoint', pages });
  }

  /** The worker's thread id, for diagnostics and the crash test. */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /** Stops the worker as a crash would (tests): calls in flight are rejected. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  private spawn(): Promise<Worker> {
    this.starting ??= new Promise<Worker>((resolve, reject) => {
      const init: EngineInit = {
        file: this.opts.file,
        policy: this.opts.policy,
        site: this.opts.site,
        logLevel: this.log?.level ?? 'silent',
        walAutocheckpoint: this.walAutocheckpoint,
      };
      // Node options are inherited (the worker entry registers tsx only if they do not load it already).
      const worker = new Worker(new URL('./engine.worker.mjs', import.meta.url), { workerData: init });
      this.starts++;
      let started = false;
      const timer = setTimeout(() => {
        if (started) return;
        reject(new EngineThreadError(`the circulation engine thread did not start within ${this.opts.startTimeoutMs ?? 30_000} ms`));
        void worker.terminate();
      }, this.opts.startTimeoutMs ?? 30_000);
      worker.on('message', (m: EngineReply | EngineBatch<EngineReply> | { type: string; line?: string; message?: string }) => {
        if ('id' in m) {
          this.settle(m);
          return;
        }
        if (m.type === 'batch') {
          for (const r of (m as EngineBatch<EngineReply>).items) this.settle(r);
          return;
        }
        if (m.type === 'ready') {
          started = true;
          clearTimeout(timer);
          this.worker = worker;
          worker.unref();
          resolve(worker);
        } else if (m.type === 'failed') {
          clearTimeout(timer);
          reject(new EngineThreadError(`the circulation engine thread could not open the store: ${m.message}`));
        } else if (m.type === 'log' && m.line) {
          this.relayLog(m.line);
        }
      });
      worker.on('error', (e) => {
        this.log?.error({ err: e }, 'circulation engine thread failed');
        if (!started) {
          clearTimeout(timer);
          reject(new EngineThreadError(`the circulation engine thread failed to start: ${e.message}`));
        }
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) {
          this.worker = null;
          this.outbox = []; // rejected below with the rest; never to be posted to a later worker
        }
        this.starting = null;
        if (!started) {
          clearTimeout(timer);
          reject(new EngineThreadError(`the circulation engine thread exited with code ${code} while starting`));
        }
        if (this.pending.size) {
          const err = new EngineThreadError(`the circulation engine thread stopped (exit code ${code}) with ${this.pending.size} request(s) unanswered`);
          if (!this.closed) this.log?.error({ unanswered: this.pending.size, code }, 'circulation engine thread stopped; it is restarted on the next request');
          for (const p of this.pending.values()) p.reject(err);
          this.pending.clear();
        }
      });
    });
    return this.starting;
  }

  private settle(r: EngineReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (r.error) {
      const e = new EngineThreadError(r.error.message);
      if (r.error.stack) e.stack = r.error.stack;
      p.reject(e);
    } else {
      p.resolve(r.value);
    }
  }

  /** A pino line from the worker, logged again here (so one logger and destination serve both). */
  private relayLog(line: string): void {
    if (!this.log) return;
    try {
      const { level, msg, time: _time, pid: _pid, hostname: _host, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const label = typeof level === 'number' ? (this.log.levels.labels[level] ?? 'info') : 'info';
      (this.log as unknown as Record<string, (o: object, m?: string) => void>)[label]?.({ ...rest, thread: 'engine' }, typeof msg === 'string' ? msg : undefined);
    } catch {
      this.log.warn({ line: line.slice(0, 200) }, 'unreadable log line from the circulation engine thread');
    }
  }

  private call<T>(method: EngineMethod, args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new EngineThreadError('the circulation engine thread is closed'));
    const worker = this.worker;
    if (worker) return this.post<T>(worker, method, args);
    return this.spawn().then((w) => this.post<T>(w, method, args));
  }

  private post<T>(worker: Worker, method: EngineMethod, args: unknown[]): Promise<T> {
    const id = this.nextId++;
    const msg: EngineCall = { id, method, args, now: this.opts.clock.now().getTime() };
    return new Promise<T>((resolve, reject) => {
      // Held open while a call is out: an idle unref'd worker must not keep the process alive, a busy one must.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // The calls of one turn of this event loop (the SIP2 connections that were readable together)
      // go in one message at its end: one hand-off to the worker instead of one each.
      this.outbox.push(msg);
      if (this.outbox.length === 1) setImmediate(this.sendOutbox);
    });
  }

  private outbox: EngineCall[] = [];

  /** Posts the calls waiting in the outbox (a worker that died meanwhile has had them rejected). */
  private readonly sendOutbox = (): void => {
    const calls = this.outbox;
    this.outbox = [];
    const worker = this.worker;
    if (!worker) return;
    if (calls.length === 1) worker.postMessage(calls[0]);
    else if (calls.length > 1) worker.postMessage({ type: 'batch', items: calls } satisfies EngineBatch<EngineCall>);
  };

  /** How many commits the worker has waited for and how many fdatasyncs served them (db.ts durableStats). */
  durableStats(): Promise<{ requests: number; syncs: number }> {
    const worker = this.worker;
    if (!worker || this.closed) return Promise.resolve({ requests: 0, syncs: 0 });
    const id = this.nextId++;
    this.sendOutbox(); // after the calls already made
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ type: 'durableStats', id });
    });
  }

  /** Waits for the calls in flight, closes the worker's connection (its last commit synced), ends the worker. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      const worker = this.worker ?? (this.starting ? await this.starting.catch(() => null) : null);
      if (!worker) return;
      worker.ref();
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      this.sendOutbox(); // the calls made before close() go first
      worker.postMessage({ type: 'close' });
      const timer = setTimeout(() => void worker.terminate(), 15_000);
      await exited;
      clearTimeout(timer);
    })();
    return this.closed;
  }

  // ---------------------------------------------------------------- CirculationBackend

  status(): Promise<BackendStatus> {
    if (this.closed) {
      return Promise.resolve({
        kind: 'embedded',
        online: false,
        detail: 'embedded SQLite engine (thread closed)',
        currency: this.opts.policy.currency,
        replyWithinMs: EMBEDDED_REPLY_WITHIN_MS,
        supports: { checkout: true, checkin: true, renew: true, holds: true, fees: true },
      });
    }
    return this.call('status', []);
  }
  lookupPatron(identifier: string, ctx?: RequestContext): Promise<Outcome<{ patron: PatronSummary }>> {
    return this.call('lookupPatron', [identifier, ctx]);
  }
  verifyPatron(identifier: string, pin: string | undefined, ctx?: RequestContext): Promise<Outcome<{ patron: PatronSummary }>> {
    return this.call('verifyPatron', [identifier, pin, ctx]);
  }
  patronInformation(identifier: string, ctx?: RequestContext): Promise<Outcome<{ patron: PatronInformation }>> {
    return this.call('patronInformation', [identifier, ctx]);
  }
  itemInformation(barcode: string, ctx?: RequestContext): Promise<Outcome<{ item: ItemInformation }>> {
    return this.call('itemInformation', [barcode, ctx]);
  }
  checkout(req: CheckoutRequest, ctx?: RequestContext): Promise<Outcome<CheckoutResult>> {
    return this.call('checkout', [req, ctx]);
  }
  checkin(req: CheckinRequest, ctx?: RequestContext): Promise<Outcome<CheckinResult>> {
    return this.call('checkin', [req, ctx]);
  }
  renew(req: { patron: string; item: string }, ctx?: RequestContext): Promise<Outcome<RenewResult>> {
    return this.call('renew', [req, ctx]);
  }
  renewAll(req: { patron: string }, ctx?: RequestContext): Promise<Outcome<RenewAllResult>> {
    return this.call('renewAll', [req, ctx]);
  }
  placeHold(req: HoldRequest, ctx?: RequestContext): Promise<Outcome<HoldResult>> {
    return this.call('placeHold', [req, ctx]);
  }
  cancelHold(req: CancelHoldRequest, ctx?: RequestContext): Promise<Outcome<{ cancelled: HoldLine; replayed?: boolean }>> {
    return this.call('cancelHold', [req, ctx]);
  }
  feePaid(req: FeePaidRequest, ctx?: RequestContext): Promise<Outcome<FeePaidResult>> {
    return this.call('feePaid', [req, ctx]);
  }
  endSession(patron: string, ctx?: RequestContext): Promise<Outcome<{ patron: string }>> {
    return this.call('endSession', [patron, ctx]);
  }
  blockPatron(req: { patron: string; cardRetained: boolean; message: string }, ctx?: RequestContext): Promise<Outcome<{ patron: PatronSummary }>> {
    return this.call('blockPatron', [req, ctx]);
  }
  enablePatron(patron: string, ctx?: RequestContext): Promise<Outcome<{ patron: PatronSummary }>> {
    return this.call('enablePatron', [patron, ctx]);
  }
  changeHold(req: CancelHoldRequest & { pickupPlace: string }, ctx?: RequestContext): Promise<Outcome<HoldResult>> {
    return this.call('changeHold', [req, ctx]);
  }
  setItemProperties(req: { item: string; properties: string }, ctx?: RequestContext): Promise<Outcome<{ item: string; title: string }>> {
    return this.call('setItemProperties', [req, ctx]);
  }
  lockerVendorHold(item: string, ctx?: RequestContext): Promise<Outcome<{ hold: LockerHold | null }>> {
    return this.call('lockerVendorHold', [item, ctx]);
  }
  lockerVendorPatron(req: { patron: string; pickupPlaces: string[] }, ctx?: RequestContext): Promise<Outcome<LockerPatron>> {
    return this.call('lockerVendorPatron', [req, ctx]);
  }
  lockerVendorLoad(req: { item: string; pickupPlace: string; holdHours?: number }, ctx?: RequestContext): Promise<Outcome<{ hold: LockerHold; alreadyLoaded: boolean }>> {
    return this.call('lockerVendorLoad', [req, ctx]);
  }
  lockerVendorPickup(req: { patron: string; item: string; pickupPlaces: string[] }, ctx?: RequestContext): Promise<Outcome<LockerPickupResult>> {
    return this.call('lockerVendorPickup', [req, ctx]);
  }
  lockerVendorRelease(req: { patron: string; item: string; pickupPlaces: string[] }, ctx?: RequestContext): Promise<Outcome<LockerReleaseResult>> {
    return this.call('lockerVendorRelease', [req, ctx]);
  }
}

/**
 * Composition root: opens the store, loads the demo data into an empty store, builds the
 * circulation backend and the HTTP server, and hands back one handle that stops them all.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config, Policy } from '../config/schema.ts';
import type { Clock } from './clock.ts';
import type { CirculationBackend } from './circulation/backend.ts';
import { EmbeddedBackend } from './circulation/embedded.ts';
import { resolveUpstreamPassword, Sip2UpstreamBackend } from './circulation/sip2-upstream/index.ts';
import { configDir, repoRoot } from './config.ts';
import { startHttp, type HealthReport, type HttpHandle } from './http/server.ts';
import { startSip2Server, type Sip2ServerHandle } from './sip2/server.ts';
import { openStore, schemaVersion, type Db } from './store/db.ts';
import { importData, isStoreEmpty } from './store/import.ts';

export const VERSION: string = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

export interface DaemonOptions {
  config: Config;
  policy: Policy;
  clock: Clock;
  logger: Logger;
}

export interface Daemon {
  db: Db;
  /** The embedded engine, or the SIP2 upstream backend when `backend.kind` is sip2-upstream. */
  backend: CirculationBackend;
  http: HttpHandle;
  sip2: Sip2ServerHandle | null;
  dataDir: string;
  close(): Promise<void>;
}

export function storeFile(dataDir: string): string {
  return join(dataDir, 'kiosk.sqlite');
}

/** One daemon per data directory: a second one on the same directory is refused. */
function lockDataDir(dataDir: string): () => void {
  const lock = join(dataDir, 'kiosk.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`data directory ${dataDir} is in use by another daemon (pid ${pid}); use --data for a second one`);
      }
      rmSync(lock, { force: true }); // stale lock of a daemon that died
    }
  }
  throw new Error(`cannot lock data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function openDataStore(config: Config): { db: Db; dataDir: string; file: string } {
  const dataDir = resolve(config.data.dir);
  const file = storeFile(dataDir);
  const db = openStore({ file });
  return { db, dataDir, file };
}

export function loadDemoIfEmpty(db: Db, backend: EmbeddedBackend, config: Config, policy: Policy, clock: Clock, log: Logger): void {
  if (!config.data.demoOnFirstRun || !isStoreEmpty(db)) return;
  const file = join(configDir, 'demo', 'demo-library.yaml');
  const r = importData(db, readFileSync(file, 'utf8'), file, {
    clock,
    timezone: config.site.timezone,
    currency: policy.currency,
    engine: backend,
  });
  if (!r.ok) throw new Error(`demo data could not be loaded:\n${r.problems.join('\n')}`);
  log.info({ counts: r.counts }, 'empty store: demo library loaded');
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config, policy, clock, logger } = opts;
  const started = process.hrtime.bigint();
  const dataDir = resolve(config.data.dir);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  let db: Db | undefined;
  let sip2Handle: Sip2ServerHandle | null = null;
  let built: CirculationBackend | undefined;
  try {
    const store = openDataStore(config);
    db = store.db;
    const site = { department: config.site.department, timezone: config.site.timezone, language: config.site.language };
    let backend: CirculationBackend;
    if (config.backend.kind === 'sip2-upstream') {
      // The library system upstream owns the circulation data; our store keeps the offline queue.
      const secret = resolveUpstreamPassword(config.backend);
      if ('error' in secret) throw new Error(secret.error);
      const upstream = new Sip2UpstreamBackend({
        config: config.backend,
        password: secret.password,
        db: store.db,
        clock,
        site,
        currency: policy.currency,
        logger: logger.child({ component: 'upstream' }),
      });
      built = upstream;
      await upstream.start(); // never fails on an unreachable upstream: that is what offline mode is for
      backend = upstream;
    } else {
      const engine = new EmbeddedBackend({ db: store.db, policy, clock, site, logger: logger.child({ component: 'circulation' }) });
      loadDemoIfEmpty(store.db, engine, config, policy, clock, logger);
      backend = engine;
    }
    const openDb = store.db;
    const health = async (): Promise<HealthReport> => {
      const b = await backend.status();
      let size: number | null = null;
      try {
        size = statSync(store.file).size;
      } catch {
        size = null;
      }
      return {
        sip2: sip2Handle ? { host: sip2Handle.host, port: sip2Handle.port, connections: sip2Handle.connections() } : null,
        status: b.online && openDb.open ? 'ok' : 'degraded',
        version: VERSION,
        uptimeS: Number((process.hrtime.bigint() - started) / 1_000_000n) / 1000,
        now: clock.now().toISOString(),
        site: { name: config.site.name, department: config.site.department },
        backend: { kind: b.kind, online: b.online, detail: b.detail },
        store: { state: openDb.open ? 'open' : 'closed', file: store.file, schemaVersion: openDb.open ? schemaVersion(openDb) : 0, sizeBytes: size },
        preset: policy.name,
      };
    };
    const sip2 = config.sip2.enabled
      ? await startSip2Server({
          config: config.sip2,
          backend,
          clock,
          timezone: config.site.timezone,
          libraryName: config.site.name,
          language: config.site.language,
          logger,
        })
      : null;
    sip2Handle = sip2;
    const http = await startHttp({ host: config.http.host, port: config.http.port, logger, health });
    logger.info(
      { url: http.url, sip2: sip2 ? `${sip2.host}:${sip2.port}` : null, dataDir, preset: policy.name, clock: clock.now().toISOString() },
      'listening',
    );
    let closed = false;
    return {
      db: store.db,
      backend,
      http,
      sip2,
      dataDir,
      async close() {
        if (closed) return;
        closed = true;
        await sip2?.close();
        await http.close();
        await backend.close();
        store.db.close();
        unlock();
        logger.info('stopped');
      },
    };
  } catch (e) {
    await sip2Handle?.close().catch(() => undefined);
    await built?.close().catch(() => undefined);
    db?.close();
    unlock();
    throw e;
  }
}

export function dataDirExists(dir: string): boolean {
  return existsSync(dir);
}

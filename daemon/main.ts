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
import { backendItemLookup, catalogueItemLookup, chainLookups, loadDemoCatalogue } from './devices/catalogue.ts';
import { DeviceManager } from './devices/manager.ts';
import { SimulatorApi } from './devices/simulator-api.ts';
import { createSimulatorRouter } from './http/simulator.ts';
import { kioskUiRouter } from './http/kiosk-ui.ts';
import { PadModel } from './station/pad.ts';
import { Station, type Mailer } from './station/station.ts';
import { attachKioskSocket } from './station/socket.ts';
import type { DeviceView, UiConfig } from '../protocols/kiosk-api/events.ts';
import nodemailer from 'nodemailer';
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
  devices: DeviceManager;
  station: Station;
  pad: PadModel;
  /** The simulator controls (null when no device is simulated). */
  simulator: SimulatorApi | null;
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
  let devices: DeviceManager | undefined;
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
    const deviceManager = new DeviceManager({ devices: config.devices, clock, logger });
    devices = deviceManager;
    await deviceManager.start(); // never fails: a device that cannot open is retried in the background
    let simulatorApi: SimulatorApi | null = null;
    if (config.devices.some((d) => d.simulated)) {
      const catalogue = loadDemoCatalogue();
      const lookupItem = chainLookups(backendItemLookup(backend), catalogueItemLookup(catalogue));
      simulatorApi = new SimulatorApi({ manager: deviceManager, catalogue, lookupItem, ownerIsil: config.site.isil });
    }

    // The station: what is on the pad, the patron session, per-item transactions with security writes.
    const pad = new PadModel(backend);
    const reader = deviceManager.rfid();
    if (reader) {
      reader.on('tag.arrived', (t) => pad.arrived(t));
      reader.on('tag.departed', (d) => pad.departed(d));
      pad.setReaderState(reader.state);
      reader.on('state', (st) => {
        pad.setReaderState(st.state);
        // A reader that went away no longer vouches for what it saw: show an empty pad.
        if (st.state === 'offline') pad.clear();
      });
    }
    const station = new Station({
      backend,
      pad,
      rfid: () => deviceManager.rfid() ?? null,
      printer: () => deviceManager.printer() ?? null,
      mailer: makeMailer(config),
      clock,
      logger: logger.child({ component: 'station' }),
      site: { name: config.site.name, department: config.site.department, language: config.site.language, timezone: config.site.timezone },
      pinRequired: policy.patrons.pinRequired,
      rfidSecurity: config.kiosk.rfidSecurity,
    });
    const uiConfig: UiConfig = {
      languages: config.kiosk.languages,
      defaultLanguage: config.kiosk.languages[0] ?? config.site.language,
      idleTimeoutS: config.kiosk.idleTimeoutS,
      warningS: config.kiosk.warningS,
      pinRequired: policy.patrons.pinRequired,
      libraryName: config.site.name,
      currency: policy.currency,
      locale: { en: 'en-GB', sl: 'sl-SI', lv: 'lv-LV', hu: 'hu-HU' },
    };
    const deviceViews = (): DeviceView[] =>
      deviceManager.list().map((d) => ({ id: d.id, kind: d.kind, model: d.model, state: d.state, reason: d.reason }));

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
        devices: deviceManager.healthSummary(),
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
          isDepartment: departmentCheck(store.db),
        })
      : null;
    sip2Handle = sip2;
    const http = await startHttp({
      host: config.http.host,
      port: config.http.port,
      logger,
      health,
      devices: deviceManager,
      ...(simulatorApi ? { simulator: createSimulatorRouter({ api: simulatorApi }) } : {}),
      ui: kioskUiRouter(join(repoRoot, 'dist', 'kiosk-ui')),
    });
    const kioskNs = attachKioskSocket({
      io: http.io,
      station,
      pad,
      devices: deviceViews,
      backend: async () => {
        const b = await backend.status();
        return { online: b.online, offline: !b.online && b.detail.startsWith('offline'), detail: b.detail };
      },
      config: uiConfig,
      logger,
    });
    deviceManager.on('device.state', (d) => kioskNs.emit('device.state', { id: d.id, kind: d.kind, model: d.model, state: d.state, reason: d.reason }));
    // The backend's state is pushed when it changes, so a kiosk goes out of order (and recovers) by itself.
    let lastBackend = '';
    const backendTimer = setInterval(() => {
      void backend.status().then((b) => {
        const view = { online: b.online, offline: !b.online && b.detail.startsWith('offline'), detail: b.detail };
        const text = JSON.stringify(view);
        if (text !== lastBackend) {
          if (lastBackend) kioskNs.emit('backend.changed', view);
          lastBackend = text;
        }
      });
    }, 2000);
    backendTimer.unref();
    const scanner = deviceManager.scanner();
    scanner?.on('scan', (sc) => kioskNs.emit('scan.read', { data: sc.data, symbology: sc.symbology ?? null }));
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
      devices: deviceManager,
      station,
      pad,
      simulator: simulatorApi,
      dataDir,
      async close() {
        if (closed) return;
        closed = true;
        clearInterval(backendTimer);
        await sip2?.close();
        await http.close();
        await deviceManager.stop();
        await backend.close();
        store.db.close();
        unlock();
        logger.info('stopped');
      },
    };
  } catch (e) {
    await sip2Handle?.close().catch(() => undefined);
    await devices?.stop().catch(() => undefined);
    await built?.close().catch(() => undefined);
    db?.close();
    unlock();
    throw e;
  }
}

/** Whether a code is one of the library's departments (SIP2 check-in AP). */
export function departmentCheck(db: Db): (code: string) => boolean {
  const q = db.prepare('SELECT 1 FROM departments WHERE code = ?');
  return (code) => db.open && !!q.get(code);
}

/** SMTP for e-mailed receipts, when configured; the password comes from an environment variable. */
function makeMailer(config: Config): Mailer | null {
  const smtp = config.kiosk.smtp;
  if (!smtp) return null;
  const pass = smtp.passwordEnv ? process.env[smtp.passwordEnv] : undefined;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: pass ?? '' } } : {}),
  });
  return { send: async (m) => void (await transport.sendMail({ from: smtp.from, ...m })) };
}

export function dataDirExists(dir: string): boolean {
  return existsSync(dir);
}

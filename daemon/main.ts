/**
 * Composition root: opens the store, loads the demo data into an empty store, builds the
 * circulation backend and the HTTP server, and hands back one handle that stops them all.
 */
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config, Policy } from '../config/schema.ts';
import type { Clock } from './clock.ts';
import type { CirculationBackend } from './circulation/backend.ts';
import { EmbeddedBackend } from './circulation/embedded.ts';
import { HoldExpiryJob } from './circulation/hold-expiry.ts';
import { EngineThread } from './circulation/engine-thread.ts';
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
import { openStore, releaseDurable, schemaVersion, type Db } from './store/db.ts';
import { BackgroundCheckpointer } from './store/checkpointer.ts';
import { importData, isStoreEmpty } from './store/import.ts';
import { Audit, Auth } from './auth/index.ts';
import { LockerService } from './lockers/service.ts';
import { createLockersRouter } from './lockers/http.ts';
import { makeSmsSender, smtpLockerMailer } from './lockers/notify.ts';
import { vendorHoldHoursOf } from './lockers/config.ts';
import { Metrics, metricsRouter } from './metrics.ts';
import { AdminService } from './http/admin.ts';
import { PairingService } from './pairing/service.ts';
import { Desk } from './pairing/desk.ts';
import { DeskService } from './desk/desk.ts';
import { createDeskRouter } from './http/desk.ts';
import { KeyboardWedge } from './pairing/wedge.ts';
import { attachStaffSocket, createAdminPairingRouter, createStaffRouter } from './http/staff.ts';
import { StartRefused } from './start-refused.ts';

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
  /** Staff and admin logins, sessions and guards (daemon/auth). */
  auth: Auth;
  /** The audit log: one row per staff action. */
  audit: Audit;
  /** Pairing of staff desk PCs with the pad (daemon/pairing): the code, the pairings. */
  pairing: PairingService;
  /** The staff desk's view of the pad and its actions (/staff). */
  desk: Desk;
  /** The desk's devices (daemon/desk, /staff/desk): signed documents on the tablet, fee payment with receipt and drawer, cash closing. */
  deskDevices: DeskService;
  /** Locker pickup (daemon/lockers); null when no bank is configured or the backend is not embedded. */
  lockers: LockerService | null;
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
        throw new StartRefused(`data directory ${dataDir} is in use by another daemon (pid ${pid}); use --data for a second one`);
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

/**
 * A data directory made by an earlier version (or by hand) may be readable by every local user: the
 * directory becomes 0700 and the store and the logs 0600, as `kiosk` now creates them (cli.ts umask).
 * Best effort: a directory the service does not own is left alone, with a warning.
 */
function restrictDataDir(dataDir: string, log: Logger): void {
  const paths = [dataDir, ...['kiosk.sqlite', 'kiosk.sqlite-wal', 'kiosk.sqlite-shm', 'logs', join('logs', 'kiosk.log')].map((p) => join(dataDir, p))];
  for (const p of paths) {
    try {
      const st = statSync(p);
      const want = st.isDirectory() ? 0o700 : 0o600;
      if ((st.mode & 0o077) !== 0) chmodSync(p, want);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') log.warn({ path: p, code }, 'could not make this readable by the service user only');
    }
  }
}

export function openDataStore(config: Config): { db: Db; dataDir: string; file: string } {
  const dataDir = resolve(config.data.dir);
  const file = storeFile(dataDir);
  const db = openStore({ file });
  return { db, dataDir, file };
}

/** Loads the demo library into an empty store; returns whether it did. */
export function loadDemoIfEmpty(db: Db, backend: EmbeddedBackend, config: Config, policy: Policy, clock: Clock, log: Logger): boolean {
  if (!config.data.demoOnFirstRun || !isStoreEmpty(db)) return false;
  const file = join(configDir, 'demo', 'demo-library.yaml');
  const r = importData(db, readFileSync(file, 'utf8'), file, {
    clock,
    timezone: config.site.timezone,
    currency: policy.currency,
    engine: backend,
  });
  if (!r.ok) throw new Error(`demo data could not be loaded:\n${r.problems.join('\n')}`);
  log.info({ counts: r.counts }, 'empty store: demo library loaded');
  return true;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config, policy, clock, logger } = opts;
  const started = process.hrtime.bigint();
  const dataDir = resolve(config.data.dir);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  restrictDataDir(dataDir, logger);
  const unlock = lockDataDir(dataDir);
  let db: Db | undefined;
  let checkpointer: BackgroundCheckpointer | null = null;
  let sip2Handle: Sip2ServerHandle | null = null;
  let built: CirculationBackend | undefined;
  let engineThread: EngineThread | null = null;
  let devices: DeviceManager | undefined;
  let authHandle: Auth | undefined;
  let adminHandle: AdminService | undefined;
  let lockersHandle: LockerService | undefined;
  try {
    const store = openDataStore(config);
    db = store.db;
    // WAL checkpoints in a worker thread, not inside a patron's COMMIT (daemon/store/checkpointer.ts).
    checkpointer = BackgroundCheckpointer.start(store.db, {
      logger: logger.child({ component: 'store' }),
      onFailure: () => engineThread?.setWalAutocheckpoint(1000),
    });
    // Staff logins and the audit log come first: every later service may guard and audit with them.
    const audit = new Audit({ db: store.db, clock, logger });
    const auth = new Auth({ db: store.db, clock, config: config.auth, audit, logger });
    authHandle = auth;
    // Counts every backend call by operation, outcome and reason (/metrics, the admin page's hours).
    const metrics = new Metrics({ clock, timezone: config.site.timezone });
    const site = { department: config.site.department, timezone: config.site.timezone, language: config.site.language };
    let backend: CirculationBackend;
    let embedded: EmbeddedBackend | null = null;
    let upstreamBackend: Sip2UpstreamBackend | null = null;
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
      upstreamBackend = upstream;
      await upstream.start(); // never fails on an unreachable upstream: that is what offline mode is for
      backend = upstream;
    } else {
      const engine = new EmbeddedBackend({ db: store.db, policy, clock, site, logger: logger.child({ component: 'circulation' }) });
      // The demo library comes with demo staff accounts (staff/staff, admin/admin), logged as a warning.
      if (loadDemoIfEmpty(store.db, engine, config, policy, clock, logger)) await auth.createDemoAccounts();
      else {
        const demo = await auth.demoLoginsInUse();
        if (demo.length) {
          logger.warn({ accounts: demo }, `the demo login(s) ${demo.map((u) => `${u}/${u}`).join(', ')} still work: change them with \`kiosk admin passwd\` or disable them with \`kiosk admin disable\``);
        }
      }
      backend = engine;
      embedded = engine;
    }
    // Everyone (station, SIP2 bridge, desk, lockers) goes through the counting decorator.
    backend = metrics.wrapBackend(backend);
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
    // One SMTP transport for e-mailed receipts (kiosk and desk); null when none is configured.
    const mailer = makeMailer(config);
    const station = new Station({
      backend,
      pad,
      rfid: () => deviceManager.rfid() ?? null,
      printer: () => deviceManager.printer() ?? null,
      mailer,
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
      emailReceipts: mailer !== null,
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
        backend: { kind: b.kind, online: b.online, detail: b.detail, ...(b.offline ? { offline: { queued: b.offline.queued, unresolved: b.offline.unresolved } } : {}) },
        store: { state: openDb.open ? 'open' : 'closed', file: store.file, schemaVersion: openDb.open ? schemaVersion(openDb) : 0, sizeBytes: size },
        preset: policy.name,
        devices: deviceManager.healthSummary(),
      };
    };
    // The SIP2 bridge's own engine in a worker thread (daemon/circulation/engine-thread.ts): vendors'
    // and self-checks' traffic does not share the event loop's core with SQLite. Same store, same rules.
    let sip2Backend = backend;
    if (config.sip2.enabled && config.sip2.engineThread && embedded && !store.db.memory) {
      engineThread = await EngineThread.start({
        file: store.file,
        policy,
        clock,
        site,
        logger: logger.child({ component: 'circulation', for: 'sip2' }),
        backgroundCheckpoints: checkpointer !== null,
      });
      sip2Backend = metrics.wrapBackend(engineThread);
    }
    const sip2 = config.sip2.enabled
      ? await startSip2Server({
          config: config.sip2,
          backend: sip2Backend,
          clock,
          timezone: config.site.timezone,
          libraryName: config.site.name,
          language: config.site.language,
          logger,
          isDepartment: departmentCheck(store.db),
          lockerHoldHours: vendorHoldHoursOf(config.lockers),
        })
      : null;
    sip2Handle = sip2;
    // Pages and APIs beyond the kiosk (login, staff, admin, /metrics, lockers): each service pushes
    // its router here before the HTTP server starts.
    const mounts: Array<{ path: string; handler: import('express').RequestHandler }> = [];
    mounts.push({ path: '/', handler: auth.router() });
    // The admin page (/admin, role admin, live over the /admin namespace) and /metrics (no login).
    const admin = new AdminService({
      db: store.db,
      clock,
      auth,
      audit,
      metrics,
      devices: deviceManager,
      site: { name: config.site.name, department: config.site.department, timezone: config.site.timezone },
      backendStatus: () => backend.status(),
      sip2: () => sip2,
      offline: upstreamBackend,
      logger,
    });
    adminHandle = admin;
    mounts.push({ path: '/admin', handler: admin.router() });
    mounts.push({
      path: '/metrics',
      handler: metricsRouter(metrics, {
        version: VERSION,
        preset: policy.name,
        startedAt: started,
        backendStatus: () => backend.status(),
        devices: () => deviceManager.list(),
        sip2: () => (sip2 ? { connections: sip2.connections(), messagesByCommand: sip2.messageCounts() } : null),
        loginFailures: () => ({ ...auth.loginFailures }),
        storeFiles: () => [store.file, `${store.file}-wal`],
      }),
    });
    // The staff desk: pairing by one-time code, then the pad's tags and staff actions (/staff).
    const pairing = new PairingService({
      db: store.db,
      clock,
      logger,
      config: config.pairing,
      pad: config.devices.find((d) => d.kind === 'rfid')?.id ?? 'pad',
      audit,
    });
    pairing.start();
    const desk = new Desk({
      reader: deviceManager.rfid() ?? null,
      backend,
      logger,
      site: { isil: config.site.isil, department: config.site.department, language: config.site.language },
      rfidSecurity: config.kiosk.rfidSecurity,
      onItemsChanged: (barcodes) => pad.invalidate(barcodes),
      onTagRewritten: (tag) => pad.arrived(tag),
      lockBlocks: config.pairing.programming.lockBlocks,
    });
    // Desk devices (/staff/desk): signature tablet documents, payments with receipt and drawer, day closing.
    const deskDevices = new DeskService({
      db: store.db,
      backend,
      devices: deviceManager,
      mailer,
      clock,
      logger: logger.child({ component: 'desk' }),
      config: config.desk,
      site: { name: config.site.name, department: config.site.department, timezone: config.site.timezone, language: config.site.language },
      currency: policy.currency,
    });
    mounts.push({
      path: '/',
      handler: createDeskRouter({
        desk: deskDevices,
        auth,
        audit,
        devices: deviceManager,
        clock,
        site: { name: config.site.name, department: config.site.department, timezone: config.site.timezone },
      }),
    });
    const staffDeps = { auth, audit, pairing, desk, wedge: new KeyboardWedge(), site: { name: config.site.name, isil: config.site.isil }, logger };
    mounts.push({ path: '/staff', handler: createStaffRouter(staffDeps) });
    mounts.push({ path: '/api/admin/pairing', handler: createAdminPairingRouter(staffDeps) });
    // Locker banks driven by us (daemon/lockers): the engine's holds, the banks' door controllers.
    let lockers: LockerService | null = null;
    if (config.lockers.banks.length && !embedded) {
      logger.warn('locker banks are configured, but lockers need the embedded backend: the upstream system holds the reservations');
    } else if (config.lockers.banks.length && embedded) {
      const lockerLog = logger.child({ component: 'lockers' });
      lockers = new LockerService({
        db: store.db,
        engine: embedded,
        config: config.lockers,
        policy,
        clock,
        logger: lockerLog,
        site: { name: config.site.name, timezone: config.site.timezone, language: config.site.language },
        controller: (bank) => (bank.device ? (deviceManager.locker(bank.device) ?? null) : null),
        mailer: config.kiosk.smtp ? smtpLockerMailer(config.kiosk.smtp) : null,
        sms: makeSmsSender(config.lockers.sms, lockerLog),
      });
      lockersHandle = lockers;
      lockers.start();
      mounts.push({ path: '/api/lockers', handler: createLockersRouter({ service: lockers, guard: auth.requireApi('staff'), audit, logger: lockerLog }) });
    }
    // The library-wide reservation expiry; the banks we drive expire their own places (lockers above).
    let holdExpiry: HoldExpiryJob | null = null;
    if (embedded && config.backend.kind === 'embedded') {
      holdExpiry = new HoldExpiryJob({
        engine: embedded,
        intervalS: config.backend.holdExpiryIntervalS,
        exceptPickupPlaces: lockers ? config.lockers.banks.filter((b) => b.driver === 'ours').map((b) => b.pickupPlace) : [],
        logger: logger.child({ component: 'holds' }),
      });
      holdExpiry.start();
    }
    const http = await startHttp({
      mounts,
      host: config.http.host,
      port: config.http.port,
      logger,
      health,
      devices: deviceManager,
      ...(simulatorApi ? { simulator: createSimulatorRouter({ api: simulatorApi }) } : {}),
      ui: kioskUiRouter(join(repoRoot, 'dist', 'kiosk-ui')),
    });
    attachStaffSocket(http.io, staffDeps);
    admin.attach(http.io);
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
      lockers,
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
      auth,
      audit,
      pairing,
      desk,
      deskDevices,
      lockers,
      async close() {
        if (closed) return;
        closed = true;
        clearInterval(backendTimer);
        await holdExpiry?.close();
        await sip2?.close();
        auth.close();
        admin.close();
        pairing.stop();
        await http.close();
        await lockers?.close(); // its timer and door subscriptions, before the devices go
        await deviceManager.stop();
        await engineThread?.close();
        await backend.close();
        await checkpointer?.stop();
        await releaseDurable(store.db);
        store.db.close();
        unlock();
        logger.info('stopped');
      },
    };
  } catch (e) {
    await sip2Handle?.close().catch(() => undefined);
    authHandle?.close();
    adminHandle?.close();
    await lockersHandle?.close().catch(() => undefined);
    await devices?.stop().catch(() => undefined);
    await built?.close().catch(() => undefined);
    await engineThread?.close().catch(() => undefined);
    await checkpointer?.stop();
    db?.close();
    unlock();
    throw e;
  }
}

/** Whether a code is one of the library's departments (SIP2 check-in AP). */
export function departmentCheck(db: Db, maxAgeMs = 60_000): (code: string) => boolean {
  // Read again at most once a minute (departments change by import, rarely): one query per check-in
  // on the thread that answers SIP2 clients costs more than the rest of the routing decision.
  const q = db.prepare('SELECT code FROM departments').pluck();
  let codes = new Set<string>();
  let readAt = -Infinity;
  return (code) => {
    if (!db.open) return false;
    const t = performance.now();
    if (t - readAt > maxAgeMs || (!codes.has(code) && t - readAt > 1000)) {
      codes = new Set(q.all() as string[]);
      readAt = t;
    }
    return codes.has(code);
  };
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

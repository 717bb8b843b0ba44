/**
 * The daemon's HTTP side: express for plain requests (GET /health now; the kiosk UI, staff and
 * admin pages later) and socket.io on the same server for the kiosk's live events. Bound to
 * 127.0.0.1 unless the config says otherwise.
 */
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Server as SocketServer } from 'socket.io';
import type { DevicesHealth, ManagedDeviceStatus } from '../devices/manager.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  uptimeS: number;
  now: string;
  site: { name: string; department: string };
  backend: { kind: string; online: boolean; detail: string };
  store: { state: 'open' | 'closed'; file: string; schemaVersion: number; sizeBytes: number | null };
  preset: string;
  sip2: { host: string; port: number; connections: number } | null;
  devices?: DevicesHealth;
}

export interface HttpOptions {
  host: string;
  port: number;
  logger: Logger;
  health: () => Promise<HealthReport>;
  /** The simulator panel's router, mounted at /simulator. */
  simulator?: express.Router;
  /**
   * Further routers (staff page, admin page, login, /metrics, locker API), mounted in this order
   * before the kiosk UI. Each owns its path prefix and its own body parsing and access checks.
   */
  mounts?: Array<{ path: string; handler: express.RequestHandler }>;
  /** Routers mounted last (the kiosk UI with its SPA fallback). */
  ui?: express.RequestHandler;
  /** Device states for socket.io: replayed to each new connection, pushed on every change. */
  devices?: { list(): ManagedDeviceStatus[]; on(event: 'device.state', listener: (s: ManagedDeviceStatus) => void): unknown };
}

export interface HttpHandle {
  server: Server;
  io: SocketServer;
  app: express.Express;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttp(opts: HttpOptions): Promise<HttpHandle> {
  const log = opts.logger.child({ component: 'http' });
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', async (_req, res) => {
    try {
      const report = await opts.health();
      res.status(report.status === 'ok' ? 200 : 503).json(report);
    } catch (e) {
      log.error({ err: e }, 'health check failed');
      res.status(500).json({ status: 'error', error: (e as Error).message });
    }
  });
  if (opts.simulator) app.use('/simulator', opts.simulator);
  for (const m of opts.mounts ?? []) app.use(m.path, m.handler);
  if (opts.ui) app.use(opts.ui);
  const server = createServer(app);
  const io = new SocketServer(server, { serveClient: false, cors: { origin: false } });
  io.on('connection', async (socket) => {
    // On connect the daemon replays the current state, so a reloaded page is consistent.
    socket.emit('health', await opts.health());
    for (const s of opts.devices?.list() ?? []) socket.emit('device.state', s);
  });
  opts.devices?.on('device.state', (s) => io.emit('device.state', s));

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(`HTTP port ${opts.port} on ${opts.host} is already in use (another daemon? use --port)`)
          : e,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(opts.port, opts.host);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host}:${port}`;
  return {
    server,
    io,
    app,
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        io.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

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
import { StartRefused } from '../start-refused.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  uptimeS: number;
  now: string;
  site: { name: string; department: string };
  /** `offline`: the upstream backend's queue (waiting transactions, refused or failed replays not yet resolved by staff). */
  backend: { kind: string; online: boolean; detail: string; offline?: { queued: number; unresolved: number } };
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

/**
 * Cross-site request forgery guard for every write (POST, PUT, PATCH, DELETE). The session cookie is
 * SameSite=Strict, but another origin on the same host (another port of the same machine) is the same
 * site and would send it. So a write is refused when the browser says it comes from another origin
 * (the Origin header), and when its body is anything but JSON: an HTML form on another page can
 * post urlencoded, multipart or text/plain, never application/json without a CORS preflight we do
 * not grant. Clients that are not browsers send no Origin and are not affected.
 */
function sameOriginWrites(req: express.Request, res: express.Response, next: express.NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
  // Host against host (not scheme): behind a TLS proxy the browser says https and we see http.
  const origin = req.headers.origin;
  if (origin !== undefined && hostOf(origin) !== req.headers.host) {
    res.status(403).json({ ok: false, error: { code: 'cross_origin', message: 'A request from another origin is refused.' } });
    return;
  }
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    res.status(415).json({ ok: false, error: { code: 'unsupported_media_type', message: 'Send the request as application/json.' } });
    return;
  }
  next();
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null; // "null" (a sandboxed page, a file) or garbage: not ours
  }
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
  app.use(sameOriginWrites);
  if (opts.simulator) app.use('/simulator', opts.simulator);
  for (const m of opts.mounts ?? []) app.use(m.path, m.handler);
  // An API path no router answered is a JSON 404, not the kiosk page with 200.
  app.use(['/api', '/admin/api', '/staff/api'], (req, res) => {
    res.status(404).json({ ok: false, error: { code: 'not_found', message: `No such API: ${req.method} ${req.originalUrl.split('?')[0]}` } });
  });
  if (opts.ui) app.use(opts.ui);
  // Last: errors no router answered itself (a body that is not JSON or too large, a missing file)
  // get a short message in JSON, never express's HTML page with a stack trace and server paths.
  app.use((err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { status?: number; statusCode?: number; type?: string; expose?: boolean };
    const status = e.status ?? e.statusCode ?? 500;
    const message =
      e.type === 'entity.parse.failed'
        ? 'The request body is not valid JSON.'
        : e.type === 'entity.too.large'
          ? 'The request is too large.'
          : status === 404
            ? 'Not found.'
            : status < 500 && e.expose
              ? (err as Error).message
              : 'Something went wrong on the daemon; it is in its log.';
    if (status >= 500) log.error({ err, path: req.path }, 'request failed');
    res.status(status).json({ ok: false, error: { code: status === 404 ? 'not_found' : status >= 500 ? 'internal' : 'invalid_request', message } });
  });
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
          ? new StartRefused(`HTTP port ${opts.port} on ${opts.host} is already in use (another daemon? use --port)`)
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

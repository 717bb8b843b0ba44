/**
 * Test fixtures for the SIP2 upstream backend: an embedded library behind our SIP2 server (the
 * upstream), a Sip2UpstreamBackend on its own temporary store in front of it, and small fake SIP2
 * servers (net.createServer) for behaviour our own server never shows (corrupt or slow replies).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { backendSchema, type UpstreamBackendConfig } from '../../../config/schema.ts';
import { Sip2UpstreamBackend } from '../../../daemon/circulation/sip2-upstream/index.ts';
import { loadConfig } from '../../../daemon/config.ts';
import { createLogger } from '../../../daemon/log.ts';
import { startDaemon, type Daemon } from '../../../daemon/main.ts';
import { startSip2Server, type Sip2ServerHandle } from '../../../daemon/sip2/server.ts';
import { openStore, type Db } from '../../../daemon/store/db.ts';
import { decode, encode, Sip2Framer, type Sip2Request, type Sip2Response } from '../../../protocols/sip2/index.ts';
import { TZ } from '../../helpers/engine.ts';
import { account, ACCOUNT_PASSWORD, startSip2Fixture, type Sip2Fixture } from '../../helpers/sip2.ts';

export { ACCOUNT_PASSWORD };

export function upstreamConfig(over: Record<string, unknown>): UpstreamBackendConfig {
  const c = backendSchema.parse({ kind: 'sip2-upstream', host: '127.0.0.1', user: 'kiosk', institutionId: 'SI-50000', location: '01', dialect: 'open-kiosk', ...over });
  if (c.kind !== 'sip2-upstream') throw new Error('not an upstream config');
  return c;
}

export interface UpstreamPair {
  fx: Sip2Fixture;
  backend: Sip2UpstreamBackend;
  /** The kiosk daemon's own store (offline queue). */
  db: Db;
  logs: string[];
  /** Stops the upstream SIP2 server (its library stays). */
  stopUpstream(): Promise<void>;
  /** Starts the upstream SIP2 server again on the same port, on the same library. */
  restartUpstream(): Promise<void>;
  makeBackend(over?: Record<string, unknown>, password?: string): Sip2UpstreamBackend;
  close(): Promise<void>;
}

export async function upstreamPair(opts: {
  data: Record<string, unknown>;
  policy?: Record<string, unknown>;
  backend?: Record<string, unknown>;
  password?: string;
  sip2Config?: Parameters<typeof startSip2Fixture>[0]['config'];
  accounts?: Parameters<typeof startSip2Fixture>[0]['accounts'];
}): Promise<UpstreamPair> {
  const fx = await startSip2Fixture({ data: opts.data, ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.sip2Config ? { config: opts.sip2Config } : {}), ...(opts.accounts ? { accounts: opts.accounts } : {}) });
  const port = fx.server.port;
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-upstream-'));
  const db = openStore({ file: join(dir, 'kiosk.sqlite') });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination: sink });
  const backends: Sip2UpstreamBackend[] = [];
  let restarted: Sip2ServerHandle | null = null;
  const makeBackend = (over: Record<string, unknown> = {}, password = opts.password ?? ACCOUNT_PASSWORD) => {
    const b = new Sip2UpstreamBackend({
      config: upstreamConfig({ port, reconnect: { minMs: 40, maxMs: 200 }, keepaliveS: 0, timeoutMs: 2000, ...opts.backend, ...over }),
      password,
      db,
      clock: fx.lib.clock,
      site: { department: '01', timezone: TZ, language: 'en' },
      currency: 'EUR',
      logger,
    });
    backends.push(b);
    return b;
  };
  const backend = makeBackend();
  return {
    fx,
    backend,
    db,
    logs,
    makeBackend,
    async stopUpstream() {
      await (restarted ?? fx.server).close();
    },
    async restartUpstream() {
      restarted = await startSip2Server({
        config: {
          enabled: true,
          host: '127.0.0.1',
          port,
          tls: null,
          idleTimeoutS: 600,
          maxConnections: 20,
          maxMessageBytes: 4096,
          shutdownGraceMs: 500,
          engineThread: false,
          accounts: opts.accounts ?? [account()],
          ...opts.sip2Config,
        },
        backend: fx.lib.engine,
        clock: fx.lib.clock,
        timezone: TZ,
        libraryName: 'Test Library',
        language: 'en',
        logger: createLogger({ level: 'silent' }),
      });
    },
    async close() {
      for (const b of backends) await b.close();
      await restarted?.close();
      await fx.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` holds (polling), or fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface FakeUpstream {
  port: number;
  /** Every line received, as text (terminator stripped). */
  received: string[];
  /** Everything received, as it came (terminators included). */
  wire(): string;
  connections: number;
  maxConcurrent: number;
  close(): Promise<void>;
}

/**
 * A minimal SIP2 server: `answer` gives the reply for a request (or raw bytes to send as they are,
 * or null for no reply). Replies carry AY/AZ when the request did.
 */
export async function fakeUpstream(
  answer: (req: Sip2Request, ctx: { raw: string; count: number; socket: Socket }) => Sip2Response | Uint8Array | null | Promise<Sip2Response | Uint8Array | null>,
): Promise<FakeUpstream> {
  const received: string[] = [];
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  let count = 0;
  let inFlight = 0;
  const fake: FakeUpstream = { port: 0, received, wire: () => Buffer.concat(chunks).toString('latin1'), connections: 0, maxConcurrent: 0, close: async () => undefined };
  const server: Server = createServer((socket) => {
    fake.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const framer = new Sip2Framer();
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      for (const frame of framer.push(chunk)) {
        if (frame.type !== 'message') continue;
        const raw = Buffer.from(frame.bytes).toString('latin1');
        received.push(raw);
        chain = chain.then(async () => {
          const r = decode(frame.bytes, { errorDetection: 'auto' });
          if (!r.ok) return;
          count++;
          inFlight++;
          fake.maxConcurrent = Math.max(fake.maxConcurrent, inFlight);
          try {
            const reply = await answer(r.message as Sip2Request, { raw, count, socket });
            if (reply === null || socket.destroyed) return;
            if (reply instanceof Uint8Array) socket.write(reply);
            else socket.write(encode(reply, { errorDetection: r.checksum !== null, sequenceNumber: r.sequenceNumber ?? 0 }).bytes);
          } finally {
            inFlight--;
          }
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}

export interface SipProxy {
  port: number;
  /** Every frame the kiosk side sent, as text (terminator stripped). */
  sent: string[];
  /** Closes the connection (both sides) instead of forwarding a frame from the kiosk side: the upstream never sees it. */
  dropWhen: ((frame: string) => boolean) | null;
  /** Forwards a frame, then closes the connection instead of passing on the upstream's reply to it. */
  swallowReplyWhen: ((frame: string) => boolean) | null;
  /** Down: every connection is closed as soon as it opens, and the open ones now (an unreachable upstream). */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a SIP2 server, cutting connections where a test says: the upstream
 * dropping the connection on one request, or its reply to one request never arriving. Frames are
 * split on CR and forwarded byte for byte.
 */
export async function sipProxy(targetPort: number): Promise<SipProxy> {
  const pairs = new Set<{ a: Socket; b: Socket }>();
  let down = false;
  const proxy: SipProxy = {
    port: 0,
    sent: [],
    dropWhen: null,
    swallowReplyWhen: null,
    setDown(v) {
      down = v;
      if (v) for (const p of pairs) (p.a.destroy(), p.b.destroy());
    },
    close: async () => undefined,
  };
  const frames = (onFrame: (frame: string) => boolean) => {
    let buf = '';
    return (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      let at: number;
      while ((at = buf.indexOf('\r')) >= 0) {
        const frame = buf.slice(0, at + 1);
        buf = buf.slice(at + 1);
        if (!onFrame(frame)) return;
      }
    };
  };
  const server = createServer((a) => {
    a.on('error', () => undefined);
    if (down) {
      a.destroy();
      return;
    }
    const b = new Socket();
    b.on('error', () => undefined);
    const pair = { a, b };
    pairs.add(pair);
    const cut = () => {
      a.destroy();
      b.destroy();
      pairs.delete(pair);
    };
    a.on('close', cut);
    b.on('close', cut);
    let swallow = 0;
    b.connect(targetPort, '127.0.0.1');
    a.on(
      'data',
      frames((frame) => {
        const text = frame.replace(/^\n/, '').replace(/\r$/, '');
        proxy.sent.push(text);
        if (proxy.dropWhen?.(text)) {
          cut();
          return false;
        }
        if (proxy.swallowReplyWhen?.(text)) swallow++;
        b.write(Buffer.from(frame, 'latin1'));
        return true;
      }),
    );
    b.on(
      'data',
      frames((frame) => {
        if (swallow > 0) {
          cut();
          return false;
        }
        a.write(Buffer.from(frame, 'latin1'));
        return true;
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.close = async () => {
    for (const p of pairs) (p.a.destroy(), p.b.destroy());
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

/**
 * Daemon B in this process: the whole daemon (HTTP, admin page, SIP2 bridge with the demo
 * accounts, simulated devices) with the upstream backend in front of the pair's library, on the
 * pair's clock, offline mode on. Built from the loaded default configuration with the backend
 * replaced, as a config file would.
 */
export async function startUpstreamDaemon(p: UpstreamPair, dataDir: string, backend: Record<string, unknown> = {}): Promise<Daemon> {
  const loaded = loadConfig({ dataDir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const config = {
    ...loaded.value.config,
    site: { ...loaded.value.config.site, timezone: TZ },
    sip2: { ...loaded.value.config.sip2, engineThread: false },
    backend: upstreamConfig({
      port: p.fx.server.port,
      password: ACCOUNT_PASSWORD,
      reconnect: { minMs: 40, maxMs: 200 },
      keepaliveS: 0,
      timeoutMs: 2000,
      offline: { enabled: true, replayIntervalMs: 100 },
      ...backend,
    }),
  };
  return startDaemon({ ...loaded.value, config, clock: p.fx.lib.clock, logger: createLogger({ level: 'silent' }) });
}

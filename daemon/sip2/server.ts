/**
 * The SIP2 bridge: a TCP (or TLS) server on the CirculationBackend. Per connection, messages are
 * handled strictly in order; a request repeated with the same sequence number and checksum gets the
 * previous reply instead of running again; 97 resends the last reply byte for byte; a corrupt
 * message gets 96; a known request that cannot be read gets its own response, refused, saying why.
 * Connections idle too long are closed; a connection limit protects the daemon; shutdown stops
 * accepting and lets in-flight transactions finish.
 */
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { Config, Sip2Account } from '../../config/schema.ts';
import type { KioskLanguage } from '../../protocols/kiosk-api/reasons.ts';
import { decode, decodeCharset, encode, isChecksumFailure, isRetransmission, maskWire, Sip2Framer, type Sip2Response } from '../../protocols/sip2/index.ts';
import type { Clock } from '../clock.ts';
import type { CirculationBackend } from '../circulation/backend.ts';
import { handleRequest, malformedRequest, type HandlerDeps, type Sip2Session } from './handlers.ts';
import { StartRefused } from '../start-refused.ts';
import { maskCard } from '../log.ts';

export type Sip2Config = Config['sip2'];

export interface Sip2ServerOptions {
  config: Sip2Config;
  backend: CirculationBackend;
  clock: Clock;
  timezone: string;
  libraryName: string;
  language: KioskLanguage;
  logger: Logger;
  /** The library's department codes (a check-in's AP is used only when it is one of them). */
  isDepartment?: (code: string) => boolean;
  /** A vendor locker bank's holdHours by pickup place (vendorHoldHoursOf in daemon/lockers/config.ts). */
  lockerHoldHours?: (pickupPlace: string) => number | undefined;
}

export interface Sip2ServerHandle {
  port: number;
  host: string;
  connections(): number;
  /** The open connections, for the admin page (read-only; no message content). */
  connectionList(): Sip2ConnectionInfo[];
  /** Messages received since start by command code ("invalid" for undecodable frames), for /metrics. */
  messageCounts(): Record<string, number>;
  close(): Promise<void>;
}

export interface Sip2ConnectionInfo {
  id: number;
  remote: string;
  /** The logged-in account (93), or null before login. */
  user: string | null;
  since: string;
  messages: number;
  lastMessageAt: string | null;
}

interface Connection {
  id: number;
  /** For connectionList() (the admin page). */
  info: { remote: string; since: string; messages: number; lastMessageAt: Date | null };
  socket: Socket;
  session: Sip2Session;
  framer: Sip2Framer;
  chain: Promise<void>;
  lastRequest: { sequenceNumber: number | null; checksum: string | null } | null;
  /** The last reply to a request, for a retransmission of that request (same AY and AZ). */
  lastReply: Uint8Array | null;
  /** The last message sent, a 96 included: what a 97 asks for (reference §97/96). */
  lastSent: Uint8Array | null;
  closing: boolean;
  /** Messages received and not yet answered. */
  busy: number;
  lastActivityMs: number;
}

interface Wire {
  charset: string;
  terminator: 'CR' | 'CRLF';
  errorDetection: 'off' | 'auto' | 'on';
  transliterate: boolean;
}

const DEFAULT_WIRE: Wire = { charset: 'utf-8', terminator: 'CR', errorDetection: 'auto', transliterate: false };
const wires = new WeakMap<Sip2Account, Wire>();

/** The charset and framing of a connection: its account's, or the defaults before login. */
function wireOf(account: Sip2Account | null): Wire {
  if (!account) return DEFAULT_WIRE;
  let w = wires.get(account);
  if (!w) {
    w = {
      charset: account.charset ?? 'utf-8',
      terminator: account.terminator ?? 'CR',
      errorDetection: account.errorDetection ?? 'auto',
      transliterate: account.transliterate ?? false,
    };
    wires.set(account, w);
  }
  return w;
}

/** Response codes: a client sending one of these is not making a request (they are ignored). */
const RESPONSE_CODES = new Set(['94', '98', '24', '64', '12', '10', '30', '66', '18', '20', '26', '16', '36', '38', '96']);
/** Requests that change something: each gets a transaction line in the log. */
const LOGGED_TRANSACTIONS = new Set(['11', '09', '29', '65', '15', '37', '01', '25']);

export async function startSip2Server(opts: Sip2ServerOptions): Promise<Sip2ServerHandle> {
  const { config, logger } = opts;
  const log = logger.child({ component: 'sip2' });
  // The transaction line (one per checkout, check-in…) has a fixed shape built below, with no PIN or
  // password field in it: redacting top-level keys is guard enough, and skips the daemon-wide
  // wildcard redaction's walk and copy of every object (about 8 µs a line on this path).
  const txLog = log.child({}, { redact: { paths: ['pin', 'password'], censor: '***' } });
  const deps: HandlerDeps = {
    backend: opts.backend,
    clock: opts.clock,
    timezone: opts.timezone,
    accounts: config.accounts,
    libraryName: opts.libraryName,
    defaultLanguage: opts.language,
    ...(opts.isDepartment ? { isDepartment: opts.isDepartment } : {}),
    ...(opts.lockerHoldHours ? { lockerHoldHours: opts.lockerHoldHours } : {}),
  };
  const open = new Set<Connection>();
  let nextId = 1;
  const messagesByCommand: Record<string, number> = {};
  let stopping = false;

  const send = (c: Connection, bytes: Uint8Array, remember = true) => {
    if (c.socket.destroyed) return;
    c.socket.write(bytes);
    c.lastSent = bytes;
    if (remember) c.lastReply = bytes;
    // Checked first: maskWire would otherwise run for every message even with debug logging off.
    if (log.isLevelEnabled('debug')) log.debug({ conn: c.id, out: maskWire(bytes, { charset: wireOf(c.session.account).charset }) }, 'sip2 >');
  };

  const closeConn = (c: Connection, why: string) => {
    if (c.closing) return;
    c.closing = true;
    log.info({ conn: c.id, user: c.session.account?.user ?? null, reason: why }, 'sip2 connection closed');
    c.socket.end();
    setTimeout(() => c.socket.destroy(), 1000).unref();
  };

  const handleFrame = async (c: Connection, bytes: Uint8Array): Promise<void> => {
    const wire = wireOf(c.session.account);
    const result = decode(bytes, { charset: wire.charset, errorDetection: wire.errorDetection });
    const command = result.ok ? result.message.code : (result.commandCode ?? 'invalid');
    messagesByCommand[command] = (messagesByCommand[command] ?? 0) + 1;
    c.info.messages++;
    c.info.lastMessageAt = opts.clock.now();
    if (log.isLevelEnabled('debug')) log.debug({ conn: c.id, in: maskWire(bytes, { charset: wire.charset }) }, 'sip2 <');
    if (!result.ok) {
      if (isChecksumFailure(result) || (result.commandCode && result.errors.some((e) => e.code === 'missing-checksum'))) {
        // 96 "send it again" goes out with only AZ. A 97 repeats it (the client missed it and must
        // still resend), but a retransmission of the request before still gets that one's reply.
        send(c, requestResend(wire), false);
        return;
      }
      log.warn({ conn: c.id, errors: result.errors.map((e) => e.code), command: result.commandCode }, 'sip2 message not understood');
      // Garbage before login ends the connection; unknown commands get no reply (reference §1).
      if (!c.session.account) {
        closeConn(c, 'garbage before login');
        return;
      }
      if (result.commandCode === '97') {
        // A 97 with something after it is still a request to resend.
        resendLast(c, wire);
        return;
      }
      // A known request that could not be read still gets its one reply: refused, saying why (AF).
      // Unknown commands and response codes get none (reference §1).
      if (result.commandCode === null) return;
      const out = await malformedRequest(result.commandCode, decodeCharset(bytes, wire.charset), result.errors, c.session, deps);
      if (out.reply) {
        c.lastRequest = { sequenceNumber: result.sequenceNumber, checksum: result.checksum };
        sendReply(c, out.reply, result.sequenceNumber, result.checksum !== null);
      }
      if (out.close) closeConn(c, out.close);
      return;
    }
    const msg = result.message;
    if (msg.code === '97') {
      resendLast(c, wire);
      return;
    }
    if (!('patronIdentifier' in msg) && !('itemIdentifier' in msg) && msg.code !== '93' && msg.code !== '99') {
      // A response code sent to us (e.g. 94) is not a request: ignore it.
      if (RESPONSE_CODES.has(msg.code)) return;
    }
    const envelope = { sequenceNumber: result.sequenceNumber, checksum: result.checksum };
    if (c.lastReply && isRetransmission(c.lastRequest, envelope)) {
      // The same request again (same AY and AZ): the client missed our reply. Resend, do not redo.
      log.info({ conn: c.id, code: msg.code }, 'sip2 retransmission answered from the last reply');
      send(c, c.lastReply);
      return;
    }
    c.lastRequest = envelope;
    if (RESPONSE_CODES.has(msg.code)) return;
    let out;
    try {
      out = await handleRequest(msg as Parameters<typeof handleRequest>[0], c.session, deps);
    } catch (e) {
      log.error({ conn: c.id, err: e, code: msg.code }, 'sip2 handler failed');
      out = { reply: null, close: 'internal error' };
    }
    if (out.reply) {
      sendReply(c, out.reply, result.sequenceNumber, result.checksum !== null);
      logTransaction(c, msg.code, out.reply as Sip2Response);
    }
    if (out.close) closeConn(c, out.close);
  };

  /** 96, "send it again": only AZ with error detection (reference §3). */
  const requestResend = (wire: Wire) =>
    encode({ code: '96' }, { charset: wire.charset, terminator: wire.terminator, errorDetection: wire.errorDetection !== 'off' }).bytes;

  /**
   * 97: the last message sent again, byte for byte, even if it was a 96 (reference §97/96): a client
   * that missed our 96 and got the reply before it instead would take a reply to an older request
   * for this one. 96 when nothing was sent yet.
   */
  const resendLast = (c: Connection, wire: Wire) => {
    send(c, c.lastSent ?? requestResend(wire), false);
  };

  const sendReply = (c: Connection, reply: Sip2Response, sequenceNumber: number | null, requestHadChecksum: boolean) => {
    const w = wireOf(c.session.account);
    const encoded = encode(reply, {
      charset: w.charset,
      terminator: w.terminator,
      // Error detection is answered in kind: on when the account says so or the request had it.
      errorDetection: w.errorDetection === 'on' || (w.errorDetection === 'auto' && requestHadChecksum),
      sequenceNumber: sequenceNumber ?? 0,
      transliterate: w.transliterate,
    });
    send(c, encoded.bytes);
  };

  const logTransaction = (c: Connection, code: string, reply: Sip2Response) => {
    if (!LOGGED_TRANSACTIONS.has(code)) return;
    const r = reply as unknown as Record<string, unknown>;
    txLog.info(
      {
        conn: c.id,
        user: c.session.account?.user,
        code,
        ok: r.ok ?? r.paymentAccepted ?? null,
        item: r.itemIdentifier ?? null,
        patron: maskCard(typeof r.patronIdentifier === 'string' ? r.patronIdentifier : null),
        message: Array.isArray(r.screenMessage) ? r.screenMessage[0] : undefined,
      },
      'sip2 transaction',
    );
  };

  const onConnection = (socket: Socket) => {
    if (stopping) {
      socket.destroy();
      return;
    }
    if (open.size >= config.maxConnections) {
      log.warn({ remote: socket.remoteAddress, limit: config.maxConnections }, 'sip2 connection refused: limit reached');
      socket.destroy();
      return;
    }
    const c: Connection = {
      id: nextId++,
      socket,
      session: { account: null, verifiedPatrons: new Set(), failedLogins: 0 },
      framer: new Sip2Framer({ maxLength: config.maxMessageBytes }),
      chain: Promise.resolve(),
      lastRequest: null,
      lastReply: null,
      lastSent: null,
      closing: false,
      busy: 0,
      lastActivityMs: Date.now(),
      info: { remote: `${socket.remoteAddress}:${socket.remotePort}`, since: opts.clock.now().toISOString(), messages: 0, lastMessageAt: null },
    };
    open.add(c);
    log.info({ conn: c.id, remote: `${socket.remoteAddress}:${socket.remotePort}` }, 'sip2 connection');
    socket.setNoDelay(true);
    socket.setTimeout(config.idleTimeoutS * 1000, () => closeConn(c, 'idle timeout'));
    socket.on('data', (chunk: Buffer) => {
      if (c.closing) return;
      for (const frame of c.framer.push(chunk)) {
        if (frame.type === 'oversized') {
          log.warn({ conn: c.id, length: frame.length, max: frame.maxLength }, 'sip2 message too long');
          closeConn(c, 'message too long');
          return;
        }
        // One at a time, in order: the next message waits for the previous transaction.
        c.busy++;
        c.lastActivityMs = Date.now();
        c.chain = c.chain
          .then(() => (c.closing ? undefined : handleFrame(c, frame.bytes)))
          .finally(() => {
            c.busy--;
            c.lastActivityMs = Date.now();
          });
      }
    });
    socket.on('error', (e) => log.debug({ conn: c.id, err: e.message }, 'sip2 socket error'));
    socket.on('close', () => open.delete(c));
  };

  let server: Server;
  if (config.tls) {
    server = createTlsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, onConnection);
  } else {
    server = createTcpServer(onConnection);
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new StartRefused(`SIP2 port ${config.port} on ${config.host} is already in use (use --sip2-port)`) : e);
    server.once('error', onError);
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: config.host, port, tls: !!config.tls, accounts: config.accounts.map((a) => a.user) }, 'sip2 listening');

  return {
    port,
    host: config.host,
    connections: () => open.size,
    connectionList: () =>
      [...open].map((c) => ({
        id: c.id,
        user: c.session.account?.user ?? null,
        ...c.info,
        lastMessageAt: c.info.lastMessageAt?.toISOString() ?? null,
      })),
    messageCounts: () => ({ ...messagesByCommand }),
    async close() {
      stopping = true;
      // Stop accepting now; the close callback comes once the open connections are gone.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Let every connection finish what it is doing (and what is already on its way to us:
      // a connection counts as drained after 100 ms without traffic), then close it.
      const deadline = Date.now() + config.shutdownGraceMs;
      while (Date.now() < deadline && [...open].some((c) => c.busy > 0 || Date.now() - c.lastActivityMs < 100)) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const c of open) {
        c.closing = true;
        c.socket.destroy();
      }
      open.clear();
      await closed;
    },
  };
}

/** A SIP2 server on a temporary library, for tests: real TCP on 127.0.0.1, real SQLite. */
import { Writable } from 'node:stream';
import { connect, type Socket } from 'node:net';
import { hashPin } from '../../daemon/circulation/pin.ts';
import { createLogger } from '../../daemon/log.ts';
import { Sip2Client, type Sip2ClientOptions } from '../../daemon/sip2/client.ts';
import { startSip2Server, type Sip2Config, type Sip2ServerHandle } from '../../daemon/sip2/server.ts';
import type { Sip2Account } from '../../config/schema.ts';
import { makeLibrary, TZ, type TestLibrary } from './engine.ts';
import type { Sip2Request, Sip2Response } from '../../protocols/sip2/index.ts';
import { expect } from 'vitest';

export const ACCOUNT_PASSWORD = 'kiosk-secret';
const PASSWORD_HASH = hashPin(ACCOUNT_PASSWORD);

export function account(over: Partial<Sip2Account> = {}): Sip2Account {
  return {
    user: 'kiosk',
    passwordHash: PASSWORD_HASH,
    institutionId: 'SI-50000',
    location: '01',
    messages: 'all',
    charset: 'utf-8',
    terminator: 'CR',
    errorDetection: 'auto',
    scStatusBeforeLogin: false,
    patronPasswordRequired: true,
    checkinOkWhenNotOnLoan: true,
    transliterate: false,
    ...over,
  };
}

export interface Sip2Fixture {
  lib: TestLibrary;
  server: Sip2ServerHandle;
  logs: string[];
  client(opts?: Partial<Sip2ClientOptions>): Promise<Sip2Client>;
  loggedIn(opts?: Partial<Sip2ClientOptions>, user?: string): Promise<Sip2Client>;
  socket(): Promise<Socket>;
  close(): Promise<void>;
}

export async function startSip2Fixture(opts: {
  data: Record<string, unknown> | string;
  accounts?: Sip2Account[];
  config?: Partial<Sip2Config>;
  policy?: Record<string, unknown>;
  preset?: string;
  now?: string;
  /** A vendor locker bank's holdHours by pickup place, as `kiosk start` passes it from the lockers config. */
  lockerHoldHours?: (pickupPlace: string) => number | undefined;
}): Promise<Sip2Fixture> {
  const lib = makeLibrary({ data: opts.data, ...(opts.policy ? { policy: opts.policy } : {}), ...(opts.preset ? { preset: opts.preset } : {}), ...(opts.now ? { now: opts.now } : {}) });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const server = await startSip2Server({
    config: {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      tls: null,
      idleTimeoutS: 600,
      maxConnections: 20,
      maxMessageBytes: 4096,
      shutdownGraceMs: 2000,
      engineThread: false, // the fixture hands the server its own in-process engine
      accounts: opts.accounts ?? [account()],
      ...opts.config,
    },
    backend: lib.engine,
    clock: lib.clock,
    timezone: TZ,
    libraryName: 'Test Library',
    language: 'en',
    logger: createLogger({ level: 'debug', destination: sink }),
    isDepartment: (code) => !!lib.db.prepare('SELECT 1 FROM departments WHERE code = ?').get(code),
    ...(opts.lockerHoldHours ? { lockerHoldHours: opts.lockerHoldHours } : {}),
  });
  const clients: Sip2Client[] = [];
  const sockets: Socket[] = [];
  const fx: Sip2Fixture = {
    lib,
    server,
    logs,
    async client(o = {}) {
      const c = await Sip2Client.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 3000, ...o });
      clients.push(c);
      return c;
    },
    async loggedIn(o = {}, user = 'kiosk') {
      const c = await fx.client(o);
      if (!(await c.login(user, ACCOUNT_PASSWORD))) throw new Error('login refused');
      return c;
    },
    socket() {
      return new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: server.port }, () => resolve(s));
        s.once('error', reject);
        sockets.push(s);
      });
    },
    async close() {
      clients.forEach((c) => c.close());
      sockets.forEach((s) => s.destroy());
      await server.close();
      lib.close();
    },
  };
  return fx;
}

/** Reads from a raw socket until `count` CR-terminated lines have arrived (or the socket closes). */
export function readLines(socket: Socket, count: number, timeoutMs = 3000): Promise<{ lines: string[]; closed: boolean }> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      socket.off('data', onData);
      clearTimeout(timer);
      resolve({ lines: buf.split(/\r\n?|\n/).filter((l) => l !== ''), closed });
    };
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      if ((buf.match(/\r/g) ?? []).length >= count) finish(false);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', onData);
    socket.once('close', () => finish(true));
  });
}

/** A 11 Checkout for the test library (AO SI-50000), with the patron's PIN when given. */
export function checkoutRequest(patron: string, item: string, pin?: string): Sip2Request {
  return {
    code: '11',
    scRenewalPolicy: false,
    noBlock: false,
    transactionDate: null,
    nbDueDate: null,
    institutionId: 'SI-50000',
    patronIdentifier: patron,
    itemIdentifier: item,
    terminalPassword: '',
    ...(pin ? { patronPassword: pin } : {}),
  };
}

/** The reply of the expected kind (failing the test otherwise), typed as it. */
export function replyAs<C extends Sip2Response['code']>(m: Sip2Response, code: C): Extract<Sip2Response, { code: C }> {
  expect(m.code).toBe(code);
  return m as Extract<Sip2Response, { code: C }>;
}

/**
 * Locker pickup notices through an HTTP SMS gateway (daemon/lockers/notify.ts HttpSmsSender,
 * `lockers.sms: {kind: http}`): a real HTTP server on 127.0.0.1 plays the gateway. The request a
 * gateway sees, its refusals, no answer and no connection, what reaches the log (never the text
 * with its pickup code, the token or the URL's query), the config's checks, and the daemon with the
 * demo locker wall sending the notice there when staff close a loaded door.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../daemon/clock.ts';
import { loadConfig } from '../../daemon/config.ts';
import { lockersConfigSchema } from '../../daemon/lockers/config.ts';
import { HttpSmsSender, LogSmsSender, makeSmsSender } from '../../daemon/lockers/notify.ts';
import { createLogger } from '../../daemon/log.ts';
import { startDaemon } from '../../daemon/main.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A gateway on 127.0.0.1 that records each request and answers with `answer` (or never, when it returns null). */
async function gateway(answer: (seen: Seen) => { status: number; body: string } | null = () => ({ status: 200, body: '{"id":"m-1"}' })) {
  const seen: Seen[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      const a = answer(s);
      if (!a) {
        hanging.push(res);
        return;
      }
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { seen, port, url: `http://127.0.0.1:${port}/v1/send?api_key=SECRETKEY` };
}

function logSink() {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    }),
  });
  return { logger, lines };
}

const TEXT = 'Demo Library: "Alamut" vas čaka v paketniku Locker wall, predal 01. Koda 1234 5678, do 5. 3. 2026, 10:00.';

describe('HttpSmsSender', () => {
  it('POSTs {to, text, from} as JSON with the bearer token; the log has the masked number and the host, not the text, token or key', async () => {
    const gw = await gateway();
    const { logger, lines } = logSink();
    const sms = new HttpSmsSender({ url: gw.url, token: 'tok-123', from: 'Knjiznica', timeoutS: 5 }, logger);
    await sms.send('+38640222333', TEXT);
    expect(gw.seen).toHaveLength(1);
    const r = gw.seen[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/v1/send?api_key=SECRETKEY');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers.authorization).toBe('Bearer tok-123');
    expect(JSON.parse(r.body)).toEqual({ to: '+38640222333', text: TEXT, from: 'Knjiznica' });
    const log = lines.join('');
    expect(log).toContain(`SMS to +386…333 handed to the gateway 127.0.0.1:${gw.port} (HTTP 200)`);
    for (const secret of ['1234 5678', 'tok-123', 'SECRETKEY', '38640222333']) expect(log).not.toContain(secret);
  });

  it('without a token or a sender name the request has neither', async () => {
    const gw = await gateway();
    await new HttpSmsSender({ url: gw.url, timeoutS: 5 }, logSink().logger).send('+38641999888', 'x');
    expect(gw.seen[0]!.headers.authorization).toBeUndefined();
    expect(JSON.parse(gw.seen[0]!.body)).toEqual({ to: '+38641999888', text: 'x' });
  });

  it('a refusal is an error with the status and the gateway\'s words', async () => {
    const gw = await gateway(() => ({ status: 503, body: '{"error": "quota\n exceeded"}' }));
    const sms = new HttpSmsSender({ url: gw.url, timeoutS: 5 }, logSink().logger);
    await expect(sms.send('+38640222333', TEXT)).rejects.toThrow(`the SMS gateway 127.0.0.1:${gw.port} answered HTTP 503: {"error": "quota exceeded"}`);
    // A gateway that echoes the message back: the error (which is logged) keeps neither the code nor the number.
    const echo = await gateway((seen) => ({ status: 400, body: `rejected ${seen.body}` }));
    const err = await new HttpSmsSender({ url: echo.url, timeoutS: 5 }, logSink().logger).send('+38640222333', TEXT).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^the SMS gateway 127\.0\.0\.1:\d+ answered HTTP 400: rejected \{"to":"\+####"/);
    expect(err?.message).not.toMatch(/1234|5678|38640222333/);
  });

  it('no answer within timeoutS, and no connection, are errors that name the host only', async () => {
    const gw = await gateway(() => null);
    const slow = new HttpSmsSender({ url: gw.url, timeoutS: 1 }, logSink().logger);
    const t0 = Date.now();
    await expect(slow.send('+38640222333', TEXT)).rejects.toThrow(`the SMS gateway 127.0.0.1:${gw.port} did not answer within 1 s`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);

    // A port nobody listens on: take one from a server and close it.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const down = new HttpSmsSender({ url: `http://127.0.0.1:${closedPort}/send?api_key=SECRETKEY`, timeoutS: 5 }, logSink().logger);
    const err = await down.send('+38640222333', TEXT).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toBe(`the SMS gateway 127.0.0.1:${closedPort} could not be reached: ECONNREFUSED`);
  });
});

describe('lockers.sms configuration', () => {
  it('log is the default; http needs an http(s) URL and takes a token variable, a sender and a timeout (10 s by default)', () => {
    expect(lockersConfigSchema.parse({}).sms).toEqual({ kind: 'log' });
    expect(lockersConfigSchema.parse({ sms: { kind: 'http', url: 'https://sms.example/send', tokenEnv: 'SMS_TOKEN' } }).sms).toEqual({
      kind: 'http',
      url: 'https://sms.example/send',
      tokenEnv: 'SMS_TOKEN',
      timeoutS: 10,
    });
    for (const url of ['ftp://sms.example/send', 'sms.example/send', 'https://']) {
      const r = lockersConfigSchema.safeParse({ sms: { kind: 'http', url } });
      expect(r.success).toBe(false);
      expect(r.error!.issues.map((i) => i.message)).toContain('the SMS gateway URL must be an http:// or https:// address');
    }
    expect(lockersConfigSchema.safeParse({ sms: { kind: 'http', url: 'https://sms.example/send', password: 'x' } }).success).toBe(false);
    expect(lockersConfigSchema.safeParse({ sms: { kind: 'carrier-pigeon' } }).success).toBe(false);
  });

  it('makeSmsSender: log gives the logging sender; http with an unset token variable says so at start', () => {
    const { logger, lines } = logSink();
    expect(makeSmsSender({ kind: 'log' }, logger)).toBeInstanceOf(LogSmsSender);
    const http = makeSmsSender({ kind: 'http', url: 'https://sms.example/send', tokenEnv: 'KIOSK_TEST_UNSET_SMS_TOKEN', timeoutS: 10 }, logger, {});
    expect(http).toBeInstanceOf(HttpSmsSender);
    expect(lines.join('')).toContain('lockers.sms.tokenEnv names KIOSK_TEST_UNSET_SMS_TOKEN, which is not set');
  });
});

describe('the daemon with an HTTP SMS gateway (demo locker wall)', () => {
  it('closing a loaded door sends the pickup notice to the gateway with the token from the environment', async () => {
    const gw = await gateway();
    const dataDir = mkdtempSync(join(tmpdir(), 'kiosk-locker-sms-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const loaded = loadConfig({ dataDir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const { config, policy } = loaded.value;
    config.lockers.sms = { kind: 'http', url: gw.url, tokenEnv: 'KIOSK_TEST_SMS_TOKEN', from: 'Library', timeoutS: 5 };
    process.env.KIOSK_TEST_SMS_TOKEN = 'tok-daemon';
    cleanups.push(() => delete process.env.KIOSK_TEST_SMS_TOKEN);
    const clock = new ManualClock('2026-03-02T10:00:00+01:00');
    const daemon = await startDaemon({ config, policy, clock, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => daemon.close());
    const lockers = daemon.lockers!;

    // The demo patron 0100009 has a copy reserved for the locker wall.
    expect(await lockers.finishProcessing('30100000040')).toMatchObject({ ok: true, bank: 'L1', compartment: '01' });
    expect(await lockers.load('L1', '01')).toMatchObject({ ok: true });
    daemon.simulator!.locker.closeDoor(0, 1);
    const deadline = Date.now() + 10_000;
    while (gw.seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(gw.seen).toHaveLength(1);
    expect(gw.seen[0]!.headers.authorization).toBe('Bearer tok-daemon');
    const sent = JSON.parse(gw.seen[0]!.body) as { to: string; text: string; from: string };
    expect(sent.to).toBe('+38640222333');
    expect(sent.from).toBe('Library');
    expect(sent.text).toMatch(/predal 01\. Koda \d{4} \d{4}/);
    // The code in the SMS opens the compartment.
    const code = /Koda (\d{4} \d{4})/.exec(sent.text)![1]!;
    expect(await lockers.pickupByCode(code, { idempotencyKey: 'kiosk-sms-1' })).toMatchObject({ ok: true, patron: '0100009' });
  }, 30_000);
});

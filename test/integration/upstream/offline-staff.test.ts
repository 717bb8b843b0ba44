/**
 * Offline mode of the SIP2 upstream backend, from a reviewer's findings: replays the upstream chokes
 * on, requests sent online whose answer never came, offline renewals against a later due date, what
 * SIP2 98 says while offline, and what staff see of it all (the admin page, /health, /metrics,
 * `kiosk offline`). Real TCP (our SIP2 server as the upstream, a cutting proxy in between where
 * the upstream must misbehave) and real SQLite stores on both sides.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sip2UpstreamBackend } from '../../../daemon/circulation/sip2-upstream/index.ts';
import { OfflineQueue } from '../../../daemon/circulation/offline-queue.ts';
import { ManualClock } from '../../../daemon/clock.ts';
import { loadConfig } from '../../../daemon/config.ts';
import { createLogger } from '../../../daemon/log.ts';
import { startDaemon, type Daemon } from '../../../daemon/main.ts';
import { Sip2Client } from '../../../daemon/sip2/client.ts';
import { startSip2Server, type Sip2ServerHandle } from '../../../daemon/sip2/server.ts';
import { openStore } from '../../../daemon/store/db.ts';
import { makeSummary, type Sip2Request, type Sip2Response } from '../../../protocols/sip2/index.ts';
import { baseData, TZ } from '../../helpers/engine.ts';
import { runKiosk } from '../../helpers/process.ts';
import { account, ACCOUNT_PASSWORD, checkoutRequest, replyAs } from '../../helpers/sip2.ts';
import { loginCookie } from '../../helpers/staff.ts';
import { sipProxy, startUpstreamDaemon, until, upstreamPair, type SipProxy, type UpstreamPair } from './fixture.ts';

let pair: UpstreamPair | undefined;
let proxy: SipProxy | undefined;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await proxy?.close();
  proxy = undefined;
  await pair?.close();
  pair = undefined;
});

const AO = 'SI-50000';
const sc: Sip2Request = { code: '99', statusCode: '0', maxPrintWidth: 40, protocolVersion: '2.00' };
const checkout = checkoutRequest;
const checkin = (item: string): Sip2Request => ({ code: '09', noBlock: false, transactionDate: null, returnDate: null, currentLocation: '01', institutionId: AO, itemIdentifier: item, terminalPassword: '' });

const as = replyAs;

function upstreamLoans(p: UpstreamPair): unknown[] {
  return p.fx.lib.db
    .prepare(`SELECT i.barcode AS item, p.barcode AS patron FROM loans l JOIN items i ON i.id = l.item_id JOIN patrons p ON p.id = l.patron_id WHERE l.closed_at IS NULL ORDER BY i.barcode`)
    .all();
}

/** Our SIP2 server in front of a backend (the bridge of daemon B), with the test account. */
async function bridge(backend: Sip2UpstreamBackend, clock: ManualClock): Promise<Sip2Client> {
  const server: Sip2ServerHandle = await startSip2Server({
    config: { enabled: true, host: '127.0.0.1', port: 0, tls: null, idleTimeoutS: 600, maxConnections: 20, maxMessageBytes: 4096, shutdownGraceMs: 200, engineThread: false, accounts: [account()] },
    backend,
    clock,
    timezone: TZ,
    libraryName: 'Kiosk B',
    language: 'en',
    logger: createLogger({ level: 'silent' }),
  });
  const client = await Sip2Client.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 5000 });
  cleanups.push(async () => {
    client.close();
    await server.close();
  });
  expect(await client.login('kiosk', ACCOUNT_PASSWORD)).toBe(true);
  return client;
}

describe('offline replays that fail', () => {
  it('a queued loan the upstream drops the connection on: every attempt counts, after 5 it is an error for staff and the rest of the queue goes on; the later return of that item waits until staff resolve it', async () => {
    pair = await upstreamPair({ data: baseData() });
    proxy = await sipProxy(pair.fx.server.port);
    const b = pair.makeBackend({ port: proxy.port, offline: { enabled: true, replayIntervalMs: 50 } });
    await b.start();
    proxy.setDown(true);
    expect((await b.checkout({ patron: '0100001', item: 'B3' })).ok).toBe(true); // #1: the upstream will choke on it
    expect((await b.checkout({ patron: '0100002', item: 'B2' })).ok).toBe(true); // #2
    expect((await b.checkin({ item: 'B3' })).ok).toBe(true); // #3: the same item as #1, after it
    expect(b.offlineTransactions().map((t) => [t.id, t.operation, t.item])).toEqual([
      [1, 'checkout', 'B3'],
      [2, 'checkout', 'B2'],
      [3, 'checkin', 'B3'],
    ]);

    // Back, but whenever #1's replay reaches it, the upstream drops the connection.
    proxy.dropWhen = (f) => f.startsWith('11') && f.includes('|ABB3|');
    proxy.setDown(false);
    await until(() => b.offlineTransaction(1)?.state === 'error', 10_000, 'the failing loan handed to staff');
    await until(() => b.offlineTransaction(2)?.state === 'replayed_ok', 5000, 'the rest of the queue');
    expect(b.offlineTransaction(1)).toMatchObject({ state: 'error', attempts: 5, lastError: expect.stringMatching(/^closed: /) });
    expect(proxy.sent.filter((f) => f.startsWith('11') && f.includes('|ABB3|'))).toHaveLength(5);
    expect(upstreamLoans(pair)).toEqual([{ item: 'B2', patron: '0100002' }]);
    // The return of B3 waits for the loan whose outcome is unknown; B3 stays blocked from lending.
    await new Promise((r) => setTimeout(r, 200));
    expect(b.offlineTransaction(3)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(proxy.sent.some((f) => f.startsWith('09'))).toBe(false);
    expect(b.offlineProblems().map((p) => [p.id, p.state])).toEqual([[1, 'error']]);
    expect(b.offlineWaitingBehind(1)).toBe(1);
    expect((await b.status()).offline).toEqual({ enabled: true, active: false, queued: 1, unresolved: 1 });
    expect(pair.logs.join('')).toContain('offline transaction could not be replayed; handed to staff');

    // Staff put it right (the upstream never had the loan); the return goes on by itself.
    proxy.dropWhen = null;
    expect(b.resolveOfflineTransaction(1, 'desk-1', 'item was back on the shelf')).toMatchObject({ state: 'error', resolvedBy: 'desk-1' });
    await until(() => b.offlineTransaction(3)?.state === 'replayed_ok', 5000, 'the return after the resolved loan');
    expect(b.offlineProblems()).toEqual([]);
    expect(upstreamLoans(pair)).toEqual([{ item: 'B2', patron: '0100002' }]);
  }, 30_000);
});

describe('a request sent online whose answer never came', () => {
  it('a checkout is queued whatever the offline limits say, the log says so, and the no-block replay finds the loan the upstream made; a return likewise', async () => {
    pair = await upstreamPair({ data: baseData() });
    proxy = await sipProxy(pair.fx.server.port);
    // Offline, 0100001 could not borrow at all: not in the allowed cards, and no offline items.
    const b = pair.makeBackend({ port: proxy.port, offline: { enabled: true, allowedPatronPattern: 'GUEST-\\d+', maxItemsPerPatron: 0, replayIntervalMs: 60_000 } });
    await b.start();
    expect((await b.verifyPatron('0100001', '1234')).ok).toBe(true);
    proxy.swallowReplyWhen = (f) => f.startsWith('11') && f.includes('|ABB2|');
    const lent = await b.checkout({ patron: '0100001', item: 'B2' }, { idempotencyKey: 'kiosk-1:7' });
    expect(lent).toMatchObject({ ok: true, item: 'B2', offline: { provisional: true, queueId: 1 } });
    expect(upstreamLoans(pair)).toEqual([{ item: 'B2', patron: '0100001' }]); // the upstream did make it
    expect(b.offlineTransactions().map((t) => [t.operation, t.patron, t.item, t.state])).toEqual([['checkout', '0100001', 'B2', 'queued']]);
    const log = () => pair!.logs.map((l) => JSON.parse(l) as { msg: string; queueId?: number });
    expect(log().filter((l) => l.msg === 'checkout outcome unknown; queued for a no-block replay')).toEqual([expect.objectContaining({ queueId: 1 })]);

    proxy.swallowReplyWhen = null;
    expect(await b.replayOffline()).toMatchObject({ replayed: 1, refused: 0, failed: 0, remaining: 0 });
    expect(b.offlineTransaction(1)).toMatchObject({ state: 'replayed_ok' });
    expect(upstreamLoans(pair)).toEqual([{ item: 'B2', patron: '0100001' }]);
    expect(pair.fx.lib.db.prepare(`SELECT COUNT(*) AS n FROM journal WHERE kind = 'checkout'`).get()).toEqual({ n: 1 });

    proxy.swallowReplyWhen = (f) => f.startsWith('09') && f.includes('|ABB2|');
    expect(await b.checkin({ item: 'B2' })).toMatchObject({ ok: true, offline: { provisional: true, queueId: 2 } });
    expect(upstreamLoans(pair)).toEqual([]);
    expect(log().filter((l) => l.msg === 'checkin outcome unknown; queued for a no-block replay')).toEqual([expect.objectContaining({ queueId: 2 })]);
    proxy.swallowReplyWhen = null;
    expect(await b.replayOffline()).toMatchObject({ replayed: 1, remaining: 0 });
    expect(pair.logs.join('')).not.toContain('AD1234');
  }, 30_000);
});

describe('offline renewals', () => {
  it('never give a due date earlier than the loan has: refused with the current date (nothing queued); one that makes it later is taken', async () => {
    pair = await upstreamPair({ data: baseData(), backend: { offline: { enabled: true, loanPeriodDays: 14, replayIntervalMs: 60_000 } } });
    const b = pair.backend;
    await b.start();
    expect((await b.verifyPatron('0100001', '1234')).ok).toBe(true);
    expect(await b.checkout({ patron: '0100001', item: 'B1' })).toMatchObject({ ok: true, dueDate: '2026-03-23' });
    pair.fx.lib.clock.advanceMs(2 * 86_400_000); // 2026-03-04
    expect(await b.renew({ patron: '0100001', item: 'B1' })).toMatchObject({ ok: true, dueDate: '2026-03-25' });

    await pair.stopUpstream();
    expect((await b.status()).online).toBe(false); // noticed (the daemon asks every 2 s), so nothing is sent
    // Offline: today + 14 days = 2026-03-18, a week before the loan's date.
    expect(await b.renew({ patron: '0100001', item: 'B1' })).toMatchObject({
      ok: false,
      reason: 'renewal_no_extension',
      screenMessage: 'A renewal today would not extend the due date.',
      details: { dueDate: '2026-03-25', offlineDueDate: '2026-03-18', offline: true },
    });
    expect(b.offlineTransactions()).toEqual([]);

    const longer = pair.makeBackend({ offline: { enabled: true, loanPeriodDays: 30, replayIntervalMs: 60_000 } });
    expect(await longer.renew({ patron: '0100001', item: 'B1' })).toMatchObject({ ok: true, dueDate: '2026-04-03', previousDueDate: '2026-03-25', offline: { provisional: true } });
    // And the date that one gave is what the next offline renewal is held against.
    expect(await b.renew({ patron: '0100001', item: 'B1' })).toMatchObject({ ok: false, reason: 'renewal_no_extension', details: { dueDate: '2026-04-03' } });
  });
});

describe('SIP2 98 in front of an unreachable upstream', () => {
  it('with offline mode: on-line N, checkin and checkout ok Y, AF says it works offline, and a loan is indeed taken; without: checkin and checkout ok N', async () => {
    pair = await upstreamPair({ data: baseData(), backend: { offline: { enabled: true, replayIntervalMs: 60_000 } } });
    await pair.backend.start();
    const strict = pair.makeBackend({ offline: { enabled: false } });
    await strict.start();
    const clock = pair.fx.lib.clock;
    const withOffline = await bridge(pair.backend, clock);
    const without = await bridge(strict, clock);
    expect(as(await withOffline.send(sc), '98')).toMatchObject({ onlineStatus: true, checkinOk: true, checkoutOk: true });

    await pair.stopUpstream();
    const off = as(await withOffline.send(sc), '98');
    expect(off).toMatchObject({ onlineStatus: false, checkinOk: true, checkoutOk: true, offlineOk: true, timeoutPeriod: 0 });
    expect(off.screenMessage?.[0]).toMatch(/^offline: working offline, loans and returns are accepted and queued \(0 transactions queued; upstream 127\.0\.0\.1:\d+: /);
    expect(as(await withOffline.send(checkout('0100001', 'B2', '1234')), '12')).toMatchObject({ ok: true });
    expect(as(await withOffline.send(checkin('B2')), '10')).toMatchObject({ ok: true });
    // 63 while offline, with the right PIN: it says the library system is not there, not "enter your PIN".
    const info = as(await withOffline.send({ code: '63', language: '000', transactionDate: null, summary: makeSummary(null), institutionId: AO, patronIdentifier: '0100001', patronPassword: '1234' } as Sip2Request), '64');
    expect(info.screenMessage?.[0], JSON.stringify(info)).not.toMatch(/PIN/);

    expect(as(await without.send(sc), '98')).toMatchObject({ onlineStatus: false, checkinOk: false, checkoutOk: false });
    expect(as(await without.send(sc), '98').screenMessage?.[0]).toMatch(/^upstream unavailable: /);
  }, 30_000);
});

// ------------------------------------------------------------------------------------ daemon B

interface Running {
  daemon: Daemon;
  url: string;
  cookie: string;
}

async function startDaemonB(p: UpstreamPair, dataDir: string): Promise<Running> {
  const daemon = await startUpstreamDaemon(p, dataDir);
  cleanups.push(() => daemon.close());
  await daemon.auth.createAccount('boss', 'a-long-admin-password', 'admin');
  await daemon.auth.createAccount('clerk', 'a-long-staff-password', 'staff');
  return { daemon, url: daemon.http.url, cookie: await loginCookie(daemon.http.url, 'boss', 'a-long-admin-password') };
}

interface Snapshot {
  transactions: Array<{ kind: string; item: string | null; card: string | null; channel: string; offline: { queueId: number; state: string; resolved: boolean } | null }>;
  today: { hours: Array<{ loans: number; returns: number; renewals: number }> };
  offline: { queued: number; problems: Array<Record<string, unknown>> } | null;
}

async function snapshot(r: Running): Promise<Snapshot> {
  const res = await fetch(`${r.url}/admin/api/snapshot`, { headers: { cookie: r.cookie } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Snapshot }).data;
}

function resolve(r: Running, id: number | string, body: unknown, headers: Record<string, string> = { cookie: r.cookie }): Promise<Response> {
  return fetch(`${r.url}/admin/api/offline/${id}/resolve`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

const sum = (s: Snapshot, k: 'loans' | 'returns' | 'renewals') => s.today.hours.reduce((a, h) => a + h[k], 0);
const health = async (r: Running) => (await (await fetch(`${r.url}/health`)).json()) as { status: string; backend: { online: boolean; offline?: { queued: number; unresolved: number } } };
const metric = async (r: Running, line: RegExp) => (await (await fetch(`${r.url}/metrics`)).text()).split('\n').filter((l) => line.test(l));

describe('daemon B (upstream backend) for staff: admin page, /health, /metrics', () => {
  it('lists loans and returns (offline ones marked), hour counts, and the refused replays, which an admin marks resolved (audited)', async () => {
    pair = await upstreamPair({ data: baseData() });
    const dir = mkdtempSync(join(tmpdir(), 'kiosk-b-admin-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const b = await startDaemonB(pair, dir);
    const sip = await Sip2Client.connect({ host: '127.0.0.1', port: b.daemon.sip2!.port, timeoutMs: 5000 });
    cleanups.push(() => sip.close());
    expect(await sip.login('selfcheck', 'selfcheck')).toBe(true);

    // Online: a loan and its return through daemon B's bridge.
    expect(as(await sip.send(checkout('0100001', 'B1', '1234')), '12')).toMatchObject({ ok: true });
    expect(as(await sip.send(checkin('B1')), '10')).toMatchObject({ ok: true });
    // Offline: a loan, and one on a card the upstream does not know.
    await pair.stopUpstream();
    expect(as(await sip.send(checkout('0100001', 'B2', '1234')), '12')).toMatchObject({ ok: true });
    expect(as(await sip.send(checkout('9999999', 'B4', '1234')), '12')).toMatchObject({ ok: true });
    expect(as(await sip.send(sc), '98')).toMatchObject({ onlineStatus: false, checkinOk: true, checkoutOk: true });

    let s = await snapshot(b);
    const rows = (x: Snapshot) => x.transactions.map((t) => [t.kind, t.item, t.card, t.offline?.state ?? null]);
    expect(rows(s)).toEqual([
      ['checkout', 'B4', '9999***', 'queued'],
      ['checkout', 'B2', '0100***', 'queued'],
      ['checkin', 'B1', '0100***', null],
      ['checkout', 'B1', '0100***', null],
    ]);
    expect(s.transactions.map((t) => t.channel)).toEqual(['sip2:offline', 'sip2:offline', 'sip2', 'sip2']);
    expect([sum(s, 'loans'), sum(s, 'returns')]).toEqual([3, 1]);
    expect(s.offline).toEqual({ queued: 2, problems: [] });
    expect(await health(b)).toMatchObject({ status: 'degraded', backend: { online: false, offline: { queued: 2, unresolved: 0 } } });

    // Back: B2 is confirmed, the unknown card is refused and kept for staff.
    await pair.restartUpstream();
    await until(async () => (await health(b)).backend.offline?.queued === 0, 10_000, 'the replay');
    s = await snapshot(b);
    expect(rows(s).slice(0, 2)).toEqual([
      ['checkout', 'B4', '9999***', 'refused'],
      ['checkout', 'B2', '0100***', 'replayed_ok'],
    ]);
    expect(s.offline!.problems).toEqual([
      {
        id: expect.any(Number),
        at: expect.any(String),
        kind: 'checkout',
        item: 'B4',
        card: '9999***',
        state: 'refused',
        reason: 'unknown_patron',
        message: 'This library card is not known. Please ask staff.',
        attempts: 1,
        decidedAt: expect.any(String),
        waiting: 0,
      },
    ]);
    expect(JSON.stringify(s)).not.toMatch(/0100001|9999999/);
    expect(await health(b)).toMatchObject({ backend: { online: true, offline: { queued: 0, unresolved: 1 } } });
    expect(await metric(b, /^kiosk_offline_transactions/)).toEqual(['kiosk_offline_transactions{state="queued"} 0', 'kiosk_offline_transactions{state="unresolved"} 1']);

    // Resolving: admins only, from our own pages, a refused or failed row, once.
    const id = s.offline!.problems[0]!.id as number;
    const confirmed = s.transactions[1]!.offline!.queueId;
    expect((await resolve(b, id, {}, {})).status).toBe(401);
    const clerk = await loginCookie(b.url, 'clerk', 'a-long-staff-password');
    expect((await resolve(b, id, {}, { cookie: clerk })).status).toBe(403);
    expect((await resolve(b, id, {}, { cookie: b.cookie, origin: 'http://evil.example' })).status).toBe(403);
    expect((await resolve(b, 'abc', {})).status).toBe(400);
    expect(await (await resolve(b, confirmed, {})).json()).toMatchObject({ ok: false, error: { code: 'not_a_problem' } });
    const done = await resolve(b, id, { note: 'card number mistyped; lent to 0100003 at the desk' });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ ok: true, data: { id, resolvedBy: 'boss' } });
    expect(await (await resolve(b, id, {})).json()).toMatchObject({ ok: false, error: { code: 'already_resolved' } });
    const audit = b.daemon.audit.recent(10, { action: 'offline.resolve' }).reverse();
    expect(audit.map((a) => [a.outcome, a.target, (a.detail as { reason?: string } | null)?.reason ?? null])).toEqual([
      ['refused', 'offline:abc', 'invalid_request'],
      ['refused', `offline:${confirmed}`, 'not_a_problem'],
      ['ok', `offline:${id}`, null],
      ['refused', `offline:${id}`, 'already_resolved'],
    ]);
    expect(audit[2]).toMatchObject({ actor: 'boss', target: `offline:${id}`, outcome: 'ok', detail: { operation: 'checkout', item: 'B4', card: '9999***', note: 'card number mistyped; lent to 0100003 at the desk' } });

    s = await snapshot(b);
    expect(s.offline!.problems).toEqual([]);
    expect(s.transactions[0]!.offline).toMatchObject({ state: 'refused', resolved: true });
    expect(await metric(b, /^kiosk_offline_transactions\{state="unresolved"\}/)).toEqual(['kiosk_offline_transactions{state="unresolved"} 0']);
  }, 60_000);

  it('on the embedded engine there is no offline section: the snapshot says null, resolving is 404, /health and /metrics carry no queue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiosk-a-admin-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const loaded = loadConfig({ dataDir: dir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const daemon = await startDaemon({ ...loaded.value, clock: new ManualClock('2026-03-02T10:00:00+01:00'), logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => daemon.close());
    const a: Running = { daemon, url: daemon.http.url, cookie: await loginCookie(daemon.http.url, 'admin', 'admin') };
    expect((await snapshot(a)).offline).toBeNull();
    expect(await (await resolve(a, 1, {})).json()).toMatchObject({ ok: false, error: { code: 'no_upstream' } });
    expect((await health(a)).backend.offline).toBeUndefined();
    expect(await metric(a, /^kiosk_offline_transactions/)).toEqual([]);
  }, 60_000);
});

describe('kiosk offline list|resolve', () => {
  it('lists the refused and failed replays with what the upstream said, resolves one (audited), refuses the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiosk-offline-cli-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new ManualClock('2026-03-02T10:00:00+01:00');
    const db = openStore({ file: join(dir, 'kiosk.sqlite') });
    const q = new OfflineQueue(db, clock);
    const row = (key: string, operation: 'checkout' | 'checkin', patron: string | null, item: string) =>
      q.enqueue({ idempotencyKey: key, operation, patron, item, at: clock.now(), department: '01', dueDate: null, offlineResult: {} }).row.id;
    const refused = row('k1', 'checkout', '9999999', 'B4');
    q.markRefused(refused, 'unknown_patron', { screenMessage: 'This library card is not known. Please ask staff.' });
    const failed = row('k2', 'checkout', '0100001', 'B3');
    for (let i = 0; i < 5; i++) q.recordFailure(failed, 'closed: the connection was closed', 5);
    const waiting = row('k3', 'checkin', null, 'B3');
    db.close();

    const list = await runKiosk(['offline', 'list', '--data', dir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('1 transaction(s) waiting for the library system; 2 refused or failed for staff');
    expect(list.stdout).toMatch(new RegExp(`#${refused} .*loan {2}item B4 {2}card 9999999 {2}refused \\(unknown_patron\\): This library card is not known\\. Please ask staff\\.`));
    expect(list.stdout).toMatch(new RegExp(`#${failed} .*loan {2}item B3 {2}card 0100001 {2}failed after 5 attempts: closed: the connection was closed\\n {6}1 later transaction\\(s\\) of this item wait for it`));

    const done = await runKiosk(['offline', 'resolve', String(failed), '--note', 'lent again at the desk', '--data', dir]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`^resolved #${failed} \\(loan of B3\\) as cli:\\S+; 1 later transaction\\(s\\) of this item go to the library system`));
    expect((await runKiosk(['offline', 'resolve', String(failed), '--data', dir])).stderr).toMatch(/already/);
    expect((await runKiosk(['offline', 'resolve', String(waiting), '--data', dir])).stderr).toMatch(/still waiting for the library system/);
    const after = await runKiosk(['offline', 'list', '--data', dir]);
    expect(after.stdout).not.toContain(`#${failed} `);

    const check = openStore({ file: join(dir, 'kiosk.sqlite') });
    try {
      expect(check.prepare(`SELECT outcome, target, json_extract(detail, '$.note') AS note FROM audit_log WHERE action = 'offline.resolve' ORDER BY id`).all()).toEqual([
        { outcome: 'ok', target: `offline:${failed}`, note: 'lent again at the desk' },
        { outcome: 'refused', target: `offline:${failed}`, note: null },
        { outcome: 'refused', target: `offline:${waiting}`, note: null },
      ]);
    } finally {
      check.close();
    }
  }, 60_000);
});

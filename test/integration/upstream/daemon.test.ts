/**
 * A second kiosk daemon, as a real process, whose backend is our embedded library over SIP2: its
 * own SIP2 bridge serves a self-check in front of the upstream, works offline while the upstream
 * is down, and replays when it is back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Sip2Client } from '../../../daemon/sip2/client.ts';
import type { Sip2Request, Sip2Response } from '../../../protocols/sip2/index.ts';
import { baseData } from '../../helpers/engine.ts';
import { freePort, startKiosk, type RunningDaemon } from '../../helpers/process.ts';
import { checkoutRequest, replyAs } from '../../helpers/sip2.ts';
import { ACCOUNT_PASSWORD, until, upstreamPair, type UpstreamPair } from './fixture.ts';

let pair: UpstreamPair | undefined;
let daemon: RunningDaemon | undefined;
let client: Sip2Client | undefined;
const dirs: string[] = [];
afterEach(async () => {
  client?.close();
  await daemon?.stop();
  await pair?.close();
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const AO = 'SI-50000';
const checkout = checkoutRequest;

const as = replyAs;

describe('a second daemon with the SIP2 upstream backend', () => {
  it('bridges a self-check to the upstream, keeps lending offline, replays when the upstream is back', async () => {
    pair = await upstreamPair({ data: baseData() });
    const dir = mkdtempSync(join(tmpdir(), 'kiosk-b-'));
    dirs.push(dir);
    const cfg = join(dir, 'kiosk-b.yaml');
    writeFileSync(
      cfg,
      [
        'backend:',
        '  kind: sip2-upstream',
        '  host: 127.0.0.1',
        `  port: ${pair.fx.server.port}`,
        '  user: kiosk',
        '  passwordEnv: TEST_UPSTREAM_PASSWORD',
        `  institutionId: ${AO}`,
        '  location: "01"',
        '  dialect: open-kiosk',
        '  reconnect: {minMs: 50, maxMs: 300}',
        '  offline: {enabled: true, replayIntervalMs: 200}',
        'log: {level: debug, toFile: false}',
        '',
      ].join('\n'),
    );
    const sip2Port = await freePort();
    daemon = await startKiosk(['--config', cfg, '--data', dir, '--port', String(await freePort()), '--sip2-port', String(sip2Port), '--clock', 'fixed:2026-03-02T10:00:00+01:00'], {
      TEST_UPSTREAM_PASSWORD: ACCOUNT_PASSWORD,
    });
    const health = async () => (await (await fetch(`${daemon!.url}/health`)).json()) as { status: string; backend: { kind: string; online: boolean; detail: string } };
    expect(await health()).toMatchObject({ status: 'ok', backend: { kind: 'sip2-upstream', online: true } });

    // A self-check logs in to daemon B (demo account), which asks the upstream library.
    client = await Sip2Client.connect({ host: '127.0.0.1', port: sip2Port, timeoutMs: 5000 });
    expect(await client.login('selfcheck', 'selfcheck')).toBe(true);
    // 98's timeout period: daemon B cannot promise how long the upstream takes (999, unknown); the
    // upstream, an embedded engine, answers within its 5 s store lock wait and a second (060).
    const sc: Sip2Request = { code: '99', statusCode: '0', maxPrintWidth: 40, protocolVersion: '2.00' };
    expect(as(await client.send(sc), '98')).toMatchObject({ onlineStatus: true, timeoutPeriod: 999, retriesAllowed: 3 });
    const direct = await Sip2Client.connect({ host: '127.0.0.1', port: pair.fx.server.port, timeoutMs: 5000 });
    try {
      expect(await direct.login('kiosk', ACCOUNT_PASSWORD)).toBe(true);
      expect(as(await direct.send(sc), '98')).toMatchObject({ onlineStatus: true, timeoutPeriod: 60 });
    } finally {
      direct.close();
    }
    const who = as(await client.send({ code: '23', language: '000', transactionDate: null, institutionId: AO, patronIdentifier: '0100001', terminalPassword: '', patronPassword: '1234' }), '24');
    expect(who).toMatchObject({ validPatron: true, validPatronPassword: true, personalName: 'Ana Novak' });
    expect(as(await client.send(checkout('0100001', 'B1')), '12')).toMatchObject({ ok: true, titleIdentifier: 'Alamut', dueDate: '20260323    235959' });
    expect(as(await client.send(checkout('0100003', 'B1', '1234')), '12')).toMatchObject({ ok: false, screenMessage: ['Šis izdevums ir izsniegts citam lasītājam. Lūdzu, nododiet to bibliotekāram.'] });
    const upstreamLoans = () => pair!.fx.lib.db.prepare(`SELECT i.barcode FROM loans l JOIN items i ON i.id = l.item_id WHERE l.closed_at IS NULL ORDER BY i.barcode`).all();
    expect(upstreamLoans()).toEqual([{ barcode: 'B1' }]);

    // The upstream goes away: daemon B keeps lending, and says it works offline.
    await pair.stopUpstream();
    const offlineLoan = as(await client.send(checkout('0100001', 'B2')), '12');
    expect(offlineLoan).toMatchObject({ ok: true, dueDate: '20260316    235959' });
    const h = await health();
    expect(h).toMatchObject({ status: 'degraded', backend: { kind: 'sip2-upstream', online: false } });
    // 98 says so too: on-line N, timeout period 000 (the spec's "ACS off-line"), off-line ok Y.
    expect(as(await client.send(sc), '98')).toMatchObject({ onlineStatus: false, offlineOk: true, timeoutPeriod: 0 });
    expect(h.backend.detail).toMatch(/^offline: working offline, loans and returns are accepted and queued \(1 transactions queued; /);

    await pair.restartUpstream();
    await until(async () => (await health()).backend.online, 8000, 'daemon B back online');
    await until(() => upstreamLoans().length === 2, 8000, 'the replay');
    expect(pair.fx.lib.db.prepare(`SELECT channel FROM journal WHERE kind = 'checkout' ORDER BY id`).all()).toEqual([{ channel: 'sip2' }, { channel: 'sip2:offline' }]);
    expect(daemon.output()).not.toContain(ACCOUNT_PASSWORD);
    expect(daemon.output()).not.toContain('AD1234');
  }, 60_000);
});

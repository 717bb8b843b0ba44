/**
 * GET /metrics and the admin page's numbers after real traffic: a SIP2 client over TCP checks an
 * item out (and fails one), a staff login fails, a simulated device is unplugged. The daemon is the
 * real one (startDaemon, demo library, simulated devices) on a temporary store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../daemon/clock.ts';
import { loadConfig } from '../../daemon/config.ts';
import { createLogger } from '../../daemon/log.ts';
import { startDaemon, type Daemon } from '../../daemon/main.ts';
import { escapeLabelValue, renderExposition } from '../../daemon/metrics.ts';
import { Sip2Client } from '../../daemon/sip2/client.ts';
import type { Sip2Request } from '../../protocols/sip2/index.ts';
import { loginCookie } from '../helpers/staff.ts';

let dataDir: string;
let daemon: Daemon;
let client: Sip2Client;
let item: string;
const clock = new ManualClock('2024-06-03T09:15:00+02:00');

const checkout = (patron: string, barcode: string): Sip2Request => ({
  code: '11',
  scRenewalPolicy: false,
  noBlock: false,
  transactionDate: null,
  nbDueDate: null,
  institutionId: 'SI-50000',
  patronIdentifier: patron,
  itemIdentifier: barcode,
  terminalPassword: '',
  patronPassword: '1234',
});

async function scrape(): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${daemon.http.url}/metrics`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kiosk-metrics-'));
  const loaded = loadConfig({ dataDir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  daemon = await startDaemon({ ...loaded.value, clock, logger: createLogger({ level: 'silent' }) });
  // A plain demo item nobody has: no loan, no hold, not a kit, no access restriction.
  item = (
    daemon.db
      .prepare(
        `SELECT barcode FROM items i WHERE kit_id IS NULL AND access_p = '' AND status_q = '' AND restriction_u = ''
         AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.item_id = i.id) AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.bib_id = i.bib_id) ORDER BY barcode LIMIT 1`,
      )
      .get() as { barcode: string }
  ).barcode;
  client = await Sip2Client.connect({ host: '127.0.0.1', port: daemon.sip2!.port, timeoutMs: 5000 });
  expect(await client.login('selfcheck', 'selfcheck')).toBe(true);
  const ok = await client.send(checkout('0100001', item));
  expect(ok).toMatchObject({ code: '12', ok: true });
  const refused = await client.send(checkout('0100001', 'NO-SUCH-ITEM'));
  expect(refused).toMatchObject({ code: '12', ok: false });
  const bad = await fetch(`${daemon.http.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin', password: 'guess' }) });
  expect(bad.status).toBe(401);
});

afterAll(async () => {
  client?.close();
  await daemon?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /metrics', () => {
  it('answers without a login in the Prometheus text format', async () => {
    const m = await scrape();
    expect(m.status).toBe(200);
    expect(m.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(m.text.endsWith('\n')).toBe(true);
  });

  it('has one HELP and one TYPE line before the samples of every family, and well-formed sample lines', async () => {
    const { text } = await scrape();
    const seen = new Map<string, { help: number; type: string | null }>();
    let current: string | null = null;
    for (const line of text.trimEnd().split('\n')) {
      const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$/.exec(line);
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$/.exec(line);
      if (help) {
        expect(seen.has(help[1]!), `second HELP for ${help[1]}`).toBe(false);
        seen.set(help[1]!, { help: 1, type: null });
        current = help[1]!;
        continue;
      }
      if (type) {
        expect(type[1]).toBe(current);
        seen.get(type[1]!)!.type = type[2]!;
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/.exec(line);
      expect(sample, `not a sample line: ${line}`).not.toBeNull();
      expect(sample![1]).toBe(current);
      expect(seen.get(current!)!.type).not.toBeNull();
    }
    for (const [name, f] of seen) if (f.type === 'counter') expect(name).toMatch(/_total$/);
    expect([...seen.keys()]).toEqual(
      expect.arrayContaining([
        'kiosk_process_uptime_seconds',
        'kiosk_backend_online',
        'kiosk_device_state',
        'kiosk_sip2_connections',
        'kiosk_sip2_messages_total',
        'kiosk_circulation_operations_total',
        'kiosk_staff_login_failures_total',
        'kiosk_store_size_bytes',
      ]),
    );
  });

  it('counts the SIP2 checkout, its refusal by reason, the SIP2 messages and connection, and the failed staff login', async () => {
    const { text } = await scrape();
    const lines = text.split('\n');
    expect(lines).toContain('kiosk_circulation_operations_total{operation="checkout",outcome="ok",reason="none"} 1');
    expect(lines).toContain('kiosk_circulation_operations_total{operation="checkout",outcome="refused",reason="unknown_item"} 1');
    expect(lines).toContain('kiosk_sip2_messages_total{command="93"} 1');
    expect(lines).toContain('kiosk_sip2_messages_total{command="11"} 2');
    expect(lines).toContain('kiosk_sip2_connections 1');
    expect(lines).toContain('kiosk_staff_login_failures_total{reason="bad_password"} 1');
    expect(lines).toContain('kiosk_backend_online{kind="embedded"} 1');
    expect(lines).toContain('kiosk_device_state{id="pad",kind="rfid",model="3M 810",state="ready"} 1');
    const size = /^kiosk_store_size_bytes (\d+)$/m.exec(text);
    expect(Number(size?.[1])).toBeGreaterThan(100_000);
    expect(Number(/^kiosk_process_uptime_seconds ([\d.]+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });

  it('shows an unplugged device as offline', async () => {
    daemon.simulator!.unplug('scanner');
    for (let i = 0; i < 50 && daemon.devices.status('scanner')?.state === 'ready'; i++) await sleep(50);
    const { text } = await scrape();
    const scanner = text.split('\n').filter((l) => l.startsWith('kiosk_device_state{id="scanner"'));
    expect(scanner.filter((l) => l.endsWith(' 1'))).toEqual([expect.stringMatching(/state="(offline|connecting|degraded)"\} 1$/)]);
    await daemon.simulator!.replug('scanner');
  });

  it('never shows a patron card or a staff password', async () => {
    const { text } = await scrape();
    expect(text).not.toContain('0100001');
    expect(text).not.toContain('guess');
  });
});

describe('exposition escaping', () => {
  it('escapes backslash, double quote and line feed in label values, and backslash and line feed in HELP', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = renderExposition([{ name: 'x_total', help: 'one\\two\nthree "q"', type: 'counter', samples: [{ labels: { path: 'C:\\tmp\n"x"' }, value: 2 }] }]);
    expect(text).toBe('# HELP x_total one\\\\two\\nthree "q"\n# TYPE x_total counter\nx_total{path="C:\\\\tmp\\n\\"x\\""} 2\n');
    expect(() => renderExposition([{ name: 'bad-name', help: 'h', type: 'gauge', samples: [] }])).toThrow(/invalid metric name/);
  });
});

describe('the admin page numbers', () => {
  it('counts the loan and the refusal in the local hour, lists the SIP2 connection and masks the card', async () => {
    const cookie = await loginCookie(daemon.http.url, 'admin', 'admin');
    const res = await fetch(`${daemon.http.url}/admin/api/snapshot`, { headers: { cookie } });
    const { data } = (await res.json()) as {
      data: {
        today: { date: string; hours: Array<{ hour: number; loans: number; returns: number; refusals: Record<string, number> }> };
        transactions: Array<{ kind: string; card: string | null; item: string | null }>;
        sip2: { connections: Array<{ user: string | null; remote: string; messages: number; since: string; lastMessageAt: string | null }> };
      };
    };
    expect(data.today.date).toBe('2024-06-03');
    // 09:15 in Ljubljana (UTC+2 in June).
    expect(data.today.hours[9]).toMatchObject({ hour: 9, loans: 1, returns: 0, refusals: { unknown_item: 1 } });
    expect(data.transactions[0]).toMatchObject({ kind: 'checkout', card: '0100***', item });
    expect(JSON.stringify(data)).not.toContain('0100001');
    expect(data.sip2.connections).toEqual([
      { id: expect.any(Number), user: 'selfcheck', remote: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1:\d+$/), messages: 3, since: '2024-06-03T07:15:00.000Z', lastMessageAt: '2024-06-03T07:15:00.000Z' },
    ]);
  });
});

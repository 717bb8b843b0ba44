import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../../daemon/store/migrations.ts';
import { freePort, runKiosk, startKiosk } from '../../helpers/process.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiosk-cli-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('kiosk start', () => {
  it('runs two daemons side by side, each with its own data, port and clock, and stops on SIGTERM', async () => {
    const [a, b] = [tmp(), tmp()];
    const [pa, pb] = [await freePort(), await freePort()];
    const [one, two] = await Promise.all([
      startKiosk(['--data', a, '--port', String(pa), '--clock', 'fixed:2024-06-01T10:00:00+02:00']),
      startKiosk(['--data', b, '--port', String(pb), '--preset', 'hungarian'], { KIOSK_LOG_LEVEL: 'info' }),
    ]);
    try {
      const h1 = (await (await fetch(`${one.url}/health`)).json()) as Record<string, any>;
      const h2 = (await (await fetch(`${two.url}/health`)).json()) as Record<string, any>;
      expect(h1).toMatchObject({
        status: 'ok',
        version: '0.1.0',
        now: '2024-06-01T08:00:00.000Z',
        backend: { kind: 'embedded', online: true },
        store: { state: "open", file: join(a, "kiosk.sqlite"), schemaVersion: migrations.length },
        preset: 'cobiss',
      });
      expect(typeof h1.uptimeS).toBe('number');
      expect(h2).toMatchObject({ status: 'ok', preset: 'hungarian', store: { file: join(b, 'kiosk.sqlite') } });
      expect(one.url).toBe(`http://127.0.0.1:${pa}`);
      // A second daemon on the same data directory is refused, and says why.
      const clash = await runKiosk(['start', '--data', a, '--port', String(await freePort())]);
      expect(clash.code).toBe(1);
      expect(clash.stderr).toContain(`data directory ${a} is in use by another daemon`);
    } finally {
      expect(await one.stop()).toBe(0);
      expect(await two.stop()).toBe(0);
    }
    expect(one.output()).toContain('"msg":"stopped"');
  }, 60_000);

  it('refuses a bad configuration, listing every problem with its file and line', async () => {
    const d = tmp();
    const cfg = join(d, 'bad.yaml');
    writeFileSync(cfg, 'http:\n  port: 99999\nsite:\n  language: klingon\n');
    const r = await runKiosk(['start', '--config', cfg, '--data', d]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid configuration:');
    expect(r.stderr).toContain(`${cfg}:2: http.port`);
    expect(r.stderr).toContain(`${cfg}:4: site.language`);
  });

  it('refuses a bad clock', async () => {
    const r = await runKiosk(['start', '--data', tmp(), '--clock', 'tomorrow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not an ISO date-time');
  });
});

describe('kiosk import, export, item show, patron show', () => {
  it('imports all or nothing, and shows what it imported', async () => {
    const d = tmp();
    const bad = join(d, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'departments: [{code: "01", name: Central}]',
        'materialTypes: [{code: book, name: Book}]',
        'categories: [{code: adult, name: Adult}]',
        'items:',
        '  - {barcode: "X1", title: Alamut, materialType: book, department: "01"}',
        '  - {barcode: "X2", title: Emma, materialType: book, department: "09"}',
        'patrons:',
        '  - {barcode: "0300001", firstName: Ana, lastName: Novak, category: adult, homeDepartment: "01", pin: "2468"}',
        '',
      ].join('\n'),
    );
    const r = await runKiosk(['import', bad, '--data', d]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing was imported; 1 problem(s):');
    expect(r.stderr).toContain('bad.yaml:6: items[1].department: unknown department "09"');
    const none = await runKiosk(['item', 'show', 'X1', '--data', d]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('X1: This item is not known');

    const good = join(d, 'good.yaml');
    writeFileSync(good, (await import('node:fs')).readFileSync(bad, 'utf8').replace('"09"', '"01"'));
    const ok = await runKiosk(['import', good, '--data', d]);
    expect(ok.stdout).toBe('imported 1 departments, 1 materialTypes, 1 categories, 2 items, 1 patrons\n');
    const item = await runKiosk(['item', 'show', 'X2', '--data', d]);
    expect(item.stdout).toContain('X2  Emma');
    expect(item.stdout).toContain('status free');
    const patron = await runKiosk(['patron', 'show', '0300001', '--data', d]);
    expect(patron.stdout).toContain('0300001  Novak, Ana  (adult, department 01, language en)');
    expect(patron.stdout).toContain('PIN set');
    expect(patron.stdout).not.toMatch(/2468|scrypt/);
    const exported = await runKiosk(['export', '--data', d]);
    const doc = parse(exported.stdout) as { items: Array<{ barcode: string }>; patrons: Array<Record<string, unknown>> };
    expect(doc.items.map((i) => i.barcode)).toEqual(['X1', 'X2']);
    expect(doc.patrons[0]).not.toHaveProperty('pin');
  }, 60_000);

  it('`kiosk start` fills a fresh data directory with the demo library; --no-demo leaves it empty', async () => {
    const d = tmp();
    const daemon = await startKiosk(['--data', d, '--port', String(await freePort()), '--clock', '2026-03-02T10:00:00+01:00']);
    const r = await runKiosk(['patron', 'show', '0100004', '--data', d, '--clock', '2026-03-02T10:00:00+01:00']);
    expect(await daemon.stop()).toBe(0);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('W 30100000081');
    const e = tmp();
    const empty = await startKiosk(['--data', e, '--port', String(await freePort()), '--no-demo']);
    expect(await empty.stop()).toBe(0);
    expect((await runKiosk(['item', 'show', '30100000081', '--data', e])).code).toBe(1);
  }, 60_000);
});

describe('kiosk hash-password and kiosk sip2-server', () => {
  it('hashes a password from standard input into a hash the SIP2 login accepts', async () => {
    const { spawn } = await import('node:child_process');
    const { KIOSK_BIN } = await import('../../helpers/process.ts');
    const { verifyPin } = await import('../../../daemon/circulation/pin.ts');
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [KIOSK_BIN, 'hash-password'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let s = '';
      child.stdout.on('data', (d) => (s += d));
      child.on('close', () => resolve(s.trim()));
      child.stdin.end('locker-2026\n');
    });
    expect(out).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(verifyPin('locker-2026', out)).toBe(true);
    expect(verifyPin('locker-2025', out)).toBe(false);
  });

  it('runs the SIP2 bridge alone on the demo store', async () => {
    const { spawn } = await import('node:child_process');
    const { KIOSK_BIN } = await import('../../helpers/process.ts');
    const { Sip2Client } = await import('../../../daemon/sip2/client.ts');
    const d = tmp();
    // Fill the store with the demo library first.
    const daemon = await startKiosk(['--data', d, '--port', String(await freePort())]);
    await daemon.stop();
    const port = await freePort();
    const child = spawn(process.execPath, [KIOSK_BIN, 'sip2-server', '--data', d, '--sip2-port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (x) => (out += x));
    try {
      for (let i = 0; i < 100 && !out.includes('sip2 listening'); i++) await new Promise((r) => setTimeout(r, 100));
      const c = await Sip2Client.connect({ host: '127.0.0.1', port });
      expect(await c.login('selfcheck', 'selfcheck')).toBe(true);
      const info = await c.send({ code: '17', transactionDate: null, institutionId: 'SI-50000', itemIdentifier: '30100000902' });
      expect(info).toMatchObject({ code: '18', circulationStatus: '03', itemProperties: 'kit=K001;part=2/3;lead=30100000901;parts=30100000901,30100000902,30100000903' });
      c.close();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('close', r));
    }
  }, 60_000);
});

import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
      // The log line says the same in one line: a refusal, not a bug, so no stack trace.
      expect(clash.stdout).toContain(`"reason":"data directory ${a} is in use by another daemon`);
      expect(clash.stdout).not.toContain('"stack"');
    } finally {
      expect(await one.stop()).toBe(0);
      expect(await two.stop()).toBe(0);
    }
    expect(one.output()).toContain('"msg":"stopped"');
  }, 60_000);

  it('refuses a bad configuration, listing every problem with its file and line', async () => {
    const d = tmp();
    const cfg = join(d, 'bad.yaml');
    writeFileSync(cfg, 'http:\n  port: 99999\nsite:\n  language: klingon\n  bogus: 1\n');
    const r = await runKiosk(['start', '--config', cfg, '--data', d]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid configuration:');
    expect(r.stderr).toContain(`${cfg}:2: http.port`);
    expect(r.stderr).toContain(`${cfg}:4: site.language`);
    // An unknown setting is named at its own line, not at the section holding it.
    expect(r.stderr).toContain(`${cfg}:5: site.bogus: unknown setting`);
    // A policy override the schema does not know is blamed on this file, not on the preset it overrides.
    writeFileSync(cfg, 'policy:\n  currency: EUR\n  calendar:\n    fineOnClosedDays: false\n  bogusKey: 3\n');
    const p = await runKiosk(['config', '--config', cfg, '--data', d]);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain(`${cfg}:5: policy.bogusKey: unknown setting`);
  });

  it('refuses a bad clock', async () => {
    const r = await runKiosk(['start', '--data', tmp(), '--clock', 'tomorrow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not an ISO date-time');
  });
});

describe('kiosk import, export, item show, patron show', () => {
  it('backup copies the whole store (staff logins too) for the service user only; export files are private too', async () => {
    const d = join(tmp(), 'data');
    const file = join(tmp(), 'lib.yaml');
    writeFileSync(
      file,
      [
        'departments: [{code: "01", name: Central}]',
        'categories: [{code: adult, name: Adult}]',
        'patrons:',
        '  - {barcode: "0300001", firstName: Ana, lastName: Novak, category: adult, homeDepartment: "01", pin: "2468"}',
        '',
      ].join('\n'),
    );
    expect((await runKiosk(['import', file, '--data', d])).code).toBe(0);
    expect((await runKiosk(['admin', 'create', 'alice', '--password-stdin', '--data', d], {}, 30_000, 'correct horse battery\n')).code).toBe(0);
    const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);
    expect([mode(d), mode(join(d, 'kiosk.sqlite'))]).toEqual(['700', '600']);
    const b = join(tmp(), 'backup');
    const r = await runKiosk(['backup', b, '--data', d]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(b, 'kiosk.sqlite')}`);
    expect([mode(b), mode(join(b, 'kiosk.sqlite'))]).toEqual(['700', '600']);
    // The copy is a store of its own: the patron and the staff login are there.
    expect((await runKiosk(['patron', 'show', '0300001', '--data', b])).stdout).toContain('Novak, Ana');
    expect((await runKiosk(['admin', 'list', '--data', b])).stdout).toContain('alice');
    // A second backup into the same directory is refused rather than mixed in.
    const again = await runKiosk(['backup', b, '--data', d]);
    expect([again.code, again.stderr]).toEqual([1, `kiosk: ${b} is not empty; give a new or empty directory\n`]);
    const out = join(tmp(), 'export.yaml');
    expect((await runKiosk(['export', '-o', out, '--data', d])).code).toBe(0);
    expect(mode(out)).toBe('600');
  });

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

  it('refuses a file that is not UTF-8, barcodes SIP2 cannot carry and a kit part listed twice, saying where', async () => {
    const d = tmp();
    // "Pečena čebula" saved in Windows-1250: č is the single byte 0xE8.
    const legacy = join(d, 'legacy.yaml');
    writeFileSync(legacy, Buffer.concat([Buffer.from('items:\n  - barcode: "L001"\n    bibId: "L1"\n    title: "Pe'), Buffer.from([0xe8]), Buffer.from('ena"\n')]));
    const r1 = await runKiosk(['import', legacy, '--data', d]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(`nothing was imported; ${legacy}:4: byte 0xE8 is not UTF-8`);
    const utf16 = join(d, 'utf16.yaml');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('items: []\n', 'utf16le')]));
    expect((await runKiosk(['import', utf16, '--data', d])).stderr).toContain(`${utf16}:1: the file is UTF-16; save it as UTF-8`);
    const bad = join(d, 'barcodes.yaml');
    writeFileSync(
      bad,
      [
        'items:',
        '  - {barcode: "W|1", bibId: L1, title: Pipe, materialType: book, department: "01"}',
        '  - {barcode: "  ", bibId: L1, title: Blank, materialType: book, department: "01"}',
        'kits:',
        '  - {code: KX, title: Kit, lead: "A1", parts: ["A1", "A1"]}',
        '',
      ].join('\n'),
    );
    const r2 = await runKiosk(['import', bad, '--data', d]);
    expect(r2.stderr).toContain(`${bad}:2: items[0].barcode: must not contain "|" (the SIP2 field delimiter) or control characters`);
    expect(r2.stderr).toContain(`${bad}:3: items[1].barcode: must not be blank`);
    expect(r2.stderr).toContain(`${bad}:5: kits[0].parts: a part is listed twice`);
    // An unknown field is named at its own line.
    const extra = join(d, 'extra.yaml');
    writeFileSync(extra, 'items:\n  - barcode: "X1"\n    bibId: B\n    title: T\n    materialType: book\n    department: "01"\n    colour: red\n');
    expect((await runKiosk(['import', extra, '--data', d])).stderr).toContain(`${extra}:7: items[0].colour: unknown field`);
  });

  it('patron show counts a kit once toward the loan limit, and only this department\'s loans, as the engine does', async () => {
    const d = tmp();
    const file = join(d, 'kit.yaml');
    writeFileSync(
      file,
      [
        'departments: [{code: "01", name: Central}, {code: "02", name: Branch}]',
        'materialTypes: [{code: book, name: Book}]',
        'categories: [{code: adult, name: Adult}]',
        'items:',
        '  - {barcode: "M1", bibId: MT, title: Branch book, materialType: book, department: "02"}',
        '  - {barcode: "K1", bibId: KT, title: Farm 1, materialType: book, department: "01"}',
        '  - {barcode: "K2", bibId: KT, title: Farm 2, materialType: book, department: "01"}',
        '  - {barcode: "B1", bibId: BT, title: Alamut, materialType: book, department: "01"}',
        'kits:',
        '  - {code: KX, title: Farm, lead: "K1", parts: ["K1", "K2"]}',
        'patrons:',
        '  - {barcode: "0300001", firstName: Ana, lastName: Novak, category: adult, homeDepartment: "01"}',
        'loans:',
        '  - {item: "K1", patron: "0300001", status: C, loanedAt: "@today-2d"}',
        '  - {item: "B1", patron: "0300001", status: C, loanedAt: "@today-2d"}',
        '  - {item: "M1", patron: "0300001", status: C, department: "02", loanedAt: "@today-2d"}',
        '',
      ].join('\n'),
    );
    expect((await runKiosk(['import', file, '--data', d])).code).toBe(0);
    const r = await runKiosk(['patron', 'show', '0300001', '--data', d]);
    expect(r.stdout).toContain('  loans (4 item(s); 2 toward the limit of 15 in department 01, a kit counting once):\n');
    expect(r.stdout).toMatch(/C K2 due \d{4}-\d{2}-\d{2} {2}Farm 2 \[kit KX 2\/2\]/);
  });

  it('show and export need a store: a mistyped data directory is said, not created empty', async () => {
    const d = join(tmp(), 'typo');
    for (const args of [['patron', 'show', '0100001'], ['item', 'show', 'X1'], ['export']]) {
      const r = await runKiosk([...args, '--data', d]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`kiosk: no store in ${d} (is --data or KIOSK_DATA_DIR right?`);
    }
    expect((await import('node:fs')).existsSync(d)).toBe(false);
  });

  it('`kiosk start` fills a fresh data directory with the demo library; --no-demo leaves it empty', async () => {
    const d = tmp();
    const daemon = await startKiosk(['--data', d, '--port', String(await freePort()), '--clock', '2026-03-02T10:00:00+01:00']);
    const r = await runKiosk(['patron', 'show', '0100004', '--data', d, '--clock', '2026-03-02T10:00:00+01:00']);
    // logrotate: kiosk.log moved aside, then SIGHUP: the daemon opens a new kiosk.log and goes on.
    const { renameSync, readFileSync } = await import('node:fs');
    const log = join(d, 'logs', 'kiosk.log');
    renameSync(log, `${log}.1`);
    daemon.child.kill('SIGHUP');
    await new Promise((res) => setTimeout(res, 500));
    expect(daemon.child.exitCode).toBeNull();
    expect((await fetch(`${daemon.url}/health`)).status).toBe(200);
    await new Promise((res) => setTimeout(res, 300)); // the log writer flushes every 100 ms
    expect(existsSync(log)).toBe(true);
    expect((statSync(log).mode & 0o777).toString(8)).toBe('600');
    expect(await daemon.stop()).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(/"msg":"stopped"/);
    // The demo logins are warned about at every start while their demo passwords still work.
    const again = await startKiosk(['--data', d, '--port', String(await freePort()), '--clock', '2026-03-02T10:00:00+01:00']);
    expect(again.output()).toMatch(/the demo login\(s\) staff\/staff, admin\/admin still work/);
    expect(await again.stop()).toBe(0);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('W 30100000081');
    // A withheld card: the block's kind and the staff note, which only staff see.
    const blocked = await runKiosk(['patron', 'show', '0200001', '--data', d, '--clock', '2026-03-02T10:00:00+01:00']);
    expect(blocked.stdout).toContain('  blocks: patron_blocked (card_withheld: "Card reported lost; kept at the desk")\n');
    // export to a directory that does not exist: a message, not a stack trace; to a reader that
    // stops early (`| head`): quiet, exit 0.
    const nowhere = await runKiosk(['export', '--data', d, '-o', join(d, 'no', 'such', 'dir', 'x.yaml')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toBe(`kiosk: cannot write ${join(d, 'no', 'such', 'dir', 'x.yaml')}: ENOENT\n`);
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

  // At a terminal (a pseudo-terminal made by util-linux `script`): asked twice, never echoed.
  it.skipIf(!existsSync('/usr/bin/script'))('at a terminal, asks for the password twice without showing it', async () => {
    const { spawn } = await import('node:child_process');
    const { KIOSK_BIN } = await import('../../helpers/process.ts');
    const { verifyPin } = await import('../../../daemon/circulation/pin.ts');
    const screen = await new Promise<string>((resolve) => {
      const child = spawn('/usr/bin/script', ['-qec', `${process.execPath} ${KIOSK_BIN} hash-password`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let s = '';
      child.stdout.on('data', (d: Buffer) => {
        s += d.toString('utf8');
        // Type each answer once its prompt is on the screen.
        if (s.endsWith('Password: ') && !s.includes('Repeat')) child.stdin.write('hunter-22\r');
        if (s.endsWith('Repeat the password: ')) child.stdin.write('hunter-22\r');
      });
      child.on('close', () => resolve(s));
    });
    expect(screen).toContain('Password: ');
    expect(screen).toContain('Repeat the password: ');
    expect(screen).not.toContain('hunter-22');
    const hash = /scrypt\$\S+/.exec(screen)?.[0] ?? '';
    expect(verifyPin('hunter-22', hash)).toBe(true);
  }, 30_000);

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

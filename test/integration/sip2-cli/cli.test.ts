/**
 * `kiosk sip2` run as a user runs it (a child process) against a real SIP2 server started here:
 * what it prints for a checkout, that secrets never appear in what it prints, and how it fails.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPin } from '../../../daemon/circulation/pin.ts';
import { baseData } from '../../helpers/engine.ts';
import { runSip2Cli, type Sip2CliOptions } from '../../../daemon/sip2/cli-client.ts';
import { freePort, runKiosk } from '../../helpers/process.ts';
import { account, ACCOUNT_PASSWORD, startSip2Fixture, type Sip2Fixture } from '../../helpers/sip2.ts';

/** A PIN no date, checksum or count will ever contain by accident, so "not in the output" means something. */
const PIN = '97531';
const PIN_HASH = hashPin(PIN);
const PATRON = { barcode: '0100009', firstName: 'Eva', lastName: 'Zupan', category: 'adult', pinHash: PIN_HASH, homeDepartment: '01', language: 'en', membershipExpires: '2027-12-31' };
// The fixture's clock and zone, so request dates in the output are fixed too.
const CLOCK = ['--clock', 'fixed:2026-03-02T10:00:00+01:00', '--timezone', 'Europe/Ljubljana'];

let fx: Sip2Fixture;
let address: string;

async function sip2(args: string[], env: NodeJS.ProcessEnv = { KIOSK_SIP2_PASSWORD: ACCOUNT_PASSWORD }) {
  const r = await runKiosk(['sip2', address, ...CLOCK, ...args], env);
  const all = r.stdout + r.stderr;
  // Whatever happened, neither the account password nor the PIN is ever printed.
  expect(all).not.toContain(ACCOUNT_PASSWORD);
  expect(all).not.toContain(PIN);
  return r;
}

describe('kiosk sip2', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    fx = await startSip2Fixture({
      data: baseData({ patrons: [PATRON] }),
      accounts: [account(), account({ user: 'sorter', errorDetection: 'on', terminator: 'CRLF' })],
    });
    address = `127.0.0.1:${fx.server.port}`;
  });
  afterAll(async () => fx?.close());

  it('logs in, checks a patron out and prints both sides decoded, without the password or the PIN', async () => {
    const r = await sip2(['--user', 'kiosk', 'checkout', '--patron', '0100009', '--item', 'B1', '--pin', PIN]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain(`# connected to ${address}; charset utf-8, terminator CR, error detection off`);
    expect(out).toContain('> 9300CNkiosk|CO****|\n');
    expect(out).toContain('< 941\n');
    // The request as sent (PIN masked) and decoded.
    expect(out).toContain('> 11NN20260302    100000                  AO|AA0100009|ABB1|AC|AD****|\n');
    expect(out).toContain(
      [
        '    Checkout (11)',
        '      SC renewal policy     no',
        '      no block              no',
        '      transaction date      2026-03-02 10:00:00',
        '      nb due date           (blank)',
        '      AO institution id     (empty)',
        '      AA patron identifier  0100009',
        '      AB item identifier    B1',
        '      AC terminal password  (empty)',
        '      AD patron password    ****',
      ].join('\n'),
    );
    // The reply, as on the wire and decoded.
    expect(out).toContain('< 121NNY20260302    100000AOSI-50000|AA0100009|ABB1|AJAlamut|AH20260323    235959|\n');
    expect(out).toContain(
      [
        '    Checkout Response (12)',
        '      ok                    yes',
        '      renewal ok            no',
        '      magnetic media        no',
        '      desensitize           yes',
        '      transaction date      2026-03-02 10:00:00',
        '      AO institution id     SI-50000',
        '      AA patron identifier  0100009',
        '      AB item identifier    B1',
        '      AJ title identifier   Alamut',
        '      AH due date           20260323    235959 (2026-03-23 23:59:59)',
      ].join('\n'),
    );
    // It really happened.
    expect(fx.lib.db.prepare(`SELECT i.barcode, p.barcode AS patron FROM loans l JOIN items i ON i.id = l.item_id JOIN patrons p ON p.id = l.patron_id WHERE l.closed_at IS NULL`).all()).toEqual([{ barcode: 'B1', patron: '0100009' }]);
  });

  it('sends several messages in order: status, patron information with a list, checkin with a location', async () => {
    const r = await sip2([
      '--user', 'kiosk',
      'sc-status',
      'patron-info', '--patron', '0100009', '--pin', PIN, '--summary', 'charged',
      'patron-status', '--patron', '0100009', '--pin', '11111',
      'checkin', '--item', 'B1', '--location', '02',
    ]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    // 98's timeout period is in tenths of a second (SIP2 2.00): 060 is 6 s on the embedded engine.
    expect(out).toMatch(/\n {6}timeout period +60 \(6\.0 s\)\n {6}retries allowed +3\n/);
    // The institution from 98 is used by the later messages.
    expect(out).toContain('      AO institution id      SI-50000\n');
    expect(out).toMatch(/> 6300020260302    100000  Y       AOSI-50000\|AA0100009\|AC\|AD\*\*\*\*\|\n/);
    expect(out).toContain('      summary               charged items\n');
    expect(out).toContain('      charged items count       1\n');
    expect(out).toContain('      AU charged items          B1\n');
    expect(out).toContain('      CQ valid patron password  yes\n');
    // A wrong PIN: a refusal is an answer, printed like any other.
    expect(out).toContain('      CQ valid patron password  no\n');
    expect(out).toContain('      AF screen message         The PIN is not correct.\n');
    expect(out).toContain('      AP current location   02\n');
    expect(out).toMatch(/ {4}Checkin Response \(10\)\n {6}ok +yes\n {6}resensitize +yes\n {6}magnetic media +no\n {6}alert +yes\n/);
    expect(out).toMatch(/\n {6}CL sort bin +DEPT-01\n/);
    expect(out).toMatch(/\n {6}CT destination location +01\n {6}CV alert type +04 \(transfer\)\n/);
  });

  it('speaks error detection and CRLF: AY/AZ on every line (masked with a secret), raw lines get a checksum, 97 resends', async () => {
    const r = await sip2([
      '--user', 'sorter', '--error-detection', '--crlf',
      'item-info', '--item', 'B2',
      '--raw', '1720260302    100000AOSI-50000|ABB3|',
      'resend',
    ]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain('> 9300CNsorter|CO****|AY0AZ****\n'); // the checksum would narrow the password down
    expect(out).toMatch(/< 941AY0AZFDFD\n {4}Login Response \(94\) {2}AY 0 {2}checksum ok\n/);
    expect(out).toMatch(/> 1720260302 {4}100000AO\|ABB2\|AC\|AY1AZ[0-9A-F]{4}\n/);
    expect(out).toMatch(/> 1720260302 {4}100000AOSI-50000\|ABB3\|AY2AZ[0-9A-F]{4}\n/);
    expect(out).toContain('      AJ title identifier    Egri csillagok\n');
    const replies = out.split('\n').filter((l) => l.startsWith('< 18'));
    expect(replies).toHaveLength(3);
    expect(replies[2]).toBe(replies[1]); // 97: the last reply again, byte for byte
    expect(out).toContain('> 97AZFEF5\n');
  });

  it('takes the password from --password too, and still never prints it', async () => {
    const r = await sip2(['--user', 'kiosk', '--password', ACCOUNT_PASSWORD, '--json', 'item-info', '--item', 'B5'], {});
    expect(r.code).toBe(0);
    const frames = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { dir: string; code: string; fields: Record<string, unknown> });
    expect(frames.map((f) => `${f.dir}${f.code}`)).toEqual(['>93', '<94', '>17', '<18']);
    expect(frames[0]!.fields.loginPassword).toBe('****');
    expect(frames[3]!.fields).toMatchObject({ titleIdentifier: 'Emma', circulationStatus: '03' });
  });

  it('fails with a clear message and exit code 1 when the login is refused or nobody listens', async () => {
    const refused = await sip2(['--user', 'kiosk', 'sc-status'], { KIOSK_SIP2_PASSWORD: 'not-the-password' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('kiosk: login refused for user "kiosk": the server answered 94 with ok=0 (check the user and the password)\n');
    expect(refused.stdout).toContain('< 940\n');
    expect(refused.stdout).not.toContain('not-the-password');

    const port = await freePort();
    const nobody = await runKiosk(['sip2', `127.0.0.1:${port}`, '--user', 'kiosk', 'sc-status'], { KIOSK_SIP2_PASSWORD: ACCOUNT_PASSWORD });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toBe(`kiosk: cannot connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it('refuses bad usage with exit code 2 before connecting', async () => {
    const before = fx.server.connections();
    const r = await sip2(['--user', 'kiosk', 'checkout', '--patron', '0100009']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('kiosk: checkout: --item is required\n');
    expect(r.stdout).toBe('');
    // The other usage checks, in-process (the same code the command runs).
    const cases: Array<[string[], Partial<Sip2CliOptions>, string]> = [
      [['chekout'], {}, 'unknown message "chekout"'],
      [['checkin', '--patron', '0100009'], {}, 'checkin has no option --patron'],
      [['hold', '--mode', 'maybe', '--patron', '1', '--item', 'B1'], {}, 'hold: --mode must be add, cancel or change'],
      [['patron-info', '--patron', '1', '--summary', 'everything'], {}, 'patron-info: --summary must be one of'],
      [['checkout', '--patron', '1', '--item', 'B1', '--due', 'soon'], {}, 'checkout --due: "soon" is not a date'],
      [['--raw'], {}, '--raw needs the message line'],
      [[], { charset: 'klingon' }, 'unknown character set "klingon"'],
      [[], { timeout: 'never' }, '--timeout must be a number of milliseconds'],
      [[], { user: 'kiosk' }, 'no password for user "kiosk": set KIOSK_SIP2_PASSWORD (or give --password)'],
    ];
    for (const [args, opts, message] of cases) {
      const run = runSip2Cli(address, args, { charset: 'utf-8', timeout: '5000', ...opts }, { out: () => {}, env: {} });
      await expect(run, args.join(' ')).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(message) });
    }
    await expect(runSip2Cli('host:99999', [], { charset: 'utf-8', timeout: '5000' }, { out: () => {}, env: {} })).rejects.toMatchObject({ exitCode: 2 });
    expect(fx.server.connections()).toBe(before);
  });
});

describe('kiosk sip2 over TLS', { timeout: 60_000 }, () => {
  let tlsFx: Sip2Fixture | undefined;
  afterEach(async () => tlsFx?.close());

  it('connects with --tls (--insecure for a self-signed certificate) and refuses an unknown certificate otherwise', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'sip2-cli-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    tlsFx = await startSip2Fixture({ data: baseData(), config: { tls: { cert, key } } });
    const at = `localhost:${tlsFx.server.port}`;
    const env = { KIOSK_SIP2_PASSWORD: ACCOUNT_PASSWORD };
    const ok = await runKiosk(['sip2', at, '--tls', '--ca', cert, '--user', 'kiosk', 'item-info', '--item', 'B1'], env);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(`# connected to ${at} (TLS)`);
    expect(ok.stdout).toContain('      AJ title identifier    Alamut\n');
    const insecure = await runKiosk(['sip2', at, '--insecure', '--user', 'kiosk', 'sc-status'], env);
    expect(insecure.code).toBe(0);
    const untrusted = await runKiosk(['sip2', at, '--tls', '--user', 'kiosk', 'sc-status'], env);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^kiosk: cannot connect to localhost:\d+: .*self[- ]signed/);
  });
});

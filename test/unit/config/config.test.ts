import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { availablePresets, loadConfig, loadPreset, redactConfig } from '../../../daemon/config.ts';
import { createLogger } from '../../../daemon/log.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-cfg-'));
  dirs.push(dir);
  const f = join(dir, 'site.yaml');
  writeFileSync(f, text);
  return f;
}

describe('configuration', () => {
  it('loads the embedded defaults and the default preset', () => {
    const r = loadConfig({}, {});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.config.http).toEqual({ host: '127.0.0.1', port: 7380 });
    expect(r.value.policy.name).toBe('cobiss');
  });

  it('lists every problem of a bad file with its line and path', () => {
    const f = file(['site:', '  timezone: Mars/Olympus', 'http:', '  port: "eighty"', 'colour: blue', ''].join('\n'));
    const r = loadConfig({ configFile: f }, {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(3);
    expect(r.problems).toContainEqual(expect.stringMatching(new RegExp(`^${f}:2: site\\.timezone: an IANA time zone`)));
    expect(r.problems).toContainEqual(expect.stringMatching(new RegExp(`^${f}:4: http\\.port: `)));
    expect(r.problems).toContainEqual(expect.stringMatching(/colour/));
  });

  it('reports YAML syntax errors with their line', () => {
    const f = file('site:\n  name: [unclosed\nhttp:\n  port: 1\n');
    const r = loadConfig({ configFile: f }, {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems[0]).toMatch(new RegExp(`^${f}:\\d+: `));
  });

  it('validates policy overrides and points at them in the config file', () => {
    const f = file('policy:\n  fines:\n    graceDays: -2\n  timeParameters:\n    default:\n      loan: three weeks\n');
    const r = loadConfig({ configFile: f }, {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toContainEqual(expect.stringMatching(new RegExp(`^${f}:3: policy\\.fines\\.graceDays`)));
    expect(r.problems).toContainEqual(expect.stringMatching(new RegExp(`^${f}:6: policy\\.timeParameters\\.default\\.loan: expected a period`)));
  });

  it('takes environment overrides, command-line options over them', () => {
    const r = loadConfig({ port: 9001 }, { KIOSK_DATA_DIR: '/tmp/elsewhere', KIOSK_PORT: '9000', KIOSK_PRESET: 'jelgava' });
    expect(r.ok && [r.value.config.data.dir, r.value.config.http.port, r.value.policy.name]).toEqual(['/tmp/elsewhere', 9001, 'jelgava']);
    const bad = loadConfig({}, { KIOSK_PORT: 'x' });
    expect(!bad.ok && bad.problems).toEqual(['environment KIOSK_PORT: "x" is not a port number']);
    // A bad log level from the environment is blamed on the variable, not on config/default.yaml.
    const loud = loadConfig({}, { KIOSK_LOG_LEVEL: 'loud' });
    expect(!loud.ok && loud.problems[0]).toMatch(/^option --log-level \/ KIOSK_LOG_LEVEL: log\.level: Invalid option/);
    const unknown = loadConfig({ preset: 'atlantis' }, {});
    expect(!unknown.ok && unknown.problems[0]).toMatch(/^option --preset \/ KIOSK_PRESET: preset: no preset file .*atlantis\.yaml \(known presets: cobiss, jelgava/);
    // In a file, with its line, beside the file's other problems.
    const f = file('http:\n  port: "x"\npreset: cobis\n');
    const both = loadConfig({ configFile: f }, {});
    expect(!both.ok && both.problems).toEqual([
      expect.stringMatching(new RegExp(`^${f}:2: http\\.port: `)),
      expect.stringMatching(new RegExp(`^${f}:3: preset: no preset file .*cobis\\.yaml`)),
    ]);
  });

  it("keeps the site's clock in the preset's country unless the configuration names a time zone", () => {
    const zone = (preset: string, configFile?: string) => {
      const r = loadConfig({ preset, ...(configFile ? { configFile } : {}) }, {});
      return r.ok ? r.value.config.site.timezone : r.problems;
    };
    expect([zone('cobiss'), zone('jelgava'), zone('katlakalns'), zone('balozi'), zone('hungarian')]).toEqual([
      'Europe/Ljubljana',
      'Europe/Riga',
      'Europe/Riga',
      'Europe/Riga',
      'Europe/Budapest',
    ]);
    expect(zone('jelgava', file('site:\n  timezone: Europe/Vilnius\n'))).toBe('Europe/Vilnius');
  });

  it('masks secrets when printing a configuration, and only secrets', () => {
    expect(redactConfig({ sip2: { accounts: [{ user: 'locker', password: 'hunter2', pinHash: 'x', passwordHash: 'scrypt$1', patronPasswordRequired: false }] } })).toEqual({
      sip2: { accounts: [{ user: 'locker', password: '***', pinHash: '***', passwordHash: '***', patronPasswordRequired: false }] },
    });
    // Settings about secrets are not secrets: a staff member checking the configuration needs them.
    const settings = { pairing: { tokenTtlH: 12 }, auth: { minPasswordLength: 10 }, drawer: { pin: 2 }, smtp: { passwordEnv: 'SMTP_PASSWORD' }, tls: { key: '/etc/kiosk/key.pem' } };
    expect(redactConfig(settings)).toEqual(settings);
    expect(redactConfig({ upstream: { terminalPassword: 'ac', token: 't0k', pin: '1234' } })).toEqual({ upstream: { terminalPassword: '***', token: '***', pin: '***' } });
  });
});

describe('presets', () => {
  it.each(availablePresets())('%s validates against the schema', (name) => {
    expect(loadPreset(name).name).toBe(name);
  });

  it('carries the values of the seed documents', () => {
    const j = loadPreset('jelgava');
    expect([j.timeParameters.default.loan, j.renewals.maxCount.default, j.limits.total.default, j.fines.rates[0]!.materialTypes.book]).toEqual([
      '15d',
      5,
      20,
      0.01,
    ]);
    const k = loadPreset('katlakalns');
    expect([k.timeParameters.default.loan, k.limits.total.default, k.fines.rates[0]!.perDay, k.debtBlock.feeKinds]).toEqual(['14d', 10, 0.03, ['overdue']]);
    expect(loadPreset('balozi').timeParameters.default.holdShelf).toBe('5d');
    const h = loadPreset('hungarian');
    expect([h.currency, h.timeParameters.default.loan, h.renewals.maxCount.default, h.limits.total.default, h.timeParameters.default.holdShelf, h.calendar.closedWeekdays]).toEqual([
      'HUF',
      '21d',
      2,
      5,
      '14d',
      ['MON', 'SUN'],
    ]);
    expect(loadPreset('cobiss').holds.lockerHoldHours).toBe(72);
  });
});

describe('logging', () => {
  it('never writes a PIN or a password', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ pin: '1234', request: { password: 'secret', pin: '9876' }, patron: { barcode: '0100001', firstName: 'Ana', email: 'a@b.c' } }, 'login');
    const out = lines.join('');
    expect(out).toContain('0100001');
    for (const secret of ['1234', 'secret', '9876', 'Ana', 'a@b.c']) expect(out).not.toContain(secret);
  });
});

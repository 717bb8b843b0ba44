/**
 * The example exchanges in docs/sip2.md are real: this test runs them with `kiosk sip2` against our
 * server (a fixed clock, so dates and checksums are stable) and checks that every wire line in the
 * document is what the server and the client really send today.
 *
 * SIP2_DOCS_PRINT=1 prints the transcripts (to paste into the document after a deliberate change).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPin } from '../../../daemon/circulation/pin.ts';
import { computeChecksum } from '../../../protocols/sip2/index.ts';
import { repoRoot } from '../../../daemon/config.ts';
import { baseData } from '../../helpers/engine.ts';
import { runKiosk } from '../../helpers/process.ts';
import { account, startSip2Fixture, type Sip2Fixture } from '../../helpers/sip2.ts';

const CLOCK = ['--clock', 'fixed:2026-03-02T10:00:00+01:00', '--timezone', 'Europe/Ljubljana'];

/** The demo accounts of config/default.yaml, with their demo passwords. */
const LOCKER = account({
  user: 'locker',
  passwordHash: hashPin('locker'),
  messages: ['93', '99', '23', '63', '17', '11', '15', '35'],
  errorDetection: 'on',
  patronPasswordRequired: false,
});
const SELFCHECK = account({ user: 'selfcheck', passwordHash: hashPin('selfcheck'), scStatusBeforeLogin: true });

export const SCENARIOS: Record<string, { env: NodeJS.ProcessEnv; args: string[] }> = {
  'locker-pickup': {
    env: { KIOSK_SIP2_PASSWORD: 'locker' },
    args: [
      '--user', 'locker', '--error-detection',
      'sc-status',
      'patron-info', '--patron', '0100001', '--summary', 'hold',
      'checkout', '--patron', '0100001', '--item', 'B5',
      'end-session', '--patron', '0100001',
    ],
  },
  return: {
    env: { KIOSK_SIP2_PASSWORD: 'selfcheck' },
    args: ['--user', 'selfcheck', 'checkin', '--item', 'B2', '--location', '01', 'checkin', '--item', 'K3'],
  },
  refusals: {
    env: { KIOSK_SIP2_PASSWORD: 'selfcheck' },
    args: [
      '--user', 'selfcheck',
      'checkout', '--patron', '0100002', '--item', 'B3',
      'checkout', '--patron', '0100002', '--item', 'B3', '--pin', '0000',
      'checkout', '--patron', '0100003', '--item', 'B1', '--pin', '1234',
      'item-info', '--item', 'NOPE',
    ],
  },
};

/** The `>`/`<` wire lines of the fenced block after `<!-- example: NAME -->` in docs/sip2.md. */
function docWireLines(doc: string, name: string): string[] {
  const at = doc.indexOf(`<!-- example: ${name} -->`);
  if (at < 0) return [];
  const open = doc.indexOf('```', at);
  const close = doc.indexOf('```', open + 3);
  return doc
    .slice(open + 3, close)
    .split('\n')
    .filter((l) => /^[<>] /.test(l));
}

describe('docs/sip2.md examples', () => {
  let fx: Sip2Fixture;
  beforeAll(async () => {
    fx = await startSip2Fixture({
      data: baseData({
        loans: [
          { item: 'B2', patron: '0100001', loanedAt: '@today-10d' },
          { item: 'B1', patron: '0100002', loanedAt: '@today-3d' },
          { item: 'K1', patron: '0100002', loanedAt: '@today-3d' },
        ],
        holds: [
          { patron: '0100001', item: 'B5', status: 'W', pickupPlace: 'LOCKER-A', createdAt: '@today-1d' },
          { patron: '0100003', bibId: 'T2', status: 'R', pickupPlace: '01-DESK', createdAt: '@today-2d' },
        ],
      }),
      accounts: [SELFCHECK, LOCKER],
    });
  });
  afterAll(async () => fx?.close());

  it('every wire line in the document is what `kiosk sip2` and our server exchange', async () => {
    const doc = readFileSync(join(repoRoot, 'docs', 'sip2.md'), 'utf8');
    const outputs: Array<[string, string]> = [];
    for (const [name, s] of Object.entries(SCENARIOS)) {
      const r = await runKiosk(['sip2', `127.0.0.1:${fx.server.port}`, ...CLOCK, ...s.args], s.env);
      expect(r.stderr, name).toBe('');
      outputs.push([name, r.stdout]);
      if (process.env.SIP2_DOCS_PRINT) {
        const shown = r.stdout.replace(/^# connected to [^;]+;/m, '# connected to 127.0.0.1:6001;');
        console.log(`<!-- example: ${name} -->\n$ kiosk sip2 127.0.0.1:6001 ${s.args.join(' ')}\n${shown}`);
      }
    }
    // The checksum worked example (the client masks it, since the line carries the password).
    const login = '9300CNlocker|COlocker|AY0AZ';
    expect(doc).toContain(`\`${login}${computeChecksum(login)}\``);
    for (const [name, stdout] of outputs) {
      const got = stdout.split('\n').filter((l) => /^[<>] /.test(l));
      const want = docWireLines(doc, name);
      expect(want.length, `docs/sip2.md has the ${name} example`).toBeGreaterThan(0);
      expect(got, name).toEqual(want);
    }
  }, 60_000);
});

/**
 * The upstream connection: login, lost connections and reconnecting with backoff, 97 resends of a
 * corrupt reply, timeouts, a pool of connections for concurrent sessions, dialects, secrets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeSupportedMessages, encode, type AcsStatusResponse, type ItemInformationResponse, type Sip2Response } from '../../../protocols/sip2/index.ts';
import { baseData } from '../../helpers/engine.ts';
import { ACCOUNT_PASSWORD, fakeUpstream, until, upstreamPair, upstreamConfig, type FakeUpstream, type UpstreamPair } from './fixture.ts';
import { openStore } from '../../../daemon/store/db.ts';
import { ManualClock } from '../../../daemon/clock.ts';
import { resolveUpstreamPassword, Sip2UpstreamBackend } from '../../../daemon/circulation/sip2-upstream/index.ts';
import { redactConfig } from '../../../daemon/config.ts';

let pair: UpstreamPair | undefined;
let fake: FakeUpstream | undefined;
const extra: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  await pair?.close();
  await fake?.close();
  for (const x of extra.splice(0)) await x.close();
  pair = undefined;
  fake = undefined;
});

function acs(): AcsStatusResponse {
  return {
    code: '98',
    onlineStatus: true,
    checkinOk: true,
    checkoutOk: true,
    acsRenewalPolicy: true,
    statusUpdateOk: true,
    offlineOk: true,
    timeoutPeriod: 100,
    retriesAllowed: 3,
    dateTimeSync: null,
    protocolVersion: '2.00',
    institutionId: 'FAKE',
    supportedMessages: makeSupportedMessages({ checkout: true, checkin: true, itemInformation: true, login: true, scAcsStatus: true, requestResend: true }),
  };
}

function item(barcode: string, title: string): ItemInformationResponse {
  return { code: '18', circulationStatus: '03', securityMarker: '00', feeType: '01', transactionDate: null, itemIdentifier: barcode, titleIdentifier: title };
}

/** A backend on a fake upstream, with its own temporary store. */
function backendOn(port: number, over: Record<string, unknown> = {}): Sip2UpstreamBackend {
  const db = openStore({ file: ':memory:' });
  const b = new Sip2UpstreamBackend({
    config: upstreamConfig({ port, dialect: 'generic', overrides: { charset: 'utf-8', errorDetection: true }, reconnect: { minMs: 40, maxMs: 200 }, keepaliveS: 0, timeoutMs: 1500, ...over }),
    password: 'fake-secret',
    db,
    clock: new ManualClock('2026-03-02T10:00:00+01:00'),
    site: { department: '01', timezone: 'Europe/Ljubljana', language: 'en' },
    currency: 'EUR',
  });
  extra.push({ close: async () => { await b.close(); db.close(); } });
  return b;
}

describe('upstream connection', () => {
  it('logs in once per connection and reports online from 99/98', async () => {
    pair = await upstreamPair({ data: baseData() });
    const st = await pair.backend.status();
    expect(st).toMatchObject({ kind: 'sip2-upstream', online: true, currency: 'EUR', supports: { checkout: true, checkin: true, renew: true, holds: true, fees: true } });
    expect(st.detail).toMatch(/^SIP2 upstream 127\.0\.0\.1:\d+ \(open-kiosk\)$/);
    for (let i = 0; i < 5; i++) expect((await pair.backend.itemInformation('B1')).ok).toBe(true);
    const logins = pair.fx.logs.filter((l) => l.includes('"sip2 <"') && l.includes('"in":"93')).length;
    expect(logins).toBe(1);
  });

  it('a wrong password: offline with the reason, requests refused as backend_unavailable, the password never logged', async () => {
    pair = await upstreamPair({ data: baseData() });
    const wrong = pair.makeBackend({}, 'not-the-password-42');
    await wrong.start();
    const st = await wrong.status();
    expect(st.online).toBe(false);
    expect(st.detail).toMatch(/^upstream unavailable: the upstream refused the login of user "kiosk"/);
    const r = await wrong.lookupPatron('0100001');
    expect(r).toMatchObject({ ok: false, reason: 'backend_unavailable' });
    const logs = [...pair.logs, ...pair.fx.logs].join('');
    expect(logs).toContain('upstream offline');
    expect(logs).not.toContain('not-the-password-42');
    expect(logs).not.toContain(ACCOUNT_PASSWORD);
  });

  it('the upstream closing an idle connection: the next request reconnects and works', async () => {
    pair = await upstreamPair({ data: baseData(), sip2Config: { idleTimeoutS: 1 } });
    expect((await pair.backend.itemInformation('B1')).ok).toBe(true);
    await until(() => pair!.fx.logs.join('').includes('"reason":"idle timeout"'), 4000, 'the idle timeout');
    await until(() => pair!.backend.poolStatus().open === 0 || pair!.fx.server.connections() === 0, 2000, 'the close');
    expect(await pair.backend.itemInformation('B2')).toMatchObject({ ok: true, item: { title: 'Na klancu' } });
    expect((await pair.backend.status()).online).toBe(true);
  });

  it('the upstream going away: requests fail fast while it is down, it reconnects with backoff by itself', async () => {
    pair = await upstreamPair({ data: baseData() });
    const b = pair.backend;
    expect((await b.itemInformation('B1')).ok).toBe(true);
    const events: boolean[] = [];
    b.onStatusChange((e) => events.push(e.online));
    await pair.stopUpstream();
    expect(await b.itemInformation('B1')).toMatchObject({ ok: false, reason: 'backend_unavailable', details: { upstream: expect.stringMatching(/cannot reach 127\.0\.0\.1/) } });
    const t0 = Date.now();
    expect(await b.itemInformation('B1')).toMatchObject({ ok: false, reason: 'backend_unavailable' });
    expect(Date.now() - t0).toBeLessThan(100); // in backoff: no connect attempt, no wait
    expect(b.poolStatus()).toMatchObject({ state: 'offline' });
    await new Promise((r) => setTimeout(r, 300)); // a few backoff rounds against a closed port
    await pair.restartUpstream();
    await until(() => b.poolStatus().state === 'online', 3000, 'the reconnect');
    expect(await b.itemInformation('B2')).toMatchObject({ ok: true, item: { title: 'Na klancu' } });
    expect(events).toEqual([false, true]);
  });

  it('keepalive: idle connections get a 99, and an upstream that went away is noticed without a request', async () => {
    pair = await upstreamPair({ data: baseData(), backend: { keepaliveS: 1 } });
    const b = pair.backend;
    expect((await b.itemInformation('B1')).ok).toBe(true);
    const statusRequests = () => pair!.fx.logs.filter((l) => l.includes('"in":"99')).length;
    const before = statusRequests();
    await until(() => statusRequests() > before, 3000, 'a keepalive 99');
    const events: Array<{ online: boolean; detail: string }> = [];
    b.onStatusChange((e) => events.push(e));
    await pair.stopUpstream();
    await until(() => events.some((e) => !e.online), 4000, 'the offline event');
    expect(events[0]!.detail).toMatch(/^upstream unavailable: cannot reach 127\.0\.0\.1/);
  });

  it('a corrupt reply (bad checksum) is asked for again with 97 and the resent reply is used', async () => {
    let good: Uint8Array | null = null;
    fake = await fakeUpstream((req, { raw }) => {
      if (req.code === '93') return { code: '94', ok: true };
      if (req.code === '99') return acs();
      if (req.code === '17') {
        const seq = Number(/AY(\d)AZ/.exec(raw)?.[1] ?? 0);
        good = encode(item(req.itemIdentifier, 'Alamut'), { errorDetection: true, sequenceNumber: seq }).bytes;
        const bad = Uint8Array.from(good);
        bad[bad.indexOf(0x41 /* A of Alamut */, 30)] = 0x42; // one byte changed on the way
        return bad;
      }
      if (req.code === '97') return good;
      return null;
    });
    const b = backendOn(fake.port);
    expect(await b.itemInformation('B1')).toMatchObject({ ok: true, item: { title: 'Alamut' } });
    expect(fake.received).toContain('97AZFEF5');
    expect(fake.connections).toBe(1); // the same connection, not a new one
  });

  it('a reply that never comes: the request gives up after timeoutMs and the connection is replaced', async () => {
    let silent = true;
    fake = await fakeUpstream((req) => {
      if (req.code === '93') return { code: '94', ok: true };
      if (req.code === '99') return acs();
      if (req.code === '17') return silent ? null : item(req.itemIdentifier, 'Emma');
      return null;
    });
    const b = backendOn(fake.port, { timeoutMs: 300, reconnect: { minMs: 20, maxMs: 50 } });
    expect(await b.itemInformation('B5')).toMatchObject({ ok: false, reason: 'backend_unavailable' });
    silent = false;
    await until(() => b.poolStatus().state === 'online', 2000, 'the reconnect');
    expect(await b.itemInformation('B5')).toMatchObject({ ok: true, item: { title: 'Emma' } });
    expect(fake.connections).toBeGreaterThanOrEqual(2);
  });

  it('concurrent kiosk sessions run in parallel on different pooled connections', async () => {
    fake = await fakeUpstream(async (req) => {
      if (req.code === '93') return { code: '94', ok: true };
      if (req.code === '99') return acs();
      if (req.code === '17') {
        await new Promise((r) => setTimeout(r, 250));
        return item(req.itemIdentifier, `Title of ${req.itemIdentifier}`);
      }
      return null;
    });
    const b = backendOn(fake.port, { poolSize: 3 });
    await b.start(); // one connection ready
    const t0 = Date.now();
    const out = await Promise.all(['B1', 'B2', 'B3'].map((x) => b.itemInformation(x)));
    const ms = Date.now() - t0;
    expect(out.map((o) => (o.ok ? o.item.title : o.reason))).toEqual(['Title of B1', 'Title of B2', 'Title of B3']);
    expect(fake.connections).toBe(3);
    expect(fake.maxConcurrent).toBe(3);
    expect(ms).toBeLessThan(650); // three 250 ms requests side by side, not one after another
    // A fourth session waits for a free connection instead of opening a fourth.
    await Promise.all(['B1', 'B2', 'B3', 'B4'].map((x) => b.itemInformation(x)));
    expect(fake.connections).toBe(3);
  });

  it('the same pool against our server: three parallel patrons, three connections, all answered', async () => {
    pair = await upstreamPair({ data: baseData(), backend: { poolSize: 3 } });
    const b = pair.backend;
    const out = await Promise.all(['0100001', '0100002', '0100003'].map((p) => b.verifyPatron(p, '1234')));
    expect(out.map((o) => o.ok)).toEqual([true, true, true]);
    expect(pair.fx.server.connections()).toBe(3);
    const loans = await Promise.all([
      b.checkout({ patron: '0100001', item: 'B1' }),
      b.checkout({ patron: '0100002', item: 'B2' }),
      b.checkout({ patron: '0100003', item: 'B3' }),
    ]);
    expect(loans.map((o) => o.ok)).toEqual([true, true, true]);
  });
});

describe('upstream dialects and secrets', () => {
  it('generic dialect on our server: reasons from the protocol fields when the text says nothing we know', async () => {
    pair = await upstreamPair({ data: baseData(), backend: { dialect: 'generic', overrides: { charset: 'utf-8' } } });
    const b = pair.backend;
    expect((await b.verifyPatron('0100001', '1234')).ok).toBe(true);
    expect((await b.verifyPatron('0100003', '1234')).ok).toBe(true);
    expect(await b.verifyPatron('0100002', '0000')).toMatchObject({ ok: false, reason: 'wrong_pin' });
    // An empty PIN never passes where CQ=Y for an empty AD cannot be trusted.
    expect(await b.verifyPatron('0100002', '')).toMatchObject({ ok: false, reason: 'pin_required' });
    expect((await b.checkout({ patron: '0100001', item: 'B1' })).ok).toBe(true);
    // "Šis izdevums ir izsniegts citam lasītājam…" (Latvian): no keyword rule knows it; 17 says charged.
    const taken = await b.checkout({ patron: '0100003', item: 'B1' });
    expect(taken).toMatchObject({ ok: false, reason: 'item_on_loan', screenMessage: expect.stringMatching(/^Šis izdevums/) });
    // "This library card is not known. Please ask staff." — an English keyword rule.
    expect(await b.checkout({ patron: '9999999', item: 'B2' })).toMatchObject({ ok: false, reason: 'unknown_patron' });
  });

  it('the login password comes from the environment variable the config names, and is masked when printed', () => {
    const c = upstreamConfig({ port: 6001, passwordEnv: 'KIOSK_UPSTREAM_PASSWORD' });
    expect(resolveUpstreamPassword(c, { KIOSK_UPSTREAM_PASSWORD: 's3cret' })).toEqual({ password: 's3cret' });
    expect(resolveUpstreamPassword(c, {})).toEqual({ error: 'backend.passwordEnv: environment variable KIOSK_UPSTREAM_PASSWORD is not set' });
    expect(resolveUpstreamPassword(upstreamConfig({ port: 6001 }), {})).toMatchObject({ error: expect.stringContaining('needs a password') });
    const printed = JSON.stringify(redactConfig({ backend: upstreamConfig({ port: 6001, password: 'plain-secret' }) }));
    expect(printed).not.toContain('plain-secret');
    expect(() => upstreamConfig({ port: 6001, password: 'a', passwordEnv: 'B' })).toThrow(/either password or passwordEnv/);
    expect(upstreamConfig({ port: 6001, dialect: 'koha' })).toMatchObject({ poolSize: 2, timeoutMs: 5000, retries: 2, offline: { enabled: false, maxItemsPerPatron: 5 } });
  });

  it('sends CRLF to Koha and reads its hold lists as ready/unavailable; Evergreen-style AS lists every hold', async () => {
    const holdsFor = (dialect: string) => async (req: Parameters<Parameters<typeof fakeUpstream>[0]>[0]): Promise<Sip2Response | null> => {
      if (req.code === '93') return { code: '94', ok: true };
      if (req.code === '99') return acs();
      if (req.code === '63') {
        const all = dialect === 'evergreen';
        return {
          code: '64',
          patronStatus: { chargePrivilegesDenied: false, renewalPrivilegesDenied: false, recallPrivilegesDenied: false, holdPrivilegesDenied: false, cardReportedLost: false, tooManyItemsCharged: false, tooManyItemsOverdue: false, tooManyRenewals: false, tooManyClaimsOfItemsReturned: false, tooManyItemsLost: false, excessiveOutstandingFines: false, excessiveOutstandingFees: false, recallOverdue: false, tooManyItemsBilled: false },
          language: '000',
          transactionDate: null,
          holdItemsCount: all ? 2 : 1,
          overdueItemsCount: 0,
          chargedItemsCount: 0,
          fineItemsCount: 0,
          recallItemsCount: 0,
          unavailableHoldsCount: 1,
          institutionId: 'FAKE',
          patronIdentifier: req.patronIdentifier,
          personalName: 'Novak, Ana',
          validPatron: true,
          ...(req.summary.holdItems ? { holdItems: all ? ['H-READY', 'H-WAIT'] : ['H-READY'] } : {}),
          ...(req.summary.unavailableHolds ? { unavailableHoldItems: ['H-WAIT'] } : {}),
        };
      }
      if (req.code === '17') return { ...item(req.itemIdentifier, `Hold ${req.itemIdentifier}`), circulationStatus: req.itemIdentifier === 'H-READY' ? '08' : '04' };
      return null;
    };
    for (const dialect of ['koha', 'evergreen'] as const) {
      const f = await fakeUpstream(holdsFor(dialect));
      extra.push(f);
      const b = backendOn(f.port, { dialect, overrides: {} });
      const info = await b.patronInformation('0100001');
      if (!info.ok) throw new Error(info.screenMessage);
      expect(info.patron).toMatchObject({ firstName: 'Ana', lastName: 'Novak' });
      expect(info.patron.holds.map((h) => [h.itemBarcode, h.status]).sort()).toEqual([
        ['H-READY', 'W'],
        ['H-WAIT', 'R'],
      ]);
      // Koha gets CRLF (its server and CLI default), Evergreen the spec's CR.
      expect(f.wire().includes('\r\n')).toBe(dialect === 'koha');
    }
  });
});

/**
 * The staff desk's devices end to end: the whole daemon in-process (startDaemon: SQLite store with
 * the demo library, embedded engine, the simulated Wacom STU tablet and ESC/POS printer with its cash
 * drawer on their real drivers), a local SMTP server, and the /api/desk API over real HTTP with a
 * staff login.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../daemon/clock.ts';
import { loadConfig } from '../../daemon/config.ts';
import { createLogger } from '../../daemon/log.ts';
import { startDaemon, type Daemon } from '../../daemon/main.ts';
import type { SimulatorApi } from '../../daemon/devices/simulator-api.ts';
import { inspectPdf } from '../../protocols/pdf/index.ts';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.ts';

interface Running {
  daemon: Daemon;
  sim: SimulatorApi;
  url: string;
  cookie: string;
  dir: string;
}

async function start(yaml: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-desk-'));
  const configFile = join(dir, 'desk.yaml');
  writeFileSync(configFile, yaml);
  const loaded = loadConfig({ dataDir: dir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent', configFile }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const { config, policy } = loaded.value;
  config.sip2 = { ...config.sip2, enabled: false };
  const daemon = await startDaemon({ config, policy, clock: systemClock, logger: createLogger({ level: 'silent' }) });
  const url = daemon.http.url;
  const cookie = await login(url, 'staff', 'staff');
  await waitFor(() => daemon.devices.signature()?.state === 'ready' && daemon.devices.printer()?.state === 'ready', 'tablet and printer ready');
  return { daemon, sim: daemon.simulator!, url, cookie, dir };
}

async function stop(r: Running | undefined): Promise<void> {
  if (!r) return;
  await r.daemon.close();
  rmSync(r.dir, { recursive: true, force: true });
}

async function login(url: string, user: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
  expect(res.status).toBe(200);
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0]!;
}

async function waitFor(ok: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function api(r: Running, method: string, path: string, body?: unknown, cookie = r.cookie): Promise<{ status: number; json: any }> {
  const res = await fetch(`${r.url}/api/desk${path}`, {
    method,
    headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

/** Starts a signing and waits until the tablet shows its first page. */
async function startSigning(r: Running, card: string, kind: 'enrolment' | 'loan_receipt') {
  const res = await api(r, 'POST', `/patrons/${card}/signing`, { kind });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  await waitFor(() => r.sim.tablet.state().page !== null, 'the tablet to show a page');
  return res.json.data as { id: string; language: string; pages: string[]; status: string };
}

async function outcome(r: Running, id: string) {
  const v = await r.daemon.deskDevices.signingDone(id);
  const polled = await api(r, 'GET', `/signing/${id}`);
  expect(polled.json.data.status).toBe(v!.status);
  return polled.json.data;
}

let smtp: TestSmtp;
let desk: Running | undefined;

beforeAll(async () => {
  smtp = await startSmtpServer();
  desk = await start(`kiosk:\n  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, from: "knjiznica@example.org" }\n`);
}, 60_000);

afterAll(async () => {
  await stop(desk);
  await smtp?.close();
});

describe('access', () => {
  it('needs a staff login: the page redirects to /login, the API answers 401', async () => {
    const page = await fetch(`${desk!.url}/staff/desk`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login?next=%2Fstaff%2Fdesk');
    const res = await api(desk!, 'GET', '/status', undefined, '');
    expect(res.status).toBe(401);
    const ok = await fetch(`${desk!.url}/staff/desk`, { headers: { cookie: desk!.cookie } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('/staff/desk/desk.js');
  });

  it('refuses a write from another origin or as an HTML form would send it: the drawer stays shut', async () => {
    const drawer = (headers: Record<string, string>, body?: string) =>
      fetch(`${desk!.url}/api/desk/drawer`, { method: 'POST', headers: { cookie: desk!.cookie, ...headers }, ...(body !== undefined ? { body } : {}) });
    // Another origin (another port of the same host is the same site, so the cookie would come along).
    const cross = await drawer({ origin: 'http://127.0.0.1:9', 'content-type': 'application/json' }, '{}');
    expect(cross.status).toBe(403);
    expect(await cross.json()).toEqual({ ok: false, error: { code: 'cross_origin', message: 'A request from another origin is refused.' } });
    // What a form on any page can post: urlencoded, no Origin check needed to refuse it.
    const form = await drawer({ 'content-type': 'application/x-www-form-urlencoded' }, 'a=b');
    expect(form.status).toBe(415);
    expect(desk!.sim.printer.drawerOpen()).toBe(false);
    // A body that is not JSON, or too large, to a router with its own parser: JSON, no stack, no paths.
    const broken = await fetch(`${desk!.url}/staff/api/pair`, { method: 'POST', headers: { cookie: desk!.cookie, 'content-type': 'application/json' }, body: '{"code":' });
    expect(broken.status).toBe(400);
    const text = await broken.text();
    expect(JSON.parse(text)).toEqual({ ok: false, error: { code: 'invalid_request', message: 'The request body is not valid JSON.' } });
    expect(text).not.toMatch(/node_modules|at JSON\.parse|<pre>/);
    const big = await fetch(`${desk!.url}/staff/api/pair`, { method: 'POST', headers: { cookie: desk!.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ code: 'x'.repeat(200_000) }) });
    expect(big.status).toBe(413);
    expect((await big.json()).error.message).toBe('The request is too large.');
    // An API path nobody answers: JSON 404, not the kiosk page; a missing file: no server path.
    const none = await fetch(`${desk!.url}/staff/api/nope`, { headers: { cookie: desk!.cookie } });
    expect(none.status).toBe(404);
    expect((await none.json()).error.code).toBe('not_found');
    const file = await fetch(`${desk!.url}/login/nothing`);
    expect(file.status).toBe(404);
    expect(await file.text()).not.toContain('/daemon/http/');
  });
});

describe('enrolment form on the signature tablet', () => {
  it('stores a signed PDF with the member text and the signature image; empty attributes are hidden; it is e-mailed', async () => {
    const r = desk!;
    const attrs = await api(r, 'PUT', '/patrons/0100001/attributes', { attributes: { gender: 'ženski', address: 'Prešernova 12', city: 'Ljubljana', postcode: '1000', citizenship: 'si' } });
    expect(attrs.status, JSON.stringify(attrs.json)).toBe(200);
    expect(attrs.json.data.citizenship).toBe('SI');

    const s = await startSigning(r, '0100001', 'enrolment');
    expect(s.language).toBe('sl');
    expect(s.pages[0]).toContain('Priimek in ime: Novak Ana');
    expect(s.pages[0]).not.toContain('Datum rojstva'); // no birth date recorded: the line is hidden (§9.3)
    expect(s.pages[0]).not.toContain('Telefon');

    smtp.mails.length = 0;
    smtp.recipients.length = 0;
    await r.sim.tablet.signAndConfirm();
    const done = await outcome(r, s.id);
    expect(done.status).toBe('signed');
    expect(done.document.kind).toBe('enrolment');
    expect(done.emailed).toBe(true);

    const list = await api(r, 'GET', '/patrons/0100001/documents');
    expect(list.json.data.map((d: { id: number }) => d.id)).toEqual([done.document.id]);
    const pdfRes = await fetch(`${r.url}/api/desk/documents/${done.document.id}.pdf`, { headers: { cookie: r.cookie } });
    expect(pdfRes.headers.get('content-type')).toBe('application/pdf');
    const pdf = new Uint8Array(await pdfRes.arrayBuffer());
    expect(pdfRes.headers.get('x-content-sha256')).toBe(done.document.sha256);
    const parsed = inspectPdf(pdf);
    expect(parsed.problems).toEqual([]);
    expect(parsed.text).toContain('VPISNICA');
    expect(parsed.text).toContain('Priimek in ime: Novak Ana');
    expect(parsed.text).toContain('Spol: ženski');
    expect(parsed.text).toContain('Naslov: Prešernova 12');
    expect(parsed.text).toContain('IZJAVA ČLANA');
    expect(parsed.text).not.toContain('Datum rojstva');
    expect(parsed.text).toMatch(/Podpisano: .* Podpisna tablica: STU-/);
    const images = parsed.pages.flatMap((p) => p.images);
    expect(images).toHaveLength(1);
    expect(images[0]!.colorSpace).toBe('DeviceGray');
    const ink = [...images[0]!.pixels].filter((v) => v < 128).length;
    expect(ink).toBeGreaterThan(50); // the sample signature's strokes are in the image

    await waitFor(() => smtp.mails.length > 0, 'the e-mail');
    expect(smtp.recipients[0]).toEqual(['ana.novak@example.org']);
    expect(smtp.mails[0]).toMatch(/Content-Type: application\/pdf/i);
    expect(smtp.mails[0]).toContain('vpisnica-0100001');

    const audit = r.daemon.db.prepare("SELECT actor, outcome FROM audit_log WHERE action = 'desk.sign.enrolment' AND target = '0100001'").all();
    expect(audit).toEqual([{ actor: 'staff', outcome: 'ok' }]);
  });

  it('a second signing creates a new document; a signed document cannot be amended', async () => {
    const r = desk!;
    const before = r.daemon.deskDevices.archive.documents('0100001');
    const s = await startSigning(r, '0100001', 'enrolment');
    await r.sim.tablet.signAndConfirm();
    const done = await outcome(r, s.id);
    expect(done.status).toBe('signed');
    const after = r.daemon.deskDevices.archive.documents('0100001');
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]!.id).not.toBe(before[0]!.id);
    expect(after[1]).toEqual(before[0]); // the first one is untouched
    expect(() => r.daemon.db.prepare('UPDATE patron_documents SET title = ? WHERE id = ?').run('changed', before[0]!.id)).toThrow(/cannot be amended/);
  });

  it('clear and sign again on the tablet, then confirm: stored; cancel on the tablet: nothing stored', async () => {
    const r = desk!;
    const count = r.daemon.deskDevices.archive.documents('0100001').length;
    const s = await startSigning(r, '0100001', 'enrolment');
    await r.sim.tablet.sign();
    await r.sim.tablet.clear();
    await r.sim.tablet.sign();
    await r.sim.tablet.confirm();
    expect((await outcome(r, s.id)).status).toBe('signed');

    const c = await startSigning(r, '0100001', 'enrolment');
    await r.sim.tablet.cancel();
    const cancelled = await outcome(r, c.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.document).toBeNull();
    expect(r.daemon.deskDevices.archive.documents('0100001')).toHaveLength(count + 1);
  });

  it('staff cancel from the desk; a busy tablet refuses a second document', async () => {
    const r = desk!;
    const s = await startSigning(r, '0100001', 'enrolment');
    const busy = await api(r, 'POST', '/patrons/0100002/signing', { kind: 'enrolment' });
    expect(busy.status).toBe(409);
    expect(busy.json.error.code).toBe('tablet_busy');
    const c = await api(r, 'POST', `/signing/${s.id}/cancel`, {});
    expect(c.status).toBe(200);
    expect((await outcome(r, s.id)).status).toBe('cancelled');
  });

  it('English for a member with another citizenship (domain.md §9.3)', async () => {
    const r = desk!;
    await api(r, 'PUT', '/patrons/0100003/attributes', { attributes: { citizenship: 'LV', country: 'LV' } });
    const view = await api(r, 'GET', '/patrons/0100003');
    expect(view.json.data.documentLanguage).toEqual({ language: 'en', why: 'citizenship LV' });
    const s = await startSigning(r, '0100003', 'enrolment');
    expect(s.language).toBe('en');
    expect(s.pages[0]).toContain('Surname and name: Bērziņš Jānis');
    await r.sim.tablet.cancel();
    await outcome(r, s.id);
  });

  it('refuses a bad attribute with a clear message', async () => {
    const res = await api(desk!, 'PUT', '/patrons/0100001/attributes', { attributes: { birthDate: '12.3.1990', shoeSize: '42' } });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain('birthDate: a date YYYY-MM-DD');
    expect(res.json.error.message).toContain('shoeSize: not a member attribute');
  });

  it('a signed loan receipt lists the loans, is stored and printed on the receipt printer', async () => {
    const r = desk!;
    r.sim.printer.clearReceipts();
    const info = await r.daemon.backend.patronInformation('0100003');
    if (!info.ok) throw new Error('patron');
    expect(info.patron.loans.length).toBeGreaterThan(0);
    const s = await startSigning(r, '0100003', 'loan_receipt');
    expect(s.pages[0]).toContain(`Items on loan (${info.patron.loans.length})`);
    await r.sim.tablet.signAndConfirm();
    const done = await outcome(r, s.id);
    expect(done.status).toBe('signed');
    expect(done.document.kind).toBe('loan_receipt');
    expect(done.printed).toBe(true);
    const text = inspectPdf(r.daemon.deskDevices.document(done.document.id)!.pdf).text;
    for (const l of info.patron.loans) expect(text).toContain(l.barcode);
    const printed = r.sim.printer.receipts();
    expect(printed).toHaveLength(1);
    expect(printed[0]!.text).toContain('Signed loan receipt');
    for (const l of info.patron.loans) expect(printed[0]!.text).toContain(l.barcode);
    expect(printed[0]!.text).toContain(`Document ${done.document.id}`);
  });

  it('a tablet that is not connected gives a clear message', async () => {
    const r = desk!;
    r.sim.unplug('tablet');
    await waitFor(() => r.daemon.devices.signature()?.state === 'offline', 'the tablet offline');
    const res = await api(r, 'POST', '/patrons/0100001/signing', { kind: 'enrolment' });
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('tablet_not_connected');
    expect(res.json.error.message).toMatch(/^The signature tablet is not connected/);
    await r.sim.sim('signature').replug();
    await waitFor(() => r.daemon.devices.signature()?.state === 'ready', 'the tablet back', 10_000);
  });
});

describe('fee payment at the desk', () => {
  it('pays the fee in cash: fee settled, receipt with amount and change, drawer kicked (ESC p) and open', async () => {
    const r = desk!;
    r.sim.printer.clearReceipts();
    const printerSim = r.sim.sim('printer').printer;
    const kicksBefore = printerSim.kicks().length;
    const fees = await api(r, 'GET', '/patrons/0100002/fees');
    expect(fees.json.data.fees).toHaveLength(1);
    const fee = fees.json.data.fees[0];
    expect(fee.remaining).toBe(12.4);

    const short = await api(r, 'POST', '/payments', { key: 'pay-short-0001', patron: '0100002', feeIds: [fee.id], method: 'cash', tendered: 10 });
    expect(short.status).toBe(400);
    expect(short.json.error.message).toBe('cash tendered €10.00 is less than the amount due €12.40');

    const res = await api(r, 'POST', '/payments', { key: 'pay-0100002-0001', patron: '0100002', feeIds: [fee.id], method: 'cash', tendered: 20 });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.data).toMatchObject({ amount: 12.4, tendered: 20, change: 7.6, currency: 'EUR', replayed: false, receipt: { printed: true }, drawer: { opened: true } });

    const after = await r.daemon.backend.patronInformation('0100002');
    if (!after.ok) throw new Error('patron');
    expect(after.patron.fees.every((f) => f.remaining === 0)).toBe(true);
    expect(after.patron.balance).toBe(0);

    const receipts = r.sim.printer.receipts();
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.text).toContain('Potrdilo o plačilu');
    expect(receipts[0]!.text).toContain('12,40 €');
    expect(receipts[0]!.text).toContain('Prejeto: 20,00 €');
    expect(receipts[0]!.text).toContain('Vračilo: 7,60 €');
    const kicks = printerSim.kicks();
    expect(kicks.length).toBe(kicksBefore + 1);
    expect(kicks.at(-1)!.pin).toBe(2);
    // The ESC p bytes reached the printer: its decoder saw the drawer-kick command.
    const pulse = printerSim.commands().filter((c) => c.type === 'pulse').at(-1) as { via: string; bytes: Uint8Array; pin: number } | undefined;
    expect(pulse?.via).toBe('ESC p');
    expect([...pulse!.bytes.subarray(0, 3)]).toEqual([0x1b, 0x70, 0x00]);
    expect(r.sim.printer.drawerOpen()).toBe(true);

    // A retry with the same key (double click, reload) pays, prints and kicks nothing again.
    const again = await api(r, 'POST', '/payments', { key: 'pay-0100002-0001', patron: '0100002', feeIds: [fee.id], method: 'cash', tendered: 20 });
    expect(again.json.data.replayed).toBe(true);
    expect(again.json.data.payment.id).toBe(res.json.data.payment.id);
    expect(printerSim.kicks().length).toBe(kicksBefore + 1);
    expect(r.sim.printer.receipts()).toHaveLength(1);
    r.sim.printer.closeDrawer();

    const paidTwice = await api(r, 'POST', '/payments', { key: 'pay-0100002-0002', patron: '0100002', feeIds: [fee.id], method: 'cash', tendered: 20 });
    expect(paidTwice.status).toBe(409);
    expect(paidTwice.json.error.code).toBe('fee_not_open');
  });

  it('the day closing report: totals per method and per staff user; closing cannot be repeated', async () => {
    const r = desk!;
    // A card payment by another staff user (admin may do what staff may).
    const adminCookie = await login(r.url, 'admin', 'admin');
    const fees = await api(r, 'GET', '/patrons/0100003/fees', undefined, adminCookie);
    const feeIds = fees.json.data.fees.map((f: { id: number }) => f.id);
    const total = fees.json.data.fees.reduce((n: number, f: { remaining: number }) => n + Math.round(f.remaining * 100), 0);
    const card = await api(r, 'POST', '/payments', { key: 'pay-0100003-card', patron: '0100003', feeIds, method: 'card' }, adminCookie);
    expect(card.status, JSON.stringify(card.json)).toBe(200);
    expect(card.json.data.drawer).toBeNull(); // only cash opens the drawer
    expect(card.json.data.change).toBeNull();

    const report = await api(r, 'GET', '/closing');
    expect(report.status).toBe(200);
    const t = report.json.data.totals;
    expect(t.count).toBe(2);
    expect(t.totalMinor).toBe(1240 + total);
    expect(t.byMethod).toEqual([
      { method: 'card', count: 1, totalMinor: total },
      { method: 'cash', count: 1, totalMinor: 1240 },
    ]);
    expect(t.byStaff).toEqual([
      { staff: 'admin', count: 1, totalMinor: total, byMethod: { card: total } },
      { staff: 'staff', count: 1, totalMinor: 1240, byMethod: { cash: 1240 } },
    ]);

    r.sim.printer.clearReceipts();
    const closed = await api(r, 'POST', '/closing', {});
    expect(closed.status, JSON.stringify(closed.json)).toBe(200);
    expect(closed.json.data.closing.paymentCount).toBe(2);
    expect(closed.json.data.printed).toBe(true);
    const printed = r.sim.printer.receipts()[0]!.text;
    expect(printed).toContain('Zaključek blagajne');
    expect(printed).toContain('Gotovina (1)');
    expect(printed).toContain('12,40 €');
    expect(printed).toContain('staff (1): 12,40 €');

    const second = await api(r, 'POST', '/closing', {});
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('nothing_to_close');
    expect((await api(r, 'GET', '/closing')).json.data.totals.count).toBe(0);
    expect(() => r.daemon.db.prepare('UPDATE desk_payments SET amount_minor = 1').run()).toThrow(/closed payment cannot be changed/);
  });
});

describe('a desk without a cash drawer', () => {
  let bare: Running | undefined;
  beforeAll(async () => {
    bare = await start(
      [
        'devices:',
        '  - { id: printer, kind: printer, model: escpos, simulated: true, drawer: { enabled: false } }',
        '  - { id: tablet, kind: signature, model: wacom-stu, simulated: true }',
      ].join('\n') + '\n',
    );
  }, 60_000);
  afterAll(async () => stop(bare));

  it('says "cash drawer not connected"; the payment is still recorded and the receipt printed', async () => {
    const r = bare!;
    const drawer = await api(r, 'POST', '/drawer', {});
    expect(drawer.status).toBe(503);
    expect(drawer.json.error).toEqual({ code: 'drawer_not_connected', message: 'Cash drawer not connected (Blagajniški predal ni priključen).' });
    const fees = await api(r, 'GET', '/patrons/0100002/fees');
    const res = await api(r, 'POST', '/payments', { key: 'pay-bare-00001', patron: '0100002', feeIds: [fees.json.data.fees[0].id], method: 'cash', tendered: 12.4 });
    expect(res.status).toBe(200);
    expect(res.json.data.change).toBe(0);
    expect(res.json.data.drawer).toEqual({ opened: false, message: 'Cash drawer not connected (Blagajniški predal ni priključen).' });
    expect(res.json.data.receipt.printed).toBe(true);
    expect(r.sim.sim('printer').printer.kicks()).toHaveLength(0);
  });
});

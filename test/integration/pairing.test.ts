/**
 * Pairing a staff desk with the pad (daemon/pairing, /staff): the real daemon (startDaemon, SQLite
 * file, simulated RFID pad on its real driver), real HTTP and socket.io over TCP, a manual clock for
 * the code's and the token's expiry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { ManualClock } from '../../daemon/clock.ts';
import { loadConfig } from '../../daemon/config.ts';
import { createLogger } from '../../daemon/log.ts';
import { startDaemon, type Daemon } from '../../daemon/main.ts';
import type { DeskPadView } from '../../daemon/pairing/desk.ts';
import { loginCookie } from '../helpers/staff.ts';

const T0 = '2025-03-03T09:00:00Z';
let daemon: Daemon;
let clock: ManualClock;
let dataDir: string;
let url: string;
let staffCookie: string;
let adminCookie: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kiosk-pairing-'));
  const loaded = loadConfig({ dataDir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const { config, policy } = loaded.value;
  config.pairing = { ...config.pairing, codeTtlS: 120, tokenTtlH: 2, maxWrongCodes: 3 };
  // Staff sessions outlive the pairing here, so the pairing's own expiry is what the test sees.
  config.auth = { ...config.auth, sessionTtlS: 86_400, idleTimeoutS: 86_400 };
  clock = new ManualClock(T0);
  daemon = await startDaemon({ config, policy, clock, logger: createLogger({ level: 'silent' }) });
  url = daemon.http.url;
  staffCookie = await loginCookie(url, 'staff', 'staff');
  adminCookie = await loginCookie(url, 'admin', 'admin');
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await daemon?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function pair(code: string, desk = 'Desk 1', cookie = staffCookie): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/staff/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ code, desk }) });
  return { status: res.status, body: await res.json() };
}

/** Connects to /staff; resolves with the socket and its first `state`, or rejects with the connect error's code. */
function connect(token: string | undefined, cookie = staffCookie): Promise<{ socket: Socket; state: any }> {
  return new Promise((resolve, reject) => {
    const socket = ioClient(`${url}/staff`, { transports: ['websocket'], extraHeaders: { cookie }, auth: token ? { token } : {}, reconnection: false, forceNew: true });
    sockets.push(socket);
    socket.once('state', (state) => resolve({ socket, state }));
    socket.once('connect_error', (e: Error & { data?: { code?: string } }) => {
      socket.disconnect();
      reject(new Error(e.data?.code ?? e.message));
    });
  });
}

function emit(socket: Socket, name: string, args: unknown): Promise<any> {
  return socket.timeout(20_000).emitWithAck(name, args);
}

function nextEvent<T>(socket: Socket, name: string, pred: (v: T) => boolean = () => true, ms = 8000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${name} within ${ms} ms`)), ms);
    const on = (v: T) => {
      if (!pred(v)) return;
      clearTimeout(t);
      socket.off(name, on);
      resolve(v);
    };
    socket.on(name, on);
  });
}

function auditRows(action: string) {
  return daemon.audit.recent(200, { action });
}

describe('pairing a desk with the pad', () => {
  it('shows the code on the admin API only to an admin', async () => {
    const anon = await fetch(`${url}/api/admin/pairing`);
    expect(anon.status).toBe(401);
    const staff = await fetch(`${url}/api/admin/pairing`, { headers: { cookie: staffCookie } });
    expect(staff.status).toBe(403);
    const admin = await fetch(`${url}/api/admin/pairing`, { headers: { cookie: adminCookie } });
    expect(admin.status).toBe(200);
    const body = await admin.json();
    expect(body.code).toMatch(/^[ACDEFGHJKMNPQRTWXY34679]{4}-[ACDEFGHJKMNPQRTWXY34679]{4}$/);
    expect(body.code).toBe(daemon.pairing.currentCode().code);
    expect(Date.parse(body.codeExpiresAt) - clock.now().getTime()).toBe(120_000);
    expect(body.pairings).toEqual([]);
  });

  it('refuses pairing without a staff login, with a malformed code and with a wrong code', async () => {
    const code = daemon.pairing.currentCode().code;
    const anon = await fetch(`${url}/staff/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, desk: 'x' }) });
    expect(anon.status).toBe(401);

    const bad = await pair('12');
    expect(bad.status).toBe(403);
    expect(bad.body.error.code).toBe('bad_code');
    // A code the pad does not show: flip one character to another of the alphabet.
    const wrongCode = code.replace(/^./, (c) => (c === 'A' ? 'C' : 'A'));
    const wrong = await pair(wrongCode);
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('wrong_code');
    expect(wrong.body.error.message).toMatch(/not the code the pad shows/);
    const refused = auditRows('pairing.pair').filter((r) => r.outcome === 'refused');
    expect(refused.map((r) => r.detail?.reason)).toEqual(expect.arrayContaining(['bad_code', 'wrong_code']));
    expect(refused[0]!.actor).toBe('staff');
    // Two wrong tries so far (maxWrongCodes 3): the code is unchanged; the third changes it.
    expect(daemon.pairing.currentCode().code).toBe(code);
    await pair(wrongCode);
    expect(daemon.pairing.currentCode().code).not.toBe(code);
  });

  it('a code expires after codeTtlS', async () => {
    const old = daemon.pairing.currentCode().code;
    clock.advanceMs(120_000 + 1000);
    const r = await pair(old);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('wrong_code');
    expect(daemon.pairing.currentCode().code).not.toBe(old);
  });

  it('without a pairing token a logged-in staff member gets no pad data; without a login nobody does', async () => {
    await expect(connect(undefined)).rejects.toThrow('pairing_required');
    await expect(connect('x'.repeat(43))).rejects.toThrow('pairing_required');
    await expect(connect(undefined, 'kiosk_session=nope')).rejects.toThrow('login_required');
    const rows = auditRows('staff.connect');
    expect(rows.some((r) => r.outcome === 'refused' && r.detail?.reason === 'pairing_required')).toBe(true);
  });

  let token1 = '';
  let pairing1 = 0;
  let desk1: Socket;

  it('pairs with the current code; the code is single-use; the desk sees tags placed on the pad', async () => {
    const code = daemon.pairing.currentCode().code;
    const r = await pair(code.toLowerCase().replace('-', ' '), 'Loans desk 1');
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    token1 = r.body.data.token;
    pairing1 = r.body.data.pairing.id;
    expect(token1).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.body.data.pairing).toMatchObject({ desk: 'Loans desk 1', user: 'staff', remoteAddress: expect.stringMatching(/127\.0\.0\.1/) });
    expect(Date.parse(r.body.data.pairing.expiresAt) - clock.now().getTime()).toBe(2 * 3_600_000);
    // Stored hashed: the token itself is nowhere in the store.
    const rows = daemon.db.prepare('SELECT token_hash FROM desk_pairings').all() as Array<{ token_hash: string }>;
    expect(rows.some((x) => x.token_hash === token1)).toBe(false);
    expect(rows.every((x) => /^[0-9a-f]{64}$/.test(x.token_hash))).toBe(true);

    // Single use: the same code again is refused, and the pad now shows another.
    const again = await pair(code, 'Loans desk 2');
    expect(again.body.error.code).toBe('wrong_code');
    expect(daemon.pairing.currentCode().code).not.toBe(code);

    const { socket, state } = await connect(token1);
    desk1 = socket;
    expect(state.pairing).toMatchObject({ id: pairing1, desk: 'Loans desk 1' });
    expect(state.user).toBe('staff');

    const seen = nextEvent<DeskPadView>(desk1, 'pad', (p) => p.tags.some((t) => t.barcode === '30100000001' && t.security !== null && t.item !== null));
    await daemon.simulator!.placeItem('30100000001');
    const pad = await seen;
    const tag = pad.tags.find((t) => t.barcode === '30100000001')!;
    expect(tag).toMatchObject({ condition: 'item', model: 'iso28560-3', ownerLibrary: 'SI-50000', setInfo: { partNumber: 1, partsInSet: 1 } });
    expect(tag.security).toMatchObject({ state: 'secured', afi: 0x07 });

    const admin = await (await fetch(`${url}/api/admin/pairing`, { headers: { cookie: adminCookie } })).json();
    expect(admin.pairings).toEqual([expect.objectContaining({ id: pairing1, desk: 'Loans desk 1', user: 'staff', createdAt: clock.now().toISOString() })]);
    expect(admin.pairings[0]).toHaveProperty('lastSeenAt');
    expect(auditRows('pairing.pair').some((r) => r.outcome === 'ok' && r.target === `pairing:${pairing1}`)).toBe(true);
  });

  it('a second desk pairing replaces the first: the first desk is told and disconnected', async () => {
    const ended = nextEvent<{ reason: string }>(desk1, 'pairing.ended');
    const gone = new Promise<void>((r) => desk1.once('disconnect', () => r()));
    const r = await pair(daemon.pairing.currentCode().code, 'Returns desk');
    expect(r.status).toBe(200);
    expect(r.body.data.replaced).toEqual([expect.objectContaining({ id: pairing1, desk: 'Loans desk 1' })]);
    expect((await ended).reason).toBe('replaced');
    await gone;
    // The old token opens nothing any more.
    await expect(connect(token1)).rejects.toThrow('pairing_required');
    const admin = await (await fetch(`${url}/api/admin/pairing`, { headers: { cookie: adminCookie } })).json();
    expect(admin.pairings.map((p: { desk: string }) => p.desk)).toEqual(['Returns desk']);
    expect(auditRows('pairing.revoke').some((x) => x.target === `pairing:${pairing1}` && x.detail?.reason === 'replaced')).toBe(true);

    // The new desk works, then an admin revokes it: it is disconnected at once.
    const { socket } = await connect(r.body.data.token);
    const ended2 = nextEvent<{ reason: string }>(socket, 'pairing.ended');
    const gone2 = new Promise<void>((res) => socket.once('disconnect', () => res()));
    const forbidden = await fetch(`${url}/api/admin/pairing/${r.body.data.pairing.id}/revoke`, { method: 'POST', headers: { cookie: staffCookie } });
    expect(forbidden.status).toBe(403);
    const rev = await fetch(`${url}/api/admin/pairing/${r.body.data.pairing.id}/revoke`, { method: 'POST', headers: { cookie: adminCookie } });
    expect(rev.status).toBe(200);
    expect((await ended2).reason).toBe('admin');
    await gone2;
    const twice = await fetch(`${url}/api/admin/pairing/${r.body.data.pairing.id}/revoke`, { method: 'POST', headers: { cookie: adminCookie } });
    expect(twice.status).toBe(404);
    expect(auditRows('pairing.revoke').some((x) => x.actor === 'admin' && x.target === `pairing:${r.body.data.pairing.id}` && x.outcome === 'ok')).toBe(true);
  });

  it('the staff member unpairs; commands after that are refused and audited', async () => {
    const r = await pair(daemon.pairing.currentCode().code, 'Desk 3');
    const { socket } = await connect(r.body.data.token);
    const out = await emit(socket, 'pairing.unpair', {});
    expect(out.ok).toBe(true);
    expect(auditRows('pairing.unpair')[0]).toMatchObject({ actor: 'staff', outcome: 'ok', target: `pairing:${r.body.data.pairing.id}` });
    await expect(connect(r.body.data.token)).rejects.toThrow('pairing_required');
  });

  it('a token expires after tokenTtlH: a live socket is refused its next action and dropped', async () => {
    const r = await pair(daemon.pairing.currentCode().code, 'Desk 4');
    const { socket } = await connect(r.body.data.token);
    clock.advanceMs(2 * 3_600_000 + 1000);
    const reply = await emit(socket, 'item.checkin', { key: 'k-expired', barcode: '30100000001' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'pairing_ended' } });
    const refused = auditRows('staff.item.checkin')[0]!;
    expect(refused).toMatchObject({ actor: 'staff', outcome: 'refused' });
    expect(refused.detail?.reason).toBe('pairing_ended');
    await expect(connect(r.body.data.token)).rejects.toThrow('pairing_required');
    // The sweep ends it for the admin page too.
    daemon.pairing.tick();
    const admin = await (await fetch(`${url}/api/admin/pairing`, { headers: { cookie: adminCookie } })).json();
    expect(admin.pairings).toEqual([]);
  });

  it('a paired desk checks an item out and in with the security bit following, all audited', async () => {
    const r = await pair(daemon.pairing.currentCode().code, 'Desk 5');
    const { socket, state } = await connect(r.body.data.token);
    expect(state.pad.tags.some((t: { barcode: string }) => t.barcode === '30100000001')).toBe(true);
    const sim = daemon.simulator!;
    const uid = sim.listPad().find((t) => t.barcode === '30100000001')!.uid;
    expect(sim.listPad().find((t) => t.uid === uid)!.secured).toBe(true);

    const refused = await emit(socket, 'item.checkout', { key: 'co-0', barcode: '30100000001', patron: '9999999' });
    expect(refused.data).toMatchObject({ status: 'refused', reason: 'unknown_patron' });
    expect(sim.listPad().find((t) => t.uid === uid)!.secured).toBe(true);

    const co = await emit(socket, 'item.checkout', { key: 'co-1', barcode: '30100000001', patron: '0100001' });
    expect(co.ok).toBe(true);
    expect(co.data).toMatchObject({ status: 'done', barcode: '30100000001' });
    expect(co.data.dueDate).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(sim.listPad().find((t) => t.uid === uid)!.secured).toBe(false);
    const info = await daemon.backend.itemInformation('30100000001');
    expect(info.ok && info.item.status).toBe('C');

    const ci = await emit(socket, 'item.checkin', { key: 'ci-1', barcode: '30100000001' });
    expect(ci.data.status).toBe('done');
    expect(sim.listPad().find((t) => t.uid === uid)!.secured).toBe(true);

    const rows = auditRows('staff.item.checkout');
    expect(rows[0]).toMatchObject({ actor: 'staff', target: '30100000001', outcome: 'ok' });
    expect(rows[1]).toMatchObject({ outcome: 'refused' });
    expect(auditRows('staff.item.checkin')[0]).toMatchObject({ target: '30100000001', outcome: 'ok' });
    // No secret in any audit row.
    const all = JSON.stringify(daemon.audit.recent(1000));
    expect(all).not.toContain(r.body.data.token);
    socket.disconnect();
  });

  it('never reports a check-out done when the tag kept its security bit; programming refuses a tag in use', async () => {
    const r = await pair(daemon.pairing.currentCode().code, 'Desk 6');
    const { socket } = await connect(r.body.data.token);
    const sim = daemon.simulator!;
    const pad = sim.sim('rfid').pad;
    const uid = sim.listPad().find((t) => t.barcode === '30100000001')!.uid;
    expect(pad.getTag(uid)!.afi).toBe(0x07);
    // The tag refuses every write (a locked AFI): the loan is made, the gate would still alarm.
    pad.setFault({ kind: 'write-refused', count: 50, uid });
    const co = await emit(socket, 'item.checkout', { key: 'co-locked', barcode: '30100000001', patron: '0100001' });
    expect(co.data.status).toBe('security_failed');
    expect(co.data.problems.join(' ')).toMatch(/30100000001/);
    expect(pad.getTag(uid)!.afi).toBe(0x07);
    expect(auditRows('staff.item.checkout')[0]).toMatchObject({ target: '30100000001', outcome: 'error' });
    pad.clearFaults();
    // Staff fix it on the spot.
    const fixed = await emit(socket, 'tag.security', { uid, secured: false });
    expect(fixed.ok).toBe(true);
    expect(fixed.data.security).toMatchObject({ state: 'unsecured', afi: 0xc2 });
    expect(pad.getTag(uid)!.afi).toBe(0xc2);

    // A readable tag of this library is not overwritten without saying so.
    const inUse = await emit(socket, 'tag.program', { uid, barcode: '30100000099' });
    expect(inUse).toMatchObject({ ok: false, error: { code: 'tag_in_use' } });
    expect(auditRows('staff.tag.program')[0]).toMatchObject({ outcome: 'refused', target: uid });
    const bad = await emit(socket, 'tag.program', { uid: 'nope', barcode: '1' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

    // A foreign library's tag (ISO 28560-2, owner DE-1) is taken over: written, read back, owned by us.
    const { libraryTag } = await import('../../drivers/rfid/pad.simulator.ts');
    const foreignUid = pad.placeTag(libraryTag({ barcode: 'DE12345', model: 'iso28560-2', ownerIsil: 'DE-1', secured: true }));
    await nextEvent<DeskPadView>(socket, 'pad', (p) => p.tags.some((t) => t.uid === foreignUid && t.condition === 'foreign'));
    const prog = await emit(socket, 'tag.program', { uid: foreignUid, barcode: '30100000005', model: 'iso28560-3' });
    expect(prog.ok).toBe(true);
    expect(prog.data).toMatchObject({ condition: 'item', model: 'iso28560-3', barcode: '30100000005', ownerLibrary: 'SI-50000' });
    const t = pad.getTag(foreignUid)!;
    expect(t.dsfid).toBe(0); // no longer announces ISO 28560-2
    const { detectAndDecode } = await import('../../protocols/iso28560/index.ts');
    const back = detectAndDecode(t.memory, { dsfid: t.dsfid });
    expect(back.ok && [back.tag.model, back.tag.primaryItemId, back.tag.ownerLibrary]).toEqual(['iso28560-3', '30100000005', 'SI-50000']);
    // and converted to the 3M layout
    const conv = await emit(socket, 'tag.convert', { uid: foreignUid, model: '3m-501' });
    expect(conv.ok).toBe(true);
    const t2 = pad.getTag(foreignUid)!;
    const back2 = detectAndDecode(t2.memory, { dsfid: t2.dsfid });
    expect(back2.ok && [back2.tag.model, back2.tag.primaryItemId]).toEqual(['3m-501', '30100000005']);
    expect(auditRows('staff.tag.convert')[0]).toMatchObject({ outcome: 'ok', target: foreignUid });
    socket.disconnect();
  });

  it('convert and program refuse what would write wrong data: a corrupt tag, a foreign owner into 3M, a bad ISIL', async () => {
    const r = await pair(daemon.pairing.currentCode().code, 'Desk 7');
    const { socket } = await connect(r.body.data.token);
    const pad = daemon.simulator!.sim('rfid').pad;
    const { libraryTag } = await import('../../drivers/rfid/pad.simulator.ts');
    // A tag whose barcode lost a bit (30100000002 → 30000000002): its CRC no longer matches.
    const spec = libraryTag({ barcode: '30100000002', ownerIsil: 'SI-50000' });
    const mem = spec.memory!;
    mem[5] = mem[5]! ^ 0x01;
    const corruptUid = pad.placeTag(spec);
    const seen = await nextEvent<DeskPadView>(socket, 'pad', (p) => p.tags.some((t) => t.uid === corruptUid && t.condition === 'corrupt'));
    expect(seen.tags.find((t) => t.uid === corruptUid)!.problem).toMatch(/CRC check.*barcode shown may be wrong/);
    const before = pad.getTag(corruptUid)!.memory;
    const conv = await emit(socket, 'tag.convert', { uid: corruptUid, model: 'iso28560-2' });
    expect(conv).toMatchObject({ ok: false, error: { code: 'corrupt' } });
    expect(conv.error.message).toMatch(/30000000002.*may be wrong; program it/);
    expect(pad.getTag(corruptUid)!.memory).toEqual(before);

    // Another library's tag cannot go into the 3M layout, which has no owner: it would become ours.
    const foreignUid = pad.placeTag(libraryTag({ barcode: 'DK1234', ownerIsil: 'DK-718500' }));
    await nextEvent<DeskPadView>(socket, 'pad', (p) => p.tags.some((t) => t.uid === foreignUid && t.condition === 'foreign'));
    const to3m = await emit(socket, 'tag.convert', { uid: foreignUid, model: '3m-501' });
    expect(to3m).toMatchObject({ ok: false, error: { code: 'not_encodable' } });
    expect(to3m.error.message).toMatch(/DK-718500 would read as an item of this library/);
    // A 3M tag of ours converted to ISO gets this library as its owner, as programming would give it.
    const ownUid = pad.placeTag(libraryTag({ barcode: '30100000050', model: '3m-501', set: { partNumber: 2, partsInSet: 3 } }));
    await nextEvent<DeskPadView>(socket, 'pad', (p) => p.tags.some((t) => t.uid === ownUid && t.model === '3m-501'));
    const toIso = await emit(socket, 'tag.convert', { uid: ownUid, model: 'iso28560-3' });
    expect(toIso.ok).toBe(true);
    expect(toIso.data).toMatchObject({ condition: 'item', barcode: '30100000050', setInfo: { partNumber: 2, partsInSet: 3 }, ownerLibrary: 'SI-50000' });

    // Bad owner libraries are refused before the tag is touched, with what is wrong.
    const blankUid = pad.placeTag({});
    await nextEvent<DeskPadView>(socket, 'pad', (p) => p.tags.some((t) => t.uid === blankUid && t.condition === 'blank'));
    const typo = await emit(socket, 'tag.program', { uid: blankUid, barcode: '30100000051', model: 'iso28560-2', ownerLibrary: 'SI-Ljubljanač' });
    expect(typo).toMatchObject({ ok: false, error: { code: 'bad_owner' } });
    const long = await emit(socket, 'tag.program', { uid: blankUid, barcode: '30100000051', ownerLibrary: 'DE-Tue120-12345' });
    expect(long).toMatchObject({ ok: false, error: { code: 'bad_owner' } }); // 12 characters after the prefix
    expect(long.error.message).toMatch(/"DE-Tue120-12345" is not an ISIL: .* a hyphen and up to 11 /);
    const pipe = await emit(socket, 'tag.program', { uid: blankUid, barcode: '30|1' });
    expect(pipe).toMatchObject({ ok: false, error: { code: 'bad_barcode' } });
    const own3m = await emit(socket, 'tag.program', { uid: blankUid, barcode: '30100000051', model: '3m-501', ownerLibrary: 'DK-718500' });
    expect(own3m).toMatchObject({ ok: false, error: { code: 'not_encodable' } });
    expect([...pad.getTag(blankUid)!.memory].every((b) => b === 0)).toBe(true);
    socket.disconnect();
  });

  it('logs each new code at info level', async () => {
    const lines: string[] = [];
    const { Writable } = await import('node:stream');
    const sink = new Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) });
    const { PairingService } = await import('../../daemon/pairing/service.ts');
    let n = 0;
    const svc = new PairingService({
      db: daemon.db,
      clock,
      logger: createLogger({ level: 'info', destination: sink }),
      config: { codeTtlS: 60, tokenTtlH: 1, maxWrongCodes: 3 },
      pad: 'pad-x',
      audit: daemon.audit,
      random: (k) => Uint8Array.from({ length: k }, () => n++ % 23), // deterministic: A, C, D, E, …
    });
    expect(svc.currentCode().code).toBe('ACDE-FGHJ');
    clock.advanceMs(61_000);
    svc.tick();
    const shown = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(shown.filter((l) => l.msg.startsWith('pairing code for pad pad-x: ')).map((l) => [l.level, l.msg])).toEqual([
      [30, 'pairing code for pad pad-x: ACDE-FGHJ'],
      [30, `pairing code for pad pad-x: ${svc.currentCode().code}`],
    ]);
  });
});

/**
 * Desk programming with locking (config pairing.programming.lockBlocks: data) on a FEIG ISC pad: a
 * second daemon, so the desk above keeps rewriting and converting tags freely (the default, 'none').
 */
describe('programming with pairing.programming.lockBlocks: data (FEIG ISC pad)', () => {
  let d2: Daemon;
  let dir2: string;
  let socket: Socket;
  let lockPolicy: unknown;
  const blocks0to8 = [0, 1, 2, 3, 4, 5, 6, 7, 8];

  beforeAll(async () => {
    dir2 = mkdtempSync(join(tmpdir(), 'kiosk-pairing-lock-'));
    const loaded = loadConfig({ dataDir: dir2, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const { config, policy } = loaded.value;
    expect(config.pairing.programming.lockBlocks).toBe('none'); // the default: locking is for good
    config.pairing = { ...config.pairing, programming: { lockBlocks: 'data' } };
    config.devices = config.devices.map((d) => (d.kind === 'rfid' ? { ...d, model: 'feig-isc' } : d)) as typeof config.devices;
    d2 = await startDaemon({ config, policy, clock: new ManualClock(T0), logger: createLogger({ level: 'silent' }) });
    const base = d2.http.url;
    const cookie = await loginCookie(base, 'staff', 'staff');
    const res = await fetch(`${base}/staff/api/pair`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ code: d2.pairing.currentCode().code, desk: 'Tagging desk' }),
    });
    const token = ((await res.json()) as { data: { token: string } }).data.token;
    const c = await new Promise<{ socket: Socket; state: any }>((resolve, reject) => {
      const s = ioClient(`${base}/staff`, { transports: ['websocket'], extraHeaders: { cookie }, auth: { token }, reconnection: false, forceNew: true });
      sockets.push(s);
      s.once('state', (state) => resolve({ socket: s, state }));
      s.once('connect_error', reject);
    });
    socket = c.socket;
    lockPolicy = c.state.pad.lockPolicy;
  }, 60_000);

  afterAll(async () => {
    socket?.disconnect();
    await d2?.close();
    rmSync(dir2, { recursive: true, force: true });
  });

  const pad = () => d2.simulator!.sim('rfid').pad;
  const lockRows = () => d2.audit.recent(50, { action: 'staff.tag.lock' });

  /** Puts a blank tag on the pad and waits until the desk has read its security and lock state. */
  async function blankTag(): Promise<string> {
    const uid = pad().nextUid();
    const seen = nextEvent<DeskPadView>(socket, 'pad', (p) => p.tags.some((t) => t.uid === uid && t.condition === 'blank' && t.security !== null && t.locks !== null));
    pad().placeTag({ uid, afi: 0x07 });
    const view = (await seen).tags.find((t) => t.uid === uid)!;
    expect(view.locks).toEqual({ blocks: [], blockCount: 28, error: null });
    return uid;
  }

  let lockedUid = '';

  it('locks the blocks holding the data after the verified write; the page and the audit list them', async () => {
    expect(lockPolicy).toBe('data');
    const uid = await blankTag();
    const prog = await emit(socket, 'tag.program', { uid, barcode: '30100000007' });
    expect(prog.ok).toBe(true);
    expect(prog.data).toMatchObject({ condition: 'item', barcode: '30100000007', ownerLibrary: 'SI-50000', model: 'iso28560-3' });
    // ISO 28560-3 basic block with the owner ISIL: 34 bytes = blocks 0–8.
    expect(prog.data.lock).toEqual({
      policy: 'data',
      requested: blocks0to8,
      locked: blocks0to8,
      alreadyLocked: [],
      failed: [],
      status: 'done',
      message: 'Locked blocks 0–8 for good.',
    });
    // Read back from the tag (FEIG [B0 2C] block security status), not taken from the request.
    expect(prog.data.locks).toEqual({ blocks: blocks0to8, blockCount: 28, error: null });
    expect(pad().getTag(uid)!.lockedBlocks).toEqual(blocks0to8);

    const lockRow = lockRows()[0]!;
    expect(lockRow).toMatchObject({ actor: 'staff', target: uid, outcome: 'ok' });
    expect(lockRow.detail).toMatchObject({ barcode: '30100000007', policy: 'data', locked: blocks0to8, failed: [] });
    expect(d2.audit.recent(50, { action: 'staff.tag.program' })[0]).toMatchObject({ target: uid, outcome: 'ok', detail: { lock: 'done' } });
    lockedUid = uid;
  });

  it('a second write to the locked tag is refused by the tag, and the API says so', async () => {
    const uid = lockedUid;
    const before = pad().getTag(uid)!.memory;
    const again = await emit(socket, 'tag.program', { uid, barcode: '30100000008', overwrite: true });
    expect(again.ok).toBe(false);
    expect(again.error.code).toBe('tag_locked');
    expect(again.error.message).toMatch(/^tag E004\w+ refused the write: its blocks 0–8 are locked for good \(.*ISO 15693 error 0x12 \(block locked, content cannot change\)\)\. A locked tag cannot be reprogrammed; use a new tag\.$/);
    expect(pad().getTag(uid)!.memory).toEqual(before);
    const refused = d2.audit.recent(50, { action: 'staff.tag.program' })[0]!;
    expect(refused).toMatchObject({ target: uid, outcome: 'refused' });
    expect(refused.detail?.code).toBe('tag_locked');

    const conv = await emit(socket, 'tag.convert', { uid, model: 'iso28560-2' });
    expect(conv).toMatchObject({ ok: false, error: { code: 'tag_locked' } });
    const { detectAndDecode } = await import('../../protocols/iso28560/index.ts');
    const t = pad().getTag(uid)!;
    const still = detectAndDecode(t.memory, { dsfid: t.dsfid });
    expect(still.ok && [still.tag.model, still.tag.primaryItemId]).toEqual(['iso28560-3', '30100000007']);
  });

  it('a lock the tag refuses is reported as failed on the page and in the audit, never as done', async () => {
    const uid = await blankTag();
    pad().setFault({ kind: 'lock-refused', count: 20, uid });
    const prog = await emit(socket, 'tag.program', { uid, barcode: '30100000009' });
    // The data itself is written and verified …
    expect(prog.ok).toBe(true);
    expect(prog.data.barcode).toBe('30100000009');
    // … but nothing is locked, and the answer says which blocks and why.
    expect(prog.data.lock).toMatchObject({ policy: 'data', status: 'failed', requested: blocks0to8, locked: [], alreadyLocked: [] });
    expect(prog.data.lock.failed).toHaveLength(9);
    expect(prog.data.lock.failed[0]).toMatchObject({ block: 0, code: 'write_refused' });
    expect(prog.data.lock.message).toMatch(/^NOT locked: blocks 0–8 \(lock blocks 0–8 of E004\w+ \(stopped at block 0\): ISO 15693 error 0x12/);
    expect(prog.data.locks.blocks).toEqual([]);
    expect(pad().getTag(uid)!.lockedBlocks).toEqual([]);
    const row = lockRows()[0]!;
    expect(row).toMatchObject({ target: uid, outcome: 'error' });
    expect((row.detail?.failed as Array<{ block: number }>).map((f) => f.block)).toEqual(blocks0to8);
    pad().clearFaults();
  });
});

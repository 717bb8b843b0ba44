/**
 * Staff logins against a real daemon (startDaemon on a temporary SQLite store with the demo library
 * and its demo accounts), over real HTTP and socket.io, with a manual clock for session expiry and
 * lockouts; and `kiosk admin …` as a child process on the same store.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../daemon/clock.ts';
import { loadConfig } from '../../daemon/config.ts';
import { createLogger } from '../../daemon/log.ts';
import { startDaemon, type Daemon } from '../../daemon/main.ts';
import { runKiosk } from '../helpers/process.ts';
import { loginCookie, runKioskWithInput } from '../helpers/staff.ts';

let dataDir: string;
let daemon: Daemon;
let url: string;
const clock = new ManualClock('2024-06-03T09:00:00+02:00');

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kiosk-auth-'));
  const loaded = loadConfig({ dataDir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const { config, policy } = loaded.value;
  // Small thresholds so the test reaches them; the defaults are 5 per user and 20 per address.
  config.auth = { ...config.auth, lockout: { userFailures: 3, addressFailures: 8, baseS: 60, maxS: 600, windowS: 900 } };
  daemon = await startDaemon({ config, policy, clock, logger: createLogger({ level: 'silent' }) });
  url = daemon.http.url;
});

afterAll(async () => {
  await daemon?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function login(user: string, password: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ user, password }) });
}

const get = (path: string, cookie?: string) => fetch(`${url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });

function auditRows(action?: string) {
  return daemon.audit.recent(1000, action ? { action } : {});
}

/** Connects to a namespace; resolves with the socket once connected or with the connect_error. */
function connect(ns: string, cookie?: string): Promise<{ socket: Socket; error: (Error & { data?: { code?: string } }) | null; snapshot: Promise<{ user: string; devices: unknown[] }> }> {
  const socket = ioClient(`${url}${ns}`, { transports: ['websocket'], reconnection: false, forceNew: true, ...(cookie ? { extraHeaders: { cookie } } : {}) });
  // Listening before the handshake: the snapshot may arrive in the same read as the connect.
  const snapshot = new Promise<{ user: string; devices: unknown[] }>((resolve) => socket.once('snapshot', resolve));
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, error: null, snapshot }));
    socket.once('connect_error', (e) => resolve({ socket, error: e as Error & { data?: { code?: string } }, snapshot }));
  });
}

describe('login and logout over HTTP', () => {
  it('serves the login page with labelled fields', async () => {
    const res = await get('/login');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<label for="user">User name</label>');
    expect(html).toContain('<label for="password">Password</label>');
    expect(html).toMatch(/id="password"[^>]*type="password"/);
    expect((await get('/login/login.js')).status).toBe(200);
  });

  it('a correct password sets an HttpOnly SameSite=Strict session cookie; the session names the user and role', async () => {
    const res = await login('admin', 'admin');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, data: { user: 'admin', role: 'admin' } });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^kiosk_session=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    const session = await get('/api/session', cookie.split(';')[0]);
    expect(await session.json()).toMatchObject({ ok: true, data: { user: 'admin', role: 'admin' } });
    // The store keeps only a hash of the token.
    const token = cookie.split(';')[0]!.split('=')[1]!;
    expect(daemon.db.prepare('SELECT COUNT(*) AS n FROM staff_sessions WHERE token_hash = ? OR id = ?').get(token, token)).toEqual({ n: 0 });
  });

  it('a wrong password or an unknown user gets 401 with one message for both, and is audited', async () => {
    const wrong = await login('staff', 'nope');
    const unknown = await login('nobody', 'nope');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = (await wrong.json()) as { error: { code: string; message: string } };
    const b = (await unknown.json()) as { error: { code: string; message: string } };
    expect(a.error).toEqual(b.error);
    expect(a.error.code).toBe('bad_credentials');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const refused = auditRows('auth.login').filter((r) => r.outcome === 'refused');
    expect(refused.map((r) => [r.target, r.detail?.reason])).toEqual(expect.arrayContaining([['staff', 'bad_password'], ['nobody', 'unknown_user']]));
    // Correct logins clear the count: the next test starts from zero failures.
    expect((await login('staff', 'staff')).status).toBe(200);
  });

  it('refuses bodies that are not a JSON {user, password}', async () => {
    const form = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=admin&password=admin' });
    expect(form.status).toBe(415);
    const broken = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
    const empty = await login('', '');
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { message: string } }).error.message).toBe('user: enter your user name; password: enter your password');
  });

  it('logout ends the session: the cookie no longer opens anything, and the logout is audited', async () => {
    const cookie = await loginCookie(url, 'staff', 'staff');
    expect((await get('/api/session', cookie)).status).toBe(200);
    const out = await fetch(`${url}/api/logout`, { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^kiosk_session=; .*Max-Age=0/);
    expect((await get('/api/session', cookie)).status).toBe(401);
    expect(auditRows('auth.logout')[0]).toMatchObject({ actor: 'staff', outcome: 'ok' });
  });
});

describe('sessions expire', () => {
  it('after the idle timeout (1 hour by default) without a request', async () => {
    const cookie = await loginCookie(url, 'staff', 'staff');
    clock.advanceMs(59 * 60_000);
    expect((await get('/api/session', cookie)).status).toBe(200); // used: the idle time starts again
    clock.advanceMs(59 * 60_000);
    expect((await get('/api/session', cookie)).status).toBe(200);
    clock.advanceMs(60 * 60_000 + 1000);
    const res = await get('/api/session', cookie);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ ok: false, error: { code: 'login_required', message: 'Please log in.' } });
  });

  it('8 hours after login even while in use', async () => {
    const cookie = await loginCookie(url, 'staff', 'staff');
    for (let h = 0; h < 8; h++) {
      clock.advanceMs(59 * 60_000);
      expect((await get('/api/session', cookie)).status).toBe(200);
    }
    clock.advanceMs(9 * 60_000); // 8 h 1 min after login, 9 min after the last request
    expect((await get('/api/session', cookie)).status).toBe(401);
  });
});

describe('who may open what', () => {
  it('the admin page sends a visitor without a session to the login page, with the way back', async () => {
    const res = await get('/admin');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login?next=%2Fadmin');
  });

  it('a staff member is refused the admin page and its API; an admin gets both', async () => {
    const staff = await loginCookie(url, 'staff', 'staff');
    const page = await get('/admin', staff);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('This page needs the admin role.');
    const api = await get('/admin/api/snapshot', staff);
    expect(api.status).toBe(403);
    expect(await api.json()).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await get('/admin/api/snapshot')).status).toBe(401);

    const admin = await loginCookie(url, 'admin', 'admin');
    expect((await get('/admin', admin)).status).toBe(200);
    const snap = (await (await get('/admin/api/snapshot', admin)).json()) as { data: { devices: Array<{ id: string; state: string }> } };
    expect(snap.data.devices.find((d) => d.id === 'pad')?.state).toBe('ready');
  });

  it('the /admin socket namespace refuses a handshake without a session cookie, and a staff cookie', async () => {
    const anon = await connect('/admin');
    expect(anon.error?.data?.code).toBe('login_required');
    anon.socket.close();
    const staff = await connect('/admin', await loginCookie(url, 'staff', 'staff'));
    expect(staff.error?.data?.code).toBe('forbidden');
    staff.socket.close();
  });

  it('an admin socket gets the snapshot, and is disconnected when its session is revoked by another admin', async () => {
    const cookie = await loginCookie(url, 'admin', 'admin');
    const { socket, error, snapshot } = await connect('/admin', cookie);
    try {
      expect(error).toBeNull();
      const snap = await snapshot;
      expect(snap.user).toBe('admin');
      expect(snap.devices.length).toBeGreaterThan(0);
      const other = await loginCookie(url, 'admin', 'admin');
      const mine = daemon.auth.principalFromToken(cookie.split('=')[1]!)!.sessionId;
      const listed = (await (await get('/admin/api/snapshot', other)).json()) as { data: { sessions: Array<{ id: string; user: string }> } };
      expect(listed.data.sessions.map((s) => s.id)).toContain(mine);
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const revoke = await fetch(`${url}/admin/api/sessions/${mine}/revoke`, { method: 'POST', headers: { cookie: other } });
      expect(revoke.status).toBe(200);
      expect(await disconnected).toBe('io server disconnect');
      expect(auditRows('session.revoke')[0]).toMatchObject({ actor: 'admin', target: 'admin', outcome: 'ok', detail: { session: mine } });
      expect((await get('/api/session', cookie)).status).toBe(401);
    } finally {
      socket.close();
    }
  });
});

describe('lockout after repeated failures', () => {
  it('locks a user name after 3 wrong passwords with 429 and Retry-After, even for the right password; lifts with time; doubles the next time', async () => {
    for (let i = 0; i < 2; i++) expect((await login('staff', `wrong-${i}`)).status).toBe(401);
    const third = await login('staff', 'wrong-2');
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('60');
    expect(await third.json()).toMatchObject({ ok: false, error: { code: 'too_many_attempts', message: 'Too many failed logins. Try again in 60 seconds.', retryAfterS: 60 } });
    // While locked, the right password is not even checked.
    const locked = await login('staff', 'staff');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBe(60);
    clock.advanceMs(30_000);
    expect((await login('staff', 'staff')).headers.get('retry-after')).toBe('30');
    // Another user from the same address is not locked by staff's lockout.
    expect((await login('admin', 'admin')).status).toBe(200);

    clock.advanceMs(30_000);
    // Lifted; three more failures in a row lock it for twice as long.
    for (let i = 0; i < 2; i++) expect((await login('staff', `again-${i}`)).status).toBe(401);
    const again = await login('staff', 'again-2');
    expect(again.status).toBe(429);
    expect(again.headers.get('retry-after')).toBe('120');
    clock.advanceMs(120_000);
    expect((await login('staff', 'staff')).status).toBe(200);

    const attempts = daemon.db.prepare("SELECT outcome, COUNT(*) AS n FROM login_attempts WHERE user = 'staff' GROUP BY outcome").all() as Array<{ outcome: string; n: number }>;
    expect(Object.fromEntries(attempts.map((a) => [a.outcome, a.n]))).toMatchObject({ locked: 2 });
    const lockAudit = auditRows('auth.login').find((r) => r.detail?.reason === 'locked');
    expect(lockAudit).toMatchObject({ target: 'staff', outcome: 'refused' });
  });

  it('locks the remote address after 8 failures on any names', async () => {
    for (let i = 0; i < 7; i++) expect((await login(`guess${i}`, 'x')).status).toBe(401);
    const eighth = await login('guess7', 'x');
    expect(eighth.status).toBe(429);
    // Now even a real account with its right password is refused from this address.
    expect((await login('admin', 'admin')).status).toBe(429);
    clock.advanceMs(61_000);
    expect((await login('admin', 'admin')).status).toBe(200);
  });

  it('never writes a password into the audit log or the attempts', () => {
    const rows = daemon.db.prepare('SELECT detail FROM audit_log').all() as Array<{ detail: string | null }>;
    for (const r of rows) expect(r.detail ?? '').not.toMatch(/wrong-|again-|"staff"\s*:\s*"staff"|password"\s*:\s*"[^*]/);
    const cols = daemon.db.prepare('PRAGMA table_info(login_attempts)').all() as Array<{ name: string }>;
    expect(cols.map((c) => c.name)).not.toContain('password');
  });
});

describe('kiosk admin (CLI) on the daemon’s store', { timeout: 120_000 }, () => {
  it('creates an account from a password on standard input; the daemon lets it log in', async () => {
    const r = await runKioskWithInput(['admin', 'create', 'librarian1', '--role', 'staff', '--password-stdin', '--data', dataDir], 'correct horse battery\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('created staff account "librarian1"\n');
    const res = await login('librarian1', 'correct horse battery');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { user: 'librarian1', role: 'staff' } });
    expect(auditRows('account.create')[0]).toMatchObject({ target: 'librarian1', outcome: 'ok', detail: { role: 'staff' } });
    expect(auditRows('account.create')[0]!.actor).toMatch(/^cli/);
  });

  it('refuses a password on the command line, a short one, a duplicate name and a bad role', async () => {
    const argv = await runKiosk(['admin', 'create', 'eve', '--password', 'secret123', '--data', dataDir]);
    expect(argv.code).not.toBe(0);
    expect(argv.stderr).toMatch(/unknown option '--password'/);
    const short = await runKioskWithInput(['admin', 'create', 'eve', '--password-stdin', '--data', dataDir], 'abc\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toBe('kiosk: the password is too short: at least 8 characters (auth.minPasswordLength)\n');
    const dup = await runKioskWithInput(['admin', 'create', 'ADMIN', '--password-stdin', '--data', dataDir], 'long enough pw\n');
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/an account "admin" already exists/); // the existing name, as it is spelt
    const role = await runKioskWithInput(['admin', 'create', 'eve', '--role', 'root', '--password-stdin', '--data', dataDir], 'long enough pw\n');
    expect(role.code).toBe(2);
    expect(role.stderr).toBe('kiosk: --role must be admin or staff, not "root"\n');
    const noTty = await runKiosk(['admin', 'create', 'eve', '--data', dataDir]);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/--password-stdin/);
    expect((await runKiosk(['admin', 'passwd', 'admin', '--data', dataDir])).stderr).toMatch(/kiosk admin passwd USER --password-stdin/);
    // A mistyped data directory is said, not created empty (create alone may make the first store).
    const typo = await runKiosk(['admin', 'list', '--data', `${dataDir}-typo`]);
    expect([typo.code, typo.stderr]).toEqual([1, `kiosk: no store in ${dataDir}-typo (is --data or KIOSK_DATA_DIR right? \`kiosk start\` or \`kiosk import\` creates one)\n`]);
    expect(existsSync(`${dataDir}-typo`)).toBe(false);
  });

  it('lists accounts, disables one (its open session ends at once) and sets a new password', async () => {
    const cookie = await loginCookie(url, 'librarian1', 'correct horse battery');
    const list = await runKiosk(['admin', 'list', '--data', dataDir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^USER\s+ROLE\s+STATE/);
    expect(list.stdout).toMatch(/\nlibrarian1\s+staff\s+active\s/);
    expect(list.stdout).toMatch(/\nadmin\s+admin\s+active\s/);

    const dis = await runKiosk(['admin', 'disable', 'librarian1', '--data', dataDir]);
    expect(dis.code).toBe(0);
    expect(dis.stdout).toBe('account "librarian1" disabled\n');
    expect((await get('/api/session', cookie)).status).toBe(401);
    expect((await login('librarian1', 'correct horse battery')).status).toBe(401);
    expect((await runKiosk(['admin', 'disable', 'ghost', '--data', dataDir])).stderr).toBe('kiosk: no account "ghost"\n');

    expect((await runKiosk(['admin', 'enable', 'librarian1', '--data', dataDir])).code).toBe(0);
    const pw = await runKioskWithInput(['admin', 'passwd', 'librarian1', '--password-stdin', '--data', dataDir], 'a brand new one\n');
    expect(pw.code).toBe(0);
    expect((await login('librarian1', 'correct horse battery')).status).toBe(401);
    expect((await login('librarian1', 'a brand new one')).status).toBe(200);
  });
});

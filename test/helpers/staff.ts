/**
 * Staff logins for tests (daemon/auth): a session cookie for fetch and socket.io-client, and a
 * login through the real /login page for playwright. The demo store has staff/staff and admin/admin.
 */
import type { Page } from 'playwright-core';
import { runKiosk, type RunResult } from './process.ts';

/**
 * Logs in over POST /api/login and returns the Cookie header value (`kiosk_session=…`) for fetch
 * (`headers: { cookie }`) or socket.io-client (`extraHeaders: { cookie }`). Throws with the
 * daemon's answer when the login is refused.
 */
export async function loginCookie(baseUrl: string, user: string, password: string): Promise<string> {
  const res = await fetch(new URL('/api/login', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`login as ${user} refused: HTTP ${res.status} ${body}`);
  const setCookie = res.headers.get('set-cookie');
  const m = setCookie ? /(?:^|,\s*)(kiosk_session=[^;]+)/.exec(setCookie) : null;
  if (!m) throw new Error(`login as ${user}: no kiosk_session cookie in the answer (${setCookie ?? 'no Set-Cookie'})`);
  return m[1]!;
}

/** Logs a playwright page in through the /login form; ends on the page the login leads to. */
export async function loginInBrowser(page: Page, baseUrl: string, user: string, password: string, next?: string): Promise<void> {
  const url = new URL('/login', baseUrl);
  if (next) url.searchParams.set('next', next);
  await page.goto(url.toString());
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login', { timeout: 10_000 }), page.getByRole('button', { name: 'Log in' }).click()]);
}

/** Runs `kiosk ARGS…` with `input` on standard input (e.g. a password for --password-stdin). */
export function runKioskWithInput(args: string[], input: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<RunResult> {
  return runKiosk(args, env, timeoutMs, input);
}

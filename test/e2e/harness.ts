/**
 * End-to-end harness: the whole daemon in-process (startDaemon from daemon/main.ts: SQLite store
 * with the demo library, embedded engine, simulated devices on their real drivers, the station, the
 * /kiosk socket namespace, the built UI) on a temporary data directory, driven through its
 * simulator API, and real Chromium through playwright-core (the system's, never a downloaded one).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Config } from '../../config/schema.ts';
import { systemClock, type Clock } from '../../daemon/clock.ts';
import { loadConfig, repoRoot } from '../../daemon/config.ts';
import type { SimulatorApi } from '../../daemon/devices/simulator-api.ts';
import { createLogger } from '../../daemon/log.ts';
import { startDaemon, type Daemon } from '../../daemon/main.ts';
import type { Station } from '../../daemon/station/station.ts';

export const UI_DIST = join(repoRoot, 'dist', 'kiosk-ui');
export const SCREENSHOTS = join(repoRoot, 'test-results', 'screenshots');

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

// ------------------------------------------------------------------------------------------ build

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the UI with Vite unless dist/kiosk-ui is newer than its sources; one build at a time. */
export async function ensureUiBuilt(): Promise<void> {
  const lock = join(repoRoot, 'dist', '.kiosk-ui-build.lock');
  mkdirSync(join(repoRoot, 'dist'), { recursive: true });
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building: wait for it (a lock older than 2 minutes is stale).
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile: try again at once
      }
      if (waited > 120_000 || age > 120_000) rmSync(lock, { recursive: true, force: true });
      await sleep(100);
    }
  }
  try {
    const sources = Math.max(
      newestMtime(join(repoRoot, 'kiosk-ui')),
      newestMtime(join(repoRoot, 'protocols', 'kiosk-api')),
      statSync(join(repoRoot, 'vite.config.ts')).mtimeMs,
    );
    const index = join(UI_DIST, 'index.html');
    if (existsSync(index) && statSync(index).mtimeMs > sources) return;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (${code}):\n${out}`))));
    });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// ----------------------------------------------------------------------------------------- daemon

export interface E2eKiosk {
  url: string;
  daemon: Daemon;
  /** Place tags, scan, unplug, read printed receipts — through the device simulators. */
  sim: SimulatorApi;
  station: Station;
  /** The patron walked away: the daemon's session ends and the pad is cleared. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface E2eOptions {
  /** Kiosk settings laid over config/default.yaml's (idle timeout, languages …). */
  kiosk?: Partial<Config['kiosk']>;
  /** A configuration file laid over config/default.yaml (YAML text), e.g. an upstream backend. */
  configYaml?: string;
  /** The daemon's clock (a ManualClock for tests that move time on); the system clock by default. */
  clock?: Clock;
}

export async function startE2eKiosk(o: E2eOptions = {}): Promise<E2eKiosk> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kiosk-e2e-'));
  let configFile: string | undefined;
  if (o.configYaml !== undefined) {
    configFile = join(dataDir, 'e2e.yaml');
    writeFileSync(configFile, o.configYaml);
  }
  const loaded = loadConfig({ dataDir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent', ...(configFile ? { configFile } : {}) }, {});
  if (!loaded.ok) throw new Error(`config:\n${loaded.problems.join('\n')}`);
  const { config, policy } = loaded.value;
  const logger = createLogger({ level: process.env.KIOSK_E2E_LOG ?? 'silent' });
  // English first (the screen's default) unless a test says otherwise; Slovenian patrons still get Slovenian.
  config.kiosk = { ...config.kiosk, languages: ['en', 'sl', 'lv', 'hu'], ...o.kiosk };
  const daemon = await startDaemon({ config, policy, clock: o.clock ?? systemClock, logger });
  if (!daemon.simulator) throw new Error('the e2e needs simulated devices (config.devices with simulated: true)');
  const sim = daemon.simulator;
  const station = daemon.station;

  return {
    url: daemon.http.url,
    daemon,
    sim,
    station,
    async reset() {
      await station.end({ key: `e2e-reset-${Date.now()}-${Math.random().toString(36).slice(2)}` });
      sim.clearPad();
    },
    async close() {
      await daemon.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------- browser

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.KIOSK_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export const chromiumAvailable = (): boolean => existsSync(process.env.KIOSK_CHROMIUM ?? '/usr/bin/chromium');

/** A fresh kiosk page (its own browser context: no state shared with other tests). */
export async function openKiosk(browser: Browser, k: E2eKiosk): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1024 }, locale: 'en-GB', reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(k.url);
  await page.locator('[data-screen="attract"]').waitFor({ timeout: 10_000 });
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

// ----------------------------------------------------------------------------------- page helpers

const AXE_SOURCE = join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js');

export interface AxeViolation {
  screen: string;
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** axe-core's WCAG A/AA rules on the page as it is now; returns the violations (none expected). */
export async function axeScan(page: Page, screen: string): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_SOURCE });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: unknown) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.map(String).join(' ')) }));
  });
  return found.map((v) => ({ screen, ...v }));
}

/** Waits for the screen, saves a screenshot and runs axe; violations go into `sink`. */
export async function checkScreen(page: Page, screen: string, shot: string | null, sink: AxeViolation[]): Promise<void> {
  await page.locator(`[data-screen="${screen}"]`).waitFor({ timeout: 10_000 });
  if (shot) await screenshot(page, shot);
  sink.push(...(await axeScan(page, shot ?? screen)));
}

/** A patron puts the card on the pad and types the PIN on the on-screen pad: ends on the menu. */
export async function loginWithCard(page: Page, sim: SimulatorApi, card: string, pin = '1234', o: { shots?: string; axe?: AxeViolation[] } = {}): Promise<void> {
  await sim.placeCard(card);
  await page.locator('[data-screen="pin"] #pin').waitFor({ timeout: 8000 });
  if (o.axe) await checkScreen(page, 'pin', o.shots ? `${o.shots}-pin` : null, o.axe);
  for (const d of pin) await page.locator('.keypad .key', { hasText: new RegExp(`^${d}$`) }).click();
  await page.locator('[data-screen="pin"] button[type="submit"]').click();
  await page.locator('[data-screen="menu"]').waitFor({ timeout: 8000 });
  // The card goes back into the patron's pocket.
  sim.removeItem(card);
}

/** The row of an item (by pad entry key or barcode) once it has an outcome. */
export function itemRow(page: Page, ref: string) {
  return page.locator(`.item-list li[data-ref="${ref}"]`);
}

export async function waitOutcome(page: Page, ref: string, timeout = 10_000): Promise<{ status: string; text: string }> {
  const row = itemRow(page, ref);
  await page.locator(`.item-list li[data-ref="${ref}"]:not([data-status="pending"])`).waitFor({ timeout });
  return { status: (await row.getAttribute('data-status')) ?? '', text: await row.innerText() };
}

/** A patron logs in with the card, taps Borrow and puts one item on the pad; ends with it lent (else throws). */
export async function borrowOne(page: Page, sim: SimulatorApi, card: string, barcode: string): Promise<void> {
  await loginWithCard(page, sim, card);
  await page.getByRole('button', { name: 'Borrow', exact: true }).click();
  await sim.placeItem(barcode);
  const o = await waitOutcome(page, barcode);
  if (o.status !== 'done') throw new Error(`${barcode} was not lent: ${o.status} (${o.text})`);
}

/**
 * The daemon's kiosk UI handler (daemon/http/kiosk-ui.ts): the built app with long-cached hashed
 * assets, index.html for the app's own paths, 404 for a missing file, the daemon's own paths left
 * alone, and a clear 503 page while the UI has not been built.
 */
import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kioskUiRouter } from '../../../daemon/http/kiosk-ui.ts';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve(dist: string): Promise<string> {
  const app = express();
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.use(kioskUiRouter(dist));
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function dist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-ui-dist-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('kioskUiRouter', () => {
  it('serves the built app: index.html for the app\'s paths, assets cached for a year, 404 for a missing file', async () => {
    const dir = dist();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>kiosk</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const url = await serve(dir);
    for (const path of ['/', '/borrow', '/some/deep/path']) {
      const r = await fetch(url + path);
      expect(r.status, path).toBe(200);
      expect(await r.text()).toContain('<title>kiosk</title>');
      expect(r.headers.get('cache-control')).toBe('no-cache');
    }
    const asset = await fetch(`${url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/);
    expect((await fetch(`${url}/assets/index-gone.js`)).status).toBe(404);
    expect((await fetch(`${url}/favicon.ico`)).status).toBe(404);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/socket.io/?EIO=4`)).status).toBe(404);
  });

  it('says clearly that the UI is not built yet (503), instead of a bare 404', async () => {
    const url = await serve(join(dist(), 'missing'));
    const r = await fetch(`${url}/`);
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('npm run build:ui');
  });
});

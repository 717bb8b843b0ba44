/**
 * Serves the built kiosk UI (vite build → dist/kiosk-ui): static files with long caching for the
 * hashed assets, index.html for every other GET that wants a page (the app routes on the client),
 * and a clear 503 page when the UI has not been built yet.
 */
import express, { type Router } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Paths the daemon answers itself; they never fall back to the UI's index.html. */
const notUi = /^\/(socket\.io|health|api)(\/|$)/;

const notBuilt = (dir: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kiosk UI not built</title>
<style>body{font:18px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}code{background:#eee;padding:.1rem .3rem}</style>
</head><body><main><h1>The kiosk UI has not been built</h1>
<p>The daemon is running, but there is no built user interface in <code>${dir.replace(/[<>&]/g, '')}</code>.</p>
<p>Build it with <code>npm run build:ui</code> (or <code>npx vite build</code>) and reload this page.</p>
</main></body></html>`;

export function kioskUiRouter(distDir: string): Router {
  const dir = resolve(distDir);
  const index = join(dir, 'index.html');
  const router = express.Router();
  // Built once and fingerprinted by Vite: cache for a year; index.html is never cached, so an update shows at once.
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: true, index: false }),
  );
  router.use(express.static(dir, { index: false, maxAge: 0 }));
  router.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || notUi.test(req.path)) return next();
    // A missing asset is a 404, not the app.
    if (req.path.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(req.path)) return next();
    if (!existsSync(index)) {
      res.status(503).set('Cache-Control', 'no-store').type('html').send(notBuilt(dir));
      return;
    }
    res.set('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}

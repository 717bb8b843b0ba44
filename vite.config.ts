/**
 * The kiosk UI build: `npx vite build` → dist/kiosk-ui (served by the daemon, daemon/http/kiosk-ui.ts).
 * `npx vite` serves it in development with the daemon's socket.io proxied (KIOSK_DAEMON_URL, default
 * http://127.0.0.1:7380).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./kiosk-ui', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/kiosk-ui', import.meta.url));
const daemon = process.env.KIOSK_DAEMON_URL ?? 'http://127.0.0.1:7380';

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/socket.io': { target: daemon, ws: true } },
  },
});

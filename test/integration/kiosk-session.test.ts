/**
 * The kiosk's patron session on the daemon side (daemon/station/socket.ts): a page that reloads
 * comes back to its session; a page that closed and stays away does not leave the patron's
 * session open for whoever opens the kiosk next. Real daemon, real socket.io over TCP.
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

let daemon: Daemon;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kiosk-session-'));
  const loaded = loadConfig({ dataDir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const { config, policy } = loaded.value;
  config.kiosk = { ...config.kiosk, idleTimeoutS: 10, warningS: 3 }; // the smallest the schema allows
  daemon = await startDaemon({ config, policy, clock: new ManualClock('2026-03-02T10:00:00+01:00'), logger: createLogger({ level: 'silent' }) });
}, 60_000);
afterAll(async () => {
  await daemon?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function page(): Promise<{ socket: Socket; state: any }> {
  return new Promise((resolve, reject) => {
    const socket = ioClient(`${daemon.http.url}/kiosk`, { transports: ['websocket'], reconnection: false, forceNew: true });
    socket.once('state', (state) => resolve({ socket, state }));
    socket.once('connect_error', reject);
  });
}

describe('kiosk patron session', () => {
  it('a reloaded page resumes the session; a page gone for the idle time plus the warning ends it', async () => {
    const first = await page();
    const id = await first.socket.emitWithAck('session.identify', { key: 'identify-1', identifier: '0100001', pin: '1234' });
    expect(id, JSON.stringify(id)).toMatchObject({ ok: true, data: { patron: { displayName: 'Ana' } } });
    first.socket.disconnect();

    // A reload: back within a moment, on the same patron's session.
    await new Promise((r) => setTimeout(r, 1000));
    const reloaded = await page();
    expect(reloaded.state.session.patron).toMatchObject({ displayName: 'Ana' });
    reloaded.socket.disconnect();

    // Closed for good: after idle (10 s) + warning (3 s) with no page, the session is over.
    await new Promise((r) => setTimeout(r, 11_000));
    expect(daemon.station.view()?.patron).toMatchObject({ displayName: 'Ana' }); // not before
    await new Promise((r) => setTimeout(r, 3_000));
    expect(daemon.station.view()).toBeNull();
    const next = await page();
    expect(next.state.session).toBeNull();
    next.socket.disconnect();
  }, 30_000);
});

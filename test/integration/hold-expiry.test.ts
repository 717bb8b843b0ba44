/**
 * The library's reservation expiry (daemon/circulation/hold-expiry.ts) in the real daemon: a copy
 * left on the hold shelf past its date is taken from the reader who did not come (with the
 * unclaimed-hold fee of the preset) and given back, so the next reader can borrow it. The daemon
 * is started on the demo library, stopped, and started again 30 days later on the same store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../daemon/clock.ts';
import { loadConfig } from '../../daemon/config.ts';
import { createLogger } from '../../daemon/log.ts';
import { startDaemon, type Daemon } from '../../daemon/main.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'kiosk-hold-expiry-'));
let daemon: Daemon | undefined;
afterAll(async () => {
  await daemon?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(at: string): Promise<Daemon> {
  const loaded = loadConfig({ dataDir, port: 0, sip2Port: 0, host: '127.0.0.1', logLevel: 'silent' }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return startDaemon({ ...loaded.value, clock: new ManualClock(at), logger: createLogger({ level: 'silent' }) });
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('reservation expiry', () => {
  it('runs by itself: an uncollected copy goes back with the unclaimed-hold fee, and others may borrow it', async () => {
    daemon = await start('2026-03-02T09:00:00+01:00');
    const before = await daemon.backend.patronInformation('0100004');
    expect(before.ok && before.patron.holds).toMatchObject([{ status: 'W', itemBarcode: '30100000081' }]);
    const refused = await daemon.backend.checkout({ patron: '0100001', item: '30100000081' });
    expect(refused).toMatchObject({ ok: false, reason: 'item_reserved' });
    await daemon.close();

    daemon = await start('2026-04-01T09:00:00+02:00');
    const after = await until(
      () => daemon!.backend.patronInformation('0100004'),
      (p) => p.ok && p.patron.holds.length === 0,
    );
    expect(after.ok && after.patron.holds).toEqual([]);
    expect(after.ok && after.patron.fees.filter((f) => f.kind === 'unclaimed_hold')).toMatchObject([{ amount: 1 }]);
    const item = await daemon.backend.itemInformation('30100000081');
    expect(item.ok && item.item.status).toBe('free');
    const lent = await daemon.backend.checkout({ patron: '0100001', item: '30100000081' });
    expect(lent.ok).toBe(true);
    // The vendor's locker place expires by the same job (docs/locker-vendor.md); the copy is free again.
    const vendor = await daemon.backend.itemInformation('30100000043');
    expect(vendor.ok && vendor.item.status).toBe('free');
  }, 60_000);
});

/**
 * The device manager with real drivers on their simulators: the default configuration comes up
 * ready, a device that is unplugged goes offline alone and comes back by itself after a replug, and
 * a device that cannot be opened stays offline with its reason without holding up the others.
 */
import { describe, expect, it } from 'vitest';
import type { ScanEvent } from '../../../drivers/scanner/index.ts';
import { DEFAULT_DEVICES_INPUT } from '../../../daemon/devices/config.ts';
import { backoffDelayMs, DEFAULT_BACKOFF } from '../../../daemon/devices/manager.ts';
import { eventually, receipt, startManager, stateOf } from './helpers.ts';

describe('device manager', () => {
  it('brings every default (simulated) device to ready and reports each on device.state and in the health summary', async () => {
    const { manager, events } = await startManager(DEFAULT_DEVICES_INPUT);

    const ids = manager.list().map((s) => s.id);
    expect(ids).toEqual(['pad', 'scanner', 'printer', 'printer.drawer', 'tablet']);
    expect(manager.list().every((s) => s.state === 'ready' && s.simulated)).toBe(true);
    // Every device was seen connecting and then ready on the event stream.
    for (const id of ids) {
      const mine = events.filter((e) => e.id === id).map((e) => e.state);
      expect(mine.at(-1)).toBe('ready');
    }
    expect(events.some((e) => e.id === 'pad' && e.state === 'connecting')).toBe(true);

    const health = manager.healthSummary();
    expect(health.status).toBe('ok');
    expect(health.counts).toEqual({ connecting: 0, ready: 5, degraded: 0, offline: 0 });

    // The accessors hand out the drivers, first of each kind by default.
    expect(manager.rfid()?.id).toBe('pad');
    expect(manager.rfid()?.inventoryRunning).toBe(true);
    expect(manager.printer()?.id).toBe('printer');
    expect(manager.drawer()?.id).toBe('printer.drawer');
    expect(manager.drawer('printer.drawer')).toBe(manager.drawer('printer'));
    expect(manager.scanner()?.id).toBe('scanner');
    expect(manager.signature()?.id).toBe('tablet');
    expect([...manager.simulators.keys()]).toEqual(['pad', 'scanner', 'printer', 'tablet']);

    // The simulated scanner reaches the daemon through the real HID POS driver.
    const scans: ScanEvent[] = [];
    manager.scanner()?.on('scan', (s) => scans.push(s));
    await manager.simulator('scanner')?.scan('30100000001');
    await eventually('the scan arrives', () => scans.length === 1);
    expect(scans[0]).toMatchObject({ data: '30100000001', symbology: 'code128', source: 'scanner', interface: 'hid-pos' });
  });

  it('takes only the unplugged RFID pad offline and reconnects it by itself after the replug', async () => {
    const { manager, events } = await startManager(DEFAULT_DEVICES_INPUT);
    const pad = manager.simulator('rfid');
    if (!pad) throw new Error('no simulated pad');

    const fromUnplug = events.length;
    pad.unplug();
    await eventually('the pad goes offline', () => stateOf(manager, 'pad') === 'offline');
    expect(manager.status('pad')?.reason).toMatch(/^unplugged/);
    // The others do not notice: the printer still prints.
    expect(manager.list().filter((s) => s.id !== 'pad').every((s) => s.state === 'ready')).toBe(true);
    const printed = await manager.printer()?.print(receipt(['Na klancu']));
    expect(printed?.ok).toBe(true);
    expect(manager.healthSummary().status).toBe('degraded');

    // While the cable is out, the manager keeps trying with a growing delay.
    await eventually('a failed reopen', () => (manager.status('pad')?.retry.attempt ?? 0) >= 2, 3000);
    expect(manager.status('pad')?.state).toBe('offline');
    expect(manager.status('pad')?.retry.nextAt).not.toBeNull();

    const replugged = Date.now();
    await pad.replug();
    // Within the current backoff step (attempt 2 → 1 s, attempt 3 → 2 s), plus the reader's probe.
    await eventually('the pad is ready again', () => stateOf(manager, 'pad') === 'ready', backoffDelayMs(3) + 1000);
    expect(Date.now() - replugged).toBeLessThan(backoffDelayMs(3) + 1000);
    expect(manager.status('pad')?.retry).toEqual({ attempt: 0, nextAt: null });
    expect(events.slice(fromUnplug).filter((e) => e.id !== 'pad')).toEqual([]);

    // The continuous inventory resumed on its own: a tag placed now is reported.
    const arrived: string[] = [];
    manager.rfid()?.on('tag.arrived', (t) => arrived.push(t.uid));
    const uid = pad.pad.placeTag({ uid: 'E004010000000001' });
    await eventually('the tag is read', () => arrived.includes(uid), 3000);
  });

  it('keeps a device it cannot open offline with the reason, retrying, while the others work', async () => {
    const { manager } = await startManager(
      [
        { id: 'pad', kind: 'rfid', model: '3m810', transport: { kind: 'serial', path: '/dev/kiosk-test-no-such-port' } },
        { id: 'printer', kind: 'printer', model: 'sim' },
        { id: 'scanner', kind: 'scanner', model: 'sim' },
      ],
      { backoff: { initialMs: 50, maxMs: 200 } },
    );

    expect(stateOf(manager, 'printer')).toBe('ready');
    expect(stateOf(manager, 'scanner')).toBe('ready');
    const pad = manager.status('pad');
    expect(pad?.state).toBe('offline');
    expect(pad?.simulated).toBe(false);
    expect(pad?.reason).toContain('cannot open /dev/kiosk-test-no-such-port');
    expect(pad?.lastError).toBeTruthy();
    expect(manager.simulator('rfid')).toBeUndefined();

    // It is retried (50, 100, 200, 200 … ms) and stays offline; nothing throws.
    await eventually('several reopen attempts', () => (manager.status('pad')?.retry.attempt ?? 0) >= 4, 3000);
    expect(stateOf(manager, 'pad')).toBe('offline');
    expect(manager.healthSummary()).toMatchObject({ status: 'degraded', counts: { offline: 1, ready: 3 } });
    const printed = await manager.printer()?.print(receipt(['Poezije']));
    expect(printed?.ok).toBe(true);

    await manager.stop();
    expect(manager.list().every((s) => s.state === 'offline')).toBe(true);
  });

  it('runs the other simulated models too: serial and keyboard-wedge scanners, a FEIG reader, a signotec pad that is unplugged and comes back', async () => {
    const { manager } = await startManager(
      [
        { id: 'feig', kind: 'rfid', model: 'feig-isc', simulated: true },
        { id: 'serial-scanner', kind: 'scanner', model: 'serial', simulated: true, suffix: 'CRLF' },
        { id: 'wedge', kind: 'scanner', model: 'keyboard-wedge', simulated: true },
        { id: 'signotec', kind: 'signature', model: 'signotec', simulated: true },
      ],
      { backoff: { initialMs: 50, maxMs: 200 } },
    );
    expect(manager.list().map((s) => [s.id, s.state])).toEqual([
      ['feig', 'ready'],
      ['serial-scanner', 'ready'],
      ['wedge', 'ready'],
      ['signotec', 'ready'],
    ]);

    for (const id of ['serial-scanner', 'wedge']) {
      const scans: string[] = [];
      manager.scanner(id)?.on('scan', (s) => scans.push(s.data));
      await manager.simulator('scanner', id)?.scan('0100001');
      await eventually(`a scan on ${id}`, () => scans.length === 1);
      expect(scans).toEqual(['0100001']);
    }

    const signotec = manager.simulator('signature', 'signotec');
    signotec?.unplug();
    await eventually('the signotec pad goes offline', () => stateOf(manager, 'signotec') === 'offline');
    expect(stateOf(manager, 'feig')).toBe('ready');
    await signotec?.replug();
    await eventually('the signotec pad is back', () => stateOf(manager, 'signotec') === 'ready', 2000);
  });

  it('grows the reopen delay from 0.5 s to at most 30 s by default', () => {
    expect([0, 1, 2, 3, 5, 6, 7, 20].map((n) => backoffDelayMs(n))).toEqual([500, 1000, 2000, 4000, 16_000, 30_000, 30_000, 30_000]);
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 500, maxMs: 30_000, factor: 2 });
  });
});

/**
 * The simulated locker as the daemon runs it: built by the device manager from the `devices:`
 * config (`manager.locker('locker1')`), controlled through the simulator API and the simulator
 * panel's HTTP endpoints (close a door, force one open, jam, silence a board), and brought back by
 * the manager after the adapter is unplugged and plugged in again.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import type { DeviceConfigInput } from '../../daemon/devices/config.ts';
import { SimulatorApi, type LockerStateView } from '../../daemon/devices/simulator-api.ts';
import { createSimulatorRouter } from '../../daemon/http/simulator.ts';
import type { LockerEvents } from '../../drivers/locker/index.ts';
import { eventually, onCleanup, startManager } from './device-manager/helpers.ts';

const LOCKER: DeviceConfigInput = { id: 'locker1', kind: 'locker', model: 'kerong-cu', simulated: true, boards: [{ address: 0, doors: 12 }], pollIntervalMs: 25 };

async function serve(api: SimulatorApi): Promise<string> {
  const app = express();
  app.use('/simulator', createSimulatorRouter({ api }));
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/simulator/api`;
}

async function post(base: string, path: string, body: unknown): Promise<{ status: number; body: { ok: boolean; data?: LockerStateView; error?: { code: string; message: string } } }> {
  const res = await fetch(`${base}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as never };
}

describe('locker device in the device manager', () => {
  it('builds locker1 from config, unlocks through manager.locker(), and the panel closes the door again', async () => {
    const { manager } = await startManager([LOCKER]);
    const locker = manager.locker('locker1');
    expect(locker).toBeDefined();
    expect(manager.locker()).toBe(locker);
    expect(manager.status('locker1')).toMatchObject({ kind: 'locker', state: 'ready', simulated: true });
    const opened: Array<LockerEvents['door.opened'][0]> = [];
    const closed: Array<LockerEvents['door.closed'][0]> = [];
    locker!.on('door.opened', (e) => opened.push(e));
    locker!.on('door.closed', (e) => closed.push(e));

    expect(await locker!.unlock({ board: 0, lock: 2 })).toMatchObject({ ok: true, door: { open: true } });
    const api = new SimulatorApi({ manager });
    onCleanup(() => api.dispose());
    const base = await serve(api);

    const state = api.state().lockers[0];
    expect(state?.doors).toHaveLength(12);
    expect(state?.doors[1]).toEqual({ board: 0, lock: 2, open: true, locked: false, jammed: false });

    const reply = await post(base, 'locker/close-door', { board: 0, lock: 2 });
    expect(reply.status).toBe(200);
    expect(reply.body.data?.doors[1]).toMatchObject({ open: false, locked: true });
    await eventually('door 2 seen closed', () => closed.length === 1);
    expect(closed[0]).toMatchObject({ board: 0, lock: 2 });

    await post(base, 'locker/force-open', { board: 0, lock: 11 });
    await eventually('door 11 seen forced', () => opened.length === 2);
    expect(opened[1]).toMatchObject({ board: 0, lock: 11, forced: true });
  });

  it('jam and board-silent from the panel reach the driver; bad input gets a clear message', async () => {
    const { manager } = await startManager([LOCKER]);
    const locker = manager.locker('locker1')!;
    const api = new SimulatorApi({ manager });
    onCleanup(() => api.dispose());
    const base = await serve(api);

    expect((await post(base, 'locker/jam', { board: 0, lock: 4 })).body.data?.doors[3]).toMatchObject({ jammed: true });
    expect(await locker.unlock({ board: 0, lock: 4 })).toMatchObject({ ok: false, code: 'jammed' });

    await post(base, 'locker/board-silent', { board: 0 });
    expect(await locker.unlock({ board: 0, lock: 1 })).toMatchObject({ ok: false, code: 'no_answer' });
    await eventually('degraded', () => manager.status('locker1')?.state === 'degraded');
    await post(base, 'locker/board-silent', { board: 0, on: false });
    await eventually('ready again', () => manager.status('locker1')?.state === 'ready');

    const noLock = await post(base, 'locker/close-door', { board: 0 });
    expect(noLock).toMatchObject({ status: 400, body: { ok: false, error: { code: 'bad_request', message: expect.stringContaining('give board') } } });
    const noDoor = await post(base, 'locker/close-door', { board: 0, lock: 14 });
    expect(noDoor).toMatchObject({ status: 400, body: { error: { message: 'locker locker1: board 0 has doors 1–12, not 14' } } });
    const noBoard = await post(base, 'locker/board-silent', { board: 5 });
    expect(noBoard.body.error?.message).toMatch(/no board with address 5/);
    const noAction = await post(base, 'locker/explode', {});
    expect(noAction).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it('comes back by itself after the adapter is unplugged and plugged in again', async () => {
    const { manager } = await startManager([LOCKER], { backoff: { initialMs: 20, maxMs: 100 } });
    const api = new SimulatorApi({ manager });
    onCleanup(() => api.dispose());
    api.unplug('locker1');
    await eventually('offline', () => manager.status('locker1')?.state === 'offline');
    expect(manager.status('locker1')?.reason).toBe('unplugged');
    expect(await manager.locker('locker1')!.unlock({ board: 0, lock: 1 })).toMatchObject({ ok: false, code: 'disconnected' });
    await api.replug('locker1');
    await eventually('ready', () => manager.status('locker1')?.state === 'ready');
    expect(await manager.locker('locker1')!.unlock({ board: 0, lock: 1 })).toMatchObject({ ok: true });
  });
});

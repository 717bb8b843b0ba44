/**
 * The Kerong KR-CU locker driver against the lock board simulator over a simulated serial line
 * (binding-mock): the real frames on the wire, doors springing open, forced openings, a jammed door,
 * a board that stops answering, a corrupt reply asked again, and the USB–RS-485 adapter pulled out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceStatus } from '../../drivers/device.ts';
import type { LockerEvents } from '../../drivers/locker/index.ts';
import { KerongCuLocker, type KerongCuConfigInput } from '../../drivers/locker/kerong-cu.driver.ts';
import { KerongCuSimulator } from '../../drivers/locker/kerong-cu.simulator.ts';
import { kerongHex } from '../../protocols/locker-kerong/index.ts';
import { eventually, waitForEvent } from './devices/helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

let pathCounter = 0;

type Opened = LockerEvents['door.opened'][0];
type Closed = LockerEvents['door.closed'][0];

async function rig(options: Partial<KerongCuConfigInput> = {}, boards = [{ address: 0, doors: 12 }]) {
  const sim = new KerongCuSimulator({ path: `/dev/sim-locker-test-${process.pid}-${++pathCounter}`, boards });
  const locker = new KerongCuLocker({
    id: 'locker1',
    path: sim.path,
    boards,
    pollIntervalMs: 25,
    responseTimeoutMs: 80,
    unlockSettleMs: 40,
    ...options,
  }, { binding: sim.binding });
  const opened: Opened[] = [];
  const closed: Closed[] = [];
  const states: DeviceStatus[] = [];
  locker.on('door.opened', (e) => opened.push(e));
  locker.on('door.closed', (e) => closed.push(e));
  locker.on('state', (s) => states.push(s));
  cleanups.push(async () => {
    await locker.close();
    sim.stop();
  });
  await locker.open();
  return { sim, locker, opened, closed, states };
}

/** Every frame the host wrote, as hex, in order (host frames are 5 bytes). */
function hostFrames(sim: KerongCuSimulator): string[] {
  const all = sim.line.written;
  const out: string[] = [];
  for (let k = 0; k + 5 <= all.length; k += 5) out.push(kerongHex(all.subarray(k, k + 5)));
  return out;
}

describe('Kerong KR-CU locker driver', () => {
  it('reads every board when opened and is ready, with every door shut and latched', async () => {
    const { sim, locker } = await rig({ pollIntervalMs: 60_000 }, [
      { address: 0, doors: 12 },
      { address: 1, doors: 4 },
    ]);
    expect(locker.state).toBe('ready');
    expect(hostFrames(sim)).toEqual(['02 00 30 03 35', '02 10 30 03 45']);
    const doors = await locker.doorStates();
    expect(doors).toHaveLength(16);
    expect(doors.every((d) => d.open === false && d.locked === true)).toBe(true);
    expect((await locker.doorStates(1)).map((d) => `${d.board}/${d.lock}`)).toEqual(['1/1', '1/2', '1/3', '1/4']);
    expect(locker.layout()).toEqual([
      { board: 0, doors: 12 },
      { board: 1, doors: 4 },
    ]);
  });

  it('unlocks a door: the unlock frame goes out, the door springs open, door.opened (not forced), and closing it is seen by the poll', async () => {
    const { sim, locker, opened, closed } = await rig();
    sim.line.clearWritten();
    const result = await locker.unlock({ board: 0, lock: 3 });
    expect(result).toEqual({ ok: true, door: { board: 0, lock: 3, open: true, locked: false } });
    expect(hostFrames(sim)).toContain('02 02 31 03 38');
    expect(sim.door(0, 3)).toMatchObject({ open: true, locked: false });
    expect(opened).toEqual([{ board: 0, lock: 3, forced: false, at: expect.any(String) }]);

    sim.closeDoor(0, 3);
    await eventually(() => closed.length === 1);
    expect(closed[0]).toMatchObject({ board: 0, lock: 3 });
    expect(opened).toHaveLength(1);
    expect((await locker.doorStates(0))[2]).toEqual({ board: 0, lock: 3, open: false, locked: true });
  });

  it('reports a door opened with no unlock before it as forced', async () => {
    const { sim, opened } = await rig();
    sim.openByHand(0, 7);
    await eventually(() => opened.length === 1);
    expect(opened[0]).toEqual({ board: 0, lock: 7, forced: true, at: expect.any(String) });
  });

  it('says jammed when the board answers but the door stays shut, and stays ready', async () => {
    const { sim, locker, opened } = await rig();
    sim.jam(0, 5);
    const result = await locker.unlock({ board: 0, lock: 5 });
    expect(result).toEqual({ ok: false, code: 'jammed', message: expect.stringContaining('door 5 on board 0 did not open') });
    expect(sim.door(0, 5).open).toBe(false);
    expect(opened).toEqual([]);
    expect(locker.state).toBe('ready');
    // Freed, the same door opens.
    sim.jam(0, 5, false);
    expect(await locker.unlock({ board: 0, lock: 5 })).toMatchObject({ ok: true, door: { open: true } });
  });

  it('a silent board: no_answer, degraded naming the board, the other board still works, and it recovers', async () => {
    const { sim, locker, states } = await rig({}, [
      { address: 0, doors: 12 },
      { address: 1, doors: 4 },
    ]);
    sim.setSilent(1);
    const result = await locker.unlock({ board: 1, lock: 2 });
    expect(result).toEqual({ ok: false, code: 'no_answer', message: expect.stringContaining('no reply within 80 ms') });
    expect(locker.status()).toMatchObject({ state: 'degraded', reason: 'board 1: not answering' });
    // Board 0 is on the same bus and still answers.
    expect(await locker.unlock({ board: 0, lock: 1 })).toMatchObject({ ok: true });
    const silentDoors = await locker.doorStates(1);
    expect(silentDoors.every((d) => d.open === null && d.locked === null)).toBe(true);

    sim.setSilent(1, false);
    await eventually(() => locker.state === 'ready', 2000);
    expect(states.map((s) => s.state)).toEqual(expect.arrayContaining(['degraded', 'ready']));
    expect(await locker.unlock({ board: 1, lock: 2 })).toMatchObject({ ok: true, door: { board: 1, lock: 2, open: true } });
  });

  it('asks again after a corrupt reply and then succeeds', async () => {
    const { sim, locker } = await rig({ pollIntervalMs: 60_000 });
    sim.line.clearWritten();
    sim.corruptNextReply();
    const result = await locker.unlock({ board: 0, lock: 9 });
    expect(result).toMatchObject({ ok: true, door: { board: 0, lock: 9, open: true } });
    // The same unlock frame twice: the first reply had a bad checksum.
    expect(hostFrames(sim).filter((f) => f === '02 08 31 03 3E')).toHaveLength(2);
    expect(locker.state).toBe('ready');
  });

  it('gives bad_reply when the reply is still corrupt after the retries', async () => {
    const { sim, locker } = await rig({ pollIntervalMs: 60_000, retries: 0 });
    sim.corruptNextReply();
    const result = await locker.unlock({ board: 0, lock: 2 });
    expect(result).toEqual({ ok: false, code: 'bad_reply', message: expect.stringContaining('checksum') });
    expect(locker.status()).toMatchObject({ state: 'degraded', reason: 'board 0: corrupt replies' });
  });

  it('goes offline when the adapter is unplugged, refuses unlocks as disconnected, and reports what changed once reopened', async () => {
    const { sim, locker, opened, closed } = await rig();
    expect(await locker.unlock({ board: 0, lock: 4 })).toMatchObject({ ok: true });
    sim.unplug();
    await eventually(() => locker.state === 'offline');
    expect(locker.status()).toMatchObject({ state: 'offline', reason: 'unplugged' });
    expect(await locker.unlock({ board: 0, lock: 1 })).toEqual({ ok: false, code: 'disconnected', message: expect.stringContaining('not connected') });
    expect((await locker.doorStates(0)).every((d) => d.open === null)).toBe(true);
    await expect(locker.open()).rejects.toThrow(/cannot open/);

    // Someone shut door 4 while the cable was out.
    sim.closeDoor(0, 4);
    sim.replug();
    await locker.open();
    expect(locker.state).toBe('ready');
    expect(closed).toMatchObject([{ board: 0, lock: 4 }]);
    expect(opened).toHaveLength(1);
  });

  it('refuses a door that is not configured, with the reason', async () => {
    const { locker } = await rig({ pollIntervalMs: 60_000 });
    await expect(locker.unlock({ board: 0, lock: 13 })).rejects.toThrow('board 0 has doors 1–12, not 13');
    await expect(locker.unlock({ board: 3, lock: 1 })).rejects.toThrow(/board 3 is not configured/);
    await expect(locker.doorStates(2)).rejects.toThrow(/board 2 is not configured/);
  });

  it('sends one frame at a time even when unlocks and polls overlap', async () => {
    const { sim, locker } = await rig({ pollIntervalMs: 20 });
    const bus: string[] = [];
    sim.on('command', () => bus.push('command'));
    const send = sim.line.send.bind(sim.line);
    sim.line.send = (bytes) => {
      if (typeof bytes !== 'string' && bytes[0] === 0x02) bus.push('reply');
      send(bytes);
    };
    const results = await Promise.all([1, 2, 3, 4].map((lock) => locker.unlock({ board: 0, lock })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sim.doors().filter((d) => d.open).map((d) => d.lock)).toEqual([1, 2, 3, 4]);
    // Half duplex: every command's reply is on the wire before the next command arrives.
    expect(bus.length).toBeGreaterThanOrEqual(8);
    for (let k = 1; k < bus.length; k++) expect(`${bus[k - 1]} ${bus[k]}`).not.toBe('command command');
  });
});

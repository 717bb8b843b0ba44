/**
 * The drivers over a real pseudo-terminal pair made by socat, opened with the native serialport
 * binding — the way the daemon opens /dev/ttyUSB0. The simulator owns the other end of the pair.
 * Pulling the simulated cable tears the pair down; the driver must see it as an unplug.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../protocols/crc/index.ts';
import { encodeThreeMRequest } from '../../../protocols/3m810/index.ts';
import { ThreeM810Reader } from '../../../drivers/rfid/3m810.driver.ts';
import { ThreeM810Simulator } from '../../../drivers/rfid/3m810.simulator.ts';
import { FeigIscReader } from '../../../drivers/rfid/feig-isc.driver.ts';
import { FeigIscSimulator } from '../../../drivers/rfid/feig-isc.simulator.ts';
import { RfidPad, kitTags, libraryTag } from '../../../drivers/rfid/pad.simulator.ts';
import { PtySimulatorHost, startSocatPair } from '../../../drivers/rfid/pty.simulator.ts';
import type { SerialRfidReader } from '../../../drivers/rfid/serial-reader.ts';
import { collect, next, rejectsWith, untilState, UID } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rfid-pty-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function hosted(family: '3m' | 'feig'): Promise<{ pad: RfidPad; sim: ThreeM810Simulator | FeigIscSimulator; host: PtySimulatorHost; reader: SerialRfidReader }> {
  const pad = new RfidPad();
  const sim = family === '3m' ? new ThreeM810Simulator(pad, { timeScale: 0 }) : new FeigIscSimulator(pad, { timeScale: 0 });
  const host = new PtySimulatorHost(sim, { dir: tempDir() });
  cleanups.push(() => host.stop());
  const path = await host.start();
  // No binding option: the driver uses the native one, as in production.
  const reader = family === '3m' ? new ThreeM810Reader({ path }) : new FeigIscReader({ path });
  cleanups.push(() => reader.close());
  return { pad, sim, host, reader };
}

describe('RFID drivers over a socat PTY pair (native binding)', () => {
  it('a socat pair passes bytes both ways and goes away when closed', async () => {
    const dir = tempDir();
    const pair = await startSocatPair({ hostPath: join(dir, 'a'), devicePath: join(dir, 'b') });
    expect(pair.running).toBe(true);
    await pair.close();
    expect(pair.running).toBe(false);
  });

  it('3M 810: open, inventory, read and decode a kit, secure — the simulator saw the exact frames', async () => {
    const { pad, sim, reader } = await hosted('3m');
    await reader.open();
    expect(reader.state).toBe('ready');
    pad.placeTag(libraryTag({ uid: UID, barcode: '30012345678', ownerIsil: 'SI-51000', secured: false }));
    const kit = pad.placeTags(kitTags({ barcode: 'KIT-9', parts: 3 }));

    const uids = (await reader.inventory()).map((t) => t.uid);
    expect(uids.sort()).toEqual([UID, ...kit].sort());
    const item = await reader.readItem(UID);
    expect(item.item).toMatchObject({ primaryItemId: '30012345678', ownerLibrary: 'SI-51000' });
    const parts = await Promise.all(kit.map((u) => reader.readItem(u)));
    expect(parts.map((p) => p.item?.setInfo?.partNumber).sort()).toEqual([1, 2, 3]);
    await reader.setSecurity(UID, true);
    expect(pad.getTag(UID)?.afi).toBe(0x07);

    const rx = sim.frames().filter((f) => f.dir === 'rx').map((f) => bytesToHex(f.bytes));
    expect(rx.slice(0, 3)).toEqual([
      'D6 00 03 11 64 20',
      'D6 00 05 FE 00 05 FA 40',
      bytesToHex(encodeThreeMRequest({ type: 'readBlocks', uid: UID, firstBlock: 0, blockCount: 9 })),
    ]);
    expect(rx).toContain('D6 00 0B 0A E0 04 01 00 12 34 56 78 7F 9F');
  });

  it('FEIG ISC: open and decode arrivals from continuous inventory', async () => {
    const { pad, sim, reader } = await hosted('feig');
    await reader.open();
    const arrivals = collect(reader, 'tag.arrived', 2);
    reader.startInventory({ intervalMs: 10 });
    pad.placeTags([libraryTag({ barcode: 'F-1', model: 'iso28560-2' }), libraryTag({ barcode: 'F-2' })]);
    const got = await arrivals;
    expect(got.map((t) => t.item?.primaryItemId).sort()).toEqual(['F-1', 'F-2']);
    expect(bytesToHex(sim.frames().find((f) => f.dir === 'rx' && f.bytes[2] === 0xb0)!.bytes)).toBe('07 FF B0 01 00 1C 56');
  });

  it('3M 810: unplugged over the PTY → offline with a reason; after replug open() works and inventory resumes', async () => {
    const { pad, host, reader } = await hosted('3m');
    await reader.open();
    reader.startInventory({ intervalMs: 10 });
    const first = next(reader, 'tag.arrived');
    pad.placeTag(libraryTag({ uid: UID, barcode: 'PTY-1' }));
    await first;

    pad.unplug('USB cable pulled');
    const status = await untilState(reader, 'offline', 5000);
    expect(status.reason).toMatch(/^unplugged: /);
    await rejectsWith(reader.inventory(), 'unplugged');

    pad.replug();
    await host.ready();
    const again = next(reader, 'tag.arrived');
    await reader.open();
    expect(reader.state).toBe('ready');
    expect((await again)[0].item?.primaryItemId).toBe('PTY-1');
  });
});

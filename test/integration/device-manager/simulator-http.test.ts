/**
 * The simulator panel's HTTP side, mounted at /simulator on an express app of the test's own (as the
 * daemon mounts it): the page, the catalogue, placing items on the pad and reading it back, the
 * printer's receipts, unplugging, the error envelope, and the live event stream.
 */
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadDemoCatalogue } from '../../../daemon/devices/catalogue.ts';
import { DEFAULT_DEVICES_INPUT } from '../../../daemon/devices/config.ts';
import type { DeviceManager } from '../../../daemon/devices/manager.ts';
import { SimulatorApi } from '../../../daemon/devices/simulator-api.ts';
import { createSimulatorRouter, searchKey } from '../../../daemon/http/simulator.ts';
import { eventually, onCleanup, receipt, startManager, stateOf } from './helpers.ts';

const catalogue = loadDemoCatalogue();

interface Reply<T = unknown> {
  status: number;
  body: { ok: true; data: T } | { ok: false; error: { code: string; message: string } };
}

let base = '';
let manager: DeviceManager;

beforeEach(async () => {
  ({ manager } = await startManager(DEFAULT_DEVICES_INPUT));
  const api = new SimulatorApi({ manager, catalogue, ownerIsil: 'SI-50000' });
  onCleanup(() => api.dispose());
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
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simulator`;
});

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply<T>> {
  const res = await fetch(`${base}/api/${path}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Reply<T>['body'] };
}

function data<T>(r: Reply<T>): T {
  if (!r.body.ok) throw new Error(`${r.status} ${r.body.error.code}: ${r.body.error.message}`);
  return r.body.data;
}

describe('simulator panel over HTTP', () => {
  it('serves the page, with its script and style', async () => {
    const redirect = await fetch(base, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/simulator/');
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Device simulator');
    expect(html).toContain('src="simulator.js"');
    expect((await fetch(`${base}/simulator.js`)).status).toBe(200);
    expect((await fetch(`${base}/simulator.css`)).status).toBe(200);
  });

  it('lists the demo catalogue with kits and abbreviated patron names, searchable without diacritics', async () => {
    const all = data(await call<{ items: unknown[]; kits: Array<{ code: string; parts: string[]; partTitles: string[] }>; patrons: Array<{ barcode: string; name: string; altIds: string[]; note: string | null }>; total: { items: number } }>('GET', 'catalogue'));
    expect(all.total.items).toBe(catalogue.items.length);
    expect(all.kits.map((k) => k.code)).toEqual(['K001', 'K002', 'K003', 'K004', 'K005']);
    expect(all.kits[0]?.partTitles).toHaveLength(3);
    const ana = all.patrons.find((p) => p.barcode === '0100001');
    expect(ana?.name).toBe('Ana N.');
    expect(ana?.note).toMatch(/Scenario 1/);
    expect(all.patrons.find((p) => p.barcode === '0100007')?.altIds).toEqual(['E004015012345678']);
    expect(JSON.stringify(all.patrons)).not.toContain('Novak');

    const kit = data(await call<{ items: Array<{ barcode: string; kit: { code: string; partNumber: number; partsTotal: number } | null }> }>('GET', 'catalogue?q=K001'));
    expect(kit.items.map((i) => [i.barcode, i.kit?.partNumber, i.kit?.partsTotal])).toEqual([
      ['30100000901', 1, 3],
      ['30100000902', 2, 3],
      ['30100000903', 3, 3],
    ]);
    const sp = data(await call<{ patrons: Array<{ barcode: string }> }>('GET', `catalogue?q=${encodeURIComponent('spela')}`));
    expect(sp.patrons.map((p) => p.barcode)).toEqual(['0200002']);
    expect(searchKey('Špela Zupančič')).toBe('spela zupancic');
  });

  it('places an item and a kit on the pad, reads the pad back, and removes them', async () => {
    const item = await call<{ uid: string; barcode: string; title: string }>('POST', 'pad/items', { barcode: '30100000004' });
    expect(item.status).toBe(200);
    expect(data(item)).toMatchObject({ barcode: '30100000004', title: 'Na klancu', kind: 'item' });
    const kit = data(await call<Array<{ part: { partNumber: number; partsInSet: number } }>>('POST', 'pad/kits', { code: 'K005' }));
    expect(kit.map((t) => t.part)).toEqual([
      { partNumber: 1, partsInSet: 2 },
      { partNumber: 2, partsInSet: 2 },
    ]);
    const card = data(await call<{ uid: string }>('POST', 'pad/cards', { identifier: '0100007' }));
    expect(card.uid).toBe('E004015012345678');

    const pad = data(await call<Array<{ uid: string; barcode: string | null }>>('GET', 'pad'));
    expect(pad.map((t) => t.barcode).sort()).toEqual(['0100007', '30100000004', '30100000941', '30100000942']);
    // The daemon's reader sees them.
    await eventually('the reader reads four tags', () => manager.rfid()?.presentTags().length === 4, 4000);

    expect(data(await call('POST', 'pad/remove', { barcode: 'K005' }))).toEqual({ removed: 2 });
    expect(data(await call('POST', 'pad/remove', { uid: card.uid }))).toEqual({ removed: 1 });
    expect(data(await call<unknown[]>('GET', 'pad'))).toHaveLength(1);
    data(await call('POST', 'pad/clear', {}));
    expect(data(await call<unknown[]>('GET', 'pad'))).toEqual([]);
  });

  it('answers bad requests and unknown things with the error envelope', async () => {
    const missing = await call('POST', 'pad/items', {});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const kit = await call('POST', 'pad/kits', { code: 'K999' });
    expect(kit.status).toBe(404);
    expect(kit.body).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const device = await call('POST', 'devices/nope/unplug', {});
    expect(device.status).toBe(404);
    const broken = await fetch(`${base}/api/pad/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(broken.status).toBe(400);
    expect((await call('GET', 'no/such/thing')).status).toBe(404);
  });

  it('shows printed receipts, pulls the paper, and unplugs and replugs a device', async () => {
    expect((await manager.printer()?.print(receipt(['Poezije'])))?.ok).toBe(true);
    const receipts = data(await call<Array<{ index: number; text: string; svg: string }>>('GET', 'printer/receipts'));
    expect(receipts).toHaveLength(1);
    expect(receipts[0]?.text).toContain('Poezije');

    const state = data(await call<{ simulator: { paperEnd: boolean } }>('POST', 'printer/paper-out', {}));
    expect(state.simulator.paperEnd).toBe(true);
    await eventually('paper out reaches the driver', () => manager.status('printer')?.reason === 'paper out');
    data(await call('POST', 'printer/paper-in', {}));
    await eventually('the printer is ready again', () => stateOf(manager, 'printer') === 'ready');

    data(await call('POST', 'devices/pad/unplug', {}));
    await eventually('the pad is offline', () => stateOf(manager, 'pad') === 'offline');
    const devices = data(await call<{ devices: Array<{ id: string; state: string }>; simulators: Array<{ id: string; plugged: boolean }> }>('GET', 'state'));
    expect(devices.devices.find((d) => d.id === 'pad')?.state).toBe('offline');
    expect(devices.devices.find((d) => d.id === 'printer')?.state).toBe('ready');
    expect(devices.simulators.find((s) => s.id === 'pad')?.plugged).toBe(false);
    data(await call('POST', 'devices/pad/replug', {}));
    data(await call('POST', 'devices/pad/retry', {}));
    await eventually('the pad is back', () => stateOf(manager, 'pad') === 'ready', 3000);
  });

  it('streams a change event when something changes', async () => {
    const events: string[] = [];
    const request = get(`${base}/api/events`, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => events.push(chunk));
    });
    onCleanup(() => void request.destroy());
    await eventually('the stream is open', () => events.length > 0);
    data(await call('POST', 'pad/items', { barcode: '30100000001' }));
    await eventually('a pad change event', () => events.join('').includes('event: changed\ndata: "pad"'));
    expect(events.join('')).toMatch(/^retry: 2000/);
  });
});

/**
 * The simulator API used by the panel and by tests: what it does must reach the daemon through the
 * real drivers — kit tags read by the RFID driver with their part n of m, the patron's RFID card by
 * its UID, scans as HID POS reports, receipts decoded from the ESC/POS stream, a signature captured
 * through the tablet driver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RfidTag } from '../../../drivers/rfid/index.ts';
import { backendItemLookup, loadDemoCatalogue } from '../../../daemon/devices/catalogue.ts';
import { DEFAULT_DEVICES_INPUT } from '../../../daemon/devices/config.ts';
import { SimulatorApi, SimulatorError } from '../../../daemon/devices/simulator-api.ts';
import { demoData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';
import { eventually, receipt, startManager, stateOf } from './helpers.ts';

let library: TestLibrary;
const catalogue = loadDemoCatalogue();

beforeAll(() => {
  library = makeLibrary({ data: demoData() });
});
afterAll(() => library.close());

async function setup() {
  const { manager } = await startManager(DEFAULT_DEVICES_INPUT);
  const api = new SimulatorApi({ manager, catalogue, lookupItem: backendItemLookup(library.engine), ownerIsil: 'SI-50000' });
  const arrivals: RfidTag[] = [];
  manager.rfid()?.on('tag.arrived', (t) => arrivals.push(t));
  return { manager, api, arrivals };
}

describe('simulator API', () => {
  it('places a demo kit as three tags, part n of 3, and the RFID driver reads each with its set information', async () => {
    const { api, arrivals } = await setup();

    const placed = await api.placeKit('K001');
    expect(placed.map((t) => [t.barcode, t.part, t.kit, t.secured])).toEqual([
      ['30100000901', { partNumber: 1, partsInSet: 3 }, 'K001', true],
      ['30100000902', { partNumber: 2, partsInSet: 3 }, 'K001', true],
      ['30100000903', { partNumber: 3, partsInSet: 3 }, 'K001', true],
    ]);

    await eventually('three arrivals', () => arrivals.length === 3, 4000);
    const read = arrivals
      .map((t) => ({ uid: t.uid, id: t.item?.primaryItemId, set: t.item?.setInfo, owner: t.item?.ownerLibrary }))
      .sort((a, b) => (a.id ?? '').localeCompare(b.id ?? ''));
    expect(read).toEqual(
      placed.map((t) => ({ uid: t.uid, id: t.barcode, set: t.part, owner: 'SI-50000' })),
    );

    // Placing the kit again changes nothing; a unit alone carries its part too.
    expect((await api.placeKit('30100000902')).map((t) => t.uid)).toEqual(placed.map((t) => t.uid));
    api.removeItem('K001');
    expect(api.listPad()).toEqual([]);
    const part = await api.placeKit('K002', [2, 4]);
    expect(part.map((t) => `${t.barcode} ${t.part?.partNumber}/${t.part?.partsInSet}`)).toEqual(['30100000912 2/4', '30100000914 4/4']);
    const single = await api.placeItem('30100000942');
    expect(single.part).toEqual({ partNumber: 2, partsInSet: 2 });
    expect(single.title).toContain('Kekec');
  });

  it('places items, patron cards (by card number or RFID UID) and takes them off again', async () => {
    const { api, arrivals } = await setup();

    const book = await api.placeItem('30100000004');
    expect(book).toMatchObject({ kind: 'item', barcode: '30100000004', title: 'Na klancu', part: null, secured: true });
    // Scenario 3's overdue loan: the tag left the library unsecured.
    const onLoan = await api.placeItem('30100000086');
    expect(onLoan.secured).toBe(false);
    // Scenario 8: the patron's RFID card is known by its UID.
    const card = await api.placeCard('0100007');
    expect(card).toMatchObject({ kind: 'card', uid: 'E004015012345678', barcode: '0100007' });
    expect((await api.placeCard('E004015012345678')).uid).toBe('E004015012345678');
    const printedCard = await api.placeCard('0100001');
    expect(printedCard).toMatchObject({ kind: 'card', barcode: '0100001', secured: null });

    await eventually('four arrivals', () => arrivals.length === 4, 4000);
    const byUid = new Map(arrivals.map((t) => [t.uid, t]));
    expect(byUid.get('E004015012345678')?.error?.blank).toBeTruthy();
    expect(byUid.get(printedCard.uid)?.item).toMatchObject({ primaryItemId: '0100001', usage: 'patron-card' });
    expect(byUid.get(book.uid)?.item?.primaryItemId).toBe('30100000004');

    expect(api.listPad()).toHaveLength(4);
    expect(api.removeItem('30100000004')).toBe(1);
    expect(api.removeTag(card.uid)).toBe(true);
    expect(api.listPad().map((t) => t.uid).sort()).toEqual([onLoan.uid, printedCard.uid].sort());
    api.clearPad();
    expect(api.listPad()).toEqual([]);

    // An unknown barcode still gets a tag (to try the "unknown item" path); an unknown kit is refused.
    expect(await api.placeItem('99999999')).toMatchObject({ barcode: '99999999', title: null, part: null });
    await expect(api.placeKit('K999')).rejects.toMatchObject({ code: 'not_found' });
    await expect(api.placeKit('K001', [4])).rejects.toBeInstanceOf(SimulatorError);
  });

  it('shows a receipt printed through the manager, and the printer going offline when the paper is pulled', async () => {
    const { manager, api } = await setup();
    const printer = manager.printer();
    if (!printer) throw new Error('no printer');

    const ok = await printer.print(receipt(['Alamut (zvočna knjiga, 3 CD)', 'Na klancu']));
    expect(ok.ok).toBe(true);
    const receipts = api.printer.receipts();
    expect(receipts).toHaveLength(1);
    expect(receipts[0]?.text).toContain('Na klancu');
    expect(receipts[0]?.text).toContain('0100001');
    expect(receipts[0]?.svg.startsWith('<svg')).toBe(true);

    api.printer.paperOut();
    await eventually('the printer reports paper out', () => manager.status('printer')?.reason === 'paper out');
    const refused = await printer.print(receipt(['Poezije']));
    expect(refused).toMatchObject({ ok: false, code: 'paper_out' });
    expect(api.printer.receipts()).toHaveLength(1);
    // The drawer hangs on the printer but has its own state: it still works.
    expect(stateOf(manager, 'printer.drawer')).toBe('ready');
    const kicked = await manager.drawer()?.kick();
    expect(kicked).toMatchObject({ ok: true, drawerOpen: true });
    expect(api.printer.drawerOpen()).toBe(true);
    api.printer.closeDrawer();
    expect(api.printer.drawerOpen()).toBe(false);

    api.printer.paperIn();
    await eventually('the printer is ready again', () => stateOf(manager, 'printer') === 'ready');
    api.printer.openCover();
    await eventually('cover open', () => manager.status('printer')?.reason === 'cover open');
    api.printer.closeCover();
    await eventually('cover closed', () => stateOf(manager, 'printer') === 'ready');
    api.printer.clearReceipts();
    expect(api.printer.receipts()).toEqual([]);
  });

  it('scans, signs on the tablet and unplugs any device', async () => {
    const { manager, api } = await setup();

    const scans: string[] = [];
    manager.scanner()?.on('scan', (s) => scans.push(`${s.data} ${s.symbology}`));
    await api.scan('0100001', { symbology: 'codabar' });
    await eventually('the scan arrives', () => scans.length === 1);
    expect(scans).toEqual(['0100001 codabar']);

    await expect(api.tablet.sign()).rejects.toMatchObject({ code: 'no_capture' });
    const { done } = api.tablet.startTestCapture();
    await eventually('the first page is shown', () => api.tablet.state().page !== null, 4000);
    expect(api.tablet.state().page).toMatchObject({ index: 0, count: 2, signing: false });
    await api.tablet.signAndConfirm();
    const result = await done;
    expect(result).toMatchObject({ status: 'signed', pagesShown: 2 });
    expect(result?.status === 'signed' && result.pointCount).toBeGreaterThan(100);
    expect(api.tablet.state()).toMatchObject({ page: null, capture: { running: false, result: { status: 'signed' } } });

    api.unplug('scanner');
    await eventually('the scanner goes offline', () => stateOf(manager, 'scanner') === 'offline');
    await expect(api.scan('123')).rejects.toMatchObject({ code: 'unplugged' });
    expect(api.state().simulators.find((s) => s.id === 'scanner')?.plugged).toBe(false);
    await api.replug('scanner');
    await eventually('the scanner is back', () => stateOf(manager, 'scanner') === 'ready', 3000);

    expect(() => api.unplug('printer.drawer')).toThrow(/printer/);
    expect(() => api.unplug('nope')).toThrow(SimulatorError);
  });
});

/**
 * The kiosk station end to end on simulated hardware: the real 3M 810 driver on the pad simulator,
 * the ESC/POS printer on its simulator, the embedded engine on a temporary SQLite file, and a local
 * SMTP server for e-mailed receipts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { ThreeM810Reader } from '../../../drivers/rfid/3m810.driver.ts';
import { ThreeM810Simulator } from '../../../drivers/rfid/3m810.simulator.ts';
import { libraryTag, RfidPad } from '../../../drivers/rfid/pad.simulator.ts';
import { simulatorBinding } from '../../../drivers/rfid/simulator-binding.ts';
import { EscPosPrinter } from '../../../drivers/printer/escpos.driver.ts';
import { EscPosPrinterSimulator } from '../../../drivers/printer/escpos.simulator.ts';
import { AFI_ISO28560 } from '../../../protocols/iso28560/index.ts';
import { createLogger } from '../../../daemon/log.ts';
import { PadModel } from '../../../daemon/station/pad.ts';
import { Station, type Mailer } from '../../../daemon/station/station.ts';
import { baseData, makeLibrary, type TestLibrary } from '../../helpers/engine.ts';
import { startSmtpServer } from '../../helpers/smtp.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let seq = 0;
const key = (what: string) => `test-${what}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

async function rig(opts: { mailer?: Mailer | null; data?: Record<string, unknown> } = {}) {
  const lib: TestLibrary = makeLibrary({ data: opts.data ?? baseData() });
  const pad = new RfidPad();
  const sim = new ThreeM810Simulator(pad, { timeScale: 0 });
  const reader = new ThreeM810Reader({ path: `/dev/station-rfid-${process.pid}-${++seq}`, binding: simulatorBinding(sim) });
  const psim = new EscPosPrinterSimulator();
  const line = psim.serialLine(`/dev/station-printer-${process.pid}-${seq}`);
  const printer = new EscPosPrinter({ id: 'printer', transport: { kind: 'serial', path: line.path }, statusPollMs: 0, statusTimeoutMs: 300 }, { binding: line.binding });
  await reader.open();
  await printer.open();
  const model = new PadModel(lib.engine);
  reader.on('tag.arrived', (t) => model.arrived(t));
  reader.on('tag.departed', (d) => model.departed(d));
  reader.startInventory({ intervalMs: 20 });
  model.setReaderState('ready');
  const logger = createLogger({ level: 'silent' });
  const station = new Station({
    backend: lib.engine,
    pad: model,
    rfid: () => reader,
    printer: () => printer,
    mailer: opts.mailer ?? null,
    clock: lib.clock,
    logger,
    site: { name: 'Mestna knjižnica', department: '01', language: 'sl', timezone: 'Europe/Ljubljana' },
    pinRequired: true,
    rfidSecurity: true,
  });
  cleanups.push(async () => {
    await reader.close();
    await printer.close();
    await psim.stop();
    lib.close();
  });
  /** Puts tagged items on the pad and waits until the station sees them resolved. */
  const place = async (...tags: Array<{ barcode: string; set?: { partNumber: number; partsInSet: number } }>) => {
    const uids = tags.map((t) => pad.placeTag(libraryTag({ barcode: t.barcode, ownerIsil: 'SI-50000', ...(t.set ? { set: t.set } : {}) })));
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      await model.settled();
      const st = model.state();
      const seen = new Set(st.entries.flatMap((e) => e.uids));
      if (uids.every((u) => seen.has(u)) && st.entries.every((e) => e.kind !== 'unreadable' || e.problem !== 'reading')) return uids;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('tags not seen in time');
  };
  const afi = (uid: string) => pad.getTag(uid)?.afi;
  return { lib, pad, sim, reader, printer, psim, model, station, place, afi };
}

describe('the station on simulated hardware', () => {
  it('lends three items, one a complete 3-part kit, clears their security bits and prints a receipt with due dates', async () => {
    const r = await rig();
    const needsPin = await r.station.identify({ key: key('id'), identifier: '0100001' });
    expect(needsPin).toEqual({ ok: true, data: { patron: null, needsPin: true } });
    const id = await r.station.identify({ key: key('id'), identifier: '0100001', pin: '1234' });
    expect(id.ok && id.data.patron).toMatchObject({ displayName: 'Ana', language: 'sl' });
    const uids = await r.place({ barcode: 'B1' }, { barcode: 'B2' }, { barcode: 'K1', set: { partNumber: 1, partsInSet: 3 } }, { barcode: 'K2', set: { partNumber: 2, partsInSet: 3 } }, { barcode: 'K3', set: { partNumber: 3, partsInSet: 3 } });
    expect(r.model.state().entries.map((e) => [e.kind, e.key]).sort()).toEqual([
      ['item', 'B1'],
      ['item', 'B2'],
      ['kit', 'kit:FARM'],
    ]);
    for (const b of ['B1', 'B2', 'K2']) {
      const o = await r.station.checkout({ key: key('out'), barcode: b });
      expect(o.ok && [o.data.status, o.data.dueDate]).toEqual(['done', '2026-03-23']);
    }
    for (const uid of uids) expect(r.afi(uid)).toBe(AFI_ISO28560.unsecured);
    const printed = await r.station.receipt({ key: key('rcpt'), kind: 'print' });
    expect(printed).toEqual({ ok: true, data: { printed: true, emailed: false, reprintPending: false } });
    const text = r.psim.receipts().at(-1)!.text;
    expect(text).toContain('Mestna knjižnica');
    expect(text).toContain('Alamut');
    expect(text).toContain('Na klancu');
    expect(text).toContain('Wooden farm');
    expect(text).toMatch(/23\. ?0?3\. ?2026/);
    // Four units: B1, B2 and the kit's three, its lead first (part 1/3) and the other two under it.
    expect(text).toMatch(/Izposojeno \(5\)/);
    const built = r.station.buildReceipt()!;
    const loans = built.sections.find((x) => x.kind === 'loans');
    const kit = loans && 'items' in loans ? loans.items.find((i) => 'kit' in i && i.kit) : undefined;
    expect(kit && 'kit' in kit && kit.kit).toMatchObject({ unit: 1, unitCount: 3, parts: [{ barcode: 'K2', unit: 2 }, { barcode: 'K3', unit: 3 }] });
    // My account and Renew list the kit once, by its lead unit, as a set of three.
    const account = await r.station.account();
    expect(account.ok && account.data.loans.map((l) => [l.barcode, l.parts ?? null])).toEqual([
      ['B1', null],
      ['B2', null],
      ['K1', 3],
    ]);
  });

  it('an incomplete kit is refused naming the missing part, then lent when the part is added', async () => {
    const r = await rig();
    await r.station.identify({ key: key('id'), identifier: '0100001', pin: '1234' });
    await r.place({ barcode: 'K1', set: { partNumber: 1, partsInSet: 3 } }, { barcode: 'K2', set: { partNumber: 2, partsInSet: 3 } });
    expect(r.model.state().entries[0]!.kit).toMatchObject({ complete: false, missing: [{ partNumber: 3, barcode: 'K3', title: 'Wooden farm — fences' }] });
    const refused = await r.station.checkout({ key: key('out'), barcode: 'K1' });
    expect(refused.ok && refused.data).toMatchObject({ status: 'refused', reason: 'kit_incomplete', details: { missingParts: [{ barcode: 'K3', partNumber: 3 }] } });
    for (const uid of r.pad.listTags().map((t) => t.uid)) expect(r.afi(uid)).toBe(AFI_ISO28560.secured);
    await r.place({ barcode: 'K3', set: { partNumber: 3, partsInSet: 3 } });
    const lent = await r.station.checkout({ key: key('out'), barcode: 'K1' });
    expect(lent.ok && lent.data.status).toBe('done');
  });

  it('a security write that fails is reported as done-but-security-failed and flagged, never as done', async () => {
    const r = await rig();
    await r.station.identify({ key: key('id'), identifier: '0100001', pin: '1234' });
    const [uid] = await r.place({ barcode: 'B3' });
    r.pad.lock(uid!, { afi: true });
    const o = await r.station.checkout({ key: key('out'), barcode: 'B3' });
    expect(o.ok && o.data).toMatchObject({ status: 'security_failed', messageKey: 'outcome.security_failed' });
    expect(r.afi(uid!)).toBe(AFI_ISO28560.secured);
    expect(r.station.flags.map((f) => f.barcode)).toEqual(['B3']);
    // The loan itself stands (the patron is sent to the desk to have it released).
    const info = await r.lib.engine.itemInformation('B3');
    expect(info.ok && info.item.status).toBe('C');
    // The receipt lists it once, as borrowed, with a note to show it at the desk; a refusal is in
    // the patron's words, never its code.
    expect((await r.station.checkout({ key: key('out'), barcode: 'NOPE' })).ok).toBe(true);
    const built = r.station.buildReceipt()!;
    expect(built.sections.map((x) => x.kind)).toEqual(['loans', 'note', 'not-processed']);
    const [loans, note, notDone] = built.sections;
    expect(loans && 'items' in loans && loans.items.map((i) => [i.barcode, 'dueDate' in i ? i.dueDate : null])).toEqual([['B3', '2026-03-23']]);
    expect(note && 'lines' in note && note.lines).toEqual(['Egri csillagok: izposojeno, vendar zaščite ni bilo mogoče izklopiti. Pokažite ga pri pultu.']);
    expect(notDone && 'items' in notDone && notDone.items).toEqual([{ title: expect.any(String), barcode: 'NOPE', message: 'Tega gradiva ne poznamo. Prosimo, izročite ga osebju.' }]);
  });

  it('a retried checkout with the same key gives the first outcome and lends once', async () => {
    const r = await rig();
    await r.station.identify({ key: key('id'), identifier: '0100001', pin: '1234' });
    await r.place({ barcode: 'B1' });
    const k = key('out');
    const first = await r.station.checkout({ key: k, barcode: 'B1' });
    const again = await r.station.checkout({ key: k, barcode: 'B1' });
    expect(again).toEqual(first);
    expect(r.lib.db.prepare(`SELECT COUNT(*) AS n FROM loans`).get()).toEqual({ n: 1 });
  });

  it('a return routes a reserved item to the hold shelf and secures it again', async () => {
    const r = await rig();
    await r.lib.engine.checkout({ patron: '0100001', item: 'B2' });
    await r.lib.engine.placeHold({ patron: '0100002', bibId: 'T2' });
    const [uid] = await r.place({ barcode: 'B2' });
    r.pad.getTag(uid!)!.afi = AFI_ISO28560.unsecured; // as it left the library
    const o = await r.station.checkin({ key: key('in'), barcode: 'B2' });
    expect(o.ok && o.data).toMatchObject({ status: 'done', routing: { destination: 'hold_shelf', forPatronName: 'Horvat, M.' } });
    expect(r.afi(uid!)).toBe(AFI_ISO28560.secured);
  });

  it('e-mails the receipt through SMTP', async () => {
    const smtp = await startSmtpServer();
    cleanups.push(() => smtp.close());
    const received = smtp.mails;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    const mailer: Mailer = { send: async (m) => void (await transport.sendMail({ from: 'kiosk@library.example', ...m })) };
    const r = await rig({ mailer });
    await r.station.identify({ key: key('id'), identifier: '0100001', pin: '1234' });
    await r.place({ barcode: 'B1' });
    await r.station.checkout({ key: key('out'), barcode: 'B1' });
    const sent = await r.station.receipt({ key: key('rcpt'), kind: 'email' });
    expect(sent).toEqual({ ok: true, data: { printed: false, emailed: true, reprintPending: false } });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatch(/^To: ana\.novak@example\.org/m);
    expect(received[0]).toContain('Alamut');
    expect(received[0]).toMatch(/Subject: .*zadol/);
  });

  it('printing on an empty printer fails and keeps the receipt for a reprint', async () => {
    const r = await rig();
    await r.station.identify({ key: key('id'), identifier: '0100001', pin: '1234' });
    await r.place({ barcode: 'B1' });
    await r.station.checkout({ key: key('out'), barcode: 'B1' });
    r.psim.paperOut();
    const failed = await r.station.receipt({ key: key('rcpt'), kind: 'print' });
    expect(failed).toMatchObject({ ok: false, error: { code: 'printer_paper_out', details: { reprintPending: true } } });
    expect(r.printer.pendingReprints()).toHaveLength(1);
    r.psim.loadPaper();
    const again = await r.printer.reprint(r.printer.pendingReprints()[0]!.id);
    expect(again.ok).toBe(true);
    expect(r.psim.receipts().at(-1)!.text).toContain('Alamut');
  });
});

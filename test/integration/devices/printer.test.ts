/**
 * The ESC/POS printer driver against the printer simulator, byte for byte: over a simulated serial
 * line (binding-mock), TCP (a local "port 9100") and a USB-printer-like device file (a socat PTY).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EscPosPrinter, type EscPosPrinterConfigInput } from '../../../drivers/printer/escpos.driver.ts';
import { EscPosPrinterSimulator } from '../../../drivers/printer/escpos.simulator.ts';
import type { PrintResult } from '../../../drivers/printer/index.ts';
import { eventually, hasSocat, sampleReceipt, socatPtyPair, waitForEvent } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

let pathSeq = 0;

/** A printer on a simulated serial line, opened. */
async function serialRig(config: Partial<EscPosPrinterConfigInput> = {}, simOptions: ConstructorParameters<typeof EscPosPrinterSimulator>[0] = {}) {
  const sim = new EscPosPrinterSimulator(simOptions);
  const line = sim.serialLine(`/dev/sim-escpos-${process.pid}-${++pathSeq}`);
  const printer = new EscPosPrinter(
    { id: 'printer-1', transport: { kind: 'serial', path: line.path }, statusPollMs: 0, statusTimeoutMs: 300, ...config },
    { binding: line.binding },
  );
  cleanups.push(async () => {
    await printer.close();
    await sim.stop();
  });
  await printer.open();
  return { sim, line, printer };
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

function expectOk(result: PrintResult): void {
  if (!result.ok) throw new Error(`print failed: ${result.code} ${result.message}`);
}

describe('printing receipts in the kiosk languages over a serial line', () => {
  it('prints Latvian ā ē ī ū ļ ņ ķ ģ through CP775 (ESC t 0x21) and the simulator decodes them back', async () => {
    const { sim, printer } = await serialRig();
    const result = await printer.print(sampleReceipt('lv', ['ā ē ī ū ļ ņ ķ ģ', 'Ķēniņa meita'], { timeZone: 'Europe/Riga' }));
    expectOk(result);
    const [receipt] = sim.receipts();
    expect(receipt?.text).toContain('ā ē ī ū ļ ņ ķ ģ');
    expect(receipt?.text).toContain('Ķēniņa meita');
    expect(receipt?.text).toContain('Atdot līdz 02.04.2026');
    expect(receipt?.text).toContain('Paldies par apmeklējumu!');
    expect(receipt?.text).not.toContain('?');
    const pages = sim.commands().flatMap((c) => (c.type === 'codePage' ? [c.codePage] : []));
    expect(pages).toContain('cp775');
    // The title's text run went out in CP775: ā = 0x83, ļ = 0xEB.
    const titleRun = sim.commands().find((c) => c.type === 'text' && c.text.startsWith('ā ē'));
    expect(titleRun?.type === 'text' ? titleRun.codePage : null).toBe('cp775');
    expect(hex(titleRun?.bytes ?? new Uint8Array()).startsWith('83 20 89')).toBe(true);
  });

  it('prints Slovenian č š ž and Hungarian ő ű through CP852 (ESC t 18)', async () => {
    const { sim, printer } = await serialRig();
    expectOk(await printer.print(sampleReceipt('sl', ['Čebelica šiva žametne Ž Š Č'])));
    expectOk(await printer.print(sampleReceipt('hu', ['Tűzoltó erdő ŐŰ ő ű'])));
    const [sl, hu] = sim.receipts();
    expect(sl?.text).toContain('Čebelica šiva žametne Ž Š Č');
    expect(sl?.text).toContain('Rok vrnitve 02. 04. 2026');
    expect(sl?.text).toContain('Hvala za obisk in nasvidenje!');
    expect(hu?.text).toContain('Tűzoltó erdő ŐŰ ő ű');
    expect(hu?.text).toContain('Lejárat 2026. 04. 02.');
    expect(hu?.text).toContain('Köszönjük látogatását!');
    const runs = sim.commands().filter((c) => c.type === 'text' && /[čőű]/.test(c.text));
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) expect(run.type === 'text' && run.codePage).toBe('cp852');
    expect(sim.commands().some((c) => c.type === 'codePage' && c.n === 18)).toBe(true);
  });

  it('keeps the layout: kit parts indented under the lead with part n/m, held and lost items in their own tables, a QR code, a cut', async () => {
    const { sim, printer } = await serialRig();
    const receipt = sampleReceipt('en', [], {
      sections: [
        {
          kind: 'loans',
          items: [{ title: 'Language course', barcode: '301', dueDate: '2026-04-02', kit: { kitNumber: '45', unit: 1, unitCount: 3, parts: [{ barcode: '303', unit: 3, label: 'CD 2' }, { barcode: '302', unit: 2, label: 'CD 1' }] } }],
        },
        { kind: 'held', items: [{ title: 'Quarantined book', barcode: '401', heldUntil: '2026-03-15' }] },
        { kind: 'lost', items: [{ title: 'Lost atlas', barcode: '501' }] },
      ],
      code: { kind: 'qr', data: 'https://library.example/account' },
    });
    expectOk(await printer.print(receipt));
    const text = sim.receipts()[0]?.text ?? '';
    const lines = text.split('\n');
    const lead = lines.findIndex((l) => l === '  Kit 45 part 1/3');
    expect(lead).toBeGreaterThan(0);
    expect(lines[lead + 1]).toBe('    302 part 2/3 CD 1');
    expect(lines[lead + 2]).toBe('    303 part 3/3 CD 2');
    expect(text).toMatch(/Returned with hold \(1\)\n─+\nQuarantined book\n  401 +Held until 15\/03\/2026/);
    expect(text).toMatch(/Lost items \(1\)\n─+\nLost atlas/);
    expect(text).toContain('[QR https://library.example/account]');
    expect(text.trimEnd().endsWith('[CUT partial]')).toBe(true);
  });
});

describe('cash drawer', () => {
  it('sends the configured kick pulse (pin 5, 100 ms on, 200 ms off) and shows the drawer open until it is closed', async () => {
    const { sim, line, printer } = await serialRig({ drawer: { pin: 5, onMs: 100, offMs: 200, pollMs: 20 } });
    const opened = waitForEvent(printer.drawer, 'drawer.opened');
    line.clearWritten();
    const result = await printer.kickDrawer();
    expect(result).toEqual({ ok: true, pin: 5, onMs: 100, offMs: 200, drawerOpen: true });
    expect(hex(line.written)).toContain('1b 70 01 32 64');
    expect(sim.kicks()).toEqual([{ pin: 5, onMs: 100, offMs: 200 }]);
    await opened;

    // Still open a while later: only a person closes it.
    await new Promise((r) => setTimeout(r, 60));
    expect(await printer.drawer.isOpen()).toBe(true);
    expect((await printer.queryStatus()).drawerOpen).toBe(true);

    const closed = waitForEvent(printer.drawer, 'drawer.closed');
    sim.closeDrawer();
    await closed; // seen by the drawer's own poll, no query from the test
    expect(await printer.drawer.isOpen()).toBe(false);
  });

  it('honours per-call overrides and the drawer wiring (pin 3 LOW = open)', async () => {
    const { sim, printer } = await serialRig({ drawer: { openWhen: 'pin3-low', pollMs: 0 } }, { drawerWiring: 'pin3-low' });
    expect(await printer.drawer.isOpen()).toBe(false);
    const result = await printer.kickDrawer({ pin: 2, onMs: 50, offMs: 500 });
    expect(result).toMatchObject({ ok: true, drawerOpen: true });
    expect(sim.kicks()).toEqual([{ pin: 2, onMs: 50, offMs: 500 }]);
  });

  it('still kicks the drawer while the printer is out of paper', async () => {
    const { sim, printer } = await serialRig({ drawer: { pollMs: 0 } });
    sim.paperOut();
    await printer.queryStatus();
    expect(printer.status()).toMatchObject({ state: 'offline', reason: 'paper out' });
    expect(printer.drawer.state).toBe('ready');
    expect(await printer.kickDrawer()).toMatchObject({ ok: true, drawerOpen: true });
  });
});

describe('paper and cover', () => {
  it('refuses to print with the paper out, keeps the receipt, and reprints it after paper is loaded', async () => {
    const { sim, printer } = await serialRig();
    sim.paperOut();
    const failed = waitForEvent(printer, 'receipt.failed');
    const result = await printer.print(sampleReceipt('sl', ['Knjiga za ponovni tisk']));
    expect(result).toMatchObject({ ok: false, code: 'paper_out', partial: false });
    await failed;
    expect(sim.receipts()).toHaveLength(0);
    expect(printer.status()).toMatchObject({ state: 'offline', reason: 'paper out' });
    const pending = printer.pendingReprints();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ id: result.id, code: 'paper_out', attempts: 1 });
    expect(pending[0]?.receipt?.language).toBe('sl');

    // Still no paper: the reprint fails too and the receipt stays.
    expect(await printer.reprint(result.id)).toMatchObject({ ok: false, code: 'paper_out' });
    expect(printer.pendingReprints()[0]?.attempts).toBe(2);

    sim.loadPaper();
    const again = await printer.reprint(result.id);
    expect(again).toMatchObject({ ok: true, id: result.id });
    expect(sim.receipts()).toHaveLength(1);
    expect(sim.receipts()[0]?.text).toContain('Knjiga za ponovni tisk');
    expect(printer.pendingReprints()).toEqual([]);
    expect(printer.status()).toMatchObject({ state: 'ready', reason: null });
  });

  it('refuses to print with the cover open', async () => {
    const { sim, printer } = await serialRig();
    sim.openCover();
    expect(await printer.print(sampleReceipt('en', ['Cover test']))).toMatchObject({ ok: false, code: 'cover_open' });
    expect(printer.status()).toMatchObject({ state: 'offline', reason: 'cover open' });
    expect(sim.receipts()).toHaveLength(0);
    sim.closeCover();
    const [id] = printer.pendingReprints().map((p) => p.id);
    expect(await printer.reprint(id ?? '')).toMatchObject({ ok: true });
    expect(sim.receipts()[0]?.text).toContain('Cover test');
  });

  it('reports paper that runs out in the middle of a receipt as a partial failure and keeps the receipt', async () => {
    const { sim, printer } = await serialRig();
    sim.paperRemaining(6);
    const result = await printer.print(sampleReceipt('en', ['One', 'Two', 'Three', 'Four']));
    expect(result).toMatchObject({ ok: false, code: 'paper_out', partial: true });
    expect(sim.state().discardedBlocks).toBeGreaterThan(0);
    expect(printer.pendingReprints().map((p) => p.id)).toEqual([result.id]);
    sim.loadPaper();
    expect(await printer.reprint(result.id)).toMatchObject({ ok: true });
    expect(sim.receipts().at(-1)?.text).toContain('Four');
  });

  it('goes degraded when the paper is near its end, and back to ready with a new roll', async () => {
    const { sim, printer } = await serialRig();
    expect(printer.state).toBe('ready');
    sim.paperNearEnd();
    const report = await printer.queryStatus();
    expect(report).toMatchObject({ paperNearEnd: true, paperEnd: false, coverOpen: false, responding: true });
    expect(printer.status()).toMatchObject({ state: 'degraded', reason: 'paper near end' });
    expectOk(await printer.print(sampleReceipt('en', ['Still prints'])));
    sim.loadPaper();
    await printer.queryStatus();
    expect(printer.state).toBe('ready');
  });
});

describe('unplugging', () => {
  it('goes offline when the cable is pulled, keeps the receipt, and prints it after the printer is back', async () => {
    const { sim, printer } = await serialRig();
    const offline = waitForEvent(printer, 'state');
    sim.unplug();
    const [status] = await offline;
    expect(status).toMatchObject({ state: 'offline', reason: 'disconnected' });
    expect(printer.drawer.state).toBe('offline');

    const result = await printer.print(sampleReceipt('en', ['While unplugged']));
    expect(result).toMatchObject({ ok: false, code: 'disconnected' });

    await sim.replug();
    const again = await printer.reprint(result.id);
    expect(again).toMatchObject({ ok: true });
    expect(sim.receipts()[0]?.text).toContain('While unplugged');
    expect(printer.state).toBe('ready');
    expect(printer.drawer.state).toBe('ready');
  });

  it('reports a printer that never answers as offline "no response" (wrong port, switched off)', async () => {
    const { sim, printer } = await serialRig({ statusTimeoutMs: 100 });
    // A printer that takes bytes but never answers: swallow everything.
    const silent = sim.serialLine(`/dev/sim-escpos-silent-${process.pid}`);
    silent.onHostData = () => {};
    const mute = new EscPosPrinter({ id: 'mute', transport: { kind: 'serial', path: silent.path }, statusPollMs: 0, statusTimeoutMs: 100 }, { binding: silent.binding });
    cleanups.push(() => mute.close());
    await mute.open();
    expect(mute.status()).toMatchObject({ state: 'offline', reason: 'no response to status query' });
    expect(await mute.print(sampleReceipt('en', ['x']))).toMatchObject({ ok: false, code: 'no_response' });
    expect(printer.state).toBe('ready');
  });
});

describe('TCP 9100', () => {
  it('prints over a TCP connection and reads status on the same socket', async () => {
    const sim = new EscPosPrinterSimulator();
    const { host, port } = await sim.listenTcp(0);
    const printer = new EscPosPrinter({ id: 'net-printer', transport: { kind: 'tcp', host, port }, statusPollMs: 0, statusTimeoutMs: 500 });
    cleanups.push(async () => {
      await printer.close();
      await sim.stop();
    });
    await printer.open();
    expect(printer.state).toBe('ready');
    expectOk(await printer.print(sampleReceipt('hu', ['Hálózati nyomtató ő ű'])));
    expect(sim.receipts()[0]?.text).toContain('Hálózati nyomtató ő ű');

    sim.openCover();
    expect(await printer.print(sampleReceipt('hu', ['Fedél']))).toMatchObject({ ok: false, code: 'cover_open' });

    // Power cycle: the connection drops, the driver reconnects on the next print.
    const dropped = waitForEvent(printer, 'state');
    sim.unplug();
    expect((await dropped)[0]).toMatchObject({ state: 'offline', reason: 'disconnected' });
    await sim.replug();
    sim.closeCover();
    const [pending] = printer.pendingReprints();
    expect(await printer.reprint(pending?.id ?? '')).toMatchObject({ ok: true });
    expect(sim.receipts().at(-1)?.text).toContain('Fedél');
  });
});

describe.skipIf(!hasSocat)('USB printer-class device file (a PTY standing in for /dev/usb/lp0)', () => {
  it('writes through the device file and reads DLE EOT replies back from it', async () => {
    const pty = await socatPtyPair();
    const sim = new EscPosPrinterSimulator();
    await sim.attachToPort(pty.device);
    const printer = new EscPosPrinter({ id: 'usb-printer', transport: { kind: 'device-file', path: pty.host, pollIntervalMs: 5 }, statusPollMs: 0, statusTimeoutMs: 1000 });
    cleanups.push(async () => {
      await printer.close();
      await sim.stop();
      await pty.stop();
    });
    await printer.open();
    expect(printer.state).toBe('ready');
    expectOk(await printer.print(sampleReceipt('sl', ['Tiskalnik USB č š ž'])));
    await eventually(() => sim.receipts().length === 1);
    expect(sim.receipts()[0]?.text).toContain('Tiskalnik USB č š ž');
    sim.paperOut();
    expect(await printer.print(sampleReceipt('sl', ['Brez papirja']))).toMatchObject({ ok: false, code: 'paper_out' });
  });
});

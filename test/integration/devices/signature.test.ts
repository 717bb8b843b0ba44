/**
 * Signature tablets against their simulators: a Wacom STU-540 behind a fake HidTransport (pages
 * uploaded as images, pen reports with pressure and time), and signotec pads through a fake
 * STPadServer on a real local WebSocket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DriverClock } from '../../../drivers/device.ts';
import type { CaptureResult, SignedCapture } from '../../../drivers/signature/index.ts';
import { SignotecPad } from '../../../drivers/signature/signotec.driver.ts';
import { SignotecPadServerSimulator } from '../../../drivers/signature/signotec.simulator.ts';
import { stuLayout } from '../../../drivers/signature/stu-screen.ts';
import { WacomStuTablet } from '../../../drivers/signature/wacom-stu.driver.ts';
import { WacomStuSimulator } from '../../../drivers/signature/wacom-stu.simulator.ts';
import { waitForEvent } from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const TEMPLATE = [
  'Član: %name%',
  'Spol: %gender%',
  'Izkaznica: %card%',
  '<page>',
  '<fontsize=8>',
  'Izjavljam, da so podatki resnični, in se zavezujem spoštovati pravila knjižnice. Čćšž',
  '<fontsize=8>',
].join('\n');
const VARS = { name: 'Novak Ana', gender: '', card: '0100203' };

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function expectSigned(result: CaptureResult): SignedCapture {
  if (result.status !== 'signed') throw new Error(`expected a signature, got ${result.status}`);
  return result;
}

/** `penDownAnchors`: signotec starts every stroke with a pressure-0 point where the pen touched down. */
function expectPlausibleStrokes(result: SignedCapture, penDownAnchors = false): void {
  // The sample signature: a capital, cursive loops, an i-dot, an underline.
  expect(result.strokes).toHaveLength(4);
  expect(result.pointCount).toBe(result.strokes.reduce((n, s) => n + s.points.length, 0));
  const points = result.strokes.flatMap((s) => s.points);
  const inked = penDownAnchors ? result.strokes.flatMap((s) => s.points.slice(1)) : points;
  expect(inked.every((p) => p.pressure > 0 && p.pressure <= 1)).toBe(true);
  if (penDownAnchors) expect(result.strokes.map((s) => s.points[0]?.pressure)).toEqual([0, 0, 0, 0]);
  expect(Math.max(...points.map((p) => p.pressure))).toBeGreaterThan(0.7);
  expect(Math.min(...points.map((p) => p.pressure))).toBeLessThan(0.5);
  expect(points.every((p) => p.x >= 0 && p.y >= 0 && p.x <= result.width && p.y <= result.height)).toBe(true);
  // Time runs forward through the whole signature, starting at 0.
  expect(points[0]?.t).toBe(0);
  for (let k = 1; k < points.length; k++) expect(points[k]!.t).toBeGreaterThanOrEqual(points[k - 1]!.t);
  expect(points.at(-1)!.t).toBeGreaterThan(500);
  expect(result.svg.startsWith('<svg')).toBe(true);
  expect((result.svg.match(/<path /g) ?? []).length).toBeGreaterThan(4);
  expect(Array.from(result.png.subarray(0, 8))).toEqual(PNG_MAGIC);
}

describe('Wacom STU over HID (fake transport)', () => {
  async function rig() {
    const sim = new WacomStuSimulator();
    const tablet = new WacomStuTablet({ id: 'stu' }, { transport: sim.transport });
    cleanups.push(() => tablet.close());
    await tablet.open();
    return { sim, tablet };
  }

  it('reads the capability report on open', async () => {
    const { tablet } = await rig();
    expect(tablet.state).toBe('ready');
    expect(tablet.capability).toMatchObject({ screenWidth: 800, screenHeight: 480, tabletMaxPressure: 1023 });
    expect(tablet.information?.modelName).toBe('STU-540');
  });

  it('shows the pages, lets the patron page on, and returns the signature as strokes with pressure and time', async () => {
    const { sim, tablet } = await rig();
    const pageEvents: unknown[] = [];
    tablet.on('signature.page', (e) => pageEvents.push(e));
    const firstPage = waitForEvent(tablet, 'signature.page');
    const capture = tablet.capture(TEMPLATE, { vars: VARS, language: 'sl' });
    await firstPage;
    expect(sim.screens).toBe(1);
    expect(sim.badUploads).toBe(0);
    expect(sim.inking).toBe(false);
    const readingPage = sim.screenPng();

    const signingPage = waitForEvent(tablet, 'signature.page');
    await sim.tapButton('next');
    await signingPage;
    expect(sim.screens).toBe(2);
    expect(sim.inking).toBe(true);
    const box = stuLayout(800, 480, true).signatureBox!;
    expect(sim.writingArea).toEqual(box);
    expect(Buffer.from(sim.screenPng()!).equals(Buffer.from(readingPage!))).toBe(false);

    await sim.sign();
    await sim.tapButton('ok');
    const result = expectSigned(await capture);
    expectPlausibleStrokes(result);
    expect(result).toMatchObject({ width: box.width, height: box.height, pagesShown: 2, device: 'STU-540', devicePng: null });
    // 0x34 time counter at 5 ms per sample: the strokes keep the tablet's timing.
    expect(result.strokes[0]!.points[1]!.t - result.strokes[0]!.points[0]!.t).toBe(5);
    expect(pageEvents).toEqual([
      { index: 0, count: 2, signing: false },
      { index: 1, count: 2, signing: true },
    ]);
    // Afterwards: ink off, screen blank.
    expect(sim.inking).toBe(false);
  });

  it('draws the page text on the screen (accented letters included) and cuts it off above the buttons', async () => {
    const { sim, tablet } = await rig();
    const shown = waitForEvent(tablet, 'signature.page');
    const long = Array.from({ length: 80 }, (_, k) => `Line ${k + 1}`);
    const capture = tablet.capture([{ blocks: [{ fontSize: null, lines: ['Čćšž ŐŰ āēīū ļņķģ', ...long] }] }, { blocks: [] }]);
    await shown;
    const screen = sim.screen!;
    const dark = (x0: number, y0: number, x1: number, y1: number): number => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (screen.getPixel(x, y)[0] < 128) n++;
      return n;
    };
    const layout = stuLayout(800, 480, false);
    const textBottom = layout.text.y + layout.text.height;
    const buttonsTop = Math.min(...layout.buttons.map((b) => b.rect.y));
    expect(dark(layout.text.x, layout.text.y, layout.text.x + 400, layout.text.y + 40)).toBeGreaterThan(200);
    // Text down to the bottom of its area, then nothing until the buttons: the rest is cut off.
    expect(dark(layout.text.x, textBottom - 60, 800, textBottom)).toBeGreaterThan(0);
    expect(dark(0, textBottom, 800, buttonsTop)).toBe(0);
    // The first page has no "back" button: its slot stays empty.
    const back = layout.buttons.find((b) => b.id === 'back')!.rect;
    expect(dark(back.x, back.y, back.x + back.width, back.y + back.height)).toBe(0);
    await sim.tapButton('back'); // nothing there: ignored
    await sim.tapButton('cancel');
    expect(await capture).toEqual({ status: 'cancelled', pagesShown: 1 });
  });

  it('clears and signs again; OK on an empty box does nothing; cancel returns "cancelled"', async () => {
    const { sim, tablet } = await rig();
    const shown = waitForEvent(tablet, 'signature.page');
    const capture = tablet.capture('Podpis za izposojo');
    await shown;
    expect(sim.inking).toBe(true); // one page: it is the signing page
    await sim.tapButton('ok'); // nothing signed yet
    await sim.sign();
    const cleared = waitForEvent(tablet, 'signature.cleared');
    const redrawn = waitForEvent(tablet, 'signature.page');
    await sim.tapButton('clear');
    await cleared;
    await redrawn;
    // A short signature after clearing: only it is returned.
    await sim.sign([{ points: [{ x: 0.1, y: 0.5, pressure: 0.5, t: 0 }, { x: 0.5, y: 0.55, pressure: 0.8, t: 5 }, { x: 0.9, y: 0.5, pressure: 0.4, t: 10 }] }]);
    await sim.tapButton('ok');
    const result = expectSigned(await capture);
    expect(result.strokes).toHaveLength(1);
    expect(result.strokes[0]!.points).toHaveLength(3);

    const second = tablet.capture('x');
    await waitForEvent(tablet, 'signature.page');
    await sim.tapButton('cancel');
    expect(await second).toEqual({ status: 'cancelled', pagesShown: 1 });
  });

  it('times out when nobody signs, and refuses a second capture while one runs', async () => {
    const { tablet } = await rig();
    const capture = tablet.capture('x', { timeoutMs: 150 });
    await expect(tablet.capture('y')).rejects.toMatchObject({ code: 'busy' });
    expect(await capture).toEqual({ status: 'timeout', pagesShown: 1 });
  });

  it('fails the capture and goes offline when the tablet is unplugged', async () => {
    const { sim, tablet } = await rig();
    const shown = waitForEvent(tablet, 'signature.page');
    const capture = tablet.capture('x');
    await shown;
    sim.unplug();
    await expect(capture).rejects.toMatchObject({ code: 'unplugged' });
    expect(tablet.status()).toMatchObject({ state: 'offline', reason: 'unplugged' });
  });
});

describe('signotec pad through STPadServer (local WebSocket)', () => {
  function steppingClock(): DriverClock {
    let ms = Date.UTC(2026, 2, 12, 14, 0, 0);
    return { now: () => new Date((ms += 5)) };
  }

  async function rig(options: ConstructorParameters<typeof SignotecPadServerSimulator>[0] = {}) {
    const sim = new SignotecPadServerSimulator(options);
    const url = await sim.start();
    const pad = new SignotecPad({ id: 'omega', model: 'signotec Omega', url, requestTimeoutMs: 2000 }, { clock: steppingClock() });
    cleanups.push(async () => {
      await pad.close();
      await sim.stop();
    });
    return { sim, pad, url };
  }

  it('opens the pad, pages through the text, captures the signature and confirms it', async () => {
    const { sim, pad } = await rig();
    await pad.open();
    expect(pad.state).toBe('ready');
    expect(pad.pad).toMatchObject({ displayWidth: 640, displayHeight: 480 });

    const capture = pad.capture(TEMPLATE, { vars: VARS, language: 'sl' });
    const first = await sim.waitForDialog(1);
    expect(first).toEqual({ fieldName: '1/2', customText: 'Član: Novak Ana\nIzkaznica: 0100203' });
    sim.pressConfirm(); // the green tick on a reading page: next page
    const second = await sim.waitForDialog(2);
    expect(second.fieldName).toBe('Podpis');
    expect(second.customText).toContain('spoštovati pravila knjižnice. Čćšž');

    await sim.draw();
    sim.pressConfirm();
    const result = expectSigned(await capture);
    expectPlausibleStrokes(result, true);
    expect(result).toMatchObject({ width: 640, height: 480, pagesShown: 2, device: 'signotec Omega' });
    expect(result.pointCount).toBe(sim.pointCount);
    expect(Array.from(result.devicePng!.subarray(0, 8))).toEqual(PNG_MAGIC);
    expect(sim.commands).toEqual([
      'TOKEN_CMD_SEARCH_FOR_PADS',
      'TOKEN_CMD_OPEN_PAD',
      'TOKEN_CMD_SIGNATURE_START',
      'TOKEN_CMD_SIGNATURE_CANCEL',
      'TOKEN_CMD_SIGNATURE_START',
      'TOKEN_CMD_SIGNATURE_CONFIRM',
      'TOKEN_CMD_SIGNATURE_IMAGE',
    ]);
  });

  it('clears on the blue arrows and cancels on the red cross', async () => {
    const { sim, pad } = await rig();
    await pad.open();
    const capture = pad.capture('Podpis');
    await sim.waitForDialog(1);
    await sim.draw();
    const cleared = waitForEvent(pad, 'signature.cleared');
    sim.pressRetry();
    await cleared;
    expect(sim.commands.at(-1)).toBe('TOKEN_CMD_SIGNATURE_RETRY');
    sim.pressCancel();
    expect(await capture).toEqual({ status: 'cancelled', pagesShown: 1 });
    expect(sim.signing).toBe(false);

    // After clearing, only the new signature counts.
    const again = pad.capture('Podpis');
    await sim.waitForDialog(2);
    await sim.draw([{ points: [{ x: 0.2, y: 0.2, pressure: 0.5, t: 0 }, { x: 0.4, y: 0.3, pressure: 0.7, t: 5 }] }]);
    sim.pressRetry();
    await waitForEvent(pad, 'signature.cleared');
    await sim.draw();
    sim.pressConfirm();
    expect(expectSigned(await again).strokes).toHaveLength(4);
  });

  it('reports "no pad connected" when the server has no pad', async () => {
    const { pad } = await rig({ pads: 0 });
    await expect(pad.open()).rejects.toMatchObject({ code: 'no_pad' });
    expect(pad.status()).toMatchObject({ state: 'offline', reason: 'no pad connected' });
  });

  it('fails the capture and goes offline when the pad is unplugged', async () => {
    const { sim, pad } = await rig();
    await pad.open();
    const capture = pad.capture('Podpis');
    await sim.waitForDialog(1);
    sim.disconnectPad();
    await expect(capture).rejects.toMatchObject({ code: 'unplugged' });
    expect(pad.status()).toMatchObject({ state: 'offline', reason: 'pad disconnected' });
  });

  it('goes offline when the pad server goes away, and cannot open while it is down', async () => {
    const { sim, pad, url } = await rig();
    await pad.open();
    const offline = waitForEvent(pad, 'state');
    await sim.stop();
    expect((await offline)[0]).toMatchObject({ state: 'offline', reason: 'pad server disconnected' });
    const other = new SignotecPad({ id: 'omega-2', url, requestTimeoutMs: 500 });
    await expect(other.open()).rejects.toMatchObject({ code: 'open_failed' });
  });
});

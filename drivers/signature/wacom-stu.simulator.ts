/**
 * A simulated Wacom STU-540 behind a fake `HidTransport`: it answers the capability and information
 * feature reports, assembles uploaded screen images (0x25/0x26/0x27, 24-bit BGR), keeps the ink mode
 * and writing area, and produces pen reports 0x34 (status, x, y in tablet units, 16-bit time counter
 * in ms, sequence) for taps and for a replayed signature.
 *
 * Controls: `tapButton(id)` / `tap(x, y)` (screen pixels), `sign(strokes?)` (the sample signature by
 * default, fitted into the writing area), `unplug()`, `replug()`. Observations: `screens` (images
 * uploaded), `screenPng()`, `inking`, `writingArea`.
 */
import {
  encodeCapability,
  encodeInformation,
  encodePenReport,
  STU_REPORT,
  type Stroke,
  type StuCapability,
} from '../../protocols/signature/index.ts';
import { TypedEmitter } from '../device.ts';
import type { HidTransport, HidTransportEvents, HidTransportFactory } from '../scanner/hid-transport.ts';
import { type Rect, RgbBitmap } from './raster.ts';
import { sampleSignature } from './sample-signature.ts';
import { type StuButton, stuLayout } from './stu-screen.ts';

/** STU-540: 800 × 480 screen, 1024 pressure levels (devices.md §5); tablet units as netas-ch reads them. */
export const STU_540_CAPABILITY: StuCapability = {
  tabletMaxX: 9600,
  tabletMaxY: 5760,
  tabletMaxPressure: 1023,
  screenWidth: 800,
  screenHeight: 480,
  maxReportRate: 200,
};

export interface WacomStuSimulatorEvents {
  /** A full image was uploaded (the screen changed). */
  screen: [RgbBitmap];
}

export interface WacomStuSimulatorOptions {
  capability?: StuCapability;
  modelName?: string;
  firmware?: string;
}

class FakeStuTransport extends TypedEmitter<HidTransportEvents> implements HidTransport {
  closed = false;
  constructor(private readonly sim: WacomStuSimulator) {
    super();
  }
  async write(): Promise<void> {
    if (this.closed) throw new Error('device closed');
  }
  async sendFeatureReport(report: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('device closed');
    this.sim.handleFeature(report);
  }
  async getFeatureReport(reportId: number, length: number): Promise<Uint8Array> {
    if (this.closed) throw new Error('device closed');
    return this.sim.featureReply(reportId, length);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  deliver(report: Uint8Array): void {
    if (!this.closed) this.emit('data', report);
  }
  fail(err: Error): void {
    if (this.closed) return;
    this.emit('error', err);
    this.closed = true;
  }
}

export class WacomStuSimulator extends TypedEmitter<WacomStuSimulatorEvents> {
  readonly capability: StuCapability;
  readonly #modelName: string;
  readonly #firmware: string;
  #plugged = true;
  #transport: FakeStuTransport | null = null;
  #upload: Uint8Array[] | null = null;
  #screen: RgbBitmap | null = null;
  #screens = 0;
  #inking = false;
  #area: Rect | null = null;
  #timeMs = 0;
  #sequence = 0;
  /** Last inked point, for drawing the pen trace on the simulated screen. */
  #inkFrom: { x: number; y: number } | null = null;
  /** Image uploads that did not have the screen's size (a driver bug would show here). */
  badUploads = 0;

  constructor(options: WacomStuSimulatorOptions = {}) {
    super();
    this.capability = options.capability ?? STU_540_CAPABILITY;
    this.#modelName = options.modelName ?? 'STU-540';
    this.#firmware = options.firmware ?? '1.5.2.0';
  }

  readonly transport: HidTransportFactory = async () => {
    if (!this.#plugged) throw new Error('no HID device matches (unplugged)');
    this.#transport = new FakeStuTransport(this);
    return this.#transport;
  };

  // -- device side ---------------------------------------------------------------------------------

  /** @internal */
  featureReply(reportId: number, length: number): Uint8Array {
    if (reportId === STU_REPORT.capability) return encodeCapability(this.capability, Math.max(12, Math.min(length, 16)));
    if (reportId === STU_REPORT.information) return encodeInformation({ modelName: this.#modelName, firmware: this.#firmware }, 12);
    const out = new Uint8Array(Math.min(length, 16));
    out[0] = reportId;
    return out;
  }

  /** @internal */
  handleFeature(report: Uint8Array): void {
    switch (report[0]) {
      case STU_REPORT.clearScreen:
        this.#screen = new RgbBitmap(this.capability.screenWidth, this.capability.screenHeight);
        break;
      case STU_REPORT.inkMode:
        this.#inking = report[1] === 1;
        break;
      case STU_REPORT.writingArea: {
        const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
        const x1 = view.getUint16(1, true);
        const y1 = view.getUint16(3, true);
        this.#area = { x: x1, y: y1, width: view.getUint16(5, true) - x1, height: view.getUint16(7, true) - y1 };
        break;
      }
      case STU_REPORT.writeImageStart:
        this.#upload = report[1] === 0x04 ? [] : null;
        if (report[1] !== 0x04) this.badUploads++;
        break;
      case STU_REPORT.writeImageData:
        if (this.#upload) {
          const length = (report[1] ?? 0) | ((report[2] ?? 0) << 8);
          this.#upload.push(report.slice(3, 3 + length));
        }
        break;
      case STU_REPORT.writeImageEnd: {
        const parts = this.#upload;
        this.#upload = null;
        if (!parts) break;
        const bgr = Buffer.concat(parts);
        const { screenWidth: w, screenHeight: h } = this.capability;
        if (bgr.length !== w * h * 3) {
          this.badUploads++;
          break;
        }
        this.#screen = RgbBitmap.fromBgr24(w, h, new Uint8Array(bgr));
        this.#screens++;
        this.emit('screen', this.#screen);
        break;
      }
    }
  }

  // -- observations --------------------------------------------------------------------------------

  get screens(): number {
    return this.#screens;
  }

  get screen(): RgbBitmap | null {
    return this.#screen;
  }

  screenPng(): Uint8Array | null {
    return this.#screen?.toPng() ?? null;
  }

  get inking(): boolean {
    return this.#inking;
  }

  get writingArea(): Rect | null {
    return this.#area;
  }

  get opened(): boolean {
    return this.#transport !== null && !this.#transport.closed;
  }

  // -- the person with the pen ---------------------------------------------------------------------

  async #sample(x: number, y: number, pressure: number, touching: boolean): Promise<void> {
    const c = this.capability;
    const report = encodePenReport({
      inRange: true,
      touching,
      pressure: touching ? Math.max(1, Math.round(pressure * c.tabletMaxPressure)) : 0,
      x: Math.round((x * c.tabletMaxX) / c.screenWidth),
      y: Math.round((y * c.tabletMaxY) / c.screenHeight),
      time: this.#timeMs & 0xffff,
      sequence: this.#sequence++ & 0xffff,
    });
    this.#timeMs += 5;
    this.#ink(x, y, touching);
    await new Promise((r) => setImmediate(r));
    this.#transport?.deliver(report);
  }

  /** With ink on, the STU draws the pen trace inside the writing area itself. */
  #ink(x: number, y: number, touching: boolean): void {
    const area = this.#area;
    const within = area !== null && x >= area.x && y >= area.y && x < area.x + area.width && y < area.y + area.height;
    if (!this.#inking || !touching || !within || !this.#screen) {
      this.#inkFrom = null;
      return;
    }
    const from = this.#inkFrom ?? { x, y };
    this.#screen.drawSegment(from.x, from.y, x, y, 2.5, [0, 0, 160]);
    this.#inkFrom = { x, y };
  }

  /** Touch the screen at (x, y) pixels and lift. */
  async tap(x: number, y: number): Promise<void> {
    await this.#sample(x, y, 0, false);
    await this.#sample(x, y, 0.5, true);
    await this.#sample(x, y, 0.5, true);
    await this.#sample(x, y, 0, false);
    this.#timeMs += 150;
  }

  /** Tap a button of the kiosk's STU layout (reading page, or the signing page while ink is on). */
  async tapButton(id: StuButton): Promise<void> {
    const layout = stuLayout(this.capability.screenWidth, this.capability.screenHeight, this.#inking);
    const button = layout.buttons.find((b) => b.id === id);
    if (!button) throw new Error(`no ${id} button on this page`);
    await this.tap(button.rect.x + button.rect.width / 2, button.rect.y + button.rect.height / 2);
  }

  /**
   * Sign: strokes in the unit square (default the sample signature) fitted into the writing area,
   * or explicit strokes in screen pixels with `{ pixels: true }`.
   */
  async sign(strokes?: readonly Stroke[], options: { pixels?: boolean } = {}): Promise<void> {
    const area = this.#area ?? { x: 0, y: 0, width: this.capability.screenWidth, height: this.capability.screenHeight };
    const inset = { x: area.x + area.width * 0.05, y: area.y + area.height * 0.05, width: area.width * 0.9, height: area.height * 0.9 };
    const fitted = options.pixels && strokes ? strokes : (strokes ?? sampleSignature()).map((s) => ({
      points: s.points.map((p) => ({ ...p, x: inset.x + p.x * inset.width, y: inset.y + p.y * inset.height })),
    }));
    for (const stroke of fitted) {
      const first = stroke.points[0];
      const lastPoint = stroke.points.at(-1);
      if (!first || !lastPoint) continue;
      await this.#sample(first.x, first.y, 0, false);
      for (const p of stroke.points) await this.#sample(p.x, p.y, p.pressure, true);
      await this.#sample(lastPoint.x, lastPoint.y, 0, false);
      this.#timeMs += 180;
    }
  }

  unplug(): void {
    this.#plugged = false;
    this.#transport?.fail(new Error('could not read from HID device'));
  }

  replug(): void {
    this.#plugged = true;
  }
}

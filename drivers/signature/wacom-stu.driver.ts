/**
 * Wacom STU signature tablets (STU-540, STU-430; VID 0x056A) over HID, devices.md §5, report layout
 * from the reverse-engineered WebHID drivers (netas-ch/Wacom-STU-WebHID masks; decoded by
 * protocols/signature):
 *  - open: feature report 0x09 (capability: tablet and screen size, max pressure) and 0x08 (model);
 *  - the screen shows images only: the kiosk draws each page (./stu-screen.ts) and uploads it as
 *    24-bit BGR with 0x25 start (mode 0x04), 0x26 data (u16 LE length + 253 bytes) and 0x27 end;
 *  - on the signing page the writing area (0x2A, screen pixels) is the signing box and ink is on
 *    (0x21), so the tablet draws the pen trace itself;
 *  - pen input reports 0x01/0x34: touching samples inside the box become strokes; a tap that starts
 *    and ends on a drawn button presses it.
 *
 * Times: report 0x34 carries a 16-bit device counter; it is taken as milliseconds (the reference does
 * not give the unit) and unwrapped. Without it (report 0x01) the driver clock is used.
 * Unverified: the STU-430's monochrome screen takes another image mode; only the 24-bit mode of the
 * STU-540 is implemented.
 */
import { z } from 'zod';
import {
  decodeCapability,
  decodeInformation,
  decodePenReport,
  type PenPoint,
  STU_REPORT,
  StrokeRecorder,
  type StuCapability,
  type StuInformation,
  type StuPenSample,
  tabletToScreen,
  WACOM_VENDOR_ID,
} from '../../protocols/signature/index.ts';
import { Device, DeviceError, type DriverClock } from '../device.ts';
import { type HidTransport, type HidTransportFactory, nodeHidTransport } from '../scanner/hid-transport.ts';
import {
  type CaptureOptions,
  type CaptureResult,
  normaliseTimes,
  resolvePages,
  type SignatureEvents,
  type SignaturePagesInput,
  type SignatureTablet,
  signatureArtifacts,
  tabletLabels,
} from './index.ts';
import { inside, type Rect, type RgbBitmap } from './raster.ts';
import { buttonAt, drawStuPage, type StuButton, type StuLayout, stuLayout } from './stu-screen.ts';

/** 0x25 image mode: 24-bit BGR (netas-ch `imageFormat24BGR`). */
export const STU_IMAGE_MODE_24BGR = 0x04;
/** Image bytes per 0x26 report on the STU-540. */
export const STU_IMAGE_CHUNK = 253;

export const wacomStuConfigSchema = z
  .object({
    id: z.string().min(1),
    model: z.string().min(1).default('Wacom STU'),
    device: z
      .object({
        path: z.string().min(1).optional(),
        vendorId: z.number().int().default(WACOM_VENDOR_ID),
        productId: z.number().int().optional(),
      })
      .strict()
      .prefault({}),
    captureTimeoutMs: z.number().int().positive().default(180_000),
  })
  .strict();

export type WacomStuConfig = z.output<typeof wacomStuConfigSchema>;
export type WacomStuConfigInput = z.input<typeof wacomStuConfigSchema>;

export interface WacomStuDeps {
  transport?: HidTransportFactory;
  clock?: DriverClock;
}

export class WacomStuTablet extends Device<SignatureEvents> implements SignatureTablet {
  readonly config: WacomStuConfig;
  readonly #factory: HidTransportFactory;
  #transport: HidTransport | null = null;
  #capability: StuCapability | null = null;
  #information: StuInformation | null = null;
  #busy = false;
  #ops: Promise<unknown> = Promise.resolve();

  constructor(config: WacomStuConfigInput, deps: WacomStuDeps = {}) {
    const parsed = wacomStuConfigSchema.parse(config);
    super(parsed.id, 'signature', parsed.model, deps.clock);
    this.config = parsed;
    const { path, vendorId, productId } = parsed.device;
    this.#factory = deps.transport ?? nodeHidTransport(path !== undefined ? { path } : { vendorId, ...(productId !== undefined ? { productId } : {}) });
  }

  get capability(): StuCapability | null {
    return this.#capability;
  }

  get information(): StuInformation | null {
    return this.#information;
  }

  async open(): Promise<void> {
    if (this.#transport) return;
    this.setState('connecting', 'opening HID device');
    let transport: HidTransport;
    try {
      transport = await this.#factory();
      const cap = decodeCapability(await transport.getFeatureReport(STU_REPORT.capability, 64));
      if (!cap.ok) throw new Error(`capability report: ${cap.error}`);
      const info = decodeInformation(await transport.getFeatureReport(STU_REPORT.information, 64));
      this.#capability = cap.value;
      this.#information = info.ok ? info.value : null;
    } catch (err) {
      this.setState('offline', 'cannot open the tablet', err);
      throw new DeviceError('open_failed', `cannot open the Wacom STU: ${(err as Error).message}`);
    }
    this.#transport = transport;
    transport.on('error', (err) => {
      if (this.#transport !== transport) return;
      this.#transport = null;
      this.setState('offline', 'unplugged', err);
    });
    await this.#feature([STU_REPORT.inkMode, 0]);
    await this.#feature([STU_REPORT.clearScreen, 0]);
    this.setState('ready', null);
  }

  async close(): Promise<void> {
    const transport = this.#transport;
    this.#transport = null;
    if (transport) await transport.close().catch(() => {});
    this.setState('offline', 'closed');
  }

  /** Feature reports go out one at a time (an image upload is thousands of them). */
  #feature(bytes: Uint8Array | readonly number[]): Promise<void> {
    const run = this.#ops.then(async () => {
      const transport = this.#transport;
      if (!transport) throw new DeviceError('unplugged', 'the tablet is not connected');
      await transport.sendFeatureReport(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
    });
    this.#ops = run.catch(() => {});
    return run;
  }

  /** Upload a full-screen image (24-bit BGR, 0x25/0x26/0x27). */
  async showImage(bitmap: RgbBitmap): Promise<void> {
    const bgr = bitmap.toBgr24();
    await this.#feature([STU_REPORT.writeImageStart, STU_IMAGE_MODE_24BGR]);
    for (let at = 0; at < bgr.length; at += STU_IMAGE_CHUNK) {
      const chunk = bgr.subarray(at, at + STU_IMAGE_CHUNK);
      const report = new Uint8Array(3 + STU_IMAGE_CHUNK);
      report[0] = STU_REPORT.writeImageData;
      report[1] = chunk.length & 0xff;
      report[2] = chunk.length >> 8;
      report.set(chunk, 3);
      await this.#feature(report);
    }
    await this.#feature([STU_REPORT.writeImageEnd, 0]);
  }

  async #setSigningArea(box: Rect | null): Promise<void> {
    if (box) {
      const area = new Uint8Array(9);
      const view = new DataView(area.buffer);
      area[0] = STU_REPORT.writingArea;
      view.setUint16(1, Math.round(box.x), true);
      view.setUint16(3, Math.round(box.y), true);
      view.setUint16(5, Math.round(box.x + box.width), true);
      view.setUint16(7, Math.round(box.y + box.height), true);
      await this.#feature(area);
    }
    await this.#feature([STU_REPORT.inkMode, box ? 1 : 0]);
  }

  async capture(input: SignaturePagesInput, options: CaptureOptions = {}): Promise<CaptureResult> {
    const transport = this.#transport;
    const cap = this.#capability;
    if (!transport || !cap) throw new DeviceError('offline', 'the tablet is not open');
    if (this.#busy) throw new DeviceError('busy', 'a signature capture is already running');
    this.#busy = true;
    try {
      return await this.#capture(transport, cap, resolvePages(input, options.vars), options);
    } finally {
      this.#busy = false;
    }
  }

  #capture(transport: HidTransport, cap: StuCapability, pages: ReturnType<typeof resolvePages>, options: CaptureOptions): Promise<CaptureResult> {
    const labels = tabletLabels(options.language, options.labels);
    const last = pages.length - 1;
    const recorder = new StrokeRecorder();
    const startMs = this.clock.now().getTime();
    let index = 0;
    let layout: StuLayout | null = null;
    let seen = 0;
    let pen: { down: boolean; button: StuButton | null; inBox: boolean; x: number; y: number } = { down: false, button: null, inBox: false, x: 0, y: 0 };
    let deviceTime: { first: number; last: number; wraps: number } | null = null;

    return new Promise<CaptureResult>((resolve, reject) => {
      let done = false;
      const cleanup = (): void => {
        done = true;
        clearTimeout(timer);
        transport.off('data', onData);
        transport.off('error', onError);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const finish = (result: CaptureResult | Error): void => {
        if (done) return;
        cleanup();
        // Leave the screen blank and ink off whatever happened.
        void this.#setSigningArea(null)
          .then(() => this.#feature([STU_REPORT.clearScreen, 0]))
          .catch(() => {})
          .finally(() => (result instanceof Error ? reject(result) : resolve(result)));
      };
      const show = async (to: number): Promise<void> => {
        layout = null;
        const signing = to === last;
        const next = stuLayout(cap.screenWidth, cap.screenHeight, signing);
        await this.#setSigningArea(null);
        await this.showImage(drawStuPage(next, { page: pages[to] ?? { blocks: [] }, index: to, count: pages.length, labels }));
        if (signing) await this.#setSigningArea(next.signatureBox);
        if (done) return;
        index = to;
        seen = Math.max(seen, to + 1);
        layout = next;
        this.emit('signature.page', { index: to, count: pages.length, signing });
      };
      const go = (to: number): void => {
        show(to).catch((err: unknown) => finish(err instanceof DeviceError ? err : new DeviceError('unplugged', String(err))));
      };
      const press = (button: StuButton): void => {
        switch (button) {
          case 'next':
            if (index < last) go(index + 1);
            break;
          case 'back':
            if (index > 0) {
              recorder.clear();
              go(index - 1);
            }
            break;
          case 'clear':
            recorder.clear();
            this.emit('signature.cleared');
            go(index);
            break;
          case 'cancel':
            finish({ status: 'cancelled', pagesShown: seen });
            break;
          case 'ok': {
            // Confirming an empty box does nothing: there is no signature yet.
            if (recorder.pointCount === 0 || !layout?.signatureBox) break;
            const box = layout.signatureBox;
            const strokes = normaliseTimes(recorder.strokes);
            finish({
              status: 'signed',
              strokes,
              pointCount: recorder.pointCount,
              width: box.width,
              height: box.height,
              ...signatureArtifacts(strokes, box.width, box.height),
              pagesShown: seen,
              durationMs: this.clock.now().getTime() - startMs,
              device: this.#information?.modelName || this.model,
              devicePng: null,
            });
            break;
          }
        }
      };
      const timeOf = (sample: StuPenSample): number => {
        if (sample.time === null) return this.clock.now().getTime() - startMs;
        if (!deviceTime) deviceTime = { first: sample.time, last: sample.time, wraps: 0 };
        if (sample.time < deviceTime.last) deviceTime.wraps++;
        deviceTime.last = sample.time;
        return sample.time + deviceTime.wraps * 0x10000 - deviceTime.first;
      };
      const onData = (report: Uint8Array): void => {
        const decoded = decodePenReport(report);
        if (!decoded.ok || !layout) return;
        const sample = decoded.sample;
        const { x, y } = tabletToScreen(sample, cap);
        const touching = sample.inRange && sample.touching;
        const box = layout.signatureBox;
        if (touching) {
          if (!pen.down) pen = { down: true, button: buttonAt(layout, x, y, index), inBox: box !== null && inside(box, x, y), x, y };
          pen.x = x;
          pen.y = y;
          if (pen.inBox && box && inside(box, x, y)) {
            const point: PenPoint = {
              x: x - box.x,
              y: y - box.y,
              pressure: cap.tabletMaxPressure > 0 ? Math.min(1, sample.pressure / cap.tabletMaxPressure) : 0,
              t: timeOf(sample),
            };
            recorder.add(point, true);
          } else if (pen.inBox) recorder.lift();
        } else if (pen.down) {
          pen.down = false;
          recorder.lift();
          const button = pen.button;
          if (button && buttonAt(layout, pen.x, pen.y, index) === button) press(button);
        }
      };
      const onError = (err: Error): void => finish(new DeviceError('unplugged', `the tablet went away during the capture: ${err.message}`));
      const onAbort = (): void => finish({ status: 'cancelled', pagesShown: seen });
      const timer = setTimeout(() => finish({ status: 'timeout', pagesShown: seen }), options.timeoutMs ?? this.config.captureTimeoutMs);
      transport.on('data', onData);
      transport.on('error', onError);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort);
      go(0);
    });
  }
}

/**
 * signotec signature pads (Sigma, Omega, Gamma, Delta — the Omega is the one COBISS supports,
 * domain.md §9.3) through signotec's STPadServer: JSON messages over a WebSocket at
 * `wss://local.signotecwebsocket.de:49494` (devices.md §5; message codec in protocols/signature).
 *
 * Flow ("default mode", signotec's own client library `STPadServerLib.js`):
 *  open:    SEARCH_FOR_PADS → OPEN_PAD (display size);
 *  capture: for each page SIGNATURE_START with the page text as the custom text. The pad draws the
 *           dialog and its three buttons. On a reading page the green tick (CONFIRM event) moves on
 *           (the dialog is cancelled and the next one started) and the blue arrows go back; on the
 *           last page the pen points (SIGNATURE_POINT; pressure 0 starts a stroke) are the signature,
 *           the blue arrows clear it (SIGNATURE_RETRY), the tick confirms it (SIGNATURE_CONFIRM request,
 *           then SIGNATURE_IMAGE for the pad's own PNG); the red cross cancels everywhere;
 *  close:   CLOSE_PAD.
 * `<fontsize=nn>` passages cannot be passed on: default mode has one custom text per dialog, so the
 * pad chooses the size; the page split (`<page>`) is kept.
 *
 * Pen point times are not in the messages; they come from the driver clock.
 */
import WebSocket from 'ws';
import { z } from 'zod';
import {
  addSignotecPoint,
  type OpenedPadInfo,
  parseStPadMessage,
  StPad,
  type StPadEvent,
  type StPadRequest,
  type StPadResult,
  StrokeRecorder,
  tabletPageText,
} from '../../protocols/signature/index.ts';
import { Device, DeviceError, type DriverClock } from '../device.ts';
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

export const signotecConfigSchema = z
  .object({
    id: z.string().min(1),
    model: z.string().min(1).default('signotec signature pad'),
    url: z.string().min(1).default('wss://local.signotecwebsocket.de:49494'),
    /** TOKEN_PARAM_PAD_SUBSET of SEARCH_FOR_PADS: "HID", "USB", "Serial", "IP", "All". */
    padSubset: z.string().min(1).default('HID'),
    padIndex: z.number().int().min(0).default(0),
    requestTimeoutMs: z.number().int().positive().default(10_000),
    captureTimeoutMs: z.number().int().positive().default(180_000),
    /** Pressure of a full press in signotec points (the codec's default scale). */
    maxPressure: z.number().positive().default(1024),
    /** Ask the pad server for its own PNG of the signature too. */
    fetchPadImage: z.boolean().default(true),
    /** STPadServer's certificate is installed by signotec's setup; set false only for a self-signed test server. */
    tlsRejectUnauthorized: z.boolean().default(true),
  })
  .strict();

export type SignotecConfig = z.output<typeof signotecConfigSchema>;
export type SignotecConfigInput = z.input<typeof signotecConfigSchema>;

export interface SignotecDeps {
  clock?: DriverClock;
}

interface Pending {
  resolve: (result: StPadResult) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class SignotecPad extends Device<SignatureEvents> implements SignatureTablet {
  readonly config: SignotecConfig;
  #ws: WebSocket | null = null;
  readonly #pending = new Map<string, Pending[]>();
  #session: ((event: StPadEvent) => void) | null = null;
  #sessionError: ((err: Error) => void) | null = null;
  #pad: OpenedPadInfo | null = null;
  #busy = false;

  constructor(config: SignotecConfigInput, deps: SignotecDeps = {}) {
    const parsed = signotecConfigSchema.parse(config);
    super(parsed.id, 'signature', parsed.model, deps.clock);
    this.config = parsed;
  }

  get pad(): OpenedPadInfo | null {
    return this.#pad;
  }

  async open(): Promise<void> {
    if (this.#ws) return;
    this.setState('connecting', `connecting to ${this.config.url}`);
    let ws: WebSocket;
    try {
      ws = await this.#connect();
    } catch (err) {
      this.setState('offline', 'cannot reach the signotec pad server', err);
      throw new DeviceError('open_failed', `cannot reach STPadServer at ${this.config.url}: ${(err as Error).message}`);
    }
    this.#ws = ws;
    ws.on('message', (data) => this.#onMessage(String(data)));
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#pad = null;
      this.#failAll(new DeviceError('disconnected', 'the signotec pad server closed the connection'));
      this.setState('offline', 'pad server disconnected');
    });
    try {
      const found = await this.#request(StPad.searchForPads(this.config.padSubset));
      const pads = found.type === 'padsFound' ? found.pads : [];
      if (pads.length <= this.config.padIndex) throw new DeviceError('no_pad', 'no signotec pad is connected');
      const opened = await this.#request(StPad.openPad(this.config.padIndex));
      this.#pad = opened.type === 'padOpened' ? opened.pad : null;
    } catch (err) {
      this.#ws = null;
      ws.close();
      const reason = err instanceof DeviceError && err.code === 'no_pad' ? 'no pad connected' : 'cannot open the pad';
      this.setState('offline', reason, err);
      throw err instanceof DeviceError ? err : new DeviceError('open_failed', (err as Error).message);
    }
    this.setState('ready', null);
  }

  #connect(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.config.url, { rejectUnauthorized: this.config.tlsRejectUnauthorized, handshakeTimeout: this.config.requestTimeoutMs });
      ws.once('open', () => resolve(ws));
      ws.once('error', (err) => reject(err));
    });
  }

  async close(): Promise<void> {
    const ws = this.#ws;
    if (ws && this.#pad) await this.#request(StPad.closePad(this.config.padIndex)).catch(() => {});
    this.#ws = null;
    this.#pad = null;
    if (ws) {
      await new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 500).unref();
      });
    }
    this.#failAll(new DeviceError('closed', 'closed'));
    this.setState('offline', 'closed');
  }

  #request(req: StPadRequest): Promise<StPadResult> {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new DeviceError('disconnected', 'not connected to the pad server'));
    const command = req.TOKEN_CMD;
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const list = this.#pending.get(command);
          const k = list?.indexOf(entry) ?? -1;
          if (list && k >= 0) list.splice(k, 1);
          reject(new DeviceError('timeout', `${command}: no answer within ${this.config.requestTimeoutMs} ms`));
        }, this.config.requestTimeoutMs),
      };
      const list = this.#pending.get(command) ?? [];
      list.push(entry);
      this.#pending.set(command, list);
      ws.send(JSON.stringify(req));
    });
  }

  #failAll(err: Error): void {
    for (const list of this.#pending.values()) {
      for (const p of list) {
        clearTimeout(p.timer);
        p.reject(err);
      }
    }
    this.#pending.clear();
    this.#sessionError?.(err);
  }

  #onMessage(text: string): void {
    const message = parseStPadMessage(text);
    if (message.kind === 'response') {
      // Answers come back in request order per command (TOKEN_CMD_ORIGIN names the request).
      const p = this.#pending.get(message.command)?.shift();
      if (!p) return;
      clearTimeout(p.timer);
      if (message.ok) p.resolve(message.result);
      else p.reject(new DeviceError('pad_error', `${message.command} failed (${message.returnCode}): ${message.errorDescription ?? 'no description'}`));
    } else if (message.kind === 'event') {
      if (message.event.type === 'padDisconnected') {
        this.#pad = null;
        this.setState('offline', 'pad disconnected');
        this.#sessionError?.(new DeviceError('unplugged', 'the signature pad was disconnected'));
        return;
      }
      this.#session?.(message.event);
    }
  }

  async capture(input: SignaturePagesInput, options: CaptureOptions = {}): Promise<CaptureResult> {
    if (!this.#ws || !this.#pad) throw new DeviceError('offline', 'the pad is not open');
    if (this.#busy) throw new DeviceError('busy', 'a signature capture is already running');
    this.#busy = true;
    try {
      return await this.#capture(resolvePages(input, options.vars), options);
    } finally {
      this.#busy = false;
      this.#session = null;
      this.#sessionError = null;
    }
  }

  #capture(pages: ReturnType<typeof resolvePages>, options: CaptureOptions): Promise<CaptureResult> {
    const labels = tabletLabels(options.language, options.labels);
    const last = pages.length - 1;
    const recorder = new StrokeRecorder();
    const startMs = this.clock.now().getTime();
    let index = 0;
    let seen = 0;

    return new Promise<CaptureResult>((resolve, reject) => {
      let done = false;
      const finish = (result: CaptureResult | Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const fail = (err: unknown): void => finish(err instanceof Error ? err : new DeviceError('pad_error', String(err)));
      const show = async (to: number): Promise<void> => {
        const signing = to === last;
        const page = pages[to] ?? { blocks: [] };
        await this.#request(
          StPad.startSignature({ fieldName: signing ? labels.signHere : `${to + 1}/${pages.length}`, customText: tabletPageText(page) }),
        );
        index = to;
        seen = Math.max(seen, to + 1);
        this.emit('signature.page', { index: to, count: pages.length, signing });
      };
      const move = async (to: number): Promise<void> => {
        await this.#request(StPad.cancelSignature());
        await show(to);
      };
      const confirm = async (): Promise<void> => {
        const confirmed = await this.#request(StPad.confirmSignature());
        let devicePng: Uint8Array | null = null;
        if (this.config.fetchPadImage) {
          const image = await this.#request(StPad.getSignatureImage({ fileType: 'png' })).catch(() => null);
          if (image?.type === 'signatureImage' && image.fileBase64) devicePng = new Uint8Array(Buffer.from(image.fileBase64, 'base64'));
        }
        const strokes = normaliseTimes(recorder.strokes);
        const width = this.#pad?.displayWidth ?? Math.ceil(Math.max(1, ...strokes.flatMap((s) => s.points.map((p) => p.x))));
        const height = this.#pad?.displayHeight ?? Math.ceil(Math.max(1, ...strokes.flatMap((s) => s.points.map((p) => p.y))));
        finish({
          status: 'signed',
          strokes,
          pointCount: confirmed.type === 'signatureConfirmed' ? confirmed.pointCount : recorder.pointCount,
          width,
          height,
          ...signatureArtifacts(strokes, width, height),
          pagesShown: seen,
          durationMs: this.clock.now().getTime() - startMs,
          device: this.model,
          devicePng,
        });
      };
      /** One pad event; events are handled strictly in order (a button right after a page switch waits for it). */
      const handle = async (event: StPadEvent): Promise<void> => {
        if (done) return;
        const signing = index === last;
        switch (event.type) {
          case 'signaturePoint':
            if (signing) addSignotecPoint(recorder, event, this.clock.now().getTime() - startMs, this.config.maxPressure);
            return;
          case 'signatureConfirmed':
            if (!signing) return move(index + 1);
            // The tick on an empty box: re-arm the pad, there is nothing to confirm.
            if (recorder.pointCount === 0) return void (await this.#request(StPad.retrySignature()));
            return confirm();
          case 'signatureRetry':
            if (!signing) return index > 0 ? move(index - 1) : undefined;
            recorder.clear();
            await this.#request(StPad.retrySignature());
            this.emit('signature.cleared');
            return;
          case 'signatureCancelled':
            await this.#request(StPad.cancelSignature()).catch(() => null);
            return finish({ status: 'cancelled', pagesShown: seen });
          default:
            return;
        }
      };
      let queue: Promise<void> = show(0);
      queue.catch(fail);
      this.#session = (event) => {
        queue = queue.then(() => handle(event));
        queue.catch(fail);
      };
      this.#sessionError = fail;
      const onAbort = (): void => {
        this.#request(StPad.cancelSignature()).catch(() => null);
        finish({ status: 'cancelled', pagesShown: seen });
      };
      const timer = setTimeout(() => {
        this.#request(StPad.cancelSignature()).catch(() => null);
        finish({ status: 'timeout', pagesShown: seen });
      }, options.timeoutMs ?? this.config.captureTimeoutMs);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort);
    });
  }
}

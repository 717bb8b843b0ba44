/**
 * A fake signotec STPadServer: a WebSocket server on 127.0.0.1 (ephemeral port, plain ws) that answers
 * the default-mode commands the way STPadServer does (responses with TOKEN_CMD_ORIGIN and
 * TOKEN_PARAM_RETURN_CODE, numbers as strings) and sends pad events: pen points
 * (TOKEN_CMD_SIGNATURE_POINT, pressure 0 at the start of each stroke) and the pad's confirm, retry
 * and cancel buttons. It refuses what the real server refuses: starting a signature without an open
 * pad, opening a pad index that does not exist.
 *
 * Controls: `draw(strokes?)`, `pressConfirm()`, `pressRetry()`, `pressCancel()`, `disconnectPad()`.
 * Observations: `dialogs` (every SIGNATURE_START with its field name and text), `commands`.
 */
import { type AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { addSignotecPoint, StPadServerMessages, StrokeRecorder, type Stroke } from '../../protocols/signature/index.ts';
import { TypedEmitter } from '../device.ts';
import { renderSignaturePng } from './raster.ts';
import { sampleSignature } from './sample-signature.ts';

export interface SignotecDialog {
  fieldName: string | null;
  customText: string | null;
}

export interface SignotecSimulatorEvents {
  dialog: [SignotecDialog];
  command: [string];
}

export interface SignotecSimulatorOptions {
  /** signotec Omega: 640 × 480. */
  displayWidth?: number;
  displayHeight?: number;
  /** Connected pads (0 = none plugged in). */
  pads?: number;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

export class SignotecPadServerSimulator extends TypedEmitter<SignotecSimulatorEvents> {
  readonly #width: number;
  readonly #height: number;
  #pads: number;
  #server: WebSocketServer | null = null;
  #client: WebSocket | null = null;
  #openPad: number | null = null;
  #signing = false;
  #recorder = new StrokeRecorder();
  readonly dialogs: SignotecDialog[] = [];
  readonly commands: string[] = [];

  constructor(options: SignotecSimulatorOptions = {}) {
    super();
    this.#width = options.displayWidth ?? 640;
    this.#height = options.displayHeight ?? 480;
    this.#pads = options.pads ?? 1;
  }

  /** Start listening; resolves with the ws:// URL for the driver. */
  async start(): Promise<string> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    this.#server = server;
    server.on('connection', (ws) => {
      this.#client = ws;
      ws.on('message', (data) => this.#onRequest(ws, String(data)));
      ws.on('close', () => {
        if (this.#client === ws) this.#client = null;
      });
    });
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get padOpen(): boolean {
    return this.#openPad !== null;
  }

  get signing(): boolean {
    return this.#signing;
  }

  get pointCount(): number {
    return this.#recorder.pointCount;
  }

  #send(message: Record<string, unknown>, ws: WebSocket | null = this.#client): void {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  #onRequest(ws: WebSocket, text: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const cmd = str(m['TOKEN_CMD']) ?? '';
    this.commands.push(cmd);
    this.emit('command', cmd);
    const reply = (code = 0, params: Record<string, unknown> = {}): void => this.#send(StPadServerMessages.response(cmd, code, params), ws);
    const error = (code: number, description: string): void => this.#send(StPadServerMessages.error(cmd, code, description), ws);
    switch (cmd) {
      case 'TOKEN_CMD_SEARCH_FOR_PADS':
        return reply(0, {
          TOKEN_PARAM_CONNECTED_PADS: Array.from({ length: this.#pads }, (_, k) => ({
            TOKEN_PARAM_PAD_INDEX: String(k),
            TOKEN_PARAM_PAD_TYPE: '2',
            TOKEN_PARAM_PAD_SERIAL_NUMBER: `SIM${1000 + k}`,
            TOKEN_PARAM_PAD_FIRMWARE_VERSION: '1.36',
            TOKEN_PARAM_PAD_CONNECTION_TYPE: 'HID',
          })),
        });
      case 'TOKEN_CMD_OPEN_PAD': {
        const index = Number(m['TOKEN_PARAM_PAD_INDEX']);
        if (!Number.isInteger(index) || index < 0 || index >= this.#pads) return error(-3, 'pad index out of range');
        this.#openPad = index;
        return reply(0, {
          TOKEN_PARAM_PAD_DISPLAY_WIDTH: String(this.#width),
          TOKEN_PARAM_PAD_DISPLAY_HEIGHT: String(this.#height),
          TOKEN_PARAM_PAD_X_RESOLUTION: '2540',
          TOKEN_PARAM_PAD_Y_RESOLUTION: '2540',
          TOKEN_PARAM_PAD_SAMPLING_RATE: '500',
        });
      }
      case 'TOKEN_CMD_CLOSE_PAD':
        this.#openPad = null;
        this.#signing = false;
        return reply();
      case 'TOKEN_CMD_SIGNATURE_START': {
        if (this.#openPad === null) return error(-5, 'no pad open');
        this.#signing = true;
        this.#recorder.clear();
        const dialog = { fieldName: str(m['TOKEN_PARAM_FIELD_NAME']), customText: str(m['TOKEN_PARAM_CUSTOM_TEXT']) };
        this.dialogs.push(dialog);
        reply();
        this.emit('dialog', dialog);
        return;
      }
      case 'TOKEN_CMD_SIGNATURE_RETRY':
        if (!this.#signing) return error(-6, 'no signature capture running');
        this.#recorder.clear();
        return reply();
      case 'TOKEN_CMD_SIGNATURE_CANCEL':
      case 'TOKEN_CMD_SIGNATURE_STOP':
        this.#signing = false;
        this.#recorder.clear();
        return reply();
      case 'TOKEN_CMD_SIGNATURE_CONFIRM':
        if (!this.#signing) return error(-6, 'no signature capture running');
        this.#signing = false;
        // The return code is the number of captured points.
        return reply(this.#recorder.pointCount);
      case 'TOKEN_CMD_SIGNATURE_IMAGE': {
        const png = renderSignaturePng(this.#recorder.strokes, { width: this.#width, height: this.#height, background: 'white' });
        return reply(0, { TOKEN_PARAM_FILE: Buffer.from(png).toString('base64') });
      }
      case 'TOKEN_CMD_SIGNATURE_SIGN_DATA':
        return reply(0, { TOKEN_PARAM_SIGNATURE_SIGN_DATA: Buffer.from(JSON.stringify(this.#recorder.strokes)).toString('base64') });
      default:
        return error(-1, `unknown command ${cmd}`);
    }
  }

  /** Resolves when the `count`-th dialog (1-based) has been started. */
  waitForDialog(count: number, timeoutMs = 3000): Promise<SignotecDialog> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const d = this.dialogs[count - 1];
        if (!d) return false;
        clearTimeout(timer);
        this.off('dialog', check);
        resolve(d);
        return true;
      };
      const timer = setTimeout(() => {
        this.off('dialog', check);
        reject(new Error(`dialog ${count} was not started within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.on('dialog', check);
    });
  }

  /**
   * The patron draws: strokes in the unit square (default the sample signature) scaled to the display,
   * or pixel strokes with `{ pixels: true }`. Each stroke starts with a pressure-0 point.
   */
  async draw(strokes?: readonly Stroke[], options: { pixels?: boolean } = {}): Promise<void> {
    const w = this.#width;
    const h = this.#height;
    const fitted: readonly Stroke[] =
      options.pixels && strokes
        ? strokes
        : (strokes ?? sampleSignature()).map((s) => ({
            points: s.points.map((p) => ({ ...p, x: w * (0.05 + 0.9 * p.x), y: h * (0.3 + 0.6 * p.y) })),
          }));
    for (const stroke of fitted) {
      const first = stroke.points[0];
      if (!first) continue;
      await this.#point(first.x, first.y, 0);
      for (const p of stroke.points) await this.#point(p.x, p.y, Math.max(1, Math.round(p.pressure * 1024)));
    }
  }

  async #point(x: number, y: number, p: number): Promise<void> {
    if (!this.#signing) return;
    const point = { x: Math.round(x), y: Math.round(y), p };
    addSignotecPoint(this.#recorder, point, 0);
    this.#send(StPadServerMessages.point(point.x, point.y, point.p));
    await new Promise((r) => setImmediate(r));
  }

  pressConfirm(): void {
    this.#send(StPadServerMessages.button('confirm'));
  }

  pressRetry(): void {
    this.#send(StPadServerMessages.button('retry'));
  }

  pressCancel(): void {
    this.#send(StPadServerMessages.button('cancel'));
  }

  /** The USB cable of the pad is pulled (the server keeps running). */
  disconnectPad(): void {
    const index = this.#openPad ?? 0;
    this.#pads = 0;
    this.#openPad = null;
    this.#signing = false;
    this.#send(StPadServerMessages.disconnect(index));
  }
}

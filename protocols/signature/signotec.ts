/**
 * signotec STPadServer messages: JSON over WebSocket at `wss://local.signotecwebsocket.de:49494`
 * (devices.md §5). Every message has `TOKEN_TYPE`: `TOKEN_TYPE_REQUEST` (we send), `TOKEN_TYPE_RESPONSE`
 * (answer, `TOKEN_CMD_ORIGIN` names the request, `TOKEN_PARAM_RETURN_CODE` "0"/≥ 0 on success, < 0 with
 * `TOKEN_PARAM_ERROR_DESCRIPTION` on failure) or `TOKEN_TYPE_SEND` (event from the pad, `TOKEN_CMD`).
 *
 * Command and parameter names follow signotec's own client library `STPadServerLib.js`
 * ("default mode"): TOKEN_CMD_SEARCH_FOR_PADS, _OPEN_PAD, _CLOSE_PAD, _SIGNATURE_START, _SIGNATURE_CONFIRM,
 * _SIGNATURE_RETRY, _SIGNATURE_CANCEL, _SIGNATURE_IMAGE, _SIGNATURE_SIGN_DATA; events
 * TOKEN_CMD_SIGNATURE_POINT (`TOKEN_PARAM_POINT: {x, y, p}`), _SIGNATURE_CONFIRM/_RETRY/_CANCEL,
 * TOKEN_CMD_DISCONNECT, TOKEN_CMD_ERROR. devices.md abbreviates some of these differently
 * ("…START_SIGNATURE", "…NEXT_SIGNATURE_POINT", "…GET_SIGNATURE_IMAGE" with file type 4 = PNG), after a
 * third-party Python client; the parser accepts those spellings as aliases, the builders send
 * signotec's names, and PNG is file type 1 as in signotec's `FileType` enum (TIFF 0, PNG 1, BMP 2, JPEG 3, GIF 4).
 * Values arrive as strings or numbers; numbers are coerced.
 */

export type StPadRequest = { TOKEN_TYPE: 'TOKEN_TYPE_REQUEST'; TOKEN_CMD: string } & Record<string, unknown>;

const request = (cmd: string, params: Record<string, unknown> = {}): StPadRequest => ({
  TOKEN_TYPE: 'TOKEN_TYPE_REQUEST',
  TOKEN_CMD: cmd,
  ...params,
});

export const SIGNATURE_FILE_TYPE = { tiff: 0, png: 1, bmp: 2, jpeg: 3, gif: 4 } as const;
export type SignatureFileType = keyof typeof SIGNATURE_FILE_TYPE;

/** Builders for the requests the kiosk sends. Serialise with `serializeStPadRequest` (or JSON.stringify). */
export const StPad = {
  getServerVersion: (): StPadRequest => request('TOKEN_CMD_GET_SERVER_VERSION'),
  setInterfaceVersion: (version: string): StPadRequest =>
    request('TOKEN_CMD_SET_INTERFACE_VERSION', { TOKEN_PARAM_VERSION: version }),
  /** Subset of pads to look for, e.g. "HID" or "USB" (devices.md), "Serial", "IP", "All". */
  searchForPads: (subset = 'HID'): StPadRequest => request('TOKEN_CMD_SEARCH_FOR_PADS', { TOKEN_PARAM_PAD_SUBSET: subset }),
  openPad: (index: number): StPadRequest => request('TOKEN_CMD_OPEN_PAD', { TOKEN_PARAM_PAD_INDEX: index }),
  closePad: (index: number): StPadRequest => request('TOKEN_CMD_CLOSE_PAD', { TOKEN_PARAM_PAD_INDEX: index }),
  /** Start capture with a field name and a custom text shown above the signature box. */
  startSignature: (options: { fieldName?: string; customText?: string } = {}): StPadRequest =>
    request('TOKEN_CMD_SIGNATURE_START', {
      TOKEN_PARAM_PAD_ENCRYPTION: 'FALSE',
      ...(options.fieldName !== undefined ? { TOKEN_PARAM_FIELD_NAME: options.fieldName } : {}),
      ...(options.customText !== undefined ? { TOKEN_PARAM_CUSTOM_TEXT: options.customText } : {}),
    }),
  confirmSignature: (): StPadRequest => request('TOKEN_CMD_SIGNATURE_CONFIRM'),
  retrySignature: (): StPadRequest => request('TOKEN_CMD_SIGNATURE_RETRY'),
  cancelSignature: (): StPadRequest => request('TOKEN_CMD_SIGNATURE_CANCEL'),
  stopSignature: (): StPadRequest => request('TOKEN_CMD_SIGNATURE_STOP'),
  getSignatureImage: (options: { fileType?: SignatureFileType; penWidth?: number } = {}): StPadRequest =>
    request('TOKEN_CMD_SIGNATURE_IMAGE', {
      TOKEN_PARAM_FILE_TYPE: SIGNATURE_FILE_TYPE[options.fileType ?? 'png'],
      TOKEN_PARAM_PEN_WIDTH: options.penWidth ?? 5,
    }),
  /** Biometric signature data (`TOKEN_PARAM_SIGNATURE_SIGN_DATA` in the response). */
  getSignatureData: (): StPadRequest => request('TOKEN_CMD_SIGNATURE_SIGN_DATA'),
} as const;

export function serializeStPadRequest(req: StPadRequest): string {
  return JSON.stringify(req);
}

/** The spellings used by devices.md's source, mapped to signotec's command names. */
const COMMAND_ALIASES: Readonly<Record<string, string>> = {
  TOKEN_CMD_START_SIGNATURE: 'TOKEN_CMD_SIGNATURE_START',
  TOKEN_CMD_NEXT_SIGNATURE_POINT: 'TOKEN_CMD_SIGNATURE_POINT',
  TOKEN_CMD_CONFIRM_SIGNATURE: 'TOKEN_CMD_SIGNATURE_CONFIRM',
  TOKEN_CMD_RETRY_SIGNATURE: 'TOKEN_CMD_SIGNATURE_RETRY',
  TOKEN_CMD_CANCEL_SIGNATURE: 'TOKEN_CMD_SIGNATURE_CANCEL',
  TOKEN_CMD_GET_SIGNATURE_IMAGE: 'TOKEN_CMD_SIGNATURE_IMAGE',
  TOKEN_CMD_GET_SIGNATURE_DATA: 'TOKEN_CMD_SIGNATURE_SIGN_DATA',
};

const canonical = (cmd: string): string => COMMAND_ALIASES[cmd] ?? cmd;

export interface PadInfo {
  index: number;
  type: number | null;
  serialNumber: string | null;
  firmwareVersion: string | null;
  connectionType: string | null;
  comPort: string | null;
  ipAddress: string | null;
  capabilities: string | null;
}

export interface OpenedPadInfo {
  displayWidth: number | null;
  displayHeight: number | null;
  xResolution: number | null;
  yResolution: number | null;
  samplingRate: number | null;
}

export type StPadResult =
  | { type: 'serverVersion'; version: string | null; os: string | null }
  | { type: 'padsFound'; pads: PadInfo[] }
  | { type: 'padOpened'; pad: OpenedPadInfo }
  /** Confirm succeeded; the return code is the number of captured points. */
  | { type: 'signatureConfirmed'; pointCount: number }
  /** Image file, base64 (PNG by default). */
  | { type: 'signatureImage'; fileBase64: string }
  | { type: 'signatureData'; signData: string; certId: string | null; rsaSignature: string | null }
  /** Success without data (open/close, start, retry, cancel …). */
  | { type: 'done' };

export type StPadEvent =
  | { type: 'signaturePoint'; x: number; y: number; p: number }
  /** The patron pressed the pad's confirm (green tick), retry (blue arrows) or cancel (red cross) button. */
  | { type: 'signatureConfirmed' }
  | { type: 'signatureRetry' }
  | { type: 'signatureCancelled' }
  | { type: 'padDisconnected'; padIndex: number | null }
  | { type: 'error'; context: string | null; code: number | null; description: string | null }
  | { type: 'selectionChanged'; fieldId: string | null; checked: boolean }
  | { type: 'selectionConfirmed' }
  | { type: 'selectionCancelled' }
  | { type: 'incorrectCommand'; cause: string | null }
  | { type: 'other'; command: string };

export type StPadMessage =
  | { kind: 'response'; command: string; ok: true; returnCode: number; result: StPadResult }
  | { kind: 'response'; command: string; ok: false; returnCode: number; errorDescription: string | null }
  | { kind: 'event'; command: string; event: StPadEvent }
  /** Our own request echoed back (the server does this for unknown input). */
  | { kind: 'request'; command: string }
  | { kind: 'invalid'; reason: string };

type Json = Record<string, unknown>;

function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function parseResult(command: string, m: Json, returnCode: number): StPadResult {
  switch (command) {
    case 'TOKEN_CMD_GET_SERVER_VERSION':
      return { type: 'serverVersion', version: str(m['TOKEN_PARAM_VERSION']), os: str(m['TOKEN_PARAM_OS']) };
    case 'TOKEN_CMD_SEARCH_FOR_PADS': {
      const list = Array.isArray(m['TOKEN_PARAM_CONNECTED_PADS']) ? (m['TOKEN_PARAM_CONNECTED_PADS'] as unknown[]) : [];
      const pads = list
        .filter((p): p is Json => typeof p === 'object' && p !== null)
        .map((p, k) => ({
          index: num(p['TOKEN_PARAM_PAD_INDEX']) ?? k,
          type: num(p['TOKEN_PARAM_PAD_TYPE']),
          serialNumber: str(p['TOKEN_PARAM_PAD_SERIAL_NUMBER']),
          firmwareVersion: str(p['TOKEN_PARAM_PAD_FIRMWARE_VERSION']),
          connectionType: str(p['TOKEN_PARAM_PAD_CONNECTION_TYPE']),
          comPort: str(p['TOKEN_PARAM_PAD_COM_PORT']),
          ipAddress: str(p['TOKEN_PARAM_PAD_IP_ADDRESS']),
          capabilities: str(p['TOKEN_PARAM_PAD_CAPABILITIES']),
        }));
      return { type: 'padsFound', pads };
    }
    case 'TOKEN_CMD_OPEN_PAD': {
      // devices.md: returns TOKEN_PARAM_PAD_INFO with displayWidth/Height; signotec's library reads the
      // flat TOKEN_PARAM_PAD_DISPLAY_WIDTH … keys. Both are accepted.
      const nested = m['TOKEN_PARAM_PAD_INFO'];
      const info: Json = typeof nested === 'object' && nested !== null ? (nested as Json) : {};
      const pick = (flat: string, nested: string): number | null => num(m[flat]) ?? num(info[nested]) ?? num(info[flat]);
      return {
        type: 'padOpened',
        pad: {
          displayWidth: pick('TOKEN_PARAM_PAD_DISPLAY_WIDTH', 'displayWidth'),
          displayHeight: pick('TOKEN_PARAM_PAD_DISPLAY_HEIGHT', 'displayHeight'),
          xResolution: pick('TOKEN_PARAM_PAD_X_RESOLUTION', 'xResolution'),
          yResolution: pick('TOKEN_PARAM_PAD_Y_RESOLUTION', 'yResolution'),
          samplingRate: pick('TOKEN_PARAM_PAD_SAMPLING_RATE', 'samplingRate'),
        },
      };
    }
    case 'TOKEN_CMD_SIGNATURE_CONFIRM':
      return { type: 'signatureConfirmed', pointCount: returnCode };
    case 'TOKEN_CMD_SIGNATURE_IMAGE':
      return { type: 'signatureImage', fileBase64: str(m['TOKEN_PARAM_FILE']) ?? '' };
    case 'TOKEN_CMD_SIGNATURE_SIGN_DATA':
      return {
        type: 'signatureData',
        signData: str(m['TOKEN_PARAM_SIGNATURE_SIGN_DATA']) ?? str(m['TOKEN_PARAM_SIGN_DATA']) ?? '',
        certId: str(m['TOKEN_PARAM_CERT_ID']),
        rsaSignature: str(m['TOKEN_PARAM_SIGNATURE_RSA_SIGNATURE']),
      };
    default:
      return { type: 'done' };
  }
}

function parseEvent(command: string, m: Json): StPadEvent | { invalid: string } {
  switch (command) {
    case 'TOKEN_CMD_SIGNATURE_POINT': {
      const point = m['TOKEN_PARAM_POINT'];
      const p = typeof point === 'object' && point !== null ? (point as Json) : {};
      const x = num(p['x']);
      const y = num(p['y']);
      const pressure = num(p['p']);
      if (x === null || y === null || pressure === null) return { invalid: 'signature point without numeric x, y, p' };
      return { type: 'signaturePoint', x, y, p: pressure };
    }
    case 'TOKEN_CMD_SIGNATURE_CONFIRM':
      return { type: 'signatureConfirmed' };
    case 'TOKEN_CMD_SIGNATURE_RETRY':
      return { type: 'signatureRetry' };
    case 'TOKEN_CMD_SIGNATURE_CANCEL':
      return { type: 'signatureCancelled' };
    case 'TOKEN_CMD_DISCONNECT':
      return { type: 'padDisconnected', padIndex: num(m['TOKEN_PARAM_PAD_INDEX']) };
    case 'TOKEN_CMD_ERROR':
      return {
        type: 'error',
        context: str(m['TOKEN_PARAM_ERROR_CONTEXT']),
        code: num(m['TOKEN_PARAM_RETURN_CODE']),
        description: str(m['TOKEN_PARAM_ERROR_DESCRIPTION']),
      };
    case 'TOKEN_CMD_SELECTION_CHANGE':
      return {
        type: 'selectionChanged',
        fieldId: str(m['TOKEN_PARAM_FIELD_ID']),
        checked: String(m['TOKEN_PARAM_FIELD_CHECKED']).toUpperCase() === 'TRUE',
      };
    case 'TOKEN_CMD_SELECTION_CONFIRM':
      return { type: 'selectionConfirmed' };
    case 'TOKEN_CMD_SELECTION_CANCEL':
      return { type: 'selectionCancelled' };
    case 'TOKEN_CMD_INCORRECT_COMMAND':
      return { type: 'incorrectCommand', cause: str(m['TOKEN_PARAM_EXCEPTION_CAUSE']) };
    default:
      return { type: 'other', command };
  }
}

/** Parse one WebSocket text message from STPadServer. Never throws; bad input is `kind: 'invalid'`. */
export function parseStPadMessage(text: string): StPadMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'not a JSON object' };
  }
  const m = value as Json;
  switch (m['TOKEN_TYPE']) {
    case 'TOKEN_TYPE_RESPONSE': {
      const origin = str(m['TOKEN_CMD_ORIGIN']);
      if (!origin) return { kind: 'invalid', reason: 'response without TOKEN_CMD_ORIGIN' };
      const command = canonical(origin);
      const returnCode = num(m['TOKEN_PARAM_RETURN_CODE']);
      if (returnCode === null) return { kind: 'invalid', reason: 'response without numeric TOKEN_PARAM_RETURN_CODE' };
      if (returnCode < 0) {
        return { kind: 'response', command, ok: false, returnCode, errorDescription: str(m['TOKEN_PARAM_ERROR_DESCRIPTION']) };
      }
      return { kind: 'response', command, ok: true, returnCode, result: parseResult(command, m, returnCode) };
    }
    case 'TOKEN_TYPE_SEND': {
      const cmd = str(m['TOKEN_CMD']);
      if (!cmd) return { kind: 'invalid', reason: 'event without TOKEN_CMD' };
      const command = canonical(cmd);
      const event = parseEvent(command, m);
      if ('invalid' in event) return { kind: 'invalid', reason: event.invalid };
      return { kind: 'event', command, event };
    }
    case 'TOKEN_TYPE_REQUEST': {
      const cmd = str(m['TOKEN_CMD']);
      return cmd ? { kind: 'request', command: canonical(cmd) } : { kind: 'invalid', reason: 'request without TOKEN_CMD' };
    }
    default:
      return { kind: 'invalid', reason: `unknown TOKEN_TYPE ${String(m['TOKEN_TYPE'])}` };
  }
}

/** Server side of the same messages, for the STPadServer fake used in tests and the demo. */
export const StPadServerMessages = {
  response: (origin: string, returnCode = 0, params: Record<string, unknown> = {}): Json => ({
    TOKEN_TYPE: 'TOKEN_TYPE_RESPONSE',
    TOKEN_CMD_ORIGIN: origin,
    TOKEN_PARAM_RETURN_CODE: String(returnCode),
    ...params,
  }),
  error: (origin: string, returnCode: number, description: string): Json => ({
    TOKEN_TYPE: 'TOKEN_TYPE_RESPONSE',
    TOKEN_CMD_ORIGIN: origin,
    TOKEN_PARAM_RETURN_CODE: String(returnCode),
    TOKEN_PARAM_ERROR_DESCRIPTION: description,
  }),
  point: (x: number, y: number, p: number): Json => ({
    TOKEN_TYPE: 'TOKEN_TYPE_SEND',
    TOKEN_CMD: 'TOKEN_CMD_SIGNATURE_POINT',
    TOKEN_PARAM_POINT: { x: String(x), y: String(y), p: String(p) },
  }),
  button: (which: 'confirm' | 'retry' | 'cancel'): Json => ({
    TOKEN_TYPE: 'TOKEN_TYPE_SEND',
    TOKEN_CMD: { confirm: 'TOKEN_CMD_SIGNATURE_CONFIRM', retry: 'TOKEN_CMD_SIGNATURE_RETRY', cancel: 'TOKEN_CMD_SIGNATURE_CANCEL' }[which],
  }),
  disconnect: (padIndex: number): Json => ({
    TOKEN_TYPE: 'TOKEN_TYPE_SEND',
    TOKEN_CMD: 'TOKEN_CMD_DISCONNECT',
    TOKEN_PARAM_PAD_INDEX: String(padIndex),
  }),
} as const;

/**
 * Streaming ESC/POS decoder: bytes in (in chunks, commands may be split anywhere), a document out
 * (printed lines with styles and alignment, barcodes, QR codes, images, cuts, drawer pulses) plus the
 * list of commands the host sent. The printer simulator feeds it the bytes the driver writes and
 * answers the status requests it reports; tests assert on the document.
 *
 * Commands understood: everything in devices.md §4.1/§4.2 and everything
 * `@point-of-sale/receipt-printer-encoder` 4.x emits (ESC @, FS ., ESC M, ESC t, ESC !, ESC E, ESC -,
 * ESC 4, GS B, GS !, ESC a, LF/CR, GS H/h/w + GS k, GS ( k (QR and PDF417), ESC * and GS v 0 images,
 * ESC 3/ESC 2, GS V, ESC p, DLE EOT), plus the usual neighbours from the Epson command set (ESC d, ESC J,
 * ESC D + HT, ESC G, DLE DC4, GS ( L, GS 8 L, FS p, …). Parameters follow the Epson ESC/POS
 * command reference; where the reference (devices.md) is silent, the comment on the case says so.
 *
 * Unknown bytes never throw: they are reported as `unknown` commands and decoding continues after
 * them. For an unknown `ESC x` / `GS x` / `FS x` only the two prefix bytes are consumed, because the
 * parameter count is unknown; its parameters may then show up as text.
 *
 * Simplifications (documented choices, not printer behaviour):
 *  - Real-time commands (DLE EOT, DLE ENQ, DLE DC4) are recognised only between commands, not inside
 *    another command's parameters or image data.
 *  - A barcode, 2D code, image or cut that arrives while the current line holds text first ends that
 *    line, as if it had been printed; Epson firmware may instead ignore the command or print later.
 *  - Text left without a final LF is included by `end()` (a printer would keep it in its buffer).
 *  - `ESC R` (international character set) is recorded but does not remap characters.
 */
import type { Alignment, BarcodeSymbology, CutKind, DrawerPin, HriPosition } from './commands.ts';
import { BARCODE_FUNCTION_A, BARCODE_FUNCTION_B } from './commands.ts';
import { type CodePage, type CodePageTableName, codePageForEscT, decodeText } from './code-pages.ts';
import {
  DEFAULT_TEXT_STYLE,
  type DecodedCommand,
  type DocumentBlock,
  type EscPosDocument,
  type ImageBlock,
  type ImageSource,
  type StatusRequest,
  type Symbol2D,
  type TextRun,
  type TextStyle,
} from './document.ts';

export interface EscPosDecoderOptions {
  /** Vendor numbering of `ESC t n`. Default 'epson' (the receipt encoder's default mapping). */
  codePageTable?: CodePageTableName;
  /** Code page used before any `ESC t`, and for an `ESC t n` we cannot decode. Default CP437 (`ESC t 0`). */
  defaultCodePage?: CodePage;
  /** Called for each command as soon as it is complete, e.g. so a simulator can answer `DLE EOT`. */
  onCommand?: (command: DecodedCommand) => void;
}

/** Distributes `Omit` over the command union, so each variant keeps its own fields. */
type CommandBody = DecodedCommand extends infer C ? (C extends DecodedCommand ? Omit<C, 'offset' | 'bytes'> : never) : never;

const NEED_MORE = -1;

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const DLE = 0x10;

/** Epson default tab stops: every 8 characters. */
const DEFAULT_TAB_STOPS: readonly number[] = Array.from({ length: 32 }, (_, k) => (k + 1) * 8);

/** `GS ( k` cn values (Epson): 48 PDF417, 49 QR, 50 MaxiCode, 51 2D GS1 DataBar, 52 Composite, 53 Aztec, 54 DataMatrix. */
const SYMBOL_2D: Readonly<Record<number, Symbol2D>> = {
  0x30: 'pdf417',
  0x31: 'qr',
  0x32: 'maxicode',
  0x33: 'gs1-databar-2d',
  0x34: 'composite',
  0x35: 'aztec',
  0x36: 'datamatrix',
};

/** Printable one-character names for the command log ("ESC t", "GS ( k" …). */
function commandName(prefix: string, code: number): string {
  const c = code >= 0x21 && code <= 0x7e ? String.fromCharCode(code) : `0x${code.toString(16).padStart(2, '0')}`;
  return `${prefix} ${c}`;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Payload text of a 2D code: UTF-8 when valid, else ISO 8859-1 (what the receipt encoder sends). */
function payloadText(bytes: Uint8Array): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return latin1(bytes);
  }
}

/**
 * Human-readable Code 128 content from `GS k` data: "{A" "{B" "{C" select the code set, "{S" shift,
 * "{1".."{4" are FNC1..4 (not printed), "{{" is a literal "{"; in code set C each byte is a value 0…99.
 */
export function interpretCode128(raw: string): string {
  let out = '';
  let set: 'A' | 'B' | 'C' = 'B';
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k] ?? '';
    if (c === '{' && k + 1 < raw.length) {
      const next = raw[++k] ?? '';
      if (next === 'A' || next === 'B' || next === 'C') set = next;
      else if (next === '{') out += '{';
      continue;
    }
    out += set === 'C' ? String(c.charCodeAt(0)).padStart(2, '0') : c;
  }
  return out;
}

function sameStyle(a: TextStyle, b: TextStyle): boolean {
  return (
    a.bold === b.bold &&
    a.underline === b.underline &&
    a.italic === b.italic &&
    a.invert === b.invert &&
    a.width === b.width &&
    a.height === b.height &&
    a.font === b.font
  );
}

interface BarcodeSettings {
  hri: HriPosition;
  heightDots: number;
  moduleWidth: number;
}

interface QrSettings {
  model: 1 | 2 | null;
  moduleSize: number | null;
  errorCorrection: 'L' | 'M' | 'Q' | 'H' | null;
}

interface StoredGraphic {
  widthDots: number | null;
  heightDots: number | null;
  byteLength: number;
}

export class EscPosDecoder {
  readonly #table: CodePageTableName;
  readonly #defaultCodePage: CodePage;
  readonly #onCommand: ((command: DecodedCommand) => void) | undefined;

  #pending: Uint8Array = new Uint8Array(0);
  /** Stream offset of `#pending[0]`. */
  #base = 0;
  /** Image data bytes still to discard. */
  #skip = 0;

  readonly #blocks: DocumentBlock[] = [];
  readonly #commands: DecodedCommand[] = [];
  #taken = 0;
  #fresh: DecodedCommand[] = [];

  // Printer state.
  #emphasized = false;
  #doubleStrike = false;
  #style: TextStyle = { ...DEFAULT_TEXT_STYLE };
  #align: Alignment = 'left';
  #codePage: CodePage;
  #tabStops: readonly number[] = DEFAULT_TAB_STOPS;
  #barcode: BarcodeSettings = { hri: 'none', heightDots: 162, moduleWidth: 3 };
  #qr: QrSettings = { model: null, moduleSize: null, errorCorrection: null };
  #stored2D = new Map<Symbol2D, Uint8Array>();
  #graphicsBuffer: StoredGraphic | null = null;
  #downloadedImage: StoredGraphic | null = null;

  // Line being built.
  #lineRuns: TextRun[] = [];
  #lineAlign: Alignment | null = null;
  #lineChars = 0;
  #lineImage: StoredGraphic | null = null;
  #runBytes: number[] = [];
  #runStyle: TextStyle = { ...DEFAULT_TEXT_STYLE };
  #runCodePage: CodePage;
  #runOffset = 0;
  /** The last block is an `ESC *` stripe that the next stripe may extend. */
  #imageMergeable = false;

  constructor(options: EscPosDecoderOptions = {}) {
    this.#table = options.codePageTable ?? 'epson';
    this.#defaultCodePage = options.defaultCodePage ?? 'cp437';
    this.#onCommand = options.onCommand;
    this.#codePage = this.#defaultCodePage;
    this.#runCodePage = this.#defaultCodePage;
  }

  /** Printed blocks so far (the current unfinished line is not included). */
  get blocks(): readonly DocumentBlock[] {
    return this.#blocks;
  }

  /** All commands so far, in stream order. */
  get commands(): readonly DecodedCommand[] {
    return this.#commands;
  }

  /** Current printer state, e.g. for a simulator panel. */
  get state(): { style: TextStyle; align: Alignment; codePage: CodePage } {
    return { style: { ...this.#style }, align: this.#align, codePage: this.#codePage };
  }

  /** Blocks completed since the previous call (a simulator collects receipts with this). */
  takeBlocks(): DocumentBlock[] {
    const out = this.#blocks.slice(this.#taken);
    this.#taken = this.#blocks.length;
    return out;
  }

  /** Feed the next chunk. Returns the commands completed by it (text runs appear when they end). */
  feed(chunk: Uint8Array): DecodedCommand[] {
    this.#fresh = [];
    let data = chunk;
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, data.length);
      this.#skip -= n;
      this.#base += n;
      data = data.subarray(n);
    }
    let buf: Uint8Array;
    if (this.#pending.length === 0) buf = data;
    else {
      buf = new Uint8Array(this.#pending.length + data.length);
      buf.set(this.#pending);
      buf.set(data, this.#pending.length);
    }

    let i = 0;
    while (i < buf.length) {
      const b = buf[i] as number;
      if (b >= 0x20) {
        let j = i;
        while (j < buf.length && (buf[j] as number) >= 0x20) j++;
        this.#addText(buf.subarray(i, j), this.#base + i);
        i = j;
        continue;
      }
      const used = this.#control(buf, i);
      if (used === NEED_MORE) break;
      i += used;
    }
    // Keep an incomplete command for the next chunk.
    this.#pending = buf.slice(i);
    this.#base += i;
    return this.#fresh;
  }

  /** End of stream: finish the current line, report a truncated command, and return the document. */
  end(): EscPosDocument {
    this.#fresh = [];
    if (this.#pending.length > 0) {
      const bytes = this.#pending;
      this.#pending = new Uint8Array(0);
      this.#emitAt(this.#base, bytes, { type: 'unknown', reason: 'stream ended inside a command' });
      this.#base += bytes.length;
    }
    if (this.#skip > 0) {
      this.#emitAt(this.#base, new Uint8Array(0), {
        type: 'unknown',
        reason: `stream ended inside image data (${this.#skip} bytes missing)`,
      });
      this.#skip = 0;
    }
    this.#finishLine(false);
    return this.document();
  }

  /** Snapshot of blocks and commands decoded so far. */
  document(): EscPosDocument {
    return { blocks: [...this.#blocks], commands: [...this.#commands] };
  }

  // ---------------------------------------------------------------------------------------------
  // Output helpers

  #emitAt(offset: number, bytes: Uint8Array, body: CommandBody): void {
    if (body.type !== 'text') this.#flushRun();
    const command = { ...body, offset, bytes: bytes.slice() } as DecodedCommand;
    this.#commands.push(command);
    this.#fresh.push(command);
    this.#onCommand?.(command);
  }

  /** Emit a command of `length` bytes starting at `buf[i]`; returns `length` for the parse loop. */
  #emit(buf: Uint8Array, i: number, length: number, body: CommandBody): number {
    this.#emitAt(this.#base + i, buf.subarray(i, i + length), body);
    return length;
  }

  #pushBlock(block: DocumentBlock): void {
    this.#blocks.push(block);
    this.#imageMergeable = false;
  }

  #addText(bytes: Uint8Array, offset: number): void {
    if (this.#runBytes.length === 0) {
      this.#runStyle = { ...this.#style };
      this.#runCodePage = this.#codePage;
      this.#runOffset = offset;
      if (this.#lineRuns.length === 0 && this.#lineAlign === null) this.#lineAlign = this.#align;
    }
    for (const b of bytes) this.#runBytes.push(b);
    this.#lineChars += bytes.length;
  }

  #flushRun(): void {
    if (this.#runBytes.length === 0) return;
    const raw = Uint8Array.from(this.#runBytes);
    this.#runBytes = [];
    const text = decodeText(raw, this.#runCodePage);
    const last = this.#lineRuns[this.#lineRuns.length - 1];
    if (last && sameStyle(last.style, this.#runStyle)) last.text += text;
    else this.#lineRuns.push({ text, style: { ...this.#runStyle } });
    this.#emitAt(this.#runOffset, raw, { type: 'text', text, codePage: this.#runCodePage });
  }

  get #lineHasText(): boolean {
    return this.#runBytes.length > 0 || this.#lineRuns.length > 0;
  }

  /**
   * End the current line. `always` = the command prints a line even when it is empty (LF, ESC d);
   * otherwise an empty line is dropped (ESC J, a barcode after an empty line, end of stream).
   */
  #finishLine(always: boolean): void {
    this.#flushRun();
    const image = this.#lineImage;
    if (image) {
      const last = this.#blocks[this.#blocks.length - 1];
      if (this.#imageMergeable && last?.type === 'image' && last.source === 'ESC *' && last.widthDots === image.widthDots) {
        last.heightDots = (last.heightDots ?? 0) + (image.heightDots ?? 0);
        last.byteLength += image.byteLength;
      } else {
        this.#pushBlock({ type: 'image', source: 'ESC *', ...image, align: this.#lineAlign ?? this.#align });
      }
      this.#imageMergeable = true;
    }
    if (this.#lineHasText || (always && !image)) {
      this.#pushBlock({ type: 'text', align: this.#lineAlign ?? this.#align, runs: this.#lineRuns });
    }
    this.#lineRuns = [];
    this.#lineAlign = null;
    this.#lineChars = 0;
    this.#lineImage = null;
  }

  /** Before a barcode, 2D code, image or cut: print what is on the line (see the header comment). */
  #breakLine(): void {
    this.#flushRun();
    if (this.#lineHasText || this.#lineImage) this.#finishLine(false);
  }

  #blankLines(n: number): void {
    for (let k = 0; k < n; k++) this.#pushBlock({ type: 'text', align: this.#align, runs: [] });
  }

  #setStyle(patch: Partial<TextStyle>): void {
    this.#style = { ...this.#style, ...patch };
  }

  #resetPrinter(): void {
    // ESC @ clears the print buffer: an unterminated line is not printed.
    this.#flushRun();
    this.#lineRuns = [];
    this.#lineAlign = null;
    this.#lineChars = 0;
    this.#lineImage = null;
    this.#emphasized = false;
    this.#doubleStrike = false;
    this.#style = { ...DEFAULT_TEXT_STYLE };
    this.#align = 'left';
    this.#codePage = codePageForEscT(0, this.#table) ?? this.#defaultCodePage;
    this.#tabStops = DEFAULT_TAB_STOPS;
    this.#barcode = { hri: 'none', heightDots: 162, moduleWidth: 3 };
    this.#qr = { model: null, moduleSize: null, errorCorrection: null };
  }

  /**
   * Consume a command whose data may be large: emit it now with its header bytes, take what data is
   * in the buffer, and remember how much is still to be discarded from later chunks.
   */
  #withData(buf: Uint8Array, i: number, headerLength: number, dataLength: number, body: CommandBody): number {
    this.#emitAt(this.#base + i, buf.subarray(i, i + headerLength), body);
    const available = buf.length - (i + headerLength);
    const taken = Math.min(available, dataLength);
    // When the data runs past this buffer the parse loop ends here, and feed() discards the rest
    // from the following chunks.
    this.#skip = dataLength - taken;
    return headerLength + taken;
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing. Each handler returns the number of bytes consumed, or NEED_MORE.

  #control(buf: Uint8Array, i: number): number {
    const b = buf[i] as number;
    switch (b) {
      case 0x0a: // LF: print and line feed
        this.#emit(buf, i, 1, { type: 'lineFeed' });
        this.#finishLine(true);
        return 1;
      case 0x0d: // CR: ignored by USB/parallel/network printers (auto line feed off); the encoder sends LF CR.
        return this.#emit(buf, i, 1, { type: 'carriageReturn' });
      case 0x09:
        return this.#tab(buf, i);
      case 0x0c: // FF: in standard mode, print the buffer (page mode: print page)
        this.#emit(buf, i, 1, { type: 'setting', name: 'FF', params: new Uint8Array(0) });
        if (this.#lineHasText) this.#finishLine(false);
        return 1;
      case 0x00: // NUL padding: ignored
        return 1;
      case 0x18: // CAN: cancel page-mode data
        return this.#emit(buf, i, 1, { type: 'setting', name: 'CAN', params: new Uint8Array(0) });
      case ESC:
        return this.#esc(buf, i);
      case GS:
        return this.#gs(buf, i);
      case FS:
        return this.#fs(buf, i);
      case DLE:
        return this.#dle(buf, i);
      default:
        return this.#emit(buf, i, 1, { type: 'unknown', reason: `control byte 0x${b.toString(16).padStart(2, '0')}` });
    }
  }

  #tab(buf: Uint8Array, i: number): number {
    this.#emit(buf, i, 1, { type: 'tab' });
    const stop = this.#tabStops.find((s) => s > this.#lineChars);
    // No further tab stop: HT is ignored (Epson).
    if (stop !== undefined) this.#addText(new Uint8Array(stop - this.#lineChars).fill(0x20), this.#base + i);
    return 1;
  }

  #esc(buf: Uint8Array, i: number): number {
    if (i + 2 > buf.length) return NEED_MORE;
    const code = buf[i + 1] as number;
    const has = (n: number): boolean => i + n <= buf.length;
    const p = (k: number): number => buf[i + k] as number;
    const setting = (length: number, name = commandName('ESC', code)): number => {
      if (!has(length)) return NEED_MORE;
      return this.#emit(buf, i, length, { type: 'setting', name, params: buf.slice(i + 2, i + length) });
    };
    switch (code) {
      case 0x40: // ESC @ initialise
        this.#emit(buf, i, 2, { type: 'initialize' });
        this.#resetPrinter();
        return 2;
      case 0x21: {
        // ESC ! n print mode: bit0 font B, bit3 emphasised, bit4 double height, bit5 double width, bit7 underline
        if (!has(3)) return NEED_MORE;
        const n = p(2);
        this.#emphasized = (n & 0x08) !== 0;
        const patch: Partial<TextStyle> = {
          font: n & 0x01 ? 'B' : 'A',
          bold: this.#emphasized || this.#doubleStrike,
          height: n & 0x10 ? 2 : 1,
          width: n & 0x20 ? 2 : 1,
          underline: n & 0x80 ? 1 : 0,
        };
        this.#emit(buf, i, 3, { type: 'style', name: 'ESC !', style: patch });
        this.#setStyle(patch);
        return 3;
      }
      case 0x45: // ESC E n emphasised
      case 0x47: {
        // ESC G n double-strike (printed like bold)
        if (!has(3)) return NEED_MORE;
        if (code === 0x45) this.#emphasized = (p(2) & 1) === 1;
        else this.#doubleStrike = (p(2) & 1) === 1;
        const patch = { bold: this.#emphasized || this.#doubleStrike };
        this.#emit(buf, i, 3, { type: 'style', name: commandName('ESC', code), style: patch });
        this.#setStyle(patch);
        return 3;
      }
      case 0x2d: {
        // ESC - n underline: 0/48 off, 1/49 one dot, 2/50 two dots
        if (!has(3)) return NEED_MORE;
        const n = p(2) >= 0x30 ? p(2) - 0x30 : p(2);
        if (n > 2) return this.#emit(buf, i, 3, { type: 'unknown', reason: `ESC - ${p(2)}: bad underline mode` });
        const patch = { underline: n as 0 | 1 | 2 };
        this.#emit(buf, i, 3, { type: 'style', name: 'ESC -', style: patch });
        this.#setStyle(patch);
        return 3;
      }
      case 0x34: {
        // ESC 4 n italic (emitted by the receipt encoder; Star/clone extension)
        if (!has(3)) return NEED_MORE;
        const patch = { italic: (p(2) & 1) === 1 };
        this.#emit(buf, i, 3, { type: 'style', name: 'ESC 4', style: patch });
        this.#setStyle(patch);
        return 3;
      }
      case 0x4d: {
        // ESC M n font: 0/48 A, 1/49 B, 2/50 C, 3/51 D, 4/52 E; 97/98 special fonts A/B
        if (!has(3)) return NEED_MORE;
        const raw = p(2);
        const n = raw >= 0x61 ? raw - 0x61 : raw >= 0x30 ? raw - 0x30 : raw;
        const font = (['A', 'B', 'C', 'D', 'E'] as const)[n];
        if (!font) return this.#emit(buf, i, 3, { type: 'unknown', reason: `ESC M ${raw}: unknown font` });
        this.#emit(buf, i, 3, { type: 'style', name: 'ESC M', style: { font } });
        this.#setStyle({ font });
        return 3;
      }
      case 0x61: {
        // ESC a n alignment: 0/48 left, 1/49 centre, 2/50 right (§4.1)
        if (!has(3)) return NEED_MORE;
        const n = p(2) >= 0x30 ? p(2) - 0x30 : p(2);
        const align = (['left', 'center', 'right'] as const)[n];
        if (!align) return this.#emit(buf, i, 3, { type: 'unknown', reason: `ESC a ${p(2)}: bad alignment` });
        this.#emit(buf, i, 3, { type: 'align', align });
        this.#align = align;
        return 3;
      }
      case 0x74: {
        // ESC t n character code table (§4.1); an unknown table decodes with the default page
        if (!has(3)) return NEED_MORE;
        const n = p(2);
        const codePage = codePageForEscT(n, this.#table);
        this.#emit(buf, i, 3, { type: 'codePage', n, codePage });
        this.#codePage = codePage ?? this.#defaultCodePage;
        return 3;
      }
      case 0x64: {
        // ESC d n print and feed n lines
        if (!has(3)) return NEED_MORE;
        const n = p(2);
        this.#emit(buf, i, 3, { type: 'feed', lines: n });
        // The first line fed prints the buffer (or is blank); the other n − 1 are blank.
        if (n === 0) {
          if (this.#lineHasText) this.#finishLine(false);
        } else {
          this.#finishLine(true);
          this.#blankLines(n - 1);
        }
        return 3;
      }
      case 0x4a: // ESC J n print and feed n dots
      case 0x4b: {
        // ESC K n print and reverse feed n dots (older models)
        if (!has(3)) return NEED_MORE;
        this.#emit(buf, i, 3, { type: 'feed', dots: p(2), ...(code === 0x4b ? { reverse: true } : {}) });
        if (this.#lineHasText || this.#lineImage) this.#finishLine(false);
        return 3;
      }
      case 0x65: {
        // ESC e n print and reverse feed n lines
        if (!has(3)) return NEED_MORE;
        this.#emit(buf, i, 3, { type: 'feed', lines: p(2), reverse: true });
        if (this.#lineHasText || this.#lineImage) this.#finishLine(false);
        return 3;
      }
      case 0x44: {
        // ESC D n1…nk NUL horizontal tab positions (k ≤ 32, ascending)
        let end = i + 2;
        while (end < buf.length && buf[end] !== 0 && end - (i + 2) < 32) end++;
        if (end >= buf.length) return NEED_MORE;
        const stops = Array.from(buf.subarray(i + 2, end));
        const length = end - i + (buf[end] === 0 ? 1 : 0);
        this.#emit(buf, i, length, { type: 'setting', name: 'ESC D', params: Uint8Array.from(stops) });
        this.#tabStops = stops.filter((s, k) => k === 0 || s > (stops[k - 1] ?? 0));
        return length;
      }
      case 0x70: {
        // ESC p m t1 t2 drawer kick: m 0/48 pin 2, 1/49 pin 5; on t1 × 2 ms, off t2 × 2 ms (§4.1)
        if (!has(5)) return NEED_MORE;
        const m = p(2);
        if (m !== 0 && m !== 1 && m !== 0x30 && m !== 0x31) {
          return this.#emit(buf, i, 5, { type: 'unknown', reason: `ESC p ${m}: bad drawer pin` });
        }
        const pin: DrawerPin = m === 0 || m === 0x30 ? 2 : 5;
        const pulse = { pin, onMs: p(3) * 2, offMs: p(4) * 2 };
        this.#breakLine();
        this.#emit(buf, i, 5, { type: 'pulse', ...pulse, via: 'ESC p' });
        this.#pushBlock({ type: 'pulse', ...pulse });
        return 5;
      }
      case 0x2a: {
        // ESC * m nL nH d1…dk bit image (column format): k = n for 8-dot modes (0, 1), 3n for 24-dot (32, 33)
        if (!has(5)) return NEED_MORE;
        const m = p(2);
        const columns = p(3) + 256 * p(4);
        const dots24 = m === 32 || m === 33;
        if (!dots24 && m !== 0 && m !== 1) {
          return this.#emit(buf, i, 2, { type: 'unknown', reason: `ESC * ${m}: bad bit-image mode` });
        }
        const byteLength = dots24 ? columns * 3 : columns;
        const heightDots = dots24 ? 24 : 8;
        // The stripe prints with the line; consecutive stripes become one image block (see #finishLine).
        if (this.#lineHasText) this.#finishLine(false);
        if (this.#lineAlign === null) this.#lineAlign = this.#align;
        this.#lineImage = { widthDots: columns, heightDots, byteLength };
        return this.#withData(buf, i, 5, byteLength, {
          type: 'image',
          source: 'ESC *',
          widthDots: columns,
          heightDots,
          byteLength,
        });
      }
      case 0x26: {
        // ESC & y c1 c2 [x d1…d(y×x)] × (c2 − c1 + 1): define user-defined characters
        if (!has(5)) return NEED_MORE;
        const y = p(2);
        const count = p(4) - p(3) + 1;
        let at = i + 5;
        for (let k = 0; k < count; k++) {
          if (at >= buf.length) return NEED_MORE;
          at += 1 + y * (buf[at] as number);
        }
        if (at > buf.length) return NEED_MORE;
        return this.#emit(buf, i, at - i, { type: 'setting', name: 'ESC &', params: buf.slice(i + 2, i + 5) });
      }
      case 0x69: // ESC i partial cut (one point left uncut)
      case 0x6d: // ESC m partial cut (three points left uncut)
        this.#breakLine();
        this.#emit(buf, i, 2, { type: 'cut', kind: 'partial' });
        this.#pushBlock({ type: 'cut', kind: 'partial' });
        return 2;
      case 0x76: // ESC v transmit paper sensor status (legacy)
        return this.#emit(buf, i, 2, { type: 'statusRequest', request: { kind: 'ESC v' } });
      case 0x75: {
        // ESC u n transmit peripheral device status (legacy)
        if (!has(3)) return NEED_MORE;
        return this.#emit(buf, i, 3, { type: 'statusRequest', request: { kind: 'ESC u', n: p(2) } });
      }
      case 0x32: // ESC 2 default line spacing
      case 0x3c: // ESC < return home
      case 0x4c: // ESC L page mode
      case 0x53: // ESC S standard mode
        return setting(2);
      case 0x33: // ESC 3 n line spacing
      case 0x20: // ESC SP n right-side character spacing
      case 0x52: // ESC R n international character set (not applied, see header)
      case 0x3d: // ESC = n select peripheral device
      case 0x55: // ESC U n unidirectional printing
      case 0x56: // ESC V n 90° rotation
      case 0x7b: // ESC { n upside-down printing
      case 0x72: // ESC r n print colour
      case 0x25: // ESC % n user-defined character set
      case 0x3f: // ESC ? n cancel user-defined character
      case 0x54: // ESC T n print direction in page mode
        return setting(3);
      case 0x24: // ESC $ nL nH absolute print position
      case 0x5c: // ESC \ nL nH relative print position
        return setting(4);
      case 0x63: // ESC c 3 n / ESC c 4 n / ESC c 5 n paper sensors, panel buttons
        return setting(4);
      case 0x57: // ESC W xL xH yL yH dxL dxH dyL dyH print area in page mode
        return setting(10);
      default:
        return this.#emit(buf, i, 2, { type: 'unknown', reason: `unknown command ${commandName('ESC', code)}` });
    }
  }

  #gs(buf: Uint8Array, i: number): number {
    if (i + 2 > buf.length) return NEED_MORE;
    const code = buf[i + 1] as number;
    const has = (n: number): boolean => i + n <= buf.length;
    const p = (k: number): number => buf[i + k] as number;
    const setting = (length: number, name = commandName('GS', code)): number => {
      if (!has(length)) return NEED_MORE;
      return this.#emit(buf, i, length, { type: 'setting', name, params: buf.slice(i + 2, i + length) });
    };
    switch (code) {
      case 0x21: {
        // GS ! n character size: width = bits 4–6 + 1, height = bits 0–2 + 1 (§4.1)
        if (!has(3)) return NEED_MORE;
        const patch = { width: ((p(2) >> 4) & 0x07) + 1, height: (p(2) & 0x07) + 1 };
        this.#emit(buf, i, 3, { type: 'style', name: 'GS !', style: patch });
        this.#setStyle(patch);
        return 3;
      }
      case 0x42: {
        // GS B n white/black reverse printing
        if (!has(3)) return NEED_MORE;
        const patch = { invert: (p(2) & 1) === 1 };
        this.#emit(buf, i, 3, { type: 'style', name: 'GS B', style: patch });
        this.#setStyle(patch);
        return 3;
      }
      case 0x56:
        return this.#cut(buf, i);
      case 0x6b:
        return this.#barcodeCommand(buf, i);
      case 0x48: {
        // GS H n HRI position: 0/48 none, 1/49 above, 2/50 below, 3/51 both
        if (!has(3)) return NEED_MORE;
        const n = p(2) >= 0x30 ? p(2) - 0x30 : p(2);
        this.#emit(buf, i, 3, { type: 'barcodeSetting', setting: 'hri', value: n });
        this.#barcode.hri = (['none', 'above', 'below', 'both'] as const)[n] ?? 'none';
        return 3;
      }
      case 0x68: // GS h n bar height in dots
        if (!has(3)) return NEED_MORE;
        this.#emit(buf, i, 3, { type: 'barcodeSetting', setting: 'heightDots', value: p(2) });
        this.#barcode.heightDots = p(2);
        return 3;
      case 0x77: // GS w n module width
        if (!has(3)) return NEED_MORE;
        this.#emit(buf, i, 3, { type: 'barcodeSetting', setting: 'moduleWidth', value: p(2) });
        this.#barcode.moduleWidth = p(2);
        return 3;
      case 0x66: // GS f n HRI font
        if (!has(3)) return NEED_MORE;
        return this.#emit(buf, i, 3, { type: 'barcodeSetting', setting: 'hriFont', value: p(2) });
      case 0x28:
        return this.#gsParen(buf, i);
      case 0x38:
        return this.#gs8(buf, i);
      case 0x76: {
        // GS v 0 m xL xH yL yH d1…dk raster image: k = (xL + 256 xH) × (yL + 256 yH), width in bytes
        if (!has(8)) return NEED_MORE;
        if (p(2) !== 0x30) return this.#emit(buf, i, 2, { type: 'unknown', reason: `GS v ${p(2)}: unknown function` });
        const widthBytes = p(4) + 256 * p(5);
        const heightDots = p(6) + 256 * p(7);
        const byteLength = widthBytes * heightDots;
        this.#breakLine();
        this.#pushImage('GS v 0', { widthDots: widthBytes * 8, heightDots, byteLength });
        return this.#withData(buf, i, 8, byteLength, {
          type: 'image',
          source: 'GS v 0',
          widthDots: widthBytes * 8,
          heightDots,
          byteLength,
        });
      }
      case 0x2a: {
        // GS * x y d1…d(x × y × 8): define downloaded bit image, x × 8 dots wide, y × 8 dots high
        if (!has(4)) return NEED_MORE;
        const byteLength = p(2) * p(3) * 8;
        this.#downloadedImage = { widthDots: p(2) * 8, heightDots: p(3) * 8, byteLength };
        return this.#withData(buf, i, 4, byteLength, { type: 'setting', name: 'GS *', params: buf.slice(i + 2, i + 4) });
      }
      case 0x2f: {
        // GS / m print downloaded bit image
        if (!has(3)) return NEED_MORE;
        const image = this.#downloadedImage ?? { widthDots: null, heightDots: null, byteLength: 0 };
        this.#breakLine();
        this.#emit(buf, i, 3, { type: 'image', source: 'GS /', ...image });
        this.#pushImage('GS /', image);
        return 3;
      }
      case 0x61: // GS a n enable Automatic Status Back (§4.2)
        if (!has(3)) return NEED_MORE;
        return this.#emit(buf, i, 3, { type: 'statusRequest', request: { kind: 'GS a', n: p(2) } });
      case 0x72: // GS r n transmit status: 1/49 paper sensor, 2/50 drawer
        if (!has(3)) return NEED_MORE;
        return this.#emit(buf, i, 3, { type: 'statusRequest', request: { kind: 'GS r', n: p(2) } });
      case 0x49: // GS I n transmit printer ID
        if (!has(3)) return NEED_MORE;
        return this.#emit(buf, i, 3, { type: 'statusRequest', request: { kind: 'GS I', n: p(2) } });
      case 0x3a: // GS : start/end macro definition
        return setting(2);
      case 0x62: // GS b n smoothing
      case 0x54: // GS T n set print position to the beginning of the line
        return setting(3);
      case 0x4c: // GS L nL nH left margin
      case 0x57: // GS W nL nH print area width
      case 0x50: // GS P x y motion units
      case 0x24: // GS $ nL nH absolute vertical position (page mode)
      case 0x5c: // GS \ nL nH relative vertical position (page mode)
        return setting(4);
      case 0x5e: // GS ^ r t m execute macro
        return setting(5);
      case 0x67: // GS g 0 m nL nH / GS g 2 m nL nH maintenance counters
        return setting(6);
      default:
        return this.#emit(buf, i, 2, { type: 'unknown', reason: `unknown command ${commandName('GS', code)}` });
    }
  }

  #pushImage(source: ImageSource, image: StoredGraphic): void {
    const block: ImageBlock = { type: 'image', source, ...image, align: this.#align };
    this.#pushBlock(block);
  }

  /**
   * `GS V m [n]` cut (§4.1): m 0/48 full, 1/49 partial; 65/66 feed n then full/partial; 97/98 feed to
   * the cutting position + n then full/partial; 103/104 reserve a full/partial cut at the cutting position.
   */
  #cut(buf: Uint8Array, i: number): number {
    if (i + 3 > buf.length) return NEED_MORE;
    const m = buf[i + 2] as number;
    let kind: CutKind;
    let length = 3;
    let feed: number | undefined;
    if (m === 0 || m === 0x30) kind = 'full';
    else if (m === 1 || m === 0x31) kind = 'partial';
    else if (m === 65 || m === 66 || m === 97 || m === 98 || m === 103 || m === 104) {
      if (i + 4 > buf.length) return NEED_MORE;
      kind = m === 65 || m === 97 || m === 103 ? 'full' : 'partial';
      length = 4;
      feed = buf[i + 3] as number;
    } else {
      return this.#emit(buf, i, 3, { type: 'unknown', reason: `GS V ${m}: unknown cut mode` });
    }
    this.#breakLine();
    this.#emit(buf, i, length, { type: 'cut', kind, ...(feed !== undefined ? { feed } : {}) });
    this.#pushBlock({ type: 'cut', kind });
    return length;
  }

  /**
   * `GS k m d1…dk NUL` (function A, m = 0…6) or `GS k m n d1…dn` (function B, m = 65…79), §4.1.
   * Data is ASCII; Code 128 code-set prefixes are interpreted for the human-readable text.
   */
  #barcodeCommand(buf: Uint8Array, i: number): number {
    if (i + 3 > buf.length) return NEED_MORE;
    const m = buf[i + 2] as number;
    let dataStart: number;
    let dataEnd: number;
    let length: number;
    let symbology: BarcodeSymbology | 'unknown';
    if (m <= 6) {
      symbology = BARCODE_FUNCTION_A[m] ?? 'unknown';
      dataStart = i + 3;
      dataEnd = buf.indexOf(0, dataStart);
      if (dataEnd < 0) {
        // Function A data is at most 255 bytes; without a NUL by then, the stream is not a barcode.
        if (buf.length - dataStart > 255) {
          return this.#emit(buf, i, 3, { type: 'unknown', reason: `GS k ${m}: no NUL terminator` });
        }
        return NEED_MORE;
      }
      length = dataEnd + 1 - i;
    } else {
      if (i + 4 > buf.length) return NEED_MORE;
      symbology = BARCODE_FUNCTION_B[m] ?? 'unknown';
      dataStart = i + 4;
      dataEnd = dataStart + (buf[i + 3] as number);
      if (dataEnd > buf.length) return NEED_MORE;
      length = dataEnd - i;
    }
    const rawData = latin1(buf.subarray(dataStart, dataEnd));
    const data = symbology === 'code128' ? interpretCode128(rawData) : rawData;
    this.#breakLine();
    this.#emit(buf, i, length, { type: 'barcode', symbology, m, data });
    this.#pushBlock({
      type: 'barcode',
      symbology,
      m,
      data,
      rawData,
      hri: this.#barcode.hri,
      heightDots: this.#barcode.heightDots,
      moduleWidth: this.#barcode.moduleWidth,
      align: this.#align,
    });
    return length;
  }

  /** `GS ( x pL pH …`: parameter length pL + 256 pH follows the two length bytes. */
  #gsParen(buf: Uint8Array, i: number): number {
    if (i + 5 > buf.length) return NEED_MORE;
    const letter = buf[i + 2] as number;
    const paramLength = (buf[i + 3] as number) + 256 * (buf[i + 4] as number);
    const total = 5 + paramLength;
    const name = `GS ( ${String.fromCharCode(letter)}`;
    if (letter === 0x6b) {
      if (i + total > buf.length) return NEED_MORE;
      return this.#code2d(buf, i, total, buf.subarray(i + 5, i + total));
    }
    if (letter === 0x4c) return this.#graphics(buf, i, 5, paramLength, 'GS ( L');
    if (i + Math.min(total, 7) > buf.length) return NEED_MORE;
    return this.#withData(buf, i, Math.min(total, 7), total - Math.min(total, 7), {
      type: 'setting',
      name,
      params: buf.slice(i + 5, i + Math.min(total, 7)),
    });
  }

  /** `GS 8 L p1 p2 p3 p4 m fn …`: graphics with a 32-bit parameter length. */
  #gs8(buf: Uint8Array, i: number): number {
    if (i + 7 > buf.length) return NEED_MORE;
    if (buf[i + 2] !== 0x4c) {
      return this.#emit(buf, i, 2, { type: 'unknown', reason: `GS 8 ${buf[i + 2]}: unknown function` });
    }
    const paramLength =
      (buf[i + 3] as number) + 256 * (buf[i + 4] as number) + 65536 * (buf[i + 5] as number) + 16777216 * (buf[i + 6] as number);
    return this.#graphics(buf, i, 7, paramLength, 'GS 8 L');
  }

  /**
   * Graphics functions (`GS ( L` / `GS 8 L`), parameters `m fn …` with m = 48:
   * fn 112 store raster graphics `a bx by c xL xH yL yH d…` (width/height in dots),
   * fn 113 store column graphics (same header), fn 2/50 print the stored graphics,
   * fn 69 print NV graphics by key, fn 85 print download graphics by key.
   */
  #graphics(buf: Uint8Array, i: number, headerStart: number, paramLength: number, source: 'GS ( L' | 'GS 8 L'): number {
    if (i + headerStart + Math.min(paramLength, 2) > buf.length) return NEED_MORE;
    const fn = paramLength >= 2 ? (buf[i + headerStart + 1] as number) : -1;
    const total = headerStart + paramLength;
    if ((fn === 112 || fn === 113) && paramLength >= 10) {
      const h = i + headerStart;
      if (h + 10 > buf.length) return NEED_MORE;
      const widthDots = (buf[h + 6] as number) + 256 * (buf[h + 7] as number);
      const heightDots = (buf[h + 8] as number) + 256 * (buf[h + 9] as number);
      this.#graphicsBuffer = { widthDots, heightDots, byteLength: paramLength - 10 };
      return this.#withData(buf, i, headerStart + 10, paramLength - 10, {
        type: 'setting',
        name: `${source} store graphics`,
        params: buf.slice(h, h + 10),
      });
    }
    if (fn === 2 || fn === 50 || fn === 69 || fn === 85) {
      if (i + total > buf.length) return NEED_MORE;
      const image =
        fn === 2 || fn === 50
          ? (this.#graphicsBuffer ?? { widthDots: null, heightDots: null, byteLength: 0 })
          : { widthDots: null, heightDots: null, byteLength: 0 };
      this.#breakLine();
      this.#emit(buf, i, total, { type: 'image', source, ...image });
      this.#pushImage(source, image);
      return total;
    }
    const header = Math.min(total, headerStart + 2);
    return this.#withData(buf, i, header, total - header, {
      type: 'setting',
      name: source,
      params: buf.slice(i + headerStart, i + header),
    });
  }

  /**
   * `GS ( k pL pH cn fn …` 2D symbols (§4.1 for QR): cn 49 = QR with fn 65 model (n1 49/50 = model 1/2),
   * fn 67 module size, fn 69 error correction (48…51 = L/M/Q/H), fn 80 store (`m = 48` then data),
   * fn 81 print; the other cn values use fn 80/81 the same way.
   */
  #code2d(buf: Uint8Array, i: number, total: number, params: Uint8Array): number {
    const cn = params[0];
    const fn = params[1];
    const symbology = cn === undefined ? undefined : SYMBOL_2D[cn];
    if (symbology === undefined || fn === undefined) {
      return this.#emit(buf, i, total, { type: 'unknown', reason: `GS ( k: unknown symbol type ${cn ?? '-'}` });
    }
    const args = params.slice(2);
    if (fn === 0x50) {
      // Store: the first parameter is m = 48; Composite (cn 52) has a second selector byte.
      const skip = symbology === 'composite' ? 2 : 1;
      this.#stored2D.set(symbology, args.slice(skip));
      return this.#emit(buf, i, total, { type: 'code2dFunction', symbology, fn, params: args });
    }
    if (fn === 0x51) {
      const bytes = this.#stored2D.get(symbology) ?? new Uint8Array(0);
      const data = payloadText(bytes);
      this.#breakLine();
      this.#emit(buf, i, total, { type: 'code2dPrint', symbology, data });
      if (symbology === 'qr') {
        this.#pushBlock({ type: 'qr', data, bytes, ...this.#qr, align: this.#align });
      } else {
        this.#pushBlock({ type: 'code2d', symbology, data, bytes, align: this.#align });
      }
      return total;
    }
    if (symbology === 'qr') {
      const a = args[0];
      if (fn === 0x41 && a !== undefined) this.#qr.model = a === 0x31 ? 1 : a === 0x32 ? 2 : null;
      if (fn === 0x43 && a !== undefined) this.#qr.moduleSize = a;
      if (fn === 0x45 && a !== undefined) this.#qr.errorCorrection = (['L', 'M', 'Q', 'H'] as const)[a - 0x30] ?? null;
    }
    return this.#emit(buf, i, total, { type: 'code2dFunction', symbology, fn, params: args });
  }

  #fs(buf: Uint8Array, i: number): number {
    if (i + 2 > buf.length) return NEED_MORE;
    const code = buf[i + 1] as number;
    const has = (n: number): boolean => i + n <= buf.length;
    const setting = (length: number): number => {
      if (!has(length)) return NEED_MORE;
      return this.#emit(buf, i, length, { type: 'setting', name: commandName('FS', code), params: buf.slice(i + 2, i + length) });
    };
    switch (code) {
      case 0x2e: // FS . cancel Kanji character mode (§4.1)
      case 0x26: // FS & select Kanji character mode
        return setting(2);
      case 0x21: // FS ! n Kanji print mode
      case 0x2d: // FS - n Kanji underline
      case 0x43: // FS C n Kanji code system
      case 0x57: // FS W n Kanji quadruple size
        return setting(3);
      case 0x53: // FS S n1 n2 Kanji spacing
        return setting(4);
      case 0x70: {
        // FS p n m print NV bit image n (a stored logo; size unknown here)
        if (!has(4)) return NEED_MORE;
        const image = { widthDots: null, heightDots: null, byteLength: 0 };
        this.#breakLine();
        this.#emit(buf, i, 4, { type: 'image', source: 'FS p', ...image });
        this.#pushImage('FS p', image);
        return 4;
      }
      case 0x71: {
        // FS q n [xL xH yL yH d1…dk]: define NV bit images, k = (xL + 256 xH) × (yL + 256 yH) × 8.
        // Only n = 1 is decoded; several images interleave headers and data.
        if (!has(7)) return NEED_MORE;
        if (buf[i + 2] !== 1) {
          return this.#emit(buf, i, 2, { type: 'unknown', reason: 'FS q with more than one image is not decoded' });
        }
        const k = ((buf[i + 3] as number) + 256 * (buf[i + 4] as number)) * ((buf[i + 5] as number) + 256 * (buf[i + 6] as number)) * 8;
        return this.#withData(buf, i, 7, k, { type: 'setting', name: 'FS q', params: buf.slice(i + 2, i + 7) });
      }
      case 0x28: {
        // FS ( x pL pH …
        if (!has(5)) return NEED_MORE;
        const total = 5 + (buf[i + 3] as number) + 256 * (buf[i + 4] as number);
        const header = Math.min(total, 7);
        if (!has(header)) return NEED_MORE;
        return this.#withData(buf, i, header, total - header, {
          type: 'setting',
          name: `FS ( ${String.fromCharCode(buf[i + 2] as number)}`,
          params: buf.slice(i + 5, i + header),
        });
      }
      default:
        return this.#emit(buf, i, 2, { type: 'unknown', reason: `unknown command ${commandName('FS', code)}` });
    }
  }

  #dle(buf: Uint8Array, i: number): number {
    if (i + 2 > buf.length) return NEED_MORE;
    const code = buf[i + 1] as number;
    if (code === 0x04) {
      // DLE EOT n real-time status (§4.2); n = 7 and 8 take one more byte on newer models
      if (i + 3 > buf.length) return NEED_MORE;
      const n = buf[i + 2] as number;
      const length = n === 7 || n === 8 ? 4 : 3;
      if (i + length > buf.length) return NEED_MORE;
      const request: StatusRequest = { kind: 'DLE EOT', n };
      return this.#emit(buf, i, length, { type: 'statusRequest', request });
    }
    if (code === 0x05) {
      // DLE ENQ n real-time request
      if (i + 3 > buf.length) return NEED_MORE;
      return this.#emit(buf, i, 3, { type: 'statusRequest', request: { kind: 'DLE ENQ', n: buf[i + 2] as number } });
    }
    if (code === 0x14) {
      // DLE DC4 fn …: fn 1 = real-time pulse `10 14 01 m t` (pin m 0 → 2, 1 → 5; on and off t × 100 ms,
      // Epson command reference; not in devices.md), fn 2 power off, fn 3 buzzer, fn 7 status, fn 8 clear buffer.
      if (i + 3 > buf.length) return NEED_MORE;
      const fn = buf[i + 2] as number;
      const lengths: Readonly<Record<number, number>> = { 1: 5, 2: 5, 3: 7, 7: 4, 8: 10 };
      const length = lengths[fn];
      if (length === undefined) return this.#emit(buf, i, 3, { type: 'unknown', reason: `DLE DC4 ${fn}: unknown function` });
      if (i + length > buf.length) return NEED_MORE;
      if (fn === 1) {
        const m = buf[i + 3] as number;
        const t = buf[i + 4] as number;
        if (m > 1 || t < 1 || t > 8) return this.#emit(buf, i, length, { type: 'unknown', reason: 'DLE DC4 1: bad pin or time' });
        const pulse = { pin: (m === 0 ? 2 : 5) as DrawerPin, onMs: t * 100, offMs: t * 100 };
        this.#emit(buf, i, length, { type: 'pulse', ...pulse, via: 'DLE DC4' });
        this.#pushBlock({ type: 'pulse', ...pulse });
        return length;
      }
      return this.#emit(buf, i, length, { type: 'setting', name: `DLE DC4 ${fn}`, params: buf.slice(i + 3, i + length) });
    }
    return this.#emit(buf, i, 1, { type: 'unknown', reason: 'DLE without a known function' });
  }
}

/** Decode a whole byte stream at once. */
export function decodeEscPos(bytes: Uint8Array, options: EscPosDecoderOptions = {}): EscPosDocument {
  const decoder = new EscPosDecoder(options);
  decoder.feed(bytes);
  return decoder.end();
}

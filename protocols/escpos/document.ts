/**
 * The decoded form of an ESC/POS byte stream: what the paper would show (blocks) and what the host
 * sent (commands). Produced by `EscPosDecoder`, consumed by the renderers, the printer simulator and tests.
 */
import type { Alignment, BarcodeSymbology, CutKind, DrawerPin, HriPosition } from './commands.ts';
import type { CodePage } from './code-pages.ts';

export interface TextStyle {
  bold: boolean;
  /** 0 off, 1 one-dot, 2 two-dot (`ESC - n`). */
  underline: 0 | 1 | 2;
  italic: boolean;
  /** White on black (`GS B`). */
  invert: boolean;
  /** Character width multiplier 1…8 (`GS !`, `ESC !` bit5). */
  width: number;
  /** Character height multiplier 1…8 (`GS !`, `ESC !` bit4). */
  height: number;
  /** Font letter from `ESC M` / `ESC !` bit0. */
  font: 'A' | 'B' | 'C' | 'D' | 'E';
}

export const DEFAULT_TEXT_STYLE: Readonly<TextStyle> = {
  bold: false,
  underline: 0,
  italic: false,
  invert: false,
  width: 1,
  height: 1,
  font: 'A',
};

export interface TextRun {
  text: string;
  style: TextStyle;
}

/** One printed line of text. An empty `runs` array is a blank line (a feed). */
export interface TextLineBlock {
  type: 'text';
  align: Alignment;
  runs: TextRun[];
}

export interface BarcodeBlock {
  type: 'barcode';
  symbology: BarcodeSymbology | 'unknown';
  /** `GS k m` value. */
  m: number;
  /** Human-readable content: Code 128 code-set switches ("{B", "{C" …) are interpreted. */
  data: string;
  /** Bytes as sent, as ISO 8859-1 text. */
  rawData: string;
  hri: HriPosition;
  heightDots: number;
  moduleWidth: number;
  align: Alignment;
}

export type Symbol2D = 'qr' | 'pdf417' | 'maxicode' | 'gs1-databar-2d' | 'composite' | 'aztec' | 'datamatrix';

export interface QrCodeBlock {
  type: 'qr';
  /** Payload as text: UTF-8 when the bytes are valid UTF-8, otherwise ISO 8859-1. */
  data: string;
  bytes: Uint8Array;
  model: 1 | 2 | null;
  moduleSize: number | null;
  errorCorrection: 'L' | 'M' | 'Q' | 'H' | null;
  align: Alignment;
}

/** Any other 2D symbol printed through `GS ( k` (PDF417, MaxiCode, Data Matrix, Aztec …). */
export interface Code2DBlock {
  type: 'code2d';
  symbology: Exclude<Symbol2D, 'qr'>;
  data: string;
  bytes: Uint8Array;
  align: Alignment;
}

export type ImageSource = 'GS v 0' | 'ESC *' | 'GS ( L' | 'GS 8 L' | 'GS /' | 'FS p';

export interface ImageBlock {
  type: 'image';
  source: ImageSource;
  /** Null when only a reference to stored graphics was printed (e.g. `FS p`, `GS ( L` print). */
  widthDots: number | null;
  heightDots: number | null;
  /** Image data bytes that were skipped. */
  byteLength: number;
  align: Alignment;
}

export interface CutBlock {
  type: 'cut';
  kind: CutKind;
}

export interface DrawerPulseBlock {
  type: 'pulse';
  pin: DrawerPin;
  onMs: number;
  offMs: number;
}

export type DocumentBlock =
  | TextLineBlock
  | BarcodeBlock
  | QrCodeBlock
  | Code2DBlock
  | ImageBlock
  | CutBlock
  | DrawerPulseBlock;

/** A request the printer answers on the back channel; the simulator replies to these. */
export type StatusRequest =
  /** `DLE EOT n` real-time status, one byte back (§4.2). */
  | { kind: 'DLE EOT'; n: number }
  /** `DLE ENQ n` real-time request to the printer (recover from error / clear buffer). No reply. */
  | { kind: 'DLE ENQ'; n: number }
  /** `GS r n` transmit status (1 paper sensor, 2 drawer), one byte back. */
  | { kind: 'GS r'; n: number }
  /** `ESC v` transmit paper sensor status (legacy), one byte back. */
  | { kind: 'ESC v' }
  /** `ESC u n` transmit peripheral device status (legacy), one byte back. */
  | { kind: 'ESC u'; n: number }
  /** `GS I n` transmit printer ID. */
  | { kind: 'GS I'; n: number }
  /** `GS a n` enable/disable Automatic Status Back (devices.md §4.2). */
  | { kind: 'GS a'; n: number };

interface CommandBase {
  /** Byte offset of the command's first byte in the whole stream. */
  offset: number;
  /** Bytes of the command (for images only the header, data bytes are counted, not kept). */
  bytes: Uint8Array;
}

export type DecodedCommand = CommandBase &
  (
    | { type: 'text'; text: string; codePage: CodePage }
    | { type: 'initialize' }
    | { type: 'lineFeed' }
    | { type: 'carriageReturn' }
    | { type: 'tab' }
    | { type: 'feed'; lines?: number; dots?: number; reverse?: boolean }
    | { type: 'codePage'; n: number; codePage: CodePage | null }
    | { type: 'style'; name: string; style: Partial<TextStyle> }
    | { type: 'align'; align: Alignment }
    | { type: 'barcodeSetting'; setting: 'hri' | 'heightDots' | 'moduleWidth' | 'hriFont'; value: number }
    | { type: 'barcode'; symbology: BarcodeSymbology | 'unknown'; m: number; data: string }
    | { type: 'code2dFunction'; symbology: Symbol2D; fn: number; params: Uint8Array }
    | { type: 'code2dPrint'; symbology: Symbol2D; data: string }
    | { type: 'image'; source: ImageSource; widthDots: number | null; heightDots: number | null; byteLength: number }
    | { type: 'cut'; kind: CutKind; feed?: number }
    | { type: 'pulse'; pin: DrawerPin; onMs: number; offMs: number; via: 'ESC p' | 'DLE DC4' }
    | { type: 'statusRequest'; request: StatusRequest }
    /** A known command with no effect on the decoded document (line spacing, margins, Kanji mode …). */
    | { type: 'setting'; name: string; params: Uint8Array }
    /** Bytes the decoder does not understand; decoding resumes after them. */
    | { type: 'unknown'; reason: string }
  );

export type DecodedCommandType = DecodedCommand['type'];

export interface EscPosDocument {
  blocks: DocumentBlock[];
  commands: DecodedCommand[];
}

/**
 * A small RGB raster for what the kiosk draws itself: signature tablet screens (text pages, buttons,
 * the signing box) and PNG renderings of captured signatures. No image package: text uses ./font.ts,
 * strokes are anti-aliased capsules (distance to the segment), PNG comes from ./png.ts.
 */
import type { PenPoint, Stroke } from '../../protocols/signature/index.ts';
import { CELL_HEIGHT, CELL_WIDTH, fontCharacters, GLYPH_WIDTH, glyphFor } from './font.ts';
import { encodePng } from './png.ts';

export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function inside(rect: Rect, x: number, y: number): boolean {
  return x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height;
}

export class RgbBitmap {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    this.data = new Uint8Array(width * height * 3);
    this.fillRect({ x: 0, y: 0, width, height }, background);
  }

  setPixel(x: number, y: number, color: Rgb, alpha = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const i = (y * this.width + x) * 3;
    const a = Math.min(1, alpha);
    for (let c = 0; c < 3; c++) this.data[i + c] = Math.round((this.data[i + c] ?? 0) * (1 - a) + color[c]! * a);
  }

  getPixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.data[i] ?? 0, this.data[i + 1] ?? 0, this.data[i + 2] ?? 0];
  }

  fillRect(rect: Rect, color: Rgb): void {
    const x0 = Math.max(0, Math.floor(rect.x));
    const y0 = Math.max(0, Math.floor(rect.y));
    const x1 = Math.min(this.width, Math.ceil(rect.x + rect.width));
    const y1 = Math.min(this.height, Math.ceil(rect.y + rect.height));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = (y * this.width + x) * 3;
        this.data[i] = color[0];
        this.data[i + 1] = color[1];
        this.data[i + 2] = color[2];
      }
    }
  }

  strokeRect(rect: Rect, color: Rgb, lineWidth = 1): void {
    this.fillRect({ x: rect.x, y: rect.y, width: rect.width, height: lineWidth }, color);
    this.fillRect({ x: rect.x, y: rect.y + rect.height - lineWidth, width: rect.width, height: lineWidth }, color);
    this.fillRect({ x: rect.x, y: rect.y, width: lineWidth, height: rect.height }, color);
    this.fillRect({ x: rect.x + rect.width - lineWidth, y: rect.y, width: lineWidth, height: rect.height }, color);
  }

  /** Draw one line of text with its top-left cell corner at (x, y); returns the width drawn. */
  drawText(x: number, y: number, text: string, scale: number, color: Rgb = BLACK): number {
    let cx = x;
    for (const ch of fontCharacters(text)) {
      const glyph = glyphFor(ch);
      if (glyph) {
        glyph.forEach((row, gy) =>
          row.forEach((on, gx) => {
            if (on) this.fillRect({ x: cx + gx * scale, y: y + gy * scale, width: scale, height: scale }, color);
          }),
        );
      }
      cx += CELL_WIDTH * scale;
    }
    return cx - x;
  }

  /** A round-capped line from a to b, anti-aliased. */
  drawSegment(ax: number, ay: number, bx: number, by: number, width: number, color: Rgb): void {
    const r = Math.max(0.5, width / 2);
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 1));
    const x1 = Math.min(this.width - 1, Math.ceil(Math.max(ax, bx) + r + 1));
    const y1 = Math.min(this.height - 1, Math.ceil(Math.max(ay, by) + r + 1));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
        const d = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
        const coverage = r + 0.5 - d;
        if (coverage > 0) this.#blendMax(x, y, color, coverage);
      }
    }
  }

  /** Coverage from overlapping segments of one stroke must not add up to darker joints: keep the max. */
  #blendMax(x: number, y: number, color: Rgb, alpha: number): void {
    const i = (y * this.width + x) * 3;
    const a = Math.min(1, alpha);
    for (let c = 0; c < 3; c++) {
      const target = Math.round(255 * (1 - a) + color[c]! * a);
      const current = this.data[i + c] ?? 255;
      // Works for dark ink on a light background (the only use).
      if (target < current) this.data[i + c] = target;
    }
  }

  /** 24-bit BGR, row-major: the Wacom STU image format (netas-ch `setImage`, devices.md §5). */
  toBgr24(): Uint8Array {
    const out = new Uint8Array(this.data.length);
    for (let i = 0; i < this.data.length; i += 3) {
      out[i] = this.data[i + 2] ?? 0;
      out[i + 1] = this.data[i + 1] ?? 0;
      out[i + 2] = this.data[i] ?? 0;
    }
    return out;
  }

  static fromBgr24(width: number, height: number, bgr: Uint8Array): RgbBitmap {
    const bitmap = new RgbBitmap(width, height);
    for (let i = 0; i + 2 < Math.min(bgr.length, bitmap.data.length); i += 3) {
      bitmap.data[i] = bgr[i + 2] ?? 0;
      bitmap.data[i + 1] = bgr[i + 1] ?? 0;
      bitmap.data[i + 2] = bgr[i] ?? 0;
    }
    return bitmap;
  }

  toPng(): Uint8Array {
    return encodePng(this.width, this.height, this.data, 'rgb');
  }
}

/** Characters of text that fit in `width` pixels at a scale. */
export function columnsFor(width: number, scale: number): number {
  return Math.max(1, Math.floor((width + (CELL_WIDTH - GLYPH_WIDTH) * scale) / (CELL_WIDTH * scale)));
}

export function lineHeightFor(scale: number): number {
  return CELL_HEIGHT * scale;
}

/** Word-wrap for the bitmap font (counts drawable characters, not code units). */
export function wrapForFont(text: string, columns: number): string[] {
  const out: string[] = [];
  let line: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let chars = fontCharacters(word);
    while (chars.length > columns) {
      if (line.length) out.push(line.join(''));
      out.push(chars.slice(0, columns).join(''));
      chars = chars.slice(columns);
      line = [];
    }
    if (chars.length === 0) continue;
    if (line.length === 0) line = chars;
    else if (line.length + 1 + chars.length <= columns) line = [...line, ' ', ...chars];
    else {
      out.push(line.join(''));
      line = chars;
    }
  }
  if (line.length || out.length === 0) out.push(line.join(''));
  return out;
}

export interface SignaturePngOptions {
  /** Image size; default: the strokes' extent plus a margin. */
  width?: number;
  height?: number;
  /** Stroke width from pressure: min at pressure 0, max at 1. Default 1.5…4.5 px. */
  minWidth?: number;
  maxWidth?: number;
  color?: Rgb;
  /** Transparent background (RGBA) or white (RGB). Default transparent. */
  background?: 'transparent' | 'white';
}

/** Rasterise strokes to a PNG, pen width following pressure (as the SVG rendering with `pressureWidth`). */
export function renderSignaturePng(strokes: readonly Stroke[], options: SignaturePngOptions = {}): Uint8Array {
  const minW = options.minWidth ?? 1.5;
  const maxW = options.maxWidth ?? 4.5;
  let maxX = 0;
  let maxY = 0;
  for (const s of strokes) for (const p of s.points) {
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  const width = Math.max(1, Math.round(options.width ?? maxX + maxW + 2));
  const height = Math.max(1, Math.round(options.height ?? maxY + maxW + 2));
  const color = options.color ?? BLACK;
  const bitmap = new RgbBitmap(width, height, WHITE);
  const w = (p: PenPoint): number => minW + (maxW - minW) * Math.max(0, Math.min(1, p.pressure));
  for (const stroke of strokes) {
    const pts = stroke.points;
    if (pts.length === 1 && pts[0]) bitmap.drawSegment(pts[0].x, pts[0].y, pts[0].x, pts[0].y, w(pts[0]), color);
    for (let k = 1; k < pts.length; k++) {
      const a = pts[k - 1] as PenPoint;
      const b = pts[k] as PenPoint;
      bitmap.drawSegment(a.x, a.y, b.x, b.y, (w(a) + w(b)) / 2, color);
    }
  }
  if ((options.background ?? 'transparent') === 'white') return bitmap.toPng();
  // Ink darkness becomes alpha over the ink colour.
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < bitmap.data.length; i += 3, j += 4) {
    const ink = 255 - Math.min(bitmap.data[i] ?? 255, bitmap.data[i + 1] ?? 255, bitmap.data[i + 2] ?? 255);
    rgba[j] = color[0];
    rgba[j + 1] = color[1];
    rgba[j + 2] = color[2];
    rgba[j + 3] = ink;
  }
  return encodePng(width, height, rgba, 'rgba');
}

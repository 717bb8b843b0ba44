/**
 * Captured signatures as strokes: points `{x, y, pressure, t}` grouped into strokes that split where the
 * pen leaves the surface (the `szimek/signature_pad` `toData()` model, devices.md §5), plus SVG rendering.
 * Coordinates are in whatever space the caller chooses (screen pixels are usual); pressure is 0…1;
 * `t` is milliseconds from the caller's clock (the model never reads a clock).
 */
import { type StuCapability, type StuPenSample, tabletToScreen } from './wacom-stu.ts';

export interface PenPoint {
  x: number;
  y: number;
  /** Normalised pressure 0…1. */
  pressure: number;
  /** Milliseconds, from the caller's clock or the device. */
  t: number;
}

export interface Stroke {
  points: PenPoint[];
}

/**
 * Builds strokes from a stream of samples. A touching sample extends the current stroke (or starts
 * one); a lift ends it. `lift(anchor)` remembers where the pen was when lifted, so the next stroke
 * starts from there (signotec sends the start of each stroke as a point with pressure 0).
 */
export class StrokeRecorder {
  #strokes: Stroke[] = [];
  #current: Stroke | null = null;
  #anchor: PenPoint | null = null;

  /** Add a sample; `touching` false ends the current stroke without adding the point. */
  add(point: PenPoint, touching = true): void {
    if (!touching) {
      this.lift();
      return;
    }
    if (!this.#current) {
      this.#current = { points: this.#anchor ? [this.#anchor] : [] };
      this.#anchor = null;
      this.#strokes.push(this.#current);
    }
    this.#current.points.push({ ...point });
  }

  /** The pen left the surface. */
  lift(anchor?: PenPoint): void {
    this.#current = null;
    this.#anchor = anchor ? { ...anchor } : null;
  }

  /** Forget everything (the patron pressed "retry"). */
  clear(): void {
    this.#strokes = [];
    this.#current = null;
    this.#anchor = null;
  }

  get strokes(): Stroke[] {
    return this.#strokes.map((s) => ({ points: s.points.map((p) => ({ ...p })) }));
  }

  get pointCount(): number {
    return this.#strokes.reduce((n, s) => n + s.points.length, 0);
  }
}

/** Strokes from a list of samples with a touching flag. */
export function strokesFromSamples(samples: Iterable<{ point: PenPoint; touching: boolean }>): Stroke[] {
  const recorder = new StrokeRecorder();
  for (const s of samples) recorder.add(s.point, s.touching);
  return recorder.strokes;
}

/**
 * A Wacom STU sample as a pen point in screen pixels. A stroke continues while `sw` (touching) is set;
 * hover samples (in range, not touching) end it. `t` comes from the caller (the 0x34 time counter
 * wraps and its unit is not documented in the reference).
 */
export function stuSampleToPoint(sample: StuPenSample, cap: StuCapability, t: number): { point: PenPoint; touching: boolean } {
  const { x, y } = tabletToScreen(sample, cap);
  const pressure = cap.tabletMaxPressure > 0 ? Math.min(1, sample.pressure / cap.tabletMaxPressure) : 0;
  return { point: { x, y, pressure, t }, touching: sample.inRange && sample.touching };
}

/**
 * Feed one signotec `TOKEN_CMD_SIGNATURE_POINT` into a recorder. As in signotec's demo pages, a point
 * with pressure 0 starts a new stroke at that position (moveTo); other points continue it (lineTo).
 */
export function addSignotecPoint(
  recorder: StrokeRecorder,
  point: { x: number; y: number; p: number },
  t: number,
  maxPressure = 1024,
): void {
  const pen: PenPoint = { x: point.x, y: point.y, pressure: Math.min(1, Math.max(0, point.p / maxPressure)), t };
  if (point.p <= 0) recorder.lift(pen);
  else recorder.add(pen, true);
}

export interface BoundingBox {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function boundingBox(strokes: readonly Stroke[]): BoundingBox | null {
  let box: BoundingBox | null = null;
  for (const s of strokes) {
    for (const p of s.points) {
      if (!box) box = { minX: p.x, minY: p.y, maxX: p.x, maxY: p.y };
      else {
        box.minX = Math.min(box.minX, p.x);
        box.minY = Math.min(box.minY, p.y);
        box.maxX = Math.max(box.maxX, p.x);
        box.maxY = Math.max(box.maxY, p.y);
      }
    }
  }
  return box;
}

/** Scale and shift all points (e.g. tablet units → pixels, or to a receipt's width). */
export function transformStrokes(strokes: readonly Stroke[], scaleX: number, scaleY = scaleX, dx = 0, dy = 0): Stroke[] {
  return strokes.map((s) => ({ points: s.points.map((p) => ({ ...p, x: p.x * scaleX + dx, y: p.y * scaleY + dy })) }));
}

function fmt(n: number, precision: number): string {
  const f = 10 ** precision;
  return String(Math.round(n * f) / f);
}

/**
 * SVG path data for one stroke: `M x y L x y …`. A single point becomes a zero-length segment, which
 * a round line cap draws as a dot.
 */
export function strokeToPathData(stroke: Stroke, precision = 2): string {
  const [first, ...rest] = stroke.points;
  if (!first) return '';
  const head = `M${fmt(first.x, precision)} ${fmt(first.y, precision)}`;
  if (rest.length === 0) return `${head} l0 0`;
  return `${head} ${rest.map((p) => `L${fmt(p.x, precision)} ${fmt(p.y, precision)}`).join(' ')}`;
}

/** Path data for all strokes in one string (one subpath per stroke). */
export function strokesToPathData(strokes: readonly Stroke[], precision = 2): string {
  return strokes
    .map((s) => strokeToPathData(s, precision))
    .filter((d) => d !== '')
    .join(' ');
}

export interface SignatureSvgOptions {
  /** viewBox size; default: the strokes' bounding box plus the stroke width. */
  width?: number;
  height?: number;
  color?: string;
  /** Constant stroke width. Default 2. */
  strokeWidth?: number;
  /** Vary width with pressure between these widths (segments grouped by rounded width). */
  pressureWidth?: { min: number; max: number };
  /** Fill colour behind the signature; none by default. */
  background?: string;
  precision?: number;
}

/** Render strokes as a standalone SVG document. */
export function renderSignatureSvg(strokes: readonly Stroke[], options: SignatureSvgOptions = {}): string {
  const precision = options.precision ?? 2;
  const color = options.color ?? '#000';
  const base = options.strokeWidth ?? 2;
  const box = boundingBox(strokes);
  const width = options.width ?? Math.ceil((box?.maxX ?? 0) + base);
  const height = options.height ?? Math.ceil((box?.maxY ?? 0) + base);
  const paths: string[] = [];
  const attrs = `fill="none" stroke="${color}" stroke-linecap="round" stroke-linejoin="round"`;
  if (!options.pressureWidth) {
    const d = strokesToPathData(strokes, precision);
    if (d) paths.push(`<path d="${d}" ${attrs} stroke-width="${fmt(base, precision)}"/>`);
  } else {
    const { min, max } = options.pressureWidth;
    for (const stroke of strokes) {
      const pts = stroke.points;
      if (pts.length === 1 && pts[0]) {
        paths.push(`<path d="${strokeToPathData(stroke, precision)}" ${attrs} stroke-width="${fmt(min + (max - min) * pts[0].pressure, 1)}"/>`);
        continue;
      }
      // Consecutive segments of the same rounded width share one path.
      let group: PenPoint[] = [];
      let groupWidth = '';
      const flush = (): void => {
        if (group.length > 1) paths.push(`<path d="${strokeToPathData({ points: group }, precision)}" ${attrs} stroke-width="${groupWidth}"/>`);
      };
      for (let k = 1; k < pts.length; k++) {
        const a = pts[k - 1] as PenPoint;
        const b = pts[k] as PenPoint;
        const w = fmt(min + ((max - min) * (a.pressure + b.pressure)) / 2, 1);
        if (w !== groupWidth) {
          flush();
          group = [a];
          groupWidth = w;
        }
        group.push(b);
      }
      flush();
    }
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    ...(options.background ? [`<rect width="${width}" height="${height}" fill="${options.background}"/>`] : []),
    ...paths,
    '</svg>',
  ].join('\n');
}

/**
 * A plausible handwritten signature for the tablet simulators: a looped capital, a run of cursive
 * loops, an i-dot and an underline flourish, with pressure rising and falling along each stroke and
 * a 200 Hz sample clock (the STU-430 rate in devices.md §5). Deterministic: the same strokes every time.
 */
import type { Stroke } from '../../protocols/signature/index.ts';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const SAMPLE_MS = 5;
const PEN_UP_MS = 180;

type Path = (s: number) => { x: number; y: number };

const PATHS: ReadonlyArray<{ points: number; path: Path }> = [
  // Capital with a loop.
  {
    points: 70,
    path: (s) => ({
      x: 0.06 + 0.16 * s + 0.07 * Math.sin(2 * Math.PI * 1.5 * s),
      y: 0.78 - 0.58 * Math.sin(Math.PI * s) + 0.05 * Math.cos(6 * Math.PI * s),
    }),
  },
  // Cursive loops, growing then shrinking.
  {
    points: 160,
    path: (s) => ({
      x: 0.27 + 0.58 * s + 0.035 * Math.cos(12 * Math.PI * s),
      y: 0.56 + 0.14 * Math.sin(12 * Math.PI * s) * (0.55 + 0.45 * Math.sin(Math.PI * s)) + 0.04 * s,
    }),
  },
  // i-dot.
  { points: 2, path: (s) => ({ x: 0.56 + 0.004 * s, y: 0.24 }) },
  // Underline flourish.
  {
    points: 60,
    path: (s) => ({ x: 0.18 + 0.74 * s, y: 0.88 + 0.045 * Math.sin(2 * Math.PI * s) - 0.03 * s }),
  },
];

/** The sample signature scaled into `box` (default the unit square), times from `startMs`. */
export function sampleSignature(box: Box = { x: 0, y: 0, width: 1, height: 1 }, startMs = 0): Stroke[] {
  let t = startMs;
  return PATHS.map(({ points, path }) => {
    const stroke: Stroke = { points: [] };
    for (let k = 0; k < points; k++) {
      const s = points === 1 ? 0 : k / (points - 1);
      const { x, y } = path(s);
      const pressure = points <= 2 ? 0.6 : 0.3 + 0.55 * Math.pow(Math.sin(Math.PI * Math.min(0.999, Math.max(0.001, s))), 0.6);
      stroke.points.push({ x: box.x + x * box.width, y: box.y + y * box.height, pressure, t });
      t += SAMPLE_MS;
    }
    t += PEN_UP_MS;
    return stroke;
  });
}

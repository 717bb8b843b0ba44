/** Helpers shared by the benchmarks (npm run bench:*): seeded random numbers, latency samples, tables. */

/** A small seeded PRNG (mulberry32): the same seed gives the same run. */
export { mulberry32 } from '../drivers/seeded-random.ts';

/** Latency samples in nanoseconds. */
export class Samples {
  private buf = new Float64Array(1 << 16);
  private sorted: Float64Array | null = null;
  n = 0;
  sum = 0;
  add(ns: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = ns;
    this.sum += ns;
    this.sorted = null;
  }
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    this.sorted ??= this.buf.slice(0, this.n).sort();
    return this.sorted[Math.min(this.n - 1, Math.floor(q * this.n))]!;
  }
  mean(): number {
    return this.n ? this.sum / this.n : NaN;
  }
}

/** Nanoseconds as milliseconds with three decimals. */
export const ms = (ns: number): string => (Number.isFinite(ns) ? `${(ns / 1e6).toFixed(3)} ms` : '—');
/** A rate (or count) rounded, with thousands separators. */
export const rate = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');

/** A plain-text table: first column left-aligned, the others right-aligned, a rule under the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

/**
 * The one source of "now" for the daemon. Nothing in the engine calls Date.now(): it asks a Clock,
 * so demos and acceptance tests can fix the date (`kiosk start --clock ...`) and tests can move it.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock frozen at one instant; tests move it with set/advance. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(start: Date | string) {
    this.ms = new Date(start).getTime();
    if (Number.isNaN(this.ms)) throw new Error(`invalid clock start: ${String(start)}`);
  }
  now(): Date {
    return new Date(this.ms);
  }
  set(at: Date | string): void {
    this.ms = new Date(at).getTime();
  }
  advanceMs(ms: number): void {
    this.ms += ms;
  }
  advanceDays(days: number): void {
    this.ms += days * 86_400_000;
  }
}

/** A clock that runs at normal speed but starts at a chosen instant (for demos). */
export class OffsetClock implements Clock {
  private readonly offsetMs: number;
  constructor(start: Date, private readonly base: Clock = systemClock) {
    this.offsetMs = start.getTime() - base.now().getTime();
  }
  now(): Date {
    return new Date(this.base.now().getTime() + this.offsetMs);
  }
}

/**
 * `--clock` / KIOSK_CLOCK: an ISO instant starts a running clock at that moment;
 * `fixed:` before it freezes the clock there. Returns an error text for a bad spec.
 */
export function clockFromSpec(spec: string | undefined, base: Clock = systemClock): Clock | { error: string } {
  if (!spec) return base;
  const fixed = spec.startsWith('fixed:');
  const iso = fixed ? spec.slice('fixed:'.length) : spec;
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(iso)) {
    return { error: `clock "${spec}" is not an ISO date-time such as 2024-06-01T10:00:00+02:00` };
  }
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return { error: `clock "${spec}" is not a valid date-time` };
  // A day that does not exist (2024-02-30) would roll over into the next month without a word.
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) {
    return { error: `clock "${spec}": ${iso.slice(0, 10)} is not a day of the calendar` };
  }
  // A time without its offset would be read in the process's zone, not the library's: say which.
  if (/[T ]\d{2}:\d{2}/.test(iso) && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) {
    return { error: `clock "${spec}": give the time's offset from UTC, e.g. ${iso}+01:00 or ${iso}Z` };
  }
  return fixed ? new ManualClock(at) : new OffsetClock(at, base);
}

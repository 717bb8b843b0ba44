/**
 * The library's daily reservation expiry (001:L2933-2958; domain.md §6): a reservation whose hold
 * shelf period ran out (Baloži 5 days, the Hungarian library 2 weeks, COBISS `nar.`) is closed,
 * the unclaimed-hold fee charged where the preset has one, and its copy passed to the next reader
 * as O or back to the shelf. Without it a copy waits for a reader who never comes while the next
 * one is refused. It runs at start and then every `intervalS` (the expiry is by date, so a run
 * soon after midnight catches the day's). Our locker banks expire their own places (daemon/lockers).
 */
import type { Logger } from 'pino';
import type { EmbeddedBackend } from './embedded.ts';

export interface HoldExpiryOptions {
  engine: EmbeddedBackend;
  intervalS: number;
  /** Pickup places another job expires (the locker banks we drive). */
  exceptPickupPlaces: readonly string[];
  logger: Logger;
}

export class HoldExpiryJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly o: HoldExpiryOptions) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running ??= this.runOnce()
        .catch((e: unknown) => this.o.logger.error({ err: e }, 'reservation expiry failed'))
        .finally(() => (this.running = null));
    };
    setImmediate(tick);
    this.timer = setInterval(tick, this.o.intervalS * 1000);
    this.timer.unref();
  }

  /** One run; what staff must take off the hold shelf is logged (item and title, never the reader). */
  async runOnce(): Promise<number> {
    const r = await this.o.engine.expireHolds({ channel: 'staff' }, { exceptPickupPlaces: this.o.exceptPickupPlaces });
    if (!r.ok) {
      this.o.logger.warn({ reason: r.reason }, `reservation expiry refused: ${r.screenMessage}`);
      return 0;
    }
    for (const e of r.expired) {
      if (e.item === null) continue; // a queued reservation (R) that lapsed: nothing on the shelf
      const where = e.next ? 'to the next reader in the queue (O: process it for them)' : 'back to the shelf';
      // A W lies on the hold shelf; an O was still being processed for its reader (not on the shelf yet).
      const from = e.status === 'W' ? 'take it off the hold shelf' : 'it was being processed for pickup';
      this.o.logger.info({ holdId: e.holdId, item: e.item, status: e.status }, `reservation expired: ${e.item} “${e.title}”: ${from}; it goes ${where}`);
    }
    if (r.expired.length) this.o.logger.info({ expired: r.expired.length }, 'reservations expired');
    return r.expired.length;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}

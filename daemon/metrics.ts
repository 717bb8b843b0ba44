/**
 * Operational numbers: the Prometheus text exposition at GET /metrics (format 0.0.4:
 * https://prometheus.io/docs/instrumenting/exposition_formats/) and the counts the admin page shows
 * per hour.
 *
 * The engine journals what happened (loans, returns, renewals; the upstream backend journals its own
 * the same way) but not what it refused; so every backend call is counted here, by a decorator
 * around the CirculationBackend that main.ts applies once: operation × outcome × reason. Counters
 * live in memory and start at zero with the process, as Prometheus counters do (a scraper sees the
 * reset and `rate()` copes with it).
 */
import { statSync } from 'node:fs';
import express from 'express';
import type { BackendStatus, CirculationBackend } from './circulation/backend.ts';
import type { Clock } from './clock.ts';
import type { ManagedDeviceStatus } from './devices/manager.ts';

// ------------------------------------------------------------------------------- exposition format

export type Labels = Record<string, string>;

/** Label values escape backslash, double quote and line feed (exposition format, "Text format details"). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Array<{ labels?: Labels; value: number }>;
}

/** Renders families as exposition text: one HELP and one TYPE line per family, then its samples. */
export function renderExposition(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`invalid metric name ${f.name}`);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const entries = Object.entries(s.labels ?? {});
      for (const [k] of entries) if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${k} on ${f.name}`);
      const labels = entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
      out.push(`${f.name}${labels} ${formatValue(s.value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

// ------------------------------------------------------------------------------- circulation counts

/** The backend calls that are counted, by the name used in the `operation` label. */
const COUNTED = {
  checkout: 'checkout',
  checkin: 'checkin',
  renew: 'renew',
  renewAll: 'renew_all',
  placeHold: 'place_hold',
  cancelHold: 'cancel_hold',
  changeHold: 'change_hold',
  feePaid: 'fee_paid',
  verifyPatron: 'verify_patron',
  blockPatron: 'block_patron',
  enablePatron: 'enable_patron',
} as const satisfies Partial<Record<keyof CirculationBackend, string>>;

export type CountedOperation = (typeof COUNTED)[keyof typeof COUNTED];
export type OperationOutcome = 'ok' | 'refused' | 'error';

/** Hourly refusal buckets are kept this long (the admin page shows today). */
const HOURLY_KEEP_MS = 48 * 3_600_000;

export interface MetricsOptions {
  clock: Clock;
  /** The site's time zone: "per hour" is the library's local hour. */
  timezone: string;
}

export class Metrics {
  readonly #clock: Clock;
  readonly #hourFormat: Intl.DateTimeFormat;
  /** "operation\u0000outcome\u0000reason" → count. */
  readonly #ops = new Map<string, number>();
  /** Local hour "YYYY-MM-DDTHH" → reason → refusals (any operation). */
  readonly #refusalsByHour = new Map<string, Map<string, number>>();
  /** Same, first time each hour was seen (for pruning). */
  readonly #hourSeenAt = new Map<string, number>();

  constructor(opts: MetricsOptions) {
    this.#clock = opts.clock;
    this.#hourFormat = new Intl.DateTimeFormat('en-CA', {
      timeZone: opts.timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    });
  }

  /** "YYYY-MM-DDTHH" of an instant in the site's time zone. */
  localHour(at: Date): string {
    const parts = Object.fromEntries(this.#hourFormat.formatToParts(at).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}`;
  }

  /** Counts one backend result. A replayed answer (same idempotency key) is not a new operation. */
  count(operation: CountedOperation, outcome: OperationOutcome, reason: string | null): void {
    const key = `${operation}\u0000${outcome}\u0000${reason ?? 'none'}`;
    this.#ops.set(key, (this.#ops.get(key) ?? 0) + 1);
    if (outcome === 'refused' && reason) {
      const hour = this.localHour(this.#clock.now());
      let bucket = this.#refusalsByHour.get(hour);
      if (!bucket) {
        this.#refusalsByHour.set(hour, (bucket = new Map()));
        this.#hourSeenAt.set(hour, this.#clock.now().getTime());
        this.#prune();
      }
      bucket.set(reason, (bucket.get(reason) ?? 0) + 1);
    }
  }

  /** The counters: one entry per operation, outcome and reason seen. */
  operations(): Array<{ operation: string; outcome: OperationOutcome; reason: string; count: number }> {
    return [...this.#ops].map(([k, count]) => {
      const [operation, outcome, reason] = k.split('\u0000') as [string, OperationOutcome, string];
      return { operation, outcome, reason, count };
    });
  }

  /** Refusals by reason in each local hour of a local date ("YYYY-MM-DD"), counted since start. */
  refusalsByHour(date: string): Map<number, Record<string, number>> {
    const out = new Map<number, Record<string, number>>();
    for (const [hour, reasons] of this.#refusalsByHour) {
      if (!hour.startsWith(`${date}T`)) continue;
      out.set(Number(hour.slice(11, 13)), Object.fromEntries(reasons));
    }
    return out;
  }

  #prune(): void {
    const cut = this.#clock.now().getTime() - HOURLY_KEEP_MS;
    for (const [hour, seen] of this.#hourSeenAt) {
      if (seen < cut) {
        this.#hourSeenAt.delete(hour);
        this.#refusalsByHour.delete(hour);
      }
    }
  }

  /**
   * The backend with every counted call counted; everything else passes through untouched (the same
   * object underneath, so `instanceof` and the engine's own methods still work).
   */
  wrapBackend<B extends CirculationBackend>(backend: B): B {
    const wrapped = new Map<string | symbol, unknown>();
    return new Proxy(backend, {
      get: (target, prop) => {
        // The target as receiver: the engine's getters and #private fields need the real object.
        const value = Reflect.get(target, prop) as unknown;
        if (typeof prop !== 'string' || !(prop in COUNTED) || typeof value !== 'function') {
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
        let fn = wrapped.get(prop);
        if (!fn) {
          const operation = COUNTED[prop as keyof typeof COUNTED];
          const original = value as (...a: unknown[]) => Promise<{ ok: boolean; reason?: string; replayed?: boolean }>;
          fn = async (...args: unknown[]) => {
            let r;
            try {
              r = await original.apply(target, args);
            } catch (e) {
              this.count(operation, 'error', 'exception');
              throw e;
            }
            if (r && !r.replayed) {
              if (r.ok) this.count(operation, 'ok', null);
              else this.count(operation, r.reason === 'internal_error' || r.reason === 'backend_unavailable' ? 'error' : 'refused', r.reason ?? 'unknown');
            }
            return r;
          };
          wrapped.set(prop, fn);
        }
        return fn;
      },
    });
  }
}

// ----------------------------------------------------------------------------------------- /metrics

export interface MetricsSources {
  version: string;
  preset: string;
  /** process.hrtime.bigint() at start. */
  startedAt: bigint;
  backendStatus(): Promise<BackendStatus>;
  devices(): ManagedDeviceStatus[];
  sip2(): { connections: number; messagesByCommand: Record<string, number> } | null;
  loginFailures(): Record<string, number>;
  /** The store's files (database, -wal): their sizes add up to the store size. */
  storeFiles(): string[];
}

const DEVICE_STATES = ['connecting', 'ready', 'degraded', 'offline'] as const;

export async function collectMetrics(metrics: Metrics, s: MetricsSources): Promise<MetricFamily[]> {
  const status = await s.backendStatus().catch(() => null);
  const devices = s.devices();
  const sip2 = s.sip2();
  let storeBytes = 0;
  for (const f of s.storeFiles()) {
    try {
      storeBytes += statSync(f).size;
    } catch {
      /* no -wal file right now */
    }
  }
  const families: MetricFamily[] = [
    { name: 'kiosk_info', help: 'Version and circulation preset of this daemon (always 1).', type: 'gauge', samples: [{ labels: { version: s.version, preset: s.preset }, value: 1 }] },
    {
      name: 'kiosk_process_uptime_seconds',
      help: 'Seconds since the daemon started.',
      type: 'gauge',
      samples: [{ value: Number((process.hrtime.bigint() - s.startedAt) / 1_000_000n) / 1000 }],
    },
    { name: 'kiosk_process_resident_memory_bytes', help: 'Resident set size of the daemon process.', type: 'gauge', samples: [{ value: process.memoryUsage.rss() }] },
    {
      name: 'kiosk_backend_online',
      help: 'Whether the circulation backend answers (1) or not (0).',
      type: 'gauge',
      samples: [{ labels: { kind: status?.kind ?? 'unknown' }, value: status?.online ? 1 : 0 }],
    },
    {
      name: 'kiosk_device_state',
      help: 'Device state: 1 for the state the device is in, 0 for the others.',
      type: 'gauge',
      samples: devices.flatMap((d) => DEVICE_STATES.map((st) => ({ labels: { id: d.id, kind: d.kind, model: d.model, state: st }, value: d.state === st ? 1 : 0 }))),
    },
    {
      name: 'kiosk_sip2_connections',
      help: 'Open SIP2 client connections (0 when the SIP2 bridge is off).',
      type: 'gauge',
      samples: [{ value: sip2?.connections ?? 0 }],
    },
    {
      name: 'kiosk_sip2_messages_total',
      help: 'SIP2 messages received, by command code.',
      type: 'counter',
      samples: Object.entries(sip2?.messagesByCommand ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([command, n]) => ({ labels: { command }, value: n })),
    },
    {
      name: 'kiosk_circulation_operations_total',
      help: 'Circulation backend operations by operation, outcome (ok, refused, error) and refusal reason.',
      type: 'counter',
      samples: metrics
        .operations()
        .sort((a, b) => `${a.operation}${a.outcome}${a.reason}`.localeCompare(`${b.operation}${b.outcome}${b.reason}`))
        .map((o) => ({ labels: { operation: o.operation, outcome: o.outcome, reason: o.reason }, value: o.count })),
    },
    {
      name: 'kiosk_staff_login_failures_total',
      help: 'Refused staff logins by reason (bad_password, unknown_user, disabled, locked).',
      type: 'counter',
      samples: Object.entries(s.loginFailures()).map(([reason, n]) => ({ labels: { reason }, value: n })),
    },
    {
      name: 'kiosk_offline_transactions',
      help: 'Offline transactions of the SIP2 upstream backend: queued (waiting for the upstream) and unresolved (refused or failed replays staff have not dealt with). No samples on the embedded engine.',
      type: 'gauge',
      samples: status?.offline
        ? [
            { labels: { state: 'queued' }, value: status.offline.queued },
            { labels: { state: 'unresolved' }, value: status.offline.unresolved },
          ]
        : [],
    },
    { name: 'kiosk_store_size_bytes', help: 'Size of the SQLite store (database and write-ahead log).', type: 'gauge', samples: [{ value: storeBytes }] },
  ];
  return families;
}

/**
 * GET /metrics (mounted at /metrics). No login: a scraper has none. It carries no patron data, and
 * the daemon is bound to its configured host (127.0.0.1 by default) like everything else.
 */
export function metricsRouter(metrics: Metrics, sources: MetricsSources): express.Router {
  const r = express.Router();
  r.get('/', (_req, res, next) => {
    collectMetrics(metrics, sources)
      .then((families) => {
        res.setHeader('Cache-Control', 'no-store');
        res.type('text/plain; version=0.0.4; charset=utf-8').send(renderExposition(families));
      })
      .catch(next);
  });
  return r;
}

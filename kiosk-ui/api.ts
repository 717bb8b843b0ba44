/**
 * The typed socket.io client for the daemon's `/kiosk` namespace (protocols/kiosk-api/events.ts).
 *
 * Every command that changes something gets an idempotency key when the patron's action creates it
 * (crypto.randomUUID); if the socket drops before the answer comes, the same command with the same
 * key is sent again on reconnect, so the daemon gives back the first outcome instead of lending twice.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  CommandArgs,
  CommandName,
  CommandResults,
  Envelope,
  ServerToClientEvents,
} from '../protocols/kiosk-api/events.ts';

export type KioskSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Commands whose arguments carry an idempotency key. */
type KeyedCommand = { [C in CommandName]: CommandArgs<C> extends { key: string } ? C : never }[CommandName];
/** A command's arguments without the key (the client adds it). */
export type ArgsWithoutKey<C extends CommandName> = C extends KeyedCommand ? Omit<CommandArgs<C>, 'key'> : CommandArgs<C>;

const keyed: ReadonlySet<CommandName> = new Set<CommandName>([
  'session.identify',
  'session.checkout',
  'session.checkin',
  'session.renew',
  'session.receipt',
  'session.end',
  'locker.pickup',
]);

/** A random idempotency key; randomUUID needs a secure context (localhost is one), else fall back. */
export function newKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

interface Pending {
  name: CommandName;
  args: Record<string, unknown>;
  settle: (e: Envelope<unknown>) => void;
  /** Sent on the current connection (a resend waits for the next one). */
  sent: boolean;
  /** Counts transmissions: only the latest one's timeout counts. */
  attempt: number;
}

export interface KioskApiOptions {
  /** Namespace URL; default `/kiosk` on the page's origin. */
  url?: string;
  /** A command not answered within this long on a live connection is reported as failed. */
  commandTimeoutMs?: number;
  socket?: KioskSocket;
}

export class KioskApi {
  readonly socket: KioskSocket;
  private readonly pending = new Set<Pending>();
  private readonly timeoutMs: number;

  constructor(o: KioskApiOptions = {}) {
    this.socket = o.socket ?? (io(o.url ?? '/kiosk', { transports: ['websocket'], reconnectionDelay: 250, reconnectionDelayMax: 2000 }) as KioskSocket);
    this.timeoutMs = o.commandTimeoutMs ?? 30_000;
    this.socket.on('connect', () => {
      for (const p of this.pending) this.transmit(p);
    });
    this.socket.on('disconnect', () => {
      // An answer to what was in flight will not come on the new connection: send it again there.
      for (const p of this.pending) p.sent = false;
    });
  }

  /** Sends a command; keyed commands get a fresh idempotency key that any retry reuses. */
  command<C extends CommandName>(name: C, args: ArgsWithoutKey<C>): Promise<Envelope<CommandResults[C]>> {
    const full: Record<string, unknown> = keyed.has(name) ? { ...args, key: newKey() } : { ...args };
    return new Promise((resolve) => {
      let done = false;
      const p: Pending = {
        name,
        args: full,
        sent: false,
        attempt: 0,
        settle: (e) => {
          if (done) return;
          done = true;
          this.pending.delete(p);
          resolve(e as Envelope<CommandResults[C]>);
        },
      };
      this.pending.add(p);
      if (this.socket.connected) this.transmit(p);
    });
  }

  private transmit(p: Pending): void {
    if (p.sent) return;
    p.sent = true;
    const attempt = ++p.attempt;
    const socket = this.socket;
    const timed = socket.timeout(this.timeoutMs);
    // The typed emit needs the literal command name; the map is uniform, so widen once here.
    const emit = timed.emit.bind(timed) as unknown as (name: string, args: unknown, ack: (err: Error | null, e: Envelope<unknown>) => void) => void;
    emit(p.name, p.args, (err, e) => {
      // A late answer to an earlier attempt is as good as any: the key makes them the same.
      if (!err) return p.settle(e);
      // No answer: if the connection dropped meanwhile, the reconnect resends with the same key.
      if (attempt === p.attempt && socket.connected && p.sent) p.settle({ ok: false, error: { code: 'timeout', messageKey: 'error.timeout' } });
    });
  }

  close(): void {
    this.socket.close();
  }
}

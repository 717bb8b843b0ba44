/**
 * The kiosk's socket.io namespace (/kiosk): replays the whole state on connect (a reloaded page is
 * consistent), broadcasts facts, and runs commands validated against the kiosk-api zod schemas,
 * answering through the acknowledgement with an envelope.
 */
import type { Logger } from 'pino';
import type { Namespace, Server } from 'socket.io';
import {
  commandSchemas,
  type BackendView,
  type ClientToServerEvents,
  type CommandName,
  type DeviceView,
  type Envelope,
  type KioskState,
  type ServerToClientEvents,
  type UiConfig,
} from '../../protocols/kiosk-api/events.ts';
import type { PadModel } from './pad.ts';
import type { LockerPickupPort, Station } from './station.ts';

export interface KioskSocketOptions {
  io: Server;
  station: Station;
  pad: PadModel;
  devices: () => DeviceView[];
  backend: () => Promise<BackendView>;
  config: UiConfig;
  logger: Logger;
  /**
   * The locker service (daemon/lockers), when a locker bank is configured: the kiosk then offers the
   * locker pickup (UiConfig.locker) and `locker.pickup` / `locker.waiting` reach it.
   */
  lockers?: LockerPickupPort | null;
}

export function attachKioskSocket(o: KioskSocketOptions): Namespace<ClientToServerEvents, ServerToClientEvents> {
  const ns = o.io.of('/kiosk') as Namespace<ClientToServerEvents, ServerToClientEvents>;
  const log = o.logger.child({ component: 'kiosk-socket' });
  const state = async (): Promise<KioskState> => ({
    session: o.station.view(),
    pad: o.pad.state(),
    devices: o.devices(),
    backend: await o.backend(),
    config: { ...o.config, locker: !!o.lockers },
  });
  o.pad.on('changed', (p) => ns.emit('pad.changed', p));
  o.station.on('session.changed', (s) => ns.emit('session.changed', s));

  const handlers: { [C in CommandName]: (args: never) => Promise<Envelope<unknown>> | Envelope<unknown> } = {
    'session.identify': (a: { key: string; identifier?: string; pin?: string }) => o.station.identify(a),
    'session.checkout': (a: { key: string; barcode: string }) => o.station.checkout(a),
    'session.checkin': (a: { key: string; barcode: string }) => o.station.checkin(a),
    'session.renew': (a: { key: string; barcodes: string[] | 'all' }) => o.station.renew(a),
    'session.account': () => o.station.account(),
    'session.receipt': (a: { key: string; kind: 'print' | 'email' | 'none' }) => o.station.receipt(a),
    'session.language': (a: { language: 'en' | 'sl' | 'lv' | 'hu' }) => o.station.setLanguage(a.language),
    'session.end': (a: { key: string }) => o.station.end(a),
    'locker.pickup': (a: { key: string; code?: string; language?: 'en' | 'sl' | 'lv' | 'hu' }) => o.station.lockerPickup(o.lockers ?? null, a),
    'locker.waiting': () => o.station.lockerWaiting(o.lockers ?? null),
  };

  // A reloaded page reconnects at once and resumes its session (state is replayed above). A page
  // that closed or crashed and stays away leaves its patron's session open on the daemon, and the
  // next page to open, however much later, would show that patron's menu. So once no kiosk page
  // is connected, the session ends after the time the page itself would have ended it (idle, then
  // the warning countdown), unless a page comes back first.
  let unattended: NodeJS.Timeout | null = null;
  const graceMs = (o.config.idleTimeoutS + o.config.warningS) * 1000;
  const attended = () => {
    if (unattended) clearTimeout(unattended);
    unattended = null;
  };
  ns.on('connection', (socket) => {
    attended();
    socket.on('disconnect', () => {
      if (ns.sockets.size > 0 || !o.station.view()) return;
      attended();
      unattended = setTimeout(() => {
        unattended = null;
        if (ns.sockets.size > 0 || !o.station.view()) return;
        log.info('no kiosk page connected: the unattended patron session ended');
        void o.station.end({ key: `unattended:${Date.now()}` }).catch((e: unknown) => log.error({ err: e }, 'ending the unattended session failed'));
      }, graceMs);
      unattended.unref();
    });
    void state().then((s) => socket.emit('state', s));
    for (const name of Object.keys(commandSchemas) as CommandName[]) {
      socket.on(name, (async (args: unknown, ack: unknown) => {
        const reply = typeof ack === 'function' ? (ack as (e: Envelope<unknown>) => void) : () => undefined;
        const parsed = commandSchemas[name].safeParse(args ?? {});
        if (!parsed.success) {
          reply({ ok: false, error: { code: 'invalid_request', messageKey: 'reason.invalid_request', details: { issues: parsed.error.issues.map((i) => i.message) } } });
          return;
        }
        try {
          reply(await handlers[name](parsed.data as never));
        } catch (e) {
          log.error({ err: e, command: name }, 'kiosk command failed');
          reply({ ok: false, error: { code: 'internal_error', messageKey: 'reason.internal_error' } });
        }
      }) as never);
    }
  });
  return ns;
}

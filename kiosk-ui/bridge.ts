/**
 * The machine's `daemon` actor in the browser: socket facts become machine events, machine
 * commands become kiosk-api commands (each with its own idempotency key, resent on reconnect with
 * the same key by the api), and their envelopes come back stamped with the session's seq.
 */
import { fromCallback } from 'xstate';
import type { BackendView, DeviceView, KioskState, PadState, SessionView } from '../protocols/kiosk-api/events.ts';
import type { KioskApi } from './api.ts';
import type { DaemonCommand, KioskEvent } from './machines/kiosk.machine.ts';

export interface DaemonLinkOptions {
  /** A dropped connection becomes "out of order" only after this long (a blip is not an outage). */
  lostAfterMs?: number;
}

export function daemonLink(api: KioskApi, o: DaemonLinkOptions = {}) {
  const lostAfterMs = o.lostAfterMs ?? 5000;
  return fromCallback<DaemonCommand>(({ sendBack, receive }) => {
    const send = (e: KioskEvent) => sendBack(e);
    const s = api.socket;
    let lost: ReturnType<typeof setTimeout> | undefined;
    const armLost = () => {
      clearTimeout(lost);
      lost = setTimeout(() => send({ type: 'daemon.connection', connected: false }), lostAfterMs);
    };
    const onConnect = () => {
      clearTimeout(lost);
      send({ type: 'daemon.connection', connected: true });
    };
    const handlers = {
      state: (state: KioskState) => send({ type: 'daemon.state', state }),
      'pad.changed': (pad: PadState) => send({ type: 'pad.changed', pad }),
      'device.state': (device: DeviceView) => send({ type: 'device.state', device }),
      'session.changed': (session: SessionView | null) => send({ type: 'session.changed', session }),
      'backend.changed': (backend: BackendView) => send({ type: 'backend.changed', backend }),
      'scan.read': (r: { data: string; symbology: string | null }) => send({ type: 'scan.read', data: r.data, symbology: r.symbology }),
    };
    s.on('connect', onConnect);
    s.on('disconnect', armLost);
    s.on('state', handlers.state);
    s.on('pad.changed', handlers['pad.changed']);
    s.on('device.state', handlers['device.state']);
    s.on('session.changed', handlers['session.changed']);
    s.on('backend.changed', handlers['backend.changed']);
    s.on('scan.read', handlers['scan.read']);
    if (!s.connected) armLost();

    receive((c) => {
      void run(c);
    });

    async function run(c: DaemonCommand): Promise<void> {
      switch (c.type) {
        case 'identify': {
          const result = await api.command('session.identify', {
            ...(c.identifier ? { identifier: c.identifier } : {}),
            ...(c.pin !== null ? { pin: c.pin } : {}),
          });
          return send({ type: 'identify.result', seq: c.seq, result });
        }
        case 'checkout':
          return send({ type: 'checkout.result', seq: c.seq, ref: c.ref, result: await api.command('session.checkout', { barcode: c.barcode }) });
        case 'checkin':
          return send({ type: 'checkin.result', seq: c.seq, ref: c.ref, result: await api.command('session.checkin', { barcode: c.barcode }) });
        case 'renew':
          return send({ type: 'renew.result', seq: c.seq, result: await api.command('session.renew', { barcodes: c.barcodes }) });
        case 'account':
          return send({ type: 'account.result', seq: c.seq, result: await api.command('session.account', {}) });
        case 'receipt':
          return send({ type: 'receipt.result', seq: c.seq, result: await api.command('session.receipt', { kind: c.kind }) });
        case 'lockerPickup':
          return send({ type: 'lockerPickup.result', seq: c.seq, result: await api.command('locker.pickup', { ...(c.code === null ? {} : { code: c.code }), language: c.language }) });
        case 'lockerWaiting':
          return send({ type: 'lockerWaiting.result', seq: c.seq, result: await api.command('locker.waiting', {}) });
        case 'language':
          await api.command('session.language', { language: c.language });
          return;
        case 'end':
          await api.command('session.end', {});
          return;
      }
    }

    return () => {
      clearTimeout(lost);
      s.off('connect', onConnect);
      s.off('disconnect', armLost);
      s.off('state', handlers.state);
      s.off('pad.changed', handlers['pad.changed']);
      s.off('device.state', handlers['device.state']);
      s.off('session.changed', handlers['session.changed']);
      s.off('backend.changed', handlers['backend.changed']);
      s.off('scan.read', handlers['scan.read']);
    };
  });
}

/**
 * Test fixtures for the kiosk machine: daemon state, pad entries, outcomes, and an actor wired to a
 * recording daemon link and XState's SimulatedClock (no real timers, no sockets).
 */
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import type { ItemOutcome, KioskState, PadEntry, PadState, PatronView, UiConfig } from '../../../protocols/kiosk-api/events.ts';
import { kioskMachine, type DaemonCommand, type KioskEvent } from '../../../kiosk-ui/machines/kiosk.machine.ts';

export const uiConfig: UiConfig = {
  languages: ['en', 'sl', 'lv', 'hu'],
  defaultLanguage: 'en',
  idleTimeoutS: 60,
  warningS: 15,
  pinRequired: true,
  libraryName: 'Test Library',
  currency: 'EUR',
  locale: { en: 'en-GB', sl: 'sl-SI', lv: 'lv-LV', hu: 'hu-HU' },
};

export function kioskState(over: Partial<KioskState> = {}): KioskState {
  return {
    session: null,
    pad: { entries: [], reader: 'ready' },
    devices: [
      { id: 'pad', kind: 'rfid', model: '3m810', state: 'ready', reason: null },
      { id: 'printer', kind: 'printer', model: 'escpos', state: 'ready', reason: null },
    ],
    backend: { online: true, offline: false, detail: 'embedded' },
    config: uiConfig,
    ...over,
  };
}

export function item(barcode: string, title = `Title ${barcode}`): PadEntry {
  return { key: barcode, kind: 'item', barcode, title, kit: null, uids: [`uid-${barcode}`], problem: null };
}

export function card(barcode: string): PadEntry {
  return { key: `card:${barcode}`, kind: 'card', barcode, title: null, kit: null, uids: [`uid-${barcode}`], problem: null };
}

const farmParts = [
  { partNumber: 1, barcode: 'K1', title: 'Wooden farm — box' },
  { partNumber: 2, barcode: 'K2', title: 'Wooden farm — animals' },
  { partNumber: 3, barcode: 'K3', title: 'Wooden farm — fences' },
];

/** The 3-part FARM kit with the given part numbers on the pad. */
export function kit(partsPresent: number[]): PadEntry {
  const present = farmParts.filter((p) => partsPresent.includes(p.partNumber)).map((p) => ({ partNumber: p.partNumber, barcode: p.barcode }));
  const missing = farmParts.filter((p) => !partsPresent.includes(p.partNumber));
  return {
    key: 'kit:FARM',
    kind: 'kit',
    barcode: 'K1',
    title: 'Wooden farm',
    kit: { code: 'FARM', title: 'Wooden farm', partsTotal: 3, present, missing, complete: missing.length === 0 },
    uids: present.map((p) => `uid-${p.barcode}`),
    problem: null,
  };
}

export function pad(...entries: PadEntry[]): PadState {
  return { entries, reader: 'ready' };
}

export function patron(over: Partial<PatronView> = {}): PatronView {
  return { displayName: 'Ana', language: 'sl', hasEmail: true, blocks: [], ...over };
}

export function outcome(barcode: string, over: Partial<ItemOutcome> = {}): ItemOutcome {
  return {
    barcode,
    title: `Title ${barcode}`,
    status: 'done',
    reason: null,
    messageKey: null,
    details: {},
    dueDate: '2026-03-23',
    routing: null,
    units: [],
    fine: null,
    ...over,
  };
}

/** A running kiosk machine on a simulated clock, its commands to the daemon recorded. */
export function startKiosk(opts: { state?: KioskState | null; config?: Partial<UiConfig> } = {}) {
  const clock = new SimulatedClock();
  const sent: DaemonCommand[] = [];
  const cues: string[] = [];
  const machine = kioskMachine.provide({
    actors: {
      daemon: fromCallback<DaemonCommand>(({ receive }) => {
        receive((c) => sent.push(c));
      }),
    },
    actions: {
      cueSuccess: () => void cues.push('success'),
      cueFailure: () => void cues.push('failure'),
      cueWarning: () => void cues.push('warning'),
    },
  });
  const actor = createActor(machine, { input: { config: opts.config ?? uiConfig }, clock });
  actor.start();
  if (opts.state !== null) actor.send({ type: 'daemon.state', state: opts.state ?? kioskState() });
  const send = (e: KioskEvent) => actor.send(e);
  const snap = () => actor.getSnapshot();
  const ctx = () => actor.getSnapshot().context;
  const last = <T extends DaemonCommand['type']>(type: T) => sent.filter((c): c is Extract<DaemonCommand, { type: T }> => c.type === type).at(-1);
  const all = <T extends DaemonCommand['type']>(type: T) => sent.filter((c): c is Extract<DaemonCommand, { type: T }> => c.type === type);
  /** Advance the simulated clock in whole seconds, one second at a time (as a countdown runs). */
  const advanceS = (s: number) => {
    for (let i = 0; i < s; i++) clock.increment(1000);
  };
  return { actor, clock, sent, cues, send, snap, ctx, last, all, advanceS };
}

export type Kiosk = ReturnType<typeof startKiosk>;

/** Identify with a card on the pad and a PIN: ends on the menu. */
export function login(k: Kiosk, over: Partial<PatronView> = {}): void {
  k.send({ type: 'pad.changed', pad: pad(card('0100001')) });
  const first = k.last('identify')!;
  k.send({ type: 'identify.result', seq: first.seq, result: { ok: true, data: { patron: null, needsPin: true } } });
  k.send({ type: 'pin.submit', pin: '1234' });
  const second = k.last('identify')!;
  k.send({ type: 'identify.result', seq: second.seq, result: { ok: true, data: { patron: patron(over), needsPin: false } } });
}

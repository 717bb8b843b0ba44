/**
 * The kiosk's screen flow (DESIGN.md "Where the flows run"): which screen is shown, what the patron
 * may press, the idle timer. Pure XState v5: everything that touches the world goes through the
 * `daemon` actor (commands out, facts and results in) and the named cue actions, so tests
 * `provide()` their own and drive the machine with a simulated clock.
 *
 * What is atomic lives in the daemon: a checkout or return is one daemon command per item; this
 * machine only decides when to send it (once per pad entry per session; a kit only when complete)
 * and shows the outcome.
 *
 * The session is one state (`session`, parallel: the screen flow and the idle timer). Leaving it —
 * goodbye, timeout, walking away, out of order — runs one exit action that ends the daemon's
 * session and forgets the patron, the outcomes and the timer, so the next patron starts clean.
 * Results are stamped with the session's sequence number; a late reply of an ended session is
 * dropped.
 */
import { assign, enqueueActions, fromCallback, raise, sendTo, setup } from 'xstate';
import type {
  AccountView,
  BackendView,
  CommandResults,
  DeviceView,
  Envelope,
  ItemOutcome,
  KioskState,
  LockerPickupResult,
  LockerWaitingView,
  PadEntry,
  PadState,
  PatronView,
  SessionView,
  UiConfig,
  UiLanguage,
} from '../../protocols/kiosk-api/events.ts';

// ------------------------------------------------------------------------------------------ types

export type ErrorInfo = { code: string; messageKey: string; details?: Record<string, unknown> };
export type ItemMode = 'checkout' | 'checkin';
export type ReceiptKind = 'print' | 'email' | 'none';
export type Pref = 'highContrast' | 'largeText' | 'muted';

/** One item the patron handed in this session, on the borrow or the return screen. */
export interface ItemRow {
  /** The pad entry key (barcode, `kit:CODE`) or the typed/scanned barcode. */
  ref: string;
  mode: ItemMode;
  barcode: string;
  title: string | null;
  /** pending: sent to the daemon, no answer yet; error: the command itself failed. */
  status: 'pending' | ItemOutcome['status'] | 'error';
  outcome: ItemOutcome | null;
  error: ErrorInfo | null;
}

/** What the machine asks of the daemon; `seq` comes back with the result. */
export type DaemonCommand =
  | { type: 'identify'; seq: number; identifier: string | null; pin: string | null }
  | { type: 'checkout'; seq: number; ref: string; barcode: string }
  | { type: 'checkin'; seq: number; ref: string; barcode: string }
  | { type: 'renew'; seq: number; barcodes: string[] | 'all' }
  | { type: 'account'; seq: number }
  | { type: 'receipt'; seq: number; kind: ReceiptKind }
  | { type: 'language'; language: UiLanguage }
  | { type: 'end'; seq: number }
  /** code null: the identified patron's holds (card + PIN); else the one-time pickup code. */
  | { type: 'lockerPickup'; seq: number; code: string | null; language: UiLanguage }
  | { type: 'lockerWaiting'; seq: number };

/** Facts the daemon reports (socket events), and the connection itself. */
export type DaemonFact =
  | { type: 'daemon.state'; state: KioskState }
  | { type: 'daemon.connection'; connected: boolean }
  | { type: 'pad.changed'; pad: PadState }
  | { type: 'device.state'; device: DeviceView }
  | { type: 'session.changed'; session: SessionView | null }
  | { type: 'backend.changed'; backend: BackendView }
  | { type: 'scan.read'; data: string; symbology: string | null };

export type DaemonResult =
  | { type: 'identify.result'; seq: number; result: Envelope<CommandResults['session.identify']> }
  | { type: 'checkout.result'; seq: number; ref: string; result: Envelope<ItemOutcome> }
  | { type: 'checkin.result'; seq: number; ref: string; result: Envelope<ItemOutcome> }
  | { type: 'renew.result'; seq: number; result: Envelope<ItemOutcome[]> }
  | { type: 'account.result'; seq: number; result: Envelope<AccountView> }
  | { type: 'receipt.result'; seq: number; result: Envelope<CommandResults['session.receipt']> }
  | { type: 'lockerPickup.result'; seq: number; result: Envelope<LockerPickupResult> }
  | { type: 'lockerWaiting.result'; seq: number; result: Envelope<LockerWaitingView> };

/** What the patron does on screen. */
export type PatronEvent =
  | { type: 'start.identify' }
  | { type: 'start.return' }
  | { type: 'start.pickup' }
  | { type: 'identify.submit'; identifier: string }
  | { type: 'pin.submit'; pin: string }
  | { type: 'cancel' }
  | { type: 'menu.borrow' }
  | { type: 'menu.return' }
  | { type: 'menu.renew' }
  | { type: 'menu.account' }
  | { type: 'menu.pickup' }
  | { type: 'pickup.submit'; code: string }
  | { type: 'pickup.retry' }
  | { type: 'back' }
  | { type: 'finish' }
  | { type: 'barcode.submit'; barcode: string }
  | { type: 'renew.toggle'; barcode: string }
  | { type: 'renew.selected' }
  | { type: 'renew.all' }
  | { type: 'account.retry' }
  | { type: 'receipt.choose'; kind: ReceiptKind }
  | { type: 'goodbye.done' }
  | { type: 'language.set'; language: UiLanguage }
  | { type: 'prefs.toggle'; pref: Pref }
  | { type: 'activity' }
  | { type: 'idle.continue' };

export type KioskEvent = DaemonFact | DaemonResult | PatronEvent;

export interface Prefs {
  highContrast: boolean;
  largeText: boolean;
  muted: boolean;
}

export interface KioskContext {
  config: UiConfig;
  /** The daemon has sent its state at least once. */
  hasState: boolean;
  connected: boolean;
  backend: BackendView;
  devices: DeviceView[];
  pad: PadState;
  daemonSession: SessionView | null;
  language: UiLanguage;
  /** The patron picked the language on screen (it then wins over the patron's own). */
  languageChosen: boolean;
  prefs: Prefs;
  /** Sequence number of the current session; results of older ones are dropped. */
  seq: number;
  patron: PatronView | null;
  identifier: string | null;
  identifyError: ErrorInfo | null;
  rows: ItemRow[];
  /** `${mode}:${ref}` of every pad entry or barcode already sent in this session. */
  handled: string[];
  /** The ref of the row that got its outcome last (for the live region). */
  lastRef: string | null;
  /** Something lay on the pad in this session since the patron last touched the screen. */
  padHadItems: boolean;
  loans: AccountView['loans'] | null;
  renewSelection: string[];
  renewResults: ItemOutcome[];
  account: AccountView | null;
  accountError: ErrorInfo | null;
  receiptError: ErrorInfo | null;
  receiptDone: { kind: ReceiptKind; printed: boolean; emailed: boolean } | null;
  /** Seconds left on the idle warning, or null when no warning is shown. */
  warningRemainingS: number | null;
  /** What waits in a locker for the identified patron (null: not asked, or no locker). */
  lockerWaiting: LockerWaitingView['compartments'] | null;
  /** The compartments opened in this session (the pickup code itself is never kept). */
  pickup: LockerPickupResult | null;
  pickupError: ErrorInfo | null;
}

export interface KioskInput {
  config?: Partial<UiConfig>;
}

export const GOODBYE_MS = 6000;

export const defaultUiConfig: UiConfig = {
  languages: ['en', 'sl', 'lv', 'hu'],
  defaultLanguage: 'en',
  idleTimeoutS: 60,
  warningS: 15,
  pinRequired: true,
  libraryName: '',
  currency: 'EUR',
  locale: { en: 'en-GB', sl: 'sl-SI', lv: 'lv-LV', hu: 'hu-HU' },
  locker: false,
  emailReceipts: false,
};

const defaultPrefs: Prefs = { highContrast: false, largeText: false, muted: false };

// ------------------------------------------------------------------------------ pure selectors

/** The daemon is unreachable, or the library system is and offline mode is off. */
export function backendDown(c: Pick<KioskContext, 'connected' | 'hasState' | 'backend'>): boolean {
  return !c.connected || (c.hasState && !c.backend.online && !c.backend.offline);
}

export function deviceOf(c: Pick<KioskContext, 'devices'>, kind: DeviceView['kind']): DeviceView | undefined {
  return c.devices.find((d) => d.kind === kind);
}

/** The RFID reader cannot see tags: offer barcode entry. */
export function readerOffline(c: Pick<KioskContext, 'devices' | 'pad'>): boolean {
  const d = deviceOf(c, 'rfid');
  return c.pad.reader === 'offline' || (d !== undefined && d.state === 'offline');
}

export function printerAvailable(c: Pick<KioskContext, 'devices'>): boolean {
  const d = deviceOf(c, 'printer');
  return d !== undefined && (d.state === 'ready' || d.state === 'degraded');
}

/** A receipt can be e-mailed: the station has SMTP and the patron (or, for a pickup by code, the holds' owner) an address. */
export function emailAvailable(c: Pick<KioskContext, 'config' | 'patron' | 'pickup'>): boolean {
  return c.config.emailReceipts === true && (!!c.patron?.hasEmail || !!c.pickup?.patron?.hasEmail);
}

export function rowsFor(c: Pick<KioskContext, 'rows'>, mode: ItemMode): ItemRow[] {
  return c.rows.filter((r) => r.mode === mode);
}

/** Kits on the pad that are not complete and were not processed: they wait for their parts. */
export function waitingKits(c: Pick<KioskContext, 'pad' | 'handled'>, mode: ItemMode): PadEntry[] {
  return c.pad.entries.filter((e) => e.kind === 'kit' && e.kit && !e.kit.complete && !c.handled.includes(`${mode}:${e.key}`));
}

/** Tags on the pad that are not an item, a kit or a card (and are not still being read). */
export function unusableEntries(c: Pick<KioskContext, 'pad'>): PadEntry[] {
  return c.pad.entries.filter((e) => e.kind === 'unreadable' && e.problem !== 'reading');
}

/** Anything that belongs on a receipt: a loan, return or renewal that happened. */
export function hasReceiptContent(c: Pick<KioskContext, 'rows' | 'renewResults'>): boolean {
  // Locker pickups are among the rows (mode checkout), so they count here too.
  return c.rows.some((r) => r.status === 'done' || r.status === 'security_failed') || c.renewResults.some((r) => r.status === 'done');
}

/**
 * Which pad entries to send now: items, and kits once complete, that this session has not sent
 * yet. Returns the new rows and the commands (pure: used by the machine and its tests).
 */
export function planPad(c: Pick<KioskContext, 'pad' | 'handled'>, mode: ItemMode): Array<{ ref: string; barcode: string; title: string | null }> {
  const out: Array<{ ref: string; barcode: string; title: string | null }> = [];
  for (const e of c.pad.entries) {
    if (!e.barcode) continue;
    const ready = e.kind === 'item' || (e.kind === 'kit' && e.kit?.complete === true);
    if (!ready || c.handled.includes(`${mode}:${e.key}`)) continue;
    out.push({ ref: e.key, barcode: e.barcode, title: e.title });
  }
  return out;
}

/** Items waiting in a locker for the identified patron. */
export function lockerItemsWaiting(c: Pick<KioskContext, 'lockerWaiting'>): number {
  return (c.lockerWaiting ?? []).reduce((n, w) => n + w.items, 0);
}

/**
 * The pickup code in what the patron typed or scanned. The QR in the notification may carry the
 * bare code or a link with it (`…?code=12345678`, or a `pickup`/`locker` parameter), or a
 * `PICKUP:`/`LOCKER:` prefix; spaces and dashes people type between groups of digits are dropped.
 * Returns null when there is no code in it.
 */
export function pickupCodeFrom(raw: string): string | null {
  let v = raw.trim();
  if (!v) return null;
  const link = /[?&#](?:code|pickup|locker)=([^&#\s]+)/i.exec(v);
  if (link) v = decodeURIComponent(link[1]!);
  else {
    const prefixed = /^(?:pickup|locker)[:/]+(.+)$/i.exec(v);
    if (prefixed) v = prefixed[1]!;
  }
  v = v.replace(/[\s-]+/g, '');
  return /^[A-Za-z0-9]{1,64}$/.test(v) ? v : null;
}

/**
 * A scan on the attract screen that is a locker pickup QR rather than a library card: the notice's
 * QR holds the bare 8-digit code (daemon/lockers/codes.ts; cards are barcodes of another length), or
 * a link or prefix that names the code.
 */
export function isPickupQr(raw: string, symbology: string | null = null): boolean {
  const v = raw.trim();
  if (/[?&#](?:code|pickup|locker)=|^(?:pickup|locker):/i.test(v)) return pickupCodeFrom(v) !== null;
  return symbology === 'qr' && /^\d{8}$/.test(v);
}

/** A failed pickup the patron can fix by entering the code again (a typo, a code of another day). */
export function pickupRetryable(e: ErrorInfo | null): boolean {
  return !!e && ['code_unknown', 'code_used', 'invalid_request', 'timeout'].includes(e.code);
}

function isOk<T>(e: Envelope<T>): e is { ok: true; data: T } {
  return e.ok;
}

// ---------------------------------------------------------------------------------------- events

/** Every patron action (and a change on the pad) counts as activity and restarts the idle timer. */
const activityEvents = [
  'activity',
  'idle.continue',
  'start.identify',
  'start.return',
  'start.pickup',
  'identify.submit',
  'pin.submit',
  'menu.borrow',
  'menu.return',
  'menu.renew',
  'menu.account',
  'menu.pickup',
  'pickup.submit',
  'pickup.retry',
  'back',
  'finish',
  'barcode.submit',
  'renew.toggle',
  'renew.selected',
  'renew.all',
  'account.retry',
  'receipt.choose',
  'language.set',
  'prefs.toggle',
  'scan.read',
] as const satisfies ReadonlyArray<KioskEvent['type']>;

const touchActivity = Object.fromEntries(activityEvents.map((t) => [t, { target: '.active', actions: 'patronPresent' as const }])) as Record<
  (typeof activityEvents)[number],
  { target: '.active'; actions: 'patronPresent' }
>;

// --------------------------------------------------------------------------------------- machine

const blank = {
  patron: null,
  identifier: null,
  identifyError: null,
  rows: [],
  handled: [],
  lastRef: null,
  padHadItems: false,
  loans: null,
  renewSelection: [],
  renewResults: [],
  account: null,
  accountError: null,
  receiptError: null,
  receiptDone: null,
  warningRemainingS: null,
  lockerWaiting: null,
  pickup: null,
  pickupError: null,
} satisfies Partial<KioskContext>;

export const kioskMachine = setup({
  types: {
    context: {} as KioskContext,
    events: {} as KioskEvent,
    input: {} as KioskInput,
  },
  actors: {
    /** The link to the daemon: receives DaemonCommand, sends back DaemonFact and DaemonResult. */
    daemon: fromCallback<DaemonCommand>(() => undefined),
  },
  delays: {
    idle: ({ context }) => 1000 * (context.padHadItems && context.pad.entries.length === 0 ? Math.min(context.config.warningS, context.config.idleTimeoutS) : context.config.idleTimeoutS),
    goodbye: GOODBYE_MS,
  },
  guards: {
    backendDown: ({ context }) => backendDown(context),
    backendUp: ({ context }) => context.hasState && !backendDown(context),
    hasState: ({ context }) => context.hasState,
    daemonHasPatron: ({ context }) => !!context.daemonSession?.patron,
    hasIdentifier: ({ context }) => !!context.identifier,
    hasPatron: ({ context }) => !!context.patron,
    /** A card was put on the pad (one left lying there after a session does not start another). */
    cardArrived: ({ context, event }) =>
      event.type === 'pad.changed' && event.pad.entries.some((e) => e.kind === 'card' && !!e.barcode && !context.pad.entries.some((p) => p.key === e.key)),
    isCurrent: ({ context, event }) => 'seq' in event && event.seq === context.seq,
    identifyNeedsPin: ({ context, event }) => event.type === 'identify.result' && event.seq === context.seq && isOk(event.result) && event.result.data.needsPin,
    identifyOk: ({ context, event }) => event.type === 'identify.result' && event.seq === context.seq && isOk(event.result) && !!event.result.data.patron,
    identifyPinProblem: ({ context, event }) =>
      event.type === 'identify.result' && event.seq === context.seq && !event.result.ok && ['wrong_pin', 'pin_required'].includes(event.result.error.code),
    resultDone: ({ context, event }) =>
      (event.type === 'checkout.result' || event.type === 'checkin.result') && event.seq === context.seq && isOk(event.result) && event.result.data.status === 'done',
    resultOk: ({ context, event }) => 'result' in event && 'seq' in event && event.seq === context.seq && event.result.ok,
    hasSelection: ({ context }) => context.renewSelection.length > 0,
    lockerConfigured: ({ context }) => context.config.locker === true,
    lockerItemsWaiting: ({ context }) => lockerItemsWaiting(context) > 0,
    pickupCodeGiven: ({ event }) =>
      (event.type === 'pickup.submit' && pickupCodeFrom(event.code) !== null) || (event.type === 'scan.read' && pickupCodeFrom(event.data) !== null),
    pickupQrScanned: ({ context, event }) => context.config.locker === true && event.type === 'scan.read' && isPickupQr(event.data, event.symbology),
    pickupRetryable: ({ context }) => pickupRetryable(context.pickupError),
    hasReceiptContent: ({ context }) => hasReceiptContent(context),
    chooseNone: ({ event }) => event.type === 'receipt.choose' && event.kind === 'none',
    countdownOver: ({ context }) => (context.warningRemainingS ?? 0) <= 1,
    prefsChanged: ({ context }) =>
      context.languageChosen || context.prefs.highContrast !== defaultPrefs.highContrast || context.prefs.largeText !== defaultPrefs.largeText || context.prefs.muted !== defaultPrefs.muted,
  },
  actions: {
    // Side effects the app provides (audio); no-ops here so the machine stays pure.
    cueSuccess: () => undefined,
    cueFailure: () => undefined,
    cueWarning: () => undefined,

    assignState: assign(({ event }) => {
      if (event.type !== 'daemon.state') return {};
      const s = event.state;
      return { hasState: true, connected: true, config: s.config, pad: s.pad, devices: s.devices, backend: s.backend, daemonSession: s.session };
    }),
    assignConnection: assign(({ event }) => (event.type === 'daemon.connection' ? { connected: event.connected } : {})),
    assignPad: assign(({ event }) => (event.type === 'pad.changed' ? { pad: event.pad } : {})),
    notePad: assign(({ context, event }) => (event.type === 'pad.changed' && event.pad.entries.length > 0 ? { padHadItems: true } : { padHadItems: context.padHadItems })),
    assignDevice: assign(({ context, event }) => {
      if (event.type !== 'device.state') return {};
      const d = event.device;
      return { devices: context.devices.some((x) => x.id === d.id) ? context.devices.map((x) => (x.id === d.id ? d : x)) : [...context.devices, d] };
    }),
    assignBackend: assign(({ event }) => (event.type === 'backend.changed' ? { backend: event.backend } : {})),
    assignDaemonSession: assign(({ event }) => (event.type === 'session.changed' ? { daemonSession: event.session } : {})),
    patronPresent: assign({ padHadItems: false }),

    setLanguage: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'language.set') return;
      enqueue.assign({ language: event.language, languageChosen: true });
      enqueue.sendTo('daemon', { type: 'language', language: event.language } satisfies DaemonCommand);
    }),
    togglePref: assign(({ context, event }) => (event.type === 'prefs.toggle' ? { prefs: { ...context.prefs, [event.pref]: !context.prefs[event.pref] } } : {})),
    resetPrefs: assign(({ context }) => ({ prefs: { ...defaultPrefs }, language: context.config.defaultLanguage, languageChosen: false })),
    applyDefaultLanguage: assign(({ context }) => (context.languageChosen ? {} : { language: context.config.defaultLanguage })),

    // ---- session
    startSession: assign(({ context }) => ({ seq: context.seq + 1, warningRemainingS: null, padHadItems: context.pad.entries.length > 0 })),
    resumeSession: assign(({ context }) => ({ patron: context.daemonSession?.patron ?? null, language: context.daemonSession?.language ?? context.language })),
    endSession: enqueueActions(({ context, enqueue }) => {
      enqueue.sendTo('daemon', { type: 'end', seq: context.seq } satisfies DaemonCommand);
      enqueue.assign({ ...blank, prefs: { ...defaultPrefs }, language: context.config.defaultLanguage, languageChosen: false });
    }),
    /**
     * On the goodbye screen the patron is done: the daemon's session ends now (the screen keeps the
     * name for its thank-you), so a page reloaded meanwhile does not come back to their menu.
     */
    endDaemonSession: sendTo('daemon', ({ context }) => ({ type: 'end', seq: context.seq }) satisfies DaemonCommand),
    /** A daemon session left over from before a reload (no patron): end it so its outcomes go. */
    endStaleDaemonSession: enqueueActions(({ context, enqueue }) => {
      if (context.daemonSession && !context.daemonSession.patron) enqueue.sendTo('daemon', { type: 'end', seq: context.seq } satisfies DaemonCommand);
    }),

    // ---- identify
    identifierFromCard: assign(({ context, event }) => {
      // Run before the pad is assigned: the card that just arrived, else any card on the pad.
      const pad = event.type === 'pad.changed' ? event.pad : context.pad;
      const cards = pad.entries.filter((e) => e.kind === 'card' && e.barcode);
      const card = cards.find((e) => !context.pad.entries.some((p) => p.key === e.key)) ?? cards[0];
      return card?.barcode ? { identifier: card.barcode, identifyError: null } : {};
    }),
    identifierFromEvent: assign(({ event }) => {
      if (event.type === 'identify.submit') return { identifier: event.identifier.trim(), identifyError: null };
      if (event.type === 'scan.read') return { identifier: event.data.trim(), identifyError: null };
      return {};
    }),
    sendIdentify: sendTo('daemon', ({ context }): DaemonCommand => ({ type: 'identify', seq: context.seq, identifier: context.identifier, pin: null })),
    /** The PIN goes straight from the event to the daemon; it is never kept in the context. */
    sendIdentifyWithPin: sendTo('daemon', ({ context, event }): DaemonCommand => ({
      type: 'identify',
      seq: context.seq,
      identifier: context.identifier,
      pin: event.type === 'pin.submit' ? event.pin : null,
    })),
    assignPatron: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'identify.result' || !event.result.ok || !event.result.data.patron) return;
      const patron = event.result.data.patron;
      enqueue.assign({ patron, identifyError: null });
      if (context.languageChosen) enqueue.sendTo('daemon', { type: 'language', language: context.language } satisfies DaemonCommand);
      else if (context.config.languages.includes(patron.language)) enqueue.assign({ language: patron.language });
    }),
    clearIdentifyError: assign({ identifyError: null }),
    assignIdentifyError: assign(({ event }) => (event.type === 'identify.result' && !event.result.ok ? { identifyError: event.result.error } : {})),
    forgetIdentifier: assign({ identifier: null }),

    // ---- checkout / checkin
    sendPadCheckouts: enqueueActions(({ context, enqueue }) => {
      const plan = padPlan(context, 'checkout');
      if (!plan) return;
      enqueue.assign(plan.assign);
      for (const c of plan.commands) enqueue.sendTo('daemon', c);
    }),
    sendPadCheckins: enqueueActions(({ context, enqueue }) => {
      const plan = padPlan(context, 'checkin');
      if (!plan) return;
      enqueue.assign(plan.assign);
      for (const c of plan.commands) enqueue.sendTo('daemon', c);
    }),
    sendBarcodeCheckout: enqueueActions(({ context, event, enqueue }) => {
      const plan = barcodePlan(context, event, 'checkout');
      if (!plan) return;
      enqueue.assign(plan.assign);
      for (const c of plan.commands) enqueue.sendTo('daemon', c);
    }),
    sendBarcodeCheckin: enqueueActions(({ context, event, enqueue }) => {
      const plan = barcodePlan(context, event, 'checkin');
      if (!plan) return;
      enqueue.assign(plan.assign);
      for (const c of plan.commands) enqueue.sendTo('daemon', c);
    }),
    assignItemResult: assign(({ context, event }) => {
      if ((event.type !== 'checkout.result' && event.type !== 'checkin.result') || event.seq !== context.seq) return {};
      const r = event.result;
      return {
        lastRef: event.ref,
        rows: context.rows.map((row) =>
          row.ref !== event.ref || row.mode !== (event.type === 'checkout.result' ? 'checkout' : 'checkin')
            ? row
            : r.ok
              ? { ...row, status: r.data.status, outcome: r.data, title: r.data.title || row.title, error: null }
              : { ...row, status: 'error' as const, error: r.error },
        ),
      };
    }),

    // ---- renew / account
    sendAccount: sendTo('daemon', ({ context }): DaemonCommand => ({ type: 'account', seq: context.seq })),
    assignLoans: assign(({ context, event }) => {
      if (event.type !== 'account.result' || event.seq !== context.seq) return {};
      return event.result.ok ? { loans: event.result.data.loans, account: event.result.data, accountError: null } : { accountError: event.result.error };
    }),
    assignAccount: assign(({ context, event }) => {
      if (event.type !== 'account.result' || event.seq !== context.seq) return {};
      return event.result.ok ? { account: event.result.data, loans: event.result.data.loans, accountError: null } : { accountError: event.result.error };
    }),
    clearAccountError: assign({ accountError: null }),
    toggleRenewal: assign(({ context, event }) => {
      if (event.type !== 'renew.toggle') return {};
      const has = context.renewSelection.includes(event.barcode);
      return { renewSelection: has ? context.renewSelection.filter((b) => b !== event.barcode) : [...context.renewSelection, event.barcode] };
    }),
    sendRenewSelected: sendTo('daemon', ({ context }): DaemonCommand => ({ type: 'renew', seq: context.seq, barcodes: [...context.renewSelection] })),
    sendRenewAll: sendTo('daemon', ({ context }): DaemonCommand => ({ type: 'renew', seq: context.seq, barcodes: 'all' })),
    assignRenewResults: assign(({ context, event }) => {
      if (event.type !== 'renew.result' || event.seq !== context.seq) return {};
      if (!event.result.ok) return { accountError: event.result.error };
      const results = event.result.data;
      const byBarcode = new Map(results.map((o) => [o.barcode, o]));
      return {
        renewResults: [...context.renewResults.filter((o) => !byBarcode.has(o.barcode)), ...results],
        renewSelection: [],
        loans: context.loans?.map((l) => {
          const o = byBarcode.get(l.barcode);
          return o && o.status === 'done' && o.dueDate ? { ...l, dueDate: o.dueDate, renewals: l.renewals + 1 } : l;
        }) ?? null,
        accountError: null,
      };
    }),
    cueRenewResults: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'renew.result' || event.seq !== context.seq) return;
      if (event.result.ok && event.result.data.every((o) => o.status === 'done')) enqueue('cueSuccess');
      else enqueue('cueFailure');
    }),

    // ---- receipt
    sendReceipt: sendTo('daemon', ({ context, event }): DaemonCommand => ({ type: 'receipt', seq: context.seq, kind: event.type === 'receipt.choose' ? event.kind : 'none' })),
    clearReceiptError: assign({ receiptError: null }),
    assignReceiptDone: assign(({ context, event }) => {
      if (event.type !== 'receipt.result' || event.seq !== context.seq || !event.result.ok) return {};
      const d = event.result.data;
      return { receiptDone: { kind: d.printed ? 'print' : d.emailed ? 'email' : 'none', printed: d.printed, emailed: d.emailed }, receiptError: null };
    }),
    assignReceiptNone: assign({ receiptDone: { kind: 'none', printed: false, emailed: false } }),
    assignReceiptError: assign(({ context, event }) => (event.type === 'receipt.result' && event.seq === context.seq && !event.result.ok ? { receiptError: event.result.error } : {})),

    // ---- locker pickup
    sendLockerWaiting: enqueueActions(({ context, enqueue }) => {
      if (context.config.locker === true && context.patron) enqueue.sendTo('daemon', { type: 'lockerWaiting', seq: context.seq } satisfies DaemonCommand);
    }),
    assignLockerWaiting: assign(({ context, event }) =>
      event.type === 'lockerWaiting.result' && event.seq === context.seq && event.result.ok ? { lockerWaiting: event.result.data.compartments } : {},
    ),
    /** The code goes straight from the event to the daemon, like the PIN: it is never kept. */
    sendPickupCode: sendTo('daemon', ({ context, event }): DaemonCommand => ({
      type: 'lockerPickup',
      seq: context.seq,
      code: pickupCodeFrom(event.type === 'pickup.submit' ? event.code : event.type === 'scan.read' ? event.data : '') ?? '',
      language: context.language,
    })),
    sendPatronPickup: sendTo('daemon', ({ context }): DaemonCommand => ({ type: 'lockerPickup', seq: context.seq, code: null, language: context.language })),
    assignPickup: assign(({ context, event }) => {
      if (event.type !== 'lockerPickup.result' || event.seq !== context.seq || !event.result.ok) return {};
      const r = event.result.data;
      // The collected items become this session's loans: the goodbye counts them, the receipt lists them.
      const rows: ItemRow[] = r.compartments.flatMap((c) =>
        c.items.map((o): ItemRow => ({ ref: `locker:${c.bank}:${o.barcode}`, mode: 'checkout', barcode: o.barcode, title: o.title, status: o.status, outcome: o, error: null })),
      );
      const refs = new Set(rows.map((row) => row.ref));
      return {
        pickup: r,
        pickupError: null,
        rows: [...context.rows.filter((row) => !refs.has(row.ref)), ...rows],
        handled: [...context.handled, ...rows.map((row) => `checkout:${row.ref}`)],
        lockerWaiting: [],
      };
    }),
    assignPickupError: assign(({ context, event }) =>
      event.type === 'lockerPickup.result' && event.seq === context.seq && !event.result.ok ? { pickupError: event.result.error } : {},
    ),
    clearPickupError: assign({ pickupError: null }),

    // ---- idle
    startCountdown: assign(({ context }) => ({ warningRemainingS: context.config.warningS })),
    tickCountdown: assign(({ context }) => ({ warningRemainingS: Math.max(0, (context.warningRemainingS ?? 1) - 1) })),
    stopCountdown: assign({ warningRemainingS: null }),
  },
}).createMachine({
  id: 'kiosk',
  context: ({ input }) => {
    const config = { ...defaultUiConfig, ...input.config };
    return {
      config,
      hasState: false,
      connected: true,
      backend: { online: true, offline: false, detail: '' },
      devices: [],
      pad: { entries: [], reader: 'connecting' },
      daemonSession: null,
      language: config.defaultLanguage,
      languageChosen: false,
      prefs: { ...defaultPrefs },
      seq: 0,
      ...blank,
    };
  },
  invoke: { id: 'daemon', src: 'daemon' },
  on: {
    'daemon.state': { actions: 'assignState' },
    'daemon.connection': { actions: 'assignConnection' },
    'pad.changed': { actions: ['assignPad', 'notePad'] },
    'device.state': { actions: 'assignDevice' },
    'backend.changed': { actions: 'assignBackend' },
    'session.changed': { actions: 'assignDaemonSession' },
    'language.set': { actions: 'setLanguage' },
    'prefs.toggle': { actions: 'togglePref' },
  },
  initial: 'boot',
  states: {
    /** Waiting for the daemon's first state. */
    boot: {
      on: { 'daemon.state': { actions: ['assignState', 'applyDefaultLanguage'] } },
      always: [
        { guard: 'backendDown', target: 'outOfOrder' },
        { guard: 'daemonHasPatron', target: '#kiosk.session.flow.menu', actions: 'resumeSession' },
        { guard: 'hasState', target: 'attract', actions: 'endStaleDaemonSession' },
      ],
    },

    /** The library system cannot be reached and offline mode is off (or the daemon is gone). */
    outOfOrder: {
      always: { guard: 'backendUp', target: 'attract' },
    },

    /** Waiting for a patron: a card on the pad, a scanned card, or a button. */
    attract: {
      always: { guard: 'backendDown', target: 'outOfOrder' },
      after: { idle: { guard: 'prefsChanged', target: 'attract', reenter: true, actions: ['resetPrefs', 'endSession'] } },
      on: {
        'start.identify': { target: 'session' },
        'start.return': { target: '#kiosk.session.flow.return' },
        'start.pickup': { guard: 'lockerConfigured', target: '#kiosk.session.flow.pickup' },
        'pad.changed': [
          { guard: 'cardArrived', target: 'session', actions: ['identifierFromCard', 'assignPad'] },
          { actions: 'assignPad' },
        ],
        'scan.read': [
          // The QR of a pickup notification held to the scanner goes straight to the locker.
          // Raised again once inside: the session's entry numbers it first, and the code is not kept.
          { guard: 'pickupQrScanned', target: '#kiosk.session.flow.pickup.entry', actions: raise(({ event }) => event) },
          { target: 'session', actions: 'identifierFromEvent' },
        ],
        activity: { target: 'attract', reenter: true },
        'language.set': { target: 'attract', reenter: true, actions: 'setLanguage' },
        'prefs.toggle': { target: 'attract', reenter: true, actions: 'togglePref' },
      },
    },

    /** One patron's visit: the screens, and the idle timer that dies with them. */
    session: {
      type: 'parallel',
      entry: 'startSession',
      exit: 'endSession',
      always: { guard: 'backendDown', target: 'outOfOrder' },
      states: {
        flow: {
          initial: 'identify',
          on: {
            'checkout.result': [
              { guard: 'resultDone', actions: ['assignItemResult', 'cueSuccess'] },
              { guard: 'isCurrent', actions: ['assignItemResult', 'cueFailure'] },
            ],
            'checkin.result': [
              { guard: 'resultDone', actions: ['assignItemResult', 'cueSuccess'] },
              { guard: 'isCurrent', actions: ['assignItemResult', 'cueFailure'] },
            ],
          },
          states: {
            identify: {
              initial: 'decide',
              on: { cancel: { target: '#kiosk.attract' } },
              states: {
                decide: {
                  always: [{ guard: 'hasIdentifier', target: 'checking' }, { target: 'waiting' }],
                },
                /** Card on the pad, card scanned, or number typed. */
                waiting: {
                  on: {
                    'identify.submit': { target: 'checking', actions: 'identifierFromEvent' },
                    'scan.read': { target: 'checking', actions: 'identifierFromEvent' },
                    'pad.changed': [
                      { guard: 'cardArrived', target: 'checking', actions: ['identifierFromCard', 'assignPad', 'notePad'] },
                      { actions: ['assignPad', 'notePad'] },
                    ],
                  },
                },
                checking: {
                  entry: 'sendIdentify',
                  on: {
                    'identify.result': [
                      { guard: 'identifyNeedsPin', target: 'pin', actions: 'clearIdentifyError' },
                      { guard: 'identifyOk', target: '#kiosk.session.flow.menu', actions: ['assignPatron', 'cueSuccess'] },
                      { guard: 'isCurrent', target: 'waiting', actions: ['assignIdentifyError', 'forgetIdentifier', 'cueFailure'] },
                    ],
                  },
                },
                pin: {
                  on: { 'pin.submit': { target: 'checkingPin', actions: 'sendIdentifyWithPin' } },
                },
                checkingPin: {
                  on: {
                    'identify.result': [
                      { guard: 'identifyOk', target: '#kiosk.session.flow.menu', actions: ['assignPatron', 'cueSuccess'] },
                      { guard: 'identifyPinProblem', target: 'pin', actions: ['assignIdentifyError', 'cueFailure'] },
                      { guard: 'isCurrent', target: 'waiting', actions: ['assignIdentifyError', 'forgetIdentifier', 'cueFailure'] },
                    ],
                  },
                },
              },
            },

            menu: {
              entry: 'sendLockerWaiting',
              on: {
                'lockerWaiting.result': { actions: 'assignLockerWaiting' },
                'menu.pickup': { guard: 'lockerConfigured', target: 'pickup' },
                'menu.borrow': 'borrow',
                'menu.return': 'return',
                'menu.renew': 'renew',
                'menu.account': 'account',
                finish: [{ guard: 'hasReceiptContent', target: 'receipt' }, { target: 'goodbye' }],
              },
            },

            /** Items appear as they are placed; each is lent once; a kit only when complete. */
            borrow: {
              entry: 'sendPadCheckouts',
              on: {
                'pad.changed': { actions: ['assignPad', 'notePad', 'sendPadCheckouts'] },
                'scan.read': { actions: 'sendBarcodeCheckout' },
                'barcode.submit': { actions: 'sendBarcodeCheckout' },
                back: 'menu',
                finish: [{ guard: 'hasReceiptContent', target: 'receipt' }, { target: 'goodbye' }],
              },
            },

            /** Returns need no login; each item says where it goes; an incomplete kit waits (staff). */
            return: {
              entry: 'sendPadCheckins',
              on: {
                'pad.changed': { actions: ['assignPad', 'notePad', 'sendPadCheckins'] },
                'scan.read': { actions: 'sendBarcodeCheckin' },
                'barcode.submit': { actions: 'sendBarcodeCheckin' },
                back: [{ guard: 'hasPatron', target: 'menu' }, { target: '#kiosk.attract' }],
                finish: [{ guard: 'hasReceiptContent', target: 'receipt' }, { target: 'goodbye' }],
              },
            },

            renew: {
              initial: 'loading',
              on: {
                back: 'menu',
                finish: [{ guard: 'hasReceiptContent', target: 'receipt' }, { target: 'goodbye' }],
              },
              states: {
                loading: {
                  entry: 'sendAccount',
                  on: {
                    'account.result': [
                      { guard: 'resultOk', target: 'ready', actions: 'assignLoans' },
                      { guard: 'isCurrent', target: 'failed', actions: 'assignLoans' },
                    ],
                  },
                },
                ready: {
                  on: {
                    'renew.toggle': { actions: 'toggleRenewal' },
                    'renew.selected': { guard: 'hasSelection', target: 'renewing', actions: 'sendRenewSelected' },
                    'renew.all': { target: 'renewing', actions: 'sendRenewAll' },
                  },
                },
                renewing: {
                  on: {
                    'renew.result': { guard: 'isCurrent', target: 'ready', actions: ['assignRenewResults', 'cueRenewResults'] },
                  },
                },
                failed: {
                  on: { 'account.retry': { target: 'loading', actions: 'clearAccountError' } },
                },
              },
            },

            account: {
              initial: 'loading',
              on: {
                back: 'menu',
                finish: [{ guard: 'hasReceiptContent', target: 'receipt' }, { target: 'goodbye' }],
              },
              states: {
                loading: {
                  entry: 'sendAccount',
                  on: {
                    'account.result': [
                      { guard: 'resultOk', target: 'ready', actions: 'assignAccount' },
                      { guard: 'isCurrent', target: 'failed', actions: 'assignAccount' },
                    ],
                  },
                },
                ready: {},
                failed: {
                  on: { 'account.retry': { target: 'loading', actions: 'clearAccountError' } },
                },
              },
            },

            /**
             * Locker pickup (domain.md §8.3): the code typed on the keypad or its QR scanned (or,
             * after card + PIN, the patron's own holds) → the door opens → the compartment number
             * and the loans with their due dates → receipt → goodbye. Every refusal has its screen.
             */
            pickup: {
              initial: 'decide',
              states: {
                decide: {
                  always: [{ guard: 'hasPatron', target: 'opening', actions: 'sendPatronPickup' }, { target: 'entry' }],
                },
                entry: {
                  on: {
                    'pickup.submit': { guard: 'pickupCodeGiven', target: 'opening', actions: ['clearPickupError', 'sendPickupCode'] },
                    'scan.read': { guard: 'pickupCodeGiven', target: 'opening', actions: ['clearPickupError', 'sendPickupCode'] },
                    back: [{ guard: 'hasPatron', target: '#kiosk.session.flow.menu' }, { target: '#kiosk.attract' }],
                    cancel: [{ guard: 'hasPatron', target: '#kiosk.session.flow.menu' }, { target: '#kiosk.attract' }],
                  },
                },
                /** The daemon asks the locker to open the door; the loans are recorded when it reports open. */
                opening: {
                  on: {
                    'lockerPickup.result': [
                      { guard: 'resultOk', target: 'open', actions: ['assignPickup', 'cueSuccess'] },
                      { guard: 'isCurrent', target: 'failed', actions: ['assignPickupError', 'cueFailure'] },
                    ],
                  },
                },
                open: {
                  on: {
                    back: { guard: 'hasPatron', target: '#kiosk.session.flow.menu' },
                    finish: [{ guard: 'hasReceiptContent', target: '#kiosk.session.flow.receipt' }, { target: '#kiosk.session.flow.goodbye' }],
                  },
                },
                failed: {
                  on: {
                    'pickup.retry': { guard: 'pickupRetryable', target: 'entry', actions: 'clearPickupError' },
                    back: [{ guard: 'hasPatron', target: '#kiosk.session.flow.menu' }, { target: '#kiosk.attract' }],
                    finish: '#kiosk.session.flow.goodbye',
                  },
                },
              },
            },

            receipt: {
              initial: 'choosing',
              states: {
                choosing: {
                  on: {
                    'receipt.choose': [
                      { guard: 'chooseNone', target: '#kiosk.session.flow.goodbye', actions: 'assignReceiptNone' },
                      { target: 'sending', actions: ['clearReceiptError', 'sendReceipt'] },
                    ],
                  },
                },
                sending: {
                  on: {
                    'receipt.result': [
                      { guard: 'resultOk', target: '#kiosk.session.flow.goodbye', actions: 'assignReceiptDone' },
                      { guard: 'isCurrent', target: 'choosing', actions: ['assignReceiptError', 'cueFailure'] },
                    ],
                  },
                },
              },
            },

            goodbye: {
              entry: 'endDaemonSession',
              after: { goodbye: '#kiosk.attract' },
              on: { 'goodbye.done': '#kiosk.attract' },
            },
          },
        },

        /**
         * The idle timer: no activity for idleTimeoutS (or, once the pad was emptied and nobody
         * touched the screen, for warningS) → a warning counting down warningS → the session ends.
         */
        idle: {
          initial: 'active',
          // A region's handler pre-empts the root's for the same event, so the ones the root
          // handles (pad, language, display) repeat the root's actions here.
          on: {
            ...touchActivity,
            'pad.changed': { target: '.active', actions: ['assignPad', 'notePad'] },
            'language.set': { target: '.active', actions: ['patronPresent', 'setLanguage'] },
            'prefs.toggle': { target: '.active', actions: ['patronPresent', 'togglePref'] },
          },
          states: {
            active: {
              after: { idle: 'warning' },
            },
            warning: {
              entry: ['startCountdown', 'cueWarning'],
              exit: 'stopCountdown',
              initial: 'counting',
              states: {
                counting: {
                  after: {
                    1000: [
                      { guard: 'countdownOver', target: '#kiosk.attract' },
                      { target: 'counting', reenter: true, actions: 'tickCountdown' },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    },
  },
});

// --------------------------------------------------------------------------------------- helpers

interface Plan {
  assign: Pick<KioskContext, 'rows' | 'handled'>;
  commands: DaemonCommand[];
}

/** New pending rows and the commands for the pad entries not yet sent in this session. */
export function padPlan(context: KioskContext, mode: ItemMode): Plan | null {
  const plan = planPad(context, mode);
  if (plan.length === 0) return null;
  return {
    assign: {
      rows: [...context.rows, ...plan.map((p): ItemRow => ({ ref: p.ref, mode, barcode: p.barcode, title: p.title, status: 'pending', outcome: null, error: null }))],
      handled: [...context.handled, ...plan.map((p) => `${mode}:${p.ref}`)],
    },
    commands: plan.map((p): DaemonCommand => ({ type: mode, seq: context.seq, ref: p.ref, barcode: p.barcode })),
  };
}

/** A typed or scanned barcode: sent once per session (again only if the command itself failed). */
export function barcodePlan(context: KioskContext, event: KioskEvent, mode: ItemMode): Plan | null {
  const raw = event.type === 'barcode.submit' ? event.barcode : event.type === 'scan.read' ? event.data : '';
  const barcode = raw.trim();
  if (!barcode) return null;
  const ref = barcode;
  const prior = context.rows.find((r) => r.mode === mode && r.ref === ref);
  if (prior && prior.status !== 'error') return null;
  if (!prior && context.handled.includes(`${mode}:${ref}`)) return null;
  const row: ItemRow = { ref, mode, barcode, title: null, status: 'pending', outcome: null, error: null };
  return {
    assign: {
      rows: prior ? context.rows.map((r) => (r === prior ? row : r)) : [...context.rows, row],
      handled: context.handled.includes(`${mode}:${ref}`) ? context.handled : [...context.handled, `${mode}:${ref}`],
    },
    commands: [{ type: mode, seq: context.seq, ref, barcode }],
  };
}

export type KioskMachine = typeof kioskMachine;

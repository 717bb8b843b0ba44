/**
 * The kiosk API: the socket.io events between the daemon and the kiosk UI, typed, with the zod
 * schemas the daemon validates every command against. Facts flow daemon → UI (`pad.changed`,
 * `device.state`, `session.changed`); commands flow UI → daemon (`session.checkout`) and are
 * answered through the socket.io acknowledgement with an envelope `{ok, data} | {ok:false, error}`.
 *
 * Every command that changes something carries an idempotency key: a retry after a dropped
 * connection or a browser reload returns the first outcome, never a second loan.
 */
import { z } from 'zod';
import type { ReasonCode } from './reasons.ts';

export const kioskLanguages = ['en', 'sl', 'lv', 'hu'] as const;
export type UiLanguage = (typeof kioskLanguages)[number];

export type DeviceStateName = 'connecting' | 'ready' | 'degraded' | 'offline';

export interface DeviceView {
  id: string;
  kind: 'rfid' | 'scanner' | 'printer' | 'drawer' | 'signature' | 'locker';
  model: string;
  state: DeviceStateName;
  reason: string | null;
}

export interface KitView {
  code: string;
  title: string;
  partsTotal: number;
  present: Array<{ partNumber: number; barcode: string }>;
  missing: Array<{ partNumber: number; barcode: string; title: string }>;
  complete: boolean;
}

/** One thing on the pad, as the patron sees it: an item, a whole or partial kit, a card, or a tag we cannot read. */
export interface PadEntry {
  /** Stable while it stays on the pad: the barcode, the kit code, or the tag UID. */
  key: string;
  kind: 'item' | 'kit' | 'card' | 'unreadable';
  barcode: string | null;
  title: string | null;
  kit: KitView | null;
  uids: string[];
  /** Why a tag could not be used (blank, corrupt, foreign library). */
  problem: string | null;
}

export interface PadState {
  entries: PadEntry[];
  reader: DeviceStateName;
}

export interface RoutingView {
  destination: 'shelf' | 'hold_shelf' | 'processing' | 'other_department' | 'staff';
  department: string | null;
  pickupPlace: string | null;
  forPatronName: string | null;
}

/** The result of one item in a checkout, return or renewal, as the patron is told it. */
export interface ItemOutcome {
  barcode: string;
  title: string;
  /** done: as asked; refused: nothing changed; security_failed: done but the tag would alarm, see staff. */
  status: 'done' | 'refused' | 'security_failed';
  reason: ReasonCode | null;
  messageKey: string | null;
  details: Record<string, unknown>;
  dueDate: string | null;
  routing: RoutingView | null;
  units: Array<{ barcode: string; title: string; partNumber: number | null }>;
  fine: { amount: number; currency: string } | null;
}

export interface PatronView {
  /** First name only: the screen is public. */
  displayName: string;
  language: UiLanguage;
  hasEmail: boolean;
  blocks: Array<{ reason: ReasonCode; details: Record<string, unknown> }>;
}

export interface SessionView {
  id: string;
  patron: PatronView | null;
  outcomes: ItemOutcome[];
  language: UiLanguage;
}

export interface AccountView {
  /** A kit is one loan, its lead unit's, with `parts` its unit count (it renews as one, by its lead). */
  loans: Array<{ barcode: string; title: string; dueDate: string | null; overdue: boolean; renewals: number; status: string; parts?: number }>;
  holds: Array<{ title: string; status: 'R' | 'O' | 'W' | 'U'; pickupPlace: string | null; expiresOn: string | null; queuePosition: number | null }>;
  /** `kind` and `itemTitle` let the screen word a fee in the patron's language; `description` is the backend's (English) text. */
  fees: Array<{ kind: string; itemTitle: string | null; description: string; remaining: number; currency: string }>;
  balance: number;
  currency: string;
}

export interface UiConfig {
  languages: UiLanguage[];
  defaultLanguage: UiLanguage;
  idleTimeoutS: number;
  warningS: number;
  pinRequired: boolean;
  libraryName: string;
  currency: string;
  locale: Record<UiLanguage, string>;
  /**
   * A locker bank is configured at this service point: the kiosk offers "Collect from a locker"
   * (pickup code or card + PIN). Absent means no locker.
   */
  locker?: boolean;
  /**
   * Receipts can be e-mailed from this station (SMTP is configured): the kiosk offers "Send by
   * e-mail" to a patron with an address on file. Absent means no e-mail.
   */
  emailReceipts?: boolean;
}

export interface BackendView {
  online: boolean;
  offline: boolean;
  detail: string;
}

export interface KioskState {
  session: SessionView | null;
  pad: PadState;
  devices: DeviceView[];
  backend: BackendView;
  config: UiConfig;
}

// ---------------------------------------------------------------------------------------------
// Locker pickup (domain.md §8): the patron collects the holds waiting in a locker compartment,
// with the one-time code from the notification (typed or its QR scanned) or with card + PIN.

/**
 * Why a locker pickup did not happen. All but the last are the locker service's own outcomes;
 * `locker_unavailable` means no locker bank is configured at this service point.
 * door_failed: the door did not open, nothing was checked out, staff have been alerted.
 * code_other_patron: a code for another patron's holds inside an identified patron's session.
 */
export const lockerFailureCodes = [
  'code_unknown',
  'code_used',
  'hold_expired',
  'nothing_ready',
  'door_failed',
  'locker_offline',
  'patron_refused',
  'too_many_attempts',
  'code_other_patron',
  'locker_unavailable',
] as const;
export type LockerFailureCode = (typeof lockerFailureCodes)[number];

/**
 * One compartment of a pickup, with its items as loans (each an ItemOutcome: due date, or why not).
 * When a patron has several compartments and one door fails, the others still open: each says
 * whether it opened.
 */
export interface LockerCompartmentView {
  bank: string;
  bankName: string;
  /** As printed on the door, e.g. "07". */
  number: string;
  /** False: this door did not open, nothing in it was lent (its items are refused), staff were alerted. */
  opened: boolean;
  items: ItemOutcome[];
}

export interface LockerPickupResult {
  compartments: LockerCompartmentView[];
  /**
   * Whose holds these were, as much as the screen may show (first name; whether a receipt can be
   * e-mailed). A pickup code gives no access to the account beyond this.
   */
  patron: { displayName: string; hasEmail: boolean } | null;
}

/** What waits in a locker for the identified patron (the menu offers the pickup when non-empty). */
export interface LockerWaitingView {
  compartments: Array<{ bank: string; number: string; items: number; expiresAt: string }>;
}

export type Envelope<T> = { ok: true; data: T } | { ok: false; error: { code: string; messageKey: string; details?: Record<string, unknown> } };

// ---------------------------------------------------------------------------------------------
// Commands (UI → daemon), validated by the daemon.

const key = z.string().min(8).max(100);
const barcode = z.string().min(1).max(64);

export const commandSchemas = {
  'session.identify': z
    .object({ key, identifier: z.string().min(1).max(64).optional(), pin: z.string().max(12).optional() })
    .strict(),
  'session.checkout': z.object({ key, barcode }).strict(),
  'session.checkin': z.object({ key, barcode }).strict(),
  'session.renew': z.object({ key, barcodes: z.union([z.literal('all'), z.array(barcode).min(1).max(100)]) }).strict(),
  'session.account': z.object({}).strict(),
  'session.receipt': z.object({ key, kind: z.enum(['print', 'email', 'none']) }).strict(),
  'session.language': z.object({ language: z.enum(kioskLanguages) }).strict(),
  'session.end': z.object({ key }).strict(),
  /**
   * With a code: the code's holds; without: the identified session patron's. `language`: the
   * screen's, for the texts and the receipt of a pickup by code (no patron language is known yet).
   */
  'locker.pickup': z.object({ key, code: z.string().trim().min(1).max(64).optional(), language: z.enum(kioskLanguages).optional() }).strict(),
  'locker.waiting': z.object({}).strict(),
} as const;

export type CommandName = keyof typeof commandSchemas;
export type CommandArgs<C extends CommandName> = z.infer<(typeof commandSchemas)[C]>;

export interface CommandResults {
  'session.identify': { patron: PatronView | null; needsPin: boolean };
  'session.checkout': ItemOutcome;
  'session.checkin': ItemOutcome;
  'session.renew': ItemOutcome[];
  'session.account': AccountView;
  'session.receipt': { printed: boolean; emailed: boolean; reprintPending: boolean };
  'session.language': { language: UiLanguage };
  'session.end': { ended: boolean };
  'locker.pickup': LockerPickupResult;
  'locker.waiting': LockerWaitingView;
}

/** socket.io typing: events the daemon emits. */
export interface ServerToClientEvents {
  state: (s: KioskState) => void;
  'pad.changed': (p: PadState) => void;
  'device.state': (d: DeviceView) => void;
  'session.changed': (s: SessionView | null) => void;
  'backend.changed': (b: BackendView) => void;
  /** A barcode read by a scanner while the kiosk waits for one (a card or an item). */
  'scan.read': (s: { data: string; symbology: string | null }) => void;
}

/** socket.io typing: commands the UI sends, answered through the acknowledgement. */
export type ClientToServerEvents = {
  [C in CommandName]: (args: CommandArgs<C>, ack: (e: Envelope<CommandResults[C]>) => void) => void;
};

/**
 * The CirculationBackend contract (DESIGN.md): everything the SIP2 bridge, the kiosk station and the
 * locker service ask of a library system. Two implementations: the embedded SQLite engine and a
 * SIP2 client for an upstream system. Results are data: a refusal is `ok: false` with a stable
 * reason code and a screen message in the patron's language, never an exception.
 */
import type { KioskLanguage, ReasonCode } from '../../protocols/kiosk-api/reasons.ts';

export interface Refusal {
  ok: false;
  reason: ReasonCode;
  messageKey: string;
  screenMessage: string;
  details?: Record<string, unknown>;
  /** Set when this is the stored answer to an earlier request with the same idempotency key. */
  replayed?: boolean;
}

export type Outcome<T extends object> = ({ ok: true } & T) | Refusal;

export type Channel = 'self' | 'staff' | 'sip2';

export interface RequestContext {
  /** Self-service never completes a conditional loan; staff may confirm one. */
  channel?: Channel;
  /** The department the request is made in; defaults to the site's department. */
  department?: string;
  /** When it happened: the original time of an offline (no-block) transaction. */
  at?: Date;
  /** SIP2 no-block: the client already lent or took the item back offline; record it. */
  noBlock?: boolean;
  /** A retried request with the same key gets the first outcome and changes nothing. */
  idempotencyKey?: string;
  /** Language of screen messages; defaults to the patron's language, then the site's. */
  language?: KioskLanguage;
}

export type ItemStatus = 'free' | 'C' | 'S' | 'D' | 'B' | 'L' | 'O' | 'W';
export type LoanMode = 'unconditional' | 'conditional' | 'forbidden' | 'undefined';

export interface PatronSummary {
  barcode: string;
  firstName: string;
  lastName: string;
  category: string;
  language: KioskLanguage;
  homeDepartment: string;
  email: string | null;
  hasMobile: boolean;
  membershipExpires: string | null;
  /** Why services are limited, if they are; null when the patron may borrow. */
  blocks: Array<{ reason: ReasonCode; details?: Record<string, unknown> }>;
  pinSet: boolean;
}

export interface KitPart {
  barcode: string;
  partNumber: number;
  title: string;
}

export interface KitInfo {
  code: string;
  title: string;
  leadBarcode: string;
  partsTotal: number;
  partNumber: number;
  parts: KitPart[];
}

export interface ItemInformation {
  barcode: string;
  bibId: string;
  title: string;
  author: string;
  materialType: string;
  department: string;
  callNumber: string;
  status: ItemStatus;
  stockStatus: string;
  accessLevel: string;
  restriction: string;
  dueDate: string | null;
  /** Card barcode of the patron who has it (C/S/L/B) or for whom it waits (O/W). */
  patronBarcode: string | null;
  holdQueueLength: number;
  holdPickupPlace: string | null;
  holdExpiresOn: string | null;
  loanMode: { home: LoanMode; readingRoom: LoanMode };
  kit: KitInfo | null;
  price: number | null;
  currency: string;
  /** The fee a loan of this item costs (a loan fee of its material type), when this backend knows it. */
  loanFee?: number | null;
  /** Item properties a self-check stored with SIP2 19 (CH), given back in 18. */
  scProperties?: string | null;
}

export interface LoanLine {
  barcode: string;
  title: string;
  author: string;
  status: 'C' | 'S' | 'D' | 'B' | 'L';
  loanedAt: string;
  dueDate: string | null;
  renewals: number;
  overdue: boolean;
  kit: { code: string; partNumber: number; partsTotal: number; lead: boolean } | null;
}

export interface HoldLine {
  id: number;
  bibId: string;
  title: string;
  status: 'R' | 'O' | 'W' | 'U';
  itemBarcode: string | null;
  pickupPlace: string | null;
  createdAt: string;
  expiresOn: string | null;
  queuePosition: number | null;
}

export interface FeeLine {
  id: number;
  kind: string;
  amount: number;
  paid: number;
  remaining: number;
  currency: string;
  createdAt: string;
  itemBarcode: string | null;
  /** The item's title, when the fee is for an item this backend knows (a kiosk words the fee by its kind). */
  itemTitle?: string | null;
  description: string;
}

export interface PatronInformation extends PatronSummary {
  loans: LoanLine[];
  holds: HoldLine[];
  fees: FeeLine[];
  balance: number;
  currency: string;
  lostCount: number;
  limits: { total: number | null; current: number };
}

export interface CheckoutRequest {
  patron: string;
  item: string;
  mode?: 'home' | 'reading_room';
  /** Barcodes on the pad; when given, a kit is lent only if all its parts are among them. */
  parts?: string[];
  feeAcknowledged?: boolean;
  /** Staff only: proceed with a conditional loan after the warning. */
  confirmConditional?: boolean;
}

export interface LentUnit {
  barcode: string;
  title: string;
  dueDate: string;
  kitPart: number | null;
}

export interface CheckoutResult {
  patron: string;
  item: string;
  title: string;
  dueDate: string;
  status: 'C' | 'S';
  units: LentUnit[];
  renewal: boolean;
  fee: { amount: number; currency: string; kind: string } | null;
  holdFulfilled: boolean;
  replayed?: boolean;
}

export type Destination = 'shelf' | 'hold_shelf' | 'processing' | 'other_department' | 'staff';

export interface Routing {
  destination: Destination;
  /** Card barcode of the patron the item waits for. */
  forPatron: string | null;
  forPatronName: string | null;
  department: string | null;
  pickupPlace: string | null;
  holdExpiresOn: string | null;
  note: string | null;
}

export interface CheckinRequest {
  item: string;
  parts?: string[];
}

export interface CheckinResult {
  item: string;
  title: string;
  patron: string | null;
  units: string[];
  routing: Routing;
  /** Whether the security bit must be set (on) after this check-in. */
  securityOn: boolean;
  fine: { amount: number; currency: string } | null;
  wasOnLoan: boolean;
  /**
   * The returned unit's catalogue data (SIP2 10 AQ, AJ, CK, CR), when the backend has it at hand;
   * otherwise the SIP2 bridge asks itemInformation for it.
   */
  itemDetails?: { title: string; department: string; materialType: string; callNumber: string };
  replayed?: boolean;
}

export interface RenewResult {
  item: string;
  title: string;
  dueDate: string;
  previousDueDate: string | null;
  renewals: number;
  fine: { amount: number; currency: string } | null;
  fee: { amount: number; currency: string } | null;
  replayed?: boolean;
}

export interface RenewAllResult {
  renewed: RenewResult[];
  refused: Array<{ item: string; title: string; reason: ReasonCode; screenMessage: string }>;
  replayed?: boolean;
}

export interface HoldRequest {
  patron: string;
  item?: string;
  bibId?: string;
  pickupPlace?: string;
}

export interface HoldResult {
  hold: HoldLine;
  replayed?: boolean;
}

export interface CancelHoldRequest {
  patron: string;
  holdId?: number;
  item?: string;
  bibId?: string;
}

export interface FeePaidRequest {
  patron: string;
  amount: number;
  currency: string;
  feeId?: number;
  method: 'cash' | 'card' | 'other';
  reference?: string;
}

export interface FeePaidResult {
  paid: number;
  balance: number;
  currency: string;
  settled: number[];
  paymentId: number;
  replayed?: boolean;
}

/**
 * A reservation for pickup from a locker bank driven by a vendor's own system (docs/locker-vendor.md,
 * domain.md §8.3): what the vendor's SIP2 messages act on.
 */
export interface LockerHold {
  holdId: number;
  /** O: reserved copy to be loaded; W: loaded, waiting in the locker until `expiresAt`. */
  status: 'O' | 'W';
  pickupPlace: string;
  /** Card barcode of the patron the copy is for. */
  patron: string;
  /** "Novak, A.": enough for a compartment label, no more. */
  patronName: string;
  /** The copy (a kit's lead unit) and every unit that goes in the compartment with it. */
  item: string;
  units: string[];
  title: string;
  /** When the compartment was closed on it (ISO instant), for W. */
  readyAt: string | null;
  /** When a W hold runs out (ISO instant; locker holds are counted in hours). */
  expiresAt: string | null;
  /** The day it runs out (a hold without an instant expires at the end of that day). */
  expiresOn: string | null;
}

/** A patron's reservations at the given locker pickup places, with what the vendor needs to notify them. */
export interface LockerPatron {
  patron: { barcode: string; firstName: string; lastName: string; mobile: string | null; language: KioskLanguage };
  holds: LockerHold[];
}

export interface LockerPickupResult extends CheckoutResult {
  pickupPlace: string;
  /** This pickup had already been recorded (a retried report): nothing new was written. */
  alreadyRecorded: boolean;
}

export interface LockerReleaseResult {
  hold: LockerHold;
  /** expired: not collected in time (the unclaimed-hold fee applies); cancelled: released before its expiry. */
  outcome: 'expired' | 'cancelled';
  fee: { amount: number; currency: string } | null;
  /** Where the copy goes now: to the next reservation (O, to be processed for its pickup place) or the shelf. */
  next: { patron: string; pickupPlace: string | null } | null;
  alreadyRecorded: boolean;
}

export interface BackendStatus {
  kind: 'embedded' | 'sip2-upstream';
  online: boolean;
  detail: string;
  currency: string;
  /**
   * The longest this backend takes to answer a request, with its result or with an error; null when
   * it cannot say (an upstream's answer time is the upstream's). SIP2 98 tells clients this as the
   * timeout period: how long to wait for a reply before resending the request.
   */
  replyWithinMs: number | null;
  /** Operations this backend supports (SIP2 98 supported messages). */
  supports: {
    checkout: boolean;
    checkin: boolean;
    renew: boolean;
    holds: boolean;
    fees: boolean;
  };
  /**
   * The offline mode of an upstream backend (absent on the embedded engine). `active`: the upstream
   * is unreachable and loans and returns are being taken into the queue; `queued`: transactions
   * waiting for the upstream; `unresolved`: refused or failed replays staff have not dealt with.
   */
  offline?: { enabled: boolean; active: boolean; queued: number; unresolved: number };
}

export interface CirculationBackend {
  readonly kind: 'embedded' | 'sip2-upstream';
  status(): Promise<BackendStatus>;
  lookupPatron(identifier: string, ctx?: RequestContext): Promise<Outcome<{ patron: PatronSummary }>>;
  /** PIN check; an empty or missing PIN never passes for a patron who has one. */
  verifyPatron(identifier: string, pin: string | undefined, ctx?: RequestContext): Promise<Outcome<{ patron: PatronSummary }>>;
  patronInformation(identifier: string, ctx?: RequestContext): Promise<Outcome<{ patron: PatronInformation }>>;
  itemInformation(barcode: string, ctx?: RequestContext): Promise<Outcome<{ item: ItemInformation }>>;
  checkout(req: CheckoutRequest, ctx?: RequestContext): Promise<Outcome<CheckoutResult>>;
  checkin(req: CheckinRequest, ctx?: RequestContext): Promise<Outcome<CheckinResult>>;
  /** `feeAcknowledged`: the patron accepted a renewal fee (SIP2 BO); without it a fee-bearing renewal is refused, as a checkout is. */
  renew(req: { patron: string; item: string; feeAcknowledged?: boolean }, ctx?: RequestContext): Promise<Outcome<RenewResult>>;
  renewAll(req: { patron: string; feeAcknowledged?: boolean }, ctx?: RequestContext): Promise<Outcome<RenewAllResult>>;
  placeHold(req: HoldRequest, ctx?: RequestContext): Promise<Outcome<HoldResult>>;
  /** `fee`: the unclaimed-hold fee charged for cancelling an expired W (001:L2931), to be told to the patron. */
  cancelHold(req: CancelHoldRequest, ctx?: RequestContext): Promise<Outcome<{ cancelled: HoldLine; replayed?: boolean; fee?: { amount: number; currency: string } }>>;
  feePaid(req: FeePaidRequest, ctx?: RequestContext): Promise<Outcome<FeePaidResult>>;
  endSession(patron: string, ctx?: RequestContext): Promise<Outcome<{ patron: string }>>;
  /** SIP2 01: a self-check blocks a card (e.g. it retained it); staff lift it. */
  blockPatron(req: { patron: string; cardRetained: boolean; message: string }, ctx?: RequestContext): Promise<Outcome<{ patron: PatronSummary }>>;
  /** SIP2 25: lifts a block a self-check set. Blocks staff set stay. */
  enablePatron(patron: string, ctx?: RequestContext): Promise<Outcome<{ patron: PatronSummary }>>;
  /** SIP2 15 with mode "change": a new pickup place for an existing reservation. */
  changeHold(req: CancelHoldRequest & { pickupPlace: string }, ctx?: RequestContext): Promise<Outcome<HoldResult>>;
  /** SIP2 19: device data stored with the item (not circulation). */
  setItemProperties(req: { item: string; properties: string }, ctx?: RequestContext): Promise<Outcome<{ item: string; title: string }>>;
  /*
   * A locker vendor's own system over SIP2 (docs/locker-vendor.md). Optional: a backend without them
   * (the upstream SIP2 client) refuses the vendor's locker messages.
   */
  /** The reservation a copy is assigned to (O/W) with its pickup place, or null. */
  lockerVendorHold?(item: string, ctx?: RequestContext): Promise<Outcome<{ hold: LockerHold | null }>>;
  /** A patron's open reservations for pickup at these places. */
  lockerVendorPatron?(req: { patron: string; pickupPlaces: string[] }, ctx?: RequestContext): Promise<Outcome<LockerPatron>>;
  /** The vendor closed a compartment on a reserved copy: O → W with the locker expiry (§8.3 step 5). */
  lockerVendorLoad?(req: { item: string; pickupPlace: string; holdHours?: number }, ctx?: RequestContext): Promise<Outcome<{ hold: LockerHold; alreadyLoaded: boolean }>>;
  /** The patron opened the compartment: the loan is recorded and the hold fulfilled (§8.3 step 7). */
  lockerVendorPickup?(req: { patron: string; item: string; pickupPlaces: string[] }, ctx?: RequestContext): Promise<Outcome<LockerPickupResult>>;
  /** Not collected (or cancelled in the vendor's app): the hold closes and the copy moves on (§8.3 step 9). */
  lockerVendorRelease?(req: { patron: string; item: string; pickupPlaces: string[] }, ctx?: RequestContext): Promise<Outcome<LockerReleaseResult>>;
  close(): Promise<void>;
}

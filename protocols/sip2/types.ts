/**
 * Typed SIP2 2.00 messages: one interface per message, discriminated on `code` (the 2-char command
 * code). Field comments give the wire ID (`AA`) or the fixed-field width (`[18]`), per the
 * reference (`shared/reference/sip2.md` §5).
 *
 * Conventions
 * - Fixed fields are always present. Dates are `SipDateTime | null` (null = blank on the wire).
 * - Required variable fields are plain properties (decoded as `''` when missing, with a warning;
 *   encoded as an empty field `XX|` when empty). Optional ones are `?` and omitted when undefined.
 * - Repeatable fields (`AF`, `AG`, item lists, `BM`, `BN`) are `string[]`; decode always fills them
 *   (possibly `[]`).
 * - `extra` keeps fields this message's spec does not know (extensions, vendor fields) in wire
 *   order; encode re-emits them after the known fields.
 */
import type { SipDateTime } from './datetime.ts';

/** A field not in the message's spec, kept verbatim. */
export interface Sip2ExtraField {
  /** Two-character field ID, e.g. `CT`, `PB`. */
  id: string;
  value: string;
}

interface MessageBase {
  /** Unknown / extension fields, kept and re-emitted in order. */
  extra?: Sip2ExtraField[];
}

/** Y/N flags in a fixed field that also allow `U` ("unknown"): null = `U`. */
export type YesNoUnknown = boolean | null;

/** Patron status[14]: `Y` = condition true, space = false (positions 0–13). */
export interface PatronStatus {
  chargePrivilegesDenied: boolean;
  renewalPrivilegesDenied: boolean;
  recallPrivilegesDenied: boolean;
  holdPrivilegesDenied: boolean;
  cardReportedLost: boolean;
  tooManyItemsCharged: boolean;
  tooManyItemsOverdue: boolean;
  tooManyRenewals: boolean;
  tooManyClaimsOfItemsReturned: boolean;
  tooManyItemsLost: boolean;
  excessiveOutstandingFines: boolean;
  excessiveOutstandingFees: boolean;
  recallOverdue: boolean;
  tooManyItemsBilled: boolean;
}

export const PATRON_STATUS_FLAGS = [
  'chargePrivilegesDenied',
  'renewalPrivilegesDenied',
  'recallPrivilegesDenied',
  'holdPrivilegesDenied',
  'cardReportedLost',
  'tooManyItemsCharged',
  'tooManyItemsOverdue',
  'tooManyRenewals',
  'tooManyClaimsOfItemsReturned',
  'tooManyItemsLost',
  'excessiveOutstandingFines',
  'excessiveOutstandingFees',
  'recallOverdue',
  'tooManyItemsBilled',
] as const satisfies ReadonlyArray<keyof PatronStatus>;

/**
 * `63` summary[10]: which item list the SC wants (at most one `Y`, positions 0–5). Positions 6–9
 * are unused in 2.00 but some ACSs give them meaning (edge-sip2: position 6 = fee details), so
 * they are kept raw in `reserved` when not blank.
 */
export interface PatronSummary {
  /** position 0 → `AS` */
  holdItems: boolean;
  /** position 1 → `AT` */
  overdueItems: boolean;
  /** position 2 → `AU` */
  chargedItems: boolean;
  /** position 3 → `AV` */
  fineItems: boolean;
  /** position 4 → `BU` */
  recallItems: boolean;
  /** position 5 → `CD` */
  unavailableHolds: boolean;
  /** positions 6–9 verbatim (4 chars); omitted when all spaces. */
  reserved?: string;
}

export const PATRON_SUMMARY_FLAGS = [
  'holdItems',
  'overdueItems',
  'chargedItems',
  'fineItems',
  'recallItems',
  'unavailableHolds',
] as const satisfies ReadonlyArray<keyof PatronSummary>;

/** `98` `BX` supported messages[16], Y/N per position 0–15. */
export interface SupportedMessages {
  patronStatus: boolean; // 0: 23
  checkout: boolean; // 1: 11
  checkin: boolean; // 2: 09
  blockPatron: boolean; // 3: 01
  scAcsStatus: boolean; // 4: 99
  requestResend: boolean; // 5: 97/96
  login: boolean; // 6: 93
  patronInformation: boolean; // 7: 63
  endPatronSession: boolean; // 8: 35
  feePaid: boolean; // 9: 37
  itemInformation: boolean; // 10: 17
  itemStatusUpdate: boolean; // 11: 19
  patronEnable: boolean; // 12: 25
  hold: boolean; // 13: 15
  renew: boolean; // 14: 29
  renewAll: boolean; // 15: 65
}

export const SUPPORTED_MESSAGE_FLAGS = [
  'patronStatus',
  'checkout',
  'checkin',
  'blockPatron',
  'scAcsStatus',
  'requestResend',
  'login',
  'patronInformation',
  'endPatronSession',
  'feePaid',
  'itemInformation',
  'itemStatusUpdate',
  'patronEnable',
  'hold',
  'renew',
  'renewAll',
] as const satisfies ReadonlyArray<keyof SupportedMessages>;

/** `15` hold mode[1]: `+` add, `-` delete (cancel), `*` change. */
export type HoldMode = 'add' | 'cancel' | 'change';

// ---------------------------------------------------------------------------------------------
// 93 / 94 Login

export interface LoginRequest extends MessageBase {
  code: '93';
  /** UID algorithm[1]; `0` = plain text. */
  uidAlgorithm: string;
  /** PWD algorithm[1]; `0` = plain text. */
  pwdAlgorithm: string;
  /** CN login user id (terminal account) — required. */
  loginUserId: string;
  /** CO login password — required; masked in logs. */
  loginPassword: string;
  /** CP location code. */
  locationCode?: string;
}

export interface LoginResponse extends MessageBase {
  code: '94';
  /** ok[1]: `1` accepted, `0` refused. */
  ok: boolean;
  /** AF* — not in 2.00 for `94`, but some servers append it (reference §5). */
  screenMessage?: string[];
  /** AG* — as `AF`. */
  printLine?: string[];
}

// ---------------------------------------------------------------------------------------------
// 99 / 98 Status

export interface ScStatusRequest extends MessageBase {
  code: '99';
  /** status code[1]: `0` SC ok, `1` printer out of paper, `2` SC about to shut down. */
  statusCode: string;
  /** max print width[3] (characters). */
  maxPrintWidth: number | null;
  /** protocol version[4], `x.xx`, e.g. `2.00`. */
  protocolVersion: string;
}

export interface AcsStatusResponse extends MessageBase {
  code: '98';
  /** on-line status[1] Y/N */
  onlineStatus: boolean;
  /** checkin ok[1] Y/N */
  checkinOk: boolean;
  /** checkout ok[1] Y/N */
  checkoutOk: boolean;
  /** ACS renewal policy[1] Y/N */
  acsRenewalPolicy: boolean;
  /** status update ok[1] Y/N (patron blocking allowed) */
  statusUpdateOk: boolean;
  /** off-line ok[1] Y/N */
  offlineOk: boolean;
  /** timeout period[3], tenths of a second; `0` = ACS offline, `999` = unknown. */
  timeoutPeriod: number | null;
  /** retries allowed[3]; `999` = unknown. */
  retriesAllowed: number | null;
  /** date/time sync[18]; null is sent as 18 zeros ("unsupported"). */
  dateTimeSync: SipDateTime | null;
  /** protocol version[4] */
  protocolVersion: string;
  /** AO institution id — required. */
  institutionId: string;
  /** AM library name */
  libraryName?: string;
  /** BX supported messages[16] — required. */
  supportedMessages: SupportedMessages;
  /** AN terminal location */
  terminalLocation?: string;
  /** AF* screen message */
  screenMessage?: string[];
  /** AG* print line */
  printLine?: string[];
}

// ---------------------------------------------------------------------------------------------
// 23 / 24 Patron status, 01 Block patron

export interface PatronStatusRequest extends MessageBase {
  code: '23';
  /** language[3] (`000` unknown, `001` English, …) */
  language: string;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO institution id — required. */
  institutionId: string;
  /** AA patron identifier — required. */
  patronIdentifier: string;
  /** AC terminal password — required (may be empty); masked in logs. */
  terminalPassword: string;
  /** AD patron password — required (may be empty); masked in logs. */
  patronPassword: string;
}

export interface PatronStatusResponse extends MessageBase {
  code: '24';
  /** patron status[14] */
  patronStatus: PatronStatus;
  /** language[3] */
  language: string;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AE personal name — required. */
  personalName: string;
  /** BL valid patron Y/N */
  validPatron?: boolean;
  /** CQ valid patron password Y/N */
  validPatronPassword?: boolean;
  /** BH currency type[3] */
  currencyType?: string;
  /** BV fee amount */
  feeAmount?: string;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
}

export interface BlockPatronRequest extends MessageBase {
  code: '01';
  /** card retained[1] Y/N */
  cardRetained: boolean;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AL blocked card msg — required. */
  blockedCardMessage: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AC — required; masked in logs. */
  terminalPassword: string;
}

// ---------------------------------------------------------------------------------------------
// 63 / 64 Patron information

export interface PatronInformationRequest extends MessageBase {
  code: '63';
  /** language[3] */
  language: string;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** summary[10] */
  summary: PatronSummary;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AC terminal password; masked in logs. */
  terminalPassword?: string;
  /** AD patron password; masked in logs. */
  patronPassword?: string;
  /** BP start item (1-based) */
  startItem?: number;
  /** BQ end item (1-based, inclusive) */
  endItem?: number;
}

export interface PatronInformationResponse extends MessageBase {
  code: '64';
  /** patron status[14] */
  patronStatus: PatronStatus;
  /** language[3] */
  language: string;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** hold items count[4]; null = 4 spaces (unsupported) */
  holdItemsCount: number | null;
  /** overdue items count[4] */
  overdueItemsCount: number | null;
  /** charged items count[4] */
  chargedItemsCount: number | null;
  /** fine items count[4] */
  fineItemsCount: number | null;
  /** recall items count[4] */
  recallItemsCount: number | null;
  /** unavailable holds count[4] */
  unavailableHoldsCount: number | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AE — required. */
  personalName: string;
  /** BZ hold items limit[4] */
  holdItemsLimit?: number;
  /** CA overdue items limit[4] */
  overdueItemsLimit?: number;
  /** CB charged items limit[4] */
  chargedItemsLimit?: number;
  /** BL valid patron */
  validPatron?: boolean;
  /** CQ valid patron password */
  validPatronPassword?: boolean;
  /** BH currency type[3] */
  currencyType?: string;
  /** BV fee amount */
  feeAmount?: string;
  /** CC fee limit */
  feeLimit?: string;
  /** AS* hold items (our choice: ready for pickup) */
  holdItems?: string[];
  /** AT* overdue items */
  overdueItems?: string[];
  /** AU* charged items */
  chargedItems?: string[];
  /** AV* fine items */
  fineItems?: string[];
  /** BU* recall items */
  recallItems?: string[];
  /** CD* unavailable hold items (our choice: not yet available) */
  unavailableHoldItems?: string[];
  /** BD home address */
  homeAddress?: string;
  /** BE e-mail address */
  emailAddress?: string;
  /** BF home phone number */
  homePhoneNumber?: string;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
}

// ---------------------------------------------------------------------------------------------
// 11 / 12 Checkout

export interface CheckoutRequest extends MessageBase {
  code: '11';
  /** SC renewal policy[1] Y/N */
  scRenewalPolicy: boolean;
  /** no block[1] Y/N — Y: done offline already, do not refuse */
  noBlock: boolean;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** nb due date[18] (routinely blank) */
  nbDueDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AB item identifier — required. */
  itemIdentifier: string;
  /** AC — required; masked in logs. */
  terminalPassword: string;
  /** CH item properties */
  itemProperties?: string;
  /** AD patron password; masked in logs. */
  patronPassword?: string;
  /** BO fee acknowledged Y/N */
  feeAcknowledged?: boolean;
  /** BI cancel Y/N (undo a failed checkin) */
  cancel?: boolean;
}

/** Shared shape of `12` Checkout Response and `30` Renew Response. */
interface CheckoutLikeResponse extends MessageBase {
  /** ok[1] 1/0 */
  ok: boolean;
  /** renewal ok[1] Y/N */
  renewalOk: boolean;
  /** magnetic media[1] Y/N/U (null = U) */
  magneticMedia: YesNoUnknown;
  /** desensitize[1] Y/N/U (null = U, obsolete = N) */
  desensitize: YesNoUnknown;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AB — required. */
  itemIdentifier: string;
  /** AJ title identifier — required (may be empty on failure). */
  titleIdentifier: string;
  /** AH due date — required; free format, we send the 18-char SIP date. */
  dueDate: string;
  /** BT fee type[2] */
  feeType?: string;
  /** CI security inhibit Y/N */
  securityInhibit?: boolean;
  /** BH currency type[3] */
  currencyType?: string;
  /** BV fee amount */
  feeAmount?: string;
  /** CK media type[3] */
  mediaType?: string;
  /** CH item properties */
  itemProperties?: string;
  /** BK transaction id */
  transactionId?: string;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
}

export interface CheckoutResponse extends CheckoutLikeResponse {
  code: '12';
}

// ---------------------------------------------------------------------------------------------
// 09 / 10 Checkin

export interface CheckinRequest extends MessageBase {
  code: '09';
  /** no block[1] Y/N */
  noBlock: boolean;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** return date[18] (when the item was actually returned) */
  returnDate: SipDateTime | null;
  /** AP current location — required. */
  currentLocation: string;
  /** AO — required. */
  institutionId: string;
  /** AB — required. */
  itemIdentifier: string;
  /** AC — required; masked in logs. */
  terminalPassword: string;
  /** CH item properties */
  itemProperties?: string;
  /** BI cancel Y/N (undo a failed checkout) */
  cancel?: boolean;
}

export interface CheckinResponse extends MessageBase {
  code: '10';
  /** ok[1] 1/0 */
  ok: boolean;
  /** resensitize[1] Y/N */
  resensitize: boolean;
  /** magnetic media[1] Y/N/U (null = U) */
  magneticMedia: YesNoUnknown;
  /** alert[1] Y/N */
  alert: boolean;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AB — required. */
  itemIdentifier: string;
  /** AQ permanent location — required. */
  permanentLocation: string;
  /** AJ title identifier */
  titleIdentifier?: string;
  /** CL sort bin */
  sortBin?: string;
  /** AA patron identifier (who had it) */
  patronIdentifier?: string;
  /** CK media type[3] */
  mediaType?: string;
  /** CH item properties */
  itemProperties?: string;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
  /** CR collection code — 3M extension (reference §6), not 2.00. */
  collectionCode?: string;
  /** CS call number — 3M extension. */
  callNumber?: string;
  /** CT destination location — 3M extension (sorters). */
  destinationLocation?: string;
  /** CV alert type[2] — 3M extension: `00` unknown, `01` local hold, `02` remote hold, `03` ILL, `04` transfer, `99` other. */
  alertType?: string;
  /** CY hold patron id — 3M extension. */
  holdPatronId?: string;
  /** DA hold patron name — 3M extension. */
  holdPatronName?: string;
}

// ---------------------------------------------------------------------------------------------
// 29 / 30 Renew, 65 / 66 Renew all

export interface RenewRequest extends MessageBase {
  code: '29';
  /** third party allowed[1] Y/N */
  thirdPartyAllowed: boolean;
  /** no block[1] Y/N */
  noBlock: boolean;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** nb due date[18] */
  nbDueDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AD patron password; masked in logs. */
  patronPassword?: string;
  /** AB item identifier (AB or AJ needed) */
  itemIdentifier?: string;
  /** AJ title identifier */
  titleIdentifier?: string;
  /** AC terminal password; masked in logs. */
  terminalPassword?: string;
  /** CH item properties */
  itemProperties?: string;
  /** BO fee acknowledged Y/N */
  feeAcknowledged?: boolean;
}

export interface RenewResponse extends CheckoutLikeResponse {
  code: '30';
}

export interface RenewAllRequest extends MessageBase {
  code: '65';
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AD; masked in logs. */
  patronPassword?: string;
  /** AC; masked in logs. */
  terminalPassword?: string;
  /** BO fee acknowledged Y/N */
  feeAcknowledged?: boolean;
}

export interface RenewAllResponse extends MessageBase {
  code: '66';
  /** ok[1] 1/0 */
  ok: boolean;
  /** renewed count[4] */
  renewedCount: number | null;
  /** unrenewed count[4] */
  unrenewedCount: number | null;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. (`66` has no `AA`.) */
  institutionId: string;
  /** BM* renewed items */
  renewedItems?: string[];
  /** BN* unrenewed items */
  unrenewedItems?: string[];
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
}

// ---------------------------------------------------------------------------------------------
// 17 / 18 Item information, 19 / 20 Item status update

export interface ItemInformationRequest extends MessageBase {
  code: '17';
  /** transaction date[18] (no language) */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AB — required. */
  itemIdentifier: string;
  /** AC; masked in logs. */
  terminalPassword?: string;
}

export interface ItemInformationResponse extends MessageBase {
  code: '18';
  /** circulation status[2] (`01`–`13`, see CIRCULATION_STATUS) */
  circulationStatus: string;
  /** security marker[2] (`00`–`03`) */
  securityMarker: string;
  /** fee type[2] (`01`–`09`) */
  feeType: string;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** CF hold queue length */
  holdQueueLength?: number;
  /** AH due date (free format) */
  dueDate?: string;
  /** CJ recall date[18] */
  recallDate?: SipDateTime | null;
  /** CM hold pickup date[18] ("hold waiting until") */
  holdPickupDate?: SipDateTime | null;
  /** AB — required. */
  itemIdentifier: string;
  /** AJ — required (empty for an unknown item). */
  titleIdentifier: string;
  /** BG owner */
  owner?: string;
  /** BH currency type[3] */
  currencyType?: string;
  /** BV fee amount */
  feeAmount?: string;
  /** CK media type[3] */
  mediaType?: string;
  /** AQ permanent location */
  permanentLocation?: string;
  /** AP current location */
  currentLocation?: string;
  /** CH item properties */
  itemProperties?: string;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
  /** CR collection code — 3M extension, not 2.00. */
  collectionCode?: string;
  /** CS call number — 3M extension. */
  callNumber?: string;
  /** CT destination location — 3M extension. */
  destinationLocation?: string;
}

export interface ItemStatusUpdateRequest extends MessageBase {
  code: '19';
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AB — required. */
  itemIdentifier: string;
  /** AC; masked in logs. */
  terminalPassword?: string;
  /** CH item properties — required. */
  itemProperties: string;
}

export interface ItemStatusUpdateResponse extends MessageBase {
  code: '20';
  /** item properties ok[1]: `1` = stored, anything else = not stored. */
  itemPropertiesOk: boolean;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AB — required. */
  itemIdentifier: string;
  /** AJ */
  titleIdentifier?: string;
  /** CH */
  itemProperties?: string;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
}

// ---------------------------------------------------------------------------------------------
// 25 / 26 Patron enable

export interface PatronEnableRequest extends MessageBase {
  code: '25';
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AC; masked in logs. */
  terminalPassword?: string;
  /** AD; masked in logs. */
  patronPassword?: string;
}

export interface PatronEnableResponse extends MessageBase {
  code: '26';
  /** patron status[14] */
  patronStatus: PatronStatus;
  /** language[3] */
  language: string;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AE — required. */
  personalName: string;
  /** BL valid patron */
  validPatron?: boolean;
  /** CQ valid patron password */
  validPatronPassword?: boolean;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
}

// ---------------------------------------------------------------------------------------------
// 15 / 16 Hold

export interface HoldRequest extends MessageBase {
  code: '15';
  /** hold mode[1]: `+` add, `-` cancel, `*` change */
  holdMode: HoldMode;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** BW expiration date[18] */
  expirationDate?: SipDateTime | null;
  /** BS pickup location */
  pickupLocation?: string;
  /** BY hold type[1]: `1` other, `2` any copy of title, `3` specific copy, `4` any copy at a location */
  holdType?: string;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AD; masked in logs. */
  patronPassword?: string;
  /** AB item identifier (AB or AJ needed) */
  itemIdentifier?: string;
  /** AJ title identifier */
  titleIdentifier?: string;
  /** AC; masked in logs. */
  terminalPassword?: string;
  /** BO fee acknowledged Y/N */
  feeAcknowledged?: boolean;
}

export interface HoldResponse extends MessageBase {
  code: '16';
  /** ok[1] 1/0 */
  ok: boolean;
  /** available[1] Y/N */
  available: boolean;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** BW expiration date[18] */
  expirationDate?: SipDateTime | null;
  /** BR queue position */
  queuePosition?: number;
  /** BS pickup location */
  pickupLocation?: string;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AB */
  itemIdentifier?: string;
  /** AJ */
  titleIdentifier?: string;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
}

// ---------------------------------------------------------------------------------------------
// 35 / 36 End patron session

export interface EndPatronSessionRequest extends MessageBase {
  code: '35';
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AC; masked in logs. */
  terminalPassword?: string;
  /** AD; masked in logs. */
  patronPassword?: string;
}

export interface EndSessionResponse extends MessageBase {
  code: '36';
  /** end session[1] Y/N (N = error) */
  endSession: boolean;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
}

// ---------------------------------------------------------------------------------------------
// 37 / 38 Fee paid

export interface FeePaidRequest extends MessageBase {
  code: '37';
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** fee type[2] (`01`–`09`) */
  feeType: string;
  /** payment type[2] (`00` cash, `01` VISA, `02` credit card, vendor codes) */
  paymentType: string;
  /** currency type[3] (ISO 4217; not validated against a list) */
  currencyType: string;
  /** BV fee amount — required (amount paid). */
  feeAmount: string;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** AC; masked in logs. */
  terminalPassword?: string;
  /** AD; masked in logs. */
  patronPassword?: string;
  /** CG fee identifier */
  feeIdentifier?: string;
  /** BK transaction id (payment device's) */
  transactionId?: string;
}

export interface FeePaidResponse extends MessageBase {
  code: '38';
  /** payment accepted[1] Y/N */
  paymentAccepted: boolean;
  /** transaction date[18] */
  transactionDate: SipDateTime | null;
  /** AO — required. */
  institutionId: string;
  /** AA — required. */
  patronIdentifier: string;
  /** BK transaction id (ACS receipt id) */
  transactionId?: string;
  /** AF* */
  screenMessage?: string[];
  /** AG* */
  printLine?: string[];
}

// ---------------------------------------------------------------------------------------------
// 97 / 96 Resend

/** `97` SC → ACS: resend your last reply. No fields; with error detection only `AZ`. */
export interface RequestAcsResend extends MessageBase {
  code: '97';
}

/** `96` ACS → SC: your last message was corrupt, send it again. No fields. */
export interface RequestScResend extends MessageBase {
  code: '96';
}

// ---------------------------------------------------------------------------------------------

/** Messages the SC (kiosk, locker, sorter) sends. */
export type Sip2Request =
  | LoginRequest
  | ScStatusRequest
  | PatronStatusRequest
  | BlockPatronRequest
  | PatronInformationRequest
  | CheckoutRequest
  | CheckinRequest
  | RenewRequest
  | RenewAllRequest
  | ItemInformationRequest
  | ItemStatusUpdateRequest
  | PatronEnableRequest
  | HoldRequest
  | EndPatronSessionRequest
  | FeePaidRequest
  | RequestAcsResend;

/** Messages the ACS (circulation system, our bridge) sends. */
export type Sip2Response =
  | LoginResponse
  | AcsStatusResponse
  | PatronStatusResponse
  | PatronInformationResponse
  | CheckoutResponse
  | CheckinResponse
  | RenewResponse
  | RenewAllResponse
  | ItemInformationResponse
  | ItemStatusUpdateResponse
  | PatronEnableResponse
  | HoldResponse
  | EndSessionResponse
  | FeePaidResponse
  | RequestScResend;

export type Sip2Message = Sip2Request | Sip2Response;

export type Sip2CommandCode = Sip2Message['code'];

export type Sip2MessageOf<C extends Sip2CommandCode> = Extract<Sip2Message, { code: C }>;

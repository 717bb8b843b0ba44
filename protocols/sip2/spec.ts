/**
 * The message table: one spec per SIP2 2.00 message (reference §5 and the split table in §7).
 * `encode` and `decode` in codec.ts are driven entirely by it.
 *
 * - `fixed`: fields without IDs, in wire order, with their exact widths.
 * - `fields`: ID'd fields in the order we emit them (decode accepts any order). `required` fields
 *   are always emitted (possibly empty, e.g. `AC|`); `list` fields may repeat.
 * - `overlong`: how to read a fixed part that is LONGER than the spec. Koha's own CLI puts a language
 *   in front of `17`'s transaction date (reference §1 Practice), so single-date fixed parts take their
 *   characters from the right; the rest from the left.
 */
import type {
  AcsStatusResponse,
  BlockPatronRequest,
  CheckinRequest,
  CheckinResponse,
  CheckoutRequest,
  CheckoutResponse,
  EndPatronSessionRequest,
  EndSessionResponse,
  FeePaidRequest,
  FeePaidResponse,
  HoldRequest,
  HoldResponse,
  ItemInformationRequest,
  ItemInformationResponse,
  ItemStatusUpdateRequest,
  ItemStatusUpdateResponse,
  LoginRequest,
  LoginResponse,
  PatronEnableRequest,
  PatronEnableResponse,
  PatronInformationRequest,
  PatronInformationResponse,
  PatronStatusRequest,
  PatronStatusResponse,
  RenewAllRequest,
  RenewAllResponse,
  RenewRequest,
  RenewResponse,
  RequestAcsResend,
  RequestScResend,
  ScStatusRequest,
  Sip2CommandCode,
  Sip2Message,
  Sip2MessageOf,
  Sip2Request,
  Sip2Response,
} from './types.ts';

export type FixedFieldKind =
  /** `Y`/`N` → boolean */
  | { kind: 'flag' }
  /** `Y`/`N`/`U` → boolean | null */
  | { kind: 'flagOrUnknown' }
  /** `1`/`0` → boolean */
  | { kind: 'ok' }
  /** 18-char date → SipDateTime | null; null is written as 18 `blank` characters. */
  | { kind: 'date'; blank?: ' ' | '0' }
  /** zero-padded number, `width` spaces = null ("unsupported") */
  | { kind: 'count'; width: number }
  /** numeric code kept as a string, zero-padded on the left (`language`, `fee type`…) */
  | { kind: 'digits'; width: number }
  /** free characters kept as a string, space-padded on the right (`currency`, `protocol version`) */
  | { kind: 'text'; width: number }
  /** 14 Y/space flags → PatronStatus */
  | { kind: 'patronStatus' }
  /** 10 Y/space positions → PatronSummary */
  | { kind: 'summary' }
  /** `+`/`-`/`*` → HoldMode */
  | { kind: 'holdMode' };

export type FixedFieldSpec<K extends string = string> = FixedFieldKind & { key: K };

export type VariableFieldKind =
  /** one string */
  | 'text'
  /** repeatable: string[] */
  | 'list'
  /** `Y`/`N` → boolean */
  | 'flag'
  /** decimal number (zero-padded to `width` when given) */
  | 'number'
  /** 18-char date → SipDateTime | null */
  | 'date'
  /** `BX` 16 Y/N positions → SupportedMessages */
  | 'supportedMessages';

export interface VariableFieldSpec<K extends string = string> {
  /** Two-character field ID on the wire. */
  id: string;
  /** Property name in the message interface. */
  key: K;
  kind: VariableFieldKind;
  required: boolean;
  /** Fixed width of the value, for fields such as `BZ` hold items limit[4]. */
  width?: number;
}

/** Keys of a message interface that map to wire fields. */
export type FieldKey<M> = Exclude<keyof M, 'code' | 'extra'> & string;

export interface MessageSpec<M extends Sip2Message = Sip2Message> {
  code: M['code'];
  /** Name as in the 3M document. */
  name: string;
  direction: 'request' | 'response';
  fixed: ReadonlyArray<FixedFieldSpec<FieldKey<M>>>;
  fields: ReadonlyArray<VariableFieldSpec<FieldKey<M>>>;
  overlong: 'left' | 'right';
}

export function fixedFieldWidth(field: FixedFieldKind): number {
  switch (field.kind) {
    case 'flag':
    case 'flagOrUnknown':
    case 'ok':
    case 'holdMode':
      return 1;
    case 'date':
      return 18;
    case 'patronStatus':
      return 14;
    case 'summary':
      return 10;
    case 'count':
    case 'digits':
    case 'text':
      return field.width;
  }
}

/** Characters between the 2-char command code and the first ID'd field. */
export function fixedPartWidth(spec: MessageSpec): number {
  return spec.fixed.reduce((sum, f) => sum + fixedFieldWidth(f), 0);
}

// ---- builders (keep the table below readable) ----

const flag = <K extends string>(key: K): FixedFieldSpec<K> => ({ key, kind: 'flag' });
const flagU = <K extends string>(key: K): FixedFieldSpec<K> => ({ key, kind: 'flagOrUnknown' });
const ok = <K extends string>(key: K): FixedFieldSpec<K> => ({ key, kind: 'ok' });
const date = <K extends string>(key: K, blank: ' ' | '0' = ' '): FixedFieldSpec<K> => ({ key, kind: 'date', blank });
const count = <K extends string>(key: K, width: number): FixedFieldSpec<K> => ({ key, kind: 'count', width });
const digits = <K extends string>(key: K, width: number): FixedFieldSpec<K> => ({ key, kind: 'digits', width });
const chars = <K extends string>(key: K, width: number): FixedFieldSpec<K> => ({ key, kind: 'text', width });
const patronStatus = <K extends string>(key: K): FixedFieldSpec<K> => ({ key, kind: 'patronStatus' });
const summary = <K extends string>(key: K): FixedFieldSpec<K> => ({ key, kind: 'summary' });
const holdMode = <K extends string>(key: K): FixedFieldSpec<K> => ({ key, kind: 'holdMode' });

const field =
  (kind: VariableFieldKind, required: boolean) =>
  <K extends string>(id: string, key: K, width?: number): VariableFieldSpec<K> =>
    width === undefined ? { id, key, kind, required } : { id, key, kind, required, width };

/** required text */
const R = field('text', true);
/** optional text */
const O = field('text', false);
/** repeatable */
const L = field('list', false);
/** optional Y/N */
const YN = field('flag', false);
/** optional number */
const N = field('number', false);
/** optional 18-char date */
const D = field('date', false);

const AF = L('AF', 'screenMessage');
const AG = L('AG', 'printLine');

function spec<M extends Sip2Message>(s: Omit<MessageSpec<M>, 'overlong'> & { overlong?: 'left' | 'right' }): MessageSpec<M> {
  return { ...s, overlong: s.overlong ?? 'left' };
}

// ---- the table ----

const login = spec<LoginRequest>({
  code: '93',
  name: 'Login',
  direction: 'request',
  fixed: [chars('uidAlgorithm', 1), chars('pwdAlgorithm', 1)],
  fields: [R('CN', 'loginUserId'), R('CO', 'loginPassword'), O('CP', 'locationCode')],
});

const loginResponse = spec<LoginResponse>({
  code: '94',
  name: 'Login Response',
  direction: 'response',
  fixed: [ok('ok')],
  fields: [AF, AG],
});

const scStatus = spec<ScStatusRequest>({
  code: '99',
  name: 'SC Status',
  direction: 'request',
  fixed: [digits('statusCode', 1), count('maxPrintWidth', 3), chars('protocolVersion', 4)],
  fields: [],
});

const acsStatus = spec<AcsStatusResponse>({
  code: '98',
  name: 'ACS Status',
  direction: 'response',
  fixed: [
    flag('onlineStatus'),
    flag('checkinOk'),
    flag('checkoutOk'),
    flag('acsRenewalPolicy'),
    flag('statusUpdateOk'),
    flag('offlineOk'),
    count('timeoutPeriod', 3),
    count('retriesAllowed', 3),
    date('dateTimeSync', '0'),
    chars('protocolVersion', 4),
  ],
  fields: [
    R('AO', 'institutionId'),
    O('AM', 'libraryName'),
    { id: 'BX', key: 'supportedMessages', kind: 'supportedMessages', required: true },
    O('AN', 'terminalLocation'),
    AF,
    AG,
  ],
});

const patronStatusRequest = spec<PatronStatusRequest>({
  code: '23',
  name: 'Patron Status Request',
  direction: 'request',
  fixed: [digits('language', 3), date('transactionDate')],
  fields: [R('AO', 'institutionId'), R('AA', 'patronIdentifier'), R('AC', 'terminalPassword'), R('AD', 'patronPassword')],
});

const patronStatusResponse = spec<PatronStatusResponse>({
  code: '24',
  name: 'Patron Status Response',
  direction: 'response',
  fixed: [patronStatus('patronStatus'), digits('language', 3), date('transactionDate')],
  fields: [
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    R('AE', 'personalName'),
    YN('BL', 'validPatron'),
    YN('CQ', 'validPatronPassword'),
    O('BH', 'currencyType'),
    O('BV', 'feeAmount'),
    AF,
    AG,
  ],
});

const blockPatron = spec<BlockPatronRequest>({
  code: '01',
  name: 'Block Patron',
  direction: 'request',
  fixed: [flag('cardRetained'), date('transactionDate')],
  fields: [R('AO', 'institutionId'), R('AL', 'blockedCardMessage'), R('AA', 'patronIdentifier'), R('AC', 'terminalPassword')],
});

const patronInformation = spec<PatronInformationRequest>({
  code: '63',
  name: 'Patron Information',
  direction: 'request',
  fixed: [digits('language', 3), date('transactionDate'), summary('summary')],
  fields: [
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    O('AC', 'terminalPassword'),
    O('AD', 'patronPassword'),
    N('BP', 'startItem'),
    N('BQ', 'endItem'),
  ],
});

const patronInformationResponse = spec<PatronInformationResponse>({
  code: '64',
  name: 'Patron Information Response',
  direction: 'response',
  fixed: [
    patronStatus('patronStatus'),
    digits('language', 3),
    date('transactionDate'),
    count('holdItemsCount', 4),
    count('overdueItemsCount', 4),
    count('chargedItemsCount', 4),
    count('fineItemsCount', 4),
    count('recallItemsCount', 4),
    count('unavailableHoldsCount', 4),
  ],
  fields: [
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    R('AE', 'personalName'),
    N('BZ', 'holdItemsLimit', 4),
    N('CA', 'overdueItemsLimit', 4),
    N('CB', 'chargedItemsLimit', 4),
    YN('BL', 'validPatron'),
    YN('CQ', 'validPatronPassword'),
    O('BH', 'currencyType'),
    O('BV', 'feeAmount'),
    O('CC', 'feeLimit'),
    L('AS', 'holdItems'),
    L('AT', 'overdueItems'),
    L('AU', 'chargedItems'),
    L('AV', 'fineItems'),
    L('BU', 'recallItems'),
    L('CD', 'unavailableHoldItems'),
    O('BD', 'homeAddress'),
    O('BE', 'emailAddress'),
    O('BF', 'homePhoneNumber'),
    AF,
    AG,
  ],
});

const checkout = spec<CheckoutRequest>({
  code: '11',
  name: 'Checkout',
  direction: 'request',
  fixed: [flag('scRenewalPolicy'), flag('noBlock'), date('transactionDate'), date('nbDueDate')],
  fields: [
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    R('AB', 'itemIdentifier'),
    R('AC', 'terminalPassword'),
    O('CH', 'itemProperties'),
    O('AD', 'patronPassword'),
    YN('BO', 'feeAcknowledged'),
    YN('BI', 'cancel'),
  ],
});

// `12` and `30` share one layout (reference §5: "30 … same as 12"); their key sets are identical.
const checkoutLikeFixed: ReadonlyArray<FixedFieldSpec<FieldKey<CheckoutResponse>>> = [
  ok('ok'),
  flag('renewalOk'),
  flagU('magneticMedia'),
  flagU('desensitize'),
  date('transactionDate'),
];

const checkoutLikeFields: ReadonlyArray<VariableFieldSpec<FieldKey<CheckoutResponse>>> = [
  R('AO', 'institutionId'),
  R('AA', 'patronIdentifier'),
  R('AB', 'itemIdentifier'),
  R('AJ', 'titleIdentifier'),
  R('AH', 'dueDate'),
  O('BT', 'feeType'),
  YN('CI', 'securityInhibit'),
  O('BH', 'currencyType'),
  O('BV', 'feeAmount'),
  O('CK', 'mediaType'),
  O('CH', 'itemProperties'),
  O('BK', 'transactionId'),
  AF,
  AG,
];

const checkoutResponse = spec<CheckoutResponse>({
  code: '12',
  name: 'Checkout Response',
  direction: 'response',
  fixed: checkoutLikeFixed,
  fields: checkoutLikeFields,
});

const renewResponse = spec<RenewResponse>({
  code: '30',
  name: 'Renew Response',
  direction: 'response',
  fixed: checkoutLikeFixed,
  fields: checkoutLikeFields,
});

const checkin = spec<CheckinRequest>({
  code: '09',
  name: 'Checkin',
  direction: 'request',
  fixed: [flag('noBlock'), date('transactionDate'), date('returnDate')],
  fields: [
    R('AP', 'currentLocation'),
    R('AO', 'institutionId'),
    R('AB', 'itemIdentifier'),
    R('AC', 'terminalPassword'),
    O('CH', 'itemProperties'),
    YN('BI', 'cancel'),
  ],
});

const checkinResponse = spec<CheckinResponse>({
  code: '10',
  name: 'Checkin Response',
  direction: 'response',
  fixed: [ok('ok'), flag('resensitize'), flagU('magneticMedia'), flag('alert'), date('transactionDate')],
  fields: [
    R('AO', 'institutionId'),
    R('AB', 'itemIdentifier'),
    R('AQ', 'permanentLocation'),
    O('AJ', 'titleIdentifier'),
    O('CL', 'sortBin'),
    O('AA', 'patronIdentifier'),
    O('CK', 'mediaType'),
    O('CH', 'itemProperties'),
    // 3M extensions (reference §6): sorters and return machines key off these.
    O('CR', 'collectionCode'),
    O('CS', 'callNumber'),
    O('CT', 'destinationLocation'),
    O('CV', 'alertType'),
    O('CY', 'holdPatronId'),
    O('DA', 'holdPatronName'),
    AF,
    AG,
  ],
});

const renew = spec<RenewRequest>({
  code: '29',
  name: 'Renew',
  direction: 'request',
  fixed: [flag('thirdPartyAllowed'), flag('noBlock'), date('transactionDate'), date('nbDueDate')],
  fields: [
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    O('AD', 'patronPassword'),
    O('AB', 'itemIdentifier'),
    O('AJ', 'titleIdentifier'),
    O('AC', 'terminalPassword'),
    O('CH', 'itemProperties'),
    YN('BO', 'feeAcknowledged'),
  ],
});

const renewAll = spec<RenewAllRequest>({
  code: '65',
  name: 'Renew All',
  direction: 'request',
  fixed: [date('transactionDate')],
  fields: [
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    O('AD', 'patronPassword'),
    O('AC', 'terminalPassword'),
    YN('BO', 'feeAcknowledged'),
  ],
  overlong: 'right',
});

const renewAllResponse = spec<RenewAllResponse>({
  code: '66',
  name: 'Renew All Response',
  direction: 'response',
  fixed: [ok('ok'), count('renewedCount', 4), count('unrenewedCount', 4), date('transactionDate')],
  fields: [R('AO', 'institutionId'), L('BM', 'renewedItems'), L('BN', 'unrenewedItems'), AF, AG],
});

const itemInformation = spec<ItemInformationRequest>({
  code: '17',
  name: 'Item Information',
  direction: 'request',
  fixed: [date('transactionDate')],
  fields: [R('AO', 'institutionId'), R('AB', 'itemIdentifier'), O('AC', 'terminalPassword')],
  overlong: 'right',
});

const itemInformationResponse = spec<ItemInformationResponse>({
  code: '18',
  name: 'Item Information Response',
  direction: 'response',
  fixed: [digits('circulationStatus', 2), digits('securityMarker', 2), digits('feeType', 2), date('transactionDate')],
  fields: [
    N('CF', 'holdQueueLength'),
    O('AH', 'dueDate'),
    D('CJ', 'recallDate'),
    D('CM', 'holdPickupDate'),
    R('AB', 'itemIdentifier'),
    R('AJ', 'titleIdentifier'),
    O('BG', 'owner'),
    O('BH', 'currencyType'),
    O('BV', 'feeAmount'),
    O('CK', 'mediaType'),
    O('AQ', 'permanentLocation'),
    O('AP', 'currentLocation'),
    O('CH', 'itemProperties'),
    O('CR', 'collectionCode'),
    O('CS', 'callNumber'),
    O('CT', 'destinationLocation'),
    AF,
    AG,
  ],
});

const itemStatusUpdate = spec<ItemStatusUpdateRequest>({
  code: '19',
  name: 'Item Status Update',
  direction: 'request',
  fixed: [date('transactionDate')],
  fields: [R('AO', 'institutionId'), R('AB', 'itemIdentifier'), O('AC', 'terminalPassword'), R('CH', 'itemProperties')],
  overlong: 'right',
});

const itemStatusUpdateResponse = spec<ItemStatusUpdateResponse>({
  code: '20',
  name: 'Item Status Update Response',
  direction: 'response',
  fixed: [ok('itemPropertiesOk'), date('transactionDate')],
  fields: [R('AB', 'itemIdentifier'), O('AJ', 'titleIdentifier'), O('CH', 'itemProperties'), AF, AG],
});

const patronEnable = spec<PatronEnableRequest>({
  code: '25',
  name: 'Patron Enable',
  direction: 'request',
  fixed: [date('transactionDate')],
  fields: [R('AO', 'institutionId'), R('AA', 'patronIdentifier'), O('AC', 'terminalPassword'), O('AD', 'patronPassword')],
  overlong: 'right',
});

const patronEnableResponse = spec<PatronEnableResponse>({
  code: '26',
  name: 'Patron Enable Response',
  direction: 'response',
  fixed: [patronStatus('patronStatus'), digits('language', 3), date('transactionDate')],
  fields: [
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    R('AE', 'personalName'),
    YN('BL', 'validPatron'),
    YN('CQ', 'validPatronPassword'),
    AF,
    AG,
  ],
});

const hold = spec<HoldRequest>({
  code: '15',
  name: 'Hold',
  direction: 'request',
  fixed: [holdMode('holdMode'), date('transactionDate')],
  fields: [
    D('BW', 'expirationDate'),
    O('BS', 'pickupLocation'),
    O('BY', 'holdType'),
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    O('AD', 'patronPassword'),
    O('AB', 'itemIdentifier'),
    O('AJ', 'titleIdentifier'),
    O('AC', 'terminalPassword'),
    YN('BO', 'feeAcknowledged'),
  ],
});

const holdResponse = spec<HoldResponse>({
  code: '16',
  name: 'Hold Response',
  direction: 'response',
  fixed: [ok('ok'), flag('available'), date('transactionDate')],
  fields: [
    D('BW', 'expirationDate'),
    N('BR', 'queuePosition'),
    O('BS', 'pickupLocation'),
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    O('AB', 'itemIdentifier'),
    O('AJ', 'titleIdentifier'),
    AF,
    AG,
  ],
});

const endPatronSession = spec<EndPatronSessionRequest>({
  code: '35',
  name: 'End Patron Session',
  direction: 'request',
  fixed: [date('transactionDate')],
  fields: [R('AO', 'institutionId'), R('AA', 'patronIdentifier'), O('AC', 'terminalPassword'), O('AD', 'patronPassword')],
  overlong: 'right',
});

const endSessionResponse = spec<EndSessionResponse>({
  code: '36',
  name: 'End Session Response',
  direction: 'response',
  fixed: [flag('endSession'), date('transactionDate')],
  fields: [R('AO', 'institutionId'), R('AA', 'patronIdentifier'), AF, AG],
});

const feePaid = spec<FeePaidRequest>({
  code: '37',
  name: 'Fee Paid',
  direction: 'request',
  fixed: [date('transactionDate'), digits('feeType', 2), digits('paymentType', 2), chars('currencyType', 3)],
  fields: [
    R('BV', 'feeAmount'),
    R('AO', 'institutionId'),
    R('AA', 'patronIdentifier'),
    O('AC', 'terminalPassword'),
    O('AD', 'patronPassword'),
    O('CG', 'feeIdentifier'),
    O('BK', 'transactionId'),
  ],
});

const feePaidResponse = spec<FeePaidResponse>({
  code: '38',
  name: 'Fee Paid Response',
  direction: 'response',
  fixed: [flag('paymentAccepted'), date('transactionDate')],
  fields: [R('AO', 'institutionId'), R('AA', 'patronIdentifier'), O('BK', 'transactionId'), AF, AG],
});

const requestAcsResend = spec<RequestAcsResend>({
  code: '97',
  name: 'Request ACS Resend',
  direction: 'request',
  fixed: [],
  fields: [],
});

const requestScResend = spec<RequestScResend>({
  code: '96',
  name: 'Request SC Resend',
  direction: 'response',
  fixed: [],
  fields: [],
});

export const MESSAGE_SPECS: { readonly [C in Sip2CommandCode]: MessageSpec<Sip2MessageOf<C>> } = {
  '93': login,
  '94': loginResponse,
  '99': scStatus,
  '98': acsStatus,
  '23': patronStatusRequest,
  '24': patronStatusResponse,
  '01': blockPatron,
  '63': patronInformation,
  '64': patronInformationResponse,
  '11': checkout,
  '12': checkoutResponse,
  '09': checkin,
  '10': checkinResponse,
  '29': renew,
  '30': renewResponse,
  '65': renewAll,
  '66': renewAllResponse,
  '17': itemInformation,
  '18': itemInformationResponse,
  '19': itemStatusUpdate,
  '20': itemStatusUpdateResponse,
  '25': patronEnable,
  '26': patronEnableResponse,
  '15': hold,
  '16': holdResponse,
  '35': endPatronSession,
  '36': endSessionResponse,
  '37': feePaid,
  '38': feePaidResponse,
  '97': requestAcsResend,
  '96': requestScResend,
};

export function isSip2CommandCode(code: string): code is Sip2CommandCode {
  return Object.prototype.hasOwnProperty.call(MESSAGE_SPECS, code);
}

/** The spec for a command code, or undefined for codes outside SIP2 2.00. */
export function specFor(code: string): MessageSpec | undefined {
  return isSip2CommandCode(code) ? (MESSAGE_SPECS[code] as unknown as MessageSpec) : undefined;
}

/**
 * Which reply answers which request (`01` Block Patron is answered by `24`). `97` has no entry: it is
 * answered by resending the last reply byte-for-byte (or `96` when nothing was sent yet).
 */
export const RESPONSE_CODE_FOR: { readonly [C in Exclude<Sip2Request['code'], '97'>]: Sip2Response['code'] } = {
  '93': '94',
  '99': '98',
  '23': '24',
  '01': '24',
  '63': '64',
  '11': '12',
  '09': '10',
  '29': '30',
  '65': '66',
  '17': '18',
  '19': '20',
  '25': '26',
  '15': '16',
  '35': '36',
  '37': '38',
};

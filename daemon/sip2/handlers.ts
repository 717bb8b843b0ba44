/**
 * SIP2 requests mapped onto the CirculationBackend: one function per message, each returning the
 * response message. Nothing here touches sockets; the server (server.ts) frames, checks and sends.
 *
 * Choices where SIP2 leaves room (documented for vendors in docs/sip2.md):
 * - 64 `AS` lists holds ready for pickup, `CD` holds not yet available (reference §5, 63/64).
 * - `AH` due dates are 18-character SIP dates at 23:59:59 local time of the due day.
 * - A check-in of an item that is not on loan answers ok=1 with a screen message when the account
 *   says so (return machines reject the item otherwise), ok=0 otherwise.
 * - Screen messages (AF) are in the patron's language when the patron is known.
 */
import type { Sip2Account } from '../../config/schema.ts';
import { reasonText, type KioskLanguage } from '../../protocols/kiosk-api/reasons.ts';
import {
  ALERT_TYPE,
  CIRCULATION_STATUS,
  FEE_TYPE,
  makePatronStatus,
  makeSupportedMessages,
  MEDIA_TYPE,
  SECURITY_MARKER,
  sipDateFromInstant,
  sipDateToInstant,
  summaryCategory,
  type AcsStatusResponse,
  type CheckinResponse,
  type CheckoutResponse,
  type PatronStatus,
  type SipDateTime,
  type Sip2Request,
  type Sip2Response,
} from '../../protocols/sip2/index.ts';
import type { Clock } from '../clock.ts';
import type {
  CheckinResult,
  CirculationBackend,
  ItemInformation,
  PatronInformation,
  PatronSummary,
  Refusal,
  RequestContext,
  Routing,
} from '../circulation/backend.ts';
import { verifyPin } from '../circulation/pin.ts';

export interface Sip2Session {
  account: Sip2Account | null;
  /** Patrons whose PIN this connection has verified (23/63 with a valid AD). */
  verifiedPatrons: Set<string>;
  failedLogins: number;
}

export interface HandlerDeps {
  backend: CirculationBackend;
  clock: Clock;
  timezone: string;
  accounts: Sip2Account[];
  libraryName: string;
  defaultLanguage: KioskLanguage;
  /** SIP2 98 timeout period / retries, as configured. */
  idleTimeoutS: number;
  /** Is this one of the library's department codes? AP in a check-in moves the return there only then. */
  isDepartment?: (code: string) => boolean;
}

/** What the server must do besides sending the reply. */
export interface HandlerResult {
  reply: Sip2Response | null;
  close?: string;
}

const SIP_LANGUAGE: Record<string, KioskLanguage> = { '001': 'en', '024': 'en' };

function now(deps: HandlerDeps): SipDateTime {
  return sipDateFromInstant(deps.clock.now(), deps.timezone);
}

/** Due date `YYYY-MM-DD` → SIP date at the end of that day, local time. */
export function dueDateField(d: string | null | undefined): string {
  if (!d) return '';
  return `${d.replace(/-/g, '')}    235959`;
}

function money(n: number): string {
  return n.toFixed(2);
}

/** A transaction date from the request, as an instant (offline / no-block replays keep their time). */
function instantOf(d: SipDateTime | null | undefined, deps: HandlerDeps): Date | undefined {
  return sipDateToInstant(d ?? null, deps.timezone) ?? undefined;
}

function mediaType(materialType: string): string {
  if (materialType === 'periodical') return MEDIA_TYPE.magazine;
  if (['audio', 'audiobook', 'video', 'audio-fiction'].includes(materialType)) return MEDIA_TYPE.cdRom;
  if (materialType === 'language-course') return MEDIA_TYPE.bookWithCd;
  if (['book', 'reference'].includes(materialType)) return MEDIA_TYPE.book;
  return MEDIA_TYPE.other;
}

function personalName(p: { firstName: string; lastName: string }): string {
  return `${p.firstName} ${p.lastName}`;
}

/** Patron status[14] from the patron's blocks and counts. */
function patronStatusOf(p: PatronSummary | null, info?: PatronInformation): PatronStatus {
  if (!p) return makePatronStatus({ chargePrivilegesDenied: true, renewalPrivilegesDenied: true, recallPrivilegesDenied: true, holdPrivilegesDenied: true });
  const reasons = new Set(p.blocks.map((b) => b.reason));
  const blockedAll = reasons.has('patron_blocked') || reasons.has('membership_expired');
  const noHome = blockedAll || reasons.has('home_loan_ban') || reasons.has('debt_block') || reasons.has('overdue_block');
  return makePatronStatus({
    chargePrivilegesDenied: noHome,
    renewalPrivilegesDenied: noHome,
    recallPrivilegesDenied: blockedAll,
    holdPrivilegesDenied: blockedAll,
    cardReportedLost: p.blocks.some((b) => b.details?.block === 'card_withheld'),
    tooManyItemsCharged: !!info && info.limits.total !== null && info.limits.current >= info.limits.total,
    tooManyItemsOverdue: reasons.has('overdue_block'),
    excessiveOutstandingFines: reasons.has('debt_block'),
    tooManyItemsLost: !!info && info.lostCount > 0,
  });
}

function allowed(account: Sip2Account, code: string): boolean {
  return account.messages === 'all' || (account.messages as string[]).includes(code);
}

function ctxFor(session: Sip2Session, extra: RequestContext = {}): RequestContext {
  return { channel: 'sip2', department: session.account?.location, ...extra };
}

export async function handleRequest(req: Sip2Request, session: Sip2Session, deps: HandlerDeps): Promise<HandlerResult> {
  const account = session.account;
  if (req.code === '93') return login(req, session, deps);
  if (req.code === '97') return { reply: null }; // resend is the server's business
  if (!account) {
    if (req.code === '99') {
      const byDefault = deps.accounts.some((a) => a.scStatusBeforeLogin);
      if (byDefault) return { reply: await acsStatus(deps, null) };
    }
    // There is no generic error reply in SIP2: say so in the log and close (reference §4).
    return { reply: null, close: `message ${req.code} before login` };
  }
  if (!allowed(account, req.code)) {
    const reply = notAllowed(req, account, deps);
    return reply ? { reply } : { reply: null, close: `message ${req.code} not allowed for account ${account.user}` };
  }
  switch (req.code) {
    case '99':
      return { reply: await acsStatus(deps, account) };
    case '23':
      return { reply: await patronStatus(req.patronIdentifier, req.patronPassword, req.institutionId, req.language, session, deps) };
    case '01': {
      const r = await deps.backend.blockPatron({ patron: req.patronIdentifier, cardRetained: req.cardRetained, message: req.blockedCardMessage }, ctxFor(session));
      return { reply: await patronStatus(req.patronIdentifier, undefined, req.institutionId, '000', session, deps, r.ok ? undefined : r) };
    }
    case '25': {
      const r = await deps.backend.enablePatron(req.patronIdentifier, ctxFor(session));
      const ps = r.ok ? r.patron : null;
      return {
        reply: {
          code: '26',
          patronStatus: patronStatusOf(ps),
          language: '000',
          transactionDate: now(deps),
          institutionId: req.institutionId || account.institutionId,
          patronIdentifier: req.patronIdentifier,
          personalName: ps ? personalName(ps) : '',
          validPatron: !!ps,
          ...(r.ok ? {} : { screenMessage: [r.screenMessage] }),
        },
      };
    }
    case '63':
      return { reply: await patronInformation(req, session, deps) };
    case '11':
      return { reply: await checkout(req, session, deps) };
    case '09':
      return { reply: await checkin(req, session, deps) };
    case '29':
      return { reply: await renew(req, session, deps) };
    case '65':
      return { reply: await renewAll(req, session, deps) };
    case '17':
      return { reply: await itemInformation(req.itemIdentifier, req.institutionId || account.institutionId, session, deps) };
    case '19': {
      const r = await deps.backend.setItemProperties({ item: req.itemIdentifier, properties: req.itemProperties }, ctxFor(session));
      return {
        reply: {
          code: '20',
          itemPropertiesOk: r.ok,
          transactionDate: now(deps),
          itemIdentifier: req.itemIdentifier,
          ...(r.ok ? { titleIdentifier: r.title, itemProperties: req.itemProperties } : { screenMessage: [r.screenMessage] }),
        },
      };
    }
    case '15':
      return { reply: await hold(req, session, deps) };
    case '35': {
      session.verifiedPatrons.delete(req.patronIdentifier);
      const r = await deps.backend.endSession(req.patronIdentifier, ctxFor(session));
      return {
        reply: {
          code: '36',
          endSession: true,
          transactionDate: now(deps),
          institutionId: req.institutionId || account.institutionId,
          patronIdentifier: req.patronIdentifier,
          ...(r.ok ? {} : { screenMessage: [r.screenMessage] }),
        },
      };
    }
    case '37':
      return { reply: await feePaid(req, session, deps) };
  }
  return { reply: null };
}

/** The refusal a message gets when the account may not send it: its own response with ok=0. */
function notAllowed(req: Sip2Request, account: Sip2Account, deps: HandlerDeps): Sip2Response | null {
  const msg = [`Message ${req.code} is not enabled for this account.`];
  const base = { transactionDate: now(deps), institutionId: account.institutionId, screenMessage: msg };
  const patron = 'patronIdentifier' in req ? req.patronIdentifier : '';
  const item = 'itemIdentifier' in req ? (req.itemIdentifier ?? '') : '';
  switch (req.code) {
    case '11':
      return { code: '12', ok: false, renewalOk: false, magneticMedia: false, desensitize: false, patronIdentifier: patron, itemIdentifier: item, titleIdentifier: '', dueDate: '', ...base };
    case '29':
      return { code: '30', ok: false, renewalOk: false, magneticMedia: false, desensitize: false, patronIdentifier: patron, itemIdentifier: item, titleIdentifier: '', dueDate: '', ...base };
    case '09':
      return { code: '10', ok: false, resensitize: true, magneticMedia: false, alert: true, itemIdentifier: item, permanentLocation: '', ...base };
    case '65':
      return { code: '66', ok: false, renewedCount: 0, unrenewedCount: 0, ...base };
    case '15':
      return { code: '16', ok: false, available: false, patronIdentifier: patron, ...base };
    case '37':
      return { code: '38', paymentAccepted: false, patronIdentifier: patron, ...base };
    case '17':
      return {
        code: '18',
        circulationStatus: CIRCULATION_STATUS.other,
        securityMarker: SECURITY_MARKER.other,
        feeType: FEE_TYPE.other,
        itemIdentifier: item,
        titleIdentifier: '',
        ...base,
      };
    case '19':
      return { code: '20', itemPropertiesOk: false, transactionDate: now(deps), itemIdentifier: item, screenMessage: msg };
    case '35':
      return { code: '36', endSession: false, patronIdentifier: patron, ...base };
    case '23':
    case '01':
      return { code: '24', patronStatus: patronStatusOf(null), language: '000', patronIdentifier: patron, personalName: '', validPatron: false, ...base };
    case '25':
      return { code: '26', patronStatus: patronStatusOf(null), language: '000', patronIdentifier: patron, personalName: '', validPatron: false, ...base };
    case '63':
      return {
        code: '64',
        patronStatus: patronStatusOf(null),
        language: '000',
        holdItemsCount: 0,
        overdueItemsCount: 0,
        chargedItemsCount: 0,
        fineItemsCount: 0,
        recallItemsCount: 0,
        unavailableHoldsCount: 0,
        patronIdentifier: patron,
        personalName: '',
        validPatron: false,
        ...base,
      };
    default:
      return null; // 99: no reply means the terminal is not ours; the server closes
  }
}

async function login(req: Extract<Sip2Request, { code: '93' }>, session: Sip2Session, deps: HandlerDeps): Promise<HandlerResult> {
  const account = deps.accounts.find((a) => a.user === req.loginUserId);
  // Hash checks run for unknown users too, so the answer time does not tell which users exist.
  const ok = verifyPin(req.loginPassword, account?.passwordHash ?? deps.accounts[0]?.passwordHash ?? 'scrypt$1$1$1$AA==$AA==') && !!account;
  if (ok && account) {
    session.account = account;
    session.failedLogins = 0;
    return { reply: { code: '94', ok: true } };
  }
  session.failedLogins++;
  // Three refused logins end the connection (as Evergreen and Koha do).
  return { reply: { code: '94', ok: false }, ...(session.failedLogins >= 3 ? { close: 'three refused logins' } : {}) };
}

async function acsStatus(deps: HandlerDeps, account: Sip2Account | null): Promise<AcsStatusResponse> {
  const st = await deps.backend.status();
  const m = (code: string) => !account || account.messages === 'all' || (account.messages as string[]).includes(code);
  return {
    code: '98',
    onlineStatus: st.online,
    checkinOk: st.online && st.supports.checkin && m('09'),
    checkoutOk: st.online && st.supports.checkout && m('11'),
    acsRenewalPolicy: st.supports.renew,
    statusUpdateOk: m('01'),
    offlineOk: true,
    timeoutPeriod: Math.min(999, deps.idleTimeoutS * 10),
    retriesAllowed: 3,
    dateTimeSync: now(deps),
    protocolVersion: '2.00',
    institutionId: account?.institutionId ?? deps.accounts[0]?.institutionId ?? '',
    libraryName: deps.libraryName,
    supportedMessages: makeSupportedMessages({
      patronStatus: m('23'),
      checkout: m('11') && st.supports.checkout,
      checkin: m('09') && st.supports.checkin,
      blockPatron: m('01'),
      scAcsStatus: true,
      requestResend: true,
      login: true,
      patronInformation: m('63'),
      endPatronSession: m('35'),
      feePaid: m('37') && st.supports.fees,
      itemInformation: m('17'),
      itemStatusUpdate: m('19'),
      patronEnable: m('25'),
      hold: m('15') && st.supports.holds,
      renew: m('29') && st.supports.renew,
      renewAll: m('65') && st.supports.renew,
    }),
    ...(account ? { terminalLocation: account.location } : {}),
    ...(st.online ? {} : { screenMessage: [st.detail] }),
  };
}

/**
 * The PIN check shared by 23, 63 and the transactions: a PIN given is verified (and remembered for
 * this connection); without one, a patron already verified on this connection passes, otherwise
 * CQ=N. An empty AD never passes for a patron who has a PIN.
 */
async function checkPatron(
  identifier: string,
  pin: string | undefined,
  session: Sip2Session,
  deps: HandlerDeps,
): Promise<{ patron: PatronSummary | null; pinOk: boolean; refusal: Refusal | null }> {
  if (pin !== undefined && pin !== '') {
    const v = await deps.backend.verifyPatron(identifier, pin, ctxFor(session));
    if (v.ok) {
      session.verifiedPatrons.add(identifier);
      return { patron: v.patron, pinOk: true, refusal: null };
    }
    const l = await deps.backend.lookupPatron(identifier, ctxFor(session));
    return { patron: l.ok ? l.patron : null, pinOk: false, refusal: v };
  }
  const l = await deps.backend.lookupPatron(identifier, ctxFor(session));
  if (!l.ok) return { patron: null, pinOk: false, refusal: l };
  const pinOk = session.verifiedPatrons.has(identifier) || !l.patron.pinSet;
  return { patron: l.patron, pinOk, refusal: null };
}

function needsPin(session: Sip2Session): boolean {
  return session.account?.patronPasswordRequired ?? true;
}

async function patronStatus(
  identifier: string,
  pin: string | undefined,
  institutionId: string,
  language: string,
  session: Sip2Session,
  deps: HandlerDeps,
  extraRefusal?: Refusal,
): Promise<Sip2Response> {
  const { patron, pinOk, refusal } = await checkPatron(identifier, pin, session, deps);
  const info = patron ? await deps.backend.patronInformation(identifier, ctxFor(session)) : null;
  const lang = patron?.language ?? SIP_LANGUAGE[language] ?? deps.defaultLanguage;
  const screen: string[] = [];
  if (extraRefusal) screen.push(extraRefusal.screenMessage);
  if (refusal) screen.push(refusal.screenMessage);
  else if (patron?.blocks[0]) screen.push(reasonText(patron.blocks[0].reason, lang, patron.blocks[0].details ?? {}));
  return {
    code: '24',
    patronStatus: patronStatusOf(patron, info?.ok ? info.patron : undefined),
    language: language || '000',
    transactionDate: now(deps),
    institutionId: institutionId || session.account!.institutionId,
    patronIdentifier: identifier,
    personalName: patron ? personalName(patron) : '',
    validPatron: !!patron,
    validPatronPassword: pinOk,
    ...(info?.ok ? { currencyType: info.patron.currency, feeAmount: money(info.patron.balance) } : {}),
    ...(screen.length ? { screenMessage: screen } : {}),
  };
}

function range<T>(list: T[], start?: number, end?: number): T[] {
  const s = Math.max(1, start ?? 1);
  const e = Math.max(s, end ?? list.length);
  return list.slice(s - 1, e);
}

async function patronInformation(req: Extract<Sip2Request, { code: '63' }>, session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  const { patron, pinOk, refusal } = await checkPatron(req.patronIdentifier, req.patronPassword, session, deps);
  const base = {
    code: '64' as const,
    language: req.language || '000',
    transactionDate: now(deps),
    institutionId: req.institutionId || session.account!.institutionId,
    patronIdentifier: req.patronIdentifier,
  };
  const info = patron ? await deps.backend.patronInformation(req.patronIdentifier, ctxFor(session)) : null;
  // Without a verified PIN (where the account needs one) nothing beyond the name is given out.
  if (!patron || !info?.ok || (needsPin(session) && !pinOk)) {
    return {
      ...base,
      patronStatus: patronStatusOf(patron),
      holdItemsCount: 0,
      overdueItemsCount: 0,
      chargedItemsCount: 0,
      fineItemsCount: 0,
      recallItemsCount: 0,
      unavailableHoldsCount: 0,
      personalName: patron ? personalName(patron) : '',
      validPatron: !!patron,
      validPatronPassword: pinOk,
      screenMessage: [refusal?.screenMessage ?? reasonText('pin_required', patron?.language ?? deps.defaultLanguage)],
    };
  }
  const p = info.patron;
  const ready = p.holds.filter((h) => h.status === 'W');
  const waiting = p.holds.filter((h) => h.status !== 'W');
  const overdue = p.loans.filter((l) => l.overdue);
  const charged = p.loans.filter((l) => l.status === 'C' || l.status === 'S' || l.status === 'D');
  const want = summaryCategory(req.summary);
  const lists: Record<string, string[]> = {};
  if (want === 'holdItems') lists.holdItems = range(ready.map((h) => h.itemBarcode ?? h.bibId), req.startItem, req.endItem);
  if (want === 'overdueItems') lists.overdueItems = range(overdue.map((l) => l.barcode), req.startItem, req.endItem);
  if (want === 'chargedItems') lists.chargedItems = range(charged.map((l) => l.barcode), req.startItem, req.endItem);
  if (want === 'fineItems') lists.fineItems = range(p.fees.map((f) => `${f.id} ${money(f.remaining)} ${f.currency} ${f.description}`), req.startItem, req.endItem);
  if (want === 'recallItems') lists.recallItems = [];
  if (want === 'unavailableHolds') lists.unavailableHoldItems = range(waiting.map((h) => h.itemBarcode ?? h.bibId), req.startItem, req.endItem);
  const screen: string[] = [];
  if (p.blocks[0]) screen.push(reasonText(p.blocks[0].reason, p.language, p.blocks[0].details ?? {}));
  if (ready.length) screen.push(`${ready.length} reservation(s) ready for pickup.`);
  return {
    ...base,
    patronStatus: patronStatusOf(p, p),
    holdItemsCount: ready.length,
    overdueItemsCount: overdue.length,
    chargedItemsCount: charged.length,
    fineItemsCount: p.fees.length,
    recallItemsCount: 0,
    unavailableHoldsCount: waiting.length,
    personalName: personalName(p),
    ...(p.limits.total !== null ? { chargedItemsLimit: p.limits.total } : {}),
    validPatron: true,
    validPatronPassword: pinOk,
    currencyType: p.currency,
    feeAmount: money(p.balance),
    ...lists,
    ...(p.email ? { emailAddress: p.email } : {}),
    ...(screen.length ? { screenMessage: screen } : {}),
  };
}

async function itemInformation(barcode: string, institutionId: string, session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  const r = await deps.backend.itemInformation(barcode, ctxFor(session));
  if (!r.ok) {
    return {
      code: '18',
      circulationStatus: CIRCULATION_STATUS.other,
      securityMarker: SECURITY_MARKER.other,
      feeType: FEE_TYPE.other,
      transactionDate: now(deps),
      itemIdentifier: barcode,
      titleIdentifier: '',
      screenMessage: [r.screenMessage],
    };
  }
  const i = r.item;
  const kitText = i.kit ? kitProperties(i) : undefined;
  return {
    code: '18',
    circulationStatus: circulationStatus(i),
    securityMarker: SECURITY_MARKER.other, // RFID: the security bit is AFI/EAS on the tag
    feeType: FEE_TYPE.other,
    transactionDate: now(deps),
    holdQueueLength: i.holdQueueLength,
    ...(i.dueDate ? { dueDate: dueDateField(i.dueDate) } : {}),
    ...(i.holdExpiresOn ? { holdPickupDate: { ...(sipDateFromInstant(new Date(`${i.holdExpiresOn}T12:00:00Z`), 'UTC')), hour: 23, minute: 59, second: 59, zone: 'local' } } : {}),
    itemIdentifier: i.barcode,
    titleIdentifier: i.title,
    owner: institutionId,
    currencyType: i.currency,
    mediaType: mediaType(i.materialType),
    permanentLocation: i.department,
    currentLocation: i.department,
    ...(kitText ? { itemProperties: kitText } : {}),
    screenMessage: [
      ...(i.kit ? [`Part ${i.kit.partNumber} of ${i.kit.partsTotal} of kit ${i.kit.code} "${i.kit.title}".`] : []),
      ...(i.loanMode.home !== 'unconditional' ? [reasonText(i.loanMode.home === 'forbidden' ? 'item_not_loanable' : 'ask_staff', deps.defaultLanguage)] : []),
    ],
    collectionCode: i.materialType,
    callNumber: i.callNumber,
  };
}

/** Kit set information for CH: machine-readable "part n of m" for RFID devices. */
function kitProperties(i: ItemInformation): string {
  const k = i.kit!;
  return `kit=${k.code};part=${k.partNumber}/${k.partsTotal};lead=${k.leadBarcode};parts=${k.parts.map((p) => p.barcode).join(',')}`;
}

function circulationStatus(i: ItemInformation): string {
  if (i.stockStatus === '8') return CIRCULATION_STATUS.missing;
  switch (i.status) {
    case 'free':
      return CIRCULATION_STATUS.available;
    case 'C':
    case 'S':
      return CIRCULATION_STATUS.charged;
    case 'D':
      return CIRCULATION_STATUS.inTransit;
    case 'B':
      return CIRCULATION_STATUS.inProcess;
    case 'L':
      return CIRCULATION_STATUS.lost;
    case 'O':
      return CIRCULATION_STATUS.inProcess;
    case 'W':
      return CIRCULATION_STATUS.waitingOnHoldShelf;
  }
}

function kitPrintLines(units: Array<{ barcode: string; title: string; kitPart: number | null }> | undefined): string[] {
  if (!units || units.length < 2) return [];
  return units.map((u) => `${u.kitPart}/${units.length} ${u.barcode} ${u.title}`);
}

async function checkout(req: Extract<Sip2Request, { code: '11' }>, session: Sip2Session, deps: HandlerDeps): Promise<CheckoutResponse> {
  const base = {
    code: '12' as const,
    magneticMedia: false,
    transactionDate: now(deps),
    institutionId: req.institutionId || session.account!.institutionId,
    patronIdentifier: req.patronIdentifier,
    itemIdentifier: req.itemIdentifier,
  };
  const fail = (screen: string[], extra: Partial<CheckoutResponse> = {}): CheckoutResponse => ({
    ...base,
    ok: false,
    renewalOk: false,
    desensitize: false,
    titleIdentifier: '',
    dueDate: '',
    screenMessage: screen,
    ...extra,
  });
  if (!req.noBlock) {
    const { patron, pinOk, refusal } = await checkPatron(req.patronIdentifier, req.patronPassword, session, deps);
    if (!patron) return fail([refusal?.screenMessage ?? reasonText('unknown_patron', deps.defaultLanguage)]);
    if (refusal) return fail([refusal.screenMessage]);
    if (needsPin(session) && !pinOk) return fail([reasonText('pin_required', patron.language)]);
  }
  const at = req.noBlock ? instantOf(req.transactionDate, deps) : undefined;
  const r = await deps.backend.checkout(
    { patron: req.patronIdentifier, item: req.itemIdentifier, feeAcknowledged: req.feeAcknowledged === true },
    ctxFor(session, { noBlock: req.noBlock, ...(at ? { at } : {}) }),
  );
  if (r.ok) {
    return {
      ...base,
      ok: true,
      renewalOk: false,
      desensitize: true,
      titleIdentifier: r.title,
      dueDate: dueDateField(r.dueDate),
      ...(r.fee ? { feeType: FEE_TYPE.rental, currencyType: r.fee.currency, feeAmount: money(r.fee.amount) } : {}),
      ...(r.units.length > 1 ? { printLine: kitPrintLines(r.units), screenMessage: [`${r.units.length} parts lent together.`] } : {}),
    };
  }
  if (r.reason === 'item_already_yours') {
    // Already charged to this patron: with the SC's renewal policy a renewal, else a repeat of a
    // checkout that succeeded (a client retry gets the same answer, not a second loan).
    if (req.scRenewalPolicy) {
      const rn = await deps.backend.renew({ patron: req.patronIdentifier, item: req.itemIdentifier }, ctxFor(session));
      if (rn.ok) return { ...base, ok: true, renewalOk: true, desensitize: true, titleIdentifier: rn.title, dueDate: dueDateField(rn.dueDate) };
      return fail([rn.screenMessage], { renewalOk: false });
    }
    const i = await deps.backend.itemInformation(req.itemIdentifier, ctxFor(session));
    if (i.ok) return { ...base, ok: true, renewalOk: false, desensitize: true, titleIdentifier: i.item.title, dueDate: dueDateField(i.item.dueDate) };
  }
  if (r.reason === 'fee_not_acknowledged') {
    const fee = Number(r.details?.fee ?? 0);
    return fail([r.screenMessage], { feeType: FEE_TYPE.rental, feeAmount: money(fee) });
  }
  const info = await deps.backend.itemInformation(req.itemIdentifier, ctxFor(session));
  return fail(kitMissingLines(r), { titleIdentifier: info.ok ? info.item.title : '', dueDate: info.ok ? dueDateField(info.item.dueDate) : '' });
}

function kitMissingLines(r: Refusal): string[] {
  const missing = r.details?.missingParts as Array<{ barcode: string; partNumber: number; title: string }> | undefined;
  return [r.screenMessage, ...(missing ?? []).map((m) => `missing ${m.partNumber}: ${m.barcode} ${m.title}`)];
}

function alertType(routing: Routing): string | undefined {
  switch (routing.destination) {
    case 'hold_shelf':
    case 'processing':
      return ALERT_TYPE.localHold;
    case 'other_department':
      return ALERT_TYPE.transfer;
    case 'staff':
      return ALERT_TYPE.other;
    default:
      return undefined;
  }
}

function sortBin(routing: Routing): string {
  switch (routing.destination) {
    case 'hold_shelf':
      return 'HOLD';
    case 'processing':
      return 'PROCESS';
    case 'other_department':
      return `DEPT-${routing.department ?? ''}`;
    case 'staff':
      return 'STAFF';
    default:
      return 'SHELF';
  }
}

/** Where a returned item goes, for the sorter's or the return machine's display (staff-facing, English). */
function routingText(routing: Routing): string | null {
  switch (routing.destination) {
    case 'hold_shelf':
      return `Reserved: put on the hold shelf for ${routing.forPatronName ?? routing.forPatron}${routing.holdExpiresOn ? ` until ${routing.holdExpiresOn}` : ''}.`;
    case 'processing':
      return `Reserved: to processing for pickup at ${routing.pickupPlace ?? '-'}.`;
    case 'other_department':
      return `Return to department ${routing.department}.`;
    case 'staff':
      return `Please give this item to staff${routing.note ? ` (${routing.note})` : ''}.`;
    default:
      return null;
  }
}

async function checkin(req: Extract<Sip2Request, { code: '09' }>, session: Sip2Session, deps: HandlerDeps): Promise<CheckinResponse> {
  const account = session.account!;
  const at = req.noBlock ? (instantOf(req.returnDate, deps) ?? instantOf(req.transactionDate, deps)) : undefined;
  // AP is the current location: a department code of ours moves the return there.
  // Only a known department code moves the return there; any other AP (a book drop's name, a
  // branch label of the device's own) leaves it in the account's department.
  const department = req.currentLocation && deps.isDepartment?.(req.currentLocation) ? req.currentLocation : account.location;
  const r = await deps.backend.checkin({ item: req.itemIdentifier }, ctxFor(session, { department, noBlock: req.noBlock, ...(at ? { at } : {}) }));
  const info = await deps.backend.itemInformation(req.itemIdentifier, ctxFor(session));
  const base = {
    code: '10' as const,
    magneticMedia: false,
    transactionDate: now(deps),
    institutionId: req.institutionId || account.institutionId,
    itemIdentifier: req.itemIdentifier,
    permanentLocation: info.ok ? info.item.department : '',
    ...(info.ok ? { titleIdentifier: info.item.title, mediaType: mediaType(info.item.materialType), callNumber: info.item.callNumber, collectionCode: info.item.materialType } : {}),
  };
  const fromRouting = (routing: Routing, result?: CheckinResult) => {
    const alert = routing.destination !== 'shelf';
    const cv = alertType(routing);
    const text = routingText(routing);
    return {
      resensitize: true,
      alert,
      sortBin: sortBin(routing),
      ...(cv ? { alertType: cv } : {}),
      ...(routing.destination === 'other_department' && routing.department ? { destinationLocation: routing.department } : {}),
      ...(routing.destination === 'hold_shelf' || routing.destination === 'processing'
        ? { destinationLocation: routing.pickupPlace ?? routing.department ?? '', holdPatronId: routing.forPatron ?? '', holdPatronName: routing.forPatronName ?? '' }
        : {}),
      ...(text ? { screenMessage: [text] } : {}),
      ...(result && result.units.length > 1 ? { printLine: result.units.map((u, i) => `${i + 1}/${result.units.length} ${u}`) } : {}),
    };
  };
  if (r.ok) {
    const extra = fromRouting(r.routing, r);
    const fine = r.fine ? [`Fine: ${money(r.fine.amount)} ${r.fine.currency}`] : [];
    return {
      ...base,
      ok: true,
      ...extra,
      ...(r.patron ? { patronIdentifier: r.patron } : {}),
      screenMessage: [...(extra.screenMessage ?? []), ...fine],
    };
  }
  const routing = r.details?.routing as Routing | undefined;
  if (r.reason === 'not_on_loan' && routing) {
    const extra = fromRouting(routing);
    return {
      ...base,
      ok: account.checkinOkWhenNotOnLoan,
      ...extra,
      screenMessage: [r.screenMessage, ...(extra.screenMessage ?? [])],
    };
  }
  return {
    ...base,
    ok: false,
    resensitize: true, // a refused return stays secured
    alert: true,
    sortBin: 'STAFF',
    alertType: ALERT_TYPE.other,
    screenMessage: kitMissingLines(r),
  };
}

async function renew(req: Extract<Sip2Request, { code: '29' }>, session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  const base = {
    code: '30' as const,
    magneticMedia: false,
    transactionDate: now(deps),
    institutionId: req.institutionId || session.account!.institutionId,
    patronIdentifier: req.patronIdentifier,
  };
  const fail = (screen: string[], item = req.itemIdentifier ?? ''): Sip2Response => ({
    ...base,
    ok: false,
    renewalOk: false,
    desensitize: false,
    itemIdentifier: item,
    titleIdentifier: req.titleIdentifier ?? '',
    dueDate: '',
    screenMessage: screen,
  });
  if (!req.noBlock) {
    const { patron, pinOk, refusal } = await checkPatron(req.patronIdentifier, req.patronPassword, session, deps);
    if (!patron || refusal) return fail([refusal?.screenMessage ?? reasonText('unknown_patron', deps.defaultLanguage)]);
    if (needsPin(session) && !pinOk) return fail([reasonText('pin_required', patron.language)]);
  }
  let item = req.itemIdentifier;
  if (!item && req.titleIdentifier) {
    // Renew by title: the patron's loan of that title.
    const info = await deps.backend.patronInformation(req.patronIdentifier, ctxFor(session));
    item = info.ok ? info.patron.loans.find((l) => l.title === req.titleIdentifier)?.barcode : undefined;
    if (!item) return fail([reasonText('not_your_loan', deps.defaultLanguage)], '');
  }
  if (!item) return fail([reasonText('invalid_request', deps.defaultLanguage)], '');
  const at = req.noBlock ? instantOf(req.transactionDate, deps) : undefined;
  const r = await deps.backend.renew({ patron: req.patronIdentifier, item }, ctxFor(session, { noBlock: req.noBlock, ...(at ? { at } : {}) }));
  if (!r.ok) {
    const info = await deps.backend.itemInformation(item, ctxFor(session));
    return {
      ...base,
      ok: false,
      renewalOk: false,
      desensitize: false,
      itemIdentifier: item,
      titleIdentifier: info.ok ? info.item.title : '',
      dueDate: info.ok ? dueDateField(info.item.dueDate) : '',
      screenMessage: [r.screenMessage],
    };
  }
  return {
    ...base,
    ok: true,
    renewalOk: true,
    desensitize: true,
    itemIdentifier: item,
    titleIdentifier: r.title,
    dueDate: dueDateField(r.dueDate),
    ...(r.fee ? { feeType: FEE_TYPE.rental, currencyType: r.fee.currency, feeAmount: money(r.fee.amount) } : {}),
    ...(r.fine ? { screenMessage: [`Fine: ${money(r.fine.amount)} ${r.fine.currency}`] } : {}),
  };
}

async function renewAll(req: Extract<Sip2Request, { code: '65' }>, session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  const base = { code: '66' as const, transactionDate: now(deps), institutionId: req.institutionId || session.account!.institutionId };
  const { patron, pinOk, refusal } = await checkPatron(req.patronIdentifier, req.patronPassword, session, deps);
  if (!patron || refusal) return { ...base, ok: false, renewedCount: 0, unrenewedCount: 0, screenMessage: [refusal?.screenMessage ?? ''] };
  if (needsPin(session) && !pinOk) return { ...base, ok: false, renewedCount: 0, unrenewedCount: 0, screenMessage: [reasonText('pin_required', patron.language)] };
  const r = await deps.backend.renewAll({ patron: req.patronIdentifier }, ctxFor(session));
  if (!r.ok) return { ...base, ok: false, renewedCount: 0, unrenewedCount: 0, screenMessage: [r.screenMessage] };
  return {
    ...base,
    ok: true,
    renewedCount: r.renewed.length,
    unrenewedCount: r.refused.length,
    renewedItems: r.renewed.map((x) => x.item),
    unrenewedItems: r.refused.map((x) => x.item),
    screenMessage: [
      ...r.renewed.map((x) => `${x.item}: due ${x.dueDate}`),
      ...r.refused.map((x) => `${x.item}: ${x.screenMessage}`),
    ],
  };
}

async function hold(req: Extract<Sip2Request, { code: '15' }>, session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  const base = {
    code: '16' as const,
    transactionDate: now(deps),
    institutionId: req.institutionId || session.account!.institutionId,
    patronIdentifier: req.patronIdentifier,
    ...(req.itemIdentifier ? { itemIdentifier: req.itemIdentifier } : {}),
    ...(req.titleIdentifier ? { titleIdentifier: req.titleIdentifier } : {}),
  };
  const { patron, pinOk, refusal } = await checkPatron(req.patronIdentifier, req.patronPassword, session, deps);
  if (!patron || refusal) return { ...base, ok: false, available: false, screenMessage: [refusal?.screenMessage ?? ''] };
  if (needsPin(session) && !pinOk) return { ...base, ok: false, available: false, screenMessage: [reasonText('pin_required', patron.language)] };
  const target = { patron: req.patronIdentifier, ...(req.itemIdentifier ? { item: req.itemIdentifier } : {}), ...(req.titleIdentifier ? { bibId: req.titleIdentifier } : {}) };
  const ctx = ctxFor(session);
  const r =
    req.holdMode === 'add'
      ? await deps.backend.placeHold({ ...target, ...(req.pickupLocation ? { pickupPlace: req.pickupLocation } : {}) }, ctx)
      : req.holdMode === 'cancel'
        ? await deps.backend.cancelHold(target, ctx).then((c) => (c.ok ? { ok: true as const, hold: c.cancelled } : c))
        : req.pickupLocation
          ? await deps.backend.changeHold({ ...target, pickupPlace: req.pickupLocation }, ctx)
          : { ok: false as const, screenMessage: reasonText('invalid_request', patron.language) };
  if (!r.ok) return { ...base, ok: false, available: false, screenMessage: [r.screenMessage] };
  const h = r.hold;
  return {
    ...base,
    ok: true,
    available: req.holdMode !== 'cancel' && (h.status === 'O' || h.status === 'W'),
    ...(h.expiresOn ? { expirationDate: { ...sipDateFromInstant(new Date(`${h.expiresOn}T12:00:00Z`), 'UTC'), hour: 23, minute: 59, second: 59, zone: 'local' } } : {}),
    ...(h.queuePosition ? { queuePosition: h.queuePosition } : {}),
    ...(h.pickupPlace ? { pickupLocation: h.pickupPlace } : {}),
    ...(h.itemBarcode ? { itemIdentifier: h.itemBarcode } : {}),
    titleIdentifier: h.title,
    screenMessage: [req.holdMode === 'cancel' ? `Reservation cancelled: ${h.title}` : `Reserved: ${h.title}${h.status === 'R' ? ` (place ${h.queuePosition} in the queue)` : ''}`],
  };
}

async function feePaid(req: Extract<Sip2Request, { code: '37' }>, session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  const base = { code: '38' as const, transactionDate: now(deps), institutionId: req.institutionId || session.account!.institutionId, patronIdentifier: req.patronIdentifier };
  const amount = Number(req.feeAmount.replace(',', '.'));
  if (!Number.isFinite(amount)) return { ...base, paymentAccepted: false, screenMessage: [reasonText('invalid_amount', deps.defaultLanguage)] };
  const feeId = req.feeIdentifier && /^\d+$/.test(req.feeIdentifier) ? Number(req.feeIdentifier) : undefined;
  // Devices retry payments: the same patron, device transaction id and amount is one payment.
  const key = req.transactionId ? `sip2-fee:${session.account!.user}:${req.patronIdentifier}:${req.transactionId}:${req.feeAmount}` : undefined;
  const r = await deps.backend.feePaid(
    {
      patron: req.patronIdentifier,
      amount,
      currency: req.currencyType,
      method: req.paymentType === '00' ? 'cash' : req.paymentType === '01' || req.paymentType === '02' ? 'card' : 'other',
      ...(feeId !== undefined ? { feeId } : {}),
      ...(req.transactionId ? { reference: req.transactionId } : {}),
    },
    ctxFor(session, key ? { idempotencyKey: key } : {}),
  );
  if (!r.ok) return { ...base, paymentAccepted: false, screenMessage: [r.screenMessage] };
  return { ...base, paymentAccepted: true, transactionId: String(r.paymentId), screenMessage: [`Paid ${money(r.paid)} ${r.currency}; still owed ${money(r.balance)} ${r.currency}.`] };
}

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
  formatSipDate,
  makePatronStatus,
  makeSupportedMessages,
  MEDIA_TYPE,
  RESPONSE_CODE_FOR,
  SECURITY_MARKER,
  sipDateFromInstant,
  sipEndOfDay,
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
  CheckoutResult,
  CirculationBackend,
  ItemInformation,
  LockerHold,
  PatronInformation,
  PatronSummary,
  Refusal,
  RequestContext,
  Routing,
} from '../circulation/backend.ts';
import { verifyPinAsync } from '../circulation/pin.ts';

export interface Sip2Session {
  account: Sip2Account | null;
  /** Patrons whose PIN this connection has verified (23/63 with a valid AD). */
  verifiedPatrons: Set<string>;
  failedLogins: number;
  /** The SC's printer width from its 99 (max print width): print lines (AG) are wrapped to it. */
  printWidth?: number;
}

export interface HandlerDeps {
  backend: CirculationBackend;
  clock: Clock;
  timezone: string;
  accounts: Sip2Account[];
  libraryName: string;
  defaultLanguage: KioskLanguage;
  /** Is this one of the library's department codes? AP in a check-in moves the return there only then. */
  isDepartment?: (code: string) => boolean;
  /** A vendor locker bank's own holdHours (lockers config), by its pickup place; undefined: the preset's. */
  lockerHoldHours?: (pickupPlace: string) => number | undefined;
}

/** What the server must do besides sending the reply. */
export interface HandlerResult {
  reply: Sip2Response | null;
  close?: string;
}

const SIP_LANGUAGE: Record<string, KioskLanguage> = { '001': 'en', '024': 'en' };

/**
 * The patron's language in the 24/26/64 language field (reference "Common value sets"): SIP2 2.00
 * has a code for English (001) but none for Slovenian, Latvian or Hungarian, which go as 000.
 */
function sipLanguageOf(p: { language: KioskLanguage }): string {
  return p.language === 'en' ? '001' : '000';
}

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

/**
 * A transaction date from the request, as an instant (offline / no-block replays keep their time).
 * A date after now (a self-check whose clock is wrong) is taken as now: it must not fine days that
 * have not come yet, nor lend into the future.
 */
function instantOf(d: SipDateTime | null | undefined, deps: HandlerDeps): Date | undefined {
  const at = sipDateToInstant(d ?? null, deps.timezone);
  if (!at) return undefined;
  const now = deps.clock.now();
  return at.getTime() > now.getTime() ? now : at;
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
  // A debt stops every service where the preset says so (Jelgava §8: holds too), not only loans.
  const blockedAll = reasons.has('patron_blocked') || reasons.has('membership_expired') || p.blocks.some((b) => b.details?.allServices === true);
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

/**
 * The engine's request context for this connection. Built as one literal with every key, here and
 * in the replies below, rather than with object spread: on this path (every SIP2 message), V8's
 * spread into a literal allocates several times the object it builds, and those objects lived long
 * enough to be promoted, which made the main thread's garbage collection pauses the bridge's
 * latency tail (bench:sip2). An absent optional field is `undefined`, which encode() leaves out.
 */
function ctxFor(session: Sip2Session, noBlock?: boolean, at?: Date, department?: string): RequestContext {
  return { channel: 'sip2', department: department ?? session.account?.location, noBlock, at };
}

export async function handleRequest(req: Sip2Request, session: Sip2Session, deps: HandlerDeps): Promise<HandlerResult> {
  // 99's max print width[3]: 000 (or 999) says nothing; anything else is the width of its printer.
  if (req.code === '99' && req.maxPrintWidth && req.maxPrintWidth > 0 && req.maxPrintWidth < 999) session.printWidth = req.maxPrintWidth;
  const result = await answer(req, session, deps);
  const reply = result.reply as { printLine?: string[] } | null;
  if (reply?.printLine?.length && session.printWidth) reply.printLine = reply.printLine.flatMap((l) => wrapLine(l, session.printWidth!));
  return result;
}

/** A print line cut to the printer's width, at spaces where it can be. */
export function wrapLine(line: string, width: number): string[] {
  const out: string[] = [];
  let rest = line.trimEnd();
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    const at = cut > 0 ? cut : width;
    out.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  out.push(rest);
  return out;
}

async function answer(req: Sip2Request, session: Sip2Session, deps: HandlerDeps): Promise<HandlerResult> {
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
    return reply ? { reply } : notAllowedClose(req.code, account);
  }
  if (account.lockerPickupPlaces?.length) {
    const reply = await lockerVendorRequest(req, session, deps);
    if (reply) return { reply };
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
          language: ps ? sipLanguageOf(ps) : '000',
          transactionDate: now(deps),
          institutionId: req.institutionId || account.institutionId,
          patronIdentifier: req.patronIdentifier,
          personalName: ps ? personalName(ps) : '',
          validPatron: !!ps,
          // A block 25 cannot lift (a card kept by staff, a debt) is said, so the screen explains the flags.
          ...(r.ok ? (ps?.blocks[0] ? { screenMessage: [reasonText(ps.blocks[0].reason, ps.language, ps.blocks[0].details ?? {})] } : {}) : { screenMessage: [r.screenMessage] }),
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
      // CH is required in a 19 (reference §5): without it nothing is stored (nor wiped).
      if (!req.itemProperties) {
        return { reply: { code: '20', itemPropertiesOk: false, transactionDate: now(deps), itemIdentifier: req.itemIdentifier, screenMessage: ['CH (item properties) is required in a 19.'] } };
      }
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
  const patron = 'patronIdentifier' in req ? req.patronIdentifier : '';
  const item = 'itemIdentifier' in req ? (req.itemIdentifier ?? '') : '';
  return refusalOf(req.code, patron, item, account, deps, [`Message ${req.code} is not enabled for this account.`]);
}

/** A message the account may not send and that has no refusal of its own (99): the connection ends. */
function notAllowedClose(code: string, account: Sip2Account): HandlerResult {
  return { reply: null, close: `message ${code} not allowed for account ${account.user}` };
}

/** 94 not OK; the third refused login on a connection also ends it (as Evergreen and Koha do). */
function refusedLogin(session: Sip2Session): HandlerResult {
  session.failedLogins++;
  return { reply: { code: '94', ok: false }, ...(session.failedLogins >= 3 ? { close: 'three refused logins' } : {}) };
}

/**
 * The reply to a message with a request's command code that the codec could not decode (a fixed
 * part too short to line up its fields, a hold mode other than + - *; `errors` are the codec's).
 * Every recognised command gets exactly one reply (reference §1), so the client is not left waiting
 * for its timeout: the command's own response, refused, with the reason in its screen message (AF)
 * and the patron (AA) and item (AB) it named, where they could be read from `text`. 93 is a refused
 * login; 99 gets the ordinary 98, which does not depend on what the 99 said. `reply: null` and no
 * close: nothing to answer (not logged in, a response code, an unknown code; 97 is the server's).
 */
export async function malformedRequest(code: string, text: string, errors: readonly { message: string }[], session: Sip2Session, deps: HandlerDeps): Promise<HandlerResult> {
  const account = session.account;
  if (!account || code === '97' || !(code in RESPONSE_CODE_FOR)) return { reply: null };
  if (code === '93') return refusedLogin(session);
  if (code === '99') return allowed(account, '99') ? { reply: await acsStatus(deps, account) } : notAllowedClose('99', account);
  const why = errors.map((e) => e.message).join('; ') || 'it is not a valid SIP2 message';
  const reply = refusalOf(code, fieldIn(text, 'AA'), fieldIn(text, 'AB'), account, deps, [`Message ${code} could not be read: ${why}.`]);
  return { reply };
}

/** The value of variable field `id` in a raw message, or '' (best effort, for a message that did not decode). */
function fieldIn(text: string, id: string): string {
  const at = text.indexOf(`|${id}`);
  if (at < 0) return '';
  const end = text.indexOf('|', at + 1 + id.length);
  return text.slice(at + 1 + id.length, end < 0 ? text.length : end).replace(/[\r\n]+$/, '');
}

/** A request's own response saying no (ok=0, not valid, …), with `screenMessage` in AF. */
function refusalOf(code: string, patron: string, item: string, account: Sip2Account, deps: HandlerDeps, msg: string[]): Sip2Response | null {
  const base = { transactionDate: now(deps), institutionId: account.institutionId, screenMessage: msg };
  switch (code) {
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
  const ok = (await verifyPinAsync(req.loginPassword, account?.passwordHash ?? deps.accounts[0]?.passwordHash ?? 'scrypt$1$1$1$AA==$AA==')) && !!account;
  if (ok && account) {
    session.account = account;
    session.failedLogins = 0;
    return { reply: { code: '94', ok: true } };
  }
  return refusedLogin(session);
}

async function acsStatus(deps: HandlerDeps, account: Sip2Account | null): Promise<AcsStatusResponse> {
  const st = await deps.backend.status();
  const m = (code: string) => !account || account.messages === 'all' || (account.messages as string[]).includes(code);
  // In front of an unreachable upstream with offline mode on, loans and returns are still taken
  // (queued for the upstream): checkin/checkout ok say what we accept, on-line status says the
  // library system is not there, and AF (the backend's detail) says we work offline.
  const accepting = st.online || st.offline?.active === true;
  return {
    code: '98',
    onlineStatus: st.online,
    checkinOk: accepting && st.supports.checkin && m('09'),
    checkoutOk: accepting && st.supports.checkout && m('11'),
    acsRenewalPolicy: st.supports.renew,
    statusUpdateOk: m('01'),
    offlineOk: true,
    // How long to wait for our reply before resending, in tenths of a second: the backend's own
    // bound; 000 while it is offline and 999 when it cannot say, as the spec reserves them. A resend
    // with the same sequence number and checksum (AY, AZ) gets the reply already given, not a
    // second checkout.
    timeoutPeriod: !st.online ? 0 : st.replyWithinMs === null ? 999 : Math.min(999, Math.ceil(st.replyWithinMs / 100)),
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
    terminalLocation: account?.location,
    screenMessage: st.online ? undefined : [st.detail],
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
  if (refusal && refusal.screenMessage !== extraRefusal?.screenMessage) screen.push(refusal.screenMessage);
  else if (patron?.blocks[0]) screen.push(reasonText(patron.blocks[0].reason, lang, patron.blocks[0].details ?? {}));
  return {
    code: '24',
    patronStatus: patronStatusOf(patron, info?.ok ? info.patron : undefined),
    language: patron ? sipLanguageOf(patron) : language || '000',
    transactionDate: now(deps),
    institutionId: institutionId || session.account!.institutionId,
    patronIdentifier: identifier,
    personalName: patron ? personalName(patron) : '',
    validPatron: !!patron,
    validPatronPassword: pinOk,
    // What the patron owes is theirs: only with the PIN, where the account needs one (as for 63).
    currencyType: info?.ok && (pinOk || !needsPin(session)) ? info.patron.currency : undefined,
    feeAmount: info?.ok && (pinOk || !needsPin(session)) ? money(info.patron.balance) : undefined,
    screenMessage: screen.length ? screen : undefined,
  };
}

function range<T>(list: T[], start?: number, end?: number): T[] {
  const s = Math.max(1, start ?? 1);
  const e = Math.max(s, end ?? list.length);
  return list.slice(s - 1, e);
}

async function patronInformation(req: Extract<Sip2Request, { code: '63' }>, session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  // Without a PIN to verify, the full record answers "who is this" too: one lookup, not two.
  const noPin = req.patronPassword === undefined || req.patronPassword === '';
  const early = noPin ? await deps.backend.patronInformation(req.patronIdentifier, ctxFor(session)) : null;
  const { patron, pinOk, refusal } = early
    ? early.ok
      ? { patron: early.patron, pinOk: session.verifiedPatrons.has(req.patronIdentifier) || !early.patron.pinSet, refusal: null }
      : { patron: null, pinOk: false, refusal: early }
    : await checkPatron(req.patronIdentifier, req.patronPassword, session, deps);
  const language = patron ? sipLanguageOf(patron) : req.language || '000';
  const transactionDate = now(deps);
  const institutionId = req.institutionId || session.account!.institutionId;
  const info = early ?? (patron ? await deps.backend.patronInformation(req.patronIdentifier, ctxFor(session)) : null);
  // Without a verified PIN (where the account needs one) nothing beyond the name is given out.
  if (!patron || !info?.ok || (needsPin(session) && !pinOk)) {
    return {
      code: '64',
      language,
      transactionDate,
      institutionId,
      patronIdentifier: req.patronIdentifier,
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
      // Why nothing more is said: the patron's refusal, the backend's (e.g. the library system cannot
      // be reached), or the PIN that is missing.
      screenMessage: [
        refusal?.screenMessage ??
          (info && !info.ok && !(needsPin(session) && !pinOk) ? info.screenMessage : reasonText('pin_required', patron?.language ?? deps.defaultLanguage)),
      ],
    };
  }
  const p = info.patron;
  const ready = p.holds.filter((h) => h.status === 'W');
  const waiting = p.holds.filter((h) => h.status !== 'W');
  const overdue = p.loans.filter((l) => l.overdue);
  const charged = p.loans.filter((l) => l.status === 'C' || l.status === 'S' || l.status === 'D');
  // The one item list the summary asks for (BP/BQ give the range), or none.
  const want = summaryCategory(req.summary);
  const screen: string[] = [];
  if (p.blocks[0]) screen.push(reasonText(p.blocks[0].reason, p.language, p.blocks[0].details ?? {}));
  if (ready.length) screen.push(`${ready.length} reservation(s) ready for pickup.`);
  return {
    code: '64',
    language,
    transactionDate,
    institutionId,
    patronIdentifier: req.patronIdentifier,
    patronStatus: patronStatusOf(p, p),
    holdItemsCount: ready.length,
    overdueItemsCount: overdue.length,
    chargedItemsCount: charged.length,
    fineItemsCount: p.fees.length,
    recallItemsCount: 0,
    unavailableHoldsCount: waiting.length,
    personalName: personalName(p),
    chargedItemsLimit: p.limits.total ?? undefined,
    validPatron: true,
    validPatronPassword: pinOk,
    currencyType: p.currency,
    feeAmount: money(p.balance),
    holdItems: want === 'holdItems' ? range(ready.map((h) => h.itemBarcode ?? h.bibId), req.startItem, req.endItem) : undefined,
    overdueItems: want === 'overdueItems' ? range(overdue.map((l) => l.barcode), req.startItem, req.endItem) : undefined,
    chargedItems: want === 'chargedItems' ? range(charged.map((l) => l.barcode), req.startItem, req.endItem) : undefined,
    fineItems: want === 'fineItems' ? range(p.fees.map((f) => `${f.id} ${money(f.remaining)} ${f.currency} ${f.description}`), req.startItem, req.endItem) : undefined,
    recallItems: want === 'recallItems' ? [] : undefined,
    unavailableHoldItems: want === 'unavailableHolds' ? range(waiting.map((h) => h.itemBarcode ?? h.bibId), req.startItem, req.endItem) : undefined,
    emailAddress: p.email || undefined,
    screenMessage: screen.length ? screen : undefined,
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
  const screen: string[] = [];
  if (i.kit) screen.push(`Part ${i.kit.partNumber} of ${i.kit.partsTotal} of kit ${i.kit.code} "${i.kit.title}".`);
  if (i.loanMode.home !== 'unconditional') screen.push(reasonText(i.loanMode.home === 'forbidden' ? 'item_not_loanable' : 'ask_staff', deps.defaultLanguage));
  return {
    code: '18',
    circulationStatus: circulationStatus(i),
    securityMarker: SECURITY_MARKER.other, // RFID: the security bit is AFI/EAS on the tag
    // What a loan of it costs: a rental (06) with its amount, as 12 will charge it after BO.
    feeType: i.loanFee ? FEE_TYPE.rental : FEE_TYPE.other,
    ...(i.loanFee ? { feeAmount: money(i.loanFee) } : {}),
    transactionDate: now(deps),
    holdQueueLength: i.holdQueueLength,
    dueDate: i.dueDate ? dueDateField(i.dueDate) : undefined,
    holdPickupDate: i.holdExpiresOn ? sipEndOfDay(i.holdExpiresOn) ?? undefined : undefined,
    itemIdentifier: i.barcode,
    titleIdentifier: i.title,
    owner: institutionId,
    currencyType: i.currency,
    mediaType: mediaType(i.materialType),
    permanentLocation: i.department,
    currentLocation: i.department,
    // A kit's own properties (part n of m, its units); else what a self-check stored with 19.
    itemProperties: i.kit ? kitProperties(i) || undefined : i.scProperties || undefined,
    screenMessage: screen,
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

/**
 * A 12 for this checkout request: refused (ok false, nothing to desensitise) until the outcome says
 * otherwise. Every optional field is named, `undefined` until set (see ctxFor for why).
 */
function checkoutReply(req: Extract<Sip2Request, { code: '11' }>, session: Sip2Session, deps: HandlerDeps, screenMessage?: string[]): CheckoutResponse {
  return {
    code: '12',
    ok: false,
    renewalOk: false,
    magneticMedia: false,
    desensitize: false,
    transactionDate: now(deps),
    institutionId: req.institutionId || session.account!.institutionId,
    patronIdentifier: req.patronIdentifier,
    itemIdentifier: req.itemIdentifier,
    titleIdentifier: '',
    dueDate: '',
    feeType: undefined,
    currencyType: undefined,
    feeAmount: undefined,
    screenMessage,
    printLine: undefined,
  };
}

/** The item is on loan to this patron (lent now, renewed, or already): ok, desensitise, title, due date. */
function lent(reply: CheckoutResponse, renewalOk: boolean, title: string, dueDate: string | null | undefined): CheckoutResponse {
  reply.ok = true;
  reply.renewalOk = renewalOk;
  reply.desensitize = true;
  reply.titleIdentifier = title;
  reply.dueDate = dueDateField(dueDate);
  return reply;
}

async function checkout(req: Extract<Sip2Request, { code: '11' }>, session: Sip2Session, deps: HandlerDeps): Promise<CheckoutResponse> {
  // The checkout itself refuses an unknown or blocked patron; a separate lookup first is needed only
  // to verify a PIN (given, or required by the account).
  const pinToCheck = req.patronPassword !== undefined && req.patronPassword !== '';
  if (!req.noBlock && (pinToCheck || needsPin(session))) {
    const { patron, pinOk, refusal } = await checkPatron(req.patronIdentifier, req.patronPassword, session, deps);
    if (!patron) return checkoutReply(req, session, deps, [refusal?.screenMessage ?? reasonText('unknown_patron', deps.defaultLanguage)]);
    if (refusal) return checkoutReply(req, session, deps, [refusal.screenMessage]);
    if (needsPin(session) && !pinOk) return checkoutReply(req, session, deps, [reasonText('pin_required', patron.language)]);
  }
  const at = req.noBlock ? instantOf(req.transactionDate, deps) : undefined;
  const r = await deps.backend.checkout(
    { patron: req.patronIdentifier, item: req.itemIdentifier, feeAcknowledged: req.feeAcknowledged === true },
    ctxFor(session, req.noBlock, at),
  );
  if (r.ok) return loanMade(checkoutReply(req, session, deps, r.units.length > 1 ? [`${r.units.length} parts lent together.`] : undefined), r);
  if (r.reason === 'item_already_yours') {
    // Already charged to this patron: with the SC's renewal policy a renewal, else a repeat of a
    // checkout that succeeded (a client retry gets the same answer, not a second loan).
    if (req.scRenewalPolicy) {
      const rn = await deps.backend.renew({ patron: req.patronIdentifier, item: req.itemIdentifier, feeAcknowledged: req.feeAcknowledged === true }, ctxFor(session));
      if (rn.ok) return lent(checkoutReply(req, session, deps), true, rn.title, rn.dueDate);
      // Not renewed: the title and the due date that stands, as for any refusal of the item (§11).
      const reply = checkoutReply(req, session, deps, [rn.screenMessage]);
      const held = await deps.backend.itemInformation(req.itemIdentifier, ctxFor(session));
      if (held.ok) {
        reply.titleIdentifier = held.item.title;
        reply.dueDate = dueDateField(held.item.dueDate);
      }
      return reply;
    }
    const i = await deps.backend.itemInformation(req.itemIdentifier, ctxFor(session));
    if (i.ok) return lent(checkoutReply(req, session, deps), false, i.item.title, i.item.dueDate);
  }
  if (r.reason === 'fee_not_acknowledged') {
    const reply = checkoutReply(req, session, deps, [r.screenMessage]);
    reply.feeType = FEE_TYPE.rental;
    reply.feeAmount = money(Number(r.details?.fee ?? 0));
    if (typeof r.details?.currency === 'string') reply.currencyType = r.details.currency;
    return reply;
  }
  const info = await deps.backend.itemInformation(req.itemIdentifier, ctxFor(session));
  const reply = checkoutReply(req, session, deps, kitMissingLines(r));
  if (info.ok) {
    reply.titleIdentifier = info.item.title;
    reply.dueDate = dueDateField(info.item.dueDate);
  }
  return reply;
}

/**
 * What a 12 says about a loan that was made, by a plain checkout or a locker pickup alike: the
 * title, the due date, the loan fee charged (BV with BH, fee type rental) and, for a kit, one print
 * line per part.
 */
function loanMade(reply: CheckoutResponse, r: CheckoutResult): CheckoutResponse {
  lent(reply, false, r.title, r.dueDate);
  if (r.fee) {
    reply.feeType = FEE_TYPE.rental;
    reply.currencyType = r.fee.currency;
    reply.feeAmount = money(r.fee.amount);
  }
  if (r.units.length > 1) reply.printLine = kitPrintLines(r.units);
  return reply;
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

/** Where a returned item goes next (sorter bin, alert, hold shelf and for whom), into its 10; returns what the screen says of it. */
function routeReturn(reply: CheckinResponse, routing: Routing, result?: CheckinResult): string[] {
  reply.alert = routing.destination !== 'shelf';
  reply.sortBin = sortBin(routing);
  reply.alertType = alertType(routing);
  if (routing.destination === 'other_department' && routing.department) reply.destinationLocation = routing.department;
  if (routing.destination === 'hold_shelf' || routing.destination === 'processing') {
    reply.destinationLocation = routing.pickupPlace ?? routing.department ?? '';
    reply.holdPatronId = routing.forPatron ?? '';
    reply.holdPatronName = routing.forPatronName ?? '';
  }
  if (result && result.units.length > 1) reply.printLine = result.units.map((u, i) => `${i + 1}/${result.units.length} ${u}`);
  const text = routingText(routing);
  return text ? [text] : [];
}

async function checkin(req: Extract<Sip2Request, { code: '09' }>, session: Sip2Session, deps: HandlerDeps): Promise<CheckinResponse> {
  const account = session.account!;
  const at = req.noBlock ? (instantOf(req.returnDate, deps) ?? instantOf(req.transactionDate, deps)) : undefined;
  // AP is the current location: a department code of ours moves the return there.
  // Only a known department code moves the return there; any other AP (a book drop's name, a
  // branch label of the device's own) leaves it in the account's department.
  const department = req.currentLocation && deps.isDepartment?.(req.currentLocation) ? req.currentLocation : account.location;
  const r = await deps.backend.checkin({ item: req.itemIdentifier }, ctxFor(session, req.noBlock, at, department));
  // The embedded engine hands the item's catalogue data back with the return; others are asked.
  const details =
    r.ok && r.itemDetails
      ? r.itemDetails
      : await deps.backend.itemInformation(req.itemIdentifier, ctxFor(session)).then((i) => (i.ok ? i.item : null));
  // Refused and kept secured until the outcome says otherwise (see ctxFor for the literal).
  const reply: CheckinResponse = {
    code: '10',
    ok: false,
    resensitize: true,
    magneticMedia: false,
    alert: true,
    transactionDate: now(deps),
    institutionId: req.institutionId || account.institutionId,
    itemIdentifier: req.itemIdentifier,
    permanentLocation: details ? details.department : '',
    titleIdentifier: details?.title,
    sortBin: undefined,
    patronIdentifier: undefined,
    mediaType: details ? mediaType(details.materialType) : undefined,
    screenMessage: undefined,
    printLine: undefined,
    collectionCode: details?.materialType,
    callNumber: details?.callNumber,
    destinationLocation: undefined,
    alertType: undefined,
    holdPatronId: undefined,
    holdPatronName: undefined,
  };
  if (r.ok) {
    reply.ok = true;
    const screen = routeReturn(reply, r.routing, r);
    if (r.fine) screen.push(`Fine: ${money(r.fine.amount)} ${r.fine.currency}`);
    reply.patronIdentifier = r.patron || undefined;
    reply.screenMessage = screen;
    return reply;
  }
  const routing = r.details?.routing as Routing | undefined;
  if (r.reason === 'not_on_loan' && routing) {
    reply.ok = account.checkinOkWhenNotOnLoan;
    reply.screenMessage = [r.screenMessage, ...routeReturn(reply, routing)];
    return reply;
  }
  // A refused return stays secured and goes to staff.
  reply.sortBin = 'STAFF';
  reply.alertType = ALERT_TYPE.other;
  reply.screenMessage = kitMissingLines(r);
  return reply;
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
  // The checkout itself refuses an unknown or blocked patron; a separate lookup first is needed only
  // to verify a PIN (given, or required by the account).
  const pinToCheck = req.patronPassword !== undefined && req.patronPassword !== '';
  if (!req.noBlock && (pinToCheck || needsPin(session))) {
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
  const r = await deps.backend.renew({ patron: req.patronIdentifier, item, feeAcknowledged: req.feeAcknowledged === true }, ctxFor(session, req.noBlock, at));
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
      // A renewal fee to accept: the amount and currency, as for 11; sent again with BO=Y it renews.
      ...(r.reason === 'fee_not_acknowledged' && info.ok
        ? { feeType: FEE_TYPE.rental, currencyType: typeof r.details?.currency === 'string' ? r.details.currency : undefined, feeAmount: money(Number(r.details?.fee ?? 0)) }
        : {}),
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
  const r = await deps.backend.renewAll({ patron: req.patronIdentifier, feeAcknowledged: req.feeAcknowledged === true }, ctxFor(session));
  if (!r.ok) return { ...base, ok: false, renewedCount: 0, unrenewedCount: 0, screenMessage: [r.screenMessage] };
  return {
    ...base,
    ok: true,
    renewedCount: r.renewed.length,
    unrenewedCount: r.refused.length,
    renewedItems: r.renewed.map((x) => x.item),
    unrenewedItems: r.refused.map((x) => x.item),
    // 66 has no fee fields: a fine charged for the overdue days and a renewal fee are said per item
    // ("B1: due 2026-03-23, fine 3.20 EUR"; sip2-upstream/backend.ts reads them back).
    screenMessage: [
      ...r.renewed.map((x) => `${x.item}: due ${x.dueDate}${x.fine ? `, fine ${money(x.fine.amount)} ${x.fine.currency}` : ''}${x.fee ? `, fee ${money(x.fee.amount)} ${x.fee.currency}` : ''}`),
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
        ? await deps.backend.cancelHold(target, ctx).then((c) => (c.ok ? { ok: true as const, hold: c.cancelled, fee: c.fee } : c))
        : req.pickupLocation
          ? await deps.backend.changeHold({ ...target, pickupPlace: req.pickupLocation }, ctx)
          : { ok: false as const, screenMessage: reasonText('invalid_request', patron.language) };
  if (!r.ok) return { ...base, ok: false, available: false, screenMessage: [r.screenMessage] };
  const h = r.hold;
  return {
    ...base,
    ok: true,
    available: req.holdMode !== 'cancel' && (h.status === 'O' || h.status === 'W'),
    ...(h.expiresOn ? { expirationDate: sipEndOfDay(h.expiresOn) } : {}),
    ...(h.queuePosition ? { queuePosition: h.queuePosition } : {}),
    ...(h.pickupPlace ? { pickupLocation: h.pickupPlace } : {}),
    ...(h.itemBarcode ? { itemIdentifier: h.itemBarcode } : {}),
    titleIdentifier: h.title,
    screenMessage: [
      req.holdMode === 'cancel'
        ? `Reservation cancelled: ${h.title}${'fee' in r && r.fee ? `. Unclaimed-hold fee: ${money(r.fee.amount)} ${r.fee.currency}.` : ''}`
        : `Reserved: ${h.title}${h.status === 'R' ? ` (place ${h.queuePosition} in the queue)` : ''}`,
    ],
  };
}

async function feePaid(req: Extract<Sip2Request, { code: '37' }>, session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  const base = { code: '38' as const, transactionDate: now(deps), institutionId: req.institutionId || session.account!.institutionId, patronIdentifier: req.patronIdentifier };
  // A payment is a patron transaction like any other: the PIN where the account needs one, and
  // nothing said about what the patron owes to whoever types a card number.
  const { patron, pinOk, refusal } = await checkPatron(req.patronIdentifier, req.patronPassword, session, deps);
  if (!patron || refusal) return { ...base, paymentAccepted: false, screenMessage: [refusal?.screenMessage ?? reasonText('unknown_patron', deps.defaultLanguage)] };
  if (needsPin(session) && !pinOk) return { ...base, paymentAccepted: false, screenMessage: [reasonText('pin_required', patron.language)] };
  // BV: a plain decimal amount, a comma or a point before at most two decimals; not hex (0x5),
  // binary (0b11) or exponents (1e-1), which Number() would take.
  const amountText = req.feeAmount.trim();
  if (!/^\d{1,9}(?:[.,]\d{1,2})?$/.test(amountText)) return { ...base, paymentAccepted: false, screenMessage: [reasonText('invalid_amount', patron.language)] };
  const amount = Number(amountText.replace(',', '.'));
  const feeId = req.feeIdentifier && /^\d+$/.test(req.feeIdentifier) ? Number(req.feeIdentifier) : undefined;
  if (req.feeIdentifier && feeId === undefined) return { ...base, paymentAccepted: false, screenMessage: [reasonText('fee_not_found', patron.language)] };
  // Devices retry payments: the same patron, device transaction id and amount is one payment.
  const key = req.transactionId ? `sip2-fee:${session.account!.user}:${req.patronIdentifier}:${req.transactionId}:${req.feeAmount}` : undefined;
  const ctx = ctxFor(session);
  if (key) ctx.idempotencyKey = key;
  const r = await deps.backend.feePaid(
    {
      patron: req.patronIdentifier,
      amount,
      currency: req.currencyType,
      method: req.paymentType === '00' ? 'cash' : req.paymentType === '01' || req.paymentType === '02' ? 'card' : 'other',
      ...(feeId !== undefined ? { feeId } : {}),
      ...(req.transactionId ? { reference: req.transactionId } : {}),
    },
    ctx,
  );
  if (!r.ok) return { ...base, paymentAccepted: false, screenMessage: [r.screenMessage] };
  return { ...base, paymentAccepted: true, transactionId: String(r.paymentId), screenMessage: [`Paid ${money(r.paid)} ${r.currency}; still owed ${money(r.balance)} ${r.currency}.`] };
}

// ------------------------------------------------------------------ locker vendor (docs/locker-vendor.md)
//
// An account with `lockerPickupPlaces` belongs to a vendor whose own locker system drives the doors
// of those pickup places (domain.md §8.3). Its messages mean one thing each and act only on
// reservations for those places: 17 scan while loading, 09 compartment closed on the copy, 11 the
// patron opened the compartment, 15 `-` not collected, 63 what waits for a patron. It never lends
// or returns anything else, and sees no patron data beyond what a locker needs.

type LockerReply = Sip2Response | null;

/** The vendor's own message for a request of a locker account, or null for the generic handler (99, 35). */
async function lockerVendorRequest(req: Sip2Request, session: Sip2Session, deps: HandlerDeps): Promise<LockerReply> {
  const places = session.account!.lockerPickupPlaces!;
  switch (req.code) {
    case '17':
      return lockerItemInformation(req, places, session, deps);
    case '09':
      return lockerLoad(req, places, session, deps);
    case '11':
      return lockerPickup(req, places, session, deps);
    case '15':
      return lockerRelease(req, places, session, deps);
    case '63':
      return lockerPatronInformation(req, places, session, deps);
    default:
      return null;
  }
}

const NO_ENGINE = 'Locker vendor messages need the embedded circulation engine.';

/** Local time for a vendor's display: `2026-03-05 10:00`. */
function localTime(iso: string, deps: HandlerDeps): string {
  const d = sipDateFromInstant(new Date(iso), deps.timezone);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.year}-${p(d.month)}-${p(d.day)} ${p(d.hour)}:${p(d.minute)}`;
}

/** When a locker hold runs out, as a SIP date: the instant, or the end of its last day. */
function lockerExpiry(h: LockerHold, deps: HandlerDeps): SipDateTime | null {
  if (h.expiresAt) return sipDateFromInstant(new Date(h.expiresAt), deps.timezone);
  if (h.expiresOn) return sipEndOfDay(h.expiresOn);
  return null;
}

function lockerExpiryText(h: LockerHold, deps: HandlerDeps): string {
  return h.expiresAt ? localTime(h.expiresAt, deps) : (h.expiresOn ?? '-');
}

/** The vendor-facing second line of a refusal: what did not match, never who reserved the copy. */
function lockerMismatch(r: Refusal, item: string, places: string[], what: string): string {
  const d = r.details ?? {};
  const ours = places.join(', ');
  switch (d.situation) {
    case 'not_for_patron_here':
      // Reserved for another patron, or for this one elsewhere: one answer for both (embedded.ts vendorMismatch).
      return `${item} is not reserved for this patron at ${ours}. ${what}`;
    case 'other_place':
      // A load (09) names no patron: the place it should go to is said.
      return `${item} is reserved for pickup at ${String(d.pickupPlace)}, not at ${ours}. ${what}`;
    case 'on_loan':
      return `${item} is on loan, not reserved for pickup at ${ours}. ${what}`;
    case 'not_reserved':
      return `${item} is not reserved for pickup at ${ours}. ${what}`;
    default:
      return what;
  }
}

async function lockerItemInformation(
  req: Extract<Sip2Request, { code: '17' }>,
  places: string[],
  session: Sip2Session,
  deps: HandlerDeps,
): Promise<Sip2Response> {
  const base = (await itemInformation(req.itemIdentifier, req.institutionId || session.account!.institutionId, session, deps)) as Extract<
    Sip2Response,
    { code: '18' }
  >;
  if (!base.titleIdentifier) return base; // unknown item: the generic answer says so
  if (!deps.backend.lockerVendorHold) return { ...base, screenMessage: [...(base.screenMessage ?? []), NO_ENGINE] };
  const r = await deps.backend.lockerVendorHold(req.itemIdentifier, ctxFor(session));
  if (!r.ok) return { ...base, screenMessage: [r.screenMessage] };
  const h = r.hold;
  // The generic CM (end of the hold's day) is replaced by the locker's own expiry, or dropped.
  const { holdPickupDate: _generic, ...rest } = base;
  if (!h) return { ...rest, screenMessage: [...(base.screenMessage ?? []), `Not reserved: ${req.itemIdentifier} does not go into a locker.`] };
  if (!places.includes(h.pickupPlace)) {
    return {
      ...rest,
      destinationLocation: h.pickupPlace,
      screenMessage: [...(base.screenMessage ?? []), `Reserved for pickup at ${h.pickupPlace}: not for this locker bank.`],
    };
  }
  const expiry = h.status === 'W' ? lockerExpiry(h, deps) : null;
  return {
    ...rest,
    destinationLocation: h.pickupPlace,
    ...(expiry ? { holdPickupDate: expiry } : {}),
    ...(h.units.length > 1 ? { printLine: h.units.map((u, i) => `${i + 1}/${h.units.length} ${u}`) } : {}),
    // 3M's hold patron fields (as in 10), for the compartment label: the patron's card and short name.
    extra: [
      { id: 'CY', value: h.patron },
      { id: 'DA', value: h.patronName },
    ],
    screenMessage: [
      ...(base.screenMessage ?? []),
      h.status === 'W'
        ? `Waiting in ${h.pickupPlace} for ${h.patronName} until ${lockerExpiryText(h, deps)}.`
        : `Reserved for ${h.patronName}: load into ${h.pickupPlace}${h.units.length > 1 ? ` with all ${h.units.length} parts` : ''}.`,
    ],
  };
}

async function lockerLoad(req: Extract<Sip2Request, { code: '09' }>, places: string[], session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  const account = session.account!;
  // AP names the bank's pickup place; an account with one bank may leave it empty.
  const place = req.currentLocation || (places.length === 1 ? places[0]! : '');
  const info = await deps.backend.itemInformation(req.itemIdentifier, ctxFor(session));
  const base = {
    code: '10' as const,
    magneticMedia: false,
    transactionDate: now(deps),
    institutionId: req.institutionId || account.institutionId,
    itemIdentifier: req.itemIdentifier,
    permanentLocation: info.ok ? info.item.department : '',
    ...(info.ok ? { titleIdentifier: info.item.title, mediaType: mediaType(info.item.materialType) } : {}),
  };
  // A refused load changes nothing; the copy stays secured and goes to staff.
  const fail = (screen: string[]): Sip2Response => ({ ...base, ok: false, resensitize: true, alert: true, alertType: ALERT_TYPE.other, screenMessage: screen });
  if (!places.includes(place)) {
    return fail([`AP must be the pickup place code of a locker bank of this account (${places.join(', ')})${place ? `, not ${place}` : ''}. Nothing was recorded.`]);
  }
  if (!deps.backend.lockerVendorLoad) return fail([NO_ENGINE]);
  const r = await deps.backend.lockerVendorLoad({ item: req.itemIdentifier, pickupPlace: place, holdHours: deps.lockerHoldHours?.(place) }, ctxFor(session));
  if (!r.ok) {
    const what =
      r.details?.situation === 'on_loan'
        ? 'A return into a locker is not a check-in: staff check it in when they empty the compartment. Nothing was recorded.'
        : 'Nothing was recorded: take it out and give it to staff.';
    return fail([r.screenMessage, lockerMismatch(r, req.itemIdentifier, places, what)]);
  }
  const h = r.hold;
  const expiry = lockerExpiry(h, deps);
  return {
    ...base,
    ok: true,
    resensitize: true, // it stays secured in the compartment until the patron collects it
    alert: false, // nothing to do: the copy stays where it is
    destinationLocation: h.pickupPlace,
    holdPatronId: h.patron,
    holdPatronName: h.patronName,
    ...(h.units.length > 1 ? { printLine: h.units.map((u, i) => `${i + 1}/${h.units.length} ${u}`) } : {}),
    ...(expiry ? { extra: [{ id: 'CM', value: formatSipDate(expiry) }] } : {}),
    screenMessage: [`${r.alreadyLoaded ? 'Already loaded' : 'Loaded'}: waiting in ${h.pickupPlace} for ${h.patronName} until ${lockerExpiryText(h, deps)}.`],
  };
}

async function lockerPickup(req: Extract<Sip2Request, { code: '11' }>, places: string[], session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  if (!deps.backend.lockerVendorPickup) return checkoutReply(req, session, deps, [NO_ENGINE]);
  // No block = Y: a pickup the locker buffered while we were unreachable, recorded at its own time.
  const at = req.noBlock ? instantOf(req.transactionDate, deps) : undefined;
  const r = await deps.backend.lockerVendorPickup(
    { patron: req.patronIdentifier, item: req.itemIdentifier, pickupPlaces: places },
    ctxFor(session, req.noBlock, at),
  );
  if (!r.ok) return checkoutReply(req, session, deps, [r.screenMessage, lockerMismatch(r, req.itemIdentifier, places, 'Nothing was lent.')]);
  const screen = r.alreadyRecorded ? `Already recorded: ${r.title} is on loan, due ${r.dueDate}.` : `Collected from ${r.pickupPlace}: ${r.title}, due ${r.dueDate}.`;
  return loanMade(checkoutReply(req, session, deps, [screen]), r);
}

async function lockerRelease(req: Extract<Sip2Request, { code: '15' }>, places: string[], session: Sip2Session, deps: HandlerDeps): Promise<Sip2Response> {
  const base = {
    code: '16' as const,
    transactionDate: now(deps),
    institutionId: req.institutionId || session.account!.institutionId,
    patronIdentifier: req.patronIdentifier,
    ...(req.itemIdentifier ? { itemIdentifier: req.itemIdentifier } : {}),
  };
  const fail = (screen: string[]): Sip2Response => ({ ...base, ok: false, available: false, screenMessage: screen });
  if (req.holdMode !== 'cancel') return fail(['A locker account only releases reservations (hold mode -); the library places and changes them.']);
  if (!req.itemIdentifier) return fail(['AB, the barcode of the copy in the compartment, is required.']);
  if (!deps.backend.lockerVendorRelease) return fail([NO_ENGINE]);
  const r = await deps.backend.lockerVendorRelease({ patron: req.patronIdentifier, item: req.itemIdentifier, pickupPlaces: places }, ctxFor(session));
  if (!r.ok) return fail([r.screenMessage, lockerMismatch(r, req.itemIdentifier, places, 'Nothing was released.')]);
  const h = r.hold;
  const head =
    r.outcome === 'expired'
      ? `Not collected: the reservation of ${h.title} for ${h.patronName} has expired.`
      : `Released before its expiry: the reservation of ${h.title} for ${h.patronName} is cancelled.`;
  const where = r.next
    ? `Take ${h.item} out of ${h.pickupPlace} for staff: it is reserved for the next patron${r.next.pickupPlace ? ` (pickup at ${r.next.pickupPlace})` : ''}.`
    : `Take ${h.item} out of ${h.pickupPlace} for staff: it goes back to the shelf.`;
  return {
    ...base,
    ok: true,
    available: false,
    pickupLocation: h.pickupPlace,
    itemIdentifier: h.item,
    titleIdentifier: h.title,
    // Machine-readable beside AF: where the copy goes (sort bin as in 10) and the fee charged.
    extra: [
      { id: 'CL', value: r.next ? 'PROCESS' : 'SHELF' },
      ...(r.fee ? [{ id: 'BH', value: r.fee.currency }, { id: 'BV', value: money(r.fee.amount) }] : []),
    ],
    screenMessage: [
      ...(r.alreadyRecorded ? ['Already released.'] : []),
      head,
      r.fee ? `Unclaimed-hold fee: ${money(r.fee.amount)} ${r.fee.currency}.` : 'No fee.',
      where,
    ],
  };
}

async function lockerPatronInformation(
  req: Extract<Sip2Request, { code: '63' }>,
  places: string[],
  session: Sip2Session,
  deps: HandlerDeps,
): Promise<Sip2Response> {
  const base = {
    code: '64' as const,
    language: req.language || '000',
    transactionDate: now(deps),
    institutionId: req.institutionId || session.account!.institutionId,
    patronIdentifier: req.patronIdentifier,
    overdueItemsCount: 0,
    chargedItemsCount: 0,
    fineItemsCount: 0,
    recallItemsCount: 0,
  };
  const empty = (valid: boolean, screen: string[]): Sip2Response => ({
    ...base,
    patronStatus: valid ? makePatronStatus({}) : patronStatusOf(null),
    holdItemsCount: 0,
    unavailableHoldsCount: 0,
    personalName: '',
    validPatron: valid,
    screenMessage: screen,
  });
  if (!deps.backend.lockerVendorPatron) return empty(false, [NO_ENGINE]);
  const r = await deps.backend.lockerVendorPatron({ patron: req.patronIdentifier, pickupPlaces: places }, ctxFor(session));
  if (!r.ok) return empty(false, [r.screenMessage]);
  // A patron with nothing for these lockers is none of the vendor's business: no name, no number.
  if (!r.holds.length) return empty(true, [`Nothing is reserved for this patron at ${places.join(', ')}.`]);
  const ready = r.holds.filter((h) => h.status === 'W');
  const coming = r.holds.filter((h) => h.status === 'O');
  const want = summaryCategory(req.summary);
  return {
    ...base,
    patronStatus: makePatronStatus({}),
    holdItemsCount: ready.length,
    unavailableHoldsCount: coming.length,
    personalName: `${r.patron.firstName} ${r.patron.lastName}`,
    validPatron: true,
    ...(want === 'holdItems' ? { holdItems: range(ready.map((h) => h.item), req.startItem, req.endItem) } : {}),
    ...(want === 'unavailableHolds' ? { unavailableHoldItems: range(coming.map((h) => h.item), req.startItem, req.endItem) } : {}),
    // For the vendor's pickup SMS (domain.md §8.3 step 5).
    ...(r.patron.mobile ? { homePhoneNumber: r.patron.mobile } : {}),
    screenMessage: [
      `${ready.length} waiting in the locker, ${coming.length} to be loaded.`,
      ...ready.map((h) => `${h.item} in ${h.pickupPlace} until ${lockerExpiryText(h, deps)}`),
    ],
  };
}

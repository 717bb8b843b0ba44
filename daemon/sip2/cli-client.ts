/**
 * `kiosk sip2 HOST:PORT [options] [MESSAGE [message options]]...`: a SIP2 client for staff and
 * vendors. It connects (TCP or TLS), logs in (93) when a user is given, sends the messages named on
 * the command line (or raw lines) one after the other, and prints both sides of every exchange: the
 * wire line as sent/received, with secrets masked (CO, AD, AC, and the AZ checksum that would give a
 * short PIN away), and the decoded fields.
 *
 *   KIOSK_SIP2_PASSWORD=selfcheck kiosk sip2 127.0.0.1:6001 --user selfcheck \
 *     patron-info --patron 0100001 --pin 1234 --summary charged \
 *     checkout --patron 0100001 --item 30100000001
 *
 * Exit codes: 0 every message got a reply (refusals such as ok=0 are replies); 1 no connection,
 * login refused, timeout, or the server closed the connection; 2 a usage error.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  ALERT_TYPE,
  CIRCULATION_STATUS,
  computeChecksum,
  decode,
  encodeCharset,
  FEE_TYPE,
  findTrailer,
  HOLD_TYPE,
  isSupportedCharset,
  LANGUAGE,
  makeSummary,
  maskWire,
  MASK,
  MEDIA_TYPE,
  parseSipDate,
  PATRON_STATUS_FLAGS,
  PAYMENT_TYPE,
  redactMessage,
  SC_STATUS_CODE,
  SECURITY_MARKER,
  sipDateFromInstant,
  sipEndOfDay,
  specFor,
  summaryCategory,
  SUPPORTED_MESSAGE_FLAGS,
  type FixedFieldSpec,
  type HoldMode,
  type PatronStatus,
  type PatronSummary,
  type SipDateTime,
  type Sip2Message,
  type Sip2Request,
  type SummaryCategory,
  type SupportedMessages,
  type VariableFieldSpec,
} from '../../protocols/sip2/index.ts';
import { clockFromSpec, type Clock } from '../clock.ts';
import { Sip2Client, Sip2ClientError } from './client.ts';

/** Environment variables read for secrets (not visible in the process list, unlike options). */
export const PASSWORD_ENV = 'KIOSK_SIP2_PASSWORD';
export const TERMINAL_PASSWORD_ENV = 'KIOSK_SIP2_TERMINAL_PASSWORD';

export const DEFAULT_SIP2_PORT = 6001;

// ---------------------------------------------------------------------------------------------
// Message catalogue: the names accepted on the command line

interface OptionDef {
  /** Long option name without dashes. */
  name: string;
  /** Placeholder for options that take a value; absent for flags. */
  value?: string;
  help: string;
}

/** What a message builder gets besides its own options. */
interface BuildContext {
  institution: string;
  terminalPassword: string;
  /** Transaction date of this request. */
  now: SipDateTime;
  timeZone: string;
  clock: Clock;
}

type Opts = Record<string, string | true>;

interface MessageDef {
  name: string;
  code: Sip2Request['code'];
  help: string;
  options: OptionDef[];
  build(o: Opts, ctx: BuildContext): Sip2Request;
}

const PATRON: OptionDef = { name: 'patron', value: 'id', help: 'AA patron identifier (card number)' };
const PIN: OptionDef = { name: 'pin', value: 'pin', help: 'AD patron password (PIN); masked in the output' };
const ITEM: OptionDef = { name: 'item', value: 'barcode', help: 'AB item identifier' };
const FEE_ACK: OptionDef = { name: 'fee-ack', help: 'BO=Y: the patron accepts the fee' };
const NO_BLOCK: OptionDef = { name: 'no-block', help: 'no block=Y: already done offline, do not refuse' };

export class UsageError extends Error {}

function need(o: Opts, message: string, name: string): string {
  const v = o[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`${message}: --${name} is required`);
  return v;
}

function str(o: Opts, name: string): string | undefined {
  const v = o[name];
  return typeof v === 'string' ? v : undefined;
}

function flag(o: Opts, name: string): boolean {
  return o[name] === true;
}

/** Optional secret: an empty `--pin ''` is sent as an empty AD (that is a test case too). */
function pinOf(o: Opts): { patronPassword?: string } {
  const pin = str(o, 'pin');
  return pin === undefined ? {} : { patronPassword: pin };
}

/**
 * A date option: an 18-character SIP date, `YYYY-MM-DD` (end of that day, local time), or an ISO
 * date-time (converted to local time in the client's zone).
 */
export function parseDateOption(text: string, what: string, timeZone: string): SipDateTime {
  if (/^\d{8}.{4}\d{6}$/.test(text)) {
    const d = parseSipDate(text);
    if (d) return d;
  }
  const day = sipEndOfDay(text);
  if (day) return day;
  const at = new Date(text);
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text) && !Number.isNaN(at.getTime())) return sipDateFromInstant(at, timeZone);
  throw new UsageError(`${what}: "${text}" is not a date (YYYY-MM-DD, an ISO date-time, or 18-character SIP date)`);
}

const SUMMARY_NAMES: Record<string, SummaryCategory> = {
  hold: 'holdItems',
  holds: 'holdItems',
  overdue: 'overdueItems',
  charged: 'chargedItems',
  fine: 'fineItems',
  fines: 'fineItems',
  recall: 'recallItems',
  unavailable: 'unavailableHolds',
};

const HOLD_MODES: Record<string, HoldMode> = { add: 'add', '+': 'add', cancel: 'cancel', '-': 'cancel', change: 'change', '*': 'change' };

function intOption(o: Opts, message: string, name: string): number | undefined {
  const v = str(o, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`${message}: --${name} must be a whole number, got "${v}"`);
  return Number(v);
}

function itemOrTitle(o: Opts, message: string): { itemIdentifier?: string; titleIdentifier?: string } {
  const item = str(o, 'item');
  const title = str(o, 'title');
  if (!item && !title) throw new UsageError(`${message}: --item or --title is required`);
  return { ...(item ? { itemIdentifier: item } : {}), ...(title ? { titleIdentifier: title } : {}) };
}

export const MESSAGES: readonly MessageDef[] = [
  {
    name: 'sc-status',
    code: '99',
    help: '99 SC Status → 98 ACS Status (what the server supports)',
    options: [
      { name: 'status', value: '0|1|2', help: 'status code: 0 ok (default), 1 printer out of paper, 2 shutting down' },
      { name: 'width', value: 'n', help: 'max print width (default 40)' },
      { name: 'version', value: 'x.xx', help: 'protocol version (default 2.00)' },
    ],
    build: (o) => ({
      code: '99',
      statusCode: str(o, 'status') ?? SC_STATUS_CODE.ok,
      maxPrintWidth: intOption(o, 'sc-status', 'width') ?? 40,
      protocolVersion: str(o, 'version') ?? '2.00',
    }),
  },
  {
    name: 'patron-status',
    code: '23',
    help: '23 Patron Status → 24 (valid patron BL, valid PIN CQ, blocks)',
    options: [PATRON, PIN, { name: 'language', value: 'nnn', help: 'language code (default 000 unknown)' }],
    build: (o, c) => ({
      code: '23',
      language: str(o, 'language') ?? LANGUAGE.unknown,
      transactionDate: c.now,
      institutionId: c.institution,
      patronIdentifier: need(o, 'patron-status', 'patron'),
      terminalPassword: c.terminalPassword,
      patronPassword: str(o, 'pin') ?? '',
    }),
  },
  {
    name: 'patron-info',
    code: '63',
    help: '63 Patron Information → 64 (counts, and one item list on request)',
    options: [
      PATRON,
      PIN,
      { name: 'summary', value: 'list', help: 'the item list wanted: hold, overdue, charged, fine, recall, unavailable' },
      { name: 'start', value: 'n', help: 'BP first item of the list (1-based)' },
      { name: 'end', value: 'n', help: 'BQ last item of the list' },
      { name: 'language', value: 'nnn', help: 'language code (default 000)' },
    ],
    build: (o, c) => {
      const s = str(o, 'summary');
      const category = s === undefined ? null : SUMMARY_NAMES[s];
      if (category === undefined) throw new UsageError(`patron-info: --summary must be one of ${Object.keys(SUMMARY_NAMES).join(', ')}`);
      const start = intOption(o, 'patron-info', 'start');
      const end = intOption(o, 'patron-info', 'end');
      return {
        code: '63',
        language: str(o, 'language') ?? LANGUAGE.unknown,
        transactionDate: c.now,
        summary: makeSummary(category),
        institutionId: c.institution,
        patronIdentifier: need(o, 'patron-info', 'patron'),
        terminalPassword: c.terminalPassword,
        ...pinOf(o),
        ...(start !== undefined ? { startItem: start } : {}),
        ...(end !== undefined ? { endItem: end } : {}),
      };
    },
  },
  {
    name: 'checkout',
    code: '11',
    help: '11 Checkout → 12 (lend an item)',
    options: [
      PATRON,
      ITEM,
      PIN,
      NO_BLOCK,
      FEE_ACK,
      { name: 'renewal-policy', help: 'SC renewal policy=Y: an item already on loan to this patron is renewed' },
      { name: 'due', value: 'date', help: 'nb due date (the due date given offline, with --no-block)' },
      { name: 'properties', value: 'text', help: 'CH item properties' },
      { name: 'cancel', help: 'BI=Y: this checkout undoes a failed checkin' },
    ],
    build: (o, c) => ({
      code: '11',
      scRenewalPolicy: flag(o, 'renewal-policy'),
      noBlock: flag(o, 'no-block'),
      transactionDate: c.now,
      nbDueDate: str(o, 'due') ? parseDateOption(str(o, 'due')!, 'checkout --due', c.timeZone) : null,
      institutionId: c.institution,
      patronIdentifier: need(o, 'checkout', 'patron'),
      itemIdentifier: need(o, 'checkout', 'item'),
      terminalPassword: c.terminalPassword,
      ...(str(o, 'properties') !== undefined ? { itemProperties: str(o, 'properties') } : {}),
      ...pinOf(o),
      ...(flag(o, 'fee-ack') ? { feeAcknowledged: true } : {}),
      ...(flag(o, 'cancel') ? { cancel: true } : {}),
    }),
  },
  {
    name: 'checkin',
    code: '09',
    help: '09 Checkin → 10 (return an item; alert, sort bin CL, routing CT/CV/CY/DA)',
    options: [
      ITEM,
      { name: 'location', value: 'code', help: 'AP current location (a department code moves the return there)' },
      NO_BLOCK,
      { name: 'return-date', value: 'date', help: 'when the item was really returned (offline, with --no-block)' },
      { name: 'properties', value: 'text', help: 'CH item properties' },
      { name: 'cancel', help: 'BI=Y: this checkin undoes a failed checkout' },
    ],
    build: (o, c) => ({
      code: '09',
      noBlock: flag(o, 'no-block'),
      transactionDate: c.now,
      returnDate: str(o, 'return-date') ? parseDateOption(str(o, 'return-date')!, 'checkin --return-date', c.timeZone) : c.now,
      currentLocation: str(o, 'location') ?? '',
      institutionId: c.institution,
      itemIdentifier: need(o, 'checkin', 'item'),
      terminalPassword: c.terminalPassword,
      ...(str(o, 'properties') !== undefined ? { itemProperties: str(o, 'properties') } : {}),
      ...(flag(o, 'cancel') ? { cancel: true } : {}),
    }),
  },
  {
    name: 'item-info',
    code: '17',
    help: '17 Item Information → 18 (status, due date, holds, kit parts in CH)',
    options: [ITEM],
    build: (o, c) => ({
      code: '17',
      transactionDate: c.now,
      institutionId: c.institution,
      itemIdentifier: need(o, 'item-info', 'item'),
      terminalPassword: c.terminalPassword,
    }),
  },
  {
    name: 'item-status',
    code: '19',
    help: '19 Item Status Update → 20 (store CH item properties)',
    options: [ITEM, { name: 'properties', value: 'text', help: 'CH item properties (required)' }],
    build: (o, c) => ({
      code: '19',
      transactionDate: c.now,
      institutionId: c.institution,
      itemIdentifier: need(o, 'item-status', 'item'),
      terminalPassword: c.terminalPassword,
      itemProperties: need(o, 'item-status', 'properties'),
    }),
  },
  {
    name: 'renew',
    code: '29',
    help: '29 Renew → 30 (by item, or by title)',
    options: [
      PATRON,
      ITEM,
      { name: 'title', value: 'id', help: 'AJ title identifier (instead of --item)' },
      PIN,
      NO_BLOCK,
      FEE_ACK,
      { name: 'third-party', help: 'third party allowed=Y' },
      { name: 'due', value: 'date', help: 'nb due date (with --no-block)' },
    ],
    build: (o, c) => ({
      code: '29',
      thirdPartyAllowed: flag(o, 'third-party'),
      noBlock: flag(o, 'no-block'),
      transactionDate: c.now,
      nbDueDate: str(o, 'due') ? parseDateOption(str(o, 'due')!, 'renew --due', c.timeZone) : null,
      institutionId: c.institution,
      patronIdentifier: need(o, 'renew', 'patron'),
      ...pinOf(o),
      ...itemOrTitle(o, 'renew'),
      terminalPassword: c.terminalPassword,
      ...(flag(o, 'fee-ack') ? { feeAcknowledged: true } : {}),
    }),
  },
  {
    name: 'renew-all',
    code: '65',
    help: '65 Renew All → 66 (BM renewed, BN not renewed)',
    options: [PATRON, PIN, FEE_ACK],
    build: (o, c) => ({
      code: '65',
      transactionDate: c.now,
      institutionId: c.institution,
      patronIdentifier: need(o, 'renew-all', 'patron'),
      ...pinOf(o),
      terminalPassword: c.terminalPassword,
      ...(flag(o, 'fee-ack') ? { feeAcknowledged: true } : {}),
    }),
  },
  {
    name: 'hold',
    code: '15',
    help: '15 Hold → 16 (place, cancel or change a reservation)',
    options: [
      { name: 'mode', value: 'add|cancel|change', help: 'hold mode (required)' },
      PATRON,
      ITEM,
      { name: 'title', value: 'id', help: 'AJ title identifier (a title hold)' },
      { name: 'pickup', value: 'place', help: 'BS pickup location (required to change a hold)' },
      PIN,
      { name: 'expires', value: 'date', help: 'BW expiration date' },
      { name: 'type', value: '1-4', help: 'BY hold type: 1 other, 2 any copy, 3 this copy, 4 any copy at a location' },
      FEE_ACK,
    ],
    build: (o, c) => {
      const m = need(o, 'hold', 'mode');
      const mode = HOLD_MODES[m];
      if (!mode) throw new UsageError(`hold: --mode must be add, cancel or change, got "${m}"`);
      const type = str(o, 'type');
      if (type !== undefined && !/^[1-4]$/.test(type)) throw new UsageError(`hold: --type must be 1, 2, 3 or 4`);
      return {
        code: '15',
        holdMode: mode,
        transactionDate: c.now,
        ...(str(o, 'expires') ? { expirationDate: parseDateOption(str(o, 'expires')!, 'hold --expires', c.timeZone) } : {}),
        ...(str(o, 'pickup') ? { pickupLocation: str(o, 'pickup') } : {}),
        ...(type ? { holdType: type } : {}),
        institutionId: c.institution,
        patronIdentifier: need(o, 'hold', 'patron'),
        ...pinOf(o),
        ...itemOrTitle(o, 'hold'),
        terminalPassword: c.terminalPassword,
        ...(flag(o, 'fee-ack') ? { feeAcknowledged: true } : {}),
      };
    },
  },
  {
    name: 'fee-paid',
    code: '37',
    help: '37 Fee Paid → 38 (a payment; the same --transaction-id and amount is taken once)',
    options: [
      PATRON,
      { name: 'amount', value: 'n.nn', help: 'BV amount paid (required)' },
      { name: 'currency', value: 'XXX', help: 'currency type, ISO 4217 (required, e.g. EUR)' },
      { name: 'fee-type', value: 'nn', help: 'fee type 01-09 (default 01 other)' },
      { name: 'payment-type', value: 'nn', help: 'payment type: 00 cash (default), 01 VISA, 02 credit card' },
      { name: 'fee-id', value: 'id', help: 'CG fee identifier (pay this fee)' },
      { name: 'transaction-id', value: 'id', help: 'BK transaction id of the payment device' },
      PIN,
    ],
    build: (o, c) => ({
      code: '37',
      transactionDate: c.now,
      feeType: str(o, 'fee-type') ?? FEE_TYPE.other,
      paymentType: str(o, 'payment-type') ?? PAYMENT_TYPE.cash,
      currencyType: need(o, 'fee-paid', 'currency'),
      feeAmount: need(o, 'fee-paid', 'amount'),
      institutionId: c.institution,
      patronIdentifier: need(o, 'fee-paid', 'patron'),
      terminalPassword: c.terminalPassword,
      ...pinOf(o),
      ...(str(o, 'fee-id') ? { feeIdentifier: str(o, 'fee-id') } : {}),
      ...(str(o, 'transaction-id') ? { transactionId: str(o, 'transaction-id') } : {}),
    }),
  },
  {
    name: 'end-session',
    code: '35',
    help: '35 End Patron Session → 36',
    options: [PATRON, PIN],
    build: (o, c) => ({
      code: '35',
      transactionDate: c.now,
      institutionId: c.institution,
      patronIdentifier: need(o, 'end-session', 'patron'),
      terminalPassword: c.terminalPassword,
      ...pinOf(o),
    }),
  },
  {
    name: 'block-patron',
    code: '01',
    help: '01 Block Patron → 24 (block a card, e.g. one left in the machine)',
    options: [
      PATRON,
      { name: 'message', value: 'text', help: 'AL blocked card message (default "Blocked at a self-service terminal")' },
      { name: 'retained', help: 'card retained=Y (the machine kept the card)' },
    ],
    build: (o, c) => ({
      code: '01',
      cardRetained: flag(o, 'retained'),
      transactionDate: c.now,
      institutionId: c.institution,
      blockedCardMessage: str(o, 'message') ?? 'Blocked at a self-service terminal',
      patronIdentifier: need(o, 'block-patron', 'patron'),
      terminalPassword: c.terminalPassword,
    }),
  },
  {
    name: 'patron-enable',
    code: '25',
    help: '25 Patron Enable → 26 (lift a block set with 01)',
    options: [PATRON, PIN],
    build: (o, c) => ({
      code: '25',
      transactionDate: c.now,
      institutionId: c.institution,
      patronIdentifier: need(o, 'patron-enable', 'patron'),
      terminalPassword: c.terminalPassword,
      ...pinOf(o),
    }),
  },
  {
    name: 'resend',
    code: '97',
    help: '97 Request ACS Resend → the last reply again (96 if there was none)',
    options: [],
    build: () => ({ code: '97' }),
  },
];

const BY_NAME = new Map(MESSAGES.map((m) => [m.name, m]));

export type Step = { kind: 'message'; def: MessageDef; options: Opts } | { kind: 'raw'; line: string };

/**
 * The message part of the command line, in order: `NAME [--opt value | --flag]...` and
 * `--raw LINE`, any number of times. Throws UsageError with the problem.
 */
export function parseSteps(args: readonly string[]): Step[] {
  const steps: Step[] = [];
  let current: { def: MessageDef; options: Opts } | null = null;
  const close = () => {
    if (current) steps.push({ kind: 'message', ...current });
    current = null;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--raw' || arg.startsWith('--raw=')) {
      close();
      const line = arg === '--raw' ? args[++i] : arg.slice('--raw='.length);
      if (line === undefined || line === '') throw new UsageError('--raw needs the message line, e.g. --raw "9900302.00"');
      steps.push({ kind: 'raw', line });
      continue;
    }
    if (arg.startsWith('--')) {
      if (!current) throw new UsageError(`option ${arg} comes before any message name (messages: ${MESSAGES.map((m) => m.name).join(', ')})`);
      const cur: { def: MessageDef; options: Opts } = current;
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const def = cur.def.options.find((o) => o.name === name);
      if (!def) {
        const known = cur.def.options.map((o) => `--${o.name}`).join(' ');
        throw new UsageError(`${cur.def.name} has no option --${name}${known ? ` (it takes ${known})` : ''}`);
      }
      if (def.value === undefined) {
        if (eq > 0) throw new UsageError(`${cur.def.name} --${name} takes no value`);
        cur.options[name] = true;
      } else {
        const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
        if (value === undefined) throw new UsageError(`${cur.def.name} --${name} needs a value (${def.value})`);
        cur.options[name] = value;
      }
      continue;
    }
    close();
    const def = BY_NAME.get(arg);
    if (!def) throw new UsageError(`unknown message "${arg}" (messages: ${MESSAGES.map((m) => m.name).join(', ')}, or --raw LINE)`);
    current = { def, options: {} };
  }
  close();
  return steps;
}

/** `host:port`, `[v6::addr]:port`, or a bare host (port 6001). */
export function parseAddress(text: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(text);
  const m = v6 ?? plain;
  if (!m) throw new UsageError(`"${text}" is not HOST:PORT`);
  const port = m[2] === undefined ? DEFAULT_SIP2_PORT : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`"${m[2]}" is not a port number 1-65535`);
  return { host: m[1]!, port };
}

// ---------------------------------------------------------------------------------------------
// Rendering: wire lines and decoded fields

/** Labels for fixed fields and for keys whose camelCase name reads badly. */
const LABELS: Record<string, string> = {
  scRenewalPolicy: 'SC renewal policy',
  acsRenewalPolicy: 'ACS renewal policy',
  nbDueDate: 'nb due date',
  uidAlgorithm: 'UID algorithm',
  pwdAlgorithm: 'PWD algorithm',
  ok: 'ok',
  onlineStatus: 'on-line status',
  offlineOk: 'off-line ok',
  dateTimeSync: 'date/time sync',
  loginUserId: 'login user id',
};

function humanize(key: string): string {
  return LABELS[key] ?? key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Code → name tables for fixed codes (`04` → "charged"). */
function namesOf(table: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(table).map(([name, code]) => [code, humanize(name)]));
}

const CODE_NAMES: Record<string, Map<string, string>> = {
  circulationStatus: namesOf(CIRCULATION_STATUS),
  securityMarker: namesOf(SECURITY_MARKER),
  feeType: namesOf(FEE_TYPE),
  paymentType: namesOf(PAYMENT_TYPE),
  mediaType: namesOf(MEDIA_TYPE),
  statusCode: namesOf(SC_STATUS_CODE),
  holdType: namesOf(HOLD_TYPE),
  alertType: namesOf(ALERT_TYPE),
  language: namesOf(LANGUAGE),
};

const SECRET_KEYS = new Set(['loginPassword', 'patronPassword', 'terminalPassword']);

const SUPPORTED_CODES: Record<keyof SupportedMessages, string> = {
  patronStatus: '23',
  checkout: '11',
  checkin: '09',
  blockPatron: '01',
  scAcsStatus: '99',
  requestResend: '97/96',
  login: '93',
  patronInformation: '63',
  endPatronSession: '35',
  feePaid: '37',
  itemInformation: '17',
  itemStatusUpdate: '19',
  patronEnable: '25',
  hold: '15',
  renew: '29',
  renewAll: '65',
};

function formatDate(d: SipDateTime | null | undefined): string {
  if (d == null) return '(blank)';
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const zone = d.zone === 'local' ? '' : d.zone === 'Z' ? ' UTC' : ` zone ${d.zone}`;
  return `${p(d.year, 4)}-${p(d.month)}-${p(d.day)} ${p(d.hour)}:${p(d.minute)}:${p(d.second)}${zone}`;
}

function yesNo(v: unknown): string {
  return v === true ? 'yes' : v === false ? 'no' : 'unknown';
}

function withName(key: string, value: string): string {
  const name = CODE_NAMES[key]?.get(value);
  return name ? `${value} (${name})` : value;
}

function fixedValue(field: FixedFieldSpec, value: unknown): string {
  if (SECRET_KEYS.has(field.key)) return value === '' ? '(empty)' : MASK;
  switch (field.kind) {
    case 'flag':
    case 'flagOrUnknown':
    case 'ok':
      return yesNo(value);
    case 'date':
      return formatDate(value as SipDateTime | null);
    case 'count':
      if (value === null || value === undefined) return '(not supported)';
      return countMeaning(field.key, value as number);
    case 'digits':
    case 'text':
      return withName(field.key, String(value ?? ''));
    case 'patronStatus': {
      const set = PATRON_STATUS_FLAGS.filter((k) => (value as PatronStatus)[k]);
      return set.length ? set.map(humanize).join(', ') : 'no restrictions';
    }
    case 'summary': {
      const category = summaryCategory(value as PatronSummary);
      return category ? humanize(category) : 'none';
    }
    case 'holdMode':
      return String(value);
  }
}

/**
 * 98's two counts have reserved values and a unit (SIP2 2.00, ACS Status): the timeout period is in
 * tenths of a second, 000 means the ACS is off-line and 999 unknown; 999 retries means unknown.
 */
function countMeaning(key: string, n: number): string {
  if (key === 'timeoutPeriod') {
    if (n === 0) return '0 (ACS off-line)';
    if (n === 999) return '999 (unknown)';
    return `${n} (${(n / 10).toFixed(1)} s)`;
  }
  if (key === 'retriesAllowed' && n === 999) return '999 (unknown)';
  return String(n);
}

function variableValue(field: VariableFieldSpec, value: unknown): string {
  if (SECRET_KEYS.has(field.key)) return value === '' ? '(empty)' : MASK;
  switch (field.kind) {
    case 'flag':
      return yesNo(value);
    case 'date':
      return formatDate(value as SipDateTime | null);
    case 'supportedMessages': {
      const s = value as SupportedMessages;
      const yes = SUPPORTED_MESSAGE_FLAGS.filter((k) => s[k]).map((k) => SUPPORTED_CODES[k]);
      const no = SUPPORTED_MESSAGE_FLAGS.filter((k) => !s[k]).map((k) => SUPPORTED_CODES[k]);
      return `${yes.join(' ')}${no.length ? ` (not: ${no.join(' ')})` : ''}`;
    }
    case 'number':
    case 'text':
    case 'list': {
      const text = String(value);
      if (text === '') return '(empty)';
      if (field.id === 'AH' && /^\d{8} {4}\d{6}$/.test(text)) return `${text} (${formatDate(parseSipDate(text))})`;
      return withName(field.key, text);
    }
  }
}

/** The decoded fields of a message, one per line: fixed fields first, then `ID label  value`. */
export function describeMessage(message: Sip2Message): string[] {
  const spec = specFor(message.code);
  if (!spec) return [];
  const m = redactMessage(message) as unknown as Record<string, unknown>;
  const rows: Array<[string, string]> = [];
  for (const f of spec.fixed) rows.push([humanize(f.key), fixedValue(f, m[f.key])]);
  for (const f of spec.fields) {
    const value = m[f.key];
    if (value === undefined) continue;
    if (f.kind === 'list') {
      for (const v of value as string[]) rows.push([`${f.id} ${humanize(f.key)}`, variableValue(f, v)]);
      continue;
    }
    rows.push([`${f.id} ${humanize(f.key)}`, variableValue(f, value)]);
  }
  // Fields this message does not define (extensions, vendor fields); redactMessage masked secrets.
  for (const x of (m.extra as Sip2Message['extra']) ?? []) rows.push([`${x.id} (not in ${spec.code})`, x.value || '(empty)']);
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}

/** The wire form of a frame for display: terminator dropped, secrets masked, controls visible. */
export function wireText(bytes: Uint8Array, charset: string): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0d || bytes[end - 1] === 0x0a)) end--;
  return maskWire(bytes.subarray(0, end), { charset });
}

export interface FrameReport {
  dir: '>' | '<';
  wire: string;
  code: string | null;
  name: string | null;
  fields: Record<string, unknown> | null;
  warnings: string[];
  errors: string[];
}

export function reportFrame(dir: '>' | '<', bytes: Uint8Array, charset: string): FrameReport {
  const r = decode(bytes, { charset, errorDetection: 'auto' });
  const wire = wireText(bytes, charset);
  if (!r.ok) {
    return { dir, wire, code: r.commandCode, name: r.commandCode ? (specFor(r.commandCode)?.name ?? null) : null, fields: null, warnings: r.warnings.map((w) => w.message), errors: r.errors.map((e) => e.message) };
  }
  const fields = { ...(redactMessage(r.message) as unknown as Record<string, unknown>) };
  if (Array.isArray(fields.extra) && fields.extra.length === 0) delete fields.extra;
  return { dir, wire, code: r.message.code, name: specFor(r.message.code)?.name ?? null, fields, warnings: r.warnings.map((w) => w.message), errors: [] };
}

export function renderFrame(dir: '>' | '<', bytes: Uint8Array, charset: string): string {
  const rep = reportFrame(dir, bytes, charset);
  const lines = [`${dir} ${rep.wire}`];
  if (rep.errors.length) {
    lines.push(`    not decodable: ${rep.errors.join('; ')}`);
  } else {
    const r = decode(bytes, { charset, errorDetection: 'auto' });
    if (r.ok) {
      lines.push(`    ${rep.name} (${rep.code})${r.sequenceNumber !== null ? `  AY ${r.sequenceNumber}` : ''}${r.checksumStatus === 'valid' ? '  checksum ok' : ''}`);
      for (const l of describeMessage(r.message)) lines.push(`      ${l}`);
    }
  }
  for (const w of rep.warnings) lines.push(`    ! ${w}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Running

export interface Sip2CliOptions {
  user?: string;
  password?: string;
  locationCode?: string;
  institution?: string;
  terminalPassword?: string;
  tls?: boolean;
  insecure?: boolean;
  ca?: string;
  charset: string;
  crlf?: boolean;
  errorDetection?: boolean;
  timeout: string;
  clock?: string;
  timezone?: string;
  json?: boolean;
}

export interface Sip2CliIo {
  out: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** A failure the command reports with its exit code (1 run-time, 2 usage). */
export class Sip2CliFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A raw line as bytes: with error detection on and no trailer of its own, AY/AZ are added. */
export function rawBytes(line: string, opts: { charset: string; errorDetection: boolean; sequenceNumber: number; crlf: boolean }): Uint8Array {
  const body = line.replace(/[\r\n]+$/, '');
  let bytes = encodeCharset(body, opts.charset);
  if (opts.errorDetection && findTrailer(bytes) === null) {
    const resend = /^9[67]/.test(body);
    const head = Buffer.concat([Buffer.from(bytes), Buffer.from(resend ? 'AZ' : `AY${opts.sequenceNumber % 10}AZ`, 'latin1')]);
    bytes = Buffer.concat([head, Buffer.from(computeChecksum(head), 'latin1')]);
  }
  return Buffer.concat([Buffer.from(bytes), Buffer.from(opts.crlf ? '\r\n' : '\r', 'latin1')]);
}

export async function runSip2Cli(address: string, args: readonly string[], o: Sip2CliOptions, io: Sip2CliIo): Promise<void> {
  let target: { host: string; port: number };
  let steps: Step[];
  try {
    target = parseAddress(address);
    steps = parseSteps(args);
  } catch (e) {
    if (e instanceof UsageError) throw new Sip2CliFailure(2, e.message);
    throw e;
  }
  if (!isSupportedCharset(o.charset)) throw new Sip2CliFailure(2, `unknown character set "${o.charset}" (e.g. utf-8, cp850, cp852, iso-8859-2, windows-1250)`);
  const timeoutMs = Number(o.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new Sip2CliFailure(2, `--timeout must be a number of milliseconds, got "${o.timeout}"`);
  const clock = clockFromSpec(o.clock);
  if ('error' in clock) throw new Sip2CliFailure(2, clock.error);
  const timeZone = o.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new Sip2CliFailure(2, `unknown time zone "${timeZone}"`);
  }
  // Secrets from the environment are preferred: options show in the process list of a shared machine.
  const password = o.password ?? io.env[PASSWORD_ENV];
  if (o.user !== undefined && password === undefined) {
    throw new Sip2CliFailure(2, `no password for user "${o.user}": set ${PASSWORD_ENV} (or give --password)`);
  }
  const terminalPassword = o.terminalPassword ?? io.env[TERMINAL_PASSWORD_ENV] ?? '';
  const contextAt = (institution: string | undefined): BuildContext => ({
    institution: institution ?? '',
    terminalPassword,
    now: sipDateFromInstant(clock.now(), timeZone),
    timeZone,
    clock,
  });
  // Every message is checked before connecting: a typo should not leave half a session behind.
  for (const step of steps) {
    if (step.kind !== 'message') continue;
    try {
      step.def.build(step.options, contextAt(o.institution));
    } catch (e) {
      if (e instanceof UsageError) throw new Sip2CliFailure(2, e.message);
      throw e;
    }
  }

  let tls: boolean | { rejectUnauthorized: boolean; ca?: Buffer; servername?: string } = false;
  if (o.tls || o.ca || o.insecure) {
    let ca: Buffer | undefined;
    if (o.ca) {
      try {
        ca = readFileSync(o.ca);
      } catch (e) {
        throw new Sip2CliFailure(2, `cannot read --ca ${o.ca}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    tls = { rejectUnauthorized: !o.insecure, ...(ca ? { ca } : {}), ...(/^[\d.:]+$/.test(target.host) ? {} : { servername: target.host }) };
  }

  const wire = { charset: o.charset, crlf: !!o.crlf, errorDetection: !!o.errorDetection };
  const print = (text: string) => io.out(`${text}\n`);
  let client: Sip2Client;
  try {
    client = await Sip2Client.connect({
      host: target.host,
      port: target.port,
      tls,
      charset: o.charset,
      terminator: o.crlf ? 'CRLF' : 'CR',
      errorDetection: !!o.errorDetection,
      timeoutMs,
      connectTimeoutMs: timeoutMs,
    });
  } catch (e) {
    throw new Sip2CliFailure(1, e instanceof Error ? e.message : String(e));
  }
  if (!o.json) {
    print(`# connected to ${target.host}:${target.port}${tls ? ' (TLS)' : ''}; charset ${o.charset}, terminator ${o.crlf ? 'CRLF' : 'CR'}, error detection ${o.errorDetection ? 'on' : 'off'}`);
  }

  let shown = 0;
  const flush = () => {
    for (; shown < client.transcript.length; shown++) {
      const t = client.transcript[shown]!;
      if (o.json) print(JSON.stringify(reportFrame(t.dir, t.bytes, o.charset)));
      else print(renderFrame(t.dir, t.bytes, o.charset));
    }
  };
  let institution = o.institution;
  let seq = 0;
  try {
    if (o.user !== undefined) {
      const ok = await client.login(o.user, password ?? '', o.locationCode);
      seq++;
      flush();
      if (!ok) throw new Sip2CliFailure(1, `login refused for user "${o.user}": the server answered 94 with ok=0 (check the user and the password)`);
    }
    for (const step of steps) {
      if (step.kind === 'raw') {
        await client.raw(rawBytes(step.line, { ...wire, sequenceNumber: seq++ }));
      } else if (step.def.code === '97') {
        await client.raw(rawBytes('97', { ...wire, sequenceNumber: 0 }));
      } else {
        const request = step.def.build(step.options, contextAt(institution));
        const reply = await client.send(request);
        seq++;
        // Later messages use the institution the server reported, unless --institution was given.
        if (institution === undefined && reply.code === '98' && reply.institutionId) institution = reply.institutionId;
      }
      flush();
    }
  } catch (e) {
    flush();
    if (e instanceof Sip2CliFailure) throw e;
    if (e instanceof Sip2ClientError) {
      const why = e.code === 'timeout' ? `${e.message} (is this a SIP2 port? try --tls, --crlf or a longer --timeout)` : e.message;
      throw new Sip2CliFailure(1, why);
    }
    throw e;
  } finally {
    client.close();
  }
}

function helpText(): string {
  const lines = ['', 'Messages (any number, sent in order; each takes its own options):'];
  for (const m of MESSAGES) {
    lines.push(`  ${m.name.padEnd(14)} ${m.help}`);
    for (const opt of m.options) lines.push(`      --${`${opt.name}${opt.value ? ` <${opt.value}>` : ''}`.padEnd(28)} ${opt.help}`);
  }
  lines.push(
    `  --raw <line>   a raw SIP2 line sent as it is (AY/AZ added with --error-detection unless it has them)`,
    '',
    'Secrets: the account password is read from KIOSK_SIP2_PASSWORD (preferred: options are visible in',
    'the process list) or --password; the terminal password (AC) from KIOSK_SIP2_TERMINAL_PASSWORD.',
    'CO, AD and AC are masked in everything printed.',
    '',
    'Examples:',
    '  KIOSK_SIP2_PASSWORD=selfcheck kiosk sip2 127.0.0.1:6001 --user selfcheck sc-status \\',
    '    patron-info --patron 0100001 --pin 1234 --summary charged',
    '  kiosk sip2 127.0.0.1:6001 --user selfcheck checkout --patron 0100001 --item 30100000001 --pin 1234',
    "  kiosk sip2 127.0.0.1:6001 --user selfcheck --raw '1700020260302    100000AOSI-50000|AB30100000001|'",
    '',
    'Exit status: 0 every message was answered (a refusal with ok=0 is an answer), 1 no connection,',
    'login refused, no reply in time or connection closed, 2 bad usage.',
  );
  return lines.join('\n');
}

/**
 * Adds `kiosk sip2` to the program. `fail(code, message)` makes the error the program reports as
 * `kiosk: message` with that exit code.
 */
export function registerSip2Command(program: Command, fail: (code: number, message: string) => Error): Command {
  return program
    .command('sip2')
    .description('talk SIP2 to a server: log in, send messages, print both sides (secrets masked)')
    .argument('<address>', 'HOST:PORT of the SIP2 server (port 6001 if omitted)')
    .argument('[messages...]', 'messages with their options, see below')
    .option('-u, --user <id>', 'CN login user id; without it no 93 Login is sent')
    .option('--password <password>', `CO login password (prefer the ${PASSWORD_ENV} environment variable)`)
    .option('--location-code <cp>', 'CP location code sent in the login')
    .option('--institution <ao>', 'AO institution id (default: the one a sc-status reply gave, else empty)')
    .option('--terminal-password <ac>', `AC terminal password (or ${TERMINAL_PASSWORD_ENV}; default empty)`)
    .option('--tls', 'connect with TLS')
    .option('--ca <file>', 'trust this CA certificate (PEM) for TLS')
    .option('--insecure', 'TLS without checking the server certificate (self-signed test servers)')
    .option('--charset <name>', 'character set of the account: utf-8, cp850, cp852, iso-8859-2, windows-1250, …', 'utf-8')
    .option('--crlf', 'end messages with CR LF instead of CR')
    .option('--error-detection', 'send AY sequence numbers and AZ checksums; resend on 96, ask 97 on a bad reply')
    .option('--timeout <ms>', 'wait this long for the connection and for each reply', '5000')
    .option('--clock <iso>', 'transaction dates from this instant instead of now ("fixed:<iso>" freezes it)')
    .option('--timezone <tz>', 'time zone of transaction dates (default: this machine\'s)')
    .option('--json', 'print one JSON object per frame instead of text')
    .allowUnknownOption()
    .addHelpText('after', helpText())
    .action(async (address: string, messages: string[], opts: Sip2CliOptions) => {
      try {
        await runSip2Cli(address, messages, opts, { out: (t) => process.stdout.write(t), env: process.env });
      } catch (e) {
        if (e instanceof Sip2CliFailure) throw fail(e.exitCode, e.message);
        throw e;
      }
    });
}

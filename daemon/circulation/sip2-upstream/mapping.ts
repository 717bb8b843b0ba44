/**
 * SIP2 replies → the CirculationBackend's data (backend.ts). Pure functions: no I/O, no clock.
 * Where SIP2 has no field for something (authors, loan dates, renewal counts, categories) the value
 * is empty, not invented.
 */
import type { KioskLanguage, ReasonCode } from '../../../protocols/kiosk-api/reasons.ts';
import {
  CIRCULATION_STATUS,
  MEDIA_TYPE,
  parseSipDate,
  sipDateToInstant,
  type CheckinResponse,
  type ItemInformationResponse,
  type PatronStatus,
  type SipDateTime,
} from '../../../protocols/sip2/index.ts';
import type { ItemInformation, ItemStatus, KitInfo, LoanMode, Routing } from '../backend.ts';
import { localDate, type PlainDate } from '../dates.ts';
import type { Dialect } from './dialects.ts';
import { BLOCK_REASONS, reasonFromCatalogue, reasonFromText, type ReasonMatch } from './reasons.ts';

/** A SIP2 date (local time of `timeZone`, or a military zone) as the library's calendar date. */
export function plainDateOf(d: SipDateTime | null | undefined, timeZone: string): PlainDate | null {
  const instant = sipDateToInstant(d ?? null, timeZone);
  return instant ? localDate(instant, timeZone) : null;
}

/**
 * AH is free text (reference §2: "the spec lets the ACS use any format; practice: almost every ACS
 * sends the 18-char format"). Accepted: the 18-char SIP date, ISO `YYYY-MM-DD[...]`, and
 * `YYYYMMDD` alone. Anything else gives null (the loan still happened; the date is unknown).
 */
export function parseDueDate(ah: string | undefined, timeZone: string): PlainDate | null {
  const text = (ah ?? '').trim();
  if (!text) return null;
  if (text.length >= 18 || /^\d{8} {4}\d{6}/.test(ah ?? '')) {
    const sip = parseSipDate((ah ?? '').slice(0, 18));
    if (sip) return plainDateOf(sip, timeZone);
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(text) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (iso) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  return null;
}

/** "Ana Novak" → Ana / Novak; "Novak, Ana" → Ana / Novak. */
export function splitName(ae: string): { firstName: string; lastName: string } {
  const name = ae.trim();
  const comma = name.indexOf(',');
  if (comma > 0) return { lastName: name.slice(0, comma).trim(), firstName: name.slice(comma + 1).trim() };
  const space = name.lastIndexOf(' ');
  if (space < 0) return { firstName: '', lastName: name };
  return { firstName: name.slice(0, space).trim(), lastName: name.slice(space + 1).trim() };
}

/** The barcode in an item-list entry (AU, AT, AS, CD, BM, BN). */
export function entryBarcode(entry: string, dialect: Dialect): string {
  const t = entry.trim();
  return dialect.itemListFirstToken ? (t.split(/\s+/)[0] ?? '') : t;
}

/** Our server's CH for a kit unit: `kit=FARM;part=2/3;lead=K1;parts=K1,K2,K3` (daemon/sip2/handlers.ts). */
export function parseKitProperties(ch: string | undefined, barcode: string, title: string, screen: string[] = []): KitInfo | null {
  if (!ch || !/(^|;)kit=/.test(ch)) return null;
  const fields = new Map<string, string>();
  for (const part of ch.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const code = fields.get('kit') ?? '';
  const [n, m] = (fields.get('part') ?? '').split('/').map((x) => Number(x));
  const parts = (fields.get('parts') ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  // The kit's own title is in the screen message: Part 2 of 3 of kit FARM "Wooden farm".
  const kitTitle = screen.map((s) => /of kit \S+ "(.*)"/.exec(s)?.[1]).find((x) => x !== undefined);
  const total = Number.isFinite(m) && m! > 0 ? m! : parts.length;
  return {
    code,
    title: kitTitle ?? title,
    leadBarcode: fields.get('lead') ?? parts[0] ?? barcode,
    partsTotal: total,
    partNumber: Number.isFinite(n) ? n! : Math.max(0, parts.indexOf(barcode) + 1),
    parts: parts.map((b, i) => ({ barcode: b, partNumber: i + 1, title: b === barcode ? title : '' })),
  };
}

/** 18 circulation status → our item status (reference §5 17/18). */
export function itemStatusOf(circulationStatus: string): { status: ItemStatus; stockStatus: string } {
  switch (circulationStatus) {
    case CIRCULATION_STATUS.charged:
    case CIRCULATION_STATUS.chargedNotToBeRecalled:
    case CIRCULATION_STATUS.recalled:
    case CIRCULATION_STATUS.claimedReturned:
      return { status: 'C', stockStatus: '' };
    case CIRCULATION_STATUS.inProcess:
      return { status: 'B', stockStatus: '' };
    case CIRCULATION_STATUS.waitingOnHoldShelf:
      return { status: 'W', stockStatus: '' };
    case CIRCULATION_STATUS.inTransit:
      return { status: 'D', stockStatus: '' };
    case CIRCULATION_STATUS.lost:
      return { status: 'L', stockStatus: '' };
    case CIRCULATION_STATUS.missing:
      return { status: 'free', stockStatus: '8' };
    default:
      return { status: 'free', stockStatus: '' };
  }
}

const MEDIA_NAMES: Record<string, string> = {
  [MEDIA_TYPE.book]: 'book',
  [MEDIA_TYPE.magazine]: 'periodical',
  [MEDIA_TYPE.boundJournal]: 'periodical',
  [MEDIA_TYPE.audioTape]: 'audio',
  [MEDIA_TYPE.videoTape]: 'video',
  [MEDIA_TYPE.cdRom]: 'audio',
  [MEDIA_TYPE.diskette]: 'other',
  [MEDIA_TYPE.bookWithDiskette]: 'book',
  [MEDIA_TYPE.bookWithCd]: 'book',
  [MEDIA_TYPE.bookWithAudioTape]: 'book',
};

function extra(msg: { extra?: Array<{ id: string; value: string }> }, id: string): string | undefined {
  return msg.extra?.find((f) => f.id === id)?.value;
}

/** An unknown item: circulation status 01 with an empty title (reference §5 17/18). */
export function isUnknownItem(r: ItemInformationResponse): boolean {
  return r.circulationStatus === CIRCULATION_STATUS.other && !r.titleIdentifier;
}

export function itemFrom(r: ItemInformationResponse, ctx: { timeZone: string; currency: string; dialect: Dialect }): ItemInformation {
  const { status, stockStatus } = itemStatusOf(r.circulationStatus);
  const screen = r.screenMessage ?? [];
  // Our server adds the catalogue text for items only staff may lend, or none may.
  let home: LoanMode = 'unconditional';
  for (const line of screen) {
    const m = ctx.dialect.reasonCatalogue ? reasonFromCatalogue(line) : null;
    if (m?.reason === 'item_not_loanable') home = 'forbidden';
    else if (m?.reason === 'ask_staff') home = 'conditional';
  }
  const kit = parseKitProperties(r.itemProperties, r.itemIdentifier, r.titleIdentifier, screen);
  return {
    barcode: r.itemIdentifier,
    bibId: '',
    title: r.titleIdentifier,
    author: '',
    materialType: (ctx.dialect.openKioskExtensions ? r.collectionCode : undefined) ?? MEDIA_NAMES[r.mediaType ?? ''] ?? r.mediaType ?? '',
    department: r.permanentLocation ?? r.currentLocation ?? '',
    callNumber: r.callNumber ?? extra(r, 'CS') ?? '',
    status,
    stockStatus,
    accessLevel: '',
    restriction: '',
    dueDate: parseDueDate(r.dueDate, ctx.timeZone),
    patronBarcode: null, // 18 does not say who has the item
    holdQueueLength: r.holdQueueLength ?? 0,
    holdPickupPlace: r.destinationLocation ?? null,
    holdExpiresOn: plainDateOf(r.holdPickupDate, ctx.timeZone),
    loanMode: { home, readingRoom: home },
    kit,
    price: null,
    currency: r.currencyType || ctx.currency,
  };
}

/**
 * Where a returned item goes, from 10's alert flag, CL sort bin and the 3M extensions CV/CT/CY/DA
 * (reference §5 09/10 and §6). CV 00 means "no alert" (Koha cv_send_00_on_success).
 */
export function routingFrom(r: CheckinResponse, dialect: Dialect, timeZone: string): Routing {
  const base: Routing = { destination: 'shelf', forPatron: null, forPatronName: null, department: null, pickupPlace: null, holdExpiresOn: null, note: null };
  const screen = r.screenMessage ?? [];
  const cv = r.alertType;
  const bin = r.sortBin ?? '';
  const until = screen.map((s) => /until (\d{4}-\d{2}-\d{2})/.exec(s)?.[1]).find(Boolean) ?? null;
  const isHold = cv === '01' || cv === '02' || (dialect.openKioskExtensions && (bin === 'HOLD' || bin === 'PROCESS')) || !!r.holdPatronId;
  if (isHold) {
    return {
      ...base,
      destination: dialect.openKioskExtensions && bin === 'PROCESS' ? 'processing' : 'hold_shelf',
      forPatron: r.holdPatronId || null,
      forPatronName: r.holdPatronName || null,
      department: r.permanentLocation || null,
      // CT is where the item goes; our server sends the item's own department when no pickup
      // place is set, which is not a pickup place.
      pickupPlace: r.destinationLocation && r.destinationLocation !== r.permanentLocation ? r.destinationLocation : null,
      holdExpiresOn: until ?? null,
    };
  }
  if (cv === '03' || cv === '04' || (dialect.openKioskExtensions && bin.startsWith('DEPT-'))) {
    return {
      ...base,
      destination: 'other_department',
      department: r.destinationLocation || (bin.startsWith('DEPT-') ? bin.slice(5) : null) || null,
      note: screen[0] ?? null,
    };
  }
  const alerted = r.alert && cv !== '00';
  if (alerted || (dialect.openKioskExtensions && bin === 'STAFF')) {
    const note = screen.map((s) => /^Please give this item to staff \((.*)\)\.$/.exec(s)?.[1]).find(Boolean) ?? screen[0] ?? null;
    return { ...base, destination: 'staff', note, department: r.destinationLocation || null };
  }
  return base;
}

/** "Fine: 1.20 EUR" lines of our server. */
export function fineFrom(screen: string[] | undefined): { amount: number; currency: string } | null {
  for (const s of screen ?? []) {
    const m = /^Fine: (\d+(?:[.,]\d+)?) ([A-Z]{3})$/.exec(s.trim());
    if (m) return { amount: Number(m[1]!.replace(',', '.')), currency: m[2]! };
  }
  return null;
}

export function money(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text.trim().replace(',', '.'));
  return Number.isFinite(n) ? n : null;
}

/** Patron blocks from the status flags and screen messages of a 24/64 (first the stated reason). */
export function blocksFrom(
  status: PatronStatus,
  screen: string[] | undefined,
  dialect: Dialect,
): Array<{ reason: ReasonCode; details?: Record<string, unknown> }> {
  const out: Array<ReasonMatch> = [];
  const add = (m: ReasonMatch) => {
    if (!out.some((b) => b.reason === m.reason)) out.push(m);
  };
  const stated = reasonFromText(screen, 'patron', dialect.reasonCatalogue);
  if (stated && BLOCK_REASONS.has(stated.reason)) add(stated);
  if (status.cardReportedLost) add({ reason: 'patron_blocked', details: { block: 'card_reported_lost' } });
  if (status.excessiveOutstandingFines || status.excessiveOutstandingFees) add({ reason: 'debt_block' });
  if (status.tooManyItemsOverdue) add({ reason: 'overdue_block' });
  if (status.chargePrivilegesDenied && out.length === 0) add({ reason: 'patron_blocked' });
  return out;
}

const SIP_LANGUAGES: Record<string, KioskLanguage> = { '001': 'en', '024': 'en' };

export function languageOf(sipLanguage: string | undefined, fallback: KioskLanguage): KioskLanguage {
  return SIP_LANGUAGES[sipLanguage ?? ''] ?? fallback;
}

/** AV lines: ours are `id amount currency description`; others' are parsed for an amount at least. */
export function feeLineFrom(
  entry: string,
  index: number,
  currency: string,
): { id: number; kind: string; amount: number; currency: string; description: string; itemBarcode: string | null } {
  const ours = /^(\d+) (-?\d+(?:[.,]\d+)?) ([A-Z]{3}) ?(.*)$/.exec(entry.trim());
  if (ours) {
    const description = ours[4] ?? '';
    return { id: Number(ours[1]), kind: /overdue/i.test(description) ? 'overdue' : 'other', amount: Number(ours[2]!.replace(',', '.')), currency: ours[3]!, description, itemBarcode: null };
  }
  const amount = /(-?\d+[.,]\d{2})\b/.exec(entry)?.[1];
  return {
    id: index + 1,
    kind: /overdue|late/i.test(entry) ? 'overdue' : 'other',
    amount: amount ? Number(amount.replace(',', '.')) : 0,
    currency,
    description: entry.trim(),
    itemBarcode: amount ? null : entry.trim().split(/\s+/)[0] ?? null, // FOLIO lists the item barcodes of open fees
  };
}

/**
 * Value sets (reference §5 "Common value sets" and the 17/18 tables) and small builders for the
 * flag groups, so callers do not spell out 14 booleans to send a patron status.
 */
import {
  PATRON_STATUS_FLAGS,
  PATRON_SUMMARY_FLAGS,
  SUPPORTED_MESSAGE_FLAGS,
  type PatronStatus,
  type PatronSummary,
  type SupportedMessages,
} from './types.ts';

/** language[3] */
export const LANGUAGE = {
  unknown: '000',
  english: '001',
  french: '002',
  german: '003',
  italian: '004',
  dutch: '005',
  swedish: '006',
  finnish: '007',
  spanish: '008',
  danish: '009',
  portuguese: '010',
  canadianFrench: '011',
  norwegian: '012',
  hebrew: '013',
  japanese: '014',
  russian: '015',
  arabic: '016',
  polish: '017',
  greek: '018',
  chinese: '019',
  korean: '020',
  northAmericanSpanish: '021',
  tamil: '022',
  malay: '023',
  ukEnglish: '024',
  icelandic: '025',
  belgian: '026',
  taiwanese: '027',
} as const;

/** `18` circulation status[2] */
export const CIRCULATION_STATUS = {
  other: '01',
  onOrder: '02',
  available: '03',
  charged: '04',
  chargedNotToBeRecalled: '05',
  inProcess: '06',
  recalled: '07',
  waitingOnHoldShelf: '08',
  waitingToBeReshelved: '09',
  inTransit: '10',
  claimedReturned: '11',
  lost: '12',
  missing: '13',
} as const;

/** `18` security marker[2] */
export const SECURITY_MARKER = {
  other: '00',
  none: '01',
  tattleTape: '02',
  whisperTape: '03',
} as const;

/** fee type[2] (`18` fixed, `37` fixed, `BT` in `12`/`30`). Never `00` (strict clients reject it). */
export const FEE_TYPE = {
  other: '01',
  administrative: '02',
  damage: '03',
  overdue: '04',
  processing: '05',
  rental: '06',
  replacement: '07',
  computerAccess: '08',
  holdFee: '09',
} as const;

/** `37` payment type[2]; vendors add more (e.g. `05` check in Evergreen), so any 2 digits decode. */
export const PAYMENT_TYPE = {
  cash: '00',
  visa: '01',
  creditCard: '02',
} as const;

/** `CK` media type[3] */
export const MEDIA_TYPE = {
  other: '000',
  book: '001',
  magazine: '002',
  boundJournal: '003',
  audioTape: '004',
  videoTape: '005',
  cdRom: '006',
  diskette: '007',
  bookWithDiskette: '008',
  bookWithCd: '009',
  bookWithAudioTape: '010',
} as const;

/** `BY` hold type[1] */
export const HOLD_TYPE = {
  other: '1',
  anyCopyOfTitle: '2',
  specificCopy: '3',
  anyCopyAtLocation: '4',
} as const;

/** `99` status code[1] */
export const SC_STATUS_CODE = {
  ok: '0',
  printerOutOfPaper: '1',
  shuttingDown: '2',
} as const;

/** `CV` alert type[2] (3M extension, reference §6) */
export const ALERT_TYPE = {
  unknown: '00',
  localHold: '01',
  remoteHold: '02',
  illTransfer: '03',
  transfer: '04',
  other: '99',
} as const;

/** A full PatronStatus from the flags that are set; the rest are false. */
export function makePatronStatus(flags: Partial<PatronStatus> = {}): PatronStatus {
  const status = {} as PatronStatus;
  for (const key of PATRON_STATUS_FLAGS) status[key] = flags[key] ?? false;
  return status;
}

export type SummaryCategory = (typeof PATRON_SUMMARY_FLAGS)[number];

/** A `63` summary asking for one item list (or none). */
export function makeSummary(category: SummaryCategory | null = null): PatronSummary {
  const summary = {} as PatronSummary;
  for (const key of PATRON_SUMMARY_FLAGS) summary[key] = key === category;
  return summary;
}

/**
 * The item list a `63` summary asks for: the first `Y` among positions 0–5 (the spec allows at
 * most one), or null for none.
 */
export function summaryCategory(summary: PatronSummary): SummaryCategory | null {
  return PATRON_SUMMARY_FLAGS.find((key) => summary[key]) ?? null;
}

/** A full `BX` SupportedMessages from the messages that are supported; the rest are `N`. */
export function makeSupportedMessages(flags: Partial<SupportedMessages> = {}): SupportedMessages {
  const supported = {} as SupportedMessages;
  for (const key of SUPPORTED_MESSAGE_FLAGS) supported[key] = flags[key] ?? false;
  return supported;
}

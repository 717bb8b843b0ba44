/**
 * Dialect profiles: the known differences between SIP2 servers that a client has to get right.
 * Each profile cites where the behaviour comes from (shared/reference/sip2.md unless said otherwise).
 * A site corrects a profile with `backend.overrides` (charset, terminator, error detection, hold lists).
 *
 * What is NOT a dialect setting: the order of ID'd fields. We send them in the spec's order, which is
 * the order Koha's MsgType.pm templates, Evergreen's spec.rs and edge-sip2's parsers read, and we read
 * replies in any order (reference §1: "ID'd fields may come in any order"; the codec keeps unknown ones).
 * The one field-order trap in the spec, the 18 layout line that puts hold queue length between the fixed
 * fields, is handled by the codec for every dialect (CF is an ID'd field, reference §5 17/18).
 */
import type { UpstreamBackendConfig } from '../../../config/schema.ts';

export type DialectName = UpstreamBackendConfig['dialect'];

export interface Dialect {
  name: DialectName;
  /** iconv-lite charset of the wire (reference §1 "Character set"). */
  charset: string;
  /** What we send; replies are accepted with CR, CRLF or LF whatever this says (the framer). */
  terminator: 'CR' | 'CRLF';
  /** Send AY/AZ and verify replies (97 on a bad checksum, reference §3). */
  errorDetection: boolean;
  /**
   * 64 hold lists. `ready`: AS lists holds ready for pickup and CD holds not yet available (the
   * reference's recommendation; Koha). `all`: AS lists every hold, and whether one is ready is read
   * from the item's circulation status (08 = waiting on hold shelf) (Evergreen, FOLIO).
   */
  holdItems: 'ready' | 'all';
  /** CD lists holds that are not yet available. FOLIO lists closed/unfilled requests there instead. */
  cdIsUnavailableHolds: boolean;
  /** Item-list entries (AU, AS, …) may be "barcode title…": take the first token as the barcode. */
  itemListFirstToken: boolean;
  /**
   * Identify a patron without a PIN with 63 instead of 23. edge-sip2 verifies the PIN on every 23 and
   * answers BL=N when it is empty (PatronRepository.performPatronStatusCommand), but skips the check
   * for a 63 with a blank AD (performPatronInformationCommand).
   */
  lookupWith63: boolean;
  /** A verified-looking CQ=Y for an empty AD is believed (only our own server, which never says CQ=Y for a patron who has a PIN). */
  trustEmptyPinCq: boolean;
  /**
   * Screen messages (AF) are our reason catalogue in the patron's language (protocols/kiosk-api/reasons.ts),
   * so a refusal's reason code is read back exactly; other servers' texts go through keyword rules.
   */
  reasonCatalogue: boolean;
  /**
   * Our server's extensions: CH kit properties `kit=..;part=n/m;lead=..;parts=..`, CL sort bins,
   * print lines listing kit units, AV lines `id amount currency description`, "Fine:" lines.
   */
  openKioskExtensions: boolean;
  /** Items per 63 request (BP/BQ paging) when a list is longer than what came back; null = ask for all at once. */
  listPageSize: number | null;
}

const generic: Dialect = {
  name: 'generic',
  // The spec's default code page is 850 (reference §1; edge-sip2/fsip2 default IBM850).
  charset: 'cp850',
  terminator: 'CR', // the spec (reference §1)
  errorDetection: false, // "Off by default; enabled by agreement" (reference §3)
  holdItems: 'ready', // the reference's recommendation for AS/CD (§5 63/64)
  cdIsUnavailableHolds: true,
  itemListFirstToken: true, // "Item values are free text: usually the barcode, some servers append title" (§5 63/64)
  lookupWith63: false,
  trustEmptyPinCq: false, // NYPL circulation PR #756, Libki issue #351 (§5 23/24)
  reasonCatalogue: false,
  openKioskExtensions: false,
  listPageSize: 50,
};

export const DIALECTS: Record<DialectName, Dialect> = {
  generic,
  koha: {
    ...generic,
    name: 'koha',
    charset: 'utf-8',
    // "Koha's server answers CRLF unless the account says CR; Koha's CLI defaults to CRLF" (§1).
    terminator: 'CRLF',
    // Koha sniffs AY/AZ per message (§3), but older Koha summed code points, not bytes, which breaks
    // on non-ASCII text (§3 "Bytes, not characters"): off unless the site turns it on.
    errorDetection: false,
    // "Koha puts only waiting holds in the hold count/AS and the rest in unavailable" (§5 63/64).
    holdItems: 'ready',
  },
  evergreen: {
    ...generic,
    name: 'evergreen',
    charset: 'utf-8',
    terminator: 'CR',
    errorDetection: false,
    // "Evergreen counts all holds in the hold count (Libki issue #245)" (§5 63/64).
    holdItems: 'all',
  },
  folio: {
    ...generic,
    name: 'folio',
    charset: 'cp850', // edge-sip2/fsip2 default IBM850 (§1)
    terminator: 'CR',
    // edge-sip2 makes error detection a per-tenant switch and answers 96 to messages without it when
    // on (§3); a tenant with it off ignores the trailer. On by default so both work.
    errorDetection: true,
    // edge-sip2 PatronRepository: the hold count and AS cover all hold requests; CD lists
    // "Closed - Unfilled"/"Closed - Canceled" requests and the unavailable count is sent blank.
    holdItems: 'all',
    cdIsUnavailableHolds: false,
    lookupWith63: true,
  },
  cobiss: {
    // No public SIP2 description of a COBISS-style server was available to us: the spec's semantics,
    // UTF-8 (cp850 cannot carry č/š/ž), CR. Sites correct it with overrides.
    ...generic,
    name: 'cobiss',
    charset: 'utf-8',
  },
  'open-kiosk': {
    // Our own bridge (daemon/sip2): UTF-8 and CR by default, error detection answered in kind (auto).
    ...generic,
    name: 'open-kiosk',
    charset: 'utf-8',
    terminator: 'CR',
    errorDetection: true,
    holdItems: 'ready', // handlers.ts: AS = ready for pickup, CD = not yet available
    trustEmptyPinCq: true,
    reasonCatalogue: true,
    openKioskExtensions: true,
    itemListFirstToken: false,
    listPageSize: null, // returns every item unless BP/BQ narrow it
  },
};

/** The profile for a config, with the site's overrides applied. */
export function resolveDialect(config: Pick<UpstreamBackendConfig, 'dialect' | 'overrides'>): Dialect {
  const base = DIALECTS[config.dialect];
  const o = config.overrides;
  return {
    ...base,
    ...(o.charset !== undefined ? { charset: o.charset } : {}),
    ...(o.terminator !== undefined ? { terminator: o.terminator } : {}),
    ...(o.errorDetection !== undefined ? { errorDetection: o.errorDetection } : {}),
    ...(o.holdItems !== undefined ? { holdItems: o.holdItems } : {}),
  };
}

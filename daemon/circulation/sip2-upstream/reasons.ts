/**
 * From an upstream's refusal (ok=0 and its screen message, AF) to one of our reason codes.
 *
 * 1. Our own server (dialect open-kiosk) writes AF from our reason catalogue, in the patron's
 *    language: the text is matched back against every catalogue entry, placeholders included, so
 *    the reason (and its details, e.g. {limit}) comes back exactly.
 * 2. Other servers: keyword rules per operation, written from the messages the servers actually
 *    send (Koha C4/SIP/ILS.pm: "Invalid Patron", "Patron Blocked", "Invalid Item", "Item checked
 *    out to another patron", "Item not checked out", "Renewals not allowed", "No such hold on patron
 *    record", …; FOLIO edge-sip2 PatronRepository: "Your library card number cannot be located",
 *    "There are unresolved issues with your account") and the usual English wording of the rest.
 * 3. Nothing matched: the caller looks at the protocol's structured fields (BL, patron status flags,
 *    the item's circulation status) and finally takes the closest reason for the operation, keeping
 *    the upstream's text as the screen message. internal_error is never the answer to a refusal.
 */
import { reasonCodes, reasonMessages, type ReasonCode } from '../../../protocols/kiosk-api/reasons.ts';

export type Operation = 'patron' | 'checkout' | 'checkin' | 'renew' | 'renew_all' | 'hold' | 'fee' | 'item' | 'session';

export interface ReasonMatch {
  reason: ReasonCode;
  details?: Record<string, unknown>;
}

interface CatalogueEntry {
  reason: ReasonCode;
  pattern: RegExp;
  keys: string[];
  /** Characters of fixed text: when two templates match, the more specific one wins. */
  literal: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every catalogue text of every language as an anchored pattern, placeholders captured. */
const CATALOGUE: CatalogueEntry[] = (() => {
  const out: CatalogueEntry[] = [];
  for (const lang of Object.keys(reasonMessages) as Array<keyof typeof reasonMessages>) {
    for (const reason of reasonCodes) {
      const template = reasonMessages[lang][reason];
      const keys: string[] = [];
      const source = template
        .split(/(\{\w+\})/)
        .map((part) => {
          const m = /^\{(\w+)\}$/.exec(part);
          if (!m) return escapeRegExp(part);
          keys.push(m[1]!);
          return '(.+?)';
        })
        .join('');
      out.push({ reason, pattern: new RegExp(`^${source}$`, 's'), keys, literal: template.replace(/\{\w+\}/g, '').length });
    }
  }
  return out;
})();

/** The reason whose catalogue text (any language) this is, with the placeholder values. */
export function reasonFromCatalogue(text: string | undefined): ReasonMatch | null {
  if (!text) return null;
  const t = text.trim();
  // "You have reached your limit of {limit} items." also matches the "…of this type" text with
  // limit = "3 items of this"; the template with more fixed text is the one that was used.
  let best: { e: CatalogueEntry; m: RegExpExecArray } | null = null;
  for (const e of CATALOGUE) {
    const m = e.pattern.exec(t);
    if (m && (!best || e.literal > best.e.literal)) best = { e, m };
  }
  if (!best) return null;
  if (!best.e.keys.length) return { reason: best.e.reason };
  const details: Record<string, unknown> = {};
  best.e.keys.forEach((k, i) => {
    const v = best.m[i + 1] ?? '';
    details[k] = /^\d+$/.test(v) ? Number(v) : v;
  });
  return { reason: best.e.reason, details };
}

type Rule = [RegExp, ReasonCode, Operation[] | null];

/** First match wins; null = any operation. Order: specific before general. */
const RULES: Rule[] = [
  // PINs and cards
  [/\b(pin|password)\b.*\b(locked|too many)\b|\btoo many\b.*\b(pin|password)/i, 'pin_locked', null],
  [/\b(invalid|wrong|incorrect|bad)\b.*\b(pin|password)\b|\b(pin|password)\b.*\b(invalid|wrong|incorrect|not (valid|correct))\b/i, 'wrong_pin', null],
  [/\b(pin|password)\b.*\b(required|missing|needed)\b|\benter\b.*\b(pin|password)\b/i, 'pin_required', null],
  [
    /\b(invalid|unknown|no such)\s+(\w+\s+)?(patron|borrower|user|card|member)\b|\b(patron|borrower|card|member|user)\b.*\b(not found|not known|unknown|does not exist|cannot be located|invalid)\b/i,
    'unknown_patron',
    null,
  ],
  [/\b(card|membership|account|patron)\b.*\bexpired\b|\bexpired\b.*\b(card|membership|account)\b/i, 'membership_expired', ['patron', 'checkout', 'renew', 'renew_all', 'hold']],
  // Money
  [/\bnothing (owed|to pay)|\bno (outstanding )?(fines|fees|debt)\b|\bowes nothing\b/i, 'nothing_owed', ['fee']],
  [/\b(exceeds?|more than|greater than|over)\b.*\b(owed|balance|debt|amount due)\b|\boverpay/i, 'amount_exceeds_debt', ['fee']],
  [/\bcurrency\b/i, 'wrong_currency', ['fee']],
  [/\b(invalid|bad|wrong)\b.*\bamount\b|\bamount\b.*\b(invalid|not valid)\b/i, 'invalid_amount', ['fee']],
  [/\bfee\b.*\b(required|acknowledg|confirm|applies|due)\b|\b(rental|loan) (fee|charge)\b/i, 'fee_not_acknowledged', ['checkout']],
  [/\b(excessive|outstanding|unpaid)\b.*\b(fines?|fees?|charges?)\b|\b(fines?|fees?|debt)\b.*\b(block|exceed|limit|owed|outstanding)\b|\bowes?\b/i, 'debt_block', ['patron', 'checkout', 'renew', 'renew_all', 'hold']],
  // Renewals
  [/\b(renewal|renew)\b.*\b(limit|maximum|max)\b|\btoo many renewals\b|\bno more renewals\b|\brenewed the maximum\b/i, 'renewal_limit', ['renew', 'renew_all', 'checkout']],
  [/\b(on hold|reserved|hold|recall|requested)\b/i, 'renewal_reserved', ['renew', 'renew_all']],
  [/\boverdue\b/i, 'renewal_overdue', ['renew', 'renew_all']],
  [/\bnot checked out to\b|\bnot on loan to\b|\bchecked out to (another|someone)/i, 'not_your_loan', ['renew', 'renew_all']],
  [/\bnot (checked out|on loan|charged)\b/i, 'not_on_loan', ['renew', 'renew_all', 'checkin']],
  [/\brenewals? (are )?not (allowed|permitted)\b|\bcannot be renewed\b|\bnot renewable\b|\brenewal (denied|failed|refused)\b/i, 'not_renewable', ['renew', 'renew_all']],
  // Holds
  [/\balready\b.*\b(hold|reserv|request)|\b(hold|request)\b.*\balready (exists|placed)\b/i, 'already_reserved', ['hold']],
  [/\btoo many (holds|requests|reservations)\b|\b(hold|request|reservation)s?\b.*\blimit\b/i, 'too_many_holds', ['hold']],
  [/\bno such (outstanding )?hold\b|\bhold\b.*\bnot (found|exist)|\bno (matching )?(hold|request|reservation)\b/i, 'hold_not_found', ['hold']],
  [/\b(pickup|pick-up|pick up)\b.*\b(location|place|library)\b.*\b(invalid|unknown|not)\b|\b(invalid|unknown)\b.*\bpick/i, 'unknown_pickup_place', ['hold']],
  [/\bmobile\b|\bsms\b|\bphone number\b/i, 'locker_needs_mobile', ['hold']],
  [/\b(cannot|can't|not)\b.*\b(hold|reserv|request)|\bholds? (are )?not (allowed|permitted)\b/i, 'not_reservable', ['hold']],
  // Items
  [
    /\b(invalid|unknown|no such)\s+(\w+\s+)?(item|barcode|copy|title)\b|\b(item|barcode|copy)\b.*\b(not found|not known|unknown|does not exist|invalid)\b/i,
    'unknown_item',
    null,
  ],
  [/\balready (checked out|on loan|charged|issued) to (you|this patron)\b|\balready (has|have) (this|it)\b/i, 'item_already_yours', ['checkout']],
  [/\b(checked out|on loan|charged|issued) to (another|someone|a different)\b|\balready (checked out|on loan|charged)\b|\bitem is (checked out|on loan)\b/i, 'item_on_loan', ['checkout']],
  [/\b(incomplete|missing part|not complete)\b|\bkit\b.*\bmissing\b/i, 'kit_incomplete', ['checkout', 'checkin']],
  [/\blost\b|\bmissing\b/i, 'item_lost', ['checkout']],
  [/\b(on hold|reserved|hold shelf|waiting for|requested|recall)\b/i, 'item_reserved', ['checkout']],
  [/\bdesk\b|\bstaff\b|\bconfirm/i, 'ask_staff', ['checkout']],
  [/\bnot for loan\b|\bnot (loanable|circulat)|\bnon-?circulating\b|\bcannot be (checked out|borrowed|lent|issued)\b|\breference (only|item)\b|\b(item type|material).*\bnot\b/i, 'item_not_loanable', ['checkout']],
  [/\b(too many|limit|maximum)\b/i, 'too_many_items', ['checkout']],
  [/\boverdue\b/i, 'overdue_block', ['patron', 'checkout', 'hold']],
  [/\b(blocked|barred|debarred|suspended|restricted|unresolved issues|not allowed to (borrow|check ?out)|charge privileges)\b/i, 'patron_blocked', ['patron', 'checkout', 'renew', 'renew_all', 'hold']],
  // Returns
  [/\b(another|other|wrong|different) (branch|library|department|location)\b|\breturn(ed)? (to|at) (the )?(owning|home)\b/i, 'return_elsewhere_not_allowed', ['checkin']],
];

/** The reason a message states, for an operation: catalogue first (when the dialect uses it), then keywords. */
export function reasonFromText(texts: string[] | undefined, operation: Operation, useCatalogue: boolean): ReasonMatch | null {
  const lines = (texts ?? []).map((t) => t.trim()).filter(Boolean);
  if (useCatalogue) {
    for (const t of lines) {
      const m = reasonFromCatalogue(t);
      if (m) return m;
    }
  }
  for (const t of lines) {
    for (const [re, reason, ops] of RULES) {
      if (ops && !ops.includes(operation)) continue;
      if (re.test(t)) return { reason };
    }
  }
  return null;
}

/** The closest reason when nothing better is known (the text is kept as the screen message). */
export const FALLBACK_REASON: Record<Operation, ReasonCode> = {
  patron: 'patron_blocked',
  checkout: 'item_not_loanable',
  checkin: 'ask_staff',
  renew: 'not_renewable',
  renew_all: 'not_renewable',
  hold: 'not_reservable',
  fee: 'invalid_amount',
  item: 'unknown_item',
  session: 'unknown_patron',
};

/** Reasons that describe the patron's standing rather than a single request. */
export const BLOCK_REASONS: ReadonlySet<ReasonCode> = new Set(['membership_expired', 'patron_blocked', 'home_loan_ban', 'debt_block', 'overdue_block']);

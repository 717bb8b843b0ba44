/**
 * The SIP2 fuzz runner, shared by the CI test (fuzz.test.ts, 10,000 frames) and the long run
 * (`npm run fuzz:sip2`, run.ts, 100,000 frames).
 *
 * Each step sends one (mutated) frame over real TCP on a connection in some state (not logged in;
 * logged in as an account with error detection auto, on, or off; a restricted account), then a
 * sentinel the server must answer (a 17 for an item id unique to the step). The server handles a
 * connection's messages in order, so the replies before the sentinel's are the replies to the
 * frame. A model of the server's documented behaviour (ConnModel) says what must happen to each
 * frame: one reply (and of which type; a known request that cannot be read gets its own response,
 * refused), a 96, nothing (an unknown command, a response code: ignored by design), or the
 * connection closed. A step that gets neither the
 * sentinel's reply nor the close in time is a hang.
 *
 * Every step also checks the journal against the replies: each journal row written during the step
 * is explained by a successful reply of that step (no phantom transaction), and each successful
 * reply that says something changed has its journal rows (no lost transaction).
 */
import { connect, type Socket } from 'node:net';
import {
  decode,
  encode,
  isChecksumFailure,
  isRetransmission,
  RESPONSE_CODE_FOR,
  Sip2Framer,
  type SipDateTime,
  type Sip2DecodeResult,
  type Sip2Message,
  type Sip2Request,
} from '../../../protocols/sip2/index.ts';
import type { Db } from '../../../daemon/store/db.ts';
import type { Sip2Fixture } from '../../helpers/sip2.ts';
import {
  encodeRequest,
  FUZZ_ACCOUNTS,
  INSTITUTION,
  mutate,
  RequestGenerator,
  Rng,
  splitPoints,
  type FuzzAccount,
  type FuzzWorld,
  type Mutation,
} from './generator.ts';

/** Codes the server takes as responses sent to it, and ignores (server.ts). */
const RESPONSE_CODES = new Set(['94', '98', '24', '64', '12', '10', '30', '66', '18', '20', '26', '16', '36', '38', '96']);

// ------------------------------------------------------------------ the model of one connection

/** What one frame must get. */
export interface Expectation {
  /** null: no reply by design; 'replay': a previous reply again; else the response code. */
  reply: string | null;
  close: boolean;
  /** Why (for failure reports and the summary). */
  why: string;
  /** The decoded request, when it was executed (not a replay). */
  request?: Sip2Message;
  /** Charset replies to this frame are in. */
  charset: string;
}

/** The server's per-connection behaviour (daemon/sip2/server.ts, handlers.ts), as specified. */
export class ConnModel {
  account: FuzzAccount | null = null;
  failedLogins = 0;
  lastRequest: { sequenceNumber: number | null; checksum: string | null } | null = null;
  hasLastReply = false;
  /** Anything sent on the connection, a 96 included: a 97 repeats it. */
  hasLastSent = false;
  closed = false;
  /** Set when frames after an oversized line may or may not have been handled. */
  uncertain = false;

  constructor(private readonly maxMessageBytes: number) {}

  private wire() {
    return { charset: this.account?.charset ?? 'utf-8', errorDetection: this.account?.errorDetection ?? 'auto' } as const;
  }

  /** Expectations for the bytes written, framed as the server frames them. */
  feed(bytes: Uint8Array): Expectation[] {
    const framer = new Sip2Framer({ maxLength: this.maxMessageBytes });
    const out: Expectation[] = [];
    for (const frame of framer.push(bytes)) {
      if (this.closed) break;
      if (frame.type === 'oversized') {
        // The server closes at once; frames of the same TCP chunk still queued are skipped.
        this.closed = true;
        this.uncertain = true;
        out.push({ reply: null, close: true, why: 'oversized line', charset: this.wire().charset });
        break;
      }
      out.push(this.frame(frame.bytes));
    }
    return out;
  }

  frame(bytes: Uint8Array): Expectation {
    const e = this.expect(bytes);
    if (e.reply !== null) this.hasLastSent = true;
    return e;
  }

  private expect(bytes: Uint8Array): Expectation {
    const wire = this.wire();
    const base = { charset: wire.charset };
    const result: Sip2DecodeResult = decode(bytes, wire);
    if (!result.ok) {
      if (isChecksumFailure(result) || (result.commandCode && result.errors.some((e) => e.code === 'missing-checksum'))) {
        return { ...base, reply: '96', close: false, why: 'checksum failure → 96' };
      }
      if (!this.account) {
        this.closed = true;
        return { ...base, reply: null, close: true, why: `not understood before login (${result.errors[0]?.code})` };
      }
      if (result.commandCode === '97') {
        if (this.hasLastSent) return { ...base, reply: 'replay', close: false, why: 'unreadable 97 → last message sent' };
        return { ...base, reply: '96', close: false, why: 'unreadable 97 with nothing sent yet → 96' };
      }
      const code = result.commandCode as keyof typeof RESPONSE_CODE_FOR | null;
      if (code === null || !(code in RESPONSE_CODE_FOR)) return { ...base, reply: null, close: false, why: `ignored: ${result.errors[0]?.code}` };
      // A known request that could not be read: its own response, refused (daemon/sip2/handlers.ts malformedRequest).
      this.lastRequest = { sequenceNumber: result.sequenceNumber, checksum: result.checksum };
      if (code === '93') {
        this.hasLastReply = true;
        this.failedLogins++;
        if (this.failedLogins >= 3) {
          this.closed = true;
          return { ...base, reply: '94', close: true, why: 'unreadable 93 (third refused login) → 94 and close' };
        }
        return { ...base, reply: '94', close: false, why: 'unreadable 93 → refused login' };
      }
      const allowed = this.account.messages === 'all' || this.account.messages.includes(code);
      if (code === '99' && !allowed) {
        this.closed = true;
        return { ...base, reply: null, close: true, why: 'unreadable 99, not allowed for the account → close' };
      }
      this.hasLastReply = true;
      return { ...base, reply: RESPONSE_CODE_FOR[code], close: false, why: `unreadable ${code} (${result.errors[0]?.code}) → refusal` };
    }
    const msg = result.message;
    if (msg.code === '97') {
      if (this.hasLastSent) return { ...base, reply: 'replay', close: false, why: '97 → last message sent (a 96 too)' };
      return { ...base, reply: '96', close: false, why: '97 with nothing sent yet → 96' };
    }
    if (!('patronIdentifier' in msg) && !('itemIdentifier' in msg) && !['93', '99', '97'].includes(msg.code) && RESPONSE_CODES.has(msg.code)) {
      return { ...base, reply: null, close: false, why: `response code ${msg.code} ignored` };
    }
    const envelope = { sequenceNumber: result.sequenceNumber, checksum: result.checksum };
    if (this.hasLastReply && isRetransmission(this.lastRequest, envelope)) {
      return { ...base, reply: 'replay', close: false, why: 'retransmission → last reply' };
    }
    this.lastRequest = envelope;
    if (RESPONSE_CODES.has(msg.code)) return { ...base, reply: null, close: false, why: `response code ${msg.code} ignored` };
    const req = msg as Sip2Request;
    const expected = RESPONSE_CODE_FOR[req.code as Exclude<Sip2Request['code'], '97'>];
    if (req.code === '93') {
      const acct = FUZZ_ACCOUNTS.find((a) => a.user === req.loginUserId);
      this.hasLastReply = true;
      if (acct && acct.password === req.loginPassword) {
        this.account = acct;
        this.failedLogins = 0;
        return { ...base, reply: '94', close: false, why: `login ${acct.user}`, request: req };
      }
      this.failedLogins++;
      if (this.failedLogins >= 3) {
        this.closed = true;
        return { ...base, reply: '94', close: true, why: 'third refused login → 94 and close', request: req };
      }
      return { ...base, reply: '94', close: false, why: 'refused login', request: req };
    }
    if (!this.account) {
      if (req.code === '99' && FUZZ_ACCOUNTS.some((a) => a.scStatusBeforeLogin)) {
        this.hasLastReply = true;
        return { ...base, reply: '98', close: false, why: '99 before login (allowed)', request: req };
      }
      this.closed = true;
      return { ...base, reply: null, close: true, why: `${req.code} before login → close` };
    }
    const allowed = this.account.messages === 'all' || this.account.messages.includes(req.code as string);
    if (!allowed && req.code === '99') {
      this.closed = true;
      return { ...base, reply: null, close: true, why: '99 not allowed for the account → close' };
    }
    this.hasLastReply = true;
    return { ...base, reply: expected, close: false, why: allowed ? `request ${req.code}` : `${req.code} not allowed → refusal`, request: req };
  }
}

// ------------------------------------------------------------------ a client connection

class Conn {
  readonly frames: Uint8Array[] = [];
  closed = false;
  private wake: (() => void) | null = null;
  private readonly framer = new Sip2Framer({ maxLength: 1 << 20 });

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.framer.push(chunk)) if (f.type === 'message') this.frames.push(f.bytes);
      this.wake?.();
    });
    const gone = () => {
      this.closed = true;
      this.wake?.();
    };
    socket.on('end', gone);
    socket.on('close', gone);
    socket.on('error', gone);
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.off('error', reject);
        resolve(new Conn(s));
      });
      s.once('error', reject);
    });
  }

  /** Waits until `done()` or the connection closes; false on timeout. */
  waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (done() || this.closed) {
          clearTimeout(timer);
          this.wake = null;
          resolve(true);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(done() || this.closed);
      }, timeoutMs);
      this.wake = check;
      check();
    });
  }

  async write(bytes: Uint8Array, splits: number[]): Promise<void> {
    let from = 0;
    for (const at of [...splits, bytes.length]) {
      if (this.closed) return;
      this.socket.write(bytes.subarray(from, at));
      from = at;
      if (at < bytes.length) {
        // Let the event loop go round (poll phase included) so the server reads this piece alone.
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  destroy(): void {
    this.socket.destroy();
    this.closed = true;
  }
}

// ------------------------------------------------------------------ the store, as the checks see it

interface StoreView {
  patronByIdentifier(identifier: string): number | null;
  itemId(barcode: string): number | null;
  /** A kit's unit ids (a single item: itself). */
  units(itemId: number): number[];
  openLoans(): Map<number, { patronId: number | null; status: string }>;
  journalSince(id: number): JournalRow[];
  maxJournalId(): number;
}

interface JournalRow {
  id: number;
  kind: string;
  patron_id: number | null;
  item_id: number | null;
  group_id: number | null;
}

function storeView(db: Db): StoreView {
  const patrons = new Map<string, number>();
  for (const r of db.prepare('SELECT id, barcode FROM patrons').all() as Array<{ id: number; barcode: string }>) patrons.set(r.barcode, r.id);
  for (const r of db.prepare('SELECT patron_id, value FROM patron_ids').all() as Array<{ patron_id: number; value: string }>) {
    if (!patrons.has(r.value)) patrons.set(r.value, r.patron_id);
  }
  const items = new Map<string, number>();
  const kitOf = new Map<number, number>();
  const kitUnits = new Map<number, number[]>();
  for (const r of db.prepare('SELECT id, barcode, kit_id FROM items').all() as Array<{ id: number; barcode: string; kit_id: number | null }>) {
    items.set(r.barcode, r.id);
    if (r.kit_id !== null) {
      kitOf.set(r.id, r.kit_id);
      kitUnits.set(r.kit_id, [...(kitUnits.get(r.kit_id) ?? []), r.id]);
    }
  }
  const open = db.prepare('SELECT item_id, patron_id, status FROM loans WHERE closed_at IS NULL');
  const since = db.prepare('SELECT id, kind, patron_id, item_id, group_id FROM journal WHERE id > ? ORDER BY id');
  const max = db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM journal');
  return {
    patronByIdentifier: (identifier) => patrons.get(identifier.trim()) ?? null,
    itemId: (barcode) => items.get(barcode.trim()) ?? null,
    units: (itemId) => {
      const kit = kitOf.get(itemId);
      return kit === undefined ? [itemId] : (kitUnits.get(kit) ?? [itemId]);
    },
    openLoans: () => {
      const m = new Map<number, { patronId: number | null; status: string }>();
      for (const r of open.all() as Array<{ item_id: number; patron_id: number | null; status: string }>) m.set(r.item_id, { patronId: r.patron_id, status: r.status });
      return m;
    },
    journalSince: (id) => since.all(id) as JournalRow[],
    maxJournalId: () => (max.get() as { n: number }).n,
  };
}

const FAMILY: Record<string, string> = {
  checkout: 'checkout',
  checkout_reading_room: 'checkout',
  renewal: 'renewal',
  checkin: 'checkin',
  return_with_hold: 'checkin',
  checkin_other_department: 'checkin',
  hold_title: 'hold',
  hold_copy: 'hold',
  hold_cancelled: 'hold',
  hold_changed: 'hold',
  payment: 'payment',
  patron_blocked: 'block',
  patron_enabled: 'enable',
};

/** Rows that follow from a transaction without being one (a hold made ready by a return, a lockout). */
const SIDE_KINDS = new Set(['hold_assigned', 'hold_ready', 'hold_passed_on', 'hold_expired', 'pin_lockout']);

interface Pair {
  request: Sip2Message;
  reply: Sip2Message;
}

/** A group of journal rows: one transaction (a kit's units share a group). */
interface RowGroup {
  family: string;
  rows: JournalRow[];
  used: boolean;
}

/**
 * Journal rows of a step against its (request, reply) pairs. Returns problems, and the number of
 * transactions the clients were told succeeded (each matched to its journal group).
 */
function checkJournal(
  view: StoreView,
  pairs: Pair[],
  rows: JournalRow[],
  openBefore: Map<number, { patronId: number | null; status: string }>,
  seenPayments: Set<string>,
): { problems: string[]; transactions: number; journalGroups: number } {
  const problems: string[] = [];
  const groups = new Map<string, RowGroup>();
  const side: JournalRow[] = [];
  for (const r of rows) {
    if (SIDE_KINDS.has(r.kind) || r.kind.startsWith('fee:')) {
      side.push(r);
      continue;
    }
    const family = FAMILY[r.kind];
    if (!family) {
      problems.push(`journal row ${r.id} of kind ${r.kind} cannot come from SIP2`);
      continue;
    }
    const key = `${family}:${r.group_id ?? `row${r.id}`}`;
    const g = groups.get(key) ?? { family, rows: [], used: false };
    g.rows.push(r);
    groups.set(key, g);
  }
  const open = new Map(openBefore);
  let transactions = 0;
  const take = (family: string, match: (r: JournalRow) => boolean, what: string): boolean => {
    for (const g of groups.values()) {
      if (!g.used && g.family === family && g.rows.some(match)) {
        g.used = true;
        transactions++;
        return true;
      }
    }
    problems.push(`${what}: the client was told it succeeded, but no ${family} row was written`);
    return false;
  };
  for (const { request: q, reply: a } of pairs) {
    const rq = q as unknown as Record<string, unknown>;
    const patron = typeof rq.patronIdentifier === 'string' ? view.patronByIdentifier(rq.patronIdentifier) : null;
    const itemOf = (barcode: unknown) => (typeof barcode === 'string' ? view.itemId(barcode) : null);
    if (q.code === '11' && a.code === '12' && a.ok) {
      const item = itemOf(a.itemIdentifier);
      if (item === null || patron === null) {
        problems.push(`12 ok=1 for unknown item ${a.itemIdentifier} or patron ${String(rq.patronIdentifier)}`);
        continue;
      }
      const units = view.units(item);
      if (a.renewalOk) {
        take('renewal', (r) => units.includes(r.item_id ?? -1), `renewal by checkout of ${a.itemIdentifier}`);
        continue;
      }
      const before = open.get(item);
      if (before && before.patronId === patron && (before.status === 'C' || before.status === 'S')) continue; // a repeat: nothing new
      if (take('checkout', (r) => units.includes(r.item_id ?? -1) && r.patron_id === patron, `checkout of ${a.itemIdentifier}`)) {
        for (const u of units) open.set(u, { patronId: patron, status: 'C' });
      }
    } else if (q.code === '09' && a.code === '10' && a.ok && a.patronIdentifier !== undefined) {
      const item = itemOf(a.itemIdentifier);
      if (item === null) {
        problems.push(`10 ok=1 with AA for unknown item ${a.itemIdentifier}`);
        continue;
      }
      const units = view.units(item);
      if (take('checkin', (r) => units.includes(r.item_id ?? -1), `return of ${a.itemIdentifier}`)) for (const u of units) open.delete(u);
    } else if (q.code === '29' && a.code === '30' && a.ok) {
      const item = itemOf(a.itemIdentifier);
      const units = item === null ? [] : view.units(item);
      take('renewal', (r) => units.includes(r.item_id ?? -1), `renewal of ${a.itemIdentifier}`);
    } else if (q.code === '65' && a.code === '66' && a.ok) {
      for (const barcode of a.renewedItems ?? []) {
        const item = itemOf(barcode);
        const units = item === null ? [] : view.units(item);
        take('renewal', (r) => units.includes(r.item_id ?? -1) && r.patron_id === patron, `renew-all of ${barcode}`);
      }
    } else if (q.code === '15' && a.code === '16' && a.ok) {
      take('hold', (r) => r.patron_id === patron, `hold ${(q as { holdMode: string }).holdMode} for ${String(rq.patronIdentifier)}`);
    } else if (q.code === '37' && a.code === '38' && a.paymentAccepted) {
      const id = a.transactionId ?? '';
      if (seenPayments.has(id)) continue; // a retried payment: the first one's receipt again
      seenPayments.add(id);
      take('payment', (r) => r.patron_id === patron, `payment ${id}`);
    } else if (q.code === '01' && a.code === '24' && a.validPatron) {
      take('block', (r) => r.patron_id === patron, `block of ${String(rq.patronIdentifier)}`);
    } else if (q.code === '25' && a.code === '26' && a.validPatron) {
      // Only a card a device blocked is enabled again (and journaled); otherwise nothing changes.
      for (const g of groups.values()) {
        if (!g.used && g.family === 'enable' && g.rows.some((r) => r.patron_id === patron)) {
          g.used = true;
          transactions++;
          break;
        }
      }
    }
  }
  for (const g of groups.values()) {
    if (!g.used) problems.push(`journal ${g.family} rows ${g.rows.map((r) => `${r.id}:${r.kind}`).join(',')} match no successful reply`);
  }
  const codes = new Set<string>(pairs.map((p) => p.request.code));
  for (const r of side) {
    const explained =
      r.kind === 'pin_lockout'
        ? pairs.some((p) => typeof (p.request as { patronPassword?: unknown }).patronPassword === 'string' && (p.request as { patronPassword: string }).patronPassword !== '')
        : ['11', '09', '29', '65', '15', '37', '01', '25'].some((c) => codes.has(c));
    if (!explained) problems.push(`journal row ${r.id}:${r.kind} follows from no request of the step`);
  }
  return { problems, transactions, journalGroups: groups.size };
}

// ------------------------------------------------------------------ store invariants

export interface StoreCheck {
  integrity: string;
  foreignKeyProblems: number;
  itemsWithTwoOpenLoans: number;
  badPinFailures: number;
  badLocks: number;
  overpaidFees: number;
  misallocatedPayments: number;
  journalRows: number;
  openLoans: number;
}

export function checkStore(db: Db, now: Date, maxPinFailures: number, lockoutMinutes: number): StoreCheck {
  const n = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
  const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  const latest = new Date(now.getTime() + lockoutMinutes * 60_000).toISOString();
  return {
    integrity,
    foreignKeyProblems: (db.pragma('foreign_key_check') as unknown[]).length,
    itemsWithTwoOpenLoans: n('SELECT COUNT(*) AS n FROM (SELECT item_id FROM loans WHERE closed_at IS NULL GROUP BY item_id HAVING COUNT(*) > 1)'),
    badPinFailures: n('SELECT COUNT(*) AS n FROM patrons WHERE pin_failures < 0 OR pin_failures >= ? OR (pin_hash IS NULL AND pin_failures > 0)', maxPinFailures),
    badLocks: n('SELECT COUNT(*) AS n FROM patrons WHERE pin_locked_until IS NOT NULL AND (pin_locked_until > ? OR pin_hash IS NULL)', latest),
    overpaidFees: n('SELECT COUNT(*) AS n FROM fees WHERE paid_minor < 0 OR waived_minor < 0 OR paid_minor + waived_minor > amount_minor'),
    misallocatedPayments: n(
      `SELECT COUNT(*) AS n FROM payments p WHERE p.amount_minor <> COALESCE((SELECT SUM(a.amount_minor) FROM payment_allocations a WHERE a.payment_id = p.id), 0)`,
    ),
    journalRows: n('SELECT COUNT(*) AS n FROM journal'),
    openLoans: n('SELECT COUNT(*) AS n FROM loans WHERE closed_at IS NULL'),
  };
}

// ------------------------------------------------------------------ the run

export interface FuzzOptions {
  seed: number;
  frames: number;
  /** No reply and no close within this time is a hang. */
  stepTimeoutMs?: number;
  maxMessageBytes: number;
  /** The fixture's clock as a SIP date (the generator's transaction dates). */
  now: SipDateTime;
  progress?: (done: number, report: FuzzReport) => void;
}

export interface FuzzFailure {
  step: number;
  lane: string;
  mutations: Mutation[];
  problem: string;
  frameHex: string;
  expected: string[];
  got: string[];
}

export interface FuzzReport {
  seed: number;
  frames: number;
  /** Frames the server handled as messages (a frame cut by CR/LF counts as several). */
  messages: number;
  replies: number;
  replays: number;
  resendRequests: number;
  /** Known requests that could not be read, answered with their own response, refused. */
  unreadableRefusals: number;
  ignoredByDesign: number;
  closes: number;
  reconnects: number;
  byLane: Record<string, number>;
  byMutation: Record<string, number>;
  byRequest: Record<string, number>;
  ignoredWhy: Record<string, number>;
  transactions: number;
  journalGroups: number;
  errorLogLines: number;
  failures: FuzzFailure[];
  ms: number;
}

interface Lane {
  name: string;
  weight: number;
  /** The account the lane logs in as; null = never logs in (one connection per step). */
  account: FuzzAccount | null;
  trailers: 'always' | 'never' | 'random';
  conn: Conn | null;
  model: ConnModel | null;
  seq: number;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const show = (b: Uint8Array) => Buffer.from(b).toString('latin1').replace(/[\r\n]/g, (c) => (c === '\r' ? '\\r' : '\\n'));

export async function runFuzz(fx: Sip2Fixture, world: FuzzWorld, o: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  const rng = new Rng(o.seed);
  const gen = new RequestGenerator(rng, world, o.now);
  const view = storeView(fx.lib.db);
  const timeoutMs = o.stepTimeoutMs ?? 3000;
  const acct = (user: string) => FUZZ_ACCOUNTS.find((a) => a.user === user)!;
  const lanes: Lane[] = [
    { name: 'not-logged-in', weight: 15, account: null, trailers: 'random', conn: null, model: null, seq: 0 },
    { name: 'kiosk/auto', weight: 35, account: acct('kiosk'), trailers: 'random', conn: null, model: null, seq: 0 },
    { name: 'sorter/on', weight: 20, account: acct('sorter'), trailers: 'always', conn: null, model: null, seq: 0 },
    { name: 'plain/off', weight: 15, account: acct('plain'), trailers: 'random', conn: null, model: null, seq: 0 },
    { name: 'locker/on', weight: 15, account: acct('locker'), trailers: 'always', conn: null, model: null, seq: 0 },
  ];
  const report: FuzzReport = {
    seed: o.seed,
    frames: 0,
    messages: 0,
    replies: 0,
    replays: 0,
    resendRequests: 0,
    unreadableRefusals: 0,
    ignoredByDesign: 0,
    closes: 0,
    reconnects: 0,
    byLane: {},
    byMutation: {},
    byRequest: {},
    ignoredWhy: {},
    transactions: 0,
    journalGroups: 0,
    errorLogLines: 0,
    failures: [],
    ms: 0,
  };
  const bump = (m: Record<string, number>, k: string, by = 1) => (m[k] = (m[k] ?? 0) + by);
  const seenPayments = new Set<string>();
  let sentinelNo = 0;

  /** A sentinel 17 (always with AY/AZ: verified by auto/on, stripped by off) the model accepts as new. */
  const sentinel = (model: ConnModel): { bytes: Uint8Array; marker: string } => {
    const marker = `SNTL${++sentinelNo}`;
    for (let s = 0; s < 10; s++) {
      const bytes = encode({ code: '17', transactionDate: o.now, institutionId: INSTITUTION, itemIdentifier: marker }, { errorDetection: true, sequenceNumber: s }).bytes;
      const r = decode(bytes);
      if (r.ok && !(model.hasLastReply && isRetransmission(model.lastRequest, r))) return { bytes, marker };
    }
    throw new Error('no sentinel sequence number is free');
  };
  const loginBytes = (a: FuzzAccount, seq: number) =>
    encode({ code: '93', uidAlgorithm: '0', pwdAlgorithm: '0', loginUserId: a.user, loginPassword: a.password }, { charset: 'utf-8', errorDetection: true, sequenceNumber: seq }).bytes;

  const openLane = async (lane: Lane): Promise<void> => {
    lane.conn = await Conn.open(fx.server.port);
    lane.model = new ConnModel(o.maxMessageBytes);
    report.reconnects++;
    if (!lane.account) return;
    const bytes = loginBytes(lane.account, 0);
    const exp = lane.model.feed(bytes);
    await lane.conn.write(bytes, []);
    const ok = await lane.conn.waitFor(() => lane.conn!.frames.length >= 1, timeoutMs);
    const reply = lane.conn.frames.shift();
    if (!ok || !reply || !Buffer.from(reply).toString('latin1').startsWith('941') || exp[0]?.reply !== '94') {
      throw new Error(`lane ${lane.name}: login failed (${reply ? show(reply) : 'no reply'})`);
    }
  };

  for (let step = 0; step < o.frames; step++) {
    const lane = rng.weighted(lanes.map((l) => [l, l.weight] as const));
    bump(report.byLane, lane.name);
    if (!lane.account && lane.conn) {
      lane.conn.destroy();
      lane.conn = null;
    }
    if (!lane.conn || lane.conn.closed || lane.model?.closed) {
      lane.conn?.destroy();
      await openLane(lane);
    }
    const conn = lane.conn!;
    const model = lane.model!;
    conn.frames.length = 0;

    // The frame: a valid request as this connection's device would encode it, then mutated.
    const wire = model.account ?? { charset: 'utf-8', terminator: 'CR' as const };
    const request = gen.request();
    bump(report.byRequest, request.code);
    const trailer = lane.trailers === 'always' || (lane.trailers === 'random' && rng.chance(0.5));
    const clean = encodeRequest(request, { charset: wire.charset, terminator: wire.terminator, errorDetection: trailer, sequenceNumber: lane.seq });
    lane.seq = (lane.seq + 1) % 10;
    const { bytes, mutations } = mutate(rng, clean, o.maxMessageBytes);
    for (const m of mutations) bump(report.byMutation, m);
    const splits = splitPoints(rng, bytes.length);

    // What must happen, then the sentinel(s) that show the server is done with the frame.
    const fuzzPart = Uint8Array.from(Buffer.concat([Buffer.from(bytes), Buffer.from('\r')]));
    const expectations = model.feed(fuzzPart);
    const tail: Uint8Array[] = [];
    const tailExpect: Expectation[] = [];
    let marker = '';
    if (!model.closed) {
      if (!model.account) {
        const login = loginBytes(FUZZ_ACCOUNTS[0]!, 9);
        tail.push(login);
        tailExpect.push(...model.feed(login));
      }
      if (!model.closed) {
        const s = sentinel(model);
        marker = s.marker;
        tail.push(s.bytes);
        tailExpect.push(...model.feed(s.bytes));
      }
    }
    const journalBefore = view.maxJournalId();
    const openBefore = view.openLoans();

    await conn.write(fuzzPart, splits);
    if (tail.length) await conn.write(Uint8Array.from(Buffer.concat(tail.map((t) => Buffer.from(t)))), []);

    const markerBytes = `AB${marker}|`;
    const sawMarker = () => marker !== '' && conn.frames.some((f) => Buffer.from(f).toString('latin1').includes(markerBytes));
    const finished = await conn.waitFor(sawMarker, timeoutMs);
    report.frames++;

    const fail = (problem: string) =>
      report.failures.push({
        step,
        lane: lane.name,
        mutations,
        problem,
        frameHex: hex(bytes),
        expected: [...expectations, ...tailExpect].map((e) => `${e.reply ?? '-'}${e.close ? ' +close' : ''} (${e.why})`),
        got: conn.frames.map(show),
      });

    const all = [...expectations, ...tailExpect];
    const expectedReplies = all.filter((e) => e.reply !== null);
    const closeExpected = all.some((e) => e.close);
    report.messages += expectations.length;
    for (const e of expectations) {
      if (e.reply === null && !e.close) {
        report.ignoredByDesign++;
        bump(report.ignoredWhy, e.why.replace(/ \(.*\)$/, '').replace(/^ignored: /, ''));
      }
      if (e.reply === 'replay') report.replays++;
      if (e.reply === '96') report.resendRequests++;
      if (e.why.startsWith('unreadable ') && e.reply !== null) report.unreadableRefusals++;
    }

    if (!finished) {
      fail(`hang: neither the sentinel's reply nor a close within ${timeoutMs} ms`);
      conn.destroy();
      continue;
    }
    if (conn.closed && !sawMarker()) {
      // Closed: only where the model says so, after the replies that precede the close.
      report.closes++;
      if (!closeExpected) fail('the server closed the connection without a reason the protocol gives');
      else {
        const before = all.slice(0, all.findIndex((e) => e.close) + 1).filter((e) => e.reply !== null);
        const ok = model.uncertain ? conn.frames.length <= before.length : conn.frames.length === before.length;
        if (!ok) fail(`expected ${before.length} replies before the close, got ${conn.frames.length}`);
      }
      report.replies += conn.frames.length;
      conn.destroy();
    } else {
      if (closeExpected) fail('expected the connection to be closed, but it answered the sentinel');
      if (conn.frames.length !== expectedReplies.length) {
        fail(`expected ${expectedReplies.length} replies, got ${conn.frames.length}`);
      } else {
        report.replies += conn.frames.length;
        // Each reply is of the type its request asks for.
        const pairs: Pair[] = [];
        expectedReplies.forEach((e, i) => {
          const got = conn.frames[i]!;
          const text = Buffer.from(got).toString('latin1');
          if (e.reply !== 'replay' && !text.startsWith(e.reply!)) fail(`reply ${i + 1} should be ${e.reply} (${e.why}), got ${text.slice(0, 2)}`);
          if (e.request && e.reply !== 'replay') {
            const r = decode(got, { charset: e.charset, errorDetection: 'auto' });
            if (!r.ok) fail(`reply ${i + 1} does not decode: ${r.errors.map((x) => x.message).join('; ')}`);
            else pairs.push({ request: e.request, reply: r.message });
          }
        });
        const rows = view.journalSince(journalBefore);
        const j = checkJournal(view, pairs, rows, openBefore, seenPayments);
        report.transactions += j.transactions;
        report.journalGroups += j.journalGroups;
        for (const p of j.problems) fail(p);
      }
      if (!lane.account) conn.destroy();
    }
    if (report.failures.length > 50) break;
    if ((step + 1) % 1000 === 0) {
      report.errorLogLines += fx.logs.filter((l) => l.includes('"level":50') || l.includes('"level":60')).length;
      fx.logs.length = 0;
      o.progress?.(step + 1, report);
    }
  }
  for (const l of lanes) l.conn?.destroy();
  report.errorLogLines += fx.logs.filter((l) => l.includes('"level":50') || l.includes('"level":60')).length;
  report.ms = Date.now() - t0;
  return report;
}

/** A few lines for people: what was sent and how the server answered. */
export function summarise(r: FuzzReport, store?: StoreCheck): string {
  const top = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const lines = [
    `SIP2 fuzz, seed ${r.seed}: ${r.frames.toLocaleString('en-US')} frames (${r.messages.toLocaleString('en-US')} messages after framing) in ${(r.ms / 1000).toFixed(1)} s (${Math.round((r.frames / r.ms) * 1000).toLocaleString('en-US')} frames/s)`,
    `  replies ${r.replies}, of which 96 ${r.resendRequests}, refusals of unreadable requests ${r.unreadableRefusals}, replays (97/retransmission) ${r.replays}; ignored by design ${r.ignoredByDesign}; connections closed by the server ${r.closes}; connections opened ${r.reconnects}`,
    `  ignored: ${top(r.ignoredWhy)}`,
    `  lanes: ${top(r.byLane)}`,
    `  requests: ${top(r.byRequest)}`,
    `  mutations: ${top(r.byMutation)}`,
    `  successful transactions told to clients ${r.transactions}, journal transactions ${r.journalGroups}; error log lines ${r.errorLogLines}`,
  ];
  if (store) {
    lines.push(
      `  store: integrity ${store.integrity}, foreign key problems ${store.foreignKeyProblems}, items with two open loans ${store.itemsWithTwoOpenLoans}, ` +
        `bad pin_failures ${store.badPinFailures}, bad PIN locks ${store.badLocks}, overpaid fees ${store.overpaidFees}, misallocated payments ${store.misallocatedPayments}; ` +
        `journal ${store.journalRows} rows, ${store.openLoans} open loans`,
    );
  }
  lines.push(`  failures: ${r.failures.length}`);
  for (const f of r.failures.slice(0, 10)) {
    lines.push(`    step ${f.step} [${f.lane}] ${f.mutations.join('+')}: ${f.problem}`);
    lines.push(`      frame ${f.frameHex.length > 400 ? `${f.frameHex.slice(0, 400)}…` : f.frameHex}`);
    lines.push(`      expected ${f.expected.join(' | ')}`);
    lines.push(`      got ${f.got.map((g) => (g.length > 200 ? `${g.slice(0, 200)}…` : g)).join(' | ')}`);
  }
  return lines.join('\n');
}

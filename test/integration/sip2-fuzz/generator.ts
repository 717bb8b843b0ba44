/**
 * Seeded SIP2 fuzz input: valid requests of every type, built with the codec from a library the
 * fuzz knows (fuzzData), then mutated at the byte level the way real links and real devices break
 * them: flipped bits, truncation, stray `|`, CR/LF and NUL, high bytes, repeated fields, wrong or
 * missing checksums, oversized lines, whole frames repeated, and writes split at random points.
 *
 * Everything is a pure function of the seed, so a failure is reproduced by its seed and step number.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import {
  computeChecksum,
  encode,
  makeSummary,
  PATRON_SUMMARY_FLAGS,
  type SipDateTime,
  type Sip2Request,
} from '../../../protocols/sip2/index.ts';
import { mulberry32 } from '../../../drivers/seeded-random.ts';
import { baseData } from '../../helpers/engine.ts';

// ------------------------------------------------------------------ randomness

/** mulberry32: small, fast, good enough for test input; the whole run follows from the seed. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** 0 ≤ n < max */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  weighted<T>(table: ReadonlyArray<readonly [T, number]>): T {
    const total = table.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [v, w] of table) if ((r -= w) < 0) return v;
    return table[table.length - 1]![0];
  }
}

// ------------------------------------------------------------------ the library

export const FUZZ_PIN = '1234';
export const INSTITUTION = 'SI-50000';

/**
 * A scrypt hash in the store's format with tiny cost parameters. verifyPin reads N/r/p from the
 * hash, so logins and PIN checks stay correct but cost microseconds instead of ~60 ms: the fuzz is
 * about the protocol, not about scrypt, and must send 10,000 frames in seconds.
 */
export function cheapHash(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret.normalize('NFC'), salt, 32, { N: 16, r: 1, p: 1 });
  return `scrypt$16$1$1$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export interface FuzzWorld {
  /** Patron identifiers that exist (card numbers and an alternative id). */
  patrons: string[];
  items: string[];
  bibIds: string[];
  pickupPlaces: string[];
  departments: string[];
  feeIds: string[];
}

/**
 * Demo-like data: the test base library (two departments, a kit, three patrons) with more items and
 * patrons, loans (one overdue), holds waiting at the desk and in a locker, queued title holds, fees,
 * a patron without a PIN, an expired and a blocked one, and a loan fee on DVDs.
 */
export function fuzzData(pinHash: string): { data: Record<string, unknown>; world: FuzzWorld } {
  const items: Array<Record<string, unknown>> = [];
  for (let i = 1; i <= 60; i++) {
    items.push({ barcode: `F${String(i).padStart(3, '0')}`, bibId: `FT${1 + (i % 25)}`, title: `Fuzz title ${1 + (i % 25)} — Čriček žaba`, materialType: 'book', department: i % 7 === 0 ? '02' : '01', price: 10 + (i % 9) });
  }
  items.push({ barcode: 'FV1', bibId: 'FTV', title: 'Kekec (DVD)', materialType: 'video', department: '01' });
  items.push({ barcode: 'FV2', bibId: 'FTV', title: 'Kekec (DVD)', materialType: 'video', department: '01' });
  items.push({ barcode: 'FR1', bibId: 'FTR', title: 'Leksikon', materialType: 'reference', department: '01' });
  items.push({ barcode: 'FX7', bibId: 'FTX', title: 'Not for loan', materialType: 'book', department: '01', access: '7' });
  items.push({ barcode: 'FL8', bibId: 'FTL', title: 'Lost copy', materialType: 'book', department: '01', status: '8' });
  const patrons: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 20; i++) {
    patrons.push({
      barcode: `02000${String(i).padStart(2, '0')}`,
      firstName: ['Ana', 'Žiga', 'Ilze', 'Péter'][i % 4],
      lastName: `Fuzz${i}`,
      category: i % 5 === 0 ? 'child' : 'adult',
      pinHash,
      homeDepartment: '01',
      language: ['sl', 'en', 'lv', 'hu'][i % 4],
      membershipExpires: '2027-12-31',
      ...(i % 3 === 0 ? { mobile: `+3864000${String(i).padStart(4, '0')}` } : {}),
      ...(i === 7 ? { altIds: ['E0040150FUZZ0007'] } : {}),
    });
  }
  patrons.push({ barcode: '0200090', firstName: 'No', lastName: 'Pin', category: 'adult', homeDepartment: '01', membershipExpires: '2027-12-31' });
  patrons.push({ barcode: '0200091', firstName: 'Old', lastName: 'Member', category: 'adult', pinHash, homeDepartment: '01', membershipExpires: '2020-01-01' });
  patrons.push({ barcode: '0200092', firstName: 'Staff', lastName: 'Blocked', category: 'adult', pinHash, homeDepartment: '01', membershipExpires: '2027-12-31', block: { reason: 'staff', note: 'fuzz' } });
  const base = baseData({
    items,
    patrons,
    loans: [
      { item: 'F001', patron: '0200000', loanedAt: '@today-10d' },
      { item: 'F002', patron: '0200000', loanedAt: '@today-40d', dueDate: '@today-10d' },
      { item: 'F003', patron: '0200001', loanedAt: '@today-3d' },
      { item: 'F004', patron: '0200002', loanedAt: '@today-3d' },
      { item: 'K1', patron: '0200003', loanedAt: '@today-5d' },
      { item: 'F014', patron: '0200004', loanedAt: '@today-2d' },
    ],
    holds: [
      { patron: '0200003', item: 'F010', status: 'W', pickupPlace: 'LOCKER-A', createdAt: '@today-2d' },
      { patron: '0200004', item: 'F011', status: 'W', pickupPlace: '01-DESK', createdAt: '@today-2d' },
      { patron: '0200005', bibId: 'FT4', status: 'R', pickupPlace: '01-DESK', createdAt: '@today-1d' },
      { patron: '0200006', bibId: 'FT5', status: 'R', createdAt: '@today-1d' },
    ],
    fees: [
      { patron: '0200000', kind: 'overdue', amount: 3.5, createdAt: '@today-3d' },
      { patron: '0200001', kind: 'other', amount: 1.2, createdAt: '@today-1d', description: 'Copies' },
      { patron: '0200008', kind: 'card', amount: 2, createdAt: '@today-8d' },
    ],
  });
  // The base patrons' PINs are hashed at full cost; the fuzz uses the cheap hash of the same PIN.
  base.patrons = (base.patrons as Array<Record<string, unknown>>).map((p) => (p.pinHash ? { ...p, pinHash } : p));
  const allItems = [...(base.items as Array<{ barcode: string; bibId: string }>)];
  const world: FuzzWorld = {
    patrons: [...(base.patrons as Array<{ barcode: string }>).map((p) => p.barcode), 'E004015012345678', 'E0040150FUZZ0007'],
    items: allItems.map((i) => i.barcode),
    bibIds: [...new Set(allItems.map((i) => i.bibId))],
    pickupPlaces: ['01-DESK', 'LOCKER-A'],
    departments: ['01', '02'],
    feeIds: ['1', '2', '3'],
  };
  return { data: base, world };
}

// ------------------------------------------------------------------ accounts the fuzz talks as

export interface FuzzAccount {
  user: string;
  password: string;
  charset: string;
  terminator: 'CR' | 'CRLF';
  errorDetection: 'off' | 'auto' | 'on';
  messages: 'all' | string[];
  scStatusBeforeLogin: boolean;
  patronPasswordRequired: boolean;
}

export const FUZZ_ACCOUNTS: readonly FuzzAccount[] = [
  { user: 'kiosk', password: 'kiosk-fuzz', charset: 'utf-8', terminator: 'CR', errorDetection: 'auto', messages: 'all', scStatusBeforeLogin: true, patronPasswordRequired: true },
  { user: 'sorter', password: 'sorter-fuzz', charset: 'cp850', terminator: 'CRLF', errorDetection: 'on', messages: 'all', scStatusBeforeLogin: false, patronPasswordRequired: true },
  { user: 'plain', password: 'plain-fuzz', charset: 'iso-8859-2', terminator: 'CR', errorDetection: 'off', messages: 'all', scStatusBeforeLogin: false, patronPasswordRequired: true },
  // Like the locker vendor's account, minus 99: a 99 from it is answered by closing the connection.
  { user: 'locker', password: 'locker-fuzz', charset: 'utf-8', terminator: 'CR', errorDetection: 'on', messages: ['93', '23', '63', '17', '11', '15', '35'], scStatusBeforeLogin: false, patronPasswordRequired: false },
];

// ------------------------------------------------------------------ valid requests

export const REQUEST_CODES = ['93', '99', '23', '01', '63', '11', '09', '29', '65', '17', '19', '25', '15', '35', '37', '97'] as const;

/**
 * How often each type is sent: mostly circulation, as at a kiosk. Blocks (01) are rare, or soon
 * every card would be blocked and nothing would be lent any more.
 */
const REQUEST_WEIGHTS: ReadonlyArray<readonly [(typeof REQUEST_CODES)[number], number]> = [
  ['11', 14],
  ['09', 12],
  ['63', 8],
  ['23', 6],
  ['17', 6],
  ['29', 6],
  ['15', 6],
  ['37', 5],
  ['99', 5],
  ['93', 5],
  ['65', 4],
  ['35', 4],
  ['97', 4],
  ['25', 4],
  ['19', 3],
  ['01', 1],
];

const JUNK = ['', ' ', 'X', '0', '-1', '||', 'ÿÿÿ', 'ŽŠČ', '💥', 'A'.repeat(300), '\u0000', '9'.repeat(20)];

export class RequestGenerator {
  constructor(
    private readonly rng: Rng,
    private readonly world: FuzzWorld,
    private readonly now: SipDateTime,
  ) {}

  private patron(): string {
    return this.rng.weighted([
      [() => this.rng.pick(this.world.patrons), 85],
      [() => '9999999', 5],
      [() => this.rng.pick(JUNK), 10],
    ] as const)();
  }
  private item(): string {
    return this.rng.weighted([
      [() => this.rng.pick(this.world.items), 85],
      [() => 'NOPE-404', 5],
      [() => this.rng.pick(JUNK), 10],
    ] as const)();
  }
  /** undefined = field absent. */
  private pin(): string | undefined {
    return this.rng.weighted([
      [FUZZ_PIN, 60],
      [String(1000 + this.rng.int(9000)), 12],
      ['', 13],
      [undefined, 15],
    ] as const);
  }
  private institution(): string {
    return this.rng.weighted([
      [INSTITUTION, 85],
      ['', 10],
      ['OTHER-1', 5],
    ] as const);
  }
  private date(): SipDateTime | null {
    return this.rng.weighted([
      [this.now, 70],
      [null, 20],
      [{ ...this.now, day: 1 + this.rng.int(28), hour: this.rng.int(24) }, 10],
    ] as const);
  }
  private ac(): string {
    return this.rng.chance(0.9) ? '' : 'term-pw';
  }

  /** A well-formed request of the given (or a random) type. */
  request(code: (typeof REQUEST_CODES)[number] = this.rng.weighted(REQUEST_WEIGHTS), loginAs?: FuzzAccount): Sip2Request {
    const r = this.rng;
    const pinField = (): { patronPassword?: string } => {
      const p = this.pin();
      return p === undefined ? {} : { patronPassword: p };
    };
    switch (code) {
      case '93': {
        const acct = loginAs ?? r.pick(FUZZ_ACCOUNTS);
        const password = r.chance(0.8) ? acct.password : `${acct.password}x`;
        return { code: '93', uidAlgorithm: '0', pwdAlgorithm: '0', loginUserId: r.chance(0.95) ? acct.user : 'nobody', loginPassword: password, ...(r.chance(0.3) ? { locationCode: '01' } : {}) };
      }
      case '99':
        return { code: '99', statusCode: r.pick(['0', '1', '2']), maxPrintWidth: r.pick([0, 24, 40, 80, 999]), protocolVersion: r.pick(['2.00', '1.00', '2.00']) };
      case '23':
        return { code: '23', language: r.pick(['000', '001', '024', '999']), transactionDate: this.date(), institutionId: this.institution(), patronIdentifier: this.patron(), terminalPassword: this.ac(), patronPassword: this.pin() ?? '' };
      case '01':
        return { code: '01', cardRetained: r.chance(0.3), transactionDate: this.date(), institutionId: this.institution(), blockedCardMessage: r.pick(['Card left in machine', '', 'Karta ostala v napravi']), patronIdentifier: this.patron(), terminalPassword: this.ac() };
      case '63': {
        const category = r.chance(0.8) ? r.pick(PATRON_SUMMARY_FLAGS) : null;
        return {
          code: '63',
          language: '000',
          transactionDate: this.date(),
          summary: makeSummary(category),
          institutionId: this.institution(),
          patronIdentifier: this.patron(),
          ...(r.chance(0.5) ? { terminalPassword: this.ac() } : {}),
          ...pinField(),
          ...(r.chance(0.3) ? { startItem: r.int(5), endItem: r.int(10) } : {}),
        };
      }
      case '11':
        return {
          code: '11',
          scRenewalPolicy: r.chance(0.3),
          noBlock: r.chance(0.1),
          transactionDate: this.date(),
          nbDueDate: r.chance(0.1) ? { ...this.now, day: 28 } : null,
          institutionId: this.institution(),
          patronIdentifier: this.patron(),
          itemIdentifier: this.item(),
          terminalPassword: this.ac(),
          ...(r.chance(0.1) ? { itemProperties: 'kit=FARM;part=1/3' } : {}),
          ...pinField(),
          ...(r.chance(0.3) ? { feeAcknowledged: r.chance(0.7) } : {}),
          ...(r.chance(0.05) ? { cancel: r.chance(0.5) } : {}),
        };
      case '09':
        return {
          code: '09',
          noBlock: r.chance(0.1),
          transactionDate: this.date(),
          returnDate: this.date(),
          currentLocation: r.pick(['', '01', '02', INSTITUTION, 'BOOKDROP', '../x']),
          institutionId: this.institution(),
          itemIdentifier: this.item(),
          terminalPassword: this.ac(),
          ...(r.chance(0.1) ? { itemProperties: 'x' } : {}),
          ...(r.chance(0.05) ? { cancel: r.chance(0.5) } : {}),
        };
      case '29':
        return {
          code: '29',
          thirdPartyAllowed: r.chance(0.3),
          noBlock: r.chance(0.1),
          transactionDate: this.date(),
          nbDueDate: null,
          institutionId: this.institution(),
          patronIdentifier: this.patron(),
          ...pinField(),
          ...(r.chance(0.85) ? { itemIdentifier: this.item() } : { titleIdentifier: r.pick(['Alamut', 'Na klancu', 'Fuzz title 3 — Čriček žaba']) }),
          ...(r.chance(0.5) ? { terminalPassword: this.ac() } : {}),
          ...(r.chance(0.2) ? { feeAcknowledged: true } : {}),
        };
      case '65':
        return { code: '65', transactionDate: this.date(), institutionId: this.institution(), patronIdentifier: this.patron(), ...pinField(), ...(r.chance(0.2) ? { feeAcknowledged: true } : {}) };
      case '17':
        return { code: '17', transactionDate: this.date(), institutionId: this.institution(), itemIdentifier: this.item(), ...(r.chance(0.3) ? { terminalPassword: this.ac() } : {}) };
      case '19':
        return { code: '19', transactionDate: this.date(), institutionId: this.institution(), itemIdentifier: this.item(), itemProperties: r.pick(['AFI=07', 'kit=FARM;part=2/3', '', 'x'.repeat(200)]) };
      case '25':
        return { code: '25', transactionDate: this.date(), institutionId: this.institution(), patronIdentifier: this.patron(), ...pinField() };
      case '15': {
        const mode = r.pick(['add', 'cancel', 'change'] as const);
        return {
          code: '15',
          holdMode: mode,
          transactionDate: this.date(),
          ...(r.chance(0.2) ? { expirationDate: { ...this.now, month: 12 } } : {}),
          ...(r.chance(0.6) ? { pickupLocation: r.pick([...this.world.pickupPlaces, 'NOWHERE']) } : {}),
          ...(r.chance(0.2) ? { holdType: r.pick(['1', '2', '3', '4']) } : {}),
          institutionId: this.institution(),
          patronIdentifier: this.patron(),
          ...pinField(),
          ...(r.chance(0.5) ? { itemIdentifier: this.item() } : { titleIdentifier: r.pick(this.world.bibIds) }),
          ...(r.chance(0.2) ? { feeAcknowledged: true } : {}),
        };
      }
      case '35':
        return { code: '35', transactionDate: this.date(), institutionId: this.institution(), patronIdentifier: this.patron(), ...pinField() };
      case '37':
        return {
          code: '37',
          transactionDate: this.date(),
          feeType: r.pick(['01', '04', '09']),
          paymentType: r.pick(['00', '01', '02', '05']),
          currencyType: r.pick(['EUR', 'EUR', 'USD', 'eur']),
          feeAmount: r.pick(['0.50', '1.00', '1,20', '2', '100.00', '-1', 'abc', '']),
          institutionId: this.institution(),
          patronIdentifier: this.patron(),
          ...pinField(),
          ...(r.chance(0.3) ? { feeIdentifier: r.pick(this.world.feeIds) } : {}),
          ...(r.chance(0.6) ? { transactionId: `POS-${r.int(50)}` } : {}),
        };
      case '97':
        return { code: '97' };
    }
  }
}

/** Encodes a request as an SC would send it. */
export function encodeRequest(
  message: Sip2Request,
  opts: { charset: string; terminator: 'CR' | 'CRLF'; errorDetection: boolean; sequenceNumber: number },
): Uint8Array {
  return encode(message, opts).bytes;
}

// ------------------------------------------------------------------ mutations

export const MUTATIONS = [
  'none',
  'flip-bit',
  'random-byte',
  'truncate',
  'insert-pipe',
  'delete-pipe',
  'insert-cr',
  'insert-lf',
  'insert-crlf',
  'insert-nul',
  'high-bytes',
  'repeat-field',
  'bad-checksum',
  'strip-checksum',
  'bad-sequence',
  'lowercase-checksum',
  'drop-terminator',
  'shorten-fixed',
  'lengthen-fixed',
  'swap-code',
  'unknown-code',
  'long-field',
  'oversized',
  'garbage',
  'blank-lines',
  'duplicate-frame',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

const MUTATION_WEIGHTS: ReadonlyArray<readonly [Mutation, number]> = [
  ['none', 16],
  ['flip-bit', 8],
  ['random-byte', 6],
  ['truncate', 6],
  ['insert-pipe', 5],
  ['delete-pipe', 4],
  ['insert-cr', 4],
  ['insert-lf', 3],
  ['insert-crlf', 2],
  ['insert-nul', 4],
  ['high-bytes', 5],
  ['repeat-field', 5],
  ['bad-checksum', 5],
  ['strip-checksum', 3],
  ['bad-sequence', 2],
  ['lowercase-checksum', 2],
  ['drop-terminator', 3],
  ['shorten-fixed', 3],
  ['lengthen-fixed', 3],
  ['swap-code', 4],
  ['unknown-code', 3],
  ['long-field', 2],
  ['oversized', 0.4],
  ['garbage', 3],
  ['blank-lines', 2],
  ['duplicate-frame', 4],
];

const KNOWN_CODES = ['93', '99', '23', '01', '63', '11', '09', '29', '65', '17', '19', '25', '15', '35', '37', '97', '94', '98', '24', '64', '12', '10', '30', '66', '18', '20', '26', '16', '36', '38', '96'];

function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts.map((p) => Buffer.from(p))));
}

function insertAt(bytes: Uint8Array, at: number, ins: Uint8Array): Uint8Array {
  return concat(bytes.subarray(0, at), ins, bytes.subarray(at));
}

/** Body end: index of the first CR/LF at the end (the terminator). */
function bodyEnd(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0d || bytes[end - 1] === 0x0a)) end--;
  return end;
}

function indexesOf(bytes: Uint8Array, b: number, end = bytes.length): number[] {
  const out: number[] = [];
  for (let i = 0; i < end; i++) if (bytes[i] === b) out.push(i);
  return out;
}

/** The position of "AZ" + 4 hex digits at the end of the body, if any. */
function checksumAt(bytes: Uint8Array): number | null {
  const end = bodyEnd(bytes);
  const text = Buffer.from(bytes.subarray(0, end)).toString('latin1');
  const m = /AZ[0-9A-Fa-f]{4}$/.exec(text);
  return m ? m.index : null;
}

export interface MutatedFrame {
  /** What is written, in order (a duplicate frame is two frames back to back). */
  bytes: Uint8Array;
  mutations: Mutation[];
}

/**
 * One to three mutations of an encoded frame (or none). `maxMessageBytes` sizes the oversized
 * mutation just past the server's limit.
 */
export function mutate(rng: Rng, frame: Uint8Array, maxMessageBytes: number): MutatedFrame {
  const count = rng.weighted([
    [1, 70],
    [2, 22],
    [3, 8],
  ] as const);
  let bytes = frame;
  const applied: Mutation[] = [];
  for (let n = 0; n < count; n++) {
    const m = rng.weighted(MUTATION_WEIGHTS);
    if (m === 'none' && n > 0) continue;
    applied.push(m);
    bytes = mutateOnce(rng, bytes, m, maxMessageBytes);
    if (m === 'none') break;
  }
  return { bytes, mutations: applied };
}

function mutateOnce(rng: Rng, bytes: Uint8Array, m: Mutation, maxMessageBytes: number): Uint8Array {
  const end = bodyEnd(bytes);
  const pos = () => rng.int(Math.max(1, end));
  switch (m) {
    case 'none':
      return bytes;
    case 'flip-bit': {
      const out = Uint8Array.from(bytes);
      const i = pos();
      out[i] = (out[i] ?? 0) ^ (1 << rng.int(8));
      return out;
    }
    case 'random-byte': {
      const out = Uint8Array.from(bytes);
      out[pos()] = rng.int(256);
      return out;
    }
    case 'truncate':
      return rng.chance(0.5) ? concat(bytes.subarray(0, pos()), bytes.subarray(end)) : bytes.subarray(0, pos());
    case 'insert-pipe':
      return insertAt(bytes, pos(), bytesOf(rng.pick(['|', '||', '|||'])));
    case 'delete-pipe': {
      const pipes = indexesOf(bytes, 0x7c, end);
      if (!pipes.length) return bytes;
      const i = rng.pick(pipes);
      return concat(bytes.subarray(0, i), bytes.subarray(i + 1));
    }
    case 'insert-cr':
      return insertAt(bytes, pos(), bytesOf('\r'));
    case 'insert-lf':
      return insertAt(bytes, pos(), bytesOf('\n'));
    case 'insert-crlf':
      return insertAt(bytes, pos(), bytesOf('\r\n'));
    case 'insert-nul':
      return insertAt(bytes, pos(), new Uint8Array(1 + rng.int(3)));
    case 'high-bytes': {
      const ins = new Uint8Array(1 + rng.int(6));
      for (let i = 0; i < ins.length; i++) ins[i] = 0x80 + rng.int(128);
      return insertAt(bytes, pos(), ins);
    }
    case 'repeat-field': {
      const text = Buffer.from(bytes.subarray(0, end)).toString('latin1');
      const fields = [...text.matchAll(/\|?([A-Z]{2}[^|]*\|)/g)];
      if (!fields.length) return bytes;
      const f = rng.pick(fields);
      const copy = bytesOf(f[1]!.repeat(1 + rng.int(3)));
      const at = (f.index ?? 0) + f[0].length;
      return insertAt(bytes, Math.min(at, end), copy);
    }
    case 'bad-checksum': {
      const at = checksumAt(bytes);
      if (at === null) return bytes;
      const out = Uint8Array.from(bytes);
      const i = at + 2 + rng.int(4);
      const hex = '0123456789ABCDEF';
      const old = String.fromCharCode(out[i]!).toUpperCase();
      out[i] = hex.charCodeAt((hex.indexOf(old) + 1 + rng.int(15)) % 16);
      return out;
    }
    case 'strip-checksum': {
      const text = Buffer.from(bytes.subarray(0, end)).toString('latin1');
      const m = /(AY\d)?AZ[0-9A-Fa-f]{4}$/.exec(text);
      if (!m) return bytes;
      return concat(bytes.subarray(0, m.index), bytes.subarray(end));
    }
    case 'bad-sequence': {
      const text = Buffer.from(bytes.subarray(0, end)).toString('latin1');
      const m = /AY(\d)AZ[0-9A-Fa-f]{4}$/.exec(text);
      if (!m) return bytes;
      // A different AY with the checksum recomputed: valid, but out of order.
      const body = `${text.slice(0, m.index)}AY${(Number(m[1]) + 1 + rng.int(8)) % 10}AZ`;
      return concat(bytesOf(body + computeChecksum(bytesOf(body))), bytes.subarray(end));
    }
    case 'lowercase-checksum': {
      const at = checksumAt(bytes);
      if (at === null) return bytes;
      const out = Uint8Array.from(bytes);
      for (let i = at + 2; i < at + 6; i++) out[i] = String.fromCharCode(out[i]!).toLowerCase().charCodeAt(0);
      return out;
    }
    case 'drop-terminator':
      return bytes.subarray(0, end);
    case 'shorten-fixed': {
      const cut = 2 + rng.int(Math.max(1, Math.min(20, end - 2)));
      return concat(bytes.subarray(0, cut), bytes.subarray(Math.min(end, cut + 1 + rng.int(6))));
    }
    case 'lengthen-fixed':
      return insertAt(bytes, Math.min(end, 2 + rng.int(20)), bytesOf(rng.pick(['0', '000', 'X', ' ', '20260302    100000'])));
    case 'swap-code': {
      const out = Uint8Array.from(bytes);
      const code = bytesOf(rng.pick(KNOWN_CODES));
      out.set(code.subarray(0, Math.min(2, out.length)), 0);
      return out;
    }
    case 'unknown-code': {
      const out = Uint8Array.from(bytes);
      const code = bytesOf(rng.pick(['XX', '00', '42', '9A', '  ', 'ZZ', '68', '13']));
      out.set(code.subarray(0, Math.min(2, out.length)), 0);
      return out;
    }
    case 'long-field': {
      // Long values below the line limit: 255-character cap, truncation, big messages.
      const len = 200 + rng.int(Math.max(1, Math.floor(maxMessageBytes / 2)));
      return insertAt(bytes, Math.min(end, 2 + rng.int(Math.max(1, end - 2))), bytesOf(`|AF${'x'.repeat(len)}|`));
    }
    case 'oversized':
      return insertAt(bytes, Math.min(end, 2 + rng.int(Math.max(1, end - 2))), bytesOf('y'.repeat(maxMessageBytes + 1 + rng.int(2000))));
    case 'garbage': {
      const out = new Uint8Array(1 + rng.int(80));
      for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
      return concat(out, bytesOf('\r'));
    }
    case 'blank-lines':
      return concat(bytesOf(rng.pick(['\r', '\n', '\r\n', '\r\n\r\n', '\n\n'])), bytes);
    case 'duplicate-frame': {
      const term = end === bytes.length ? bytesOf('\r') : new Uint8Array(0);
      return concat(bytes, term, bytes);
    }
  }
}

/** Where to cut a write into pieces (sorted offsets strictly inside), or none. */
export function splitPoints(rng: Rng, length: number): number[] {
  if (length < 2 || !rng.chance(0.3)) return [];
  const n = 1 + rng.int(3);
  const points = new Set<number>();
  for (let i = 0; i < n; i++) points.add(1 + rng.int(length - 1));
  return [...points].sort((a, b) => a - b);
}

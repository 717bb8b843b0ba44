/**
 * The single source of truth for configuration: the daemon's config file and the circulation
 * policy presets. TypeScript types are inferred from these schemas.
 */
import { z } from 'zod';
import { PERIOD_PATTERN, WEEKDAY_CODES, isPlainDate } from '../daemon/circulation/dates.ts';

const period = z
  .string()
  .regex(PERIOD_PATTERN, 'expected a period such as 14d, 3w, 1m, 1y or *5d (working days)');
const plainDate = z.string().refine(isPlainDate, 'expected a date as YYYY-MM-DD');
const money = z.number().nonnegative().multipleOf(0.01, 'at most two decimals');
const count = z.number().int().min(0);

/** A count that can differ per member category; null means "no limit". */
const countByCategory = z
  .object({
    default: count.nullable(),
    categories: z.record(z.string(), count.nullable()).prefault({}),
  })
  .strict();

/** One row of the COBISS time-parameter table (domain.md §3.1); an empty cell inherits. */
export const timeParametersSchema = z
  .object({
    loan: period.optional(), // izp.
    renewal: period.optional(), // renewal period, counted from the renewal day
    holdTitle: period.optional(), // rez.: non-free reservation (R); also B and L expiry
    holdCopy: period.optional(), // nar.: free-copy reservation (O)
    holdShelf: period.optional(), // čak.: waiting on the hold shelf (W)
    readingRoomHold: period.optional(), // čit.
    quarantine: period.optional(), // B expiry; falls back to rez.
  })
  .strict();

export const feeKinds = [
  'overdue',
  'lost',
  'card',
  'unclaimed_hold',
  'loan_fee',
  'other_department',
  'other',
] as const;

const pqRow = z.array(z.string().regex(/^[0-3]{2}$/, 'a pq cell is two digits 0-3')).length(17);

export const policySchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    source: z.string().optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
    calendar: z
      .object({
        closedWeekdays: z.array(z.enum(WEEKDAY_CODES)),
        nationalHolidays: z.enum(['SI', 'LV', 'HU']).nullable(),
        fineOnClosedDays: z.boolean(),
      })
      .strict(),
    timeParameters: z
      .object({
        default: timeParametersSchema,
        materialTypes: z.record(z.string(), timeParametersSchema).prefault({}),
        departments: z
          .record(
            z.string(),
            z
              .object({
                default: timeParametersSchema.prefault({}),
                materialTypes: z.record(z.string(), timeParametersSchema).prefault({}),
              })
              .strict(),
          )
          .prefault({}),
      })
      .strict(),
    /** 996/997p access levels that carry an item loan period (001:L2127). */
    itemPeriods: z.object({ '1': period, '2': period, '3': period }).strict(),
    /** "Čas izposoje po kategoriji člana" (001:L458). */
    categoryLoanPeriods: z.record(z.string(), period).prefault({}),
    /** The special parameter of 001:L2131: a department's fixed due date ignores item access levels. */
    departmentFixedDateOverridesItem: z.boolean().default(false),
    /** The pq table as YZ codes (Y home, Z reading room), rows p = "",1..8; default: domain.md §4.2. */
    pqTable: z.record(z.string(), pqRow).optional(),
    limits: z
      .object({
        /** Per-material-type limits count loans in the station's department or the whole library. */
        scope: z.enum(['department', 'library']),
        totalScope: z.enum(['department', 'library']),
        total: countByCategory,
        materialTypes: z.record(z.string(), countByCategory).prefault({}),
        readingRoomTotal: countByCategory.nullable().default(null),
      })
      .strict(),
    renewals: z
      .object({
        maxCount: countByCategory,
        refuseIfReserved: z.boolean(),
        refuseIfOverdue: z.boolean(),
        /** Items acquired fewer than this many days ago are "new acquisitions" and not renewable. */
        newAcquisitionDays: count.nullable(),
      })
      .strict(),
    holds: z
      .object({
        maxPerPatron: countByCategory,
        /** Pickup-place libraries: a returned reserved copy goes R → O for processing, else R → W. */
        usePickupPlaces: z.boolean(),
        lockerHoldHours: count,
        unclaimedFee: money,
      })
      .strict(),
    fines: z
      .object({
        /** Daily rates with the date they apply from; fines use the rate valid on each overdue day. */
        rates: z
          .array(
            z
              .object({
                from: plainDate,
                perDay: money,
                materialTypes: z.record(z.string(), money).prefault({}),
              })
              .strict(),
          )
          .min(1),
        /** Returned within this many days after the due date: no fine; after it, all days count. */
        graceDays: count,
        maxDaysPerItem: count.nullable(),
        readingRoomPerDay: money.nullable(),
      })
      .strict(),
    /** Loan/wear fee per material type, charged at checkout and on a renewal that extends the loan. */
    loanFees: z.record(z.string(), money).prefault({}),
    debtBlock: z
      .object({
        /** Unpaid amount above which services stop; 0 = any debt; null = debt never blocks. */
        threshold: money.nullable(),
        feeKinds: z.union([z.literal('all'), z.array(z.enum(feeKinds))]),
        scope: z.enum(['home_loans', 'all_services']),
        /** Unreturned overdue items are an unsettled obligation too (Jelgava §8). */
        overdueItemsBlock: z.boolean(),
        /** Left-over debts of partly paid invoices block services (COBISS: no, 001:L5341). */
        partialPaymentDebtsCount: z.boolean(),
      })
      .strict(),
    patrons: z
      .object({
        pinRequired: z.boolean(),
        maxPinFailures: z.number().int().min(1),
        pinLockoutMinutes: z.number().int().min(1),
        checkMembershipExpiry: z.boolean(),
      })
      .strict(),
    returns: z
      .object({
        /** Items may be returned in a department other than the lending one (→ B there). */
        anyDepartment: z.boolean(),
        otherDepartmentFee: money,
      })
      .strict(),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
export type TimeParameters = z.infer<typeof timeParametersSchema>;
export type FeeKind = (typeof feeKinds)[number];

export const languages = ['en', 'sl', 'lv', 'hu'] as const;
export type Language = (typeof languages)[number];

export const sip2MessageCodes = ['93', '99', '23', '01', '63', '11', '09', '29', '65', '17', '19', '25', '15', '35', '37', '97'] as const;

/** A SIP2 account: one terminal, device or vendor that logs in to our bridge. */
export const sip2AccountSchema = z
  .object({
    /** CN login user id. */
    user: z.string().min(1),
    /** scrypt hash of the CO password (make one with `kiosk hash-password`); never the password itself. */
    passwordHash: z.string().regex(/^scrypt\$/, 'a hash made with `kiosk hash-password`, not a plain password'),
    /** AO sent in replies; requests with another AO are still served (most servers echo AO). */
    institutionId: z.string().min(1),
    /** The department this terminal works in (its "login department"); AP in check-ins may override it. */
    location: z.string().min(1),
    /** Messages this account may send ("all", or a list of request codes); others get ok=0/closed. */
    messages: z.union([z.literal('all'), z.array(z.enum(sip2MessageCodes))]),
    charset: z.string().default('utf-8'),
    terminator: z.enum(['CR', 'CRLF']).default('CR'),
    /** off: never check; auto: check when AY/AZ are present; on: required (else 96). */
    errorDetection: z.enum(['off', 'auto', 'on']).default('auto'),
    /** Answer 99 before 93 (some devices send status first). */
    scStatusBeforeLogin: z.boolean().default(false),
    /** Patron PIN (AD) must be verified before patron data or loans are given out. */
    patronPasswordRequired: z.boolean().default(true),
    /** A check-in of an item that was not on loan answers ok=1 with a message (return machines expect it). */
    checkinOkWhenNotOnLoan: z.boolean().default(true),
    /** Send ASCII only (Čebašek → Cebasek) for terminals that cannot show more. */
    transliterate: z.boolean().default(false),
  })
  .strict();

export type Sip2Account = z.infer<typeof sip2AccountSchema>;

export const configSchema = z
  .object({
    site: z
      .object({
        name: z.string().min(1),
        /** The login department of this service point (COBISS "oddelek"). */
        department: z.string().min(1),
        timezone: z.string().refine((tz) => {
          try {
            new Intl.DateTimeFormat('en', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, 'an IANA time zone such as Europe/Ljubljana'),
        language: z.enum(languages),
        /** ISIL of the owner library, written to tags. */
        isil: z.string().min(1),
      })
      .strict(),
    http: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(0).max(65535),
      })
      .strict(),
    data: z
      .object({
        dir: z.string().min(1),
        /** Load config/demo/demo-library.yaml into an empty store on start. */
        demoOnFirstRun: z.boolean(),
      })
      .strict(),
    /** A preset name from config/presets, or a path to a preset file. */
    preset: z.string().min(1),
    /** Values laid over the preset (deep merge), e.g. a library's own fine rate. */
    policy: z.record(z.string(), z.unknown()).default({}),
    backend: z.object({ kind: z.enum(['embedded']) }).strict(),
    sip2: z
      .object({
        enabled: z.boolean(),
        host: z.string().min(1),
        port: z.number().int().min(0).max(65535),
        /** Certificate and key (PEM files) to serve SIP2 over TLS. */
        tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().nullable().default(null),
        idleTimeoutS: z.number().int().min(1),
        maxConnections: z.number().int().min(1),
        maxMessageBytes: z.number().int().min(64),
        /** Time allowed to finish in-flight transactions on shutdown. */
        shutdownGraceMs: z.number().int().min(0),
        accounts: z.array(sip2AccountSchema),
      })
      .strict(),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
        toFile: z.boolean(),
      })
      .strict(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

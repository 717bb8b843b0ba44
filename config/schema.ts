/**
 * The single source of truth for configuration: the daemon's config file and the circulation
 * policy presets. TypeScript types are inferred from these schemas.
 */
import { z } from 'zod';
import { PERIOD_PATTERN, WEEKDAY_CODES, isPlainDate } from '../daemon/circulation/dates.ts';
import { DEFAULT_DEVICES_INPUT, devicesConfigSchema } from '../daemon/devices/config.ts';
import { lockersConfigSchema } from '../daemon/lockers/config.ts';
import { deskConfigSchema } from '../daemon/desk/config.ts';

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
    /**
     * A locker vendor's account (docs/locker-vendor.md): the pickup place codes (kind locker) of the
     * banks its own system drives. Its 09 loads a compartment, 11 records a pickup, 15 `-` releases a
     * hold not collected, 17/63 show only holds for these places; nothing else is lent or returned.
     */
    lockerPickupPlaces: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export type Sip2Account = z.infer<typeof sip2AccountSchema>;

/** SIP2 dialect profiles of the upstream backend (daemon/circulation/sip2-upstream/dialects.ts). */
export const upstreamDialects = ['generic', 'koha', 'evergreen', 'folio', 'cobiss', 'open-kiosk'] as const;

/** The embedded engine (the default): circulation on the daemon's own SQLite store. */
const embeddedBackendSchema = z
  .object({
    kind: z.literal('embedded'),
    /** How often the reservation expiry runs (daemon/circulation/hold-expiry.ts); it also runs at start. */
    holdExpiryIntervalS: z.number().int().min(10).max(86_400).default(600),
  })
  .strict();

/**
 * An upstream library system reached over SIP2 (Koha, Evergreen, FOLIO, COBISS-style, or another
 * open-kiosk daemon). The password is a secret: name an environment variable with `passwordEnv`
 * (preferred) rather than writing it here; it is never logged and `kiosk config` masks it.
 */
const upstreamBackendSchema = z
  .object({
    kind: z.literal('sip2-upstream'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** TLS to the upstream; `rejectUnauthorized: false` only for a test server with a self-signed certificate. */
    tls: z
      .union([
        z.boolean(),
        z
          .object({
            /** PEM file of the CA that signed the upstream's certificate (default: the system CAs). */
            ca: z.string().min(1).optional(),
            servername: z.string().min(1).optional(),
            rejectUnauthorized: z.boolean().default(true),
          })
          .strict(),
      ])
      .default(false),
    /** CN of the 93 login; empty = the upstream does not use a login. */
    user: z.string().default(''),
    /** CO of the 93 login. Prefer passwordEnv. */
    password: z.string().optional(),
    /** Name of the environment variable holding the login password (preferred over `password`). */
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    /** AC terminal password, where the upstream wants one (most do not). */
    terminalPassword: z.string().default(''),
    /** AO institution id sent with every request. */
    institutionId: z.string().default(''),
    /** CP in the login and AP (current location) in check-ins; default: the site's department. */
    location: z.string().min(1).optional(),
    /** Time zone of the upstream's SIP2 "local time" dates; default: the site's. */
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'an IANA time zone such as Europe/Ljubljana')
      .optional(),
    dialect: z.enum(upstreamDialects).default('generic'),
    /** Per-site corrections to the dialect profile. */
    overrides: z
      .object({
        charset: z.string().min(1).optional(),
        terminator: z.enum(['CR', 'CRLF']).optional(),
        /** Send AY/AZ and check the replies' checksums (97 on a bad one). */
        errorDetection: z.boolean().optional(),
        /** 64: `ready` = AS lists holds ready for pickup (spec, Koha); `all` = AS lists every hold (Evergreen, FOLIO). */
        holdItems: z.enum(['ready', 'all']).optional(),
      })
      .strict()
      .prefault({}),
    /** Logged-in connections kept for concurrent kiosk sessions. */
    poolSize: z.number().int().min(1).max(32).default(2),
    /** How long to wait for a reply before the connection is given up. */
    timeoutMs: z.number().int().min(100).default(5000),
    connectTimeoutMs: z.number().int().min(100).default(5000),
    /** Resends (97) of a corrupt reply, and retries of a read on a fresh connection. */
    retries: z.number().int().min(0).max(10).default(2),
    /** Reconnect with exponential backoff between these bounds while the upstream is unreachable. */
    reconnect: z
      .object({ minMs: z.number().int().min(10).default(1000), maxMs: z.number().int().min(10).default(60_000) })
      .strict()
      .prefault({}),
    /** A 99 on idle connections this often keeps them open and notices a dead upstream; 0 = never. */
    keepaliveS: z.number().int().min(0).default(120),
    /** A patron's PIN is kept in memory (to send as AD) for this long after it was verified. */
    patronSessionS: z.number().int().min(10).default(900),
    offline: z
      .object({
        /** Keep lending and returning while the upstream is unreachable (domain.md §10). */
        enabled: z.boolean().default(false),
        /** Offline loans per patron not yet confirmed by the upstream. */
        maxItemsPerPatron: z.number().int().min(0).default(5),
        /** Only cards whose barcode matches this regular expression (whole barcode) may borrow offline. */
        allowedPatronPattern: z.string().nullable().default(null),
        /** Renewals are taken offline too (replayed; a refused one is reported as "not renewed"). */
        allowRenewals: z.boolean().default(true),
        /** The due date given to the patron for an offline loan or renewal (the upstream decides on replay). */
        loanPeriodDays: z.number().int().min(0).default(14),
        /** How often queued transactions are tried again while the queue is not empty. */
        replayIntervalMs: z.number().int().min(10).default(15_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.password !== undefined && b.passwordEnv !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'give either password or passwordEnv, not both' });
    }
    if (b.reconnect.maxMs < b.reconnect.minMs) {
      ctx.addIssue({ code: 'custom', path: ['reconnect', 'maxMs'], message: 'must not be less than reconnect.minMs' });
    }
    if (b.offline.allowedPatronPattern !== null) {
      try {
        new RegExp(b.offline.allowedPatronPattern);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['offline', 'allowedPatronPattern'], message: 'not a valid regular expression' });
      }
    }
  });

export const backendSchema = z.discriminatedUnion('kind', [embeddedBackendSchema, upstreamBackendSchema]);
export type BackendConfig = z.infer<typeof backendSchema>;
export type UpstreamBackendConfig = z.infer<typeof upstreamBackendSchema>;

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
    backend: backendSchema,
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
        /**
         * With the embedded backend: the bridge's circulation engine runs in a worker thread with its
         * own connection (daemon/circulation/engine-thread.ts), so SQLite work does not hold up the
         * sockets. False runs it on the main thread with the kiosk's engine.
         */
        engineThread: z.boolean().default(true),
        accounts: z.array(sip2AccountSchema),
      })
      .strict(),
    /** The service point's devices (daemon/devices/config.ts); default: every kind simulated. */
    devices: devicesConfigSchema.prefault(DEFAULT_DEVICES_INPUT),
    /** The touch kiosk (kiosk-ui): idle timeout with its warning, languages, receipts. */
    kiosk: z
      .object({
        idleTimeoutS: z.number().int().min(10),
        warningS: z.number().int().min(3),
        languages: z.array(z.enum(languages)).min(1),
        /** Items carry RFID tags whose security bit follows the loan (off on checkout, on on return). */
        rfidSecurity: z.boolean(),
        /** SMTP for e-mailed receipts; null: no e-mail receipts. */
        smtp: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535),
            secure: z.boolean().default(false),
            user: z.string().optional(),
            /** The name of an environment variable holding the SMTP password (never the password itself). */
            passwordEnv: z.string().optional(),
            from: z.string().min(3),
          })
          .strict()
          .nullable(),
      })
      .strict()
      .prefault({ idleTimeoutS: 60, warningS: 15, languages: ['sl', 'en', 'lv', 'hu'], rfidSecurity: true, smtp: null }),
    /** Pairing a staff desk PC (/staff) with this daemon's RFID pad (daemon/pairing). */
    pairing: z
      .object({
        /** The one-time pairing code changes this often (and after every use). */
        codeTtlS: z.number().int().min(10).max(86_400),
        /** A desk's pairing ends this long after it was made (a working day by default). */
        tokenTtlH: z.number().min(0.01).max(24 * 90),
        /** After this many wrong codes in a row the code changes, so guessing never converges. */
        maxWrongCodes: z.number().int().min(1).max(100),
        /** Tag programming at the paired desk. */
        programming: z
          .object({
            /**
             * Blocks locked after a verified write: 'none', 'data' (the blocks the item data was
             * written to), 'all' (every user block of the tag) or a list of block numbers. Locking is
             * PERMANENT (ISO 15693 LOCK BLOCK): a locked tag can never be rewritten or converted
             * there, so the default is 'none'.
             */
            lockBlocks: z.union([
              z.enum(['none', 'data', 'all']),
              z
                .array(z.number().int().min(0).max(255))
                .min(1, 'list at least one block, or use none')
                .max(256)
                .refine((a) => new Set(a).size === a.length, 'each block number once'),
            ]),
          })
          .strict()
          .prefault({ lockBlocks: 'none' }),
      })
      .strict()
      .prefault({ codeTtlS: 300, tokenTtlH: 12, maxWrongCodes: 5 }),
    /** Staff and admin logins (daemon/auth): sessions and the lockout after wrong passwords. */
    auth: z
      .object({
        /** A session ends this long after login, whatever happens (a working day). */
        sessionTtlS: z.number().int().min(60),
        /** ... or after this long without a request (a desk PC left logged in). */
        idleTimeoutS: z.number().int().min(60),
        /** Passwords set with `kiosk admin create/passwd` have at least this many characters. */
        minPasswordLength: z.number().int().min(1),
        lockout: z
          .object({
            /** Wrong passwords in a row for one user name before it is locked. */
            userFailures: z.number().int().min(1),
            /** Wrong passwords in a row from one address (every user of a desk PC shares it). */
            addressFailures: z.number().int().min(1),
            /** The first lockout; each further one in a row doubles it, up to maxS. */
            baseS: z.number().int().min(1),
            maxS: z.number().int().min(1),
            /** Failures older than this are forgotten. */
            windowS: z.number().int().min(1),
          })
          .strict(),
      })
      .strict()
      .prefault({
        sessionTtlS: 28_800,
        idleTimeoutS: 3_600,
        minPasswordLength: 8,
        lockout: { userFailures: 5, addressFailures: 20, baseS: 60, maxS: 3_600, windowS: 900 },
      }),
    /** Locker banks for reservations picked up from a compartment (daemon/lockers/config.ts; domain.md §8). */
    lockers: lockersConfigSchema.prefault({}),
    /** The staff desk: signature tablet texts and their language rule, payments (daemon/desk/config.ts; domain.md §9.3, §9.4). */
    desk: deskConfigSchema,
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
        toFile: z.boolean(),
      })
      .strict(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/**
 * The `lockers:` section of the daemon configuration (notes/locker-contract.md; domain.md §8.1, §8.3).
 *
 *   lockers:
 *     banks:
 *       - id: L1
 *         name: "Locker wall, main entrance"
 *         pickupPlace: LOCKER-A       # pickup_places.code of kind 'locker'
 *         driver: ours                # ours: our door controller (device below); vendor: the vendor's own system over SIP2
 *         device: locker1             # a `kind: locker` device of the devices: section
 *         holdHours: 72               # default: the preset's policy.holds.lockerHoldHours (001:L102)
 *         compartments:
 *           - { number: "01", size: S, board: 0, lock: 1 }
 *     sms: { kind: log }            # or { kind: http, url: https://sms.example/send, tokenEnv: SMS_TOKEN, from: Library }
 *     leftOpenAlertS: 60
 *     expiryIntervalS: 600
 *     itemSizes: { default: S, materialTypes: { game: L } }
 *
 * Compartment sizes are ordered S < M < L. An item needs the size of its material type (or of its
 * parent type, else `itemSizes.default`); a compartment fits when it is at least that size, and a
 * compartment holding several items must fit the largest of them (a kit counts by its lead unit).
 */
import { z } from 'zod';

export const COMPARTMENT_SIZES = ['S', 'M', 'L'] as const;
export type CompartmentSize = (typeof COMPARTMENT_SIZES)[number];

export function sizeRank(s: CompartmentSize): number {
  return COMPARTMENT_SIZES.indexOf(s);
}

const size = z.enum(COMPARTMENT_SIZES, { message: 'a compartment size: S, M or L' });

const compartmentSchema = z
  .object({
    /** The label on the door, shown to the patron ("01"). */
    number: z.string().regex(/^[A-Za-z0-9-]{1,8}$/, 'a door label of 1-8 letters, digits or "-"'),
    size,
    /** RS-485 board address (KR-CU16/CU48: 0-15). */
    board: z.number().int().min(0).max(31),
    /** Lock channel on the board (1-based; a CU48 has 48). */
    lock: z.number().int().min(1).max(48),
  })
  .strict();

export const lockerBankSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'a short id of letters, digits, "_" or "-"'),
    name: z.string().min(1),
    /** The pickup place (kind locker) whose reservations this bank serves (domain.md §8.1). */
    pickupPlace: z.string().min(1),
    /** ours: we drive the doors (device); vendor: a vendor's own locker system talks to us over SIP2 only. */
    driver: z.enum(['ours', 'vendor']).default('ours'),
    /** The id of the locker controller in `devices:` (needed when driver is ours). */
    device: z.string().min(1).optional(),
    /** How long a loaded compartment waits for the patron; default the preset's lockerHoldHours (72 h). */
    holdHours: z.number().int().min(1).max(24 * 60).optional(),
    compartments: z.array(compartmentSchema).min(1, 'a bank needs at least one compartment'),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.driver === 'ours' && !b.device) {
      ctx.addIssue({ code: 'custom', path: ['device'], message: 'a bank driven by us needs the id of its locker device' });
    }
    const numbers = new Set<string>();
    const doors = new Set<string>();
    b.compartments.forEach((c, i) => {
      if (numbers.has(c.number)) ctx.addIssue({ code: 'custom', path: ['compartments', i, 'number'], message: `compartment "${c.number}" is listed twice` });
      numbers.add(c.number);
      const door = `${c.board}/${c.lock}`;
      if (doors.has(door)) ctx.addIssue({ code: 'custom', path: ['compartments', i, 'lock'], message: `board ${c.board} lock ${c.lock} is used by two compartments` });
      doors.add(door);
    });
  });

/**
 * How a pickup notice goes out by SMS. `log` writes it to the log with the number masked (a demo and
 * test sender). `http` POSTs it as JSON {to, text, from?} to the library's SMS gateway (notify.ts).
 */
const smsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('log') }).strict(),
  z
    .object({
      kind: z.literal('http'),
      url: z.string().refine((u) => /^https?:\/\/[^/\s]+/.test(u) && URL.canParse(u), 'the SMS gateway URL must be an http:// or https:// address'),
      /** The name of an environment variable holding the gateway's bearer token (never the token itself). */
      tokenEnv: z.string().min(1).optional(),
      /** The sender name or number, for gateways that take one. */
      from: z.string().min(1).optional(),
      /** A gateway that has not answered by then has failed (the notice is logged as not sent). */
      timeoutS: z.number().min(1).max(120).default(10),
    })
    .strict(),
]);

export const lockersConfigSchema = z
  .object({
    banks: z.array(lockerBankSchema).default([]),
    sms: smsSchema.default({ kind: 'log' }),
    /** A compartment standing open longer than this after a pickup, loading or emptying alerts staff. */
    leftOpenAlertS: z.number().int().min(5).default(60),
    /** The expiry job: COBISS refreshes its locker list every 10 minutes (domain.md §8.3 step 8). */
    expiryIntervalS: z.number().int().min(10).default(600),
    itemSizes: z
      .object({
        default: size.default('S'),
        materialTypes: z.record(z.string(), size).default({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((l, ctx) => {
    const ids = new Set<string>();
    const places = new Set<string>();
    l.banks.forEach((b, i) => {
      if (ids.has(b.id)) ctx.addIssue({ code: 'custom', path: ['banks', i, 'id'], message: `bank "${b.id}" is listed twice` });
      ids.add(b.id);
      if (places.has(b.pickupPlace)) {
        ctx.addIssue({ code: 'custom', path: ['banks', i, 'pickupPlace'], message: `pickup place "${b.pickupPlace}" is served by two banks` });
      }
      places.add(b.pickupPlace);
    });
  });

export type LockersConfig = z.infer<typeof lockersConfigSchema>;
export type LockerBankConfig = z.infer<typeof lockerBankSchema>;

/**
 * The holdHours a bank run by the locker vendor sets for its pickup place, for the SIP2 bridge's
 * load (09) of that place; undefined where the bank leaves it to the preset's lockerHoldHours.
 */
export function vendorHoldHoursOf(cfg: LockersConfig): (pickupPlace: string) => number | undefined {
  const byPlace = new Map(cfg.banks.filter((b) => b.driver === 'vendor' && b.holdHours !== undefined).map((b) => [b.pickupPlace, b.holdHours!]));
  return (pickupPlace) => byPlace.get(pickupPlace);
}

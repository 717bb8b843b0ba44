/**
 * One-time pickup codes. A code is 8 digits, so it can be typed on the kiosk's number pad as well as
 * scanned from the QR code of the notice; it is drawn from the injected random source (tests pass a
 * seeded one) and only its SHA-256 is stored, so the database alone does not open a compartment.
 */
import { createHash, randomBytes } from 'node:crypto';

export type RandomSource = (bytes: number) => Buffer;

export const defaultRandom: RandomSource = (n) => randomBytes(n);

export const PICKUP_CODE_DIGITS = 8;

/** Uniform digits by rejection sampling (a byte ≥ 250 would bias 0–5). */
export function newPickupCode(random: RandomSource): string {
  let code = '';
  while (code.length < PICKUP_CODE_DIGITS) {
    for (const b of random(PICKUP_CODE_DIGITS * 2)) {
      if (b >= 250) continue;
      code += String(b % 10);
      if (code.length === PICKUP_CODE_DIGITS) break;
    }
  }
  return code;
}

/** What a patron types or scans: digits, perhaps with spaces or dashes the notice groups them with. */
export function normalizePickupCode(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '');
  return /^\d{8}$/.test(digits) ? digits : null;
}

export function hashPickupCode(code: string): string {
  return createHash('sha256').update(`open-kiosk/locker-pickup/${code}`).digest('hex');
}

/** "1234 5678": easier to read out and type. */
export function formatPickupCode(code: string): string {
  return `${code.slice(0, 4)} ${code.slice(4)}`;
}

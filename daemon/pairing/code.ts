/**
 * The one-time pairing code a pad shows and a staff member types on the desk PC.
 *
 * Eight characters in two groups of four ("K7QX-3HMA") from an alphabet without the characters
 * people confuse when reading a screen aloud or typing it: 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V and
 * lower case. 23 symbols, so 23^8 ≈ 7.8·10^10 codes; with the code changing after a handful of wrong
 * tries (config pairing.maxWrongCodes) and every few minutes, guessing is hopeless.
 *
 * Randomness is injected (DESIGN.md house style); the default is node:crypto's CSPRNG.
 */
import { randomBytes } from 'node:crypto';

export const CODE_ALPHABET = 'ACDEFGHJKMNPQRTWXY34679';
export const CODE_LENGTH = 8;

/** n random bytes. */
export type RandomSource = (n: number) => Uint8Array;

export const cryptoRandom: RandomSource = (n) => randomBytes(n);

/** A fresh code, formatted "XXXX-XXXX". Unbiased: bytes that would favour some symbols are dropped. */
export function generatePairingCode(random: RandomSource = cryptoRandom): string {
  const size = CODE_ALPHABET.length;
  const limit = 256 - (256 % size); // accept bytes below a multiple of the alphabet size
  let out = '';
  while (out.length < CODE_LENGTH) {
    for (const b of random(CODE_LENGTH * 2)) {
      if (b >= limit) continue;
      out += CODE_ALPHABET[b % size];
      if (out.length === CODE_LENGTH) break;
    }
  }
  return `${out.slice(0, 4)}-${out.slice(4)}`;
}

/**
 * What the staff member typed, in canonical form: upper case, spaces, dots and dashes removed (lower
 * case is accepted). Returns null when it cannot be a code at all (wrong length, a character the
 * alphabet does not have).
 */
export function normalizeCode(typed: string): string | null {
  const s = typed.toUpperCase().replace(/[\s\-_.]/g, '');
  if (s.length !== CODE_LENGTH) return null;
  for (const ch of s) if (!CODE_ALPHABET.includes(ch)) return null;
  return s;
}

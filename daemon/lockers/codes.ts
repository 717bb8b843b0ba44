/**
 * One-time pickup codes. A code is 8 digits, so it can be typed on the kiosk's number pad as well as
 * scanned from the QR code of the notice; it is drawn from the injected random source (tests pass a
 * seeded one).
 *
 * Only a keyed hash of a code is stored: HMAC-SHA-256 under a per-installation secret key that is
 * kept outside the database, in a file of the data directory (`locker-code.key`, mode 0600, made on
 * first use). An 8-digit code has only 10^8 values, so a plain hash in the database could be reversed
 * by trying them all in seconds; without the key, a copy of the database alone (a backup, an export)
 * gives no code that opens a compartment. Whoever has both the database and the key file can still
 * try every code: the key protects the codes only as far as the file is kept apart from the database.
 *
 * Codes stored by earlier versions as a plain SHA-256 are still accepted (`legacyPickupCodeHash`) so
 * that the notices already sent keep working after an update; they run out with their compartment's
 * hold time (72 h by default), after which no such hash is live any more.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';

export type RandomSource = (bytes: number) => Buffer;

export const defaultRandom: RandomSource = (n) => randomBytes(n);

export const PICKUP_CODE_DIGITS = 8;

/** The key file's name in the data directory (beside the SQLite store). */
export const PICKUP_CODE_KEY_FILE = 'locker-code.key';

/** Bytes of the per-installation key (the file holds them as hex). */
const KEY_BYTES = 32;

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

/** What is stored for a code: HMAC-SHA-256 under the installation's key. */
export function hashPickupCode(code: string, key: Buffer): string {
  return createHmac('sha256', key).update(`open-kiosk/locker-pickup/${code}`).digest('hex');
}

/** What versions before the keyed hash stored (unsalted SHA-256): still looked up, never written. */
export function legacyPickupCodeHash(code: string): string {
  return createHash('sha256').update(`open-kiosk/locker-pickup/${code}`).digest('hex');
}

/**
 * The installation's pickup-code key from `file`, made (random, mode 0600) when there is none. Two
 * processes starting together agree on one key: the file is created exclusively, and the loser reads
 * the winner's. A file that is not a key is an error (a new key would silently void every code sent).
 */
export function loadOrCreatePickupCodeKey(file: string, random: RandomSource = defaultRandom): { key: Buffer; created: boolean; tooOpen: boolean } {
  let created = false;
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, `${Buffer.from(random(KEY_BYTES)).toString('hex')}\n`);
    } finally {
      closeSync(fd);
    }
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64,}$/i.test(text)) {
    throw new Error(`${file} is not a locker pickup-code key (64 or more hex digits); restore it from a backup, or delete it to make a new one (codes already sent then stop working)`);
  }
  // Group or others may read it: the key is then no better kept than the database.
  const tooOpen = process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0;
  return { key: Buffer.from(text, 'hex'), created, tooOpen };
}

/** "1234 5678": easier to read out and type. */
export function formatPickupCode(code: string): string {
  return `${code.slice(0, 4)} ${code.slice(4)}`;
}

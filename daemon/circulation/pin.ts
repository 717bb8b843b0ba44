/**
 * PIN hashing with scrypt (node:crypto). Stored as scrypt$N$r$p$salt$hash (base64). A PIN is never
 * stored, logged or returned in clear.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

export function hashPin(pin: string, salt: Buffer = randomBytes(16)): string {
  const hash = scryptSync(pin.normalize('NFC'), salt, KEYLEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPin(pin: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, 'base64');
  let actual: Buffer;
  try {
    actual = scryptSync(pin.normalize('NFC'), Buffer.from(saltB64, 'base64'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 64 * 1024 * 1024,
    });
  } catch {
    return false;
  }
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * verifyPin on the libuv thread pool: a scrypt check costs tens of milliseconds of CPU, which
 * must not stall every other SIP2 client and kiosk on the event loop while it runs.
 */
export async function verifyPinAsync(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, 'base64');
  const actual = await new Promise<Buffer | null>((resolve) => {
    try {
      scrypt(
        pin.normalize('NFC'),
        Buffer.from(saltB64, 'base64'),
        expected.length,
        { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 },
        (err, key) => resolve(err ? null : key),
      );
    } catch {
      resolve(null); // malformed parameters in the stored hash
    }
  });
  return actual !== null && actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function isPinHash(s: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(s);
}

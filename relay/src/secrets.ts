/**
 * Credentials the relay issues and checks.
 *
 * - Bearer tokens and device MQTT passwords are 32 random bytes (256 bits). They are stored
 *   as SHA-256 digests: with that much entropy a slow password hash adds no protection
 *   against offline guessing, and it would cost real CPU when thousands of locks reconnect
 *   at once after an outage. Lookups use the digest; comparisons are constant-time.
 * - Owner passwords are chosen by people, so they get scrypt (N=2^15, r=8, p=1, 16-byte salt),
 *   the memory-hard KDF built into node:crypto.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

export function randomSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256Hex(s: string | Uint8Array): string {
  return createHash('sha256').update(s).digest('hex');
}

export function secretMatches(secret: string, storedHex: string): boolean {
  const a = Buffer.from(sha256Hex(secret), 'hex');
  const b = Buffer.from(storedHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, 32, { ...params, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash`, all base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const expected = Buffer.from(parts[5], 'base64url');
  const key = await scrypt(password, Buffer.from(parts[4], 'base64url'), { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password hash to compare against when the account does not exist (same timing). */
export const DUMMY_PASSWORD_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

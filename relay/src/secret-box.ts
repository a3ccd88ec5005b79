/**
 * Secrets the relay must read back (hash-chain seeds) are sealed before they reach the
 * database: AES-256-GCM under the relay's data key, with the column's name as associated
 * data, so a value copied into another column does not open. Stored form:
 * `kwenc1:` + base64url(12-byte IV ‖ 16-byte tag ‖ ciphertext). A value without the prefix
 * was written before sealing existed and is returned as it is.
 *
 * The data key is 32 bytes: the `dataKey` option (base64; `KEYWAY_DATA_KEY` for `keyway`),
 * else the file `dataDir/data.key`, created 0600 on first start. Relays sharing one database
 * must share the key.
 *
 * Opened values are remembered (at most OPENED_KEPT, the oldest forgotten first), keyed by the
 * sealed text and its column: a courier grant's seed is opened to stage the grant and again, on
 * the courier entry's critical path, to reveal it, and a first AES-GCM decipher after the relay
 * was idle cost about 0.1 ms there (docs/benchmarks.md). The process holds the data key that
 * opens every sealed value anyway, so keeping some opened ones in it exposes nothing new; a
 * value sealed for another column, or altered, is another key and is opened (and refused) as before.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { relayError } from './errors';

export const SEALED_PREFIX = 'kwenc1:';
export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';
const PRIVATE_FILE_MODE = 0o600;
const GROUP_OTHER_BITS = 0o077;
/** Opened values remembered at most (SecretBox.open). */
export const OPENED_KEPT = 1024;

export class SecretBox {
  private readonly key: Buffer;
  /** Opened values by column and sealed text, oldest first. */
  private readonly opened = new Map<string, string>();
  private decipherCount = 0;

  constructor(key: Uint8Array) {
    if (key.length !== DATA_KEY_BYTES) throw new Error('DATA_KEY: the data key must be ' + DATA_KEY_BYTES + ' bytes');
    this.key = Buffer.from(key);
  }

  seal(plain: string, column: string): string {
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv(CIPHER, this.key, iv);
    c.setAAD(Buffer.from(column, 'utf8'));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    const sealed = SEALED_PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url');
    this.remember(column, sealed, plain);
    return sealed;
  }

  /** Values actually deciphered so far (tests and diagnostics): a remembered one is not. */
  get deciphered(): number {
    return this.decipherCount;
  }

  /** Throws DATA_KEY_MISMATCH when the value was sealed under another key, for another column, or altered. */
  open(stored: string, column: string): string {
    if (!stored.startsWith(SEALED_PREFIX)) return stored;
    const known = this.opened.get(column + '\n' + stored);
    if (known !== undefined) return known;
    const plain = this.decipher(stored, column);
    this.remember(column, stored, plain);
    return plain;
  }

  private remember(column: string, sealed: string, plain: string): void {
    if (this.opened.size >= OPENED_KEPT) this.opened.delete(this.opened.keys().next().value!);
    this.opened.set(column + '\n' + sealed, plain);
  }

  private decipher(stored: string, column: string): string {
    this.decipherCount++;
    const text = stored.slice(SEALED_PREFIX.length);
    const raw = Buffer.from(text, 'base64url');
    // The decoder skips characters outside the alphabet and ignores a last character's unused bits:
    // only the exact text seal() wrote opens, so an altered row (of any length) is never remembered.
    if (raw.toString('base64url') !== text) throw new Error('DATA_KEY_MISMATCH: sealed value altered in ' + column);
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('DATA_KEY_MISMATCH: sealed value too short in ' + column);
    const d = createDecipheriv(CIPHER, this.key, raw.subarray(0, IV_BYTES));
    d.setAAD(Buffer.from(column, 'utf8'));
    d.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([d.update(raw.subarray(IV_BYTES + TAG_BYTES)), d.final()]).toString('utf8');
    } catch {
      throw new Error('DATA_KEY_MISMATCH: cannot open a sealed value in ' + column + ' (another data key, or altered)');
    }
  }
}

function keyInvalid(details: Record<string, unknown>, what: string) {
  return relayError('KW_DATA_KEY_INVALID', details, what + '; the relay did not start and created nothing.');
}

/**
 * The data key from the option (base64), else from `file`, creating it (0600) when absent.
 * An unusable key is KW_DATA_KEY_INVALID; the relay checks it before it creates anything.
 */
export function loadDataKey(option: string | undefined, file: string): Buffer {
  if (option !== undefined) {
    const key = Buffer.from(option, 'base64');
    if (key.length !== DATA_KEY_BYTES) throw keyInvalid({ source: 'dataKey', reason: 'length' }, 'The data key (dataKey, KEYWAY_DATA_KEY) must be ' + DATA_KEY_BYTES + ' bytes in base64');
    return key;
  }
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Written whole under a temporary name, then linked into place (fails if present): of two
    // processes starting on one data directory, one key wins and nobody reads a half-written file.
    const tmp = file + '.' + process.pid + '.' + randomBytes(4).toString('hex');
    writeFileSync(tmp, randomBytes(DATA_KEY_BYTES).toString('base64') + '\n', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    chmodSync(tmp, PRIVATE_FILE_MODE);
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  if ((statSync(file).mode & GROUP_OTHER_BITS) !== 0) throw keyInvalid({ file, reason: 'permissions' }, 'The data key file ' + file + ' is readable by others: chmod 600 it');
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== DATA_KEY_BYTES) throw keyInvalid({ file, reason: 'length' }, 'The data key file ' + file + ' does not hold ' + DATA_KEY_BYTES + ' bytes in base64');
  return key;
}

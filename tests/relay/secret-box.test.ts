import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRelay } from '@keyway/relay';
import { DATA_KEY_BYTES, loadDataKey, OPENED_KEPT, SEALED_PREFIX, SecretBox } from '../../relay/src/secret-box';

const KEY = Buffer.alloc(DATA_KEY_BYTES, 7);
const SEED = 'a'.repeat(64);
const COLUMN = 'grants.chain_seed';

describe('secret box (secrets sealed in the database)', () => {
  it('seals to a fresh opaque value each time and opens it again', () => {
    const box = new SecretBox(KEY);
    const a = box.seal(SEED, COLUMN);
    const b = box.seal(SEED, COLUMN);
    expect(a.startsWith(SEALED_PREFIX)).toBe(true);
    expect(a).not.toBe(b);
    expect(a.includes(SEED)).toBe(false);
    expect(box.open(a, COLUMN)).toBe(SEED);
    expect(box.open(b, COLUMN)).toBe(SEED);
  });

  it('refuses a value sealed under another key, for another column, altered, or cut short', () => {
    const sealed = new SecretBox(KEY).seal(SEED, COLUMN);
    expect(() => new SecretBox(Buffer.alloc(DATA_KEY_BYTES, 8)).open(sealed, COLUMN)).toThrow(/DATA_KEY_MISMATCH/);
    expect(() => new SecretBox(KEY).open(sealed, 'webhooks.secret')).toThrow(/DATA_KEY_MISMATCH/);
    const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => new SecretBox(KEY).open(SEALED_PREFIX + raw.toString('base64url'), COLUMN)).toThrow(/DATA_KEY_MISMATCH/);
    expect(() => new SecretBox(KEY).open(SEALED_PREFIX + 'AAAA', COLUMN)).toThrow(/too short/);
  });

  it('remembers what it sealed or opened, per column, and forgets the oldest beyond OPENED_KEPT', () => {
    const sealed = new SecretBox(KEY).seal(SEED, COLUMN);
    const box = new SecretBox(KEY);
    expect(box.open(sealed, COLUMN)).toBe(SEED);
    expect(box.open(sealed, COLUMN)).toBe(SEED);
    expect(box.deciphered).toBe(1);
    // Its own seal is remembered: opening it needs no decipher.
    const own = box.seal('b'.repeat(64), COLUMN);
    expect(box.open(own, COLUMN)).toBe('b'.repeat(64));
    expect(box.deciphered).toBe(1);
    // Remembered for its column only: another column still refuses it, and an altered value is another value.
    expect(() => box.open(sealed, 'webhooks.secret')).toThrow(/DATA_KEY_MISMATCH/);
    const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => box.open(SEALED_PREFIX + raw.toString('base64url'), COLUMN)).toThrow(/DATA_KEY_MISMATCH/);
    expect(box.deciphered).toBe(3);
    // Bounded: after OPENED_KEPT other values, the first is deciphered again.
    const other = new SecretBox(KEY);
    for (let i = 0; i < OPENED_KEPT; i++) box.open(other.seal(String(i), COLUMN), COLUMN);
    const before = box.deciphered;
    expect(box.open(sealed, COLUMN)).toBe(SEED);
    expect(box.deciphered).toBe(before + 1);
  });

  it('opens only the exact text seal wrote: base64url that merely decodes to the same bytes is refused, so an altered row is never remembered', () => {
    const box = new SecretBox(KEY);
    const sealed = new SecretBox(KEY).seal(SEED, COLUMN);
    const body = sealed.slice(SEALED_PREFIX.length);
    const raw = Buffer.from(body, 'base64url');
    // The same bytes in other text: characters the decoder skips, and a last character differing in its unused bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = [...alphabet].map((c) => body.slice(0, -1) + c).find((b) => b !== body && Buffer.from(b, 'base64url').equals(raw));
    expect(sibling).toBeDefined();
    const variants = [sealed + '!', sealed + '='.repeat(4096), SEALED_PREFIX + body.slice(0, 10) + ' ' + body.slice(10), SEALED_PREFIX + sibling!];
    for (const altered of variants) expect(() => box.open(altered, COLUMN)).toThrow(/DATA_KEY_MISMATCH/);
    expect(box.open(sealed, COLUMN)).toBe(SEED);
  });

  it('reads a value stored before sealing existed as it is', () => {
    expect(new SecretBox(KEY).open(SEED, COLUMN)).toBe(SEED);
  });

  it('takes the key from the option, else creates a private key file once and reuses it, and refuses bad keys', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-key-'));
    try {
      const file = path.join(dir, 'sub', 'data.key');
      const first = loadDataKey(undefined, file);
      expect(first.length).toBe(DATA_KEY_BYTES);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(loadDataKey(undefined, file).equals(first)).toBe(true);
      expect(loadDataKey(KEY.toString('base64'), file).equals(KEY)).toBe(true);
      expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('base64'));
      const refused = (code: string, reason: string, text: RegExp) => expect.objectContaining({ code, details: expect.objectContaining({ reason }), message: expect.stringMatching(text) });
      expect(() => loadDataKey(Buffer.alloc(16).toString('base64'), file)).toThrow(refused('KW_DATA_KEY_INVALID', 'length', /must be 32 bytes/));
      chmodSync(file, 0o644);
      expect(() => loadDataKey(undefined, file)).toThrow(refused('KW_DATA_KEY_INVALID', 'permissions', /readable by others: chmod 600/));
      chmodSync(file, 0o600);
      writeFileSync(file, Buffer.alloc(16).toString('base64'));
      expect(() => loadDataKey(undefined, file)).toThrow(refused('KW_DATA_KEY_INVALID', 'length', /does not hold 32 bytes/));
      expect(() => new SecretBox(Buffer.alloc(16))).toThrow(/32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a relay whose data key file others can read refuses to start with KW_DATA_KEY_INVALID and creates nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-key-relay-'));
    try {
      const file = path.join(dir, 'data.key');
      writeFileSync(file, KEY.toString('base64') + '\n', { mode: 0o644 });
      chmodSync(file, 0o644);
      const start = buildRelay({ dataDir: dir, ports: { http: 0, mqtt: 0, mqtts: 0 }, logger: false });
      await expect(start).rejects.toMatchObject({ code: 'KW_DATA_KEY_INVALID', message: expect.stringContaining(file + ' is readable by others') });
      expect(readdirSync(dir)).toEqual(['data.key']);
      expect(readFileSync(file, 'utf8').trim()).toBe(KEY.toString('base64'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

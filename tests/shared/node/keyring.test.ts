import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asciiBytes, keyIdOf } from '@keyway/shared';
import { loadKeyring, nodeVerifyEd25519, openKeyring, rotateKeyring } from '@keyway/shared/node';

const dirs: string[] = [];
function tmp(): string {
  const d = path.join(mkdtempSync(path.join(tmpdir(), 'kw-keys-')), 'keys');
  dirs.push(path.dirname(d));
  return d;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('relay keyring', () => {
  it('creates a 0700 directory of 0600 key files and signs verifiably', () => {
    const dir = tmp();
    const ring = openKeyring(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(dir)) expect(statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o600);
    const msg = asciiBytes('hello lock');
    expect(nodeVerifyEd25519(msg, ring.current.sign(msg), ring.current.publicKey)).toBe(true);
    expect(ring.current.keyId).toBe(keyIdOf(ring.current.publicKey));
    expect(openKeyring(dir).current.keyId).toBe(ring.current.keyId);
  });

  it('rotates to a new current key and keeps the previous one', () => {
    const dir = tmp();
    const first = openKeyring(dir).current;
    const { previous, next } = rotateKeyring(dir);
    expect(previous.keyId).toBe(first.keyId);
    const ring = loadKeyring(dir);
    expect(ring.current.keyId).toBe(next.keyId);
    expect(ring.all.has(first.keyId)).toBe(true);
    expect(ring.all.size).toBe(2);
  });

  it('refuses key files readable by others', () => {
    const dir = tmp();
    openKeyring(dir);
    const f = readdirSync(dir).find((n) => n.startsWith('key-'))!;
    chmodSync(path.join(dir, f), 0o644);
    expect(() => loadKeyring(dir)).toThrow(/KEY_FILE_PERMISSIONS/);
  });
});

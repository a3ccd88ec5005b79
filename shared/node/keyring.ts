/**
 * The relay's signing keys on disk (docs/product.md#security-properties: the trust anchor). One JSON file per key,
 * mode 0600, in a 0700 directory; `current.json` names the key that signs. Rotation adds
 * a new key and keeps the old one until every lock has been told (docs/protocol.md §3.4).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fromHex, toHex } from '../src/bytes';
import { newSeed, signerFromSeed, type Signer } from './signer';

export interface StoredKey {
  keyId: number;
  publicKey: string;
  seed: string;
  createdAt: string;
}

export interface Keyring {
  readonly dir: string;
  current: Signer;
  /** Every key in the directory, current included, by key id. */
  all: Map<number, Signer>;
}

function keyFile(dir: string, keyId: number): string {
  return path.join(dir, 'key-' + keyId.toString(16).padStart(8, '0') + '.json');
}

function writeSecret(file: string, content: string): void {
  const tmp = file + '.tmp';
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function keyringExists(dir: string): boolean {
  return existsSync(path.join(dir, 'current.json'));
}

export function addKey(dir: string, seed: Uint8Array = newSeed()): Signer {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const signer = signerFromSeed(seed);
  const stored: StoredKey = { keyId: signer.keyId, publicKey: toHex(signer.publicKey), seed: toHex(seed), createdAt: new Date().toISOString() };
  writeSecret(keyFile(dir, signer.keyId), JSON.stringify(stored, null, 2) + '\n');
  return signer;
}

export function setCurrentKey(dir: string, keyId: number): void {
  writeSecret(path.join(dir, 'current.json'), JSON.stringify({ keyId }) + '\n');
}

/** Creates the keyring with one key, or loads it. */
export function openKeyring(dir: string): Keyring {
  if (!keyringExists(dir)) {
    const s = addKey(dir);
    setCurrentKey(dir, s.keyId);
  }
  return loadKeyring(dir);
}

export function loadKeyring(dir: string): Keyring {
  const all = new Map<number, Signer>();
  for (const name of readdirSync(dir)) {
    if (!/^key-[0-9a-f]{8}\.json$/.test(name)) continue;
    const file = path.join(dir, name);
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new Error('KEY_FILE_PERMISSIONS: ' + file + ' is readable by others (mode ' + mode.toString(8) + '); chmod 600 it');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKey;
    const signer = signerFromSeed(fromHex(stored.seed));
    if (signer.keyId !== stored.keyId || toHex(signer.publicKey) !== stored.publicKey) throw new Error('KEY_FILE_CORRUPT: ' + file);
    all.set(signer.keyId, signer);
  }
  const cur = JSON.parse(readFileSync(path.join(dir, 'current.json'), 'utf8')) as { keyId: number };
  const current = all.get(cur.keyId);
  if (!current) throw new Error('KEY_MISSING: current key ' + cur.keyId + ' has no key file in ' + dir);
  return { dir, current, all };
}

/** Generates a new key and makes it current; returns the old and new signers. */
export function rotateKeyring(dir: string): { previous: Signer; next: Signer } {
  const ring = loadKeyring(dir);
  const next = addKey(dir);
  setCurrentKey(dir, next.keyId);
  return { previous: ring.current, next };
}

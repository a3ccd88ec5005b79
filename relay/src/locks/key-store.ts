/**
 * The relay's signing keys (the trust anchor), kept on disk by shared/node's keyring with
 * 0600 files. Each device row names the key its commands are signed with; a key that no
 * device uses any more after a rotation is deleted. Other relay processes sharing the
 * data directory pick up a rotation by reloading on a cache miss.
 */
import { existsSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { toHex } from '@keyway/shared';
import { loadKeyring, openKeyring, rotateKeyring, type Keyring, type Signer } from '@keyway/shared/node';

export interface PublicKeyInfo {
  keyId: number;
  publicKey: string;
  current: boolean;
}

/**
 * What the relay signs with: the keyring in dataDir/keys (KeyStore, the embedded SQLite
 * deployment) or the keys in the database (DbKeyStore, relays sharing PostgreSQL). Reads
 * are synchronous, from the ring as last loaded.
 */
export interface SigningKeys {
  current(): Signer;
  cachedIds(): { current: number; all: number[] };
  signer(keyId: number): Signer;
  rotate(): { previous: Signer; next: Signer };
  /** rotate() once the new key is stored where every relay of the set finds it. */
  rotateNow(now: number): Promise<{ previous: Signer; next: Signer }>;
  list(): PublicKeyInfo[];
  retireExcept(keep: Set<number>): number[];
}

export class KeyStore implements SigningKeys {
  private ring: Keyring;

  constructor(readonly dir: string) {
    this.ring = openKeyring(dir);
  }

  /** The key new devices trust and rotations move to (re-read from disk). */
  current(): Signer {
    this.ring = loadKeyring(this.dir);
    return this.ring.current;
  }

  /**
   * The current key id and every key id held, as last read (no disk access: for the per-status
   * sync; a rotation made by another process is seen at the next current() or cache miss).
   */
  cachedIds(): { current: number; all: number[] } {
    return { current: this.ring.current.keyId, all: [...this.ring.all.keys()] };
  }

  signer(keyId: number): Signer {
    let s = this.ring.all.get(keyId);
    if (!s) {
      this.ring = loadKeyring(this.dir);
      s = this.ring.all.get(keyId);
    }
    if (!s) throw new Error('KEY_MISSING: no signing key ' + keyId + ' in ' + this.dir);
    return s;
  }

  rotate(): { previous: Signer; next: Signer } {
    const r = rotateKeyring(this.dir);
    this.ring = loadKeyring(this.dir);
    return r;
  }

  /** The key files are written before rotate() returns. */
  async rotateNow(): Promise<{ previous: Signer; next: Signer }> {
    return this.rotate();
  }

  list(): PublicKeyInfo[] {
    this.ring = loadKeyring(this.dir);
    return [...this.ring.all.values()].map((s) => ({ keyId: s.keyId, publicKey: toHex(s.publicKey), current: s.keyId === this.ring.current.keyId }));
  }

  /** Deletes key files not in `keep` (never the current key). Returns the deleted key ids. */
  retireExcept(keep: Set<number>): number[] {
    const current = this.current().keyId;
    const gone: number[] = [];
    for (const keyId of [...this.ring.all.keys()]) {
      if (keyId === current || keep.has(keyId)) continue;
      const file = path.join(this.dir, 'key-' + keyId.toString(16).padStart(8, '0') + '.json');
      if (existsSync(file)) unlinkSync(file);
      gone.push(keyId);
    }
    if (gone.length > 0) this.ring = loadKeyring(this.dir);
    return gone;
  }
}

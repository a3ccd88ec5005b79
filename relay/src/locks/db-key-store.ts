/**
 * The relay's signing keys kept in the database, for relays sharing PostgreSQL: every relay
 * signs with the same keys and none of them lives in a data directory. Seeds are sealed with
 * the data key (secret-box.ts, column `relay_keys.seed`), so a database dump alone signs
 * nothing; relays sharing the database must share the data key.
 *
 * Reads come from the ring as last loaded (signing stays synchronous and does no I/O). The
 * ring is reloaded by refresh(): at start, on the maintenance sweep, and on a short timer, so
 * a rotation made by another relay is seen within KEY_REFRESH_MS. A rotation itself needs the
 * database write to finish before its key may sign: rotateNow() does that (the relay's key
 * rotation uses it); the synchronous rotate() of the file keyring is refused here
 * (KW_STORE_UNSUPPORTED) rather than sign with a key the other relays cannot load.
 */
import { toHex, fromHex } from '@keyway/shared';
import { newSeed, signerFromSeed, type Signer } from '@keyway/shared/node';
import { addRelayKey, deleteRelayKeys, lockRelayKeys, relayKeys } from '../data/relay-keys';
import type { Store } from '../data/store';
import { relayError } from '../errors';
import type { Logger } from '../logger';
import type { SecretBox } from '../secret-box';
import type { PublicKeyInfo, SigningKeys } from './key-store';

/** How often a relay reloads the keys another relay may have added or retired. */
export const KEY_REFRESH_MS = 5000;
const SEED_COLUMN = 'relay_keys.seed';

interface Ring {
  current: Signer;
  all: Map<number, Signer>;
}

export class DbKeyStore implements SigningKeys {
  private timer: ReturnType<typeof setInterval> | null = null;

  private constructor(private readonly store: Store, private readonly box: SecretBox, private readonly log: Logger, private ring: Ring) {}

  /** Loads the keys, creating the first one when the database has none (one relay wins when several start together). */
  static async open(store: Store, box: SecretBox, log: Logger, now: () => number): Promise<DbKeyStore> {
    await store.tx(async (q) => {
      await lockRelayKeys(q);
      if ((await relayKeys(q)).length > 0) return;
      const seed = newSeed();
      const s = signerFromSeed(seed);
      await addRelayKey(q, { keyId: s.keyId, publicKey: toHex(s.publicKey), sealedSeed: box.seal(toHex(seed), SEED_COLUMN), at: now() }, true);
      log.warn({ keyId: s.keyId }, 'first relay signing key created in the database');
    });
    return new DbKeyStore(store, box, log, await DbKeyStore.load(store, box));
  }

  private static async load(store: Store, box: SecretBox): Promise<Ring> {
    const rows = await relayKeys(store.q);
    const all = new Map<number, Signer>();
    let current: Signer | null = null;
    for (const r of rows) {
      const s = signerFromSeed(fromHex(box.open(r.seed, SEED_COLUMN)));
      if (s.keyId !== r.key_id || toHex(s.publicKey) !== r.public_key) throw new Error('KEY_CORRUPT: relay key ' + r.key_id + ' does not match its seed');
      all.set(s.keyId, s);
      if (r.is_current === 1) current = s;
    }
    if (!current) throw new Error('KEY_MISSING: no current relay signing key in the database');
    return { current, all };
  }

  async refresh(): Promise<void> {
    this.ring = await DbKeyStore.load(this.store, this.box);
  }

  /** Reloads every KEY_REFRESH_MS until stop(). */
  startRefreshing(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.store.isOpen()) return;
      this.refresh().catch((err) => this.log.warn({ err }, 'reloading relay keys failed'));
    }, KEY_REFRESH_MS);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  current(): Signer {
    return this.ring.current;
  }

  cachedIds(): { current: number; all: number[] } {
    return { current: this.ring.current.keyId, all: [...this.ring.all.keys()] };
  }

  signer(keyId: number): Signer {
    const s = this.ring.all.get(keyId);
    if (!s) throw new Error('KEY_MISSING: no signing key ' + keyId + ' in the database (as last loaded)');
    return s;
  }

  rotate(): { previous: Signer; next: Signer } {
    throw relayError('KW_STORE_UNSUPPORTED', { operation: 'key rotation' }, 'Key rotation with keys in the database runs through rotateNow(); nothing was changed.');
  }

  /** Adds a new key, makes it current in the database, then signs with it. */
  async rotateNow(now: number): Promise<{ previous: Signer; next: Signer }> {
    const seed = newSeed();
    const next = signerFromSeed(seed);
    await this.store.tx(async (q) => {
      await lockRelayKeys(q);
      await addRelayKey(q, { keyId: next.keyId, publicKey: toHex(next.publicKey), sealedSeed: this.box.seal(toHex(seed), SEED_COLUMN), at: now }, true);
    });
    const previous = this.ring.current;
    await this.refresh();
    return { previous, next };
  }

  list(): PublicKeyInfo[] {
    return [...this.ring.all.values()].map((s) => ({ keyId: s.keyId, publicKey: toHex(s.publicKey), current: s.keyId === this.ring.current.keyId }));
  }

  /**
   * Forgets the keys not in `keep` (never the current one) at once and deletes them from the
   * database in the background; a delete that fails is logged and done again by the next sweep.
   */
  retireExcept(keep: Set<number>): number[] {
    const gone = [...this.ring.all.keys()].filter((k) => k !== this.ring.current.keyId && !keep.has(k));
    if (gone.length === 0) return [];
    for (const k of gone) this.ring.all.delete(k);
    this.store.tx((q) => deleteRelayKeys(q, gone)).catch((err) => this.log.warn({ err, keyIds: gone }, 'deleting retired relay keys failed'));
    return gone;
  }
}

/**
 * Grants staged on the lock (docs/product.md#guest-and-service-access; protocol §4–§5), each in its own power-safe
 * record `kwg<slot>` holding the grant exactly as the relay signed it plus its runtime
 * state (uses so far, current hash-chain value). Revoked ids live in `kwrv` and win
 * over any later put of the same id.
 */
import {
  ACT_GRANT_PUT, CRED_HASH_CHAIN, HASH_LENGTH, copyBytes, decodePayload, grantFingerprint, type Grant, type HeldGrant
} from '@keyway/shared';
import { loadRecord, saveRecord, eraseRecord, type RecordSlot } from './record-store';
import type { StoragePort } from './ports';

export const MAX_GRANTS = 16;
export const MAX_REVOKED = 32;
const GRANT_RECORD = 'kwg';
const REVOKED_RECORD = 'kwrv';

export interface StagedGrant {
  grant: Grant;
  /** The grant payload bytes as received (re-decoded at boot). */
  raw: Uint8Array;
  uses: number;
  /** Current hash-chain value (starts at the committed tip). */
  current: Uint8Array;
  record: RecordSlot;
  /** grantFingerprint(raw), reported in the status inventory. */
  fingerprint: Uint8Array;
}

export interface GrantStore {
  storage: StoragePort;
  slots: Array<StagedGrant | null>;
  revoked: number[];
  revokedRecord: RecordSlot;
  recovered: boolean;
}

function encodeState(g: StagedGrant): Uint8Array {
  const out = new Uint8Array(2 + HASH_LENGTH + g.raw.length);
  out[0] = g.uses >> 8;
  out[1] = g.uses & 0xff;
  out.set(g.current.length === HASH_LENGTH ? g.current : new Uint8Array(HASH_LENGTH), 2);
  out.set(g.raw, 2 + HASH_LENGTH);
  return out;
}

export function openGrantStore(storage: StoragePort): GrantStore {
  const store: GrantStore = { storage: storage, slots: [], revoked: [], revokedRecord: { name: REVOKED_RECORD, seq: 0, slot: -1 }, recovered: false };
  for (let i = 0; i < MAX_GRANTS; i++) {
    const rec = loadRecord(storage, GRANT_RECORD + i);
    if (rec.recovered) store.recovered = true;
    let g: StagedGrant | null = null;
    if (rec.data && rec.data.length > 2 + HASH_LENGTH) {
      try {
        const raw = copyBytes(rec.data, 2 + HASH_LENGTH);
        g = {
          grant: decodePayload(ACT_GRANT_PUT, raw) as Grant, raw: raw, uses: (rec.data[0] << 8) | rec.data[1],
          current: copyBytes(rec.data, 2, 2 + HASH_LENGTH), record: rec.slot, fingerprint: grantFingerprint(raw)
        };
      } catch (_e) {
        g = null;
      }
    }
    store.slots.push(g ? g : null);
    if (!g) store.slots[i] = null;
    if (!g && rec.data) eraseRecord(storage, rec.slot);
    if (g) g.record = rec.slot;
  }
  const rv = loadRecord(storage, REVOKED_RECORD);
  if (rv.recovered) store.recovered = true;
  store.revokedRecord = rv.slot;
  if (rv.data) {
    for (let i = 0; i + 4 <= rv.data.length; i += 4) {
      store.revoked.push(rv.data[i] * 0x1000000 + ((rv.data[i + 1] << 16) | (rv.data[i + 2] << 8) | rv.data[i + 3]));
    }
  }
  return store;
}

export function findGrant(store: GrantStore, grantId: number): StagedGrant | null {
  for (let i = 0; i < store.slots.length; i++) {
    const g = store.slots[i];
    if (g && g.grant.grantId === grantId) return g;
  }
  return null;
}

/** The status inventory of staged grants: id and fingerprint, in slot order. */
export function heldGrants(store: GrantStore): HeldGrant[] {
  const out: HeldGrant[] = [];
  for (let i = 0; i < store.slots.length; i++) {
    const g = store.slots[i];
    if (g) out.push({ grantId: g.grant.grantId, fingerprint: g.fingerprint });
  }
  return out;
}

export function grantCount(store: GrantStore): number {
  let n = 0;
  for (let i = 0; i < store.slots.length; i++) if (store.slots[i]) n++;
  return n;
}

export function isRevoked(store: GrantStore, grantId: number): boolean {
  for (let i = 0; i < store.revoked.length; i++) if (store.revoked[i] === grantId) return true;
  return false;
}

/** The slot a put of `grantId` would use (its own, a free one, or one of an ended grant), -1 when full. */
export function grantSlotFor(store: GrantStore, grantId: number, now: number): number {
  let idx = -1;
  for (let i = 0; i < store.slots.length; i++) {
    const s = store.slots[i];
    if (s && s.grant.grantId === grantId) idx = i;
  }
  if (idx < 0) {
    for (let i = 0; i < store.slots.length && idx < 0; i++) if (!store.slots[i]) idx = i;
  }
  if (idx < 0) {
    // Full: reuse the slot of a grant that has already ended, if any.
    for (let i = 0; i < store.slots.length && idx < 0; i++) {
      const s = store.slots[i];
      if (s && now > 0 && s.grant.notAfter <= now) idx = i;
    }
  }
  return idx;
}

/** Stores or replaces a grant; false when full or storage failed. Replacing resets uses. */
export function putGrant(store: GrantStore, grant: Grant, raw: Uint8Array, now: number): boolean {
  const idx = grantSlotFor(store, grant.grantId, now);
  if (idx < 0) return false;
  const prev = store.slots[idx];
  const g: StagedGrant = {
    grant: grant, raw: copyBytes(raw), uses: 0,
    current: grant.credential.type === CRED_HASH_CHAIN || grant.credential.commitment.length === HASH_LENGTH ? copyBytes(grant.credential.commitment) : new Uint8Array(HASH_LENGTH),
    record: prev ? prev.record : { name: GRANT_RECORD + idx, seq: 0, slot: -1 }, fingerprint: grantFingerprint(raw)
  };
  if (!prev) {
    const existing = loadRecord(store.storage, GRANT_RECORD + idx);
    g.record = existing.slot;
  }
  if (!saveRecord(store.storage, g.record, encodeState(g))) return false;
  store.slots[idx] = g;
  return true;
}

/** Persists a grant's runtime state (uses and chain value) before the bolt moves. */
export function saveGrantState(store: GrantStore, g: StagedGrant): boolean {
  return saveRecord(store.storage, g.record, encodeState(g));
}

/**
 * Drops every staged grant (entering owner-consent mode, docs/protocol.md §11.3) without marking
 * them revoked: the relay may stage them again, with the owner's consent.
 */
export function clearGrants(store: GrantStore): void {
  for (let i = 0; i < store.slots.length; i++) {
    const s = store.slots[i];
    if (!s) continue;
    eraseRecord(store.storage, s.record);
    store.slots[i] = null;
  }
}

/** Revokes: remembers the id first, then erases the grant. */
export function revokeGrant(store: GrantStore, grantId: number): boolean {
  if (!isRevoked(store, grantId)) {
    const list = store.revoked.slice(0);
    list.push(grantId);
    while (list.length > MAX_REVOKED) list.shift();
    const bytes = new Uint8Array(list.length * 4);
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      bytes[4 * i] = Math.floor(v / 0x1000000) & 0xff;
      bytes[4 * i + 1] = (v >> 16) & 0xff;
      bytes[4 * i + 2] = (v >> 8) & 0xff;
      bytes[4 * i + 3] = v & 0xff;
    }
    if (!saveRecord(store.storage, store.revokedRecord, bytes)) return false;
    store.revoked = list;
  }
  for (let i = 0; i < store.slots.length; i++) {
    const s = store.slots[i];
    if (s && s.grant.grantId === grantId) {
      eraseRecord(store.storage, s.record);
      store.slots[i] = null;
    }
  }
  return true;
}

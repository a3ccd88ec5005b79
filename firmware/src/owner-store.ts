/**
 * The lock's owner-consent state (docs/protocol.md §11) as one power-safe record (`kwoc`): the
 * owner-consent mode flag, the replay window of owner statements, the enrolled owner keys and
 * the standing consents with their per-week entry counters. One record, so a power cut leaves
 * the whole old or the whole new state, never keys of one and a mode of the other.
 */
import {
  MAX_CONSENTS, MAX_OWNER_KEYS, consentPayload, expectEnd, lazyStruct, listOf, ranged, reader, struct, u32, u8, writer, written,
  type Consent, type ConsentCounters, type Infer, type ReplayState
} from '@keyway/shared';
import { trustedKey, type TrustedKey } from './config';
import { eraseRecord, loadRecord, saveRecord, type RecordSlot } from './record-store';
import type { StoragePort } from './ports';

export const OWNER_CONSENT_RECORD = 'kwoc';
/** Bytes a full record needs, rounded up: 9 + 1 + 4 × 36 + 1 + 4 × (10 + 53). */
const RECORD_CAPACITY = 420;

/** Built at each use (boot, and each change of the record), so a lock at rest keeps none of it. */
export const heldConsent = lazyStruct(function () {
  return struct([
    ['week0', u32],
    ['count0', u8],
    ['week1', u32],
    ['count1', u8],
    ['consent', consentPayload]
  ] as const);
});

export const ownerRecordCodec = lazyStruct(function () {
  return struct([
    ['mode', ranged(u8, 0, 1)],
    ['seqHigh', u32],
    ['seqMask', u32],
    ['keys', listOf(trustedKey, MAX_OWNER_KEYS)],
    ['consents', listOf(heldConsent, MAX_CONSENTS)]
  ] as const);
});

export type HeldConsent = Infer<typeof heldConsent.fields>;

export interface OwnerState {
  /** 1: owner-consent mode (docs/protocol.md §11.3). */
  mode: number;
  seq: ReplayState;
  keys: TrustedKey[];
  consents: HeldConsent[];
  rec: RecordSlot;
}

export function emptyOwnerState(rec: RecordSlot): OwnerState {
  return { mode: 0, seq: { high: 0, mask: 0 }, keys: [], consents: [], rec: rec };
}

/** Loads the record; a copy that does not decode counts as torn (recovered) and is ignored. */
export function loadOwnerState(storage: StoragePort): { state: OwnerState; recovered: boolean } {
  const r = loadRecord(storage, OWNER_CONSENT_RECORD);
  const st = emptyOwnerState(r.slot);
  let recovered = r.recovered;
  if (r.data) {
    try {
      const rd = reader(r.data);
      const v = ownerRecordCodec.read(rd);
      expectEnd(rd);
      st.mode = v.mode;
      st.seq = { high: v.seqHigh, mask: v.seqMask >>> 0 };
      st.keys = v.keys;
      st.consents = v.consents;
    } catch (_e) {
      recovered = true;
    }
  }
  return { state: st, recovered: recovered };
}

/** What a change would make the state; nothing is applied until `saveOwnerState` wrote it. */
export interface OwnerChange {
  mode: number;
  seq: ReplayState;
  keys: TrustedKey[];
  consents: HeldConsent[];
}

export function currentOwner(st: OwnerState): OwnerChange {
  return { mode: st.mode, seq: st.seq, keys: st.keys.slice(0), consents: st.consents.slice(0) };
}

/** Writes the changed state; only on success does the lock's state become it. */
export function saveOwnerState(storage: StoragePort, st: OwnerState, next: OwnerChange): boolean {
  const w = writer(RECORD_CAPACITY);
  ownerRecordCodec.write(w, {
    mode: next.mode, seqHigh: next.seq.high, seqMask: next.seq.mask >>> 0, keys: next.keys, consents: next.consents
  });
  if (!saveRecord(storage, st.rec, written(w))) return false;
  st.mode = next.mode;
  st.seq = next.seq;
  st.keys = next.keys;
  st.consents = next.consents;
  return true;
}

/** The physical recovery (docs/firmware.md, "Owner consent"): forget every owner key, consent and the mode. */
export function clearOwnerState(storage: StoragePort, st: OwnerState): void {
  eraseRecord(storage, st.rec);
  st.mode = 0;
  st.seq = { high: 0, mask: 0 };
  st.keys = [];
  st.consents = [];
}

export function ownerKeyFor(st: OwnerState, id: number): Uint8Array | null {
  for (let i = 0; i < st.keys.length; i++) if (st.keys[i].id === id) return st.keys[i].key;
  return null;
}

export function findConsent(st: OwnerState, consentId: number): HeldConsent | null {
  for (let i = 0; i < st.consents.length; i++) if (st.consents[i].consent.consentId === consentId) return st.consents[i];
  return null;
}

export function countersOf(h: HeldConsent): ConsentCounters {
  return { week0: h.week0, count0: h.count0, week1: h.week1, count1: h.count1 };
}

export function withCounters(h: HeldConsent, c: ConsentCounters): HeldConsent {
  return { week0: c.week0, count0: c.count0, week1: c.week1, count1: c.count1, consent: h.consent };
}

export function freshConsent(c: Consent): HeldConsent {
  return { week0: 0, count0: 0, week1: 0, count1: 0, consent: c };
}

/**
 * What the relay must send a lock so that the lock holds what the owner decided
 * (docs/sync.md). Pure: the desired state, the lock's reported inventory, the commands in
 * flight and the clock are parameters; the result is the ordered list of steps and whether
 * the two sides already agree. Order: revocations first (the lock accepts them without
 * trusted time), then the key, then grants; trusted time itself is settled by the status
 * intake with a nonce-bound TIME_SET. The owner's lock settings come last: they matter less
 * than who may enter.
 */

/** One grant as the relay wants it on the lock. */
export interface DesiredGrant {
  id: number;
  /** 'wanted' must be on the lock; 'remove' must not be (revoking, revoked, failed); 'either' is spent or over. */
  want: 'wanted' | 'remove' | 'either';
  /** Fingerprint (hex) of the payload the relay last signed for it. */
  fingerprint: string | null;
  /** A revocation the lock has not confirmed yet. */
  revoking: boolean;
  /**
   * The lock is in owner-consent mode and the grant has no form it would take from the relay
   * alone (it is not staged under a standing consent): only the owner can stage it, so the relay
   * never sends it (the lock would refuse with OWNER_SIGNATURE_REQUIRED).
   */
  needsOwner?: boolean;
}

export interface HeldGrant {
  grantId: number;
  fingerprint: string;
}

export type SyncTarget = { kind: 'revoke'; grantId: number } | { kind: 'rotate' } | { kind: 'put'; grantId: number } | { kind: 'settings' };

export interface SyncInputs {
  timeTrusted: boolean;
  /** Key ids the lock trusts, and the one the relay signs its commands with. */
  lockKeyIds: number[];
  /**
   * New keys of KEY_ROTATEs the lock acknowledged after that inventory was taken: it trusts them
   * although the inventory cannot list them yet (an older inventory must never move the relay
   * back to a key the lock has since retired).
   */
  keysAckedSinceInventory: number[];
  signingKeyId: number;
  /** The relay's current key: a lock on an older one is moved with KEY_ROTATE. */
  currentKeyId: number;
  /** Every key the relay still holds (it can sign with any of them). */
  relayKeyIds: number[];
  held: HeldGrant[];
  grants: DesiredGrant[];
  /** The settings revision the owner chose (null: never chose any), and the one the lock reports holding. */
  settingsRevision: number | null;
  heldSettingsRevision: number;
  /** Targets that have a command in flight (pending in the outbox), by targetKey(). */
  inFlight: ReadonlySet<string>;
}

export interface SyncPlan {
  steps: SyncTarget[];
  /**
   * The lock no longer trusts the key the relay signs with but trusts another key the relay
   * holds (a KEY_ROTATE ran but its ACK was lost): sign with that one from now on.
   */
  adoptKeyId: number | null;
  converged: boolean;
  /** Revocations the lock has not confirmed. */
  pendingRevocations: number[];
  /** Wanted grants the lock lacks (or holds in another version). */
  missing: number[];
  /** Grants the lock holds but must not. */
  extra: number[];
  /** Wanted grants the lock lacks that only an owner signature can stage (never sent by the relay). */
  needsOwner: number[];
  /** Wanted grants the lock holds in the version the relay last signed (proof the put ran). */
  held: number[];
  keyOk: boolean;
  /** The lock holds the owner's current settings (or the owner never chose any). */
  settingsOk: boolean;
}

export function targetKey(t: SyncTarget): string {
  return t.kind === 'rotate' || t.kind === 'settings' ? t.kind : t.kind + ':' + t.grantId;
}

export function planSync(i: SyncInputs): SyncPlan {
  const heldById: Record<number, string> = {};
  for (const h of i.held) heldById[h.grantId] = h.fingerprint;
  const byId: Record<number, DesiredGrant> = {};
  for (const g of i.grants) byId[g.id] = g;

  const extra: number[] = [];
  for (const h of i.held) {
    const g = byId[h.grantId];
    if (!g || g.want === 'remove') extra.push(h.grantId);
  }
  const pendingRevocations = i.grants.filter((g) => g.revoking).map((g) => g.id);
  const lacking = i.grants.filter((g) => g.want === 'wanted' && heldById[g.id] !== g.fingerprint);
  const missing = lacking.filter((g) => !g.needsOwner).map((g) => g.id);
  const needsOwner = lacking.filter((g) => g.needsOwner).map((g) => g.id);
  // Everything is signed with the key the relay believes the lock trusts: listed in its
  // inventory, or acknowledged by the lock since.
  const lockTrustsSigner = i.lockKeyIds.indexOf(i.signingKeyId) >= 0 || i.keysAckedSinceInventory.indexOf(i.signingKeyId) >= 0;
  const keyOk = lockTrustsSigner && i.signingKeyId === i.currentKeyId;

  const steps: SyncTarget[] = [];
  const add = (t: SyncTarget) => {
    if (!i.inFlight.has(targetKey(t)) && !steps.some((s) => targetKey(s) === targetKey(t))) steps.push(t);
  };
  // A revocation is confirmed only by the lock's ACK (it leaves a tombstone that beats any late
  // put), so a revoking grant gets one even when the inventory no longer lists it.
  for (const id of pendingRevocations) add({ kind: 'revoke', grantId: id });
  for (const id of extra) add({ kind: 'revoke', grantId: id });
  // If the lock does not trust the signing key, nothing signed can help (the owner is told), so
  // nothing is sent; a key the lock lists and the relay holds is adopted instead.
  let adoptKeyId: number | null = null;
  if (!lockTrustsSigner) {
    const held = i.lockKeyIds.filter((k) => i.relayKeyIds.indexOf(k) >= 0);
    adoptKeyId = held.indexOf(i.currentKeyId) >= 0 ? i.currentKeyId : held.length > 0 ? held[0] : null;
  }
  if (i.timeTrusted && lockTrustsSigner) {
    if (i.signingKeyId !== i.currentKeyId) add({ kind: 'rotate' });
    for (const id of missing) add({ kind: 'put', grantId: id });
  }
  // Any other revision on the lock (older, or newer after the relay's database went back in
  // time) means it does not hold what the owner chose; the issuer lifts a stale revision.
  const settingsOk = i.settingsRevision === null || i.heldSettingsRevision === i.settingsRevision;
  if (!settingsOk && i.timeTrusted && lockTrustsSigner) add({ kind: 'settings' });
  const converged = i.timeTrusted && keyOk && pendingRevocations.length === 0 && extra.length === 0 && missing.length === 0 && needsOwner.length === 0 &&
    settingsOk;
  const held = i.grants.filter((g) => g.want === 'wanted' && heldById[g.id] === g.fingerprint).map((g) => g.id);
  return { steps, adoptKeyId, converged, pendingRevocations, missing, extra, needsOwner, held, keyOk, settingsOk };
}

/** Milliseconds to wait before a target's next attempt, after `attempts` earlier ones (1, 2, 4 … 16 s). */
export const SYNC_RETRY_BASE_MS = 1000;
export const SYNC_RETRY_MAX_MS = 16_000;

export function retryDelayMs(attempts: number): number {
  if (attempts <= 0) return 0;
  return Math.min(SYNC_RETRY_MAX_MS, SYNC_RETRY_BASE_MS * Math.pow(2, attempts - 1));
}

/**
 * Owner consent on the lock (docs/protocol.md §11): which relay-signed commands need an owner
 * too, the cheap checks of an owner statement before its signature is verified, and the owner
 * actions (owner keys, the mode, standing consents, grants staged under a consent). Every
 * refusal leaves the state as it was; every change is written before it takes effect.
 */
import {
  ACT_CONSENT_MODE_SET, ACT_CONSENT_PUT, ACT_CONSENT_REMOVE, ACT_GRANT_PUT, ACT_KEY_ROTATE, ACT_OWNER_KEY_ADD,
  ACT_OWNER_KEY_REMOVE, ACT_OWNER_TIME, ACT_UNLATCH, ACT_UNLOCK, AL_OWNER_RESET, CONSENTED_GRANT_PREFIX, MAX_CONSENTS, MAX_OWNER_KEYS, RC_BAD_KEY,
  RC_CONFIRMATION_REQUIRED, RC_CONSENT_STORE_FULL, RC_GRANT_STORE_FULL, RC_LAST_OWNER_KEY, RC_NO_TRUSTED_TIME, RC_NOT_OWNER_ACTION, RC_NOT_PERMITTED, RC_OK,
  RC_OWNER_EXPIRED, RC_OWNER_KEY_STORE_FULL, RC_OWNER_REPLAY, RC_OWNER_SIGNATURE_REQUIRED, RC_REVOKED, RC_STALE_NONCE, RC_STORAGE_FAILURE,
  RC_UNKNOWN_CONSENT, RC_UNKNOWN_OWNER_KEY, RC_WRONG_DEVICE, bytesEqual, checkReplay, consentWeek, countConsentEntry, decodeOwnerStatement,
  decodePayload, decodePointValid, grantWithinConsent, isAcceptablePublicKey, keyIdOf, reasonForDecodeError, type Consent,
  type ConsentedGrantPayload, type OwnerKeyAddPayload, type SignedOwnerStatement
} from '@keyway/shared';
import { clearGrants, findGrant, grantSlotFor, isRevoked, putGrant } from './grant-store';
import type { Lock } from './lock-state';
import {
  clearOwnerState, countersOf, currentOwner, findConsent, freshConsent, ownerKeyFor, saveOwnerState, withCounters, type HeldConsent
} from './owner-store';
import { inInstallMode } from './provisioning';
import { alarm, lockTime, publishStatus } from './reporting';

/** True while the lock is in owner-consent mode. */
export function consentMode(lock: Lock): boolean {
  return lock.owner.mode === 1;
}

/**
 * For a command signed by the relay alone: RC_OK when the relay's signature is enough, else the
 * refusal. Runs before the signature is verified, so a refused command changes nothing.
 */
export function relayOnlyGate(lock: Lock, action: number, payload: Uint8Array): number {
  switch (action) {
    case ACT_OWNER_KEY_ADD:
      return inInstallMode(lock) ? RC_OK : RC_CONFIRMATION_REQUIRED;
    case ACT_OWNER_KEY_REMOVE:
    case ACT_CONSENT_MODE_SET:
    case ACT_CONSENT_PUT:
    case ACT_CONSENT_REMOVE:
    case ACT_OWNER_TIME:
      return RC_OWNER_SIGNATURE_REQUIRED;
    case ACT_GRANT_PUT:
    case ACT_KEY_ROTATE:
      return consentMode(lock) ? RC_OWNER_SIGNATURE_REQUIRED : RC_OK;
    case ACT_UNLOCK:
    case ACT_UNLATCH: {
      if (!consentMode(lock)) return RC_OK;
      // An unlock naming a staged grant uses what the owner consented to; a direct one needs the owner.
      let grantId = 0;
      try {
        grantId = decodePayload(action, payload).grantId;
      } catch (_e) {
        return RC_OK; // malformed: refused with its format code after the signature, as before
      }
      return grantId === 0 ? RC_OWNER_SIGNATURE_REQUIRED : RC_OK;
    }
    default:
      return RC_OK;
  }
}

/** Actions an owner statement may carry. */
function ownerAction(action: number): boolean {
  return action === ACT_GRANT_PUT || action === ACT_KEY_ROTATE || action === ACT_UNLOCK || action === ACT_UNLATCH ||
    action === ACT_OWNER_KEY_ADD || action === ACT_OWNER_KEY_REMOVE || action === ACT_CONSENT_MODE_SET || action === ACT_CONSENT_PUT ||
    action === ACT_CONSENT_REMOVE || action === ACT_OWNER_TIME;
}

export interface OwnerAdmission {
  code: number;
  statement: SignedOwnerStatement | null;
  key: Uint8Array | null;
  /** The inner payload, decoded. */
  inner: any;
}

function refused(code: number): OwnerAdmission {
  return { code: code, statement: null, key: null, inner: null };
}

/** Every check of an owner statement except its signature (docs/protocol.md §11.2). */
export function precheckOwner(lock: Lock, payload: Uint8Array): OwnerAdmission {
  let s: SignedOwnerStatement;
  try {
    s = decodeOwnerStatement(payload);
  } catch (e) {
    return refused(reasonForDecodeError(e));
  }
  if (!bytesEqual(s.deviceId, lock.config!.deviceId)) return refused(RC_WRONG_DEVICE);
  if (!ownerAction(s.action)) return refused(RC_NOT_OWNER_ACTION);
  const key = ownerKeyFor(lock.owner, s.ownerKeyId);
  if (!key) return refused(RC_UNKNOWN_OWNER_KEY);
  // OWNER_TIME is made fresh by this boot's challenge instead: it is what gives the lock time (§11.8).
  const timed = s.action !== ACT_OWNER_TIME;
  if (timed && !lock.timeTrusted) return refused(RC_NO_TRUSTED_TIME);
  if (timed && lockTime(lock) > s.notAfter) return refused(RC_OWNER_EXPIRED);
  if (checkReplay(lock.owner.seq, s.seq).code !== RC_OK) return refused(RC_OWNER_REPLAY);
  let inner: any;
  try {
    inner = decodePayload(s.action, s.payload);
  } catch (e) {
    return refused(reasonForDecodeError(e));
  }
  if (!timed && !bytesEqual(inner.nonce, lock.nonce)) return refused(RC_STALE_NONCE);
  return { code: RC_OK, statement: s, key: key, inner: inner };
}

/** Just before acting: the statement's key is still enrolled and its sequence number still unused. */
export function recheckOwner(lock: Lock, a: OwnerAdmission): number {
  const s = a.statement!;
  if (!ownerKeyFor(lock.owner, s.ownerKeyId)) return RC_UNKNOWN_OWNER_KEY;
  return checkReplay(lock.owner.seq, s.seq).code === RC_OK ? RC_OK : RC_OWNER_REPLAY;
}

/** After the owner signature verified: spends the statement's sequence number, power-safely, before acting. */
export function commitOwnerSeq(lock: Lock, seq: number): number {
  const r = checkReplay(lock.owner.seq, seq);
  if (r.code !== RC_OK) return RC_OWNER_REPLAY;
  const next = currentOwner(lock.owner);
  next.seq = r.next;
  return saveOwnerState(lock.ports.storage, lock.owner, next) ? RC_OK : RC_STORAGE_FAILURE;
}

/**
 * Turns owner-consent mode on: first every staged grant is dropped (none of them was checked
 * against the owner), then the mode is written. A cut in between leaves fewer grants and the
 * old mode: never relay-only grants under the new one.
 */
function enterConsentMode(lock: Lock, next: { mode: number }): void {
  if (lock.owner.mode === 1) return;
  clearGrants(lock.grants);
  next.mode = 1;
}

/** OWNER_KEY_ADD: confirmed by install mode (relay-only) or an owner signature (the caller checked which). */
export function applyOwnerKeyAdd(lock: Lock, p: OwnerKeyAddPayload): number {
  if (p.ownerKeyId !== keyIdOf(p.ownerKey) || !isAcceptablePublicKey(p.ownerKey) || !decodePointValid(p.ownerKey)) return RC_BAD_KEY;
  if (ownerKeyFor(lock.owner, p.ownerKeyId)) return RC_OK;
  if (lock.owner.keys.length >= MAX_OWNER_KEYS) return RC_OWNER_KEY_STORE_FULL;
  const next = currentOwner(lock.owner);
  next.keys.push({ id: p.ownerKeyId, key: p.ownerKey });
  // The bootstrap rule: the first owner key switches owner-consent mode on.
  if (lock.owner.keys.length === 0) enterConsentMode(lock, next);
  if (!saveOwnerState(lock.ports.storage, lock.owner, next)) return RC_STORAGE_FAILURE;
  publishStatus(lock);
  return RC_OK;
}

export function applyOwnerKeyRemove(lock: Lock, ownerKeyId: number): number {
  if (!ownerKeyFor(lock.owner, ownerKeyId)) return RC_OK;
  const next = currentOwner(lock.owner);
  next.keys = [];
  for (let i = 0; i < lock.owner.keys.length; i++) if (lock.owner.keys[i].id !== ownerKeyId) next.keys.push(lock.owner.keys[i]);
  if (next.keys.length === 0 && consentMode(lock)) return RC_LAST_OWNER_KEY;
  return saveOwnerState(lock.ports.storage, lock.owner, next) ? RC_OK : RC_STORAGE_FAILURE;
}

export function applyConsentMode(lock: Lock, on: number): number {
  const next = currentOwner(lock.owner);
  if (on === 1) enterConsentMode(lock, next);
  else next.mode = 0;
  if (!saveOwnerState(lock.ports.storage, lock.owner, next)) return RC_STORAGE_FAILURE;
  publishStatus(lock);
  return RC_OK;
}

/** Adds or replaces a standing consent; a replacement keeps the week counters (they are the lock's, not the owner's). */
export function applyConsentPut(lock: Lock, c: Consent): number {
  const next = currentOwner(lock.owner);
  const held = findConsent(lock.owner, c.consentId);
  if (held) {
    for (let i = 0; i < next.consents.length; i++) if (next.consents[i] === held) next.consents[i] = withCounters(freshConsent(c), countersOf(held));
  } else {
    if (next.consents.length >= MAX_CONSENTS) return RC_CONSENT_STORE_FULL;
    next.consents.push(freshConsent(c));
  }
  return saveOwnerState(lock.ports.storage, lock.owner, next) ? RC_OK : RC_STORAGE_FAILURE;
}

export function applyConsentRemove(lock: Lock, consentId: number): number {
  if (!findConsent(lock.owner, consentId)) return RC_OK;
  const next = currentOwner(lock.owner);
  next.consents = [];
  for (let i = 0; i < lock.owner.consents.length; i++) if (lock.owner.consents[i].consent.consentId !== consentId) next.consents.push(lock.owner.consents[i]);
  return saveOwnerState(lock.ports.storage, lock.owner, next) ? RC_OK : RC_STORAGE_FAILURE;
}

/**
 * CONSENTED_GRANT_PUT (docs/protocol.md §11.5): a relay-signed grant staged because it lies inside
 * a standing consent. The week's entry is counted and written before the grant is staged, so a
 * cut can lose an entry, never add one; a staged grant is never replaced this way (that would
 * reset its uses).
 */
export function applyConsentedGrantPut(lock: Lock, p: ConsentedGrantPayload, raw: Uint8Array): number {
  const held: HeldConsent | null = findConsent(lock.owner, p.consentId);
  if (!held) return RC_UNKNOWN_CONSENT;
  const g = p.grant;
  const inside = grantWithinConsent(held.consent, p.partner, g);
  if (inside !== RC_OK) return inside;
  if (isRevoked(lock.grants, g.grantId)) return RC_REVOKED;
  if (findGrant(lock.grants, g.grantId)) return RC_NOT_PERMITTED;
  if (grantSlotFor(lock.grants, g.grantId, lockTime(lock)) < 0) return RC_GRANT_STORE_FULL;
  const counted = countConsentEntry(countersOf(held), consentWeek(g.notBefore, held.consent.tzOffset), held.consent.maxPerWeek);
  if (counted.code !== RC_OK) return counted.code;
  const next = currentOwner(lock.owner);
  for (let i = 0; i < next.consents.length; i++) if (next.consents[i] === held) next.consents[i] = withCounters(held, counted.next);
  if (!saveOwnerState(lock.ports.storage, lock.owner, next)) return RC_STORAGE_FAILURE;
  if (!putGrant(lock.grants, g, raw.subarray(CONSENTED_GRANT_PREFIX), lockTime(lock))) return RC_STORAGE_FAILURE;
  publishStatus(lock);
  return RC_OK;
}

/**
 * The physical recovery (docs/firmware.md, "Owner consent"): holding the inside button for 15 s,
 * starting while the lock is in install mode, forgets every owner key, consent and the mode. Staged
 * grants stay; the next owner key enrolled in install mode switches the mode on again.
 */
export function ownerReset(lock: Lock): void {
  clearOwnerState(lock.ports.storage, lock.owner);
  alarm(lock, AL_OWNER_RESET, 0, []);
  publishStatus(lock);
}

/**
 * Entry at the door without a signature (protocol §5): a reveal of the next hash-chain
 * value of a staged grant (from the relay over MQTT, or scanned as a `KW1:` code when the
 * network is down), or a parcel barcode for a parcel box. One hash, a constant-time
 * compare, then the evidence-first unlock. Bad credentials count towards the lockout.
 */
import {
  ACT_UNLOCK, ACTOR_COURIER, ACTOR_GUEST, ACTOR_PARCEL, ACTOR_SERVICE, AL_REPEATED_FAILURES, CRED_BARCODE, CRED_HASH_CHAIN,
  EV_DENIAL, FLAG_CAMERA_REQUIRED, FLAG_RELOCK_ON_CLOSE, GRANT_COURIER, GRANT_PARCEL, GRANT_SERVICE, RC_BAD_CREDENTIAL,
  RC_BAD_FORMAT, RC_LOCKOUT, RC_NOT_PERMITTED, RC_OK, RC_STORAGE_FAILURE, RC_WRONG_DEVICE, SRC_BARCODE,
  barcodeCommitment, bytesEqual, chainStep, copyBytes, decodeReveal, fromHex, reasonForDecodeError
} from '@keyway/shared';
import { actuate } from './actuation';
import { grantUsable, recheckGrant } from './grant-actions';
import { findGrant, saveGrantState, type StagedGrant } from './grant-store';
import { lockedOut, recordFailure } from './lockout';
import type { Lock } from './lock-state';
import { alarm, emit, publishStatus } from './reporting';

function actorFor(kind: number): number {
  if (kind === GRANT_COURIER) return ACTOR_COURIER;
  if (kind === GRANT_SERVICE) return ACTOR_SERVICE;
  if (kind === GRANT_PARCEL) return ACTOR_PARCEL;
  return ACTOR_GUEST;
}

function deny(lock: Lock, code: number, grantId: number, g: StagedGrant | null, source: number): void {
  emit(lock, EV_DENIAL, code, grantId, g ? actorFor(g.grant.kind) : 0, g ? g.grant.actorRef : 0, [ACT_UNLOCK, source]);
}

/** Counts a failed credential or signature; the fifth within the window starts a lockout. */
export function recordAttemptFailure(lock: Lock): void {
  if (recordFailure(lock.lockout, lock.ports.timers.millis())) {
    alarm(lock, AL_REPEATED_FAILURES, lock.lockout.level, []);
    publishStatus(lock);
  }
}

export function onReveal(lock: Lock, bytes: Uint8Array, source: number): void {
  if (!lock.config) return;
  let r;
  try {
    r = decodeReveal(bytes);
  } catch (e) {
    deny(lock, reasonForDecodeError(e), 0, null, source);
    return;
  }
  if (!bytesEqual(r.deviceId, lock.config.deviceId)) {
    deny(lock, RC_WRONG_DEVICE, r.grantId, null, source);
    return;
  }
  enterWithChainValue(lock, r.grantId, r.value, source);
}

function enterWithChainValue(lock: Lock, grantId: number, value: Uint8Array, source: number): void {
  const cfg = lock.config!;
  const g = findGrant(lock.grants, grantId);
  if (lockedOut(lock.lockout, lock.ports.timers.millis())) {
    deny(lock, RC_LOCKOUT, grantId, g, source);
    return;
  }
  const usable = grantUsable(lock, g, grantId);
  if (usable !== RC_OK) {
    deny(lock, usable, grantId, g, source);
    return;
  }
  if (g!.grant.credential.type !== CRED_HASH_CHAIN) {
    deny(lock, RC_NOT_PERMITTED, grantId, g, source);
    return;
  }
  const v = copyBytes(value);
  if (!bytesEqual(chainStep(cfg.deviceId, grantId, v), g!.current)) {
    recordAttemptFailure(lock);
    deny(lock, RC_BAD_CREDENTIAL, grantId, g, source);
    return;
  }
  const grant = g!;
  const expected = copyBytes(grant.current);
  unlockOnGrant(lock, grant, source, function () {
    // Spend the value before the bolt moves. If another entry won the race, `current` has moved
    // on; while it still equals what `v` was checked against, the check above still holds
    // (no second SHA-512 at the door).
    const again = recheckGrant(lock, grant);
    if (again !== RC_OK) return again;
    if (!bytesEqual(expected, grant.current)) return RC_BAD_CREDENTIAL;
    grant.current = v;
    grant.uses++;
    return saveGrantState(lock.grants, grant) ? RC_OK : RC_STORAGE_FAILURE;
  });
}

function unlockOnGrant(lock: Lock, g: StagedGrant, source: number, commit: () => number): void {
  const kind = actorFor(g.grant.kind);
  actuate(lock, {
    target: -1, camera: (g.grant.flags & FLAG_CAMERA_REQUIRED) !== 0, actorKind: kind, actorRef: g.grant.actorRef,
    ref: g.grant.grantId, source: source, action: ACT_UNLOCK, relockAfter: g.grant.relockAfter,
    relockOnClose: (g.grant.flags & FLAG_RELOCK_ON_CLOSE) !== 0, commit: commit, grantId: g.grant.grantId
  }, function (result: number, moved: boolean) {
    // Movement outcomes are OPERATION events; refusals before the motor are denials.
    if (result !== RC_OK && !moved) deny(lock, result, g.grant.grantId, g, source);
  });
}

/**
 * Parses a scanned guest credential `KW1:<grant id>:<64 hex>` (protocol §5.1); null for
 * anything else. Written without regex quantifiers, which Espruino's RegExp lacks.
 */
export function parseScanCode(text: string): { grantId: number; value: Uint8Array } | null {
  if (text.indexOf('KW1:') !== 0) return null;
  const parts = text.split(':');
  if (parts.length !== 3 || parts[1].length < 1 || parts[1].length > 10 || parts[2].length !== 64) return null;
  for (let i = 0; i < parts[1].length; i++) {
    const c = parts[1].charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const id = parseInt(parts[1], 10);
  if (id < 1 || id > 0xffffffff) return null;
  try {
    return { grantId: id, value: fromHex(parts[2]) };
  } catch (_e) {
    return null;
  }
}

/** A line from the barcode/QR reader: a `KW1:` guest credential or a parcel tracking number. */
export function onScan(lock: Lock, line: string): void {
  if (!lock.config) return;
  const text = line.trim();
  const code = parseScanCode(text);
  if (code) {
    enterWithChainValue(lock, code.grantId, code.value, SRC_BARCODE);
    return;
  }
  let c: Uint8Array;
  try {
    c = barcodeCommitment(lock.config.deviceId, text);
  } catch (_e) {
    deny(lock, RC_BAD_FORMAT, 0, null, SRC_BARCODE);
    return;
  }
  if (lockedOut(lock.lockout, lock.ports.timers.millis())) {
    deny(lock, RC_LOCKOUT, 0, null, SRC_BARCODE);
    return;
  }
  const slots = lock.grants.slots;
  let match: StagedGrant | null = null;
  for (let i = 0; i < slots.length; i++) {
    const g = slots[i];
    if (g && g.grant.credential.type === CRED_BARCODE && bytesEqual(g.grant.credential.commitment, c)) match = g;
  }
  if (!match) {
    recordAttemptFailure(lock);
    deny(lock, RC_BAD_CREDENTIAL, 0, null, SRC_BARCODE);
    return;
  }
  const usable = grantUsable(lock, match, match.grant.grantId);
  if (usable !== RC_OK) {
    deny(lock, usable, match.grant.grantId, match, SRC_BARCODE);
    return;
  }
  const g = match;
  unlockOnGrant(lock, g, SRC_BARCODE, function () {
    const again = recheckGrant(lock, g);
    if (again !== RC_OK) return again;
    g.uses++;
    return saveGrantState(lock.grants, g) ? RC_OK : RC_STORAGE_FAILURE;
  });
}


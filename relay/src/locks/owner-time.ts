/**
 * Locks waiting for an owner device to confirm their clock (docs/protocol.md §11.8): a lock that
 * boots in owner-consent mode uses no staged grant until an owner-signed OWNER_TIME reached it.
 * The relay notices the wait from the boot status (owner consent on, no trusted time) and from
 * any refusal with OWNER_TIME_REQUIRED, shows it to the owner page, which confirms the clock by
 * itself, and forgets it once the lock acknowledged the confirmation. Kept in memory: after a
 * relay restart the first refused entry marks the lock again.
 */
import { RC_OWNER_TIME_REQUIRED, ST_OWNER_CONSENT, ST_TIME_TRUSTED } from '@keyway/shared';
import type { RelayContext } from '../context';

const waiting = new WeakMap<RelayContext, Set<string>>();

function waitingOf(ctx: RelayContext): Set<string> {
  let s = waiting.get(ctx);
  if (!s) {
    s = new Set();
    waiting.set(ctx, s);
  }
  return s;
}

/** True when the lock waits for an owner-confirmed time. */
export function ownerTimeNeeded(ctx: RelayContext, deviceId: string): boolean {
  return waitingOf(ctx).has(deviceId);
}

/** A status: a lock in owner-consent mode without trusted time has just booted. */
export function noteStatusForOwnerTime(ctx: RelayContext, deviceId: string, flags: number): void {
  if ((flags & ST_OWNER_CONSENT) !== 0 && (flags & ST_TIME_TRUSTED) === 0) waitingOf(ctx).add(deviceId);
  else if ((flags & ST_OWNER_CONSENT) === 0) waitingOf(ctx).delete(deviceId);
}

/** A lock answer: OWNER_TIME_REQUIRED marks the lock as waiting; true when it was not marked before. */
export function noteReasonForOwnerTime(ctx: RelayContext, deviceId: string, code: number): boolean {
  if (code !== RC_OWNER_TIME_REQUIRED || ownerTimeNeeded(ctx, deviceId)) return false;
  waitingOf(ctx).add(deviceId);
  return true;
}

/** The lock acknowledged an owner's OWNER_TIME. */
export function ownerTimeConfirmed(ctx: RelayContext, deviceId: string): void {
  waitingOf(ctx).delete(deviceId);
}

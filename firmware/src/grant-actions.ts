/** GRANT_PUT, GRANT_REVOKE and signed unlocks that name a grant (protocol §3.2, §4). */
import {
  RC_BAD_CREDENTIAL, RC_GRANT_STORE_FULL, RC_NO_TRUSTED_TIME, RC_OK, RC_OWNER_TIME_REQUIRED, RC_REVOKED, RC_STORAGE_FAILURE, RC_UNKNOWN_GRANT, RC_USES_EXHAUSTED,
  checkGrantTime, type Grant
} from '@keyway/shared';
import { findGrant, isRevoked, putGrant, revokeGrant, saveGrantState, type StagedGrant } from './grant-store';
import type { Lock } from './lock-state';
import { lockTime, publishStatus } from './reporting';

export function applyGrantPut(lock: Lock, grant: Grant, raw: Uint8Array): number {
  if (isRevoked(lock.grants, grant.grantId)) return RC_REVOKED;
  if (!putGrant(lock.grants, grant, raw, lockTime(lock))) return findGrant(lock.grants, grant.grantId) ? RC_STORAGE_FAILURE : RC_GRANT_STORE_FULL;
  publishStatus(lock);
  return RC_OK;
}

export function applyRevoke(lock: Lock, grantId: number): number {
  if (!revokeGrant(lock.grants, grantId)) return RC_STORAGE_FAILURE;
  publishStatus(lock);
  return RC_OK;
}

/** Time, use and revocation rules every use of a grant passes (the lock enforces them). */
export function grantUsable(lock: Lock, g: StagedGrant | null, grantId: number): number {
  if (!g) return isRevoked(lock.grants, grantId) ? RC_REVOKED : RC_UNKNOWN_GRANT;
  if (!lock.timeTrusted) return RC_NO_TRUSTED_TIME;
  // After a reboot in owner-consent mode the relay alone may have set the clock forward into a window (docs/sync.md).
  if (lock.ownerTimePending && lock.owner.mode === 1) return RC_OWNER_TIME_REQUIRED;
  const t = checkGrantTime(g.grant, lockTime(lock));
  if (t !== RC_OK) return t;
  if (g.grant.maxUses > 0 && g.uses >= g.grant.maxUses) return RC_USES_EXHAUSTED;
  return RC_OK;
}

/**
 * At commit time, after the camera wait: the grant must still be the one staged when the entry
 * was checked, and still usable. A revocation, a replacement or the end of the window may have
 * arrived meanwhile (docs/product.md#reliability-properties: revocation wins; nothing of an erased grant is written back).
 */
export function recheckGrant(lock: Lock, g: StagedGrant): number {
  const id = g.grant.grantId;
  const staged = findGrant(lock.grants, id);
  if (staged !== g) return staged ? RC_BAD_CREDENTIAL : grantUsable(lock, null, id);
  return grantUsable(lock, g, id);
}

export interface GrantCheck {
  code: number;
  grant: StagedGrant | null;
  commit: (() => number) | null;
}

/** For a signed UNLOCK: grant 0 is a direct request; otherwise the grant must be usable now. */
export function grantUnlockCheck(lock: Lock, grantId: number): GrantCheck {
  if (grantId === 0) return { code: RC_OK, grant: null, commit: null };
  const g = findGrant(lock.grants, grantId);
  const code = grantUsable(lock, g, grantId);
  if (code !== RC_OK) return { code: code, grant: null, commit: null };
  return {
    code: RC_OK,
    grant: g,
    commit: function () {
      const again = recheckGrant(lock, g!);
      if (again !== RC_OK) return again;
      g!.uses++;
      return saveGrantState(lock.grants, g!) ? RC_OK : RC_STORAGE_FAILURE;
    }
  };
}

/**
 * Locks waiting for an owner device to confirm their clock (docs/protocol.md §11.8): a lock that
 * boots in owner-consent mode uses no staged grant until an owner-signed OWNER_TIME reached it.
 * The relay notices the wait from the boot status (owner consent on, no trusted time) and from
 * any refusal with OWNER_TIME_REQUIRED, shows it to the owner page, which confirms the clock by
 * itself, and forgets it once the lock acknowledged the confirmation. The mark is a column of the
 * device row, so every relay of a set shows it, whichever one took the status or the refusal in.
 */
import { RC_OWNER_TIME_REQUIRED, ST_OWNER_CONSENT, ST_TIME_TRUSTED } from '@keyway/shared';
import type { RelayContext } from '../context';
import { setOwnerTimeNeeded, type DeviceRow } from '../data/devices';
import type { Q } from '../data/store';
import { recordActivity } from '../domain/activity';
import { notifySiteOwner } from '../domain/notifications';

/** The owner's notification (and activity row) when a lock starts waiting for an owner-confirmed time. */
export const OWNER_TIME_NEEDED_KIND = 'lock.owner_time_needed';

/** True when the lock waits for an owner-confirmed time. */
export function ownerTimeNeeded(d: DeviceRow): boolean {
  return d.owner_time_needed === 1;
}

/**
 * The mark after a status with `flags`, given the stored one (`owner_time_needed`): a lock in
 * owner-consent mode without trusted time has just booted and waits; a lock with the mode off
 * never does; otherwise the mark stays as it was. The status intake stores it with the status,
 * in the same statement.
 */
export function ownerTimeNeededAfterStatus(flags: number, stored: number): number {
  if ((flags & ST_OWNER_CONSENT) === 0) return 0;
  return (flags & ST_TIME_TRUSTED) === 0 ? 1 : stored;
}

/** A lock answer: OWNER_TIME_REQUIRED marks the lock as waiting; true when it was not marked before. */
export function noteReasonForOwnerTime(q: Q, deviceId: string, code: number): Promise<boolean> {
  return code === RC_OWNER_TIME_REQUIRED ? setOwnerTimeNeeded(q, deviceId, true) : Promise.resolve(false);
}

/** The lock acknowledged an owner's OWNER_TIME. */
export async function ownerTimeConfirmed(q: Q, deviceId: string): Promise<void> {
  await setOwnerTimeNeeded(q, deviceId, false);
}

/**
 * A lock has just started waiting (the mark went from clear to set, from a status or a refusal):
 * the owner is told away from the page too, since guests and couriers stay outside until an
 * enrolled owner device opens the page. Once per wait: a lock that stays marked is not told again.
 */
export async function tellOwnerTimeNeeded(ctx: RelayContext, q: Q, d: Pick<DeviceRow, 'id' | 'site_id'>, cause: 'boot' | 'refusal'): Promise<void> {
  await recordActivity(ctx, q, { siteId: d.site_id, deviceId: d.id, kind: OWNER_TIME_NEEDED_KIND, reason: cause, actorKind: null, actorId: null });
  await notifySiteOwner(ctx, q, d.site_id, OWNER_TIME_NEEDED_KIND, { deviceId: d.id, cause });
  ctx.log.info({ deviceId: d.id, cause }, 'lock waits for an owner-confirmed time');
}

/**
 * When a lock's status calls for the sync (reconcile.ts). A lock publishes a status after every
 * change of bolt or door, several per door action; running the whole sync (device row, grants,
 * settings, commands in flight) for each one was most of the relay's work per authorization
 * (`bench/relay.mts --profile`). The sync looks again when something it plans from may have
 * changed since it last ran, and otherwise leaves the lock as it recorded it: converged.
 *
 * What the relay changes on its side (a grant, a revocation, a key rotation, settings) issues its
 * commands itself or runs the sync; retries have their own timers, and the maintenance sweep runs
 * the sync for every online lock in case anything was missed (docs/sync.md).
 */
import { ST_OWNER_CONSENT, ST_TIME_TRUSTED } from '@keyway/shared';
import type { DeviceRow } from '../data/devices';

/**
 * The status flags the sync plans from: trusted time, and owner-consent mode (grants then need
 * the owner's statement). Busy, camera, battery and the like change with every door action.
 */
export const SYNC_FLAGS = ST_TIME_TRUSTED | ST_OWNER_CONSENT;

/** What a status reports that the sync plans from, as stored on the device row. */
export interface ReportedSyncState {
  flags: number;
  invKeys: string;
  invGrants: string;
  /** The settings revision the lock holds, and the owner's current one (null: no settings). */
  heldSettingsRevision: number;
  settingsRevision: number | null;
  /** The relay's current signing key id. */
  currentKeyId: number;
}

/** True when the status `now` may need the sync; `before` is the device row as it was before it. */
export function statusNeedsSync(before: DeviceRow, now: ReportedSyncState): boolean {
  if (before.sync_state !== 'converged') return true;
  // The first status of a connection: the lock may have been reset or restored meanwhile.
  if (before.inv_at === null || before.online_since === null || before.inv_at < before.online_since) return true;
  // Without trusted time each status brings a new nonce to bind a TIME_SET to.
  if ((now.flags & ST_TIME_TRUSTED) === 0 || before.flags === null || (before.flags & SYNC_FLAGS) !== (now.flags & SYNC_FLAGS)) return true;
  if (before.inv_keys !== now.invKeys || before.inv_grants !== now.invGrants) return true;
  if (now.settingsRevision !== null && now.settingsRevision !== now.heldSettingsRevision) return true;
  return before.signing_key_id !== now.currentKeyId;
}

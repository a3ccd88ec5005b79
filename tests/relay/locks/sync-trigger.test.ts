import { describe, expect, it } from 'vitest';
import { ST_BUSY, ST_CAMERA_OK, ST_OWNER_CONSENT, ST_TIME_TRUSTED } from '@keyway/shared';
import type { DeviceRow } from '../../../relay/src/data/devices';
import { statusNeedsSync, type ReportedSyncState } from '../../../relay/src/locks/sync-trigger';

const CONNECTED_AT = 1_000;
const KEYS = '[1]';
const GRANTS = '[[7,"aabbccdd"]]';
const KEY_ID = 1;

/** A converged lock whose last status, after it connected, showed KEYS and GRANTS. */
function row(over: Partial<DeviceRow> = {}): DeviceRow {
  return {
    sync_state: 'converged', online_since: CONNECTED_AT, inv_at: CONNECTED_AT + 5, flags: ST_TIME_TRUSTED, inv_keys: KEYS, inv_grants: GRANTS,
    signing_key_id: KEY_ID, ...over
  } as DeviceRow;
}

/** The same report again. */
function same(over: Partial<ReportedSyncState> = {}): ReportedSyncState {
  return { flags: ST_TIME_TRUSTED, invKeys: KEYS, invGrants: GRANTS, heldSettingsRevision: 3, settingsRevision: 3, currentKeyId: KEY_ID, ...over };
}

describe('statusNeedsSync: the sync runs for a status only when something it plans from may have changed', () => {
  it('skips a repeated report of a converged lock', () => {
    expect(statusNeedsSync(row(), same())).toBe(false);
    expect(statusNeedsSync(row(), same({ settingsRevision: null, heldSettingsRevision: 0 }))).toBe(false);
  });

  it('runs while the lock is not converged (syncing, or never planned)', () => {
    expect(statusNeedsSync(row({ sync_state: 'syncing' }), same())).toBe(true);
    expect(statusNeedsSync(row({ sync_state: 'unknown' }), same())).toBe(true);
  });

  it('runs for the first status of a connection', () => {
    expect(statusNeedsSync(row({ inv_at: CONNECTED_AT - 1 }), same())).toBe(true);
    expect(statusNeedsSync(row({ inv_at: null }), same())).toBe(true);
    expect(statusNeedsSync(row({ online_since: null }), same())).toBe(true);
  });

  it('runs for every status without trusted time (each brings a nonce for TIME_SET), and when consent mode changes', () => {
    expect(statusNeedsSync(row({ flags: 0 }), same({ flags: 0 }))).toBe(true);
    expect(statusNeedsSync(row(), same({ flags: ST_TIME_TRUSTED | ST_OWNER_CONSENT }))).toBe(true);
    expect(statusNeedsSync(row({ flags: ST_TIME_TRUSTED | ST_OWNER_CONSENT }), same())).toBe(true);
    expect(statusNeedsSync(row({ flags: null }), same())).toBe(true);
  });

  it('skips flags the sync does not plan from (busy, camera health), which change with every door action', () => {
    expect(statusNeedsSync(row(), same({ flags: ST_TIME_TRUSTED | ST_BUSY }))).toBe(false);
    expect(statusNeedsSync(row({ flags: ST_TIME_TRUSTED | ST_BUSY | ST_CAMERA_OK }), same({ flags: ST_TIME_TRUSTED | ST_CAMERA_OK }))).toBe(false);
  });

  it('runs when the inventory of keys or grants changed', () => {
    expect(statusNeedsSync(row(), same({ invKeys: '[1,2]' }))).toBe(true);
    expect(statusNeedsSync(row(), same({ invGrants: '[]' }))).toBe(true);
  });

  it('runs when the held settings are not the owner\'s revision, or the relay signs with another key', () => {
    expect(statusNeedsSync(row(), same({ heldSettingsRevision: 2 }))).toBe(true);
    expect(statusNeedsSync(row(), same({ currentKeyId: KEY_ID + 1 }))).toBe(true);
  });
});

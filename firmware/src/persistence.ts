/**
 * Loading and saving the lock's persistent state (docs/product.md#reliability-properties): config, replay window and
 * grants as power-safe records, the log as a ring. Boot re-reads the bolt from the switches.
 */
import { initialReplayState, type ReplayState } from '@keyway/shared';
import { decodeConfig, encodeConfig, type LockConfig } from './config';
import type { Lock } from './lock-state';
import { loadRecord, saveRecord, type RecordSlot } from './record-store';
import type { StoragePort } from './ports';

export const CONFIG_RECORD = 'kwcfg';
export const REPLAY_RECORD = 'kwrp';
export const OWNER_RECORD = 'kwown';

/**
 * Replay state, grants and the log belong to one identity. When a lock is re-provisioned
 * with a new device id, everything of the old identity is wiped before the new one acts;
 * a cut during the wipe simply wipes again at the next boot.
 */
export function ensureStateOwner(storage: StoragePort, deviceId: Uint8Array): void {
  const r = loadRecord(storage, OWNER_RECORD);
  if (r.data && r.data.length === deviceId.length) {
    let same = true;
    for (let i = 0; i < deviceId.length; i++) if (r.data[i] !== deviceId[i]) same = false;
    if (same) return;
  }
  const names = storage.list('kw');
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    if (n.indexOf(CONFIG_RECORD) === 0 || n.indexOf(OWNER_RECORD) === 0) continue;
    storage.erase(n);
  }
  saveRecord(storage, r.slot, deviceId);
}

export interface LoadedConfig {
  config: LockConfig | null;
  rec: RecordSlot;
  recovered: boolean;
}

export function loadConfig(storage: StoragePort): LoadedConfig {
  const r = loadRecord(storage, CONFIG_RECORD);
  let config: LockConfig | null = null;
  if (r.data) {
    try {
      config = decodeConfig(r.data);
    } catch (_e) {
      config = null;
    }
  }
  return { config: config, rec: r.slot, recovered: r.recovered };
}

export function saveConfig(lock: Lock, config: LockConfig): boolean {
  if (!saveRecord(lock.ports.storage, lock.configRec, encodeConfig(config))) return false;
  lock.config = config;
  return true;
}

export function loadReplay(storage: StoragePort): { state: ReplayState; rec: RecordSlot; recovered: boolean } {
  const r = loadRecord(storage, REPLAY_RECORD);
  let state = initialReplayState();
  if (r.data && r.data.length === 8) {
    const d = r.data;
    state = {
      high: d[0] * 0x1000000 + ((d[1] << 16) | (d[2] << 8) | d[3]),
      mask: (d[4] * 0x1000000 + ((d[5] << 16) | (d[6] << 8) | d[7])) >>> 0
    };
  }
  return { state: state, rec: r.slot, recovered: r.recovered };
}

/** Persists the replay window; the command acts only after this returns true. */
export function saveReplay(lock: Lock, state: ReplayState): boolean {
  const d = new Uint8Array(8);
  const vals = [state.high, state.mask];
  for (let k = 0; k < 2; k++) {
    const v = vals[k];
    d[4 * k] = Math.floor(v / 0x1000000) & 0xff;
    d[4 * k + 1] = (v >> 16) & 0xff;
    d[4 * k + 2] = (v >> 8) & 0xff;
    d[4 * k + 3] = v & 0xff;
  }
  if (!saveRecord(lock.ports.storage, lock.replayRec, d)) return false;
  lock.replay = state;
  return true;
}

/** A fresh challenge (protocol §3.5); RAM only, so a reboot invalidates every old one. */
export function newNonce(lock: Lock): void {
  lock.nonce = lock.ports.random(8);
}

/**
 * Loading and saving the lock's persistent state (docs/product.md#reliability-properties): config, replay window and
 * grants as power-safe records, the log as a ring. Boot re-reads the bolt from the switches.
 */
import { NONCE_LENGTH, concatBytes, copyBytes, initialReplayState, sha512, type ReplayState } from '@keyway/shared';
import { decodeConfig, encodeConfig, type LockConfig } from './config';
import type { Lock } from './lock-state';
import { loadRecord, saveRecord, type RecordSlot } from './record-store';
import type { StoragePort } from './ports';

export const CONFIG_RECORD = 'kwcfg';
export const REPLAY_RECORD = 'kwrp';
export const OWNER_RECORD = 'kwown';
export const BOOT_RECORD = 'kwboot';
/** The lock's own signing key: it belongs to the board, not to an identity, and survives re-provisioning. */
export const LOCK_KEY_RECORD = 'kwlk';

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
    if (n.indexOf(CONFIG_RECORD) === 0 || n.indexOf(OWNER_RECORD) === 0 || n.indexOf(BOOT_RECORD) === 0 || n.indexOf(LOCK_KEY_RECORD) === 0) continue;
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

function u32Bytes(v: number): Uint8Array {
  return new Uint8Array([Math.floor(v / 0x1000000) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
}

/**
 * Counts boots in a power-safe record and returns the new count. It goes into every
 * challenge nonce, so a board whose random source repeats after a reset (Espruino's Linux
 * build) still never repeats a nonce across boots.
 */
export function countBoot(storage: StoragePort): number {
  const r = loadRecord(storage, BOOT_RECORD);
  const d = r.data;
  const last = d && d.length === 4 ? d[0] * 0x1000000 + ((d[1] << 16) | (d[2] << 8) | d[3]) : 0;
  const next = (last + 1) % 0x100000000;
  saveRecord(storage, r.slot, u32Bytes(next));
  return next;
}

/**
 * A fresh challenge (protocol §3.5); RAM only, so a reboot invalidates every old one. The
 * board's random bytes are mixed by SHA-512 with the boot count, a per-boot counter, timer
 * jitter, an ADC reading (battery) and the previous nonce: it never repeats even when the
 * random source is weak.
 */
export function newNonce(lock: Lock): void {
  lock.nonceCount++;
  const p = lock.ports;
  const mix = concatBytes([
    p.random(NONCE_LENGTH), u32Bytes(lock.bootCount), u32Bytes(lock.nonceCount), u32Bytes(Math.floor(p.timers.millis() * 1000) % 0x100000000),
    u32Bytes(Math.round(p.hw.batteryMv() * 1000) % 0x100000000), lock.nonce
  ]);
  lock.nonce = copyBytes(sha512(mix), 0, NONCE_LENGTH);
}

/**
 * The owner's lock settings (docs/protocol.md §3.8) as one power-safe record (`kwset`):
 * auto-lock delay, relock-on-close and the door-left-open threshold, under the relay's
 * revision. Revision 0 means never configured: the shipped defaults from the options apply.
 */
import { RC_OK, RC_STORAGE_FAILURE, SETTING_RELOCK_ON_CLOSE, checkSettings, expectEnd, reader, settingsPayload, writer, written,
  type SettingsPayload } from '@keyway/shared';
import type { LockOptions } from './lock-state';
import { loadRecord, saveRecord, type RecordSlot } from './record-store';
import type { StoragePort } from './ports';

export const SETTINGS_RECORD = 'kwset';

export interface LoadedSettings {
  settings: SettingsPayload;
  rec: RecordSlot;
  recovered: boolean;
}

export function defaultSettings(opt: LockOptions): SettingsPayload {
  return { revision: 0, autoLockS: opt.relockDefaultS, doorAjarS: opt.doorAjarS, flags: 0 };
}

export function loadSettings(storage: StoragePort, opt: LockOptions): LoadedSettings {
  const r = loadRecord(storage, SETTINGS_RECORD);
  let s = defaultSettings(opt);
  if (r.data) {
    try {
      const rd = reader(r.data);
      const v = settingsPayload.read(rd);
      expectEnd(rd);
      // A stored copy that no longer passes the bounds is ignored (defaults), never applied.
      if (checkSettings(v, 0) === RC_OK) s = v;
    } catch (_e) {
      // Corrupt beyond the CRC: keep the defaults.
    }
  }
  return { settings: s, rec: r.slot, recovered: r.recovered };
}

/**
 * Checks and stores settings; they apply only once the record is written, so a power cut
 * leaves either the old or the new copy, never a mix. Returns the ACK reason code.
 */
export function storeSettings(storage: StoragePort, rec: RecordSlot, current: SettingsPayload, next: SettingsPayload): number {
  const code = checkSettings(next, current.revision);
  if (code !== RC_OK) return code;
  const w = writer(settingsPayload.size);
  settingsPayload.write(w, next);
  return saveRecord(storage, rec, written(w)) ? RC_OK : RC_STORAGE_FAILURE;
}

export function relockOnCloseSetting(s: SettingsPayload): boolean {
  return (s.flags & SETTING_RELOCK_ON_CLOSE) !== 0;
}

/**
 * Writing a lock's identity into flash: used by the provisioning console (docs/provisioning.md) and by
 * tests that start from a provisioned lock. Power-safe like every record: the previous
 * configuration stays intact until the new one is completely written.
 */
import { encodeConfig, type LockConfig } from './config';
import { CONFIG_RECORD } from './persistence';
import type { StoragePort } from './ports';
import { loadRecord, saveRecord } from './record-store';

export function writeInitialConfig(storage: StoragePort, config: LockConfig): boolean {
  const r = loadRecord(storage, CONFIG_RECORD);
  return saveRecord(storage, r.slot, encodeConfig(config));
}

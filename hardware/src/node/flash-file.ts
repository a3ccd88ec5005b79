/**
 * Simulated flash persisted to a JSON file on every write (atomically, by rename), so killing
 * the simulator process is a power cut: the next start sees exactly what was written. The
 * file holds the lock's secrets (MQTT password, provisioning state), so it is owner-only (0600).
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createSimStorage, type SimStorage } from '../sim/storage';

/** Owner read/write only. */
const SECRET_FILE_MODE = 0o600;

export function openFlashFile(file: string): SimStorage {
  const files: Record<string, string> = {};
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    for (const [name, b64] of Object.entries(stored)) files[name] = Buffer.from(b64, 'base64').toString('latin1');
  }
  const storage = createSimStorage(files);
  const persist = () => {
    const out: Record<string, string> = {};
    for (const [name, data] of Object.entries(storage.files)) out[name] = Buffer.from(data, 'latin1').toString('base64');
    writeFileSync(file + '.tmp', JSON.stringify(out), { mode: SECRET_FILE_MODE });
    chmodSync(file + '.tmp', SECRET_FILE_MODE);
    renameSync(file + '.tmp', file);
  };
  const write = storage.write;
  const erase = storage.erase;
  storage.write = (name, data) => {
    const ok = write(name, data);
    persist();
    return ok;
  };
  storage.erase = (name) => {
    erase(name);
    persist();
  };
  return storage;
}

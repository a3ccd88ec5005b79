/**
 * Simulated flash persisted to a JSON file on every write (atomically, by rename), so killing
 * the simulator process is a power cut: the next start sees exactly what was written.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createSimStorage, type SimStorage } from '../sim/storage';

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
    writeFileSync(file + '.tmp', JSON.stringify(out));
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

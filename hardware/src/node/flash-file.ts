/**
 * Simulated flash persisted to files, so killing the simulator process is a power cut: the next
 * start sees exactly the writes that returned. Two files per lock:
 *   <file>      a snapshot, JSON `{ name: base64 }`, replaced atomically (write .tmp, rename);
 *   <file>.log  a journal appended on every write or erase, one JSON line `[name, base64|null]`
 *               (null: erased), replayed over the snapshot at open.
 * A write appends only its own file's bytes, so its cost does not grow with the whole flash (a
 * lock rewrote every file on every event before). A line cut short by a kill mid-append has no
 * newline and is ignored: that write never returned. Once the journal outgrows the snapshot it is
 * folded into a new snapshot and emptied; a kill between the two replays lines the snapshot
 * already holds, which ends in the same contents. Each snapshot carries a random generation
 * (under the name "", which no Storage file can have) and the journal starts with it: a journal
 * left from another snapshot (the snapshot deleted to reset a lock, or replaced) is ignored. The
 * files hold the lock's secrets (MQTT password, provisioning state), so both are owner-only (0600).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, ftruncateSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { createSimStorage, type SimStorage } from '../sim/storage';

/** Owner read/write only. */
const SECRET_FILE_MODE = 0o600;
/** The journal is folded into the snapshot once it is this many times the snapshot's size… */
export const JOURNAL_FOLD_RATIO = 4;
/** …and at least this many bytes (a small flash is not re-snapshotted every few writes). */
export const JOURNAL_FOLD_MIN_BYTES = 256 * 1024;

/** The journal beside a flash file. */
export function journalFile(file: string): string {
  return file + '.log';
}

/** The name a snapshot's generation is stored under: no Storage file name is empty. */
const GENERATION = '';
/** Bytes of randomness in a snapshot's generation. */
const GENERATION_BYTES = 8;

/** Applies a journal's complete lines, if it belongs to the snapshot of generation `gen`. */
function replay(files: Record<string, string>, journal: string, gen: string | undefined): void {
  const end = journal.lastIndexOf('\n');
  const lines = journal.slice(0, end + 1).split('\n');
  if (gen === undefined || lines[0] !== JSON.stringify([GENERATION, gen])) return;
  for (const line of lines.slice(1)) {
    if (!line) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      continue; // a line torn and then followed by later appends: that write never returned
    }
    if (!Array.isArray(rec) || typeof rec[0] !== 'string') continue;
    if (rec[1] === null) delete files[rec[0]];
    else if (typeof rec[1] === 'string') files[rec[0]] = Buffer.from(rec[1], 'base64').toString('latin1');
  }
}

export function openFlashFile(file: string): SimStorage {
  const files: Record<string, string> = {};
  let gen: string | undefined;
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    gen = stored[GENERATION];
    for (const [name, b64] of Object.entries(stored)) if (name !== GENERATION) files[name] = Buffer.from(b64, 'base64').toString('latin1');
  }
  const log = journalFile(file);
  if (existsSync(log)) replay(files, readFileSync(log, 'latin1'), gen);
  const storage = createSimStorage(files);
  let snapshotBytes = 0;
  let journalBytes = 0;
  let fd = -1;
  const snapshot = () => {
    gen = randomBytes(GENERATION_BYTES).toString('hex');
    const out: Record<string, string> = { [GENERATION]: gen };
    for (const [name, data] of Object.entries(storage.files)) out[name] = Buffer.from(data, 'latin1').toString('base64');
    const text = JSON.stringify(out);
    writeFileSync(file + '.tmp', text, { mode: SECRET_FILE_MODE });
    chmodSync(file + '.tmp', SECRET_FILE_MODE);
    renameSync(file + '.tmp', file);
    snapshotBytes = text.length;
  };
  const openJournal = () => {
    // Emptied only after the snapshot that holds its lines is in place.
    fd = openSync(log, 'a', SECRET_FILE_MODE);
    chmodSync(log, SECRET_FILE_MODE);
    ftruncateSync(fd, 0);
    const header = Buffer.from(JSON.stringify([GENERATION, gen]) + '\n', 'latin1');
    writeSync(fd, header);
    journalBytes = header.length;
  };
  // Start from one snapshot holding everything (also rewrites an older flash file owner-only).
  snapshot();
  openJournal();
  const append = (name: string, data: string | null) => {
    const line = Buffer.from(JSON.stringify([name, data === null ? null : Buffer.from(data, 'latin1').toString('base64')]) + '\n', 'latin1');
    writeSync(fd, line);
    journalBytes += line.length;
    if (journalBytes > Math.max(JOURNAL_FOLD_MIN_BYTES, JOURNAL_FOLD_RATIO * snapshotBytes)) {
      snapshot();
      closeSync(fd);
      openJournal();
    }
  };
  const write = storage.write;
  const erase = storage.erase;
  const has = (name: string) => Object.prototype.hasOwnProperty.call(storage.files, name);
  storage.write = (name, data) => {
    const before = storage.writes;
    const ok = write(name, data);
    // Unpowered, nothing changed; a write torn by a simulated cut leaves the file as the cut left it (storage.ts).
    if (storage.writes !== before) append(name, has(name) ? storage.files[name] : null);
    return ok;
  };
  storage.erase = (name) => {
    const had = has(name);
    erase(name);
    if (had && !has(name)) append(name, null);
  };
  return storage;
}

/**
 * The storage of the durable reference (`reference-relay.mts --durable`): the least a relay
 * with the relay's guarantees must write for one authorization. SQLite through better-sqlite3
 * with the relay's own settings (relay/src/db/database.ts: WAL, synchronous NORMAL, a busy
 * timeout) and its WAL checkpoints off the event loop (relay/src/db/checkpointer.ts, so the
 * floor and the relay pay for checkpoints the same way), in a temporary directory. Two tables,
 * each written by one prepared INSERT in its own transaction: the signed command before it is
 * published, the lock's signed event before its PUBACK. Raw prepared statements, no query
 * builder, no other rows: a floor, not a relay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startCheckpointer, type Checkpointer } from '../../relay/src/db/checkpointer';

/** The relay's busy timeout (relay/src/db/database.ts). */
const BUSY_TIMEOUT_MS = 10_000;

const SCHEMA = `
CREATE TABLE commands (device_id TEXT NOT NULL, counter INTEGER NOT NULL, signed BLOB NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, counter)) WITHOUT ROWID;
CREATE TABLE events (device_id TEXT NOT NULL, counter INTEGER NOT NULL, body BLOB NOT NULL, signature BLOB NOT NULL, received_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, counter)) WITHOUT ROWID;
`;

export interface ReferenceStore {
  /** The command row, committed when this returns (one statement: its own transaction). */
  keepCommand(deviceId: string, counter: number, signed: Buffer): void;
  /** The lock's event and its signature, committed when this returns. */
  keepEvent(deviceId: string, counter: number, body: Buffer, signature: Buffer): void;
  /** Rows kept so far (a check that the floor did write). */
  counts(): { commands: number; events: number };
  close(): Promise<void>;
}

export function openReferenceStore(dir = mkdtempSync(path.join(tmpdir(), 'kw-bench-reference-'))): ReferenceStore {
  const file = path.join(dir, 'reference.sqlite');
  const db = new Database(file);
  db.pragma('busy_timeout = ' + BUSY_TIMEOUT_MS);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  const checkpointer: Checkpointer | null = startCheckpointer(db, file);
  const insertCommand = db.prepare('INSERT INTO commands (device_id, counter, signed, created_at) VALUES (?, ?, ?, ?)');
  const insertEvent = db.prepare('INSERT INTO events (device_id, counter, body, signature, received_at) VALUES (?, ?, ?, ?, ?)');
  const countCommands = db.prepare('SELECT count(*) FROM commands').pluck();
  const countEvents = db.prepare('SELECT count(*) FROM events').pluck();
  // A single INSERT outside BEGIN is one transaction of its own: committed (in the WAL) when run() returns.
  return {
    keepCommand(deviceId, counter, signed) {
      insertCommand.run(deviceId, counter, signed, Date.now());
      checkpointer?.committed();
    },
    keepEvent(deviceId, counter, body, signature) {
      insertEvent.run(deviceId, counter, body, signature, Date.now());
      checkpointer?.committed();
    },
    counts: () => ({ commands: countCommands.get() as number, events: countEvents.get() as number }),
    async close() {
      await checkpointer?.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

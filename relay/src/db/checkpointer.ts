/**
 * WAL checkpoints off the event loop. SQLite in WAL mode copies the log back into the database
 * file (a checkpoint) from inside the COMMIT that grows the log past `wal_autocheckpoint` pages,
 * and the checkpoint syncs both files: under load the relay's thread sat in that commit, about a
 * third of all the time COMMIT took (bench/relay.mts --profile, docs/benchmarks.md). Here a
 * worker thread with a connection of its own runs PASSIVE checkpoints instead, which never wait
 * for or block a writer or a reader; the relay's connection keeps an automatic checkpoint only
 * far above the worker's pace, so a stalled or failed worker still cannot let the log grow
 * without bound.
 *
 * Durability is unchanged: a transaction is durable once its frames are in the log (WAL,
 * synchronous NORMAL, database.ts), before and after any checkpoint. The worker wakes only when
 * the relay has committed since its last checkpoint (the store calls `committed()`), so an idle
 * relay runs nothing.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './database';

/**
 * At most one checkpoint per this many milliseconds while commits keep coming. SQLite's own
 * threshold (1,000 pages) meant a checkpoint, with its two syncs, every few dozen commits under
 * load; pages written again and again between two checkpoints are copied once.
 */
export const CHECKPOINT_INTERVAL_MS = 250;
/** The relay connection's automatic checkpoint in pages, a safety net only: far above the worker's pace (64 MiB of 4 KiB pages). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_000;

/**
 * Slots of the shared words: a wake-up sequence (bumped by every commit, stats() and stop(),
 * so a wake-up between the worker's checks and its wait is never lost), commits so far, stop flag.
 */
const WAKE = 0;
const COMMITS = 1;
const STOP = 2;

export interface CheckpointStats {
  /** Checkpoints the worker ran, and WAL frames it copied into the database in them. */
  checkpoints: number;
  framesCopied: number;
  /** The last checkpoint's error, if any (the fallback keeps the log bounded meanwhile). */
  lastError: string | null;
}

export interface Checkpointer {
  /** Tells the worker the relay committed (cheap: one atomic add and a wake-up). */
  committed(): void;
  /** What the worker reported so far (tests, diagnostics). */
  stats(): Promise<CheckpointStats>;
  /** Stops the worker and closes its connection; call before closing the relay's connection. */
  stop(): Promise<void>;
}

// The worker is plain JavaScript evaluated from this string, so it runs the same under Node,
// tsx and the test runner without a loader of its own. It blocks on the shared counter
// (Atomics.wait) between checkpoints: no timer, no work while nothing is committed.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const shared = new Int32Array(workerData.shared);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 10000');
const stats = { checkpoints: 0, framesCopied: 0, lastError: null };
parentPort.on('message', (m) => { if (m === 'stats') parentPort.postMessage({ stats }); });
let woken = 0;
let seen = 0;
function round() {
  // Sleeps until a commit, stats() or stop() wakes it (at once if one did since the last round).
  Atomics.wait(shared, ${WAKE}, woken);
  woken = Atomics.load(shared, ${WAKE});
  if (Atomics.load(shared, ${STOP}) === 1) {
    db.close();
    parentPort.close();
    return;
  }
  const now = Atomics.load(shared, ${COMMITS});
  if (now !== seen) {
    seen = now;
    try {
      const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
      if (r.checkpointed > 0) {
        stats.checkpoints++;
        stats.framesCopied += r.checkpointed;
      }
      stats.lastError = null;
    } catch (e) {
      stats.lastError = String((e && e.message) || e);
    }
  }
  // Back to the event loop between rounds (so 'stats' is answered), then at most one checkpoint per interval.
  setTimeout(round, workerData.intervalMs);
}
round();
`;

/**
 * Starts the checkpoint worker for the database file of `db` (not for ':memory:': returns
 * null) and lowers the relay connection's own automatic checkpoint to a safety net.
 */
export function startCheckpointer(db: Db, file: string): Checkpointer | null {
  if (file === ':memory:' || db.pragma('journal_mode', { simple: true }) !== 'wal') return null;
  const shared = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
  const words = new Int32Array(shared);
  const wake = () => {
    Atomics.add(words, WAKE, 1);
    Atomics.notify(words, WAKE);
  };
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, shared, intervalMs: CHECKPOINT_INTERVAL_MS, driver: createRequire(import.meta.url).resolve('better-sqlite3') }
  });
  worker.unref();
  db.pragma('wal_autocheckpoint = ' + FALLBACK_AUTOCHECKPOINT_PAGES);
  let exited = false;
  const gone = new Promise<void>((resolve) => worker.once('exit', () => {
    exited = true;
    resolve();
  }));
  worker.on('error', () => undefined);
  return {
    committed() {
      Atomics.add(words, COMMITS, 1);
      wake();
    },
    stats() {
      if (exited) return Promise.resolve({ checkpoints: 0, framesCopied: 0, lastError: 'worker stopped' });
      return new Promise((resolve) => {
        // Referenced while an answer is awaited: an unreferenced worker would let a process with
        // nothing else to do exit before it answers.
        worker.ref();
        const on = (m: { stats?: CheckpointStats }) => {
          if (!m.stats) return;
          worker.off('message', on);
          worker.unref();
          resolve(m.stats);
        };
        worker.on('message', on);
        worker.postMessage('stats');
        // Wakes the worker from its wait so it reaches its event loop and answers.
        wake();
      });
    },
    async stop() {
      if (exited) return;
      // Referenced until it has exited: otherwise a process whose last task is this stop (a
      // relay that failed to start, say) ends with its await unsettled (exit code 13).
      worker.ref();
      Atomics.store(words, STOP, 1);
      wake();
      await gone;
    }
  };
}

/**
 * Espruino's Linux build serves its `--telnet` console on a fixed port (2323). Tests that start
 * one hold this lock while it runs, so parallel test files never talk to each other's Espruino.
 * The lock is a file created exclusively; a stale one (its process gone) is taken over.
 */
import { openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ESPRUINO_TELNET_PORT = 2323;
const LOCK_FILE = path.join(tmpdir(), 'keyway-espruino-telnet-' + ESPRUINO_TELNET_PORT + '.lock');
const RETRY_MS = 200;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` holding the telnet port, waiting up to `waitMs` for another test to finish with it. */
export async function withTelnetPort<T>(fn: () => Promise<T>, waitMs = 900_000): Promise<T> {
  const end = Date.now() + waitMs;
  for (;;) {
    try {
      closeSync(openSync(LOCK_FILE, 'wx'));
      writeFileSync(LOCK_FILE, String(process.pid));
      break;
    } catch {
      const holder = Number(readFileSync(LOCK_FILE, 'utf8') || '0');
      if (holder > 0 && !alive(holder)) rmSync(LOCK_FILE, { force: true });
      else if (Date.now() > end) throw new Error('the Espruino telnet port stayed taken (' + LOCK_FILE + ')');
      else await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_FILE, { force: true });
  }
}

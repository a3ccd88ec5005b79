/** A pair of connected pseudo-terminals from socat (Debian), for real serial I/O in tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PtyPair {
  /** The board's end. */
  a: string;
  /** The host's end (what `keyway --port` opens). */
  b: string;
  dir: string;
  close(): Promise<void>;
}

export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-pty-'));
  const a = path.join(dir, 'board');
  const b = path.join(dir, 'host');
  const proc: ChildProcess = spawn('socat', ['-d', '-d', 'pty,raw,echo=0,link=' + a, 'pty,raw,echo=0,link=' + b], { stdio: ['ignore', 'ignore', 'pipe'] });
  const end = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > end || proc.exitCode !== null) throw new Error('socat did not create the pty pair');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    a, b, dir,
    close: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

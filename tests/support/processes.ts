/** Child processes for integration tests: the simulated board and the keyway CLI. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from './time-scale';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Node with tsx's loader in the same process, so signals reach the program itself. */
export const TS_NODE = [process.execPath, '--import', 'tsx'] as const;

export interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  send(line: string): void;
  /** Sends a control line to a simulated board and waits until it has been applied. */
  control(line: string): Promise<void>;
}

export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
    send: (line) => proc.stdin!.write(line + '\n'),
    control: async (line) => {
      const marker = 'control-ok ' + line.trim();
      const seen = err.split(marker).length - 1;
      proc.stdin!.write(line + '\n');
      const end = Date.now() + scaled(10_000);
      while (err.split(marker).length - 1 <= seen) {
        if (Date.now() > end) throw new Error('the simulated board did not apply: ' + line);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
}

/** The simulated Espruino board on a serial port, its flash in `flash`. */
export async function simBoard(port: string, flash: string, board = 'espruino-wifi'): Promise<Child> {
  const c = start(TS_NODE[0], [...TS_NODE.slice(1), path.join(ROOT, 'hardware/src/node/sim-board.ts'), '--port', port, '--flash', flash, '--board', board]);
  const end = Date.now() + scaled(20_000);
  while (!c.stderr().includes('sim-board ready')) {
    if (Date.now() > end || c.proc.exitCode !== null) throw new Error('sim-board did not start: ' + c.stderr());
    await new Promise((r) => setTimeout(r, 50));
  }
  return c;
}

/** Runs `keyway <args>` to completion. */
export async function keyway(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = scaled(120_000)): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = start(process.execPath, [path.join(ROOT, 'tools/bin/keyway.mjs'), ...args], env);
  const t = setTimeout(() => c.proc.kill('SIGKILL'), timeoutMs);
  const code = await c.exited;
  clearTimeout(t);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/**
 * Child processes for the benchmarks and what the kernel says about them: each piece (relay,
 * plain broker, simulated locks, idle crowd) runs in its own Node process, so /proc/<pid>
 * gives its own CPU time and resident memory. Children get the file-descriptor limit raised
 * to the hard limit (`ulimit -n`), which is what 10,000 connections need.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BenchChild {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Resolves with the first stdout line that parses as JSON with `ready: true`. */
  ready<T = Record<string, unknown>>(timeoutMs?: number): Promise<T>;
  /** Resolves with the first stdout JSON line `pick` accepts (earlier lines count too). */
  line<T = Record<string, unknown>>(pick: (o: any) => boolean, what: string, timeoutMs?: number): Promise<T>;
  /** Sends one line on stdin and resolves with the next JSON line whose `id` matches. */
  ask<T = Record<string, unknown>>(command: string, timeoutMs?: number): Promise<T>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

let logSeq = 0;

/**
 * Runs `node --import tsx [--import <module> …] <script> …args` from the repository root
 * (`imports`: preloads such as loop-delay.mts, after tsx so they may be TypeScript), stdin/stdout as pipes and
 * stderr to `logFile` (a pipe the parent forgets to drain could slow a child down). `nofile`
 * raises RLIMIT_NOFILE through the shell before exec, so the pid is Node's own.
 */
export function startChild(name: string, script: string, args: string[], o: { logFile: string; nofile?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[]; imports?: string[] }): BenchChild {
  const err = openSync(o.logFile, 'a');
  const preload = (o.imports ?? []).flatMap((m) => ['--import', path.join(ROOT, m)]);
  const node = [process.execPath, ...(o.nodeArgs ?? []), '--import', 'tsx', ...preload, path.join(ROOT, script), ...args];
  const quoted = node.map((a) => "'" + a.replace(/'/g, "'\\''") + "'").join(' ');
  const cmd = o.nofile ? `ulimit -n ${o.nofile} 2>/dev/null || ulimit -n $(ulimit -Hn); exec ${quoted}` : 'exec ' + quoted;
  const proc = spawn('/bin/sh', ['-c', cmd], { cwd: ROOT, env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', err] });
  let out = '';
  const listeners = new Set<() => void>();
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    out += d;
    for (const l of listeners) l();
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => {
    for (const l of listeners) l();
    r();
  }));
  const lines = () => out.split('\n').filter((l) => l.startsWith('{'));
  const waitLine = <T,>(pick: (o: any) => boolean, timeoutMs: number, what: string) => new Promise<T>((resolve, reject) => {
    const check = () => {
      for (const l of lines()) {
        let v: any;
        try {
          v = JSON.parse(l);
        } catch {
          continue;
        }
        if (pick(v)) {
          cleanup();
          resolve(v as T);
          return;
        }
      }
      if (proc.exitCode !== null || proc.signalCode !== null) {
        cleanup();
        reject(new Error(name + ' exited while waiting for ' + what + ' (see ' + o.logFile + ')'));
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(name + ': timed out waiting for ' + what + ' (see ' + o.logFile + ')'));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      listeners.delete(check);
    };
    listeners.add(check);
    check();
  });
  return {
    name, proc, pid: proc.pid!,
    stdout: () => out,
    ready: (timeoutMs = 60_000) => waitLine((v) => v.ready === true, timeoutMs, 'its ready line'),
    line: (pick, what, timeoutMs = 30_000) => waitLine(pick, timeoutMs, what),
    ask: (command, timeoutMs = 600_000) => {
      const id = ++logSeq;
      proc.stdin!.write(id + ' ' + command + '\n');
      return waitLine((v) => v.id === id, timeoutMs, 'an answer to "' + command + '"');
    },
    kill: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
  };
}

/**
 * Reads `<id> <command …>` lines on stdin in a child and answers each with one JSON line
 * `{ id, …answer }` on stdout (errors as `{ id, error }`).
 */
export function serveCommands(handle: (command: string, args: string[]) => Promise<Record<string, unknown>> | Record<string, unknown>): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (raw) => {
    const line = raw.trim();
    if (!line) return;
    const [id, command, ...args] = line.split(/\s+/);
    Promise.resolve()
      .then(() => handle(command, args))
      .then((a) => process.stdout.write(JSON.stringify({ id: Number(id), ...a }) + '\n'))
      .catch((e: unknown) => process.stdout.write(JSON.stringify({ id: Number(id), error: String((e as Error)?.stack ?? e) }) + '\n'));
  });
  lines.on('close', () => process.exit(0));
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Resident set size in KiB (VmRSS) and its peak (VmHWM) from /proc/<pid>/status. */
export function rssKiB(pid: number): { rss: number; hwm: number } {
  const s = readFileSync('/proc/' + pid + '/status', 'utf8');
  const get = (k: string) => Number(new RegExp('^' + k + ':\\s+(\\d+) kB', 'm').exec(s)?.[1] ?? NaN);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

/** CPU seconds (user + system, all threads) the process used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const s = readFileSync('/proc/' + pid + '/stat', 'utf8');
  const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3; utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Busy and total jiffies of the whole machine (all cores) from /proc/stat. */
function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Measures CPU% (100 = one core) of several processes over a span, plus `machine` (all
 * processes on the host) and `others` (machine minus the listed ones: other people's work
 * on a shared host). Call `stop()` at the end of the span.
 */
export function cpuMeter(pids: Record<string, number>): { stop(): Record<string, number> } {
  const t0 = performance.now();
  const m0 = machineJiffies();
  const c0: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) c0[k] = cpuSeconds(pid);
  return {
    stop() {
      const secs = (performance.now() - t0) / 1000;
      const out: Record<string, number> = {};
      let ours = 0;
      for (const [k, pid] of Object.entries(pids)) {
        out[k] = ((cpuSeconds(pid) - c0[k]) / secs) * 100;
        ours += out[k];
      }
      const m1 = machineJiffies();
      out.machine = ((m1.busy - m0.busy) / CLK_TCK / secs) * 100;
      out.others = Math.max(0, out.machine - ours);
      return out;
    }
  };
}

export function fdLimits(): { soft: string; hard: string } {
  const sh = (c: string) => {
    try {
      return execFileSync('/bin/sh', ['-c', c], { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return { soft: sh('ulimit -Sn'), hard: sh('ulimit -Hn') };
}

export interface LoopDelay {
  seq: number;
  n: number;
  p50: number;
  p99: number;
  max: number;
}

const loopDelaySeq = new WeakMap<BenchChild, number>();

/**
 * The child's event-loop delay since the previous call (or since it started), in ms; the
 * child must have been started with `imports: ['bench/lib/loop-delay.mts']`.
 */
export async function readLoopDelay(child: BenchChild): Promise<LoopDelay> {
  const seq = (loopDelaySeq.get(child) ?? 0) + 1;
  loopDelaySeq.set(child, seq);
  child.proc.kill('SIGUSR2');
  return (await child.line<{ loopDelay: LoopDelay }>((v) => v.loopDelay?.seq === seq, child.name + "'s event-loop delay")).loopDelay;
}

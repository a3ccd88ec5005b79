/**
 * Waits judged by the CPU time a process has used, not by the wall clock. A lock on a real
 * interpreter (Espruino's Linux build) does seconds of interpreter work for one signature; on a
 * host shared with other work it may get a tenth of a core, so the same work takes ten times
 * the wall time. A wait for "the grant is staged" therefore allows the lock process a budget of
 * CPU time (utime + stime from /proc/<pid>/stat): spent without the condition coming true, the
 * lock is stuck, however quiet or busy the host. A wall-clock ceiling, generous, catches a
 * process that does nothing at all (hung or idle while it should work).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const UTIME_FIELD = 11; // fields 14 and 15 of /proc/<pid>/stat, counted after the ") " that ends the name
const STIME_FIELD = 12;
const NS_PER_MS = 1e6;
const POLL_MS = 100;

/** CPU milliseconds (user + system) the process has used so far, or null when it is gone. */
export function processCpuMs(pid: number): number | null {
  try {
    const f = readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(f[UTIME_FIELD]) + Number(f[STIME_FIELD])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Milliseconds the process has spent runnable but waiting for a CPU (the host's load on it), or null. */
export function processRunQueueMs(pid: number): number | null {
  try {
    return Number(readFileSync('/proc/' + pid + '/schedstat', 'utf8').split(' ')[1]) / NS_PER_MS;
  } catch {
    return null;
  }
}

export interface CpuBudget {
  /** The process whose CPU time is the budget (read on every poll: a restarted process has a new one). */
  pid: () => number | undefined;
  /** CPU milliseconds the process may use, from the start of the wait, before it counts as stuck. */
  cpuMs: number;
  /** Wall milliseconds after which the wait fails whatever the CPU used: a hung or idle process. */
  wallCeilingMs: number;
  intervalMs?: number;
}

/** What a wait cost: the process's CPU time and wall time from its start until the condition held. */
export interface CpuWaitResult<T> {
  value: NonNullable<T>;
  cpuMs: number;
  wallMs: number;
}

/**
 * Polls `fn` until it returns a truthy value while the process has used at most `cpuMs` of CPU
 * time since the wait began. Fails when the budget is spent without it (stuck: working without
 * progress), when the wall ceiling passes (hung), or when the process is gone.
 */
export async function waitWithinCpu<T>(what: string, fn: () => T | Promise<T>, budget: CpuBudget): Promise<CpuWaitResult<T>> {
  const pid = budget.pid();
  const cpu0 = pid === undefined ? null : processCpuMs(pid);
  if (pid === undefined || cpu0 === null) throw new Error('waiting for ' + what + ': the lock process is not running');
  const queue0 = processRunQueueMs(pid) ?? 0;
  const t0 = Date.now();
  const spent = (): { cpuMs: number; wallMs: number; queueMs: number } | null => {
    const now = budget.pid();
    const cpu = now === pid ? processCpuMs(pid) : null;
    if (cpu === null) return null;
    return { cpuMs: cpu - cpu0, wallMs: Date.now() - t0, queueMs: (processRunQueueMs(pid) ?? queue0) - queue0 };
  };
  const seconds = (ms: number) => (ms / 1000).toFixed(1) + ' s';
  for (;;) {
    // Read before the condition: CPU used up to a moment when the condition was still false.
    const before = spent();
    const v = await fn();
    if (v) return { value: v as NonNullable<T>, cpuMs: before?.cpuMs ?? 0, wallMs: Date.now() - t0 };
    if (before === null) throw new Error('waiting for ' + what + ': the lock process exited');
    const tail = ' (' + seconds(before.cpuMs) + ' of CPU, ' + seconds(before.wallMs) + ' wall, ' + seconds(before.queueMs) + ' waiting for a CPU)';
    if (before.cpuMs > budget.cpuMs) {
      throw new Error('the lock used its CPU budget of ' + seconds(budget.cpuMs) + ' without ' + what + ': stuck' + tail);
    }
    if (before.wallMs > budget.wallCeilingMs) {
      throw new Error('no ' + what + ' within the wall-clock ceiling of ' + seconds(budget.wallCeilingMs) + ': the lock is hung' + tail);
    }
    await new Promise((r) => setTimeout(r, budget.intervalMs ?? POLL_MS));
  }
}

/**
 * The CPU-budget wait the Espruino tests use (process-cpu.ts): it must fail for a process that
 * works without reaching the condition (stuck), for one that does nothing (hung) and for one that
 * is gone, and pass for one that gets there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { processCpuMs, waitWithinCpu } from './process-cpu';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function child(code: string): ChildProcess {
  const c = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(c);
  return c;
}

/** A CPU budget small enough for a test, far above one clock tick (10 ms). */
const BUDGET_MS = 400;
/** A ceiling the busy children never reach first, even on a loaded host. */
const CEILING_MS = 120_000;

describe('waiting within a CPU budget', () => {
  it('fails a process that spends its budget without the condition: stuck', async () => {
    const busy = child('for (;;) {}');
    await expect(waitWithinCpu('a result that never comes', () => false, { pid: () => busy.pid, cpuMs: BUDGET_MS, wallCeilingMs: CEILING_MS }))
      .rejects.toThrow(/CPU budget of 0\.4 s without a result that never comes: stuck/);
    expect(processCpuMs(busy.pid!)!).toBeGreaterThan(BUDGET_MS);
  });

  it('fails a process that does nothing at the wall-clock ceiling: hung', async () => {
    const idle = child('setTimeout(() => {}, 600000)');
    const t0 = Date.now();
    await expect(waitWithinCpu('a result', () => false, { pid: () => idle.pid, cpuMs: CEILING_MS, wallCeilingMs: 1500 }))
      .rejects.toThrow(/wall-clock ceiling of 1\.5 s: the lock is hung/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
  });

  it('fails when the process exits during the wait, and when it is not running', async () => {
    const short = child('setTimeout(() => {}, 300)');
    await expect(waitWithinCpu('a result', () => false, { pid: () => short.pid, cpuMs: CEILING_MS, wallCeilingMs: CEILING_MS }))
      .rejects.toThrow(/the lock process exited/);
    await expect(waitWithinCpu('a result', () => true, { pid: () => undefined, cpuMs: CEILING_MS, wallCeilingMs: CEILING_MS }))
      .rejects.toThrow(/not running/);
  });

  it('returns the value and the CPU used when the process gets there within its budget', async () => {
    const worker = child('const end = Date.now() + 150; while (Date.now() < end) {} console.log("done"); setTimeout(() => {}, 600000)');
    let out = '';
    worker.stdout!.on('data', (d) => (out += d));
    const r = await waitWithinCpu('the worker done', () => (out.includes('done') ? out.trim() : null), { pid: () => worker.pid, cpuMs: 60_000, wallCeilingMs: CEILING_MS });
    expect(r.value).toBe('done');
    expect(r.cpuMs).toBeLessThan(60_000);
  });
});

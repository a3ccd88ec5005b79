// Cooperative verification (docs/verifier.md): bounded steps, same verdicts as one-shot, and other
// work (door, motor, keep-alive timers) runs between slices.
import { describe, expect, it } from 'vitest';
import { beginVerify, runSliced, verifyStrict, type SliceOptions } from '@keyway/shared';
import { adversarialCases, hexToBytes } from './adversarial';
import { RFC8032 } from './rfc8032-vectors';

function stepsOf(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): { steps: number; result: boolean } {
  const task = beginVerify(msg, sig, pub);
  let steps = 1;
  while (!task.step()) steps++;
  expect(task.step()).toBe(true); // finished tasks stay finished
  return { steps, result: task.result };
}

describe('beginVerify / step', () => {
  it('gives the one-shot verdicts in tens of bounded steps', () => {
    for (const t of RFC8032) {
      const r = stepsOf(hexToBytes(t.msg), hexToBytes(t.sig), hexToBytes(t.pub));
      expect(r.result).toBe(true);
      // pure JS here: ~35 product chains a step, about 3,000 in a verification
      expect(r.steps).toBeGreaterThan(30);
      expect(r.steps).toBeLessThan(200);
    }
    for (const c of adversarialCases()) {
      const r = stepsOf(c.msg, c.sig, c.pub);
      expect(r.result).toBe(verifyStrict(c.msg, c.sig, c.pub));
      expect(r.result).toBe(false);
    }
  });

  it('verifies the bytes it was given, even if the caller reuses its buffers between steps', () => {
    const t = RFC8032[2];
    const msg = hexToBytes(t.msg);
    const sig = hexToBytes(t.sig);
    const pub = hexToBytes(t.pub);
    const task = beginVerify(msg, sig, pub);
    task.step();
    msg[0] ^= 1;
    sig[40] ^= 1;
    pub[3] ^= 1;
    while (!task.step()) {
      // keep stepping
    }
    expect(task.result).toBe(true);
  });

  it('rejects malformed input in the first step', () => {
    const r = stepsOf(new Uint8Array(1), new Uint8Array(63), new Uint8Array(32));
    expect(r).toEqual({ steps: 1, result: false });
  });
});

describe('runSliced', () => {
  const t = RFC8032[4];
  const msg = hexToBytes(t.msg);
  const sig = hexToBytes(t.sig);
  const pub = hexToBytes(t.pub);

  it('interleaves other events between slices (a fake event loop and clock)', () => {
    const queue: (() => void)[] = [];
    const log: string[] = [];
    let clock = 0;
    let doorEvents = 0;
    const options: SliceOptions = {
      now: () => (clock += 3), // every reading advances 3 ms
      defer: (fn) => {
        log.push('defer');
        // an edge on the door sensor arrived during the slice: it is queued before the rest
        queue.push(() => {
          doorEvents++;
          log.push('door');
        });
        queue.push(fn);
      },
      budgetMs: 10
    };
    let verdict: boolean | null = null;
    runSliced(beginVerify(msg, sig, pub), options, (ok) => {
      verdict = ok;
      log.push('done');
    });
    expect(verdict).toBe(null); // the first slice did not finish it
    while (queue.length > 0) queue.shift()!();
    expect(verdict).toBe(true);
    expect(doorEvents).toBeGreaterThan(10);
    expect(log.filter((l) => l === 'defer').length).toBe(doorEvents);
    // a door event ran between every two slices, and the verdict came after the last slice
    for (let i = 1; i < log.length; i++) if (log[i] === 'defer') expect(log[i - 1]).toBe('door');
    expect(log.indexOf('done')).toBeGreaterThan(log.lastIndexOf('defer'));
  });

  it('keeps real timers (keep-alive, watchdog) running during a verification', async () => {
    let ticks = 0;
    const keepAlive = setInterval(() => ticks++, 0);
    const ok = await new Promise<boolean>((resolve) => {
      runSliced(beginVerify(msg, sig, pub), { now: () => performance.now(), defer: (fn) => setTimeout(fn, 0), budgetMs: 0 }, resolve);
    });
    clearInterval(keepAlive);
    expect(ok).toBe(true);
    expect(ticks).toBeGreaterThan(10);
  });

  it('reports a bad signature through the same callback', async () => {
    const bad = new Uint8Array(sig);
    bad[40] ^= 4;
    const ok = await new Promise<boolean>((resolve) => {
      runSliced(beginVerify(msg, bad, pub), { now: () => performance.now(), defer: (fn) => setTimeout(fn, 0), budgetMs: 5 }, resolve);
    });
    expect(ok).toBe(false);
  });
});
